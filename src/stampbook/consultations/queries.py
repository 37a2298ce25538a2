"""Reads of the consultations domain: loaders that check the policy, a host's schedule as
the rules take it, the slots its bookings hold, lists of bookings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from stampbook.accounts.models import User
from stampbook.consultations import rules
from stampbook.consultations.models import Booking, ConsultationStatus, Host, HostVerification
from stampbook.consultations.policy import BookingAction, HostAction, may_see_host
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.policy import require
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops.models import Role, Shop
from stampbook.shops.policy import team_member

LIST_LIMIT = 200


def load_host(actor: User | None, host_id: int, action: str = HostAction.VIEW) -> Host:
    host = db.session.get(Host, host_id)
    if host is None:
        raise NotFound(thing="host")
    require(actor, action, host)
    return host


def load_booking(actor: User | None, booking_id: int, action: str = BookingAction.VIEW) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(thing="booking")
    require(actor, action, booking)
    return booking


def schedule_of(host: Host) -> rules.Schedule:
    return rules.Schedule(
        zone=host.time_zone,
        ranges=rules.weekly_ranges(host.weekly_hours or []),
        slot_minutes=host.slot_minutes,
        buffer_minutes=host.buffer_minutes,
        days_off=frozenset(date.fromisoformat(str(day)) for day in host.days_off or []),
    )


def taken(host_id: int, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The intervals of the host's bookings that hold their slot and touch the window."""
    rows = db.session.execute(
        select(Booking.starts_at, Booking.ends_at).where(
            Booking.host_id == host_id,
            Booking.status != ConsultationStatus.CANCELLED,
            Booking.starts_at < until,
            Booking.ends_at > since,
        )
    )
    return [(start, end) for start, end in rows]


def free_slots(host: Host, since: datetime, until: datetime) -> list[rules.Slot]:
    candidates = rules.slots(schedule_of(host), since, until)
    return rules.free(candidates, taken(host.id, since, until))


def shop_hosts(actor: User | None, shop: Shop) -> list[Host]:
    """The shop's hosts the actor sees: verified and available ones; the team sees all."""
    query = select(Host).where(Host.shop_id == shop.id, Host.deleted_at.is_(None))
    if team_member(actor, shop) is None and not (actor is not None and actor.is_admin):
        hosts = db.session.scalars(query.order_by(Host.id).limit(LIST_LIMIT))
        return [host for host in hosts if may_see_host(actor, host)]
    return list(db.session.scalars(query.order_by(Host.id).limit(LIST_LIMIT)))


def ratings(host_ids: Sequence[int]) -> dict[int, tuple[str | None, int]]:
    """Per host: the average rating of its rated sessions ("4.50", None without one) and
    how many sessions it completed. One grouped statement."""
    if not host_ids:
        return {}
    rows = db.session.execute(
        select(
            Booking.host_id,
            func.avg(Booking.user_feedback_rating),
            func.count().filter(Booking.status == ConsultationStatus.COMPLETED),
        )
        .where(Booking.host_id.in_(host_ids))
        .group_by(Booking.host_id)
    )
    found: dict[int, tuple[str | None, int]] = {}
    for host_id, average, completed in rows:
        text = None if average is None else f"{Decimal(str(average)):.2f}"
        found[int(host_id)] = (text, int(completed or 0))
    return found


def bookings(
    *,
    host_id: int | None = None,
    user_id: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Booking]:
    query = select(Booking)
    if host_id is not None:
        query = query.where(Booking.host_id == host_id)
    if user_id is not None:
        query = query.where(Booking.user_id == user_id)
    if status is not None:
        query = query.where(Booking.status == status)
    if since is not None:
        query = query.where(Booking.starts_at >= since)
    if until is not None:
        query = query.where(Booking.starts_at < until)
    return list(db.session.scalars(query.order_by(Booking.starts_at, Booking.id).limit(LIST_LIMIT)))


def host_names(host_ids: Sequence[int]) -> dict[int, str]:
    if not host_ids:
        return {}
    rows = db.session.execute(
        select(Host.id, Host.professional_name).where(Host.id.in_(set(host_ids)))
    )
    return {int(host_id): name for host_id, name in rows}


def user_names(user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(set(user_ids))))
    return {int(user_id): name for user_id, name in rows}


def hosts_near(user: User) -> list[Host]:
    """Listed hosts of the shops the user belongs to (a membership or the team)."""
    member_of = (
        select(Program.shop_id)
        .join(Membership, Membership.program_id == Program.id)
        .where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE)
    )
    team_of = select(Role.shop_id).where(Role.user_id == user.id)
    created = select(Shop.id).where(Shop.created_by == user.id)
    query = (
        select(Host)
        .join(Shop, Shop.id == Host.shop_id)
        .where(
            Shop.deleted_at.is_(None),
            Host.deleted_at.is_(None),
            Host.is_available.is_(True),
            Host.verification_status == HostVerification.VERIFIED,
            Host.shop_id.in_(member_of.union(team_of, created)),
        )
        .order_by(Host.shop_id, Host.id)
        .limit(50)
    )
    return list(db.session.scalars(query))
