"""The demo café's webhook endpoint: disabled, so that ``make run`` never calls out, and
its pages have something to show."""

from __future__ import annotations

from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.core.occurrences import OccurrenceType
from stampbook.webhooks import rules
from stampbook.webhooks.models import DisabledReason, WebhookEndpoint


def load(world: DemoWorld) -> None:
    if world.shop_id is None:
        return
    db.session.add(
        WebhookEndpoint(
            shop_id=world.shop_id,
            url="https://example.com/stampbook-webhooks",
            description="The till's loyalty screen (enable it with a real address)",
            event_types=[str(OccurrenceType.POINTS_EARNED), str(OccurrenceType.REDEMPTION_CREATED)],
            secret=rules.new_secret(),
            enabled=False,
            disabled_reason=DisabledReason.MANUAL,
        )
    )
    db.session.flush()
