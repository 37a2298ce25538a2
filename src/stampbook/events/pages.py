"""The events' pages: a shop's events (upcoming or past, by type), an event's page (seats
left; register, join the waiting list or cancel), the member's ticket with its QR code, and
for the door team the registrations with search, the check-in page (a typed or scanned code,
or a name found) and the attendance report (a page and CSV, per event and per period). The
iCalendar files: one per event (the API's ``ical`` link) and a feed per shop.

Each write calls the services the API calls, so both doors refuse the same way; a refusal
is flashed in the words of its code.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date, datetime, timedelta

import segno
from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.money import from_minor
from stampbook.core.openapi import content_security_policy
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.events import checking_in, paying, queries, registering, services, words
from stampbook.events.forms import CheckInForm, DoorSwitchForm, SelfCheckInForm
from stampbook.events.models import Event, Registration
from stampbook.events.policy import EventAction, shop_of_event
from stampbook.events.rules import EventWhen, RegistrationStatus
from stampbook.shops.models import Shop
from stampbook.shops.queries import load_shop
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import act, attempt, day_range
from stampbook.ui.words import _

bp = PageBlueprint("event_pages", __name__)

LISTED = 50
FEED_DAYS = 120


def _is_team(actor: User | None, shop: Shop) -> bool:
    return can(actor, EventAction.STAFF, shop) or can(actor, EventAction.MANAGE, shop)


def _mine(user_id: int | None, event_id: int) -> Registration | None:
    if user_id is None:
        return None
    return db.session.scalars(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    ).first()


@bp.get("/shops/<int:shop_id>/events")
@route(Access.PUBLIC, action=EventAction.VIEW)
def events(shop_id: int) -> tuple[str, int]:
    actor = current_user()
    shop = load_shop(actor, shop_id)
    when = EventWhen.PAST if request.args.get("when") == EventWhen.PAST else EventWhen.UPCOMING
    types = queries.event_types(shop.id)
    event_type = (request.args.get("type") or "")[:50] or None
    found = queries.shop_events(
        shop=shop, team=_is_team(actor, shop), when=when, event_type=event_type, limit=LISTED
    )[:LISTED]
    return render_template(
        "events/events.html",
        shop=shop,
        events=found,
        when=when,
        types=types,
        event_type=event_type,
        staff=can(actor, EventAction.STAFF, shop),
        words=words,
    ), 200


@bp.get("/events/<int:event_id>")
@route(Access.PUBLIC, action=EventAction.VIEW)
def event(event_id: int) -> tuple[str, int]:
    actor = current_user()
    found = queries.load_event_for(actor, event_id)
    shop = shop_of_event(found)
    seats_left = None if found.capacity is None else max(0, found.capacity - found.registered)
    return render_template(
        "events/event.html",
        event=found,
        shop=shop,
        seats_left=seats_left,
        waitlisted=queries.waitlisted_counts([found.id]).get(found.id, 0),
        mine=_mine(actor.id if actor else None, found.id),
        staff=can(actor, EventAction.STAFF, found),
        signed_in=actor is not None,
        over=found.ends_at <= clock.now() or found.cancelled_at is not None,
        form=ActionForm(),
        words=words,
    ), 200


@bp.post("/events/<int:event_id>/register")
@route(Access.USER, action=EventAction.REGISTER)
def register(event_id: int) -> Response:
    result = act(
        lambda: registering.register(me(), event_id),
        lambda registration: (
            _("You are registered.")
            if registration.status != RegistrationStatus.WAITLISTED
            else _("You are on the waiting list: a seat that frees up is offered in turn.")
        ),
    )
    if isinstance(result, Registration):
        return redirect(url_for("event_pages.ticket", registration_id=result.id))
    return redirect(url_for("event_pages.event", event_id=event_id))


@bp.post("/registrations/<int:registration_id>/cancel")
@route(Access.USER, action=EventAction.REGISTRATION_CANCEL)
def cancel(registration_id: int) -> Response:
    registration = queries.load_registration_for(
        current_user(), registration_id, EventAction.REGISTRATION_CANCEL
    )
    event_id = registration.event_id
    act(lambda: registering.cancel(me(), registration_id), _("The registration is cancelled."))
    return redirect(url_for("event_pages.event", event_id=event_id))


def qr_svg(code: str) -> Markup:
    """The ticket code as an inline SVG QR code (no script: the page's CSP allows none)."""
    svg = segno.make(code, error="m").svg_inline(scale=5, title=code)
    return Markup(svg)  # noqa: S704 - segno's own markup of our code's characters


@bp.get("/registrations/<int:registration_id>")
@route(Access.USER, action=EventAction.REGISTRATION_VIEW)
def ticket(registration_id: int) -> tuple[str, int, dict[str, str]]:
    actor = me()
    registration = queries.load_registration_for(actor, registration_id)
    found = queries.load_event(registration.event_id)
    shop = shop_of_event(found)
    pay_online = registration.user_id == actor.id and paying.payable(registration, found)
    headers = {}
    if pay_online:
        # The "Pay online" form is redirected to the provider's checkout page: allowed.
        origin = current_app.config["PAYMENTS_CHECKOUT_ORIGIN"]
        headers["Content-Security-Policy"] = content_security_policy(
            request.path, form_targets=origin
        )
    return (
        render_template(
            "events/ticket.html",
            registration=registration,
            event=found,
            shop=shop,
            own=registration.user_id == actor.id,
            qr=qr_svg(registration.ticket_code)
            if registration.status in (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)
            else None,
            pay_online=pay_online,
            returned=request.args.get("checkout") == "returned",
            form=ActionForm(),
            words=words,
        ),
        200,
        headers,
    )


@bp.post("/registrations/<int:registration_id>/pay")
@route(Access.USER, action=EventAction.REGISTRATION_PAY)
def pay(registration_id: int) -> Response:
    """Send the member to the provider's checkout for their unpaid seat; they come back to
    their ticket, which says "payment received" once the provider's webhook confirmed it."""
    queries.load_registration_for(current_user(), registration_id, EventAction.REGISTRATION_PAY)
    back = url_for("event_pages.ticket", registration_id=registration_id, _external=True)
    url = attempt(
        lambda: paying.start_checkout(
            me(), registration_id, success_url=f"{back}?checkout=returned", cancel_url=back
        )
    )
    if isinstance(url, str):
        return redirect(url, code=303)
    flash(url.detail, "danger")
    return redirect(url_for("event_pages.ticket", registration_id=registration_id))


@bp.get("/events/<int:event_id>/registrations")
@route(Access.USER, action=EventAction.STAFF)
def registrations(event_id: int) -> tuple[str, int]:
    found = queries.load_event_for(current_user(), event_id, EventAction.STAFF)
    search = (request.args.get("q") or "").strip()[:100]
    status = request.args.get("status") or None
    if status not in set(RegistrationStatus):
        status = None
    rows = queries.registrations(found, status=status, search=search or None, limit=500)
    return render_template(
        "events/registrations.html",
        event=found,
        shop=shop_of_event(found),
        rows=rows,
        search=search,
        status=status,
        statuses=list(RegistrationStatus),
        words=words,
    ), 200


def _check_in_page(found: Event, form: CheckInForm, status: int = 200) -> tuple[str, int]:
    search = (request.args.get("q") or "").strip()[:100]
    rows = queries.registrations(found, search=search, limit=20) if search else []
    form.nonce.data = secrets.token_urlsafe(16)
    return render_template(
        "events/check_in.html",
        event=found,
        shop=shop_of_event(found),
        form=form,
        search=search,
        rows=rows,
        nonce=secrets.token_urlsafe(16),
        words=words,
    ), status


@bp.get("/events/<int:event_id>/check-in")
@route(Access.USER, action=EventAction.STAFF)
def check_in_page(event_id: int) -> tuple[str, int]:
    found = queries.load_event_for(current_user(), event_id, EventAction.STAFF)
    return _check_in_page(found, CheckInForm(formdata=None))


@bp.post("/events/<int:event_id>/check-in")
@route(Access.USER, action=EventAction.STAFF)
def check_in(event_id: int) -> Response | tuple[str, int]:
    found = queries.load_event_for(current_user(), event_id, EventAction.STAFF)
    form = CheckInForm()
    if not form.validate():
        return _check_in_page(found, form, 422)
    code = form.ticket_code.data or ""
    nonce = form.nonce.data or None

    def done(scan: checking_in.Scan) -> str:
        row = queries.registration_row(scan.registration)
        if row.points_awarded:
            return _(
                "%(name)s is checked in (%(points)s points).",
                name=row.name,
                points=row.points_awarded,
            )
        return _("%(name)s is checked in.", name=row.name)

    act(lambda: checking_in.check_in(me(), event_id, code, nonce), done)
    return redirect(url_for("event_pages.check_in_page", event_id=event_id))


# --- Self check-in: the door screen and a member's own check-in --------------------------------


def _self_check_in_url(event_id: int, code: str) -> str:
    return url_for("event_pages.self_check_in_page", event_id=event_id, c=code, _external=True)


def _qr_data_uri(text: str) -> str:
    """An image the page's CSP allows (``img-src data:``), so the script swaps its ``src``
    and never writes markup."""
    return str(segno.make_qr(text, error="m").svg_data_uri(scale=10, border=2))


@bp.get("/events/<int:event_id>/door")
@route(Access.USER, action=EventAction.STAFF)
def door(event_id: int) -> tuple[str, int]:
    """The door screen (the team's): the rotating signed QR code members scan to check
    themselves in, renewed by ``ui/static/event_door.js``; while self check-in is off, the
    managers' switch."""
    actor = me()
    found = queries.load_event_for(actor, event_id, EventAction.STAFF)
    shown = checking_in.door_code(actor, found.id) if found.self_check_in else None
    url = _self_check_in_url(found.id, shown.code) if shown else None
    return render_template(
        "events/door.html",
        event=found,
        shop=shop_of_event(found),
        shown=shown,
        qr=_qr_data_uri(url) if url else None,
        manager=can(actor, EventAction.MANAGE, found),
        form=DoorSwitchForm(formdata=None),
        words=words,
    ), 200


@bp.get("/events/<int:event_id>/door/code")
@route(Access.USER, action=EventAction.STAFF)
def door_code(event_id: int) -> Response:
    """The door screen's current code, for its script (409 self_check_in_off while off)."""
    shown = checking_in.door_code(me(), event_id)
    url = _self_check_in_url(event_id, shown.code)
    response = jsonify(
        code=shown.code,
        typed=shown.typed,
        url=url,
        qr=_qr_data_uri(url),
        refresh_in_ms=int(shown.seconds_left * 1000) + 100,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/events/<int:event_id>/door/switch")
@route(Access.USER, action=EventAction.MANAGE)
def door_switch(event_id: int) -> Response:
    queries.load_event_for(current_user(), event_id, EventAction.MANAGE)
    on = request.form.get("on") == "1"
    act(
        lambda: services.update_event(me(), event_id, {"self_check_in": on}),
        _("Self check-in is on: show this screen at the door.")
        if on
        else _("Self check-in is off."),
    )
    return redirect(url_for("event_pages.door", event_id=event_id))


def _self_check_in_page(found: Event, form: SelfCheckInForm, status: int = 200) -> tuple[str, int]:
    actor = current_user()
    form.nonce.data = secrets.token_urlsafe(16)
    return render_template(
        "events/door_self.html",
        event=found,
        shop=shop_of_event(found),
        form=form,
        mine=_mine(actor.id if actor else None, found.id),
        signed_in=actor is not None,
        words=words,
    ), status


@bp.get("/events/<int:event_id>/self-check-in")
@route(Access.PUBLIC, action=EventAction.VIEW)
def self_check_in_page(event_id: int) -> tuple[str, int]:
    """Where the door's QR code leads (``?c=`` its code): signed in, the page sends its form
    at once (``event_door.js``; the button without a script). A GET changes nothing: link
    previews and mail scanners open links, and a read runs without a transaction."""
    found = queries.load_event_for(current_user(), event_id)
    code = (request.args.get("c") or "").strip()[:64]
    return _self_check_in_page(found, SelfCheckInForm(formdata=None, door_code=code))


def _self_refusal(error: AppError) -> str:
    if error.code == "already_checked_in":
        return _("You are checked in already.")
    return error.detail


@bp.post("/events/<int:event_id>/self-check-in")
@route(Access.USER, action=EventAction.SELF_CHECK_IN)
def self_check_in(event_id: int) -> Response | tuple[str, int]:
    found = queries.load_event_for(current_user(), event_id, EventAction.SELF_CHECK_IN)
    form = SelfCheckInForm()
    if not form.validate():
        return _self_check_in_page(found, form, 422)
    code = form.door_code.data or ""
    nonce = form.nonce.data or None

    def done(scan: checking_in.Scan) -> str:
        points = queries.registration_row(scan.registration).points_awarded
        if points:
            return _("You are checked in: %(points)s points are yours.", points=points)
        return _("You are checked in. Enjoy the event!")

    act(
        lambda: checking_in.self_check_in(me(), event_id, code, nonce),
        done,
        refused=_self_refusal,
    )
    return redirect(url_for("event_pages.self_check_in_page", event_id=event_id))


# --- iCalendar ------------------------------------------------------------------------------


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//stampbook//events//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _vevent(event: Event, shop: Shop) -> CalendarEvent:
    item = CalendarEvent()
    item.add("uid", f"event-{event.id}@stampbook")
    item.add("dtstamp", clock.now())
    item.add("dtstart", event.starts_at)
    item.add("dtend", event.ends_at)
    item.add("summary", event.title)
    if event.description:
        item.add("description", event.description)
    if event.location:
        item.add("location", event.location)
    item.add("url", url_for("event_pages.event", event_id=event.id, _external=True))
    item.add("status", "CANCELLED" if event.cancelled_at is not None else "CONFIRMED")
    item.add("organizer", shop.name)
    return item


def _ics(calendar: Calendar, filename: str) -> Response:
    return Response(
        calendar.to_ical(),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/events/<int:event_id>.ics")
@route(Access.PUBLIC, action=EventAction.VIEW)
def event_ics(event_id: int) -> Response:
    found = queries.load_event_for(current_user(), event_id)
    shop = shop_of_event(found)
    calendar = _calendar(shop.name)
    calendar.add_component(_vevent(found, shop))
    return _ics(calendar, f"event-{found.id}.ics")


@bp.get("/shops/<int:shop_id>/events.ics")
@route(Access.PUBLIC, action=EventAction.VIEW)
def shop_ics(shop_id: int) -> Response:
    shop = load_shop(current_user(), shop_id)
    now = clock.now()
    found = queries.shop_events(
        shop=shop,
        team=False,
        when=EventWhen.ALL,
        starts_from=now - timedelta(days=30),
        starts_before=now + timedelta(days=FEED_DAYS),
        limit=500,
    )[:500]
    calendar = _calendar(shop.name)
    for item in found:
        calendar.add_component(_vevent(item, shop))
    return _ics(calendar, f"shop-{shop.id}-events.ics")


# --- The attendance report ------------------------------------------------------------------


def _money(minor: int, currency: str) -> str:
    return from_minor(minor, currency)


@bp.get("/events/<int:event_id>/attendance")
@route(Access.USER, action=EventAction.STAFF)
def attendance(event_id: int) -> tuple[str, int]:
    found = queries.load_event_for(current_user(), event_id, EventAction.STAFF)
    (report,) = queries.attendance([found])
    return render_template(
        "events/attendance.html",
        event=found,
        shop=shop_of_event(found),
        report=report,
        rows=queries.registrations(found, limit=2000),
        revenue=words.display_money(report.revenue, found.currency),
        words=words,
    ), 200


def _csv(header: list[str], lines: list[list[object]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for line in lines:
        writer.writerow([_cell(value) for value in line])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: object) -> object:
    """A spreadsheet never runs a cell a person wrote as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return "" if value is None else value


@bp.get("/events/<int:event_id>/attendance.csv")
@route(Access.USER, action=EventAction.STAFF)
def attendance_csv(event_id: int) -> Response:
    found = queries.load_event_for(current_user(), event_id, EventAction.STAFF)
    rows = queries.registrations(found, limit=100_000)
    header = [
        "registration_id",
        "name",
        "email",
        "status",
        "payment_status",
        "joined_at",
        "checked_in_at",
        "checked_out_at",
        "points_awarded",
    ]
    lines: list[list[object]] = [
        [
            row.registration.id,
            row.name,
            row.email,
            row.registration.status,
            row.registration.payment_status,
            row.registration.joined_at,
            row.registration.checked_in_at,
            row.registration.checked_out_at,
            row.points_awarded,
        ]
        for row in rows
    ]
    return _csv(header, lines, f"event-{found.id}-attendance.csv")


def _period(shop: Shop) -> tuple[date, date, list[queries.Attendance]]:
    today = clock.now().date()
    try:
        since = date.fromisoformat(request.args.get("since") or "")
    except ValueError:
        since = today - timedelta(days=30)
    try:
        until = date.fromisoformat(request.args.get("until") or "")
    except ValueError:
        until = today
    start, end = day_range(since, until)
    found = queries.shop_events(
        shop=shop, team=True, when=EventWhen.ALL, starts_from=start, starts_before=end, limit=1000
    )[:1000]
    return since, until, queries.attendance(found)


@bp.get("/shops/<int:shop_id>/events/attendance")
@route(Access.USER, action=EventAction.STAFF)
def period_attendance(shop_id: int) -> tuple[str, int]:
    shop = load_shop(current_user(), shop_id, EventAction.STAFF)
    since, until, reports = _period(shop)
    return render_template(
        "events/period_attendance.html",
        shop=shop,
        since=since,
        until=until,
        reports=reports,
        words=words,
    ), 200


@bp.get("/shops/<int:shop_id>/events/attendance.csv")
@route(Access.USER, action=EventAction.STAFF)
def period_attendance_csv(shop_id: int) -> Response:
    shop = load_shop(current_user(), shop_id, EventAction.STAFF)
    since, until, reports = _period(shop)
    header = [
        "event_id",
        "title",
        "starts_at",
        "registered",
        "attended",
        "no_shows",
        "waitlisted",
        "cancelled",
        "revenue",
        "currency",
    ]
    lines: list[list[object]] = [
        [
            r.event.id,
            r.event.title,
            r.event.starts_at,
            r.registered,
            r.attended,
            r.no_shows,
            r.waitlisted,
            r.cancelled,
            _money(r.revenue, r.event.currency),
            r.event.currency,
        ]
        for r in reports
    ]
    return _csv(header, lines, f"shop-{shop.id}-attendance-{since}-{until}.csv")
