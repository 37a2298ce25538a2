"""Email verification, across accounts (the link), notifications (its email) and programs
(what a confirmed address claims).

A new account and a changed address announce themselves (``user.registered``,
``user.email_changed``); this module's outbox consumer then makes the link and its email,
after the request's commit. A user can ask again (``ask``), through a job as well. The
link's secret is made where the email is, so it never travels through the queue, an
occurrence or a webhook: the database keeps only its hash, and the email's delivery forgets
the link once sent (``notifications.delivering``).
"""

from __future__ import annotations

from flask import current_app

from stampbook.accounts import confirmations
from stampbook.accounts.models import User
from stampbook.core import unit_of_work
from stampbook.core.db import db
from stampbook.core.jobs import job
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.flows.claims import claim_customers
from stampbook.notifications.notifying import send_security
from stampbook.notifications.recipients import path

CONSUMER_NAME = "email_confirmations"
TYPES = frozenset({OccurrenceType.USER_REGISTERED, OccurrenceType.USER_EMAIL_CHANGED})
KIND = "email_confirmation"


def handle(occurrence: Occurrence) -> None:
    """A new or changed address: email it a link to confirm it."""
    _send(occurrence.payload["user_id"])


def ask(user: User) -> None:
    """Email the user's address a new confirmation link after commit (nothing if it is
    confirmed already)."""
    user_id = user.id
    unit_of_work.after_commit(lambda: send_confirmation.enqueue(user_id))


@job
def send_confirmation(user_id: int) -> None:
    _send(user_id)


def _send(user_id: int) -> None:
    user = db.session.get(User, user_id)
    secret = confirmations.start(user) if user is not None else None
    if user is None or secret is None:
        return
    send_security(
        KIND,
        user,
        {"user_name": user.name, "hours": current_app.config["EMAIL_CONFIRMATION_HOURS"]},
        link=path("confirmation_pages.confirm_email", secret=secret),
    )


def confirm(secret: str) -> User:
    """Confirm the link's address, and claim what the shops kept under it."""
    user = confirmations.complete(secret)
    claim_customers(user)
    return user
