"""The member's card on the program's page (shown to its member only, replaced there) and
the counter page: a card typed, each refusal in words, stamping in one tap (a double submit
stamps once), redeeming for the member."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from stampbook.cards.models import RetiredCardCode
from stampbook.rewards.models import Redemption
from stampbook.tasks.models import Stamp
from tests.cards.conftest import Counter
from tests.pages import post, signed_in, text_of


def counter_path(counter: Counter) -> str:
    return f"/programs/{counter.program_id}/counter"


def find(browser: FlaskClient, counter: Counter, code: str) -> object:
    return post(browser, counter_path(counter), counter_path(counter), {"card_code": code})


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, name
    return match.group(1)


def test_the_member_sees_their_own_card_and_nobody_else_does(app: Flask, counter: Counter) -> None:
    world = counter.world
    code = world.membership.card_code
    page = f"/programs/{counter.program_id}"
    mine = text_of(signed_in(app, world.member).get(page))
    assert code in mine and "<svg" in mine and "Replace my card code" in mine
    for someone in (world.other, world.stamper, world.owner):
        assert code not in text_of(signed_in(app, someone).get(page))
    assert f"/programs/{counter.program_id}/counter" in text_of(
        signed_in(app, world.stamper).get(page)
    )
    assert "/counter" not in text_of(signed_in(app, world.other).get(page))


def test_the_member_replaces_their_card_code(app: Flask, counter: Counter) -> None:
    world = counter.world
    old = world.membership.card_code
    browser = signed_in(app, world.member)
    page = f"/programs/{counter.program_id}"
    answer = post(browser, f"/memberships/{world.membership.id}/card/replace", page, {})
    assert answer.status_code == 303
    counter.session.refresh(world.membership)
    assert world.membership.card_code != old
    assert counter.session.scalar(select(RetiredCardCode.code)) == old
    shown = text_of(browser.get(page))
    assert world.membership.card_code in shown and old not in shown
    assert "the old one is refused at the counter" in shown


def test_the_counter_finds_a_card_and_says_each_refusal(app: Flask, counter: Counter) -> None:
    world = counter.world
    browser = signed_in(app, world.stamper)
    found = find(browser, counter, world.membership.card_code.lower())
    assert found.status_code == 303
    card = text_of(browser.get(found.headers["Location"]))
    assert world.member.name in card and "Stamp “Coffee”" in card and "Redeem “Cake”" in card
    assert "Dinner" not in card  # not affordable
    unknown = find(browser, counter, "NOTACARD")
    assert unknown.status_code == 404
    assert "No card has this code" in text_of(unknown)
    other = find(browser, counter, counter.elsewhere.card_code)
    assert other.status_code == 409
    assert "This card is of another program" in text_of(other)


def test_the_counter_refuses_a_replaced_code_as_replaced(app: Flask, counter: Counter) -> None:
    world = counter.world
    old = world.membership.card_code
    page = f"/programs/{counter.program_id}"
    member = signed_in(app, world.member)
    replaced = post(member, f"/memberships/{world.membership.id}/card/replace", page, {})
    assert replaced.status_code == 303
    counter.session.refresh(world.membership)
    new = world.membership.card_code
    assert new != old
    browser = signed_in(app, world.stamper)
    retired = find(browser, counter, old)
    assert retired.status_code == 410
    shown = text_of(retired)
    assert (
        "This card code was replaced by its member: ask them to show their current card." in shown
    )
    assert "No card has this code" not in shown
    assert world.member.name not in shown and new not in shown
    assert find(browser, counter, new).status_code == 303


def test_a_double_submit_of_the_stamp_stamps_once(app: Flask, counter: Counter) -> None:
    world = counter.world
    browser = signed_in(app, world.stamper)
    found = find(browser, counter, world.membership.card_code)
    card = text_of(browser.get(found.headers["Location"]))
    data = {
        "csrf_token": hidden(card, "csrf_token"),
        "idempotency_key": hidden(card, "idempotency_key"),
        "membership_id": world.membership.id,
        "quantity": 1,
        "next": found.headers["Location"],
    }
    for _ in range(2):
        answer = browser.post(f"/tasks/{counter.coffee.id}/stamp", data=data)
        assert answer.status_code == 303
    count = select(func.count()).select_from(Stamp).where(Stamp.task_id == counter.coffee.id)
    assert counter.session.scalar(count) == 1
    shown = text_of(browser.get(found.headers["Location"]))
    assert "40" in shown  # 30 + 10


def test_the_counter_redeems_for_the_member(app: Flask, counter: Counter) -> None:
    world = counter.world
    browser = signed_in(app, world.stamper)
    found = find(browser, counter, world.membership.card_code)
    back = found.headers["Location"]
    answer = post(
        browser,
        f"{counter_path(counter)}/redeem",
        back,
        {"membership_id": world.membership.id, "reward_id": counter.cake.id},
    )
    assert answer.status_code == 303
    shown = text_of(browser.get(answer.headers["Location"]))
    assert "“Cake” is redeemed" in shown
    receipt = counter.session.scalars(select(Redemption)).one()
    assert receipt.user_id == world.member.id and receipt.points_paid == 25


def test_members_may_not_open_the_counter(app: Flask, counter: Counter) -> None:
    assert signed_in(app, counter.world.member).get(counter_path(counter)).status_code == 403
    assert signed_in(app, counter.world.outsider).get(counter_path(counter)).status_code == 403
