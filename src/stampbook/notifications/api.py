"""Notifications API: my notification centre, my preferences, a shop's templates."""

from __future__ import annotations

from stampbook.accounts.auth import me
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.notifications import queries, services
from stampbook.notifications.channels import email
from stampbook.notifications.policy import NotificationAction
from stampbook.notifications.schemas import (
    MarkedOut,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    PreferencesIn,
    PreferencesOut,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateList,
    TemplateOut,
)
from stampbook.shops.queries import load_shop

bp = ApiBlueprint("notifications", __name__, url_prefix="/api/v1", tag="Notifications")
# The mail channel reads its settings from the app that registers the routes (and the worker's).
bp.record_once(lambda state: email.init_app(state.app))  # type: ignore[arg-type]


# --- My notification centre -------------------------------------------------------------------


@bp.get("/notifications")
@route(Access.USER)
@bp.input(NotificationQuery, location="query", arg_name="query")
@bp.output(NotificationPage)
@bp.doc(summary="My notifications, newest first, with my unread count")
def list_notifications(query: NotificationQuery) -> NotificationPage:
    return queries.my_notifications(me(), query)


@bp.post("/notifications/<int:notification_id>/read")
@route(Access.USER, action=NotificationAction.NOTIFICATION_READ)
@bp.output(NotificationOut)
@bp.doc(summary="Mark one of my notifications read", responses=[404])
def read_notification(notification_id: int) -> NotificationOut:
    return queries.said([services.mark_read(me(), notification_id)])[0]


@bp.post("/notifications/read-all")
@route(Access.USER)
@bp.output(MarkedOut)
@bp.doc(summary="Mark all my notifications read")
def read_all_notifications() -> MarkedOut:
    return MarkedOut(marked=services.mark_all_read(me()))


# --- My preferences ---------------------------------------------------------------------------


@bp.get("/users/me/notification-preferences")
@route(Access.USER)
@bp.output(PreferencesOut)
@bp.doc(summary="Which notifications reach me on which channel; shops' news I accept")
def get_notification_preferences() -> PreferencesOut:
    return queries.my_preferences(me())


@bp.put("/users/me/notification-preferences")
@route(Access.USER)
@bp.input(PreferencesIn, arg_name="body")
@bp.output(PreferencesOut)
@bp.doc(
    summary="Change which notifications reach me; accept or refuse shops' news",
    description=(
        "Only the kinds and channels listed change; all or nothing. A channel a kind is not "
        "sent on is 409 `channel_not_offered`; a shop I cannot see is 404."
    ),
    responses=[404, 409],
)
def update_notification_preferences(body: PreferencesIn) -> PreferencesOut:
    actor = me()
    services.update_preferences(
        actor,
        preferences=[(str(p.kind), str(p.channel), p.enabled) for p in body.preferences],
        consents=[(c.shop_id, c.consent) for c in body.consents],
        language=str(body.language) if body.language is not None else None,
    )
    return queries.my_preferences(actor)


# --- A shop's templates -----------------------------------------------------------------------

TEMPLATE = "/shops/<int:shop_id>/notification-templates/<kind>/<channel>/<language>"


@bp.get("/shops/<int:shop_id>/notification-templates")
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
@bp.output(TemplateList)
@bp.doc(
    summary="The shop's notification templates: its own words, else the defaults",
    responses=[403, 404],
)
def list_notification_templates(shop_id: int) -> TemplateList:
    found = services.templates(me(), shop_id)
    return TemplateList(items=[TemplateOut(**t) for t in found])


@bp.get(TEMPLATE)
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
@bp.output(TemplateOut)
@bp.doc(summary="One template of the shop", responses=[403, 404])
def get_notification_template(shop_id: int, kind: str, channel: str, language: str) -> TemplateOut:
    return TemplateOut(**services.template(me(), shop_id, kind, channel, language))


@bp.put(TEMPLATE)
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
@bp.input(TemplateIn, arg_name="body")
@bp.output(TemplateOut)
@bp.doc(
    summary="Write the shop's own words for a kind, channel and language",
    description=(
        "Rendered in a sandbox with the kind's values (`names`). Refused, and nothing saved: "
        "a template that does not compile (409 `template_invalid`), that reaches for what "
        "the sandbox forbids (409 `template_unsafe`), that names an unknown value (409 "
        "`template_unknown_name`)."
    ),
    responses=[403, 404, 409],
)
def put_notification_template(
    shop_id: int, kind: str, channel: str, language: str, body: TemplateIn
) -> TemplateOut:
    actor = me()
    services.save_template(
        actor,
        shop_id,
        kind_name=kind,
        channel=channel,
        language=language,
        subject=body.subject,
        body=body.body,
    )
    return TemplateOut(**services.template(actor, shop_id, kind, channel, language))


@bp.delete(TEMPLATE)
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
@bp.output({}, status_code=204)
@bp.doc(summary="Back to the default words", responses=[403, 404])
def delete_notification_template(
    shop_id: int, kind: str, channel: str, language: str
) -> tuple[str, int]:
    services.reset_template(me(), shop_id, kind, channel, language)
    return "", 204


@bp.post("/shops/<int:shop_id>/notification-templates/preview")
@route(Access.USER, action=NotificationAction.TEMPLATES_MANAGE, subject=load_shop)
@bp.input(PreviewIn, arg_name="body")
@bp.output(PreviewOut)
@bp.doc(
    summary="A template rendered with sample values, as the shop's page previews it",
    description="Refused as a saved template is (409 `template_invalid`, ...).",
    responses=[403, 404, 409],
)
def preview_notification_template(shop_id: int, body: PreviewIn) -> PreviewOut:
    words, html = services.preview(
        me(),
        shop_id,
        kind_name=str(body.kind),
        channel=str(body.channel),
        language=str(body.language),
        subject=body.subject,
        body=body.body,
    )
    return PreviewOut(subject=words.subject, text=words.text, html=html)
