"""The demo's people: a café owner, a barista and a regular (``stampbook demo``)."""

from __future__ import annotations

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts import services
from stampbook.core.db import utcnow
from stampbook.core.demo import DemoWorld

PASSWORD = "stampbook-demo"
PEOPLE = [
    ("ada@example.com", "Ada (café owner)"),
    ("grace@example.com", "Grace (barista)"),
    ("linus@example.com", "Linus (regular)"),
]


def load(world: DemoWorld) -> None:
    """Find or register the demo accounts (the first step, even when the rest exists)."""
    for email, name in PEOPLE:
        user = accounts_queries.find_by_email(email) or services.register(
            email=email, name=name, password=PASSWORD
        )
        # The demo's addresses are nobody's (example.com): taken as confirmed, so the demo
        # shows what a confirmed account sees and no confirmation email goes out.
        user.email_verified_at = user.email_verified_at or utcnow()
        world.user_ids.append(user.id)
        world.accounts.append((email, PASSWORD))
