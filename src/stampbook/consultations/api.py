"""Consultations API (DESIGN 8.8; seed 002): a shop's hosts, their free slots, bookings and
what follows them (cancel, completed, no-show, the host's notes, the member's rating, the
payment status recorded by the team)."""

from __future__ import annotations

from datetime import timedelta

from stampbook.accounts.auth import current_user, me
from stampbook.consultations import queries, rules, services
from stampbook.consultations.models import Booking, ConsultationStatus, Host
from stampbook.consultations.policy import BookingAction, HostAction
from stampbook.consultations.schemas import (
    ConsultationBookingIn,
    ConsultationBookingList,
    ConsultationBookingOut,
    ConsultationBookingQuery,
    ConsultationCancelIn,
    ConsultationNotesIn,
    ConsultationPaymentIn,
    ConsultationRatingIn,
    HostIn,
    HostList,
    HostOut,
    HostPatch,
    HostSlotList,
    HostSlotOut,
    HostSlotQuery,
    HostWeeklyHours,
)
from stampbook.core import clock, money
from stampbook.core.errors import Conflict
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import ApiBlueprint
from stampbook.shops import queries as shops_queries
from stampbook.shops.policy import ShopAction

bp = ApiBlueprint("consultations", __name__, url_prefix="/api/v1", tag="Consultations")

SEE_HOST = route(Access.PUBLIC, action=HostAction.VIEW, subject=queries.load_host, key_scope="read")
MANAGE_HOST = route(
    Access.USER, action=HostAction.MANAGE, subject=queries.load_host, key_scope="write"
)
SEE_BOOKING = route(
    Access.USER, action=BookingAction.VIEW, subject=queries.load_booking, key_scope="read"
)


def host_out(host: Host, rated: tuple[str | None, int] = (None, 0)) -> HostOut:
    return HostOut(
        id=host.id,
        shop_id=host.shop_id,
        user_id=host.user_id,
        professional_name=host.professional_name,
        bio=host.bio,
        credentials=[str(c) for c in host.credentials or []],
        specializations=[str(s) for s in host.specializations or []],
        languages=[str(lang) for lang in host.languages or []],
        years_experience=host.years_experience,
        consultation_rate=(
            None if host.rate_minor is None else money.from_minor(host.rate_minor, host.currency)
        ),
        currency=host.currency,
        verification_status=host.verification_status,
        time_zone=host.time_zone,
        weekly_hours=[HostWeeklyHours.model_validate(row) for row in host.weekly_hours or []],
        days_off=[str(day) for day in host.days_off or []],
        slot_minutes=host.slot_minutes,
        buffer_minutes=host.buffer_minutes,
        cancel_hours=host.cancel_hours,
        is_available=host.is_available,
        rating_average=rated[0],
        total_consultations=rated[1],
    )


def booking_out(booking: Booking, host_name: str | None = None) -> ConsultationBookingOut:
    actor = current_user()
    notes = booking.session_notes if can(actor, BookingAction.NOTES_VIEW, booking) else None
    if host_name is None:
        host_name = queries.host_names([booking.host_id]).get(booking.host_id, "")
    cost = booking.session_cost_minor
    return ConsultationBookingOut(
        id=booking.id,
        host_id=booking.host_id,
        shop_id=booking.shop_id,
        user_id=booking.user_id,
        professional_name=host_name,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        duration_minutes=int((booking.ends_at - booking.starts_at).total_seconds() // 60),
        session_type=booking.session_type,
        status=booking.status,
        topic=booking.topic,
        session_notes=notes,
        user_feedback_rating=booking.user_feedback_rating,
        user_feedback_text=booking.user_feedback_text,
        session_cost=None if cost is None else money.from_minor(cost, booking.currency),
        currency=booking.currency,
        payment_status=booking.payment_status,
        cancelled_at=booking.cancelled_at,
        cancel_reason=booking.cancel_reason,
        created_at=booking.created_at,
    )


def _booking_list(bookings: list[Booking]) -> ConsultationBookingList:
    names = queries.host_names([b.host_id for b in bookings])
    return ConsultationBookingList(
        items=[booking_out(b, names.get(b.host_id, "")) for b in bookings]
    )


# --- Hosts ----------------------------------------------------------------------------------


@bp.get("/shops/<int:shop_id>/hosts")
@route(
    Access.PUBLIC, action=ShopAction.SHOP_VIEW, subject=shops_queries.load_shop, key_scope="read"
)
@bp.output(HostList)
@bp.doc(
    summary="The shop's consultation hosts",
    description="Verified, available hosts; the shop's team also sees hosts pending "
    "verification, rejected or unavailable.",
)
def list_hosts(shop_id: int) -> HostList:
    shop = shops_queries.load_shop(current_user(), shop_id)
    hosts = queries.shop_hosts(current_user(), shop)
    rated = queries.ratings([host.id for host in hosts])
    return HostList(items=[host_out(host, rated.get(host.id, (None, 0))) for host in hosts])


@bp.post("/shops/<int:shop_id>/hosts")
@route(Access.USER, action=HostAction.CREATE, subject=shops_queries.load_shop, key_scope="write")
@bp.input(HostIn, arg_name="body")
@bp.output(HostOut, status_code=201)
@bp.doc(
    summary="Add a host (the shop's creator and managers); it starts pending verification",
    description=(
        "user_id: one of the shop's team (409 host_not_in_team), or none for a listed "
        "professional. weekly_hours: ranges of one day may not overlap (409 schedule_overlap) "
        "and start before they end (409 schedule_invalid). consultation_rate: a decimal "
        "string of the currency (409 rate_invalid)."
    ),
    responses=[403, 404, 409],
)
def create_host(shop_id: int, body: HostIn) -> HostOut:
    return host_out(services.create_host(me(), shop_id, body))


@bp.get("/hosts/<int:host_id>")
@SEE_HOST
@bp.output(HostOut)
@bp.doc(summary="A host's profile: credentials, specialties, languages, rate, schedule")
def get_host(host_id: int) -> HostOut:
    host = queries.load_host(current_user(), host_id)
    return host_out(host, queries.ratings([host.id]).get(host.id, (None, 0)))


@bp.patch("/hosts/<int:host_id>")
@MANAGE_HOST
@bp.input(HostPatch, arg_name="body")
@bp.output(HostOut)
@bp.doc(
    summary="Change a host, verify or reject it (the shop's creator and managers)",
    responses=[403, 404, 409],
)
def update_host(host_id: int, body: HostPatch) -> HostOut:
    host = services.update_host(me(), host_id, body.model_dump(exclude_unset=True))
    return host_out(host, queries.ratings([host.id]).get(host.id, (None, 0)))


@bp.delete("/hosts/<int:host_id>")
@MANAGE_HOST
@bp.output({}, status_code=204)
@bp.doc(
    summary="Remove a host (its past sessions stay); 409 host_has_bookings while sessions "
    "are booked ahead",
    responses=[403, 404, 409],
)
def delete_host(host_id: int) -> tuple[str, int]:
    services.delete_host(me(), host_id)
    return "", 204


@bp.get("/hosts/<int:host_id>/slots")
@SEE_HOST
@bp.input(HostSlotQuery, location="query", arg_name="query")
@bp.output(HostSlotList)
@bp.doc(
    summary="A host's free slots from `from` to `to` (at most 62 days; by default the next "
    "14 days): the weekly schedule in the host's zone, less days off and booked slots",
    description="409 slot_range_invalid: `to` not after `from`, or more than 62 days on.",
    responses=[404, 409],
)
def list_slots(host_id: int, query: HostSlotQuery) -> HostSlotList:
    host = queries.load_host(current_user(), host_id)
    since = query.since or clock.now()
    until = query.until or since + timedelta(days=14)
    if until <= since or until - since > timedelta(days=rules.MAX_RANGE_DAYS):
        raise Conflict(code="slot_range_invalid", days=rules.MAX_RANGE_DAYS)
    free = queries.free_slots(host, since, until) if host.bookable else []
    return HostSlotList(
        host_id=host.id,
        time_zone=host.time_zone,
        items=[HostSlotOut(starts_at=s.starts_at, ends_at=s.ends_at) for s in free],
    )


# --- Bookings -------------------------------------------------------------------------------


@bp.post("/hosts/<int:host_id>/bookings")
@route(Access.USER, action=HostAction.BOOK, subject=queries.load_host)
@bp.input(ConsultationBookingIn, arg_name="body")
@bp.output(ConsultationBookingOut, status_code=201)
@bp.doc(
    summary="Book one of the host's free slots",
    description=(
        "starts_at: the start of a free slot. 409 slot_taken (booked by someone else, also "
        "when two book it at once), slot_unknown (not one of the host's slots), slot_past, "
        "host_not_bookable (not verified or not available)."
    ),
    responses=[403, 404, 409],
)
def book(host_id: int, body: ConsultationBookingIn) -> ConsultationBookingOut:
    return booking_out(services.book(me(), host_id, body))


@bp.get("/hosts/<int:host_id>/bookings")
@route(
    Access.USER,
    action=HostAction.BOOKINGS,
    subject=queries.load_host,
    subject_action=HostAction.BOOKINGS,
    key_scope="read",
)
@bp.input(ConsultationBookingQuery, location="query", arg_name="query")
@bp.output(ConsultationBookingList)
@bp.doc(summary="The host's bookings (the host and the shop's staff), by start")
def list_host_bookings(host_id: int, query: ConsultationBookingQuery) -> ConsultationBookingList:
    host = queries.load_host(current_user(), host_id, HostAction.BOOKINGS)
    return _booking_list(
        queries.bookings(host_id=host.id, status=query.status, since=query.since, until=query.until)
    )


@bp.get("/users/me/bookings")
@route(Access.USER)
@bp.input(ConsultationBookingQuery, location="query", arg_name="query")
@bp.output(ConsultationBookingList)
@bp.doc(summary="My consultations, by start")
def list_my_bookings(query: ConsultationBookingQuery) -> ConsultationBookingList:
    return _booking_list(
        queries.bookings(user_id=me().id, status=query.status, since=query.since, until=query.until)
    )


@bp.get("/bookings/<int:booking_id>")
@SEE_BOOKING
@bp.output(ConsultationBookingOut)
@bp.doc(
    summary="A booking: its member, the host's user and the shop's team see it; the host's "
    "notes only the member and the host"
)
def get_booking(booking_id: int) -> ConsultationBookingOut:
    return booking_out(queries.load_booking(current_user(), booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@route(Access.USER, action=BookingAction.CANCEL, subject=queries.load_booking)
@bp.input(ConsultationCancelIn, arg_name="body")
@bp.output(ConsultationBookingOut)
@bp.doc(
    summary="Cancel a booking: the member until the host's deadline (409 "
    "cancel_deadline_passed), the host and the staff at any time",
    responses=[403, 404, 409],
)
def cancel_booking(booking_id: int, body: ConsultationCancelIn) -> ConsultationBookingOut:
    return booking_out(services.cancel(me(), booking_id, body.reason))


@bp.post("/bookings/<int:booking_id>/complete")
@route(Access.USER, action=BookingAction.CLOSE, subject=queries.load_booking)
@bp.output(ConsultationBookingOut)
@bp.doc(
    summary="Mark a session completed (the host and the staff), once it has begun",
    responses=[403, 404, 409],
)
def complete_booking(booking_id: int) -> ConsultationBookingOut:
    return booking_out(services.close(me(), booking_id, ConsultationStatus.COMPLETED))


@bp.post("/bookings/<int:booking_id>/no-show")
@route(Access.USER, action=BookingAction.CLOSE, subject=queries.load_booking)
@bp.output(ConsultationBookingOut)
@bp.doc(
    summary="Mark that the member did not come (the host and the staff), once it has begun",
    responses=[403, 404, 409],
)
def no_show_booking(booking_id: int) -> ConsultationBookingOut:
    return booking_out(services.close(me(), booking_id, ConsultationStatus.NO_SHOW))


@bp.put("/bookings/<int:booking_id>/notes")
@route(Access.USER, action=BookingAction.NOTES_WRITE, subject=queries.load_booking)
@bp.input(ConsultationNotesIn, arg_name="body")
@bp.output(ConsultationBookingOut)
@bp.doc(
    summary="The host's notes of a session (the host alone writes them; the member reads "
    "them; the shop's other team members never see them)",
    responses=[403, 404],
)
def put_booking_notes(booking_id: int, body: ConsultationNotesIn) -> ConsultationBookingOut:
    return booking_out(services.write_notes(me(), booking_id, body.session_notes))


@bp.post("/bookings/<int:booking_id>/rating")
@route(Access.USER, action=BookingAction.RATE, subject=queries.load_booking)
@bp.input(ConsultationRatingIn, arg_name="body")
@bp.output(ConsultationBookingOut)
@bp.doc(
    summary="The member rates a completed session, once (409 booking_not_completed, booking_rated)",
    responses=[403, 404, 409],
)
def rate_booking(booking_id: int, body: ConsultationRatingIn) -> ConsultationBookingOut:
    return booking_out(
        services.rate(me(), booking_id, body.user_feedback_rating, body.user_feedback_text)
    )


@bp.put("/bookings/<int:booking_id>/payment")
@route(Access.USER, action=BookingAction.CLOSE, subject=queries.load_booking, key_scope="write")
@bp.input(ConsultationPaymentIn, arg_name="body")
@bp.output(ConsultationBookingOut)
@bp.doc(
    summary="Record a booking's payment status (the host and the staff); refunded only "
    "after paid (409 booking_not_paid)",
    responses=[403, 404, 409],
)
def put_booking_payment(booking_id: int, body: ConsultationPaymentIn) -> ConsultationBookingOut:
    return booking_out(services.record_payment(me(), booking_id, body.payment_status))
