"""My notification centre, my notification settings, and the header's unread badge."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.i18n import LANGUAGES
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.notifications import queries, services
from stampbook.notifications.kinds import KINDS
from stampbook.notifications.policy import NotificationAction
from stampbook.notifications.schemas import NotificationQuery
from stampbook.notifications.words import channel_words, kind_words
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import act, attempt, cursor_arg

bp = PageBlueprint("notification_pages", __name__)


def unread_notifications() -> int:
    """The header's badge: my unread notifications, read with the invitations' count in one
    query; none for visitors, nor on an error page drawn after the transaction ended."""
    user = current_user()
    if user is None or not db.session.in_transaction():
        return 0
    return queries.header_counts(user)


@bp.app_context_processor
def _badge() -> dict[str, Any]:
    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@route(Access.USER)
def centre() -> str:
    unread_only = request.args.get("unread") == "1"
    page = queries.my_notifications(
        me(), NotificationQuery(cursor=cursor_arg(), unread=True if unread_only else None)
    )
    return render_template(
        "notifications/centre.html",
        page=page,
        unread_only=unread_only,
        kind_words=kind_words,
        action=ActionForm(),
    )


@bp.post("/notifications/<int:notification_id>/read")
@route(Access.USER, action=NotificationAction.NOTIFICATION_READ)
def mark_read(notification_id: int) -> Response:
    act(lambda: services.mark_read(me(), notification_id), _("Marked read."), category="info")
    return redirect(url_for("notification_pages.centre"), 303)


@bp.post("/notifications/read-all")
@route(Access.USER)
def mark_all_read() -> Response:
    act(
        lambda: services.mark_all_read(me()),
        lambda count: ngettext(
            "%(num)d notification marked read.", "%(num)d notifications marked read.", count
        ),
        category="info",
    )
    return redirect(url_for("notification_pages.centre"), 303)


# --- My notification settings -----------------------------------------------------------------


def _settings_page(problem: str | None = None, status: int = 200) -> tuple[str, int]:
    user = me()
    mine = queries.my_preferences(user)
    table = {(p.kind, p.channel): p.enabled for p in mine.preferences}
    channels = sorted({p.channel for p in mine.preferences}, key=lambda c: c != "in_app")
    return render_template(
        "notifications/settings.html",
        active="notifications",
        kinds=list(KINDS.values()),
        channels=channels,
        table=table,
        consents=mine.consents,
        language=mine.language,
        languages=LANGUAGES,
        kind_words=kind_words,
        channel_words=channel_words,
        problem=problem,
        form=ActionForm(),
    ), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@route(Access.USER)
def settings() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _settings_page()
    form = ActionForm()
    if not form.validate_on_submit():
        return _settings_page(_("The form expired; try again."), 400)
    user = me()
    mine = queries.my_preferences(user)
    chosen = request.form.getlist("on")
    preferences = [(p.kind, p.channel, f"{p.kind}:{p.channel}" in chosen) for p in mine.preferences]
    agreed = set(request.form.getlist("consent"))
    consents = [(c.shop_id, str(c.shop_id) in agreed) for c in mine.consents]
    language = request.form.get("language")
    result = attempt(
        lambda: services.update_preferences(
            user,
            preferences=preferences,
            consents=consents,
            language=language if language in LANGUAGES else None,
        )
    )
    if isinstance(result, AppError):
        return _settings_page(result.detail, result.status)
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notification_pages.settings"), 303)
