"""A page's form sent twice (a double click, a reload, a retry after a lost answer) has its
effect once: forms that move points carry an idempotency key the guard honours."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import stampbook
from stampbook.core.idempotency import FORM_FIELD
from stampbook.core.policy import policy_of
from stampbook.rewards.models import Redemption
from stampbook.tasks.models import Stamp
from tests.factories.ledger import give_points
from tests.pages import Cafe, csrf_token, log_in, text_of

# Every domain keeps its templates in its own templates/ folder (ui/ the shared ones).
TEMPLATES = {
    path.relative_to(folder).as_posix(): path
    for folder in Path(stampbook.__file__).parent.glob("*/templates")
    for path in folder.rglob("*.html")
}
SENT_ALREADY = "This form was sent already: it was not done twice."
# Confirmation pages whose form posts back to the page's own address.
CONFIRMED_HERE = {
    "task_pages.revoke": "tasks/confirm.html",
    "receipt_pages.cancel_receipt": "rewards/cancel.html",
    "merge_pages.merge_shop": "flows/_merge.html",
    "merge_pages.merge_program": "flows/_merge.html",
}


def key_of(page: str) -> str:
    match = re.search(rf'name="{FORM_FIELD}" value="([^"]+)"', page)
    assert match, "the form carries no idempotency key"
    return match.group(1)


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_redemption_sent_twice_is_made_once_and_both_answers_lead_to_its_receipt(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    log_in(client, cafe.member.email)
    page = f"/rewards/{cafe.coffee.id}"
    shown = text_of(client.get(page))
    form = {
        "membership_id": cafe.membership.id,
        "quantity": 1,
        "csrf_token": csrf_token(client, page),
        FORM_FIELD: key_of(shown),
    }
    first = client.post(f"{page}/redeem", data=form)
    again = client.post(f"{page}/redeem", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert SENT_ALREADY in text_of(client.get(again.headers["Location"]))
    assert count(session, Redemption) == 1
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 100 - cafe.coffee.cost


def test_each_showing_of_the_form_gets_its_own_key(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    log_in(client, cafe.member.email)
    page = f"/rewards/{cafe.coffee.id}"
    for _ in range(2):
        shown = text_of(client.get(page))
        form = {
            "membership_id": cafe.membership.id,
            "quantity": 1,
            "csrf_token": csrf_token(client, page),
            FORM_FIELD: key_of(shown),
        }
        assert client.post(f"{page}/redeem", data=form).status_code == 303
    assert count(session, Redemption) == 2


def test_a_stamp_sent_twice_is_stamped_once(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    page = f"/programs/{cafe.program.id}"
    shown = text_of(client.get(page))
    form = {
        "membership_id": cafe.membership.id,
        "csrf_token": csrf_token(client, page),
        FORM_FIELD: key_of(shown),
    }
    for _ in range(3):
        assert client.post(f"/tasks/{cafe.task.id}/stamp", data=form).status_code == 303
    assert count(session, Stamp) == 1


def test_the_same_key_with_other_fields_is_refused(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    log_in(client, cafe.member.email)
    page = f"/rewards/{cafe.coffee.id}"
    form = {
        "membership_id": cafe.membership.id,
        "quantity": 1,
        "csrf_token": csrf_token(client, page),
        FORM_FIELD: "the-same-key-twice",
    }
    assert client.post(f"{page}/redeem", data=form).status_code == 303
    other = client.post(f"{page}/redeem", data={**form, "quantity": 2})
    assert other.status_code == 422
    assert count(session, Redemption) == 1


def test_every_form_of_an_idempotent_page_route_carries_a_key(app: Flask) -> None:
    templates = {name: path.read_text() for name, path in TEMPLATES.items()}
    endpoints = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/")
        and "POST" in (rule.methods or ())
        and (policy := policy_of(app.view_functions[rule.endpoint])) is not None
        and policy.idempotent
    )
    assert len(endpoints) >= 10
    for endpoint in endpoints:
        if endpoint in CONFIRMED_HERE:
            text = TEMPLATES[CONFIRMED_HERE[endpoint]].read_text()
            assert re.search(r'<form method="post"[^>]*>\s*\{\{ form_key_field\(\) \}\}', text)
            continue
        forms = [
            match
            for text in templates.values()
            for match in re.finditer(
                rf"<form[^>]*url_for\('{re.escape(endpoint)}'[^>]*>\s*(.*)", text
            )
        ]
        assert forms, f"no form posts to {endpoint}"
        for form in forms:
            assert form.group(1).strip() == "{{ form_key_field() }}", endpoint
