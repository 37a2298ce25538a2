"""Events API (DESIGN 9): a shop's events, one event, registrations and the waiting list,
a person's own registrations, payments recorded by the team, and check-in at the door. A
shop's server may call the team's routes with a shop API key."""

from __future__ import annotations

from stampbook.accounts.auth import current_user, me
from stampbook.core.db import db
from stampbook.core.money import from_minor
from stampbook.core.pagination import decode_cursor, encode_cursor
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import ApiBlueprint
from stampbook.events import checking_in, queries, registering, services
from stampbook.events.models import Event, Payment, Registration
from stampbook.events.policy import EventAction
from stampbook.events.schemas import (
    CheckInIn,
    CheckInOut,
    EventIn,
    EventOut,
    EventPage,
    EventPatch,
    EventPaymentIn,
    EventPaymentOut,
    EventQuery,
    MyRegistrationQuery,
    RegistrationOut,
    RegistrationPage,
    RegistrationQuery,
    SelfCheckInIn,
)
from stampbook.shops.models import Shop
from stampbook.shops.queries import load_shop

bp = ApiBlueprint("events", __name__, url_prefix="/api/v1", tag="Events")


def event_of_registration(registration_id: int) -> Event:
    return queries.load_event(queries.load_registration(registration_id).event_id)


SEE_SHOP_EVENTS = route(Access.PUBLIC, action=EventAction.VIEW, subject=load_shop, key_scope="read")
MAKE_EVENT = route(Access.USER, action=EventAction.MANAGE, subject=load_shop, key_scope="write")
SEE_EVENT = route(
    Access.PUBLIC, action=EventAction.VIEW, subject=queries.load_event, key_scope="read"
)
CHANGE_EVENT = route(
    Access.USER, action=EventAction.MANAGE, subject=queries.load_event, key_scope="write"
)
REGISTER = route(Access.USER, action=EventAction.REGISTER, subject=queries.load_event)
# A person's own seat: no shop API key (it has no person), a key sent again answers the same.
SELF_CHECK_IN = route(
    Access.USER,
    action=EventAction.SELF_CHECK_IN,
    subject=queries.load_event,
    idempotent=True,
)
DOOR_READ = route(
    Access.USER, action=EventAction.STAFF, subject=queries.load_event, key_scope="read"
)
DOOR_WRITE = route(
    Access.USER,
    action=EventAction.STAFF,
    subject=queries.load_event,
    key_scope="write",
    idempotent=True,
)


def _offset(cursor: str | None) -> int:
    return min(decode_cursor(cursor), 10**9) if cursor else 0


def _next(offset: int, limit: int, found: int) -> str | None:
    return encode_cursor(offset + limit) if found > limit else None


def event_out(event: Event, waitlisted: int | None = None) -> EventOut:
    shop = db.session.get(Shop, event.shop_id)
    series = queries.series_of(event)
    if waitlisted is None:
        waitlisted = queries.waitlisted_counts([event.id]).get(event.id, 0)
    return EventOut(
        id=event.id,
        shop_id=event.shop_id,
        series_id=event.series_id,
        recurrence=series.rrule if series else None,
        title=event.title,
        description=event.description,
        event_type=event.event_type,
        location=event.location,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        time_zone=shop.time_zone if shop else "UTC",
        capacity=event.capacity,
        registered=event.registered,
        waitlisted=waitlisted,
        seats_left=None if event.capacity is None else max(0, event.capacity - event.registered),
        registration_opens_at=event.registration_opens_at,
        registration_closes_at=event.registration_closes_at,
        cancellation_deadline=event.cancellation_deadline,
        price=from_minor(event.price, event.currency),
        currency=event.currency,
        hold_hours=event.hold_hours,
        points=event.points,
        program_id=event.program_id,
        is_active=event.is_active,
        self_check_in=event.self_check_in,
        cancelled=event.cancelled_at is not None,
        ical=f"/events/{event.id}.ics",
    )


def registration_out(row: queries.RegistrationRow) -> RegistrationOut:
    registration = row.registration
    return RegistrationOut(
        id=registration.id,
        event_id=registration.event_id,
        user_id=registration.user_id,
        name=row.name,
        status=registration.status,
        ticket_code=registration.ticket_code,
        joined_at=registration.joined_at,
        payment_status=registration.payment_status,
        hold_expires_at=registration.hold_expires_at,
        cancelled_at=registration.cancelled_at,
        checked_in_at=registration.checked_in_at,
        checked_out_at=registration.checked_out_at,
        points_awarded=row.points_awarded,
    )


def _one(registration: Registration) -> RegistrationOut:
    return registration_out(queries.registration_row(registration))


@bp.get("/shops/<int:shop_id>/events")
@SEE_SHOP_EVENTS
@bp.input(EventQuery, location="query", arg_name="query")
@bp.output(EventPage)
@bp.doc(summary="The shop's events: upcoming (default), past or all, by type and date")
def list_events(shop_id: int, query: EventQuery) -> EventPage:
    actor = current_user()
    shop = load_shop(actor, shop_id)
    offset = _offset(query.cursor)
    found = queries.shop_events(
        shop=shop,
        team=can(actor, EventAction.STAFF, shop) or can(actor, EventAction.MANAGE, shop),
        when=query.when,
        event_type=query.event_type,
        starts_from=query.starts_from,
        starts_before=query.starts_before,
        offset=offset,
        limit=query.limit,
    )
    events = found[: query.limit]
    waiting = queries.waitlisted_counts([event.id for event in events])
    return EventPage(
        items=[event_out(event, waiting.get(event.id, 0)) for event in events],
        next_cursor=_next(offset, query.limit, len(found)),
    )


@bp.post("/shops/<int:shop_id>/events")
@MAKE_EVENT
@bp.input(EventIn, arg_name="body")
@bp.output(EventOut, status_code=201)
@bp.doc(
    summary="Create an event, or a recurring series (the shop's creator and managers)",
    description=(
        "With recurrence (an RRULE of dates), occurrences are made for the next 120 days "
        "(and kept ahead daily), each starting at starts_at's local time in the shop's zone; "
        "the answer is the first. 409 event_times_invalid, recurrence_invalid, "
        "event_program_not_in_shop."
    ),
    responses=[403, 404, 409],
)
def create_event(shop_id: int, body: EventIn) -> EventOut:
    return event_out(services.create_event(me(), shop_id, body))


@bp.get("/events/<int:event_id>")
@SEE_EVENT
@bp.output(EventOut)
@bp.doc(summary="One event", responses=[404])
def get_event(event_id: int) -> EventOut:
    return event_out(queries.load_event_for(current_user(), event_id))


@bp.patch("/events/<int:event_id>")
@CHANGE_EVENT
@bp.input(EventPatch, arg_name="body")
@bp.output(EventOut)
@bp.doc(
    summary="Change one event (one occurrence of a series); cancelled: true cancels it",
    description=(
        "A capacity below the seats taken is refused (409 capacity_below_registered); a "
        "larger one seats the waiting list in join order."
    ),
    responses=[403, 404, 409],
)
def update_event(event_id: int, body: EventPatch) -> EventOut:
    return event_out(services.update_event(me(), event_id, body.model_dump(exclude_unset=True)))


@bp.delete("/events/<int:event_id>")
@CHANGE_EVENT
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an event (its registrations stay for the history)", responses=[403, 404])
def delete_event(event_id: int) -> tuple[str, int]:
    services.delete_event(me(), event_id)
    return "", 204


@bp.post("/events/<int:event_id>/registrations")
@REGISTER
@bp.output(RegistrationOut, status_code=201)
@bp.doc(
    summary="Register for an event: a seat (registered) or the waiting list (waitlisted)",
    description=(
        "A paid event's seat is held unpaid for hold_hours (payment_status unpaid, "
        "hold_expires_at), then passes to the next in line. 409 already_registered, "
        "registration_closed, event_cancelled."
    ),
    responses=[404, 409],
)
def register(event_id: int) -> RegistrationOut:
    return _one(registering.register(me(), event_id))


@bp.get("/events/<int:event_id>/registrations")
@DOOR_READ
@bp.input(RegistrationQuery, location="query", arg_name="query")
@bp.output(RegistrationPage)
@bp.doc(summary="The event's registrations in join order, by status or search (the team)")
def list_registrations(event_id: int, query: RegistrationQuery) -> RegistrationPage:
    event = queries.load_event_for(current_user(), event_id, EventAction.STAFF)
    offset = _offset(query.cursor)
    rows = queries.registrations(
        event, status=query.status, search=query.q, offset=offset, limit=query.limit + 1
    )
    return RegistrationPage(
        items=[registration_out(row) for row in rows[: query.limit]],
        next_cursor=_next(offset, query.limit, len(rows)),
    )


@bp.get("/registrations")
@route(Access.USER)
@bp.input(MyRegistrationQuery, location="query", arg_name="query")
@bp.output(RegistrationPage)
@bp.doc(summary="My registrations: upcoming (default), past or all")
def list_my_registrations(query: MyRegistrationQuery) -> RegistrationPage:
    user = me()
    offset = _offset(query.cursor)
    rows = queries.mine(user.id, when=query.when, limit=query.limit, offset=offset)
    return RegistrationPage(
        items=[
            registration_out(
                queries.RegistrationRow(
                    row.registration,
                    user.name,
                    user.email,
                    row.event.points if row.registration.points_entry_id else 0,
                )
            )
            for row in rows[: query.limit]
        ],
        next_cursor=_next(offset, query.limit, len(rows)),
    )


@bp.get("/registrations/<int:registration_id>")
@route(
    Access.USER,
    action=EventAction.REGISTRATION_VIEW,
    subject=queries.load_registration,
    key_scope="read",
)
@bp.output(RegistrationOut)
@bp.doc(summary="One registration (its person's, or the door team's)", responses=[404])
def get_registration(registration_id: int) -> RegistrationOut:
    return _one(queries.load_registration_for(current_user(), registration_id))


@bp.delete("/registrations/<int:registration_id>")
@route(
    Access.USER,
    action=EventAction.REGISTRATION_CANCEL,
    subject=queries.load_registration,
    key_scope="write",
)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Cancel a registration: a member until the deadline, the team at any time",
    description="A freed seat goes to the first in the waiting list. 409 cancellation_closed, "
    "registration_over.",
    responses=[404, 409],
)
def cancel_registration(registration_id: int) -> tuple[str, int]:
    registering.cancel(me(), registration_id)
    return "", 204


def payment_out(payment: Payment) -> EventPaymentOut:
    return EventPaymentOut(
        id=payment.id,
        registration_id=payment.registration_id,
        amount=from_minor(payment.amount, payment.currency),
        currency=payment.currency,
        channel=payment.channel,
        status=payment.status,
        paid_at=payment.paid_at,
        recorded_by=payment.recorded_by,
    )


@bp.post("/registrations/<int:registration_id>/payments")
@route(
    Access.USER,
    action=EventAction.STAFF,
    subject=event_of_registration,
    key_scope="write",
    idempotent=True,
)
@bp.input(EventPaymentIn, arg_name="body")
@bp.output(EventPaymentOut, status_code=201)
@bp.doc(
    summary="Record a payment taken by the team (cash, card)",
    description="Once the payments reach the price the seat is paid and its hold ends. "
    "409 payment_not_due, registration_over.",
    responses=[403, 404, 409],
)
def record_payment(registration_id: int, body: EventPaymentIn) -> EventPaymentOut:
    return payment_out(registering.record_payment(me(), registration_id, body))


# The provider's webhook (POST /payments/stripe/webhooks) reaches consultations too: it is
# a flow (flows/payments_api.py), as are the members' checkout routes.


@bp.post("/events/<int:event_id>/check-ins")
@DOOR_WRITE
@bp.input(CheckInIn, arg_name="body")
@bp.output(CheckInOut)
@bp.doc(
    summary="Check a ticket in at the door (the shop's team); attendance points once",
    description=(
        "Refusals, each its own code: 404 unknown; 409 other_event, cancelled, unpaid, "
        "waitlisted, already_checked_in; 403 own_ticket. The same nonce (or "
        "Idempotency-Key) sent again answers as the first scan did."
    ),
    responses=[403, 404, 409],
)
def check_in(event_id: int, body: CheckInIn) -> CheckInOut:
    scan = checking_in.check_in(me(), event_id, body.ticket_code, body.nonce)
    out = _one(scan.registration)
    return CheckInOut(**out.model_dump(), replayed=scan.replayed)


@bp.post("/events/<int:event_id>/check-outs")
@DOOR_WRITE
@bp.input(CheckInIn, arg_name="body")
@bp.output(RegistrationOut)
@bp.doc(summary="Check a ticket out (its time kept)", responses=[403, 404, 409])
def check_out(event_id: int, body: CheckInIn) -> RegistrationOut:
    return _one(checking_in.check_out(me(), event_id, body.ticket_code))


@bp.post("/events/<int:event_id>/self-check-ins")
@SELF_CHECK_IN
@bp.input(SelfCheckInIn, arg_name="body")
@bp.output(CheckInOut)
@bp.doc(
    summary="Check myself in with the code the door screen shows (where switched on)",
    description=(
        "door_code is the ?c= of the door screen's QR code (`<step>.<mac>`, signed by the "
        "server, a new one every 10 seconds, accepted for 10 more) or the code typed from "
        "under it. Refusals: 403 door_code_invalid (forged, another event's, or expired: "
        "scan again); 409 self_check_in_off, event_cancelled, not_registered, cancelled, "
        "waitlisted, unpaid, already_checked_in. Attendance points once; the same nonce (or "
        "Idempotency-Key) sent again answers as the first."
    ),
    responses=[403, 404, 409],
)
def self_check_in(event_id: int, body: SelfCheckInIn) -> CheckInOut:
    scan = checking_in.self_check_in(me(), event_id, body.door_code, body.nonce)
    out = _one(scan.registration)
    return CheckInOut(**out.model_dump(), replayed=scan.replayed)
