"""Forgotten passwords, across accounts (the link) and notifications (its email).

Asking does the same work whatever the address: the request only queues ``send_reset``
after its commit, so its answer and its time say nothing of whether the address has an
account. The job makes the link's secret itself, so the secret never travels through the
queue, an occurrence or a webhook: it goes into the email's delivery alone, which forgets it
once sent (``notifications.delivering``), and the database keeps only its hash.
"""

from __future__ import annotations

from flask import current_app

from stampbook.accounts import recovery
from stampbook.core import unit_of_work
from stampbook.core.jobs import job
from stampbook.notifications.notifying import send_security
from stampbook.notifications.recipients import path

KIND = "password_reset"


def ask(email: str) -> None:
    """Email a reset link to ``email`` after commit, if it is a live account's address."""
    unit_of_work.after_commit(lambda: send_reset.enqueue(email))


@job
def send_reset(email: str) -> None:
    """Make a reset link for the account of ``email`` (none: nothing to do) and its email."""
    started = recovery.start(email)
    if started is None:
        return
    user, secret = started
    send_security(
        KIND,
        user,
        {"user_name": user.name, "minutes": current_app.config["PASSWORD_RESET_MINUTES"]},
        link=path("recovery_pages.reset_password", secret=secret),
    )
