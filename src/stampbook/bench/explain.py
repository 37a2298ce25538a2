"""The query plans of the hot endpoints, captured from the real requests they send."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DBAPIError

from stampbook.bench.dataset import Size, owner_id, token_secret
from stampbook.bench.events import LOADS, door, ticket_code
from stampbook.bench.lots import world as lot_world

HOT_REQUESTS = {
    "stamp (earn)": ("POST", "/api/v1/tasks/2/stamps", {"membership_id": 1}, 1),
    "redemption": ("POST", "/api/v1/rewards/2/redemptions", {"membership_id": 1}, 1),
    "balance": ("GET", "/api/v1/memberships/1", None, 1),
    "reward list (50, default sort)": ("GET", "/api/v1/shops/1/rewards?program_id=1", None, 1),
    "leaderboard (top 100)": ("GET", "/api/v1/programs/1/leaderboard?limit=100", None, 1),
    "history page (50 entries)": ("GET", "/api/v1/memberships/1/entries?limit=50", None, 1),
    "member search": ("GET", "/api/v1/shops/1/members?q=Gra", None, None),
}
SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def hot_query_plans(url: str, size: Size, secret_key: str, instance: str) -> dict[str, Any]:
    from stampbook.app import create_app

    os.environ["STAMPBOOK_INSTANCE"] = instance
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret_key})
    with app.app_context():
        from stampbook.core.db import db

        app_engine = db.engine
    explainer = create_engine(url)
    plans: dict[str, Any] = {}
    lots = lot_world(size)
    many, many_user = lots.many[0], lots.user(lots.many[0])
    # A ticket of the last block: the check-in scenario's loads took the first ones.
    event_id = door(size).check_in_events(LOADS - 1)[0]
    hot = {
        **HOT_REQUESTS,
        "event check-in (door queue)": (
            "POST",
            f"/api/v1/events/{event_id}/check-ins",
            {"ticket_code": ticket_code(event_id, 1)},
            None,
        ),
        # The member with 10,000 lots (``bench.lots``): the expiring dates and the spending.
        "member with 10,000 lots: read": ("GET", f"/api/v1/memberships/{many}", None, many_user),
        "member with 10,000 lots: redeem": (
            "POST",
            f"/api/v1/rewards/{lots.reward_for(many)}/redemptions",
            {"membership_id": many},
            many_user,
        ),
    }
    for name, (method, path, body, member) in hot.items():
        token = token_secret(member if member is not None else owner_id(size))
        seen: list[tuple[str, Any]] = []

        def record(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
            if not statement.lstrip().upper().startswith(SKIP):
                seen.append((statement, parameters))  # noqa: B023

        event.listen(app_engine, "before_cursor_execute", record)
        try:
            app.test_client().open(
                path,
                method=method,
                json=body,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"explain-{name}"},
            )
        finally:
            event.remove(app_engine, "before_cursor_execute", record)
        statements = []
        with explainer.connect() as connection:
            for statement, parameters in seen:
                transaction = connection.begin()
                try:
                    rows = connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).all()
                    plan = [row[0] for row in rows]
                except DBAPIError as error:
                    # Replaying a write can collide with what the request itself wrote.
                    plan = [f"(not replayed: {type(error.orig).__name__})"]
                finally:
                    transaction.rollback()
                statements.append({"sql": " ".join(statement.split()), "plan": plan})
        plans[name] = {"statements": len(statements), "queries": statements}
    explainer.dispose()
    return plans
