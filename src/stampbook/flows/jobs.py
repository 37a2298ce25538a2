"""The flows' jobs, named here so that the worker, which imports each domain's ``jobs``
(``domains.load("jobs")``), knows them without loading the app's routes."""

from __future__ import annotations

from stampbook.flows.announcements import send_test
from stampbook.flows.confirmations import send_confirmation
from stampbook.flows.recovery import send_reset

__all__ = ["send_confirmation", "send_reset", "send_test"]
