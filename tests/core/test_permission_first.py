"""Permission before validation: a caller who may not act on a route's subject at all is told
so (403, or 404 where the object is hidden from them) whatever the body or query they send;
one who may act gets 422 for a bad one. A 403 says the action refused in words."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.policy import policy_of
from stampbook.programs.models import Membership
from stampbook.shops.models import Shop, ShopPrivacy
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_program
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import make_task


def _user(session: Session, membership: Membership) -> User:
    user = session.get(User, membership.user_id)
    assert user is not None
    return user


def _receipt(client: FlaskClient, session: Session) -> tuple[Shop, Membership, int]:
    owner = make_user(session)
    shop = make_shop(session, owner)
    member = make_member(session, shop, 50)
    reward = make_reward(session, shop, cost=10)
    redeemed = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": member.id},
        headers=auth(session, _user(session, member)),
    )
    assert redeemed.status_code == 201, redeemed.json
    return shop, member, redeemed.json["id"]


def test_a_member_cancelling_a_receipt_is_refused_before_the_body_is_read(
    client: FlaskClient, session: Session
) -> None:
    shop, member, receipt = _receipt(client, session)
    path = f"/api/v1/redemptions/{receipt}/cancel"
    headers = auth(session, _user(session, member))
    for body in ({}, {"reason": ""}, {"reason": 5}, None):
        refused = client.post(path, json=body, headers=headers)
        assert (refused.status_code, refused.json["code"]) == (403, "forbidden"), body
        assert refused.json["detail"] == "You may not cancel this receipt."
    # No body at all, and a body that is not JSON: the same 403.
    assert client.post(path, headers=headers).status_code == 403
    garbled = client.post(path, data="{", content_type="application/json", headers=headers)
    assert garbled.status_code == 403
    # The same with an Idempotency-Key: the refusal is what the key remembers.
    keyed = {**headers, "Idempotency-Key": "cancel-1"}
    assert client.post(path, json={}, headers=keyed).status_code == 403
    assert client.post(path, json={}, headers=keyed).status_code == 403

    # Another member of the program does not even see the receipt.
    other = make_member(session, shop)
    hidden = client.post(path, json={}, headers=auth(session, _user(session, other)))
    assert (hidden.status_code, hidden.json["code"]) == (404, "not_found")

    # The shop's creator may cancel: a bad body is theirs to correct.
    creator = session.get(type(_user(session, member)), shop.created_by)
    assert creator is not None
    invalid = client.post(path, json={}, headers=auth(session, creator))
    assert (invalid.status_code, invalid.json["code"]) == (422, "validation_failed")
    assert invalid.json["errors"][0]["field"] == "reason"
    done = client.post(path, json={"reason": "wrong cup"}, headers=auth(session, creator))
    assert done.status_code == 200 and done.json["status"] == "cancelled"


def test_a_team_only_route_refuses_outsiders_before_validating(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    reward = make_reward(session, shop)
    stranger = make_user(session)
    bad = {"cost": "a lot"}

    # The reward is public: a stranger sees it but may not edit it.
    refused = client.patch(
        f"/api/v1/rewards/{reward.id}", json=bad, headers=auth(session, stranger)
    )
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden")
    assert refused.json["detail"] == "You may not edit this reward."
    # Creating a reward in someone else's shop, with nothing valid in the body.
    refused = client.post(
        f"/api/v1/shops/{shop.id}/rewards", json={"cost": -1}, headers=auth(session, stranger)
    )
    assert (refused.status_code, refused.json["detail"]) == (
        403,
        "You may not create rewards in this shop.",
    )
    # The owner gets the validation error.
    invalid = client.patch(f"/api/v1/rewards/{reward.id}", json=bad, headers=auth(session, owner))
    assert (invalid.status_code, invalid.json["code"]) == (422, "validation_failed")


def test_adjusting_points_says_who_may_and_hides_from_outsiders(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    member = make_member(session, shop, 5)
    path = f"/api/v1/memberships/{member.id}/adjustments"
    bad = {"amount": 0, "note": ""}

    own = client.post(path, json=bad, headers=auth(session, _user(session, member)))
    assert (own.status_code, own.json["code"]) == (403, "forbidden")
    assert own.json["detail"] == "You may not adjust points in this program."
    spanish = client.post(
        path, json=bad, headers={**auth(session, _user(session, member)), "Accept-Language": "es"}
    )
    assert spanish.json["detail"] == "No puedes ajustar los puntos en este programa."
    # A valid body gets the same words from the service's own check.
    valid = client.post(
        path, json={"amount": 5, "note": "gift"}, headers=auth(session, _user(session, member))
    )
    assert (valid.status_code, valid.json["detail"]) == (403, own.json["detail"])

    stranger = client.post(path, json=bad, headers=auth(session, make_user(session)))
    assert (stranger.status_code, stranger.json["code"]) == (404, "not_found")
    missing = client.post(
        "/api/v1/memberships/987654321/adjustments", json=bad, headers=auth(session, owner)
    )
    assert (missing.status_code, missing.json["code"]) == (404, "not_found")

    invalid = client.post(path, json=bad, headers=auth(session, owner))
    assert (invalid.status_code, invalid.json["code"]) == (422, "validation_failed")


def test_a_bad_query_on_a_hidden_history_is_404(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    member = make_member(session, make_shop(session, owner))
    path = f"/api/v1/memberships/{member.id}/entries?limit=0"
    stranger = client.get(path, headers=auth(session, make_user(session)))
    assert (stranger.status_code, stranger.json["code"]) == (404, "not_found")
    mine = client.get(path, headers=auth(session, _user(session, member)))
    assert (mine.status_code, mine.json["code"]) == (422, "validation_failed")


def _routes_with_a_subject(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        policy = policy_of(app.view_functions[rule.endpoint])
        if policy is None or policy.subject is None or not rule.rule.startswith("/api/"):
            continue  # pages sign in with a session, not this test's bearer token
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", "987654321")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    return found


def test_every_route_with_a_subject_answers_404_for_a_missing_one_whatever_the_input(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    """Malformed JSON, or a query no model takes, about an object that does not exist: 404,
    not 400 or 422, on every route that declares its subject."""
    routes = _routes_with_a_subject(app)
    assert len(routes) >= 25
    headers = auth(session, make_user(session))
    for endpoint, method, path in routes:
        if method == "GET":
            response = client.get(f"{path}?limit=0&cursor=%25%25", headers=headers)
        else:
            response = client.open(
                path, method=method, data="{", content_type="application/json", headers=headers
            )
        problem = response.json or {}
        assert (response.status_code, problem.get("code")) == (404, "not_found"), (endpoint, path)


def test_refusals_before_validation_on_other_objects(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    member = make_member(session, shop)
    user = _user(session, member)
    stranger = make_user(session)
    bad = {"nothing": "valid"}

    # Changing a team role: only those who manage the team.
    role = make_role(session, shop, stranger, "assistant")
    refused = client.patch(f"/api/v1/roles/{role.id}", json=bad, headers=auth(session, user))
    assert refused.status_code == 403, refused.json
    assert refused.json["detail"] == "You may not manage this shop's team."
    # Changing a membership: the program's managers only.
    refused = client.patch(
        f"/api/v1/memberships/{member.id}", json=bad, headers=auth(session, user)
    )
    assert refused.status_code == 403, refused.json
    assert refused.json["detail"] == "You may not manage the members of this program."
    # The owner may: their bad body is a 422.
    invalid = client.patch(
        f"/api/v1/memberships/{member.id}", json=[], headers=auth(session, owner)
    )
    assert invalid.status_code == 422, invalid.json


def test_a_hidden_object_is_404_whatever_the_body_where_the_body_decides_the_rest(
    client: FlaskClient, session: Session
) -> None:
    """Redeeming and stamping are decided with the body (which membership pays, whom the
    stamp is for), but a reward or task the caller does not see is 404 before any of it."""
    owner = make_user(session)
    hidden_shop = make_shop(session, owner, privacy_mode=ShopPrivacy.PRIVATE)
    hidden = make_reward(session, hidden_shop)
    program = make_program(session, hidden_shop)
    task = make_task(session, program)
    stranger = auth(session, make_user(session))
    for path in (
        f"/api/v1/rewards/{hidden.id}/redemptions",
        f"/api/v1/rewards/{hidden.id}/contributions",
        f"/api/v1/tasks/{task.id}/stamps",
        f"/api/v1/programs/{program.id}/memberships",
    ):
        refused = client.post(path, json={"membership_id": "one"}, headers=stranger)
        assert (refused.status_code, refused.json["code"]) == (404, "not_found"), path
    for path in (
        f"/api/v1/shops/{hidden_shop.id}/programs?limit=0",
        f"/api/v1/programs/{program.id}/tasks?limit=0",
        f"/api/v1/programs/{program.id}/memberships?limit=0",
    ):
        refused = client.get(path, headers=stranger)
        assert (refused.status_code, refused.json["code"]) == (404, "not_found"), path

    # A reward anyone sees: the body is read, and its faults told.
    seen = make_reward(session, make_shop(session, owner))
    invalid = client.post(
        f"/api/v1/rewards/{seen.id}/redemptions", json={"membership_id": "one"}, headers=stranger
    )
    assert (invalid.status_code, invalid.json["code"]) == (422, "validation_failed")
