"""The tiers' background work: re-evaluating a program's members after its tiers changed,
and reviewing members whose held period ended (reads review them lazily too)."""

from __future__ import annotations

from huey import crontab

from stampbook.core.jobs import job, periodic
from stampbook.tiers import standing


@job
def reevaluate_program(program_id: int) -> int:
    """Queued after a change of a program's tiers commits."""
    return standing.reevaluate(program_id)


@periodic(crontab(minute="17"))
def review_ended_tier_periods() -> int:
    """Hourly, so a member's tier falls soon after its period ends in the shop's zone."""
    return standing.review_due()
