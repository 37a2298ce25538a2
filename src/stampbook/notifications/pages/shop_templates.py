"""A shop's notification templates: the kinds listed, one edited with a live preview.

The preview is server-rendered: the editor's small script
(``ui/static/notification_preview.js``) posts the form to the preview route as the person
types and shows the answer; without the script the "Preview" button does the same with a
page load."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.errors import AppError
from stampbook.core.i18n import LANGUAGES
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.notifications import services
from stampbook.notifications.kinds import KINDS
from stampbook.notifications.policy import NotificationAction
from stampbook.notifications.words import channel_words, kind_words
from stampbook.shops.queries import load_shop
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import attempt

bp = PageBlueprint("notification_template_pages", __name__)

EDIT = "/shops/<int:shop_id>/notification-templates/<kind>/<channel>/<language>"


@bp.get("/shops/<int:shop_id>/notification-templates")
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
def templates(shop_id: int) -> str:
    shop = load_shop(me(), shop_id, NotificationAction.TEMPLATES_MANAGE)
    found = services.templates(me(), shop_id)
    return render_template(
        "notifications/templates.html",
        shop=shop,
        templates=found,
        kind_words=kind_words,
        channel_words=channel_words,
        languages=LANGUAGES,
        marketing={name for name, kind in KINDS.items() if kind.marketing},
    )


def _editor(
    shop_id: int,
    kind: str,
    channel: str,
    language: str,
    *,
    subject: str | None = None,
    body: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = me()
    current = services.template(actor, shop_id, kind, channel, language)
    shop = load_shop(actor, shop_id, NotificationAction.TEMPLATES_MANAGE)
    subject = current["subject"] if subject is None else subject
    body = current["body"] if body is None else body
    preview = attempt(
        lambda: services.preview(
            actor,
            shop_id,
            kind_name=kind,
            channel=channel,
            language=language,
            subject=subject,
            body=body,
        )
    )
    return render_template(
        "notifications/template_edit.html",
        shop=shop,
        template=current,
        subject=subject,
        body=body,
        error=error,
        preview=None if isinstance(preview, AppError) else preview,
        preview_error=preview.detail if isinstance(preview, AppError) else None,
        kind_label=kind_words(kind),
        channel_label=channel_words(channel),
        language_label=LANGUAGES[language],
        form=ActionForm(),
    ), status


@bp.route(EDIT, methods=["GET", "POST"])
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
def edit_template(
    shop_id: int, kind: str, channel: str, language: str
) -> Response | tuple[str, int]:
    if request.method == "GET":
        return _editor(shop_id, kind, channel, language)
    subject = request.form.get("subject", "").strip()
    body = request.form.get("body", "").strip()
    if request.form.get("reset"):
        services.reset_template(me(), shop_id, kind, channel, language)
        flash(_("The default words are back."), "success")
        return redirect(
            url_for(
                ".edit_template", shop_id=shop_id, kind=kind, channel=channel, language=language
            ),
            303,
        )
    if request.form.get("preview"):
        return _editor(shop_id, kind, channel, language, subject=subject, body=body)
    if not subject or not body:
        return _editor(
            shop_id,
            kind,
            channel,
            language,
            subject=subject,
            body=body,
            error=_("Write a subject and a body."),
            status=422,
        )
    result = attempt(
        lambda: services.save_template(
            me(),
            shop_id,
            kind_name=kind,
            channel=channel,
            language=language,
            subject=subject,
            body=body,
        )
    )
    if isinstance(result, AppError):
        return _editor(
            shop_id,
            kind,
            channel,
            language,
            subject=subject,
            body=body,
            error=result.detail,
            status=result.status,
        )
    flash(_("The template is saved."), "success")
    return redirect(url_for(".templates", shop_id=shop_id), 303)


@bp.post(EDIT + "/preview")
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
def preview_template(shop_id: int, kind: str, channel: str, language: str) -> tuple[str, int]:
    """The preview alone (the editor's script swaps it in as the person types)."""
    load_shop(me(), shop_id, NotificationAction.TEMPLATES_MANAGE)  # 403/404 before any words
    result = attempt(
        lambda: services.preview(
            me(),
            shop_id,
            kind_name=kind,
            channel=channel,
            language=language,
            subject=request.form.get("subject", ""),
            body=request.form.get("body", ""),
        )
    )
    failed = isinstance(result, AppError)
    return render_template(
        "notifications/_preview.html",
        preview=None if failed else result,
        preview_error=result.detail if isinstance(result, AppError) else None,
    ), 200
