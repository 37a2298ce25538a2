"""Discount codes for discount rewards (RELIABILITY 42): a code is made only after the debit
commits, is unique and single-use; the store refusing it gives the points back once; a retry
(after a lost answer, a crash) never makes two. The store is a fake Shopify Admin API on
loopback (``tests/loyalty/fake_shopify_admin.py``); jobs run inline (tests), retries by the
sweep on a pinned clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stampbook.core import unit_of_work
from stampbook.core.db import db
from stampbook.core.outbox import Occurrence
from stampbook.flows import discount_codes
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import Integration
from stampbook.programs.models import Membership
from stampbook.rewards import discount_rules, discounting, redeeming
from stampbook.rewards.models import DiscountStatus, Redemption, Reward
from tests.concurrency import committed_session
from tests.factories.accounts import auth, make_token
from tests.factories.ledger import give_points
from tests.factories.rewards import make_reward
from tests.factories.shops import Team, make_team
from tests.loyalty.fake_shopify_admin import TOKEN, FakeStore, Scripted

DOMAIN = "corner-cafe.myshopify.com"
BOB = "706405506930370084"  # the member's Shopify customer id
BOB_GID = f"gid://shopify/Customer/{BOB}"
T0 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    pinned = Clock()
    monkeypatch.setattr("stampbook.core.clock.now", pinned.now)
    return pinned


@dataclass
class Cafe:
    client: FlaskClient
    session: Session
    team: Team
    membership_id: int
    reward_id: int
    headers: dict[str, str]
    integration_id: int | None

    def redeem(self, reward_id: int | None = None) -> Any:
        response = self.client.post(
            f"/api/v1/rewards/{reward_id or self.reward_id}/redemptions",
            json={"membership_id": self.membership_id},
            headers=self.headers,
        )
        assert response.status_code == 201, response.json
        return response.json

    def receipt(self, redemption_id: int) -> Any:
        response = self.client.get(f"/api/v1/redemptions/{redemption_id}", headers=self.headers)
        assert response.status_code == 200, response.json
        return response.json

    def row(self, redemption_id: int) -> Redemption:
        self.session.expire_all()
        found = self.session.get(Redemption, redemption_id)
        assert found is not None
        return found

    def balance(self) -> int:
        self.session.expire_all()
        found = self.session.get(Membership, self.membership_id)
        assert found is not None
        return found.balance

    def refunds(self, redemption_id: int) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(
                    LedgerEntry.cause_type == "redemption",
                    LedgerEntry.cause_id == str(redemption_id),
                    LedgerEntry.kind == EntryKind.REFUND,
                )
            )
            or 0
        )


def discount_reward(session: Session, team: Team, **fields: Any) -> Reward:
    values = {
        "name": "5 off",
        "cost": 30,
        "kind": "discount_amount",
        "discount_minor": 500,
        "discount_currency": "USD",
    }
    return make_reward(session, team.shop, **(values | fields))


def set_up(session: Session, client: FlaskClient, *, token: str | None = TOKEN) -> Cafe:
    team = make_team(session)
    membership = team.memberships["member"]
    membership.external_id = BOB
    give_points(session, membership, 100)
    integration = Integration(
        shop_id=team.shop.id,
        shop_domain=DOMAIN,
        secret="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",
        access_token=token,
        program_id=team.program.id,
        created_by=team.creator.id,
    )
    session.add(integration)
    reward = discount_reward(session, team, quantity=10)
    headers = auth(session, team.member)
    session.commit()  # (a savepoint of the test's): what the services' own units of work see
    return Cafe(
        client,
        session,
        team,
        membership.id,
        reward.id,
        headers,
        integration.id,
    )


@pytest.fixture
def cafe(session: Session, client: FlaskClient, fake_store: FakeStore) -> Cafe:
    """A café whose Shopify store is connected with an access token; Bob holds 100 points
    in its program (his store customer id known); a reward of 5.00 USD off for 30 points."""
    return set_up(session, client)


@pytest.fixture
def run(session: Session, in_app: Callable[..., Any]) -> Callable[..., Any]:
    """Run a function in its own unit of work, as a job does, between API requests (the
    test's session first ends what it read: its savepoint would hold the requests' work)."""

    def call(function: Callable[..., Any], *args: Any) -> Any:
        session.commit()
        return in_app(lambda: unit_of_work.run(lambda: function(*args)))

    return call


@pytest.fixture
def due_now(run: Callable[..., Any]) -> Callable[[], int]:
    """What the every-minute sweep does: queue each receipt whose try is due (inline)."""
    return lambda: int(run(discount_codes.queue_due))


# --- Made after the debit commits, unique, single-use ---------------------------------------


def test_the_code_is_made_in_the_store_once_the_debit_has_committed(
    cafe: Cafe, fake_store: FakeStore
) -> None:
    answer = cafe.redeem()

    # The answer comes before the commit: the code does not exist yet.
    assert (answer["discount_status"], answer["discount_code"]) == ("pending", None)
    receipt = cafe.receipt(answer["id"])
    assert receipt["discount_status"] == "issued"
    code = receipt["discount_code"]
    assert len(code) == discount_rules.CODE_LENGTH
    assert set(code) <= set(discount_rules.ALPHABET)
    [call] = fake_store.creations()
    sent = call.variables["basicCodeDiscount"]
    assert sent["code"] == code
    assert (sent["usageLimit"], sent["appliesOncePerCustomer"]) == (1, True)
    assert sent["customerSelection"] == {"customers": {"add": [BOB_GID]}}
    assert sent["customerGets"]["value"] == {
        "discountAmount": {"amount": "5.00", "appliesOnEachItem": False}
    }
    assert sent["title"].endswith(f"(stampbook receipt {answer['id']})")
    assert cafe.row(answer["id"]).discount_store_id == fake_store.codes[code].id
    assert cafe.balance() == 70


def test_a_rolled_back_redemption_makes_no_code(
    cafe: Cafe, fake_store: FakeStore, due_now: Callable[[], int], run: Callable[..., Any]
) -> None:
    class Boom(Exception):
        pass

    def redeem_then_fail() -> None:
        member = cafe.team.member
        redeeming.redeem(member, reward_id=cafe.reward_id, membership_id=cafe.membership_id)
        raise Boom

    with pytest.raises(Boom):
        run(redeem_then_fail)

    assert fake_store.calls == []
    assert cafe.session.scalar(select(func.count()).select_from(Redemption)) == 0
    assert cafe.balance() == 100
    assert due_now() == 0


def test_every_receipt_has_its_own_code_and_the_index_holds_it(
    cafe: Cafe, fake_store: FakeStore
) -> None:
    codes = [cafe.receipt(cafe.redeem()["id"])["discount_code"] for _ in range(3)]

    assert len(set(codes)) == 3
    assert [c.variables["basicCodeDiscount"]["code"] for c in fake_store.creations()] == codes
    assert all(c.variables["basicCodeDiscount"]["usageLimit"] == 1 for c in fake_store.creations())
    other = cafe.session.scalars(select(Redemption).order_by(Redemption.id)).first()
    assert other is not None
    with pytest.raises(IntegrityError), cafe.session.begin_nested():
        cafe.session.execute(
            text("UPDATE redemptions SET discount_code = :code WHERE id <> :id"),
            {"code": codes[0], "id": other.id},
        )


def test_a_percentage_and_free_shipping_are_made_as_their_kinds_say(
    cafe: Cafe, fake_store: FakeStore
) -> None:
    percent = discount_reward(
        cafe.session,
        cafe.team,
        kind="discount_percent",
        discount_minor=None,
        discount_currency=None,
        discount_percent=15,
    )
    shipping = discount_reward(
        cafe.session, cafe.team, kind="free_shipping", discount_minor=None, discount_currency=None
    )

    for reward in (percent, shipping):
        assert cafe.receipt(cafe.redeem(reward.id)["id"])["discount_status"] == "issued"

    first, second = fake_store.creations()
    assert first.variables["basicCodeDiscount"]["customerGets"]["value"] == {"percentage": 0.15}
    assert second.operation == "discountCodeFreeShippingCreate"
    assert second.variables["freeShippingCodeDiscount"]["usageLimit"] == 1


def test_without_an_access_token_the_code_is_issued_at_once(
    session: Session, client: FlaskClient, fake_store: FakeStore
) -> None:
    cafe = set_up(session, client, token=None)

    receipt = cafe.receipt(cafe.redeem()["id"])

    assert receipt["discount_status"] == "issued"
    assert receipt["discount_code"]
    assert fake_store.calls == []


def test_a_member_unknown_to_the_store_gets_a_code_for_anyone_once(
    cafe: Cafe, fake_store: FakeStore
) -> None:
    """A member without a store customer id: the code is for anyone, once."""
    cafe.session.get(Membership, cafe.membership_id).external_id = None  # type: ignore[union-attr]
    cafe.session.flush()

    cafe.redeem()

    [call] = fake_store.creations()
    assert call.variables["basicCodeDiscount"]["customerSelection"] == {"all": True}


# --- The store refusing it ------------------------------------------------------------------


@pytest.mark.parametrize(
    "refusal",
    [
        Scripted(name="discount_code_basic_create_invalid"),
        Scripted(name="access_denied"),
        Scripted(401, name="unauthorized"),
    ],
)
def test_the_store_refusing_the_code_gives_the_points_back_once(
    cafe: Cafe,
    fake_store: FakeStore,
    due_now: Callable[[], int],
    run: Callable[..., Any],
    discrepancies: Callable[[], list[Any]],
    refusal: Scripted,
) -> None:
    fake_store.answer(refusal)
    stock = cafe.session.get(Reward, cafe.reward_id).quantity  # type: ignore[union-attr]

    answer = cafe.redeem()

    receipt = cafe.receipt(answer["id"])
    assert (receipt["status"], receipt["discount_status"]) == ("cancelled", "refused")
    assert receipt["discount_code"] is None
    assert receipt["cancel_reason"].startswith("The online store refused the discount code")
    assert cafe.balance() == 100
    assert cafe.refunds(answer["id"]) == 1
    cafe.session.expire_all()
    assert cafe.session.get(Reward, cafe.reward_id).quantity == stock  # type: ignore[union-attr]
    cancelled = cafe.session.scalars(
        select(Occurrence).where(Occurrence.type == "redemption.cancelled")
    ).all()
    assert [o.payload["redemption_id"] for o in cancelled] == [answer["id"]]
    # Refusing again, trying again, sweeping: nothing more.
    assert run(lambda: discounting.refuse(answer["id"], reason="x", now=T0)) is False
    assert run(discount_codes.attempt, answer["id"]) is False
    assert due_now() == 0
    assert cafe.refunds(answer["id"]) == 1
    assert cafe.balance() == 100
    assert discrepancies() == []


def test_a_store_counting_in_another_currency_refuses_an_amount(
    cafe: Cafe, fake_store: FakeStore
) -> None:
    euros = discount_reward(cafe.session, cafe.team, discount_currency="EUR")

    receipt = cafe.receipt(cafe.redeem(euros.id)["id"])

    assert (receipt["status"], receipt["discount_status"]) == ("cancelled", "refused")
    assert "currency_mismatch" in receipt["cancel_reason"]
    assert fake_store.calls == []
    assert cafe.balance() == 100


# --- Retries never make two -----------------------------------------------------------------


def test_a_retry_after_a_lost_answer_finds_its_own_code(
    app: Flask,
    cafe: Cafe,
    fake_store: FakeStore,
    clock: Clock,
    due_now: Callable[[], int],
    run: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "SHOPIFY_TIMEOUT_SECONDS", 1)
    fake_store.answer(Scripted(make=True, delay=2.5))  # made, but the answer comes too late

    answer = cafe.redeem()

    row = cafe.row(answer["id"])
    assert (row.discount_status, row.discount_attempts) == ("pending", 1)
    assert row.discount_due_at == T0 + discount_rules.retry_delay(1)
    assert cafe.receipt(answer["id"])["discount_code"] is None
    assert due_now() == 0  # not due yet
    clock.advance(timedelta(minutes=1))

    assert due_now() == 1

    receipt = cafe.receipt(answer["id"])
    assert receipt["discount_status"] == "issued"
    creations = fake_store.creations()
    assert [c.variables["basicCodeDiscount"]["code"] for c in creations] == [
        receipt["discount_code"]
    ] * 2
    assert [c.operation for c in fake_store.calls] == [
        "discountCodeBasicCreate",
        "discountCodeBasicCreate",
        "codeDiscountNodeByCode",
    ]
    assert list(fake_store.codes) == [receipt["discount_code"]]  # one discount in the store
    assert cafe.row(answer["id"]).discount_store_id == fake_store.codes[receipt["discount_code"]].id
    assert cafe.balance() == 70


def test_a_worker_dying_after_the_store_made_it_makes_no_second(
    cafe: Cafe,
    fake_store: FakeStore,
    clock: Clock,
    due_now: Callable[[], int],
    run: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = discount_codes._conclude

    def dies(*args: Any) -> Any:
        monkeypatch.setattr(discount_codes, "_conclude", real)
        raise SystemExit("the worker died before writing down the answer")

    monkeypatch.setattr(discount_codes, "_conclude", dies)
    with pytest.raises(SystemExit):
        cafe.redeem()
    [redemption_id] = cafe.session.scalars(select(Redemption.id)).all()
    assert cafe.row(redemption_id).discount_status == "pending"
    assert due_now() == 0  # the try's lease still holds it
    clock.advance(discount_rules.LEASE)

    assert due_now() == 1

    row = cafe.row(redemption_id)
    assert row.discount_status == "issued"
    assert list(fake_store.codes) == [row.discount_code]
    assert row.discount_store_id == fake_store.codes[row.discount_code].id  # type: ignore[index]


def test_throttled_then_made_on_the_retry(
    cafe: Cafe,
    fake_store: FakeStore,
    clock: Clock,
    due_now: Callable[[], int],
    run: Callable[..., Any],
) -> None:
    fake_store.answer(Scripted(name="throttled"), Scripted(503))

    answer = cafe.redeem()
    clock.advance(discount_rules.retry_delay(1))
    due_now()
    assert cafe.row(answer["id"]).discount_status == "pending"
    clock.advance(discount_rules.retry_delay(2))
    due_now()

    assert cafe.receipt(answer["id"])["discount_status"] == "issued"
    assert len(fake_store.creations()) == 3
    assert len(fake_store.codes) == 1


def test_a_code_the_store_holds_for_another_discount_is_replaced(
    cafe: Cafe, fake_store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = iter(["MERCHANTS777", "FRESHCODE777"])
    monkeypatch.setattr(discount_rules, "new_code", lambda: next(codes))
    fake_store.hold("MERCHANTS777", "Black Friday")

    receipt = cafe.receipt(cafe.redeem()["id"])

    assert (receipt["discount_status"], receipt["discount_code"]) == ("issued", "FRESHCODE777")
    assert fake_store.codes["MERCHANTS777"].title == "Black Friday"  # left alone
    assert [c.operation for c in fake_store.calls] == [
        "discountCodeBasicCreate",
        "codeDiscountNodeByCode",
        "discountCodeBasicCreate",
    ]


def test_two_tries_at_once_are_one(
    cafe: Cafe, clock: Clock, due_now: Callable[[], int], run: Callable[..., Any]
) -> None:
    # The clock is pinned: the receipt's try falls due at T0, when both claims come.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(discount_codes.make_code, "enqueue", lambda *args: None)
        answer = cafe.redeem()

    def claim_twice() -> list[Any]:
        return [discounting.claim(answer["id"], T0), discounting.claim(answer["id"], T0)]

    first, second = run(claim_twice)
    assert first is not None and first.attempt == 1
    assert second is None


def test_a_lost_job_is_swept_up(
    cafe: Cafe, fake_store: FakeStore, due_now: Callable[[], int], run: Callable[..., Any]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(discount_codes.make_code, "enqueue", lambda *args: None)
        answer = cafe.redeem()
    assert fake_store.calls == []

    assert due_now() == 1

    assert cafe.receipt(answer["id"])["discount_status"] == "issued"


# --- The team cancelling first --------------------------------------------------------------


def test_a_receipt_cancelled_before_its_code_gets_none_and_one_refund(
    cafe: Cafe, fake_store: FakeStore, due_now: Callable[[], int], run: Callable[..., Any]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(discount_codes.make_code, "enqueue", lambda *args: None)
        answer = cafe.redeem()
    manager = auth(cafe.session, cafe.team.manager)
    cancelled = cafe.client.post(
        f"/api/v1/redemptions/{answer['id']}/cancel", json={"reason": "Asked"}, headers=manager
    )
    assert cancelled.status_code == 200, cancelled.json

    assert due_now() == 1

    receipt = cafe.receipt(answer["id"])
    assert (receipt["status"], receipt["discount_status"]) == ("cancelled", "refused")
    assert fake_store.calls == []  # never sent: nothing to make, nothing to look for
    assert cafe.refunds(answer["id"]) == 1
    assert cafe.balance() == 100


def test_after_a_lost_answer_a_cancelled_receipt_is_only_looked_for(
    app: Flask,
    cafe: Cafe,
    fake_store: FakeStore,
    clock: Clock,
    due_now: Callable[[], int],
    run: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "SHOPIFY_TIMEOUT_SECONDS", 1)
    fake_store.answer(Scripted(503))  # not made
    answer = cafe.redeem()
    manager = auth(cafe.session, cafe.team.manager)
    cafe.client.post(
        f"/api/v1/redemptions/{answer['id']}/cancel", json={"reason": "Asked"}, headers=manager
    )
    clock.advance(discount_rules.retry_delay(1))

    due_now()

    assert [c.operation for c in fake_store.calls] == [
        "discountCodeBasicCreate",
        "codeDiscountNodeByCode",
    ]
    assert cafe.receipt(answer["id"])["discount_status"] == "refused"
    assert fake_store.codes == {}
    assert cafe.refunds(answer["id"]) == 1


# --- After a real commit --------------------------------------------------------------------


def test_the_store_is_called_only_after_the_debit_is_committed(
    committed: Flask, fake_store: FakeStore
) -> None:
    """With real commits: when the store is called, another connection already sees the
    receipt, its code and its debit."""
    with committed_session(committed) as session:
        team = make_team(session)
        membership = team.memberships["member"]
        give_points(session, membership, 100)
        session.add(
            Integration(
                shop_id=team.shop.id,
                shop_domain=DOMAIN,
                secret="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",
                access_token=TOKEN,
                program_id=team.program.id,
                created_by=team.creator.id,
            )
        )
        reward_id = discount_reward(session, team).id
        membership_id = membership.id
        token = make_token(session, team.member)
    seen: list[tuple[Any, ...]] = []
    with committed.app_context():
        engine = db.engine

    def look(call: Any) -> None:
        with engine.connect() as connection:
            seen.append(
                tuple(
                    connection.execute(
                        text(
                            "SELECT r.discount_code, e.amount FROM redemptions r "
                            "JOIN ledger_entries e ON e.id = r.ledger_entry_id"
                        )
                    ).one()
                )
            )

    fake_store.on_call = look

    response = committed.test_client().post(
        f"/api/v1/rewards/{reward_id}/redemptions",
        json={"membership_id": membership_id},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 201
    [call] = fake_store.creations()
    assert seen == [(call.variables["basicCodeDiscount"]["code"], -30)]
    with committed.app_context():
        assert find_discrepancies() == []
        row = db.session.get(Redemption, response.json["id"])
        assert row is not None and row.discount_status == DiscountStatus.ISSUED
