"""The flows' jobs, named here so that the worker, which imports each domain's ``jobs``
(``domains.load("jobs")``), knows them without loading the app's routes."""

from __future__ import annotations

from huey import crontab

from stampbook.core.jobs import periodic
from stampbook.flows.announcements import send_test
from stampbook.flows.confirmations import send_confirmation
from stampbook.flows.discount_codes import make_code, queue_due
from stampbook.flows.payments import refund_late_booking_payment, retry_late_booking_refunds
from stampbook.flows.recovery import send_reset
from stampbook.flows.referral_invitations import send_invitations


@periodic(crontab())
def make_due_discount_codes() -> int:
    """Every minute: discount codes whose try is due (a retry, a job lost with its worker)."""
    return queue_due()


@periodic(crontab(minute="*/15"))
def retry_late_booking_refunds_job() -> int:
    """Every 15 minutes: late booking payments whose refund the provider has not taken yet."""
    return retry_late_booking_refunds()


__all__ = [
    "make_code",
    "make_due_discount_codes",
    "refund_late_booking_payment",
    "send_confirmation",
    "send_invitations",
    "send_reset",
    "send_test",
]
