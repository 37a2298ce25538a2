"""The consultations' pages: a shop's hosts, a host's profile with its free slots and the
booking form, my consultations, a booking (cancel; the host's notes; completed or a no-show
and the payment status for the host and the staff; the member's rating), the host's and the
team's bookings, and the managers' host setup (verification included).

Each write calls the API's service with the API's model, so both doors refuse the same input
with the same problems.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from pydantic import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.accounts.models import User
from stampbook.consultations import forms, paying, queries, services, words
from stampbook.consultations.models import Booking, ConsultationStatus, Host
from stampbook.consultations.policy import BookingAction, HostAction, host_of, shop_of
from stampbook.consultations.schemas import ConsultationBookingIn, HostIn, HostPatch
from stampbook.core import clock, money
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.openapi import content_security_policy
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.core.zones import zone
from stampbook.shops.models import Role, Shop
from stampbook.shops.policy import ShopAction
from stampbook.shops.queries import load_shop
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import Unsaved, act, field_errors, place_errors, save, validate
from stampbook.ui.words import _

bp = PageBlueprint("consultation_pages", __name__)

DAYS_SHOWN = 14
# A refusal of the services said next to the field it is about (a schedule's problem, which
# may be any day's, above the form).
HOST_REFUSALS = {
    "rate_invalid": "consultation_rate",
    "host_not_in_team": "user_id",
}
HOST_FIELDS = {"weekly_hours": "day_0", "days_off": "days_off", "currency": "currency"}


def _when(moment: datetime, host: Host, pattern: str = "EEE d MMM yyyy, HH:mm") -> str:
    """A moment as the host's wall clock shows it (slots are in the host's zone)."""
    return str(format_datetime(moment.astimezone(zone(host.time_zone)), pattern, rebase=False))


def _rate(host: Host) -> str | None:
    if host.rate_minor is None:
        return None
    return money.display(host.rate_minor, host.currency, str(_locale()))


def _locale() -> str:
    return str(get_locale() or "en")


def _helpers() -> dict[str, Any]:
    return {
        "status_words": words.status_words,
        "payment_words": words.payment_words,
        "verification_words": words.verification_words,
        "session_words": words.session_words,
        "when": _when,
        "rate": _rate,
    }


# --- Hosts ----------------------------------------------------------------------------------


@bp.get("/shops/<int:shop_id>/hosts")
@route(Access.PUBLIC, action=ShopAction.SHOP_VIEW)
def hosts(shop_id: int) -> tuple[str, int]:
    actor = current_user()
    shop = load_shop(actor, shop_id)
    found = queries.shop_hosts(actor, shop)
    rated = queries.ratings([host.id for host in found])
    page = render_template(
        "consultations/hosts.html",
        shop=shop,
        hosts=found,
        rated=rated,
        manage=can(actor, HostAction.CREATE, shop),
        **_helpers(),
    )
    return page, 200


def _slot_days(host: Host, start: datetime) -> OrderedDict[date, list[datetime]]:
    days: OrderedDict[date, list[datetime]] = OrderedDict()
    if not host.bookable:
        return days
    local = zone(host.time_zone)
    for slot in queries.free_slots(host, start, start + timedelta(days=DAYS_SHOWN)):
        days.setdefault(slot.starts_at.astimezone(local).date(), []).append(slot.starts_at)
    return days


def _host_page(host: Host, form: forms.BookForm, status: int = 200) -> tuple[str, int]:
    actor = current_user()
    try:
        offset = max(0, min(int(request.args.get("weeks", "0")), 8))
    except ValueError:
        offset = 0
    start = clock.now() + timedelta(days=7 * offset)
    page = render_template(
        "consultations/host.html",
        host=host,
        shop=shop_of(host),
        days=_slot_days(host, start),
        offset=offset,
        form=form,
        rated=queries.ratings([host.id]).get(host.id, (None, 0)),
        may_book=actor is not None and can(actor, HostAction.BOOK, host),
        manage=can(actor, HostAction.MANAGE, host),
        bookings_link=can(actor, HostAction.BOOKINGS, host),
        **_helpers(),
    )
    return page, status


@bp.get("/hosts/<int:host_id>")
@route(Access.PUBLIC, action=HostAction.VIEW)
def host(host_id: int) -> tuple[str, int]:
    found = queries.load_host(current_user(), host_id)
    return _host_page(found, forms.BookForm(formdata=None))


@bp.post("/hosts/<int:host_id>/book")
@route(Access.USER, action=HostAction.BOOK)
def book(host_id: int) -> Response | tuple[str, int]:
    found = queries.load_host(me(), host_id, HostAction.BOOK)
    form = forms.BookForm()
    if not form.validate_on_submit():
        return _host_page(found, form, 422)
    data = {
        "starts_at": form.starts_at.data,
        "session_type": form.session_type.data or "video",
        "topic": (form.topic.data or "").strip() or None,
    }
    try:
        body = ConsultationBookingIn.model_validate(data)
    except ValidationError:
        flash(_("Choose one of the free slots."), "danger")
        return redirect(url_for("consultation_pages.host", host_id=found.id), 303)
    booked = act(
        lambda: services.book(me(), found.id, body),
        _("Your consultation is booked."),
    )
    if isinstance(booked, AppError):
        return redirect(url_for("consultation_pages.host", host_id=found.id), 303)
    return redirect(url_for("consultation_pages.booking", booking_id=booked.id), 303)


# --- My consultations, a booking ------------------------------------------------------------


@bp.get("/consultations")
@route(Access.USER)
def my_bookings() -> tuple[str, int]:
    actor = me()
    mine = queries.bookings(user_id=actor.id)
    now = clock.now()
    page = render_template(
        "consultations/my_bookings.html",
        ahead=[b for b in mine if b.ends_at > now and b.status == ConsultationStatus.BOOKED],
        past=[b for b in mine if not (b.ends_at > now and b.status == ConsultationStatus.BOOKED)],
        hosts=queries.host_names([b.host_id for b in mine]),
        host_of={h.id: h for h in _hosts_of(mine)},
        near=queries.hosts_near(actor),
        hosted=_hosted_by(actor),
        **_helpers(),
    )
    return page, 200


def _hosts_of(bookings: list[Booking]) -> list[Host]:
    ids = {b.host_id for b in bookings}
    if not ids:
        return []
    return list(db.session.scalars(select(Host).where(Host.id.in_(ids))))


def _hosted_by(user: User) -> list[Host]:
    return list(
        db.session.scalars(select(Host).where(Host.user_id == user.id, Host.deleted_at.is_(None)))
    )


def _booking_page(
    booking: Booking, pay_online: bool = False, **forms_given: Any
) -> tuple[str, int]:
    actor = me()
    host = host_of(booking)
    now = clock.now()
    member = booking.user_id == actor.id
    booked = booking.status == ConsultationStatus.BOOKED
    closer = can(actor, BookingAction.CLOSE, booking)
    notes_form = forms_given.get("notes_form") or forms.NotesForm(
        formdata=None, data={"session_notes": booking.session_notes or ""}
    )
    page = render_template(
        "consultations/booking.html",
        booking=booking,
        host=host,
        shop=shop_of(booking),
        member_name=queries.user_names([booking.user_id]).get(booking.user_id, ""),
        is_member=member,
        may_cancel=booked and can(actor, BookingAction.CANCEL, booking),
        cancel_form=forms_given.get("cancel_form") or forms.CancelForm(formdata=None),
        may_close=booked and closer and now >= booking.starts_at,
        closer=closer,
        close_form=ActionForm(),
        see_notes=can(actor, BookingAction.NOTES_VIEW, booking),
        write_notes=can(actor, BookingAction.NOTES_WRITE, booking),
        notes_form=notes_form,
        may_rate=member
        and booking.status == ConsultationStatus.COMPLETED
        and booking.user_feedback_rating is None,
        rating_form=forms_given.get("rating_form") or forms.RatingForm(formdata=None),
        payment_form=forms.PaymentForm(
            formdata=None, data={"payment_status": booking.payment_status}
        ),
        cost=(
            None
            if booking.session_cost_minor is None
            else money.display(booking.session_cost_minor, booking.currency, _locale())
        ),
        deadline=booking.starts_at - timedelta(hours=host.cancel_hours),
        pay_online=pay_online,
        pay_form=ActionForm(),
        returned=request.args.get("checkout") == "returned",
        **_helpers(),
    )
    return page, 200


@bp.get("/consultations/<int:booking_id>")
@route(Access.USER, action=BookingAction.VIEW)
def booking(booking_id: int) -> tuple[str, int, dict[str, str]]:
    found = queries.load_booking(me(), booking_id)
    # Its member may pay online (``flows.pages.payments``): the form goes to the provider.
    pay_online = found.user_id == me().id and paying.payable(found)
    page, status = _booking_page(found, pay_online=pay_online)
    headers = {}
    if pay_online:
        origin = current_app.config["PAYMENTS_CHECKOUT_ORIGIN"]
        headers["Content-Security-Policy"] = content_security_policy(
            request.path, form_targets=origin
        )
    return page, status, headers


def _back(booking_id: int) -> Response:
    return redirect(url_for("consultation_pages.booking", booking_id=booking_id), 303)


@bp.post("/consultations/<int:booking_id>/cancel")
@route(Access.USER, action=BookingAction.CANCEL)
def cancel(booking_id: int) -> Response:
    found = queries.load_booking(me(), booking_id, BookingAction.CANCEL)
    form = forms.CancelForm()
    if form.validate_on_submit():
        reason = (form.reason.data or "").strip() or None
        act(lambda: services.cancel(me(), found.id, reason), _("The consultation is cancelled."))
    return _back(found.id)


@bp.post("/consultations/<int:booking_id>/complete")
@route(Access.USER, action=BookingAction.CLOSE)
def complete(booking_id: int) -> Response:
    found = queries.load_booking(me(), booking_id, BookingAction.CLOSE)
    if ActionForm().validate_on_submit():
        act(
            lambda: services.close(me(), found.id, ConsultationStatus.COMPLETED),
            _("The consultation is marked completed."),
        )
    return _back(found.id)


@bp.post("/consultations/<int:booking_id>/no-show")
@route(Access.USER, action=BookingAction.CLOSE)
def no_show(booking_id: int) -> Response:
    found = queries.load_booking(me(), booking_id, BookingAction.CLOSE)
    if ActionForm().validate_on_submit():
        act(
            lambda: services.close(me(), found.id, ConsultationStatus.NO_SHOW),
            _("The consultation is marked as missed."),
        )
    return _back(found.id)


@bp.post("/consultations/<int:booking_id>/notes")
@route(Access.USER, action=BookingAction.NOTES_WRITE)
def notes(booking_id: int) -> Response | tuple[str, int]:
    found = queries.load_booking(me(), booking_id, BookingAction.NOTES_WRITE)
    form = forms.NotesForm()
    if not form.validate_on_submit():
        page, _status = _booking_page(found, notes_form=form)
        return page, 422
    text = form.session_notes.data or ""
    act(lambda: services.write_notes(me(), found.id, text), _("Your notes are saved."))
    return _back(found.id)


@bp.post("/consultations/<int:booking_id>/rating")
@route(Access.USER, action=BookingAction.RATE)
def rating(booking_id: int) -> Response | tuple[str, int]:
    found = queries.load_booking(me(), booking_id, BookingAction.RATE)
    form = forms.RatingForm()
    if not form.validate_on_submit():
        page, _status = _booking_page(found, rating_form=form)
        return page, 422
    stars = int(form.user_feedback_rating.data or 0)
    text = form.user_feedback_text.data
    act(
        lambda: services.rate(me(), found.id, stars, text),
        _("Thank you: your rating is saved."),
    )
    return _back(found.id)


@bp.post("/consultations/<int:booking_id>/payment")
@route(Access.USER, action=BookingAction.CLOSE)
def payment(booking_id: int) -> Response:
    found = queries.load_booking(me(), booking_id, BookingAction.CLOSE)
    form = forms.PaymentForm()
    if form.validate_on_submit():
        status = str(form.payment_status.data)
        act(
            lambda: services.record_payment(me(), found.id, status),
            _("The payment status is saved."),
        )
    return _back(found.id)


@bp.get("/hosts/<int:host_id>/bookings")
@route(Access.USER, action=HostAction.BOOKINGS)
def host_bookings(host_id: int) -> tuple[str, int]:
    found = queries.load_host(me(), host_id, HostAction.BOOKINGS)
    listed = queries.bookings(host_id=found.id)
    now = clock.now()
    page = render_template(
        "consultations/host_bookings.html",
        host=found,
        shop=shop_of(found),
        ahead=[b for b in listed if b.ends_at > now and b.status == ConsultationStatus.BOOKED],
        past=[b for b in listed if not (b.ends_at > now and b.status == ConsultationStatus.BOOKED)],
        members=queries.user_names([b.user_id for b in listed]),
        **_helpers(),
    )
    return page, 200


# --- The managers' host setup ---------------------------------------------------------------


def _team(shop: Shop) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(User.id, User.name)
        .where(
            (User.id == shop.created_by)
            | User.id.in_(select(Role.user_id).where(Role.shop_id == shop.id))
        )
        .order_by(User.name, User.id)
    )
    return [(int(user_id), name) for user_id, name in rows]


def _host_data(form: forms.HostForm) -> dict[str, Any] | None:
    rows, bad = forms.hours_of([field.data for field in form.day_fields])
    for day in bad:
        form.day_fields[day].errors = [
            *form.day_fields[day].errors,
            _("Write ranges like 09:00-12:00, 15:00-18:00."),
        ]
    if bad:
        return None
    user = (form.user_id.data or "").strip()
    return {
        "professional_name": (form.professional_name.data or "").strip(),
        "user_id": int(user) if user.isdigit() else None,
        "bio": (form.bio.data or "").strip() or None,
        "credentials": forms.lines(form.credentials.data),
        "specializations": forms.lines(form.specializations.data),
        "languages": forms.lines(form.languages.data),
        "years_experience": form.years_experience.data,
        "consultation_rate": (form.consultation_rate.data or "").strip().replace(",", ".") or None,
        "currency": (form.currency.data or "").strip().upper(),
        "time_zone": form.time_zone.data,
        "weekly_hours": rows,
        "days_off": forms.lines(form.days_off.data),
        "slot_minutes": form.slot_minutes.data,
        "buffer_minutes": form.buffer_minutes.data,
        "cancel_hours": form.cancel_hours.data,
        "is_available": bool(form.is_available.data),
    }


def _refused(form: forms.HostForm) -> Any:
    def place(error: AppError) -> list[str]:
        target = HOST_REFUSALS.get(error.code)
        if target is not None:
            return place_errors(form, [(target, error.detail)])
        return place_errors(form, field_errors(error), HOST_FIELDS) or [error.detail]

    return place


def _form_page(
    shop: Shop, form: forms.HostForm, host: Host | None, unsaved: Unsaved
) -> tuple[str, int]:
    page = render_template(
        "consultations/host_form.html",
        shop=shop,
        host=host,
        form=form,
        problems=unsaved.problems,
        hours_help=forms.HOURS_HELP,
        delete_form=ActionForm(),
    )
    return page, unsaved.status(bool(form.errors))


@bp.route("/shops/<int:shop_id>/hosts/new", methods=["GET", "POST"])
@route(Access.USER, action=HostAction.CREATE)
def new_host(shop_id: int) -> Response | tuple[str, int]:
    shop = load_shop(me(), shop_id, HostAction.CREATE)
    form = forms.HostForm(
        data={
            "slot_minutes": 30,
            "buffer_minutes": 0,
            "cancel_hours": 24,
            "currency": "USD",
            "time_zone": shop.time_zone,
            "is_available": True,
        }
    )
    form.set_team(_team(shop))
    unsaved = Unsaved([])
    if form.validate_on_submit():
        data = _host_data(form)
        if data is not None:
            saved = save(
                validate(HostIn, data, form, HOST_FIELDS),
                lambda body: services.create_host(me(), shop.id, body),
                _refused(form),
            )
            if not isinstance(saved, Unsaved):
                flash(
                    _("%(name)s is added, waiting for verification.", name=saved.professional_name),
                    "success",
                )
                return redirect(url_for("consultation_pages.edit_host", host_id=saved.id), 303)
            unsaved = saved
    return _form_page(shop, form, None, unsaved)


@bp.route("/hosts/<int:host_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=HostAction.MANAGE)
def edit_host(host_id: int) -> Response | tuple[str, int]:
    found = queries.load_host(me(), host_id, HostAction.MANAGE)
    shop = shop_of(found)
    days = forms.day_texts(list(found.weekly_hours or []))
    form = forms.HostForm(
        data={
            "professional_name": found.professional_name,
            "user_id": str(found.user_id or ""),
            "bio": found.bio or "",
            "credentials": ", ".join(found.credentials or []),
            "specializations": ", ".join(found.specializations or []),
            "languages": ", ".join(found.languages or []),
            "years_experience": found.years_experience,
            "consultation_rate": (
                ""
                if found.rate_minor is None
                else money.from_minor(found.rate_minor, found.currency)
            ),
            "currency": found.currency,
            "time_zone": found.time_zone,
            **{f"day_{day}": days[day] for day in range(7)},
            "days_off": "\n".join(found.days_off or []),
            "slot_minutes": found.slot_minutes,
            "buffer_minutes": found.buffer_minutes,
            "cancel_hours": found.cancel_hours,
            "is_available": found.is_available,
            "verification_status": found.verification_status,
        }
    )
    form.set_team(_team(shop))
    unsaved = Unsaved([])
    if form.validate_on_submit():
        data = _host_data(form)
        if data is not None:
            data["verification_status"] = form.verification_status.data or None
            saved = save(
                validate(HostPatch, data, form, HOST_FIELDS),
                lambda body: services.update_host(me(), found.id, body.model_dump()),
                _refused(form),
            )
            if not isinstance(saved, Unsaved):
                flash(_("%(name)s is saved.", name=saved.professional_name), "success")
                return redirect(url_for("consultation_pages.host", host_id=saved.id), 303)
            unsaved = saved
    return _form_page(shop, form, found, unsaved)


@bp.post("/hosts/<int:host_id>/delete")
@route(Access.USER, action=HostAction.MANAGE)
def delete_host(host_id: int) -> Response:
    found = queries.load_host(me(), host_id, HostAction.MANAGE)
    if ActionForm().validate_on_submit():
        done = act(
            lambda: services.delete_host(me(), found.id),
            _("%(name)s is removed.", name=found.professional_name),
        )
        if not isinstance(done, AppError):
            return redirect(url_for("consultation_pages.hosts", shop_id=found.shop_id), 303)
    return redirect(url_for("consultation_pages.edit_host", host_id=found.id), 303)
