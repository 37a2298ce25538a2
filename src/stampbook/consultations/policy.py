"""Who sees a shop's hosts and their slots, who sets hosts up, who books, and who sees and
changes a booking.

- Hosts: whoever sees the shop sees its verified, available hosts and their free slots; a
  host pending verification, rejected or unavailable only the shop's team and the host's own
  user. The shop's creator and managers add, change, verify and remove hosts.
- Booking: any signed-in user who sees a bookable host (the service refuses one that is not:
  ``host_not_bookable``).
- A booking is seen by its member, the host's user and the shop's team; its **notes** only by
  the member and the host's user (the team's others never: they are private), and written by
  the host's user alone. The member cancels (until the host's deadline: the service says
  ``cancel_deadline_passed``) and rates it once completed; the host's user and the shop's
  staff (the team but its viewers) cancel at any time, mark it completed or a no-show, and
  record its payment status. Paying online (``consultation.pay``) is the member's alone: the
  host and the team record payments by hand.
"""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.consultations.models import Booking, Host, HostVerification
from stampbook.core.db import db
from stampbook.core.policy import Decision, gone_when, in_shop, rule
from stampbook.shops.models import Shop, ShopRoleType
from stampbook.shops.policy import may_see_shop, team_member


class HostAction(StrEnum):
    VIEW = "consultation_host.view"  # a host's profile and free slots
    CREATE = "consultation_host.create"  # on the shop
    MANAGE = "consultation_host.manage"  # change, verify, remove a host
    BOOK = "consultation.book"  # on the host
    BOOKINGS = "consultation_host.bookings"  # the host's bookings: its user and the staff


class BookingAction(StrEnum):
    VIEW = "consultation.view"
    CANCEL = "consultation.cancel"
    CLOSE = "consultation.close"  # completed, no-show, payment status
    NOTES_VIEW = "consultation.notes_view"
    NOTES_WRITE = "consultation.notes_write"
    RATE = "consultation.rate"
    PAY = "consultation.pay"  # online, by its own member only


def shop_of(thing: Host | Booking) -> Shop:
    shop = db.session.get(Shop, thing.shop_id)
    assert shop is not None  # a foreign key guarantees it
    return shop


def host_of(booking: Booking) -> Host:
    host = db.session.get(Host, booking.host_id)
    assert host is not None
    return host


def is_manager(actor: User | None, shop: Shop) -> bool:
    member = team_member(actor, shop)
    return member is not None and member.is_manager


def is_staff(actor: User | None, shop: Shop) -> bool:
    """The shop's team but its viewers (who only look)."""
    member = team_member(actor, shop)
    return member is not None and member.role_type != ShopRoleType.VIEWER


def is_host(actor: User | None, host: Host) -> bool:
    return actor is not None and host.user_id == actor.id


def may_see_host(actor: User | None, host: Host) -> bool:
    shop = shop_of(host)
    if not may_see_shop(actor, shop):
        return False
    listed = host.is_available and host.verification_status == HostVerification.VERIFIED
    return listed or is_host(actor, host) or team_member(actor, shop) is not None


gone_when(Host, lambda host: host.deleted_at is not None)
in_shop(Host, lambda host: host.shop_id)
in_shop(Booking, lambda booking: booking.shop_id)


@rule(HostAction.VIEW)
def view_host(actor: User | None, host: Host) -> Decision:
    return Decision.ALLOW if may_see_host(actor, host) else Decision.HIDDEN


@rule(HostAction.CREATE)
def create_host(actor: User | None, shop: Shop) -> Decision:
    if not may_see_shop(actor, shop):
        return Decision.HIDDEN
    return Decision.ALLOW if is_manager(actor, shop) else Decision.DENY


@rule(HostAction.MANAGE)
def manage_host(actor: User | None, host: Host) -> Decision:
    if not may_see_host(actor, host):
        return Decision.HIDDEN
    return Decision.ALLOW if is_manager(actor, shop_of(host)) else Decision.DENY


@rule(HostAction.BOOK)
def book(actor: User | None, host: Host) -> Decision:
    if not may_see_host(actor, host):
        return Decision.HIDDEN
    return Decision.ALLOW if actor is not None else Decision.DENY


@rule(HostAction.BOOKINGS)
def host_bookings(actor: User | None, host: Host) -> Decision:
    if not may_see_host(actor, host):
        return Decision.HIDDEN
    allowed = is_host(actor, host) or is_staff(actor, shop_of(host))
    return Decision.ALLOW if allowed else Decision.DENY


def _party(actor: User | None, booking: Booking) -> bool:
    """The booking's member or the host's user."""
    return actor is not None and (booking.user_id == actor.id or is_host(actor, host_of(booking)))


def _seen(actor: User | None, booking: Booking) -> bool:
    return _party(actor, booking) or team_member(actor, shop_of(booking)) is not None


def _seen_then(actor: User | None, booking: Booking, allowed: bool) -> Decision:
    if not _seen(actor, booking):
        return Decision.HIDDEN
    return Decision.ALLOW if allowed else Decision.DENY


@rule(BookingAction.VIEW)
def view_booking(actor: User | None, booking: Booking) -> Decision:
    return _seen_then(actor, booking, True)


@rule(BookingAction.CANCEL)
def cancel_booking(actor: User | None, booking: Booking) -> Decision:
    return _seen_then(actor, booking, _party(actor, booking) or is_staff(actor, shop_of(booking)))


@rule(BookingAction.CLOSE)
def close_booking(actor: User | None, booking: Booking) -> Decision:
    allowed = is_host(actor, host_of(booking)) or is_staff(actor, shop_of(booking))
    return _seen_then(actor, booking, allowed)


@rule(BookingAction.NOTES_VIEW)
def view_notes(actor: User | None, booking: Booking) -> Decision:
    """Private to the host and the member: the team's others do not see them."""
    return _seen_then(actor, booking, _party(actor, booking))


@rule(BookingAction.NOTES_WRITE)
def write_notes(actor: User | None, booking: Booking) -> Decision:
    return _seen_then(actor, booking, is_host(actor, host_of(booking)))


@rule(BookingAction.RATE)
def rate_booking(actor: User | None, booking: Booking) -> Decision:
    return _seen_then(actor, booking, actor is not None and booking.user_id == actor.id)


@rule(BookingAction.PAY)
def pay_booking(actor: User | None, booking: Booking) -> Decision:
    """Its member pays online; the host and the team see it but record payments by hand."""
    return _seen_then(actor, booking, actor is not None and booking.user_id == actor.id)
