"""The privacy matrix: every section, every setting, every kind of viewer, every route.

The decision (``stampbook.accounts.policy``) is checked on its own first, then through every
route that shows another user's data: each must answer exactly as the decision does, so no
route can bypass a setting. A new GET route must be classified in :data:`ROUTE_PROBES` or
:data:`NO_OTHER_USERS_DATA`, or the walk fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import Privacy, Section, User
from stampbook.accounts.policy import allows, may_see_section, visible_owners, visible_sections
from stampbook.core.db import db
from stampbook.rewards.models import Favorite, Redemption
from stampbook.shops.models import Shop
from tests.factories.accounts import auth, make_user
from tests.factories.people import make_buddies
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import make_stamp, make_task
from tests.querycount import count_statements

VIEWERS = ("self", "buddy", "co_member", "stranger", "anonymous")
LEVELS = tuple(Privacy)
# Who sees a section at each level (admins see everything, see below).
SEES = {
    Privacy.PUBLIC: {"self", "buddy", "co_member", "stranger", "anonymous"},
    Privacy.MEMBERS: {"self", "buddy", "co_member"},
    Privacy.FRIENDS: {"self", "buddy"},
    Privacy.PRIVATE: {"self"},
}


@dataclass
class Cast:
    owner: User
    buddy: User
    co_member: User
    stranger: User
    admin: User
    ids: dict[str, int]

    def viewer(self, name: str) -> User | None:
        return {
            "self": self.owner,
            "buddy": self.buddy,
            "co_member": self.co_member,
            "stranger": self.stranger,
            "admin": self.admin,
        }.get(name)


def make_cast(session: Session) -> Cast:
    """The owner has something in every section; each viewer is what their name says.

    The co-member shares the owner's shop (a membership in another of its programs) and is
    no buddy; the buddy shares no shop; the stranger shares nothing.
    """
    owner, co_member, stranger = (make_user(session) for _ in range(3))
    # The buddy shows their own buddies to all: the owner's list is what is tested.
    buddy = make_user(session, privacy_settings={"buddies": "public"})
    admin = make_user(session, is_admin=True)
    host = make_user(session)
    shop = make_shop(session, host)
    program = make_program(session, shop)
    membership = make_membership(session, program, owner)
    make_membership(session, make_program(session, shop), co_member)
    make_role(session, shop, owner, "assistant")
    own_shop = make_shop(session, owner)
    make_buddies(session, owner, buddy)
    task = make_task(session, program)
    stamp = make_stamp(session, task, membership)
    reward = make_reward(session, shop)
    session.add(Favorite(user_id=owner.id, reward_id=reward.id))
    session.add(
        Redemption(
            shop_id=shop.id,
            reward_id=reward.id,
            user_id=owner.id,
            paid_by_membership_id=membership.id,
            paid_by_user_id=owner.id,
            points_paid=0,
            reward_content={"id": reward.id, "name": reward.name, "cost": reward.cost},
        )
    )
    session.flush()
    return Cast(
        owner,
        buddy,
        co_member,
        stranger,
        admin,
        {
            "shop": shop.id,
            "own_shop": own_shop.id,
            "program": program.id,
            "membership": membership.id,
            "task": task.id,
            "stamp": stamp.id,
            "reward": reward.id,
        },
    )


# --- The decision -----------------------------------------------------------------------------


def test_the_rule_itself() -> None:
    for level in LEVELS:
        for buddy in (False, True):
            for co_member in (False, True):
                expected = (
                    level is Privacy.PUBLIC
                    or (level is Privacy.MEMBERS and (buddy or co_member))
                    or (level is Privacy.FRIENDS and buddy)
                )
                assert allows(level, buddy=buddy, co_member=co_member) is expected


@pytest.mark.parametrize("section", list(Section))
def test_every_section_setting_and_viewer(
    app_context: None, session: Session, section: Section
) -> None:
    cast = make_cast(session)
    wrong = []
    for level in LEVELS:
        cast.owner.privacy_settings = {section: level}
        for name in (*VIEWERS, "admin"):
            viewer = cast.viewer(name)
            expected = name == "admin" or name in SEES[level]
            if may_see_section(viewer, cast.owner, section) is not expected:
                wrong.append(f"{section}={level}, {name}: expected {expected}")
            if (section in visible_sections(viewer, cast.owner)) is not expected:
                wrong.append(f"visible_sections {section}={level}, {name}: expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_a_deleted_account_shows_nothing_to_others(app_context: None, session: Session) -> None:
    cast = make_cast(session)
    cast.owner.privacy_settings = dict.fromkeys(Section, Privacy.PUBLIC)
    cast.owner.deleted_at = cast.owner.created_at
    assert visible_sections(cast.buddy, cast.owner) == set()
    assert not may_see_section(None, cast.owner, Section.PAGE)


def test_a_list_is_decided_in_one_query(app: Flask, app_context: None, session: Session) -> None:
    cast = make_cast(session)
    viewer = cast.co_member
    shop = session.get_one(Shop, cast.ids["shop"])
    owners, expected = [], {viewer.id}
    for level in LEVELS:
        stranger = make_user(session, privacy_settings={"memberships": level})
        co_member = make_user(session, privacy_settings={"memberships": level})
        make_membership(session, make_program(session, shop), co_member)
        buddy = make_user(session, privacy_settings={"memberships": level})
        make_buddies(session, buddy, viewer)
        owners += [stranger, co_member, buddy]
        for person, name in ((stranger, "stranger"), (co_member, "co_member"), (buddy, "buddy")):
            if name in SEES[level]:
                expected.add(person.id)
    owners.append(viewer)
    with count_statements(db.engine) as statements:
        shown = visible_owners(viewer, owners, Section.MEMBERSHIPS)
    assert statements.count == 1
    assert shown == expected


def test_a_public_list_needs_no_query(app: Flask, app_context: None, session: Session) -> None:
    owners = [make_user(session, privacy_settings={"page": "public"}) for _ in range(5)]
    with count_statements(db.engine) as statements:
        assert visible_owners(None, owners, Section.PAGE) == {o.id for o in owners}
    assert statements.count == 0


def test_a_team_role_or_a_created_shop_makes_co_members(
    app_context: None, session: Session
) -> None:
    creator, assistant, member, outsider = (
        make_user(session, privacy_settings={"page": "members"}) for _ in range(4)
    )
    shop = make_shop(session, creator)
    make_role(session, shop, assistant, "assistant")
    make_membership(session, make_program(session, shop), member)
    for viewer in (creator, assistant, member):
        for owner in (creator, assistant, member):
            assert may_see_section(viewer, owner, Section.PAGE)
        assert not may_see_section(viewer, outsider, Section.PAGE)
        assert not may_see_section(outsider, viewer, Section.PAGE)


def test_a_deleted_shop_or_a_left_membership_shares_nothing(
    app_context: None, session: Session
) -> None:
    owner = make_user(session, privacy_settings={"page": "members"})
    viewer = make_user(session)
    shop = make_shop(session, make_user(session))
    membership = make_membership(session, make_program(session, shop), owner)
    make_membership(session, make_program(session, shop), viewer)
    assert may_see_section(viewer, owner, Section.PAGE)
    membership.status = "left"
    session.flush()
    assert not may_see_section(viewer, owner, Section.PAGE)
    membership.status = "active"
    shop.deleted_at = shop.created_at
    session.flush()
    make_role(session, shop, owner, "viewer")
    assert not may_see_section(viewer, owner, Section.PAGE)


# --- Every route that shows user data ---------------------------------------------------------

Probe = Callable[[FlaskClient, Cast, dict[str, str]], bool | None]


def _get(client: FlaskClient, url: str, headers: dict[str, str], **query: Any) -> Any:
    return client.get(url, headers=headers, query_string=query)


def _page(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> Any:
    response = _get(client, f"/api/v1/users/{cast.owner.id}", headers)
    assert response.status_code == 200, response.json
    return response.json


def _status_visible(response: Any) -> bool:
    assert response.status_code in {200, 404}, response.json
    return bool(response.status_code == 200)


def _page_part(*path: str) -> Probe:
    def probe(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool:
        found: Any = _page(client, cast, headers)
        for key in path:
            found = found[key]
        if found is not None:
            assert found, f"{'.'.join(path)} is shown but empty"
        return found is not None

    return probe


def _leaderboard(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool:
    board = _get(client, f"/api/v1/programs/{cast.ids['program']}/leaderboard", headers).json
    entry = next(e for e in board["items"] if e["membership_id"] == cast.ids["membership"])
    assert (entry["user_id"] is None) == (entry["name"] is None)
    return entry["user_id"] == cast.owner.id


def _member_list(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool:
    page = _get(client, f"/api/v1/programs/{cast.ids['program']}/memberships", headers).json
    return cast.ids["membership"] in {m["id"] for m in page["items"]}


def _roles(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool:
    page = _get(client, f"/api/v1/shops/{cast.ids['shop']}/roles", headers).json
    return cast.owner.id in {r["user_id"] for r in page["items"]}


def _stamps_by_user(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool:
    url = f"/api/v1/tasks/{cast.ids['task']}/stamps"
    return _status_visible(_get(client, url, headers, user_id=cast.owner.id))


def _stamps_listed(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool:
    page = _get(client, f"/api/v1/tasks/{cast.ids['task']}/stamps", headers).json
    return cast.ids["stamp"] in {s["id"] for s in page["items"]}


def _last_redeemed_by(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool:
    reward = _get(client, f"/api/v1/rewards/{cast.ids['reward']}", headers).json
    assert reward["last_redeemed_at"] is not None
    return reward["last_redeemed_by"] is not None


def _message(client: FlaskClient, cast: Cast, headers: dict[str, str]) -> bool | None:
    if not headers:
        return None  # signed out: 401, nothing to decide
    response = client.post(
        "/api/v1/messages", headers=headers, json={"to_user_id": cast.owner.id, "body": "Hi"}
    )
    if response.status_code == 409:
        return None  # to oneself
    assert response.status_code in {201, 403}, response.json
    if response.status_code == 403:
        assert response.json["code"] == "messages_not_allowed"
    return bool(response.status_code == 201)


# (route endpoint, probe name) -> (section, probe)
ROUTE_PROBES: dict[tuple[str, str], tuple[Section, Probe]] = {
    ("people.get_user", "page"): (
        Section.PAGE,
        lambda c, cast, h: _status_visible(_get(c, f"/api/v1/users/{cast.owner.id}", h)),
    ),
    ("people.get_user", "shops created"): (Section.SHOPS, _page_part("shops", "created")),
    ("people.get_user", "shops assisted"): (Section.SHOPS, _page_part("shops", "assisted")),
    ("people.get_user", "programs joined"): (
        Section.MEMBERSHIPS,
        _page_part("programs", "joined"),
    ),
    ("people.get_user", "stamps"): (Section.TASK_HISTORY, _page_part("tasks", "stamps")),
    ("people.get_user", "redeemed"): (Section.REDEMPTIONS, _page_part("rewards", "redeemed")),
    ("people.get_user", "favourites"): (Section.FAVORITES, _page_part("rewards", "favorited")),
    ("people.get_user", "buddies"): (Section.BUDDIES, _page_part("buddies")),
    ("people.list_user_buddies", "list"): (
        Section.BUDDIES,
        lambda c, cast, h: _status_visible(_get(c, f"/api/v1/users/{cast.owner.id}/buddies", h)),
    ),
    ("programs.get_leaderboard", "name"): (Section.MEMBERSHIPS, _leaderboard),
    ("programs.list_memberships", "listed"): (Section.MEMBERSHIPS, _member_list),
    ("programs.get_membership", "one"): (
        Section.MEMBERSHIPS,
        lambda c, cast, h: _status_visible(
            _get(c, f"/api/v1/memberships/{cast.ids['membership']}", h)
        ),
    ),
    ("shops.list_roles", "listed"): (Section.SHOPS, _roles),
    ("tasks.list_stamps", "by user"): (Section.TASK_HISTORY, _stamps_by_user),
    ("tasks.list_stamps", "listed"): (Section.TASK_HISTORY, _stamps_listed),
    ("rewards.get_reward", "last redeemed by"): (Section.REDEMPTIONS, _last_redeemed_by),
    ("people.send_message", "may write"): (Section.MESSAGES, _message),
}

# GET routes of the API that show no other user's data as such, and why. (The pages are
# built on the same queries, and so on the same decision.)
NO_OTHER_USERS_DATA = {
    # The caller's own things.
    "accounts.get_me": "the caller's account",
    "people.list_blocks": "the caller's blocks",
    "people.list_buddies": "the caller's own buddies",
    "people.list_buddy_requests": "the caller's requests",
    "people.list_conversations": "the caller's conversations",
    "people.list_messages": "the caller's messages",
    "programs.my_memberships": "the caller's memberships",
    "rewards.list_my_redemptions": "the caller's receipts",
    "shops.my_invitations": "the caller's invitations",
    "notifications.list_notifications": "the caller's notifications",
    "notifications.get_notification_preferences": "the caller's choices",
    # Shop settings, for those who edit the shop: no member in them.
    "notifications.list_notification_templates": "a shop's wording of its messages",
    "notifications.get_notification_template": "a shop's wording of one message",
    "webhooks.list_webhook_endpoints": "a shop's endpoints",
    "webhooks.get_webhook_endpoint": "a shop's endpoint",
    "webhooks.list_webhook_messages": "the team's view of what went to its endpoint",
    "webhooks.list_webhook_attempts": "how a shop's endpoint answered",
    "loyalty.list_earning_rules": "how a program's members earn",
    "loyalty.list_campaigns": "a program's campaigns and what each cost",
    "loyalty.list_integrations": "a shop's store connections, for its managers",
    "loyalty.list_orders": "a program's orders, for its shop's managers",
    "loyalty.list_customer_imports": "a program's import log, for its shop's managers",
    "loyalty.get_customer_import": "an import's progress, for its shop's managers",
    "loyalty.list_customer_import_rows": "an import's refused rows, for its shop's managers",
    "apikeys.list_api_keys": "a shop's keys, each with the team member who made it",
    # Posts: their author chose the audience (stampbook.people.policy).
    "people.list_posts": "posts, as their audience says",
    "people.get_post": "a post, as its audience says",
    # The shop team's views: the team sees its members by design.
    "ledger.list_entries": "a membership's entries: its member and the team (IDOR-tested)",
    "ledger.list_program_entries": "a program's points activity, for its shop's managers",
    "tiers.get_member_tier": "a membership's tier: as the membership (authorization matrix)",
    "tiers.list_tier_changes": "a membership's tier history: as the membership (matrix)",
    "tiers.list_tiers": "a program's tiers and how many members sit in each: counts, no people",
    "tiers.get_tier_settings": "how a program's members qualify for its tiers",
    "rewards.get_redemption": "a receipt: its owner, its payer and the team",
    "rewards.list_reward_redemptions": "the team's view",
    "rewards.list_shop_redemptions": "the team's view",
    "rewards.list_changes": "the team's view",
    "shops.list_shop_invitations": "the team's view",
    "shops.search_members": "the team's view",
    "tasks.program_stats": "counts, no people",
    "referrals.get_referral_settings": "how a program's referrals pay: no people",
    "referrals.get_member_referral": "a membership's code and counts: as the membership (matrix)",
    "referrals.list_member_referrals": "an advocate's friends' statuses: as the membership",
    "referrals.list_referrals": "a program's referrals, for its shop's managers (matrix)",
    "referrals.referral_analytics": "a program's referral figures, for its shop's managers",
    "events.list_my_registrations": "the caller's registrations",
    "events.get_registration": "a registration: its person and the door team (matrix)",
    "events.list_registrations": "the door team's view of who registered",
    "events.list_events": "a shop's events: seat counts, no people",
    "events.get_event": "an event: seat counts, no people",
    "consultations.list_my_bookings": "the caller's consultations",
    "consultations.get_booking": "a consultation: its member, its host and the shop's team "
    "(matrix); the host's notes to the member and the host alone",
    "consultations.list_host_bookings": "the host's and the shop staff's view of its sessions",
    "consultations.list_hosts": "a shop's hosts: professionals the shop lists, no members",
    "consultations.get_host": "a host's profile, published by the shop",
    "consultations.list_slots": "free times, no people",
    "cards.get_card": "the caller's own card code (matrix: its person only)",
    "wallet_passes.get_apple_pass": "the caller's own pass (matrix: its person only)",
    "wallet_passes.get_google_link": "the caller's own pass link (matrix: its person only)",
    "wallet_devices.updated_passes": "a device's own passes' serial numbers, by their tokens",
    "wallet_devices.latest_pass": "a pass, to the device holding its token",
    "wallet_settings.get_wallet_settings": "a shop's wallet settings, for its managers: no people",
    # Shops, programs, tasks and rewards themselves.
    "shops.list_shops": "shops",
    "shops.get_shop": "a shop",
    "programs.list_programs": "programs",
    "programs.get_program": "a program",
    "tasks.list_tasks": "tasks",
    "tasks.get_task": "a task",
    "rewards.list_rewards": "rewards",
    "system.docs_asset": "a file",
}
LIBRARY = {"openapi.spec", "openapi.docs"}


def test_every_api_get_route_is_classified(app: Flask) -> None:
    """Every GET of the JSON API either is probed below or shows no other user's data."""
    gets = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.rule.startswith("/api/")
    } - LIBRARY
    probed = {endpoint for endpoint, _ in ROUTE_PROBES}
    unclassified = gets - probed - NO_OTHER_USERS_DATA.keys()
    assert not unclassified, (
        f"classify these routes in tests/people/test_privacy.py: {unclassified}"
    )


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("probe_key", list(ROUTE_PROBES), ids=" / ".join)
def test_every_route_follows_every_setting(
    client: FlaskClient, session: Session, probe_key: tuple[str, str], level: Privacy
) -> None:
    cast = make_cast(session)
    section, probe = ROUTE_PROBES[probe_key]
    cast.owner.privacy_settings = {section: level}
    session.flush()
    wrong = []
    for name in (*VIEWERS, "admin"):
        viewer = cast.viewer(name)
        headers = auth(session, viewer) if viewer is not None else {}
        seen = probe(client, cast, headers)
        if seen is None:
            continue
        expected = name == "admin" or name in SEES[level]
        if seen is not expected:
            wrong.append(f"{name}: {'saw' if seen else 'did not see'} it")
    assert not wrong, f"{probe_key} with {section}={level}:\n" + "\n".join(wrong)
