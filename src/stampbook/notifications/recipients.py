"""Who receives each kind of notification, and the values its templates may use.

Each function takes the occurrence and answers its recipients: the user (whose email and
language the message takes), the shop it speaks for, the link to what it is about, and the
template values, plain strings and numbers only (the templates are rendered in a sandbox
with nothing else). Nobody is told of what they did themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.consultations.models import Booking, Host
from stampbook.core.db import db
from stampbook.core.outbox import Occurrence
from stampbook.core.zones import zone
from stampbook.events.models import Event, Registration
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.words import PointsNames
from stampbook.rewards.models import Redemption
from stampbook.shops.models import Role, Shop, ShopRoleType

Values = dict[str, str | int]


@dataclass(frozen=True)
class Recipient:
    user: User
    shop_id: int | None
    values: Values
    link: str | None = None
    # A points batch is per user and program.
    program_id: int | None = None
    points: int = 0


def path(endpoint: str, **values: Any) -> str:
    """The path of a page, with or without a request (jobs have none)."""
    built: str = current_app.url_map.bind("").build(endpoint, values)
    return built


def _user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return None if user is None or user.is_deleted else user


def _shop_name(shop_id: int | None) -> str:
    shop = db.session.get(Shop, shop_id) if shop_id is not None else None
    return shop.name if shop is not None else ""


def nobody(_occurrence: Occurrence) -> list[Recipient]:
    """For the security kinds, which no occurrence feeds."""
    return []


def _points_holder(occurrence: Occurrence, **more: str | int) -> Recipient | None:
    """The member whose points an occurrence counts (``amount`` and ``balance``), with the
    program's names for them; None for an unclaimed customer or a deleted account."""
    data = occurrence.payload
    user = _user(data["user_id"])
    program = db.session.get(Program, data["program_id"])
    if user is None or program is None:
        return None
    values: Values = {
        "user_name": user.name,
        "shop_name": _shop_name(occurrence.shop_id),
        "program_name": program.name,
        "amount": int(data["amount"]),
        "balance": int(data["balance"]),
        **more,
        **PointsNames.of(program).values(),
    }
    link = path("program_pages.program", program_id=program.id)
    return Recipient(user, occurrence.shop_id, values, link, program.id, int(data["amount"]))


def points_earner(occurrence: Occurrence) -> list[Recipient]:
    holder = _points_holder(occurrence)
    return [holder] if holder is not None else []


def tier_member(occurrence: Occurrence) -> list[Recipient]:
    """The member who reached a VIP tier (rose, or raised by the team); a fall is not told."""
    data = occurrence.payload
    if data["cause"] not in ("rose", "raised") or not data["tier_name"]:
        return []
    user = _user(data["user_id"])
    program = db.session.get(Program, data["program_id"])
    if user is None or program is None:
        return []
    values: Values = {
        "user_name": user.name,
        "shop_name": _shop_name(occurrence.shop_id),
        "program_name": program.name,
        "tier_name": str(data["tier_name"]),
    }
    link = path("program_pages.program", program_id=program.id)
    return [Recipient(user, occurrence.shop_id, values, link)]


def referral_advocate(occurrence: Occurrence) -> list[Recipient]:
    """The advocate whose friend joined or first bought through their referral."""
    data = occurrence.payload
    user = _user(data["user_id"])
    program = db.session.get(Program, data["program_id"])
    friend = db.session.get(Membership, data["friend_membership_id"])
    if user is None or program is None:
        return []
    friend_user = _user(friend.user_id) if friend is not None else None
    values: Values = {
        "user_name": user.name,
        "shop_name": _shop_name(occurrence.shop_id),
        "program_name": program.name,
        "friend_name": friend_user.name if friend_user is not None else "",
        "trigger": str(data["trigger"]),
        "amount": int(data["advocate_points"]),
        **PointsNames.of(program).values(),
    }
    link = path("referral_pages.member", program_id=program.id)
    return [Recipient(user, occurrence.shop_id, values, link)]


def consultation_parties(occurrence: Occurrence) -> list[Recipient]:
    """A consultation's member and host's account, but whoever booked or cancelled it (the
    shop's staff cancelling tells both). ``role`` says which side the recipient is on;
    ``when`` is the start in the host's zone."""
    data = occurrence.payload
    booking = db.session.get(Booking, data["booking_id"])
    host = db.session.get(Host, data["host_id"])
    member = _user(data["user_id"])
    if booking is None or host is None or member is None:
        return []
    local = booking.starts_at.astimezone(zone(host.time_zone))
    common: Values = {
        "shop_name": _shop_name(occurrence.shop_id),
        "professional_name": host.professional_name,
        "member_name": member.name,
        "when": f"{local:%Y-%m-%d %H:%M} ({host.time_zone})",
    }
    link = path("consultation_pages.booking", booking_id=booking.id)
    found = []
    for user_id, role in ((data["user_id"], "member"), (data["host_user_id"], "host")):
        user = _user(user_id)
        if user is None or user_id == data["actor_id"]:
            continue
        values: Values = {**common, "user_name": user.name, "role": role}
        found.append(Recipient(user, occurrence.shop_id, values, link))
    return found


def _event_registrant(occurrence: Occurrence, promoted: bool) -> list[Recipient]:
    """The person with a seat at an event (``promoted``: one that came from the waiting
    list), linked to their ticket; ``when`` is the start in the shop's zone, ``hold_until``
    when an unpaid seat is released (empty for a free or paid one). The ticket's code is a
    secret: only its registration's id is kept, and the email's enclosure looks it up when
    the message is built (``enclosures.ticket``)."""
    data = occurrence.payload
    if data["status"] != "registered" or bool(data.get("promoted")) != promoted:
        return []
    registration = db.session.get(Registration, data["registration_id"])
    event = db.session.get(Event, data["event_id"])
    shop = db.session.get(Shop, occurrence.shop_id) if occurrence.shop_id else None
    user = _user(data["user_id"])
    if registration is None or event is None or shop is None or user is None:
        return []

    def local(moment: Any) -> str:
        return f"{moment.astimezone(zone(shop.time_zone)):%Y-%m-%d %H:%M} ({shop.time_zone})"

    values: Values = {
        "user_name": user.name,
        "shop_name": shop.name,
        "event_title": event.title,
        "when": local(event.starts_at),
        "hold_until": local(registration.hold_expires_at) if registration.hold_expires_at else "",
        "registration_id": registration.id,
    }
    link = path("event_pages.ticket", registration_id=registration.id)
    return [Recipient(user, occurrence.shop_id, values, link)]


def payer(occurrence: Occurrence) -> list[Recipient]:
    """Whoever paid for a seat or a consultation (``payment.received``), linked to their
    ticket or consultation; ``paid_for`` is the event's title or the host's name."""
    data = occurrence.payload
    user = _user(data["user_id"])
    if user is None:
        return []
    if data["kind"] == "booking":
        host = db.session.get(Host, data["host_id"])
        paid_for = host.professional_name if host is not None else ""
        link = path("consultation_pages.booking", booking_id=data["booking_id"])
    else:
        event = db.session.get(Event, data["event_id"])
        paid_for = event.title if event is not None else ""
        link = path("event_pages.ticket", registration_id=data["registration_id"])
    values: Values = {
        "user_name": user.name,
        "shop_name": _shop_name(occurrence.shop_id),
        "kind": str(data["kind"]),
        "paid_for": paid_for,
        "amount": str(data["amount"]),
        "currency": str(data["currency"]),
    }
    return [Recipient(user, occurrence.shop_id, values, link)]


def event_registrant(occurrence: Occurrence) -> list[Recipient]:
    return _event_registrant(occurrence, promoted=False)


def event_promoted(occurrence: Occurrence) -> list[Recipient]:
    return _event_registrant(occurrence, promoted=True)


def _expiring(occurrence: Occurrence, stage: str) -> list[Recipient]:
    if occurrence.payload["stage"] != stage:
        return []
    holder = _points_holder(occurrence, expires_on=str(occurrence.payload["expires_at"])[:10])
    return [holder] if holder is not None else []


def points_expiring(occurrence: Occurrence) -> list[Recipient]:
    """The member whose points expire in a few weeks (the first reminder)."""
    return _expiring(occurrence, "warning")


def points_last_chance(occurrence: Occurrence) -> list[Recipient]:
    """The member whose points expire in a few days (the last reminder)."""
    return _expiring(occurrence, "last_chance")


def _receipt(occurrence: Occurrence, **more: str | int) -> list[Recipient]:
    data = occurrence.payload
    user = _user(data["user_id"])
    redemption = db.session.get(Redemption, data["redemption_id"])
    if user is None or redemption is None:
        return []
    values: Values = {
        "user_name": user.name,
        "shop_name": _shop_name(occurrence.shop_id),
        "reward_name": str(redemption.reward_content.get("name", "")),
        "receipt_number": redemption.id,
        **more,
    }
    link = path("receipt_pages.receipt", redemption_id=redemption.id)
    return [Recipient(user, occurrence.shop_id, values, link)]


def receipt_holder(occurrence: Occurrence) -> list[Recipient]:
    data = occurrence.payload
    return _receipt(
        occurrence,
        quantity=int(data["quantity"]),
        amount=int(data["points"]),
        **_paying_program_names(data["redemption_id"]),
    )


def _paying_program_names(redemption_id: int) -> dict[str, str]:
    """The names of the points of the program whose points paid for the receipt."""
    redemption = db.session.get(Redemption, redemption_id)
    membership = (
        db.session.get(Membership, redemption.paid_by_membership_id) if redemption else None
    )
    program = db.session.get(Program, membership.program_id) if membership else None
    return PointsNames.of(program).values()


def cancelled_receipt_holder(occurrence: Occurrence) -> list[Recipient]:
    data = occurrence.payload
    if data.get("cancelled_by") == data["user_id"]:
        return []  # they cancelled it themselves
    return _receipt(occurrence, reason=str(data["reason"]))


def asked_buddy(occurrence: Occurrence) -> list[Recipient]:
    data = occurrence.payload
    user, requester = _user(data["recipient_id"]), _user(data["requester_id"])
    if user is None or requester is None:
        return []
    values: Values = {"user_name": user.name, "requester_name": requester.name}
    return [Recipient(user, None, values, path("people_pages.buddies"))]


def message_recipient(occurrence: Occurrence) -> list[Recipient]:
    data = occurrence.payload
    user, sender = _user(data["recipient_id"]), _user(data["sender_id"])
    if user is None or sender is None:
        return []
    values: Values = {"user_name": user.name, "sender_name": sender.name}
    link = path("message_pages.conversation", user_id=sender.id)
    return [Recipient(user, None, values, link)]


def shop_managers(occurrence: Occurrence) -> list[Recipient]:
    """The shop's creator and managers (a webhook endpoint of the shop stopped)."""
    shop = db.session.get(Shop, occurrence.shop_id) if occurrence.shop_id else None
    if shop is None or shop.is_deleted:
        return []
    managers = db.session.scalars(
        select(Role.user_id).where(Role.shop_id == shop.id, Role.role_type == ShopRoleType.MANAGER)
    ).all()
    data = occurrence.payload
    found = []
    for user_id in sorted({shop.created_by, *managers}):
        user = _user(user_id)
        if user is not None:
            values: Values = {
                "user_name": user.name,
                "shop_name": shop.name,
                "url": str(data["url"]),
                "reason": str(data["reason"]),
            }
            found.append(Recipient(user, shop.id, values, path("shop_pages.shop", shop_id=shop.id)))
    return found


EXCERPT = 200


def program_members(occurrence: Occurrence) -> list[Recipient]:
    """The program's active members but the author (a post the shop's team published)."""
    data = occurrence.payload
    program = db.session.get(Program, data["program_id"])
    author = _user(data["author_id"])
    if program is None or author is None:
        return []
    users = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.program_id == program.id,
            Membership.status == MembershipStatus.ACTIVE,
            User.id != author.id,
            User.deleted_at.is_(None),
        )
        .order_by(User.id)
    ).all()
    body = str(data["excerpt"])
    excerpt = body if len(body) <= EXCERPT else body[: EXCERPT - 1] + "…"
    shop_name = _shop_name(occurrence.shop_id)
    link = path("post_pages.post", post_id=data["post_id"])
    return [
        Recipient(
            user,
            occurrence.shop_id,
            {
                "user_name": user.name,
                "shop_name": shop_name,
                "program_name": program.name,
                "author_name": author.name,
                "excerpt": excerpt,
            },
            link,
        )
        for user in users
    ]
