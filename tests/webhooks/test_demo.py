"""The demo café's webhook endpoint is there, and disabled: ``make run`` never calls out."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.webhooks.models import WebhookEndpoint, WebhookMessage


def test_the_demo_endpoint_is_disabled_and_sent_nothing(
    app: Flask, app_context: None, session: Session
) -> None:
    domains.load_demo()
    endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "manual")
    assert endpoint.secret.startswith("whsec_")
    assert session.scalar(select(func.count()).select_from(WebhookMessage)) == 0
