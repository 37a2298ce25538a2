"""The demo café has two hosts and the regular's bookings."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.consultations.models import Booking, Host


def test_the_demo_has_two_hosts_and_bookings(
    app: Flask, app_context: None, session: Session
) -> None:
    domains.load_demo()
    hosts = session.scalars(select(Host).order_by(Host.id)).all()
    assert len(hosts) == 2 and all(h.verification_status == "verified" for h in hosts)
    statuses = sorted(b.status for b in session.scalars(select(Booking)))
    assert statuses == ["booked", "completed"]
