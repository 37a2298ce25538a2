"""Notifications use cases: reading the centre, preferences and consent, unsubscribing,
shops' templates. Services never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import AppError, NotFound
from stampbook.core.i18n import LANGUAGES
from stampbook.notifications import links, rendering
from stampbook.notifications.kinds import KINDS, Channel, Kind
from stampbook.notifications.models import (
    MarketingConsent,
    Notification,
    Preference,
    TemplateOverride,
)
from stampbook.notifications.overrides import find, template_for
from stampbook.notifications.policy import NotificationAction
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopAction
from stampbook.shops.queries import load_shop


class NotOffered(AppError):
    status, code = 409, "channel_not_offered"


# --- The centre -------------------------------------------------------------------------------


def mark_read(actor: User, notification_id: int, *, now: datetime | None = None) -> Notification:
    """Mark one of the actor's notifications read (anyone else's is 404, admins' too)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != actor.id:
        raise NotFound(thing="notification")
    if notification.read_at is None:
        notification.read_at = now or clock.now()
        db.session.flush()
    return notification


def mark_all_read(actor: User, *, now: datetime | None = None) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=now or clock.now()),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- Preferences and consent ------------------------------------------------------------------


def update_preferences(
    actor: User,
    *,
    preferences: list[tuple[str, str, bool]],
    consents: list[tuple[int, bool]],
    language: str | None = None,
) -> None:
    """Save the actor's choices, all or none: a channel a kind is not sent on is refused."""
    for kind_name, channel, _enabled in preferences:
        kind = KINDS.get(kind_name)
        if kind is None:
            raise NotFound(thing="notification_kind")
        if Channel(channel) not in kind.channels:
            raise NotOffered(kind=kind_name, channel=channel)
    for kind_name, channel, enabled in preferences:
        found = db.session.scalars(
            select(Preference).where(
                Preference.user_id == actor.id,
                Preference.kind == kind_name,
                Preference.channel == channel,
            )
        ).first()
        if found is None:
            db.session.add(
                Preference(user_id=actor.id, kind=kind_name, channel=channel, enabled=enabled)
            )
        else:
            found.enabled = enabled
    for shop_id, consent in consents:
        if consent:
            give_consent(actor, shop_id)
        else:
            withdraw_consent(actor.id, shop_id)
    if language is not None:
        actor.language = language
    db.session.flush()


def give_consent(actor: User, shop_id: int, *, now: datetime | None = None) -> None:
    load_shop(actor, shop_id, ShopAction.SHOP_VIEW)
    exists = db.session.scalars(
        select(MarketingConsent.id).where(
            MarketingConsent.user_id == actor.id, MarketingConsent.shop_id == shop_id
        )
    ).first()
    if exists is None:
        db.session.add(
            MarketingConsent(user_id=actor.id, shop_id=shop_id, granted_at=now or clock.now())
        )
        db.session.flush()


def withdraw_consent(user_id: int, shop_id: int) -> bool:
    result = db.session.execute(
        delete(MarketingConsent).where(
            MarketingConsent.user_id == user_id, MarketingConsent.shop_id == shop_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def unsubscribe(token: str) -> links.Unsubscribe:
    """The one-click unsubscribe of a marketing email: no sign-in, the signed token is the
    proof. Withdrawing twice is fine; a bad token is refused."""
    said = links.read_unsubscribe_token(token)
    if said is None:
        raise AppError(code="unsubscribe_link_invalid")
    withdraw_consent(said.user_id, said.shop_id)
    return said


def unsubscribe_shop_name(said: links.Unsubscribe) -> str:
    shop = db.session.get(Shop, said.shop_id)
    return shop.name if shop is not None else ""


# --- Shops' templates -------------------------------------------------------------------------


def _kind(kind_name: str, channel: str, language: str) -> Kind:
    kind = KINDS.get(kind_name)
    if kind is None or channel not in {str(c) for c in kind.channels} or language not in LANGUAGES:
        raise NotFound(thing="notification_template")
    return kind


def templates(actor: User, shop_id: int) -> list[dict[str, Any]]:
    """Every kind, channel and language of the shop: its words and whether they are its own."""
    shop = load_shop(actor, shop_id, NotificationAction.TEMPLATES_MANAGE)
    own = {
        (t.kind, t.channel, t.language): t
        for t in db.session.scalars(
            select(TemplateOverride).where(TemplateOverride.shop_id == shop.id)
        )
    }
    found = []
    for kind in KINDS.values():
        for channel in kind.channels:
            for language in LANGUAGES:
                words = template_for(shop.id, kind.name, channel, language)
                found.append(
                    {
                        "kind": kind.name,
                        "channel": str(channel),
                        "language": language,
                        "subject": words.subject,
                        "body": words.body,
                        "overridden": (kind.name, channel, language) in own,
                        "names": sorted(kind.sample),
                    }
                )
    return found


def template(
    actor: User, shop_id: int, kind_name: str, channel: str, language: str
) -> dict[str, Any]:
    kind = _kind(kind_name, channel, language)
    shop = load_shop(actor, shop_id, NotificationAction.TEMPLATES_MANAGE)
    words = template_for(shop.id, kind.name, channel, language)
    return {
        "kind": kind.name,
        "channel": channel,
        "language": language,
        "subject": words.subject,
        "body": words.body,
        "overridden": find(shop.id, kind.name, channel, language) is not None,
        "names": sorted(kind.sample),
    }


def preview(
    actor: User | None,
    shop_id: int,
    *,
    kind_name: str,
    channel: str,
    language: str,
    subject: str,
    body: str,
) -> tuple[rendering.Rendered, str | None]:
    """The words rendered with the kind's sample values (and the email's HTML), or the
    reason they are refused."""
    kind = _kind(kind_name, channel, language)
    load_shop(actor, shop_id, NotificationAction.TEMPLATES_MANAGE)
    words = rendering.check(rendering.Template(subject, body, language), kind.sample)
    html = rendering.html(words.text, None) if channel == Channel.EMAIL else None
    return words, html


def save_template(
    actor: User,
    shop_id: int,
    *,
    kind_name: str,
    channel: str,
    language: str,
    subject: str,
    body: str,
    now: datetime | None = None,
) -> TemplateOverride:
    """The shop's own words, checked first: nothing is saved for a refused template."""
    kind = _kind(kind_name, channel, language)
    shop = load_shop(actor, shop_id, NotificationAction.TEMPLATES_MANAGE)
    rendering.check(rendering.Template(subject, body, language), kind.sample)
    own = find(shop.id, kind.name, channel, language)
    if own is None:
        own = TemplateOverride(shop_id=shop.id, kind=kind.name, channel=channel, language=language)
        db.session.add(own)
    own.subject, own.body = subject, body
    own.updated_at, own.updated_by = now or clock.now(), actor.id
    db.session.flush()
    return own


def reset_template(actor: User, shop_id: int, kind_name: str, channel: str, language: str) -> None:
    """Back to the default words."""
    kind = _kind(kind_name, channel, language)
    shop = load_shop(actor, shop_id, NotificationAction.TEMPLATES_MANAGE)
    own = find(shop.id, kind.name, channel, language)
    if own is not None:
        db.session.delete(own)
        db.session.flush()
