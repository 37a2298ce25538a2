"""Reads of notifications: a user's centre, the header's count, their preferences, a shop's
templates."""

from __future__ import annotations

from collections.abc import Sequence

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy import func, select

from stampbook.accounts.models import User
from stampbook.core.db import cached_read, db
from stampbook.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from stampbook.core.pagination import newest_first
from stampbook.notifications import choices
from stampbook.notifications.kinds import KINDS, Channel
from stampbook.notifications.models import MarketingConsent, Notification
from stampbook.notifications.overrides import shops_templates
from stampbook.notifications.rendering import TemplateRefused, default_template, render
from stampbook.notifications.schemas import (
    ConsentOut,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    PreferenceOut,
    PreferencesOut,
)
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops.models import InvitationStatus, Shop, ShopInvitation
from stampbook.shops.policy import invited_clause


def unread_count(user_id: int) -> int:
    found = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )
    return int(found or 0)


def header_counts(user: User) -> int:
    """The unread notifications of the header's badge, in one query with the pending
    invitations, whose count it leaves for the invitations' badge to read
    (``shops.queries.pending_invitation_count``)."""

    def read() -> tuple[int, int]:
        unread = (
            select(func.count(Notification.id))
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .scalar_subquery()
        )
        invited = (
            select(func.count(ShopInvitation.id))
            .where(invited_clause(user), ShopInvitation.status == InvitationStatus.PENDING)
            .scalar_subquery()
        )
        row = db.session.execute(select(unread, invited)).one()
        return int(row[0] or 0), int(row[1] or 0)

    unread, invited = cached_read(("notification_header", user.id), read)
    cached_read(("pending_invitations", user.id), lambda: invited)
    return unread


def reader_language() -> str:
    """The language of the request (English without one, in a job)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    found = str(get_locale() or DEFAULT_LANGUAGE)
    return found if found in LANGUAGES else DEFAULT_LANGUAGE


def said(notifications: Sequence[Notification]) -> list[NotificationOut]:
    """The notices in the reader's language, said at display time from their values (the
    shop's own words if it has them); as they were written where that cannot be done."""
    language = reader_language()
    shops = {n.shop_id for n in notifications if n.shop_id is not None}
    own = shops_templates(shops, Channel.IN_APP, language)
    found = []
    for notification in notifications:
        out = NotificationOut.model_validate(notification, from_attributes=True)
        if notification.context and notification.kind in KINDS:
            template = own.get((notification.shop_id or 0, notification.kind)) or (
                default_template(notification.kind, Channel.IN_APP, language)
            )
            try:
                words = render(template, notification.context)
            except TemplateRefused:
                words = None  # values from before a template changed: the words as written
            if words is not None:
                out = out.model_copy(update={"title": words.subject, "body": words.text})
        found.append(out)
    return found


def my_notifications(actor: User, query: NotificationQuery) -> NotificationPage:
    statement = select(Notification).where(Notification.user_id == actor.id)
    if query.unread is True:
        statement = statement.where(Notification.read_at.is_(None))
    elif query.unread is False:
        statement = statement.where(Notification.read_at.is_not(None))
    items, next_cursor = newest_first(statement, Notification.id, query)
    return NotificationPage(
        items=said(items),
        next_cursor=next_cursor,
        unread_count=unread_count(actor.id),
    )


def consent_shops(user_id: int) -> list[tuple[int, str, bool]]:
    """(shop id, name, consents) for the shops whose programs the user is in, and any shop
    they consented to."""
    member_of = (
        select(Program.shop_id)
        .join(Membership, Membership.program_id == Program.id)
        .where(Membership.user_id == user_id, Membership.status == MembershipStatus.ACTIVE)
    )
    consented = select(MarketingConsent.shop_id).where(MarketingConsent.user_id == user_id)
    rows = db.session.execute(
        select(Shop.id, Shop.name)
        .where(Shop.deleted_at.is_(None), Shop.id.in_(member_of.union(consented)))
        .order_by(func.lower(Shop.name), Shop.id)
    ).all()
    agreed = set(db.session.scalars(consented).all())
    return [(shop_id, name, shop_id in agreed) for shop_id, name in rows]


def my_preferences(user: User) -> PreferencesOut:
    effective = choices.effective(user.id)
    return PreferencesOut(
        language=choices.language(user),
        preferences=[
            PreferenceOut(
                kind=name,
                channel=channel,
                enabled=on,
                marketing=KINDS[name].marketing,
            )
            for name, channels in effective.items()
            for channel, on in channels.items()
        ],
        consents=[
            ConsentOut(shop_id=shop_id, shop_name=name, consent=agreed)
            for shop_id, name, agreed in consent_shops(user.id)
        ],
    )
