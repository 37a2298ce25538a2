"""Who sees a shop's events, who sets them up (the shop's creator and managers), who
registers (anyone signed in who sees the event), and who works the door: the shop's team
members who may stamp (creator, managers, assistants) list registrations, check tickets in,
record payments and read the attendance report. A registration is seen and cancelled by its
own person and by the door team; nobody checks their own ticket in, except through the door
screen's signed code (self check-in: anyone signed in who sees the event, their own seat)."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, gone_when, in_shop, rule
from stampbook.events.models import Event, Registration
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopPermission, may_see_shop, team_member


class EventAction(StrEnum):
    VIEW = "event.view"  # on the shop (its list) or an event
    MANAGE = "event.manage"  # on the shop (create) or an event (change, delete)
    REGISTER = "event.register"  # on the event
    STAFF = "event.staff"  # the door: registrations, check-ins, payments, report
    SELF_CHECK_IN = "event.self_check_in"  # on the event: one's own seat, by the door's code
    REGISTRATION_VIEW = "registration.view"
    REGISTRATION_CANCEL = "registration.cancel"
    REGISTRATION_PAY = "registration.pay"  # online, by its own person only


def shop_of_event(event: Event) -> Shop:
    shop = db.session.get(Shop, event.shop_id)
    assert shop is not None  # a foreign key guarantees it
    return shop


def event_of(registration: Registration) -> Event:
    event = db.session.get(Event, registration.event_id)
    assert event is not None
    return event


def _shop(subject: Shop | Event) -> Shop:
    return subject if isinstance(subject, Shop) else shop_of_event(subject)


def is_manager(actor: User | None, shop: Shop) -> bool:
    member = team_member(actor, shop)
    return member is not None and member.is_manager


def is_door_team(actor: User | None, shop: Shop) -> bool:
    member = team_member(actor, shop)
    return member is not None and member.may(ShopPermission.STAMP)


def _sees(actor: User | None, subject: Shop | Event) -> bool:
    shop = _shop(subject)
    if not may_see_shop(actor, shop):
        return False
    if isinstance(subject, Event) and (not subject.is_active or subject.deleted_at is not None):
        return team_member(actor, shop) is not None  # a draft or deleted event: the team's
    return True


gone_when(Event, lambda event: event.deleted_at is not None)
in_shop(Event, lambda event: event.shop_id)
in_shop(Registration, lambda registration: event_of(registration).shop_id)


@rule(EventAction.VIEW)
def view_events(actor: User | None, subject: Shop | Event) -> Decision:
    return Decision.ALLOW if _sees(actor, subject) else Decision.HIDDEN


@rule(EventAction.MANAGE)
def manage_events(actor: User | None, subject: Shop | Event) -> Decision:
    if not _sees(actor, subject):
        return Decision.HIDDEN
    return Decision.ALLOW if is_manager(actor, _shop(subject)) else Decision.DENY


@rule(EventAction.REGISTER)
def register(actor: User | None, event: Event) -> Decision:
    if not _sees(actor, event):
        return Decision.HIDDEN
    return Decision.ALLOW if actor is not None else Decision.DENY


@rule(EventAction.SELF_CHECK_IN)
def self_check_in(actor: User | None, event: Event) -> Decision:
    """Anyone signed in who sees the event; the service finds their own seat, and the
    door's code (events.door) is the proof they are there."""
    if not _sees(actor, event):
        return Decision.HIDDEN
    return Decision.ALLOW if actor is not None else Decision.DENY


@rule(EventAction.STAFF)
def work_the_door(actor: User | None, subject: Shop | Event) -> Decision:
    if not _sees(actor, subject):
        return Decision.HIDDEN
    return Decision.ALLOW if is_door_team(actor, _shop(subject)) else Decision.DENY


def _own_or_door(actor: User | None, registration: Registration) -> Decision:
    if actor is not None and registration.user_id == actor.id:
        return Decision.ALLOW
    event = event_of(registration)
    shop = shop_of_event(event)
    if is_door_team(actor, shop):
        return Decision.ALLOW
    return Decision.HIDDEN


@rule(EventAction.REGISTRATION_VIEW)
def view_registration(actor: User | None, registration: Registration) -> Decision:
    return _own_or_door(actor, registration)


@rule(EventAction.REGISTRATION_CANCEL)
def cancel_registration(actor: User | None, registration: Registration) -> Decision:
    return _own_or_door(actor, registration)


@rule(EventAction.REGISTRATION_PAY)
def pay_online(actor: User | None, registration: Registration) -> Decision:
    """Its person pays online; the door team sees it but records payments by hand."""
    if actor is not None and registration.user_id == actor.id:
        return Decision.ALLOW
    return Decision.DENY if _own_or_door(actor, registration) == Decision.ALLOW else Decision.HIDDEN
