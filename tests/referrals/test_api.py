"""Referrals through the API: codes, joining through one, completion paying once, every
fraud rule with its reason, expiry, escalation, the team's review, bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.ledger.models import LedgerEntry
from stampbook.referrals.models import Referral
from tests.referrals.conftest import Referrals


def _entries(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).where(LedgerEntry.cause_type == "referral")) or 0
    )


def test_a_code_is_made_once_short_and_unambiguous(referrals: Referrals) -> None:
    referrals.person("ada")
    first = referrals.code("ada")
    assert first == referrals.code("ada")
    assert len(first) == 8 and not set(first) & set("01OIL")


def test_a_friend_joining_through_a_code_pays_both_once(referrals: Referrals) -> None:
    referrals.person("ada")
    referrals.person("grace", member=False)
    answer = referrals.join("grace", referrals.code("ada"))
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "completed"
    assert answer.json["advocate_points"] == 50 and answer.json["friend_points"] == 20
    assert referrals.balance_of("ada") == 50
    assert referrals.balance_of("grace") == 20
    again = referrals.join("grace", referrals.code("ada"))
    assert again.json["status"] == "rejected"
    assert again.json["reason"] == "not_new"
    assert referrals.balance_of("ada") == 50


def _customer_code(referrals: Referrals, external_id: str) -> tuple[int, str]:
    """A store customer (made by a first order) and their code, read by the manager."""
    store = referrals.store
    assert store.order(f"first-{external_id}", "5.00", external_id=external_id).status_code == 201
    page = referrals.client.get(
        f"/api/v1/programs/{referrals.program_id}/memberships",
        query_string={"external_id": external_id},
        headers=store.headers,
    )
    [membership] = page.json["items"]
    answer = referrals.client.get(
        f"/api/v1/memberships/{membership['id']}/referral", headers=store.headers
    )
    assert answer.status_code == 200, answer.json
    return int(membership["id"]), str(answer.json["code"])


def _team_refers(referrals: Referrals, code: str, membership_id: int) -> dict[str, object]:
    answer = referrals.client.post(
        f"/api/v1/programs/{referrals.program_id}/referrals",
        json={"code": code, "membership_id": membership_id},
        headers=referrals.store.headers,
    )
    assert answer.status_code == 201, answer.json
    return dict(answer.json)


# --- Fraud rules: one test each -------------------------------------------------------------


def test_self_referral_by_the_same_user_is_rejected(referrals: Referrals, session: Session) -> None:
    referrals.person("ada")
    answer = referrals.join("ada", referrals.code("ada"))
    assert answer.status_code == 201
    assert (answer.json["status"], answer.json["reason"]) == ("rejected", "self_user")
    assert _entries(session) == 0


def test_self_referral_by_the_same_store_customer_is_rejected(
    referrals: Referrals, session: Session
) -> None:
    membership_id, code = _customer_code(referrals, "shopper")
    made = _team_refers(referrals, code, membership_id)
    assert (made["status"], made["reason"]) == ("rejected", "self_customer")
    assert _entries(session) == 0


def test_self_referral_by_an_alias_of_the_same_email_is_rejected(
    referrals: Referrals, session: Session
) -> None:
    referrals.person("ada", email="ada.lovelace@gmail.com")
    referrals.person("twin", member=False, email="AdaLovelace+deals@googlemail.com")
    answer = referrals.join("twin", referrals.code("ada"))
    assert (answer.json["status"], answer.json["reason"]) == ("rejected", "self_email")
    assert _entries(session) == 0


def test_self_referral_under_the_same_name_is_rejected(
    referrals: Referrals, session: Session
) -> None:
    referrals.person("ada", full_name="Ada Lovelace")
    referrals.person("other", member=False, full_name="  ada  LOVELACE ")
    answer = referrals.join("other", referrals.code("ada"))
    assert (answer.json["status"], answer.json["reason"]) == ("rejected", "self_name")
    assert _entries(session) == 0


def test_an_order_placed_by_the_advocate_with_their_own_code_is_rejected(
    referrals: Referrals, session: Session
) -> None:
    membership_id, code = _customer_code(referrals, "shopper")
    store = referrals.store
    assert store.order("own", "30.00", external_id="shopper", referral_code=code).status_code == 201
    [row] = session.scalars(select(Referral).where(Referral.friend_id == membership_id)).all()
    assert (row.status, row.reason, row.method) == ("rejected", "self_order", "order")
    assert _entries(session) == 0


def test_a_friend_referred_by_a_second_advocate_is_rejected(
    referrals: Referrals, session: Session
) -> None:
    referrals.settings(completes="on_first_purchase")
    referrals.person("ada")
    referrals.person("bob")
    referrals.person("grace", member=False)
    first = referrals.join("grace", referrals.code("ada"))
    assert (first.json["status"], first.json["held"]) == ("pending", False)
    grace = referrals.people["grace"].user
    from stampbook.programs.models import Membership

    membership = session.scalars(select(Membership).where(Membership.user_id == grace.id)).one()
    second = _team_refers(referrals, referrals.code("bob"), membership.id)
    assert (second["status"], second["reason"]) == ("rejected", "already_referred")


def test_a_code_on_an_order_that_is_not_the_first_is_rejected(
    referrals: Referrals, session: Session
) -> None:
    referrals.person("ada")
    store = referrals.store
    assert store.order("earlier", "10.00", external_id="regular").status_code == 201
    answer = store.order(
        "later", "10.00", external_id="regular", referral_code=referrals.code("ada")
    )
    assert answer.status_code == 201
    [row] = session.scalars(select(Referral)).all()
    assert (row.status, row.reason) == ("rejected", "not_first_order")
    assert _entries(session) == 0


def test_a_new_customers_first_order_with_a_code_refers_them(
    referrals: Referrals, session: Session
) -> None:
    referrals.settings(completes="on_first_purchase", minimum_amount="20.00")
    referrals.person("ada")
    store = referrals.store
    answer = store.order(
        "first", "25.00", external_id="newbie", referral_code=referrals.code("ada")
    )
    assert answer.status_code == 201
    [row] = session.scalars(select(Referral)).all()
    assert (row.status, row.method, row.advocate_points, row.friend_points) == (
        "completed", "order", 50, 20,
    )  # fmt: skip
    assert referrals.balance_of("ada") == 50
    assert store.balance("newbie") == 25 + 20


def test_a_first_order_below_the_minimum_is_rejected(
    referrals: Referrals, session: Session
) -> None:
    referrals.settings(completes="on_first_purchase", minimum_amount="20.00")
    referrals.person("ada")
    referrals.store.order(
        "small", "10.00", external_id="newbie", referral_code=referrals.code("ada")
    )
    [row] = session.scalars(select(Referral)).all()
    assert (row.status, row.reason) == ("rejected", "below_minimum")
    assert _entries(session) == 0


def test_a_loop_is_rejected(referrals: Referrals, session: Session) -> None:
    referrals.person("ada", member=False)
    referrals.person("grace")
    assert referrals.join("ada", referrals.code("grace")).json["status"] == "completed"
    # Ada is a member now: her referring Grace back is a loop (checked before "not new").
    loop = referrals.join("grace", referrals.code("ada"))
    assert (loop.json["status"], loop.json["reason"]) == ("rejected", "loop")
    assert _entries(session) == 2  # the first referral's two payments only


def test_the_cap_per_advocate_and_period_rejects_the_next(
    referrals: Referrals, session: Session
) -> None:
    referrals.settings(cap_count=2, cap_period="month")
    referrals.person("ada")
    code = referrals.code("ada")
    statuses = []
    for name in ("b", "c", "d"):
        referrals.person(name, member=False)
        answer = referrals.join(name, code)
        statuses.append((answer.json["status"], answer.json["reason"]))
    assert statuses == [("completed", None), ("completed", None), ("rejected", "cap_reached")]
    assert referrals.balance_of("ada") == 100


def test_ten_from_one_address_in_a_week_are_held_then_approved_pays_once(
    referrals: Referrals, session: Session
) -> None:
    referrals.person("ada")
    code = referrals.code("ada")
    answers = []
    for n in range(10):
        referrals.person(f"f{n}", member=False)
        answers.append(referrals.join(f"f{n}", code, REMOTE_ADDR="203.0.113.7").json)
    assert [a["status"] for a in answers[:9]] == ["completed"] * 9
    held = answers[9]
    assert (held["status"], held["held"]) == ("pending", True)
    assert referrals.balance_of("ada") == 9 * 50
    listed = referrals.client.get(
        f"/api/v1/programs/{referrals.program_id}/referrals",
        query_string={"held": "true"},
        headers=referrals.store.headers,
    )
    assert [r["id"] for r in listed.json["items"]] == [held["id"]]
    # The team's list pages by the API's cursor, newest first.
    pages: list[int] = []
    cursor: str | None = None
    while True:
        page = referrals.client.get(
            f"/api/v1/programs/{referrals.program_id}/referrals",
            query_string={"limit": 4, **({"cursor": cursor} if cursor else {})},
            headers=referrals.store.headers,
        )
        assert page.status_code == 200, page.json
        pages.extend(r["id"] for r in page.json["items"])
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert pages == sorted((a["id"] for a in answers), reverse=True)
    url = f"/api/v1/referrals/{held['id']}/approve"
    approved = referrals.client.post(url, headers=referrals.store.headers)
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "completed"
    again = referrals.client.post(url, headers=referrals.store.headers)
    assert again.status_code == 409 and again.json["code"] == "referral_not_held"
    assert referrals.balance_of("ada") == 10 * 50
    assert referrals.balance_of("f9") == 20


def test_a_held_referral_rejected_by_the_team_pays_nothing(referrals: Referrals) -> None:
    referrals.person("ada")
    code = referrals.code("ada")
    for n in range(10):
        referrals.person(f"f{n}", member=False)
        last = referrals.join(f"f{n}", code, REMOTE_ADDR="203.0.113.8").json
    rejected = referrals.client.post(
        f"/api/v1/referrals/{last['id']}/reject", headers=referrals.store.headers
    )
    assert (rejected.json["status"], rejected.json["reason"]) == ("rejected", "by_team")
    assert referrals.balance_of("f9") == 0


# --- Expiry, escalation -----------------------------------------------------------------------


def test_a_code_used_after_the_window_pays_nothing(
    referrals: Referrals, session: Session, monkeypatch: object
) -> None:
    import pytest

    referrals.settings(completes="on_first_purchase", expiry_days=7)
    referrals.person("ada")
    referrals.person("grace", member=False)
    pending = referrals.join("grace", referrals.code("ada")).json
    assert pending["status"] == "pending"
    later = utcnow() + timedelta(days=8)
    patch = pytest.MonkeyPatch()
    patch.setattr("stampbook.core.clock.now", lambda: later)
    try:
        listed = referrals.client.get(
            f"/api/v1/memberships/{referrals.people['ada'].membership.id}/referrals",  # type: ignore[union-attr]
            headers=referrals.people["ada"].headers,
        )
        assert [r["status"] for r in listed.json["items"]] == ["expired"]
    finally:
        patch.undo()
    assert _entries(session) == 0


def test_an_order_after_the_window_completes_nothing(
    referrals: Referrals, session: Session
) -> None:
    import pytest

    referrals.settings(completes="on_first_purchase", expiry_days=7)
    referrals.person("ada")
    referrals.person("grace", member=False)
    referrals.join("grace", referrals.code("ada"))
    grace = referrals.membership("grace").id
    patch = pytest.MonkeyPatch()
    patch.setattr("stampbook.core.clock.now", lambda: utcnow() + timedelta(days=8))
    try:
        answer = referrals.store.order("late", "30.00", membership_id=grace, external_id=None)
    finally:
        patch.undo()
    assert answer.status_code == 201, answer.json
    [row] = session.scalars(select(Referral)).all()
    assert row.status == "expired"
    assert _entries(session) == 0


def test_escalation_pays_more_from_the_nth_referral(referrals: Referrals) -> None:
    referrals.settings(escalation=[{"from_count": 3, "points": 200}])
    referrals.person("ada")
    code = referrals.code("ada")
    paid = []
    for name in ("b", "c", "d", "e"):
        referrals.person(name, member=False)
        answer = referrals.join(name, code).json
        paid.append((answer["ordinal"], answer["advocate_points"], answer["friend_points"]))
    assert paid == [(1, 50, 20), (2, 50, 20), (3, 200, 20), (4, 200, 20)]
    assert referrals.balance_of("ada") == 50 + 50 + 200 + 200


# --- Bad input -----------------------------------------------------------------------------------


def test_bad_settings_and_codes_get_clear_problems(referrals: Referrals) -> None:
    url = f"/api/v1/programs/{referrals.program_id}/referral-settings"
    headers = referrals.store.headers

    def put(**body: object) -> tuple[int, str | None]:
        answer = referrals.client.put(url, json={"enabled": True, **body}, headers=headers)
        assert answer.mimetype == "application/problem+json", answer.json
        return answer.status_code, answer.json.get("code")

    assert put(escalation=[{"from_count": 1, "points": 5}]) == (409, "referral_step_invalid")
    two = [{"from_count": 3, "points": 5}, {"from_count": 3, "points": 9}]
    assert put(escalation=two) == (409, "referral_step_duplicate")
    assert put(expiry_days=0)[0] == 422
    assert put(advocate_points=-1)[0] == 422
    assert put(minimum_amount="ten")[0] == 422
    assert put(completes="whenever")[0] == 422
    assert put(advocate_reward_id=999_999) == (409, "reward_not_in_shop")
    referrals.person("grace", member=False)
    unknown = referrals.join("grace", "NOPE2345")
    assert (unknown.status_code, unknown.json["code"]) == (409, "referral_code_unknown")
    assert unknown.mimetype == "application/problem+json"
    referrals.settings(enabled=False)
    referrals.person("ada")
    off = referrals.join("grace", referrals.code("ada"))
    assert (off.status_code, off.json["code"]) == (409, "referrals_disabled")
    missing = referrals.client.post(
        f"/api/v1/programs/{referrals.program_id}/referrals",
        json={"kode": "X"},
        headers=referrals.people["grace"].headers,
    )
    assert missing.status_code == 422


def test_a_reward_for_the_friend_is_a_free_receipt_given_once(
    referrals: Referrals, session: Session
) -> None:
    from stampbook.rewards.models import Redemption
    from tests.factories.rewards import make_reward

    gift = make_reward(session, referrals.store.team.shop, name="10% off", cost=500)
    referrals.settings(friend_points=0, friend_reward_id=gift.id)
    referrals.person("ada")
    referrals.person("grace", member=False)
    assert referrals.join("grace", referrals.code("ada")).json["status"] == "completed"
    grace = referrals.membership("grace").id
    receipts = session.scalars(select(Redemption).where(Redemption.reward_id == gift.id)).all()
    assert [(r.paid_by_membership_id, r.points_paid) for r in receipts] == [(grace, 0)]
    assert referrals.balance_of("grace") == 0
    assert referrals.balance_of("ada") == 50


def test_ten_first_orders_from_one_address_in_a_week_hold_the_tenth(
    referrals: Referrals, session: Session
) -> None:
    """A store order's network address (Shopify's ``browser_ip``) counts toward the hold as
    a sign-up's does; two spellings of one IPv6 address are one address."""
    referrals.settings(completes="on_first_purchase", minimum_amount="1.00")
    referrals.person("ada")
    code = referrals.code("ada")
    store = referrals.store
    for n in range(10):
        address = "2001:db8::7" if n % 2 else "2001:DB8:0::7"
        answer = store.order(
            f"o{n}", "5.00", external_id=f"new-{n}", referral_code=code, browser_ip=address
        )
        assert answer.status_code == 201, answer.json
    rows = session.scalars(select(Referral).order_by(Referral.id)).all()
    assert [r.status for r in rows] == ["completed"] * 9 + ["pending"]
    assert rows[-1].held and rows[-1].network == "2001:db8::7"
    bad = store.order("o-bad", "5.00", external_id="new-x", browser_ip="not an address")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "browser_ip"
