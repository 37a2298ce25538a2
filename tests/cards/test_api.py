"""The cards API: who a card is at the counter, each refusal with its message, stamping and
redeeming by card (every stamp rule applies, a double tap stamps once), the member's own
card code and its replacement."""

from __future__ import annotations

from sqlalchemy import func, select

from stampbook.cards.models import RetiredCardCode
from stampbook.cards.queries import initials
from stampbook.core.codes import ALPHABET, LENGTH
from stampbook.programs.models import Program
from stampbook.rewards.models import Redemption
from stampbook.shops.models import Shop
from stampbook.tasks.models import Stamp
from tests.cards.conftest import Counter
from tests.factories.apikeys import bearer, make_api_key


def stamps(counter: Counter) -> int:
    query = select(func.count()).select_from(Stamp).where(Stamp.task_id == counter.coffee.id)
    return int(counter.session.scalar(query) or 0)


def test_every_membership_has_its_own_card_code(counter: Counter) -> None:
    codes = {
        m.card_code
        for m in (counter.world.membership, counter.world.other_membership, counter.elsewhere)
    }
    assert len(codes) == 3
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)


def test_a_scan_answers_who_it_is_and_changes_nothing(counter: Counter) -> None:
    member = counter.world.member
    typed = "-".join(counter.world.membership.card_code[i : i + 4] for i in range(0, 32, 4))
    answer = counter.scan(typed.lower())
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "membership_id": counter.world.membership.id,
        "name": member.name,
        "initials": answer.json["initials"],
        "balance": 30,
        "redeemable": [{"id": counter.cake.id, "name": "Cake", "cost": 25}],
    }
    assert answer.json["initials"] == initials(member.name)
    assert stamps(counter) == 0


def test_a_made_up_code_is_unknown(counter: Counter) -> None:
    answer = counter.scan("NOTACARD")
    assert answer.status_code == 404
    assert answer.json["code"] == "card_unknown"
    assert answer.json["detail"] == "No card has this code: check it, or find the member by name."


def test_another_programs_card_says_nothing_of_its_member(counter: Counter) -> None:
    answer = counter.scan(counter.elsewhere.card_code)
    assert answer.status_code == 409
    assert answer.json["code"] == "card_other_program"
    assert answer.json["detail"] == (
        "This card is of another program: it earns and pays nothing here."
    )
    assert "membership_id" not in answer.json


def test_a_replaced_code_is_refused_as_replaced(counter: Counter) -> None:
    world = counter.world
    old = world.membership.card_code
    replaced = counter.client.post(
        f"/api/v1/memberships/{world.membership.id}/card", headers=counter.headers(world.member)
    )
    assert replaced.status_code == 201, replaced.json
    new = replaced.json["card_code"]
    assert new != old
    answer = counter.scan(old)
    assert answer.status_code == 410
    assert answer.json["code"] == "card_retired"
    assert answer.json["detail"] == (
        "This card code was replaced by its member: ask them to show their current card."
    )
    assert counter.scan(new).status_code == 200
    assert counter.session.scalar(select(RetiredCardCode.code)) == old
    # Another shop's team scanning the old code learns nothing more than of a live one.
    assert counter.stamp(old).json["code"] == "card_retired"


def test_the_card_code_is_the_members_own(counter: Counter) -> None:
    world = counter.world
    path = f"/api/v1/memberships/{world.membership.id}/card"
    mine = counter.client.get(path, headers=counter.headers(world.member))
    assert mine.status_code == 200
    assert mine.json == {
        "membership_id": world.membership.id,
        "card_code": world.membership.card_code,
    }
    for someone in (world.other, world.stamper, world.owner):
        answer = counter.client.get(path, headers=counter.headers(someone))
        assert answer.status_code in (403, 404), someone
        assert "card_code" not in answer.json
        refused = counter.client.post(path, headers=counter.headers(someone))
        assert refused.status_code in (403, 404)


def test_members_and_other_shops_may_not_scan(counter: Counter) -> None:
    world = counter.world
    code = world.membership.card_code
    assert counter.scan(code, world.other).status_code == 403
    assert counter.scan(code, world.member).status_code == 403
    assert counter.scan(code, world.outsider).status_code == 403
    anonymous = counter.client.post(
        f"/api/v1/programs/{counter.program_id}/card-scans", json={"card_code": code}
    )
    assert anonymous.status_code == 401


def test_stamping_by_card_goes_through_the_stamp_rules(counter: Counter) -> None:
    code = counter.world.membership.card_code
    first = counter.stamp(code)
    assert first.status_code == 201, first.json
    assert first.json["stamp"]["membership_id"] == counter.world.membership.id
    assert first.json["points"] == 10
    again = counter.stamp(code)  # once a day
    assert again.status_code == 409
    assert again.json["code"] == "frequency_exceeded"
    assert stamps(counter) == 1


def test_a_double_tap_stamps_once(counter: Counter) -> None:
    code = counter.world.membership.card_code
    first = counter.stamp(code, key="tap-1")
    second = counter.stamp(code, key="tap-1")
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert stamps(counter) == 1


def test_stamping_refuses_the_cards_refusals_first(counter: Counter) -> None:
    assert counter.stamp("NOTACARD").json["code"] == "card_unknown"
    assert counter.stamp(counter.elsewhere.card_code).json["code"] == "card_other_program"
    assert (
        counter.stamp(counter.world.membership.card_code, counter.world.member).status_code == 403
    )
    assert stamps(counter) == 0


def test_a_pos_key_scans_and_stamps_a_key_of_another_shop_does_not(counter: Counter) -> None:
    code = counter.world.membership.card_code
    secret, _key = make_api_key(counter.session, counter.world.shop)
    path = f"/api/v1/programs/{counter.program_id}/card-scans"
    scanned = counter.client.post(path, json={"card_code": code}, headers=bearer(secret))
    assert scanned.status_code == 200, scanned.json
    stamped = counter.client.post(
        f"{path}/stamps",
        json={"card_code": code, "task_id": counter.coffee.id},
        headers=bearer(secret),
    )
    assert stamped.status_code == 201, stamped.json
    read_only, _ = make_api_key(counter.session, counter.world.shop, scopes=("read",))
    refused = counter.client.post(path, json={"card_code": code}, headers=bearer(read_only))
    assert refused.status_code == 403
    elsewhere = counter.session.get(Program, counter.elsewhere.program_id)
    assert elsewhere is not None
    theirs, _ = make_api_key(counter.session, counter.session.get(Shop, elsewhere.shop_id))
    hidden = counter.client.post(path, json={"card_code": code}, headers=bearer(theirs))
    assert hidden.status_code == 404  # a key sees its own shop only


def test_redeeming_by_card_spends_the_members_points(counter: Counter) -> None:
    world = counter.world
    code = world.membership.card_code
    path = f"/api/v1/programs/{counter.program_id}/card-scans/redemptions"
    body = {"card_code": code, "reward_id": counter.cake.id}
    redeemed = counter.client.post(path, json=body, headers=counter.headers(world.manager))
    assert redeemed.status_code == 201, redeemed.json
    assert redeemed.json["user_id"] == world.member.id
    assert redeemed.json["points_paid"] == 25
    assert counter.scan(code).json["balance"] == 5
    poor = counter.client.post(path, json=body, headers=counter.headers(world.manager))
    assert poor.status_code == 409
    assert poor.json["code"] == "insufficient_points"
    assert counter.session.scalar(select(func.count()).select_from(Redemption)) == 1
    # The member scans nothing and redeems nothing for others.
    mine = counter.client.post(path, json=body, headers=counter.headers(world.member))
    assert mine.status_code == 403
