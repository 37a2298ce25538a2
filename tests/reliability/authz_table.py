"""The declared authorization table: for every (endpoint, method), what each role gets.

Outcomes: ``allow`` (2xx; a page may answer a redirect), ``deny`` (403: the caller sees the
object but may not do this), ``hidden`` (404: the caller may not even know it exists),
``auth`` (401: sign in first), ``conflict`` (409: allowed, but the state refuses it, e.g.
joining a program one is in already), ``invalid`` (422: the form refuses the input, e.g. a
membership that is not among the caller's own to pay with), ``refused`` (a page that
redirects back with an error flashed: the service refused, and the page says so).

Each write has a minimal valid body, so ``allow`` means the action really succeeded. URL
variables take the world's objects by name (:data:`DEFAULT_ARGS`); ``args`` aims a route at
another one. A new route must be added here: the matrix test fails until it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from tests.accounts import authz_cases as accounts
from tests.apikeys import authz_cases as apikeys
from tests.cards import authz_cases as cards
from tests.consultations import authz_cases as consultations
from tests.events import authz_cases as events
from tests.factories.accounts import PASSWORD
from tests.loyalty import authz_cases as loyalty
from tests.notifications import authz_cases as notifications
from tests.people import authz_cases as people
from tests.referrals import authz_cases as referrals
from tests.reliability.authz_world import ROLES, World
from tests.tiers import authz_cases as tiers
from tests.wallets import authz_cases as wallets
from tests.webhooks import authz_cases as webhooks

ALLOW, DENY, HIDDEN, AUTH, CONFLICT = "allow", "deny", "hidden", "auth", "conflict"
INVALID, REFUSED = "invalid", "refused"
STATUSES = {DENY: 403, HIDDEN: 404, AUTH: 401, CONFLICT: 409, INVALID: 422}

Body = dict[str, Any] | Callable[[World, str], dict[str, Any]] | None

# URL variable -> the world's object (``user_id`` is the member's user id).
DEFAULT_ARGS = {
    "shop_id": "shop",
    "program_id": "program",
    "membership_id": "membership",
    "task_id": "task",
    "reward_id": "reward",
    "redemption_id": "redemption",
    "role_id": "assistant_role",
    "invitation_id": "invitation",
    "stamp_id": "stamp",
    "notification_id": "notification",
    "kind": "template_kind",
    "channel": "template_channel",
    "language": "template_language",
    "token": "unsubscribe_token",
    "secret": "reset_secret",
    "rule_id": "earning_rule",
    "campaign_id": "campaign",
    "integration_id": "integration",
    "import_id": "customer_import",
    "tier_id": "tier",
    "referral_id": "held_referral",
    "code": "referral_code",
    "host_id": "host",
    "booking_id": "booking",
    "event_id": "event",
    "registration_id": "registration",
    "device_id": "wallet_device",
    "pass_type_id": "pass_type",
    "serial_number": "pass_serial",
}


@dataclass(frozen=True)
class Case:
    expect: dict[str, str]
    body: Body = None
    query: dict[str, str] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    # Changes the world for this route only (inside the test's savepoint).
    prepare: Callable[[Session, World], None] | None = None


def row(*outcomes: str) -> dict[str, str]:
    return dict(zip(ROLES, outcomes, strict=True))


def everyone(outcome: str) -> dict[str, str]:
    return row(*(outcome for _ in ROLES))


A, D, H, U, C, V, R = ALLOW, DENY, HIDDEN, AUTH, CONFLICT, INVALID, REFUSED
ANYONE = everyone(A)
SIGNED_IN = row(U, A, A, A, A, A, A, A)
CONFIRMATION = {"secret": "confirmation_secret"}
# The shop's managers (and creator, and admins): editing the shop and what is in it.
MANAGERS = row(U, D, D, D, D, A, A, A)
# The whole shop team: assistants too.
TEAM = row(U, D, D, D, A, A, A, A)


def own_email(world: World, role: str) -> dict[str, Any]:
    person = "visitor" if role == "anonymous" else role
    return {"email": world.emails[person], "password": PASSWORD}


def login_form(world: World, role: str) -> dict[str, Any]:
    return own_email(world, role)


def new_account(world: World, role: str) -> dict[str, Any]:
    return {"email": "fresh@example.com", "name": "Fresh", "password": "a new password 1"}


def newcomer(world: World, role: str) -> dict[str, Any]:
    return {"user_id": world.users["newcomer"]}


def newcomer_as_viewer(world: World, role: str) -> dict[str, Any]:
    return {"user_id": world.users["newcomer"], "role_type": "viewer"}


def new_password_form(world: World, role: str) -> dict[str, Any]:
    new = "another password 2"
    return {"old_password": PASSWORD, "new_password": new, "confirm": new}


def stamp_form(world: World, role: str) -> dict[str, Any]:
    return {"membership_id": world.ids["membership"], "task_id": world.ids["task"]}


def pay_with_members_points(world: World, role: str) -> dict[str, Any]:
    return {"membership_id": world.ids["membership"]}


def contribute_members_points(world: World, role: str) -> dict[str, Any]:
    return {"membership_id": world.ids["membership"], "points": 5}


def stamp_the_member(world: World, role: str) -> dict[str, Any]:
    return {"membership_id": world.ids["membership"]}


def merge_program(world: World, role: str) -> dict[str, Any]:
    return {"source_program_id": world.ids["merge_source"]}


def merge_shop(world: World, role: str) -> dict[str, Any]:
    return {"source_shop_id": world.ids["shop_to_merge"]}


def invite_only_shop(session: Session, world: World) -> None:
    session.execute(update(Shop).where(Shop.id == world.ids["shop"]).values(privacy_mode="invite"))


def chat_connected(session: Session, world: World) -> None:
    """A chat address nothing answers at (the test announcement is logged as not posted)."""
    url = "http://127.0.0.1:9/hooks/chat"
    session.execute(update(Shop).where(Shop.id == world.ids["shop"]).values(chat_webhook_url=url))


def gift_to_other(world: World, role: str) -> dict[str, Any]:
    """The rewards pages' gift form: the member's membership pays, "other" receives."""
    return {"membership_id": world.ids["membership"], "email": world.emails["other"]}


def giftable_reward(session: Session, world: World) -> None:
    session.execute(update(Reward).where(Reward.id == world.ids["reward"]).values(is_giftable=True))


#   columns: anonymous outsider member stamper assistant manager creator admin
EXPECTED: dict[tuple[str, str], Case] = {
    # --- Pages and probes -------------------------------------------------------------------
    ("pages.home", "GET"): Case(ANYONE),
    ("ui.choose_language", "POST"): Case(ANYONE, body={"lang": "es"}),
    ("system.healthz", "GET"): Case(ANYONE),
    ("system.readyz", "GET"): Case(ANYONE),
    ("system.docs_asset", "GET"): Case(ANYONE),
    ("account_pages.login", "GET"): Case(ANYONE),
    ("account_pages.login", "POST"): Case(ANYONE, body=login_form),
    ("account_pages.register", "GET"): Case(ANYONE),
    ("account_pages.register", "POST"): Case(ANYONE, body=new_account),
    ("account_pages.logout", "POST"): Case(SIGNED_IN),
    ("recovery_pages.forgot_password", "GET"): Case(ANYONE),
    ("recovery_pages.forgot_password", "POST"): Case(ANYONE, body={"email": "x@example.com"}),
    ("recovery_pages.reset_password", "GET"): Case(ANYONE),
    ("recovery_pages.reset_password", "POST"): Case(ANYONE, body=accounts.RESET_FORM),
    ("confirmation_pages.confirm_email", "GET"): Case(ANYONE, args=CONFIRMATION),
    ("confirmation_pages.confirm_email", "POST"): Case(ANYONE, args=CONFIRMATION),
    ("confirmation_pages.send_confirmation", "POST"): Case(SIGNED_IN),
    # --- Web pages: like the API rows below; "allow" is a page shown or a redirect on success
    ("account_pages.change_password", "GET"): Case(SIGNED_IN),
    ("account_pages.change_password", "POST"): Case(SIGNED_IN, body=new_password_form),
    ("shop_pages.explore", "GET"): Case(ANYONE),
    ("shop_pages.shop", "GET"): Case(ANYONE),
    ("shop_pages.new_shop", "GET"): Case(SIGNED_IN),
    ("shop_pages.new_shop", "POST"): Case(SIGNED_IN, body={"name": "New shop"}),
    ("shop_pages.edit_shop", "GET"): Case(MANAGERS),
    ("shop_pages.edit_shop", "POST"): Case(MANAGERS, body={"summary": "Edited"}),
    ("shop_pages.find_member", "GET"): Case(TEAM),
    # The team's stamp tool: the shop refuses who may not search its members; the stamp
    # itself is then refused as the API refuses it (the assistant may not stamp here).
    ("task_pages.stamp_found_member", "POST"): Case(row(U, D, D, D, R, A, A, A), body=stamp_form),
    ("receipt_pages.shop_redemptions", "GET"): Case(TEAM),
    # Cancelling asks first (a page that says what it does): only whoever may cancel sees it.
    ("receipt_pages.cancel_receipt", "GET"): Case(row(U, H, D, H, D, A, A, A)),
    ("receipt_pages.cancel_receipt", "POST"): Case(
        row(U, R, R, R, R, A, A, A), body={"reason": "Changed my mind"}
    ),
    ("program_pages.program", "GET"): Case(ANYONE),
    ("task_pages.task", "GET"): Case(ANYONE),
    ("program_pages.new_program", "GET"): Case(TEAM),
    ("program_pages.new_program", "POST"): Case(TEAM, body={"name": "New program"}),
    ("program_pages.edit_program", "GET"): Case(MANAGERS),
    ("program_pages.edit_program", "POST"): Case(MANAGERS, body={"summary": "Edited"}),
    ("task_settings_pages.new_task", "GET"): Case(MANAGERS),
    ("task_settings_pages.new_task", "POST"): Case(
        MANAGERS, body={"name": "New task", "point_value": 1}
    ),
    ("program_pages.join", "POST"): Case(row(U, A, R, R, A, A, A, A)),
    ("task_pages.stamp", "POST"): Case(row(U, R, A, A, R, A, A, A), body=stamp_the_member),
    # --- programs pages: leave, leaderboard, members, archive, points history; task form,
    # delete, notes, revoking, overrides (like their API rows above and below)
    # Leaving: the member and the stamper are in the program; the others are told they are not.
    ("program_pages.leave", "GET"): Case(row(U, R, A, A, R, R, R, R)),
    ("program_pages.leave", "POST"): Case(row(U, R, A, A, R, R, R, R)),
    ("program_pages.leaderboard", "GET"): Case(ANYONE),
    ("program_pages.members", "GET"): Case(ANYONE),
    ("program_pages.delete_program", "GET"): Case(MANAGERS),
    ("program_pages.delete_program", "POST"): Case(MANAGERS),
    ("program_pages.points_history", "GET"): Case(row(U, H, A, H, H, A, A, A)),
    ("task_settings_pages.edit_task", "GET"): Case(MANAGERS),
    ("task_settings_pages.edit_task", "POST"): Case(
        MANAGERS, body={"name": "Edited task", "point_value": 3}
    ),
    ("task_settings_pages.delete_task", "GET"): Case(MANAGERS),
    ("task_settings_pages.delete_task", "POST"): Case(MANAGERS),
    ("task_pages.note", "POST"): Case(row(U, H, A, D, D, D, D, A), body={"note": "Mine"}),
    ("task_pages.revoke", "GET"): Case(row(U, H, D, D, D, A, A, A)),
    ("task_pages.revoke", "POST"): Case(row(U, H, D, D, D, A, A, A)),
    ("task_settings_pages.overrides", "GET"): Case(MANAGERS),
    ("task_settings_pages.override", "GET"): Case(MANAGERS),
    ("task_settings_pages.override", "POST"): Case(MANAGERS, body={"target": 7}),
    ("task_settings_pages.delete_override", "POST"): Case(MANAGERS),
    # Stamping someone else: the team members who stamp this task ("self" program).
    ("task_pages.stamp_member", "GET"): Case(row(U, D, D, A, D, A, A, A)),
    ("reward_pages.reward", "GET"): Case(ANYONE),
    ("reward_pages.new_reward", "GET"): Case(TEAM),
    ("reward_pages.new_reward", "POST"): Case(TEAM, body={"name": "New reward", "cost": 5}),
    # Paying with the member's membership: nobody else has it among their own to choose.
    ("reward_pages.redeem", "POST"): Case(
        row(U, V, A, V, V, V, V, V), body=pay_with_members_points
    ),
    ("reward_pages.contribute", "POST"): Case(
        row(U, V, A, V, V, V, V, V),
        body=contribute_members_points,
        args={"reward_id": "group_reward"},
    ),
    ("reward_pages.favourite", "POST"): Case(SIGNED_IN),
    ("receipt_pages.my_receipts", "GET"): Case(SIGNED_IN),
    ("receipt_pages.receipt", "GET"): Case(row(U, H, A, H, A, A, A, A)),
    # --- rewards pages -----------------------------------------------------------------------
    ("reward_pages.edit_reward", "GET"): Case(MANAGERS),
    ("reward_pages.edit_reward", "POST"): Case(MANAGERS, body={"name": "Edited"}),
    ("reward_pages.delete_reward", "GET"): Case(MANAGERS),
    ("reward_pages.delete_reward", "POST"): Case(MANAGERS),
    ("reward_pages.reward_changes", "GET"): Case(TEAM),
    ("receipt_pages.reward_redemptions", "GET"): Case(TEAM),
    # Like redeeming: only the member has the membership among their own to pay with.
    ("reward_pages.gift", "POST"): Case(
        row(U, V, A, V, V, V, V, V), body=gift_to_other, prepare=giftable_reward
    ),
    # --- shops pages: the shop and its team's pages (arrange, delete, receipts, roles, members,
    # invitations, merges), each refused as its API route is -------------------------------
    ("shop_pages.arrange", "GET"): Case(MANAGERS),
    ("shop_pages.arrange", "POST"): Case(MANAGERS, body={}),  # places left out stay put
    ("deletion_pages.delete_shop", "GET"): Case(row(U, D, D, D, D, D, A, A)),
    ("deletion_pages.delete_shop", "POST"): Case(row(U, D, D, D, D, D, A, A)),
    ("announcement_pages.test_chat", "POST"): Case(MANAGERS, prepare=chat_connected),
    ("receipt_pages.fulfil_receipt", "POST"): Case(row(U, H, D, H, A, A, A, A)),
    ("team_pages.team", "GET"): Case(MANAGERS),
    ("team_pages.team", "POST"): Case(
        MANAGERS,
        body=lambda world, role: {"person": world.emails["newcomer"], "role_type": "viewer"},
    ),
    ("team_pages.edit_role", "GET"): Case(MANAGERS),
    ("team_pages.edit_role", "POST"): Case(
        MANAGERS, body={"role_type": "assistant", "perm_stamp": "off"}
    ),
    # The assistant removes their own role: leaving the team is always allowed.
    ("team_pages.remove_role", "POST"): Case(TEAM),
    ("member_pages.members", "GET"): Case(MANAGERS),
    ("member_pages.members", "POST"): Case(MANAGERS, body={"email": "walk-in@example.com"}),
    ("member_pages.change_member_role", "POST"): Case(
        row(U, H, D, D, D, A, A, A), body={"role_type": "stamper"}
    ),
    # The member leaves (their own); the team removes.
    ("member_pages.remove_member", "POST"): Case(row(U, H, A, D, D, A, A, A)),
    ("ledger_pages.adjust_points", "POST"): Case(
        row(U, H, D, H, H, A, A, A),
        body={"amount": 5, "note": "Goodwill", "idempotency_key": "k" * 24},
    ),
    ("invitation_pages.shop_invitations", "GET"): Case(MANAGERS),
    ("invitation_pages.shop_invitations", "POST"): Case(
        MANAGERS,
        body=lambda world, role: {
            "target": f"program:{world.ids['program']}",
            "email": "guest@example.com",
        },
    ),
    ("member_pages.invite_to_program", "POST"): Case(MANAGERS, body={"email": "guest@example.com"}),
    ("invitation_pages.revoke_invitation", "POST"): Case(MANAGERS),
    ("invitation_pages.my_invitations", "GET"): Case(SIGNED_IN),
    # The outsider's invitation into the program: theirs alone to answer, admins included.
    ("invitation_pages.accept_invitation", "POST"): Case(row(U, A, H, H, H, H, H, H)),
    ("invitation_pages.decline_invitation", "POST"): Case(row(U, A, H, H, H, H, H, H)),
    ("merge_pages.merge_shop", "GET"): Case(row(U, D, D, D, D, D, A, A)),
    ("merge_pages.merge_shop", "POST"): Case(
        row(U, D, D, D, D, D, A, A),
        body=lambda world, role: {"source": world.ids["shop_to_merge"]},
    ),
    ("merge_pages.merge_program", "GET"): Case(MANAGERS),
    ("merge_pages.merge_program", "POST"): Case(
        MANAGERS, body=lambda world, role: {"source": world.ids["merge_source"]}
    ),
    # --- Accounts ---------------------------------------------------------------------------
    ("accounts.register", "POST"): Case(ANYONE, body=new_account),
    ("flows.request_password_reset", "POST"): Case(ANYONE, body={"email": "x@example.com"}),
    ("flows.complete_password_reset", "POST"): Case(ANYONE, body=accounts.RESET_BODY),
    ("flows.request_email_confirmation", "POST"): Case(SIGNED_IN),
    ("flows.complete_email_confirmation", "POST"): Case(ANYONE, body=accounts.CONFIRMATION_BODY),
    ("accounts.create_token", "POST"): Case(ANYONE, body=own_email),
    ("accounts.delete_token", "DELETE"): Case(SIGNED_IN),
    ("accounts.get_me", "GET"): Case(SIGNED_IN),
    ("accounts.patch_me", "PATCH"): Case(SIGNED_IN, body={"name": "Renamed"}),
    ("flows.delete_me", "DELETE"): Case(SIGNED_IN),
    ("accounts.change_password", "POST"): Case(
        SIGNED_IN, body={"old_password": PASSWORD, "new_password": "another password 2"}
    ),
    ("people.get_user", "GET"): Case(ANYONE),  # the member's page is public by default
    # --- Shops, team roles, invitations -----------------------------------------------------
    ("shops.list_shops", "GET"): Case(ANYONE),
    ("shops.create_shop", "POST"): Case(SIGNED_IN, body={"name": "New shop"}),
    ("shops.get_shop", "GET"): Case(ANYONE),
    ("shops.update_shop", "PATCH"): Case(MANAGERS, body={"summary": "Edited"}),
    ("flows.delete_shop", "DELETE"): Case(row(U, D, D, D, D, D, A, A)),
    ("flows.merge_shop", "POST"): Case(row(U, D, D, D, D, D, A, A), body=merge_shop),
    ("shops.list_roles", "GET"): Case(ANYONE),
    ("shops.create_role", "POST"): Case(MANAGERS, body=newcomer_as_viewer),
    ("shops.update_role", "PATCH"): Case(MANAGERS, body={"permission_settings": {"stamp": False}}),
    # The assistant removes their own role: leaving the team is always allowed.
    ("shops.delete_role", "DELETE"): Case(TEAM),
    ("shops.list_shop_invitations", "GET"): Case(MANAGERS),
    # Only an invite-only shop takes invitations; the outsider, invited into its program,
    # sees it.
    ("shops.invite_to_shop", "POST"): Case(MANAGERS, body=newcomer, prepare=invite_only_shop),
    ("shops.my_invitations", "GET"): Case(SIGNED_IN),
    # Finding a member to stamp or manage: the team members who may stamp or manage members.
    ("shops.search_members", "GET"): Case(TEAM, query={"q": "user"}),
    # The outsider's invitation into the program: theirs alone to answer, admins included.
    ("flows.accept_invitation", "POST"): Case(row(U, A, H, H, H, H, H, H)),
    ("flows.decline_invitation", "POST"): Case(row(U, A, H, H, H, H, H, H)),
    ("flows.revoke_invitation", "DELETE"): Case(MANAGERS),
    # --- Programs and memberships -----------------------------------------------------------
    ("programs.list_programs", "GET"): Case(ANYONE),
    ("programs.create_program", "POST"): Case(TEAM, body={"name": "New program"}),
    ("programs.get_program", "GET"): Case(ANYONE),
    ("programs.update_program", "PATCH"): Case(MANAGERS, body={"summary": "Edited"}),
    ("programs.delete_program", "DELETE"): Case(MANAGERS),
    ("flows.merge_program", "POST"): Case(MANAGERS, body=merge_program),
    ("programs.list_memberships", "GET"): Case(ANYONE),
    ("programs.create_membership", "POST"): Case(row(U, A, C, C, A, A, A, A), body={}),
    ("programs.invite_to_program", "POST"): Case(MANAGERS, body=newcomer),
    ("programs.my_memberships", "GET"): Case(SIGNED_IN),
    # Like the member list: whoever sees the program; names as each member's privacy allows.
    ("programs.get_leaderboard", "GET"): Case(ANYONE),
    # The member's membership: their co-members' team sees it; strangers do not.
    ("programs.get_membership", "GET"): Case(row(H, H, A, A, A, A, A, A)),
    ("programs.update_membership", "PATCH"): Case(
        row(U, H, D, D, D, A, A, A), body={"role_type": "stamper"}
    ),
    ("programs.delete_membership", "DELETE"): Case(row(U, H, A, D, D, A, A, A)),
    # --- Points history ---------------------------------------------------------------------
    ("ledger.list_entries", "GET"): Case(row(U, H, A, H, H, A, A, A)),
    ("ledger.create_adjustment", "POST"): Case(
        row(U, H, D, H, H, A, A, A), body={"amount": 5, "note": "Goodwill"}
    ),
    # --- Merchant loyalty: earning rules and a store's calls ----------------------------------
    ("loyalty.list_earning_rules", "GET"): Case(ANYONE),
    ("loyalty.create_earning_rule", "POST"): Case(MANAGERS, body=loyalty.NEW_RULE),
    ("loyalty.update_earning_rule", "PATCH"): Case(MANAGERS, body={"points": 2}),
    ("loyalty.delete_earning_rule", "DELETE"): Case(MANAGERS),
    ("loyalty.credit_activity", "POST"): Case(MANAGERS, body=loyalty.ACTIVITY),
    ("loyalty.record_order", "POST"): Case(MANAGERS, body=loyalty.ORDER),
    ("loyalty.record_refund", "POST"): Case(MANAGERS, body=loyalty.REFUND),
    ("loyalty.list_orders", "GET"): Case(MANAGERS),
    ("loyalty.list_campaigns", "GET"): Case(ANYONE),
    ("loyalty.create_campaign", "POST"): Case(MANAGERS, body=loyalty.NEW_CAMPAIGN),
    ("loyalty.update_campaign", "PATCH"): Case(MANAGERS, body={"name": "Triple"}),
    ("loyalty.delete_campaign", "DELETE"): Case(MANAGERS),
    ("loyalty.list_integrations", "GET"): Case(MANAGERS),
    ("loyalty.create_integration", "POST"): Case(MANAGERS, body=loyalty.new_integration),
    ("loyalty.delete_integration", "DELETE"): Case(MANAGERS),
    # Customer imports move points: the shop's creator and managers (or their keys).
    ("loyalty.create_customer_import", "POST"): Case(MANAGERS, body=loyalty.IMPORT_ROWS),
    ("loyalty.list_customer_imports", "GET"): Case(MANAGERS),
    ("loyalty.get_customer_import", "GET"): Case(MANAGERS),
    ("loyalty.list_customer_import_rows", "GET"): Case(MANAGERS),
    # --- VIP tiers: whoever sees the program sees its tiers; managers set them up -----------
    ("tiers.list_tiers", "GET"): Case(ANYONE),
    ("tiers.create_tier", "POST"): Case(MANAGERS, body=tiers.NEW_TIER),
    ("tiers.update_tier", "PATCH"): Case(MANAGERS, body={"name": "Silver+"}),
    ("tiers.delete_tier", "DELETE"): Case(MANAGERS),
    ("tiers.get_tier_settings", "GET"): Case(ANYONE),
    ("tiers.put_tier_settings", "PUT"): Case(MANAGERS, body=tiers.SETTINGS),
    # A member's tier: as the membership; raising it is the managers'.
    ("tiers.get_member_tier", "GET"): Case(row(U, H, A, A, A, A, A, A)),
    ("tiers.list_tier_changes", "GET"): Case(row(U, H, A, A, A, A, A, A)),
    ("tiers.raise_member_tier", "POST"): Case(row(U, H, D, D, D, A, A, A), body=tiers.raise_member),
    ("tier_pages.tiers", "GET"): Case(ANYONE),
    # --- Referrals: whoever sees the program reads its settings; the member and the managers
    # read the member's code; only the member emails it; the managers review and set up ------
    ("referrals.get_referral_settings", "GET"): Case(ANYONE),
    ("referrals.put_referral_settings", "PUT"): Case(MANAGERS, body=referrals.SETTINGS),
    ("referrals.get_member_referral", "GET"): Case(row(U, H, A, H, H, A, A, A)),
    ("referrals.list_member_referrals", "GET"): Case(row(U, H, A, H, H, A, A, A)),
    ("referrals.list_referrals", "GET"): Case(MANAGERS),
    ("referrals.approve_referral", "POST"): Case(MANAGERS),
    ("referrals.reject_referral", "POST"): Case(MANAGERS),
    ("referrals.referral_analytics", "GET"): Case(MANAGERS),
    # Joining through a code: anyone signed in who sees the (public) program; one who is a
    # member already gets the referral recorded as rejected (201 still).
    ("flows.join_through_referral", "POST"): Case(SIGNED_IN, body=referrals.join_body),
    ("flows.invite_friends", "POST"): Case(row(U, H, A, H, H, D, D, A), body=referrals.INVITE),
    ("referral_link_pages.landing", "GET"): Case(ANYONE),
    ("referral_link_pages.join", "POST"): Case(SIGNED_IN),
    ("referral_link_pages.share", "POST"): Case(
        row(U, H, A, A, H, H, H, H), body=referrals.INVITE_FORM
    ),
    ("referral_pages.member", "GET"): Case(row(U, H, A, A, H, H, H, H)),
    ("referral_pages.settings", "GET"): Case(MANAGERS),
    ("referral_pages.save_settings", "POST"): Case(MANAGERS, body=referrals.SETTINGS_FORM),
    ("referral_pages.referrals", "GET"): Case(MANAGERS),
    ("referral_pages.approve", "POST"): Case(MANAGERS),
    ("referral_pages.reject", "POST"): Case(MANAGERS),
    ("referral_pages.analytics", "GET"): Case(MANAGERS),
    # --- Consultations (the host's account is the assistant's; the member's session began) --
    ("consultations.list_hosts", "GET"): Case(ANYONE),
    ("consultations.create_host", "POST"): Case(MANAGERS, body=consultations.NEW_HOST),
    ("consultations.get_host", "GET"): Case(ANYONE),
    ("consultations.update_host", "PATCH"): Case(MANAGERS, body={"bio": "Hello"}),
    ("consultations.delete_host", "DELETE"): Case(MANAGERS),
    ("consultations.list_slots", "GET"): Case(ANYONE),
    ("consultations.book", "POST"): Case(SIGNED_IN, body=consultations.book),
    ("consultations.list_host_bookings", "GET"): Case(TEAM),
    ("consultations.list_my_bookings", "GET"): Case(SIGNED_IN),
    # A booking: its member, the host (the assistant) and the team; notes the host's alone.
    ("consultations.get_booking", "GET"): Case(row(U, H, A, H, A, A, A, A)),
    ("consultations.cancel_booking", "POST"): Case(row(U, H, C, H, A, A, A, A), body={}),
    ("consultations.complete_booking", "POST"): Case(row(U, H, D, H, A, A, A, A)),
    ("consultations.no_show_booking", "POST"): Case(row(U, H, D, H, A, A, A, A)),
    ("consultations.put_booking_notes", "PUT"): Case(
        row(U, H, D, H, A, D, D, A), body={"session_notes": "Fine"}
    ),
    ("consultations.rate_booking", "POST"): Case(
        row(U, H, C, H, D, D, D, C), body={"user_feedback_rating": 5}
    ),
    ("consultations.put_booking_payment", "PUT"): Case(
        row(U, H, D, H, A, A, A, A), body={"payment_status": "paid"}
    ),
    ("consultation_pages.hosts", "GET"): Case(ANYONE),
    ("consultation_pages.host", "GET"): Case(ANYONE),
    ("consultation_pages.book", "POST"): Case(SIGNED_IN, body=consultations.book_form),
    ("consultation_pages.my_bookings", "GET"): Case(SIGNED_IN),
    ("consultation_pages.booking", "GET"): Case(row(U, H, A, H, A, A, A, A)),
    ("consultation_pages.cancel", "POST"): Case(row(U, H, R, H, A, A, A, A)),
    ("consultation_pages.complete", "POST"): Case(row(U, H, D, H, A, A, A, A)),
    ("consultation_pages.no_show", "POST"): Case(row(U, H, D, H, A, A, A, A)),
    ("consultation_pages.notes", "POST"): Case(
        row(U, H, D, H, A, D, D, A), body={"session_notes": "Fine"}
    ),
    ("consultation_pages.rating", "POST"): Case(
        row(U, H, R, H, D, D, D, R), body={"user_feedback_rating": "5"}
    ),
    ("consultation_pages.payment", "POST"): Case(
        row(U, H, D, H, A, A, A, A), body={"payment_status": "paid"}
    ),
    ("consultation_pages.host_bookings", "GET"): Case(TEAM),
    ("consultation_pages.new_host", "GET"): Case(MANAGERS),
    ("consultation_pages.new_host", "POST"): Case(MANAGERS, body=consultations.NEW_HOST_FORM),
    ("consultation_pages.edit_host", "GET"): Case(MANAGERS),
    ("consultation_pages.edit_host", "POST"): Case(
        MANAGERS, body={**consultations.NEW_HOST_FORM, "verification_status": "verified"}
    ),
    ("consultation_pages.delete_host", "POST"): Case(MANAGERS),
    # The team's setup pages (tiers/pages.py): as the API's writes above, the managers'.
    ("tier_pages.setup", "GET"): Case(MANAGERS),
    ("tier_pages.add_tier", "POST"): Case(MANAGERS, body=tiers.NEW_TIER_FORM),
    ("tier_pages.save_settings", "POST"): Case(MANAGERS, body=tiers.SETTINGS_FORM),
    ("tier_pages.edit_tier", "GET"): Case(MANAGERS),
    ("tier_pages.edit_tier", "POST"): Case(MANAGERS, body={"name": "Silver+", "threshold": "1000"}),
    ("tier_pages.delete_tier", "GET"): Case(MANAGERS),
    ("tier_pages.delete_tier", "POST"): Case(MANAGERS),
    # A program's points activity: every member's entries, as each one's history (managers).
    ("ledger.list_program_entries", "GET"): Case(MANAGERS),
    ("loyalty.update_integration", "PATCH"): Case(MANAGERS, body=loyalty.ACCESS_TOKEN),
    # Shopify's webhook is public, and no role's credential opens it: the store's signature of
    # the body is its authentication, which these calls do not carry (401 for everyone; the
    # signed calls are tests/loyalty/test_shopify_webhooks.py's).
    ("loyalty.receive_shopify_webhook", "POST"): Case(everyone(AUTH)),
    ("store_pages.store", "GET"): Case(MANAGERS),
    ("store_pages.store", "POST"): Case(MANAGERS, body=loyalty.new_store_form),
    ("store_pages.disconnect", "POST"): Case(MANAGERS),
    ("store_pages.access_token", "POST"): Case(MANAGERS, body=loyalty.ACCESS_TOKEN),
    # The earning page (loyalty/pages/earning.py): whoever sees the program reads it; its
    # forms are the managers', as the API's routes above.
    ("earning_pages.earning", "GET"): Case(ANYONE),
    ("earning_pages.add_rule", "POST"): Case(MANAGERS, body={"kind": "signup", "points": "5"}),
    ("earning_pages.edit_rule", "GET"): Case(MANAGERS),
    ("earning_pages.edit_rule", "POST"): Case(MANAGERS, body={"points": "2", "per_amount": "1.00"}),
    ("earning_pages.delete_rule", "POST"): Case(MANAGERS),
    ("earning_pages.add_campaign", "POST"): Case(
        MANAGERS,
        body={
            "campaign_name": "Bonus week",
            "campaign_kind": "bonus",
            "bonus_points": "5",
            "campaign_starts_at": "2030-01-01T00:00",
            "campaign_ends_at": "2030-01-08T00:00",
        },
    ),
    ("earning_pages.delete_campaign", "POST"): Case(MANAGERS),
    # The team's customer pages (loyalty/pages/customers.py, imports.py): the managers', as
    # the API's routes above; the member's membership is their own to show (hidden from
    # the outsider), the customer's profile is the managers'.
    ("import_pages.imports", "GET"): Case(MANAGERS),
    ("import_pages.imports", "POST"): Case(MANAGERS, body=loyalty.import_upload),
    ("import_pages.customer_import", "GET"): Case(MANAGERS),
    ("customer_pages.customers", "GET"): Case(MANAGERS),
    ("customer_pages.customer", "GET"): Case(row(U, H, D, D, D, A, A, A)),
    ("customer_pages.activity", "GET"): Case(MANAGERS),
    # --- Tasks and stamps -------------------------------------------------------------------
    ("tasks.list_tasks", "GET"): Case(ANYONE),
    ("tasks.create_task", "POST"): Case(MANAGERS, body={"name": "New task", "point_value": 1}),
    ("tasks.get_task", "GET"): Case(ANYONE),
    ("tasks.patch_task", "PATCH"): Case(MANAGERS, body={"point_value": 3}),
    ("tasks.delete_task", "DELETE"): Case(MANAGERS),
    ("tasks.put_override", "PUT"): Case(MANAGERS, body={"target": 7}),
    ("tasks.delete_override", "DELETE"): Case(MANAGERS),
    ("tasks.list_stamps", "GET"): Case(ANYONE),
    # A "self" program: the member stamps themselves; stampers stamp anyone.
    ("tasks.create_stamp", "POST"): Case(row(U, H, A, A, D, A, A, A), body=stamp_the_member),
    # The creator stamped the member a moment ago: managers, or the creator, take it back.
    ("tasks.revoke_stamp", "DELETE"): Case(row(U, H, D, D, D, A, A, A)),
    # The stamp's personal note is its member's.
    ("tasks.annotate_stamp", "PATCH"): Case(row(U, H, A, D, D, D, D, A), body={"note": "Mine"}),
    ("tasks.program_stats", "GET"): Case(row(U, D, A, A, A, A, A, A)),
    # --- Rewards and receipts ---------------------------------------------------------------
    ("rewards.list_rewards", "GET"): Case(ANYONE),
    ("rewards.create_reward", "POST"): Case(TEAM, body={"name": "New reward", "cost": 5}),
    ("rewards.get_reward", "GET"): Case(ANYONE),
    ("rewards.patch_reward", "PATCH"): Case(MANAGERS, body={"name": "Edited"}),
    ("rewards.delete_reward", "DELETE"): Case(MANAGERS),
    ("rewards.list_changes", "GET"): Case(TEAM),
    ("rewards.add_favorite", "PUT"): Case(SIGNED_IN),
    ("rewards.remove_favorite", "DELETE"): Case(SIGNED_IN),
    ("rewards.list_reward_redemptions", "GET"): Case(TEAM),
    # Paying with the member's membership: only the member; nobody else, admins included,
    # learns that it exists.
    ("rewards.redeem", "POST"): Case(row(U, H, A, H, H, H, H, H), body=pay_with_members_points),
    ("rewards.contribute", "POST"): Case(
        row(U, H, A, H, H, H, H, H),
        body=contribute_members_points,
        args={"reward_id": "group_reward"},
    ),
    ("rewards.list_my_redemptions", "GET"): Case(SIGNED_IN),
    # The member's receipt: theirs and the shop team's.
    ("rewards.get_redemption", "GET"): Case(row(U, H, A, H, A, A, A, A)),
    ("rewards.cancel_redemption", "POST"): Case(
        row(U, H, D, H, D, A, A, A), body={"reason": "Changed my mind"}
    ),
    ("rewards.fulfil_redemption", "POST"): Case(row(U, H, D, H, A, A, A, A)),
    ("rewards.list_shop_redemptions", "GET"): Case(TEAM),
    # --- Webhooks: those who manage the shop's settings (tests/webhooks/authz_cases.py) -----
    ("webhooks.list_webhook_endpoints", "GET"): Case(MANAGERS),
    ("webhooks.create_webhook_endpoint", "POST"): Case(MANAGERS, body=webhooks.new_endpoint),
    ("webhooks.get_webhook_endpoint", "GET"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhooks.update_webhook_endpoint", "PATCH"): Case(
        MANAGERS,
        body={"description": "The till"},
        args=webhooks.ENDPOINT,
    ),
    ("webhooks.delete_webhook_endpoint", "DELETE"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhooks.rotate_webhook_secret", "POST"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhooks.list_webhook_messages", "GET"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhooks.list_webhook_attempts", "GET"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhooks.test_webhook_endpoint", "POST"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhooks.replay_webhook_message", "POST"): Case(MANAGERS, args=webhooks.MESSAGE),
    ("webhook_pages.endpoints", "GET"): Case(MANAGERS),
    ("webhook_pages.endpoints", "POST"): Case(MANAGERS, body=webhooks.new_endpoint),
    ("webhook_pages.endpoint", "GET"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhook_pages.endpoint", "POST"): Case(
        MANAGERS,
        body=webhooks.endpoint_form,
        args=webhooks.ENDPOINT,
    ),
    ("webhook_pages.rotate_secret", "POST"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhook_pages.send_test", "POST"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhook_pages.delete_endpoint", "POST"): Case(MANAGERS, args=webhooks.ENDPOINT),
    ("webhook_pages.replay", "POST"): Case(MANAGERS, args=webhooks.MESSAGE),
    # --- API keys: the shop's creator and managers (tests/apikeys/authz_cases.py); an admin
    # outside the team makes none (it would be refused from its first call) -------------------
    ("apikeys.list_api_keys", "GET"): Case(MANAGERS),
    ("apikeys.create_api_key", "POST"): Case(row(U, D, D, D, D, A, A, D), body=apikeys.NEW_KEY),
    ("apikeys.revoke_api_key", "DELETE"): Case(MANAGERS, args=apikeys.KEY),
    ("api_key_pages.keys", "GET"): Case(MANAGERS),
    ("api_key_pages.keys", "POST"): Case(row(U, D, D, D, D, A, A, D), body=apikeys.NEW_KEY_FORM),
    ("api_key_pages.revoke", "POST"): Case(MANAGERS, args=apikeys.KEY),
    # --- People: buddies, blocks, messages, posts (tests/people/authz_cases.py) ------------
    ("accounts.change_email", "POST"): Case(SIGNED_IN, body=people.new_email),
    ("accounts.star_shop", "PUT"): Case(SIGNED_IN, body=people.star_the_shop),
    ("accounts.unstar_shop", "DELETE"): Case(SIGNED_IN),
    ("people.list_buddies", "GET"): Case(SIGNED_IN),
    ("people.send_buddy_request", "POST"): Case(SIGNED_IN, body=people.ask_other),
    # Everyone is the member's buddy; the member is not their own.
    ("people.remove_buddy", "DELETE"): Case(
        row(U, A, H, A, A, A, A, A), prepare=people.member_befriends_everyone
    ),
    # The member's buddies are for co-members (default privacy); the outsider is only invited.
    ("people.list_user_buddies", "GET"): Case(row(H, H, A, A, A, A, A, A)),
    ("people.list_buddy_requests", "GET"): Case(SIGNED_IN),
    # A request to the member: theirs alone to answer, admins included.
    ("people.accept_buddy_request", "POST"): Case(
        row(U, H, A, H, H, H, H, H), args={"request_id": "buddy_request"}
    ),
    ("people.decline_buddy_request", "POST"): Case(
        row(U, H, A, H, H, H, H, H), args={"request_id": "buddy_request"}
    ),
    ("people.cancel_buddy_request", "DELETE"): Case(
        row(U, H, A, H, H, H, H, H), args={"request_id": "own_buddy_request"}
    ),
    ("people.list_blocks", "GET"): Case(SIGNED_IN),
    ("people.block_user", "POST"): Case(row(U, A, C, A, A, A, A, A)),
    ("people.unblock_user", "DELETE"): Case(SIGNED_IN),
    ("people.list_messages", "GET"): Case(SIGNED_IN),
    # The member takes messages from co-members (default privacy), not from the outsider.
    ("people.send_message", "POST"): Case(row(U, D, C, A, A, A, A, A), body=people.write_to_member),
    # The member's message: only they change it; nobody else, admins included, sees it.
    ("people.edit_message", "PATCH"): Case(
        row(U, H, A, H, H, H, H, H),
        body={"body": "Edited"},
        args={"message_id": "message"},
    ),
    ("people.delete_message", "DELETE"): Case(
        row(U, H, A, H, H, H, H, H),
        args={"message_id": "message"},
    ),
    ("people.list_conversations", "GET"): Case(SIGNED_IN),
    ("people.mark_read", "POST"): Case(SIGNED_IN, body={}),
    ("people.list_posts", "GET"): Case(ANYONE),
    ("people.create_post", "POST"): Case(SIGNED_IN, body={"body": "Hello"}),
    # The member's public post in the program: its author edits it; its author and the
    # program's managers delete it.
    ("people.get_post", "GET"): Case(ANYONE, args={"post_id": "post"}),
    ("people.edit_post", "PATCH"): Case(
        row(U, D, A, D, D, D, D, D),
        body={"body": "Edited"},
        args={"post_id": "post"},
    ),
    ("people.delete_post", "DELETE"): Case(
        row(U, D, A, D, D, A, A, A),
        args={"post_id": "post"},
    ),
    # --- people pages: user pages, buddies, messages, posts, my settings -------------------
    # ``user_id`` is the member: asking, blocking or writing to oneself is refused (or 404).
    ("people_pages.user", "GET"): Case(ANYONE),
    ("people_pages.buddies", "GET"): Case(SIGNED_IN),
    ("people_pages.ask_by_email", "POST"): Case(
        SIGNED_IN, body=lambda world, role: {"email": world.emails["other"]}
    ),
    ("people_pages.ask_user", "POST"): Case(row(U, A, R, A, A, A, A, A)),
    # The request to the member: theirs alone to answer, admins included.
    ("people_pages.accept_request", "POST"): Case(
        row(U, R, A, R, R, R, R, R), args={"request_id": "buddy_request"}
    ),
    ("people_pages.decline_request", "POST"): Case(
        row(U, R, A, R, R, R, R, R), args={"request_id": "buddy_request"}
    ),
    ("people_pages.cancel_request", "POST"): Case(
        row(U, R, A, R, R, R, R, R), args={"request_id": "own_buddy_request"}
    ),
    ("people_pages.remove_buddy", "POST"): Case(
        row(U, A, R, A, A, A, A, A), prepare=people.member_befriends_everyone
    ),
    ("people_pages.block", "GET"): Case(row(U, A, H, A, A, A, A, A)),
    ("people_pages.block", "POST"): Case(row(U, A, H, A, A, A, A, A)),
    ("people_pages.unblock", "POST"): Case(SIGNED_IN),
    ("message_pages.conversations", "GET"): Case(SIGNED_IN),
    ("message_pages.conversation", "GET"): Case(row(U, A, H, A, A, A, A, A)),
    # The member takes messages from co-members (default privacy), not from the outsider.
    ("message_pages.send_message", "POST"): Case(
        row(U, D, H, A, A, A, A, A), body={"body": "Hello"}
    ),
    ("message_pages.mark_read", "POST"): Case(SIGNED_IN),
    # The member's message: only they change it; nobody else, admins included, sees it.
    ("message_pages.edit_message", "GET"): Case(
        row(U, H, A, H, H, H, H, H), args={"message_id": "message"}
    ),
    ("message_pages.edit_message", "POST"): Case(
        row(U, H, A, H, H, H, H, H), body={"body": "Edited"}, args={"message_id": "message"}
    ),
    ("message_pages.delete_message", "POST"): Case(
        row(U, R, A, R, R, R, R, R), args={"message_id": "message"}
    ),
    ("post_pages.posts", "GET"): Case(ANYONE),
    ("post_pages.new_post", "POST"): Case(SIGNED_IN, body={"body": "Hello"}),
    # Reviewing the task: the program's active members (the member and the stamper).
    ("post_pages.new_review", "POST"): Case(
        row(U, D, A, A, D, D, D, D),
        body=lambda world, role: {
            "rating": "5",
            "body": "Good",
            "task_id": world.ids["task"],
            "program_id": world.ids["program"],
            "audience": "public",
        },
    ),
    # The member's public post in the program: its author edits it; its author and the
    # program's managers delete it.
    ("post_pages.post", "GET"): Case(ANYONE, args={"post_id": "post"}),
    ("post_pages.edit_post", "GET"): Case(row(U, D, A, D, D, D, D, D), args={"post_id": "post"}),
    ("post_pages.edit_post", "POST"): Case(
        row(U, D, A, D, D, D, D, D), body={"body": "Edited"}, args={"post_id": "post"}
    ),
    ("post_pages.delete_post", "POST"): Case(row(U, R, A, R, R, A, A, A), args={"post_id": "post"}),
    ("account_pages.profile", "GET"): Case(SIGNED_IN),
    ("account_pages.profile", "POST"): Case(
        SIGNED_IN, body={"name": "Renamed", "time_zone": "UTC"}
    ),
    ("account_pages.privacy", "GET"): Case(SIGNED_IN),
    ("account_pages.privacy", "POST"): Case(
        SIGNED_IN,
        body={
            "page": "public",
            "buddies": "members",
            "shops": "public",
            "memberships": "members",
            "task_history": "members",
            "redemptions": "private",
            "favorites": "private",
            "messages": "members",
        },
    ),
    ("account_pages.ordering", "GET"): Case(SIGNED_IN),
    ("account_pages.ordering", "POST"): Case(SIGNED_IN, body={}),
    ("account_pages.stars", "GET"): Case(SIGNED_IN),
    ("account_pages.stars", "POST"): Case(SIGNED_IN, body={"shop_id": "0"}),
    ("reward_pages.unstar_reward", "POST"): Case(SIGNED_IN),
    ("account_pages.email", "GET"): Case(SIGNED_IN),
    ("account_pages.email", "POST"): Case(
        SIGNED_IN,
        body=lambda world, role: {"email": f"page-{role}@example.com", "password": PASSWORD},
    ),
    # --- Notifications (tests/notifications/authz_cases.py): my centre and settings; the
    # shop's templates for those who edit the shop; the unsubscribe link for anyone holding it
    ("notifications.list_notifications", "GET"): Case(SIGNED_IN),
    # The member's notice: nobody else marks it, admins included.
    ("notifications.read_notification", "POST"): Case(row(U, H, A, H, H, H, H, H)),
    ("notifications.read_all_notifications", "POST"): Case(SIGNED_IN),
    ("notifications.get_notification_preferences", "GET"): Case(SIGNED_IN),
    ("notifications.update_notification_preferences", "PUT"): Case(
        SIGNED_IN, body=notifications.PREFERENCES_BODY
    ),
    ("notifications.list_notification_templates", "GET"): Case(MANAGERS),
    ("notifications.get_notification_template", "GET"): Case(MANAGERS),
    ("notifications.put_notification_template", "PUT"): Case(
        MANAGERS, body=notifications.TEMPLATE_BODY
    ),
    ("notifications.delete_notification_template", "DELETE"): Case(MANAGERS),
    ("notifications.preview_notification_template", "POST"): Case(
        MANAGERS, body=notifications.PREVIEW_BODY
    ),
    ("notification_pages.centre", "GET"): Case(SIGNED_IN),
    ("notification_pages.mark_read", "POST"): Case(row(U, R, A, R, R, R, R, R)),
    ("notification_pages.mark_all_read", "POST"): Case(SIGNED_IN),
    ("notification_pages.settings", "GET"): Case(SIGNED_IN),
    ("notification_pages.settings", "POST"): Case(SIGNED_IN, body={"language": "es"}),
    ("notification_template_pages.templates", "GET"): Case(MANAGERS),
    ("notification_template_pages.edit_template", "GET"): Case(MANAGERS),
    ("notification_template_pages.edit_template", "POST"): Case(
        MANAGERS, body=notifications.TEMPLATE_BODY
    ),
    ("notification_template_pages.preview_template", "POST"): Case(
        MANAGERS, body=notifications.TEMPLATE_BODY
    ),
    # --- Events: whoever sees the shop sees its events; managers set them up; the team that
    # stamps works the door; a registration is its person's and the door team's.
    ("events.list_events", "GET"): Case(ANYONE),
    ("events.create_event", "POST"): Case(MANAGERS, body=events.NEW_EVENT),
    ("events.get_event", "GET"): Case(ANYONE),
    ("events.update_event", "PATCH"): Case(MANAGERS, body={"title": "Quiz"}),
    ("events.delete_event", "DELETE"): Case(MANAGERS),
    # The member is registered already: 409 already_registered.
    ("events.register", "POST"): Case(row(U, A, C, A, A, A, A, A)),
    ("events.list_registrations", "GET"): Case(TEAM),
    ("events.list_my_registrations", "GET"): Case(SIGNED_IN),
    ("events.get_registration", "GET"): Case(row(U, H, A, H, A, A, A, A)),
    ("events.cancel_registration", "DELETE"): Case(row(U, H, A, H, A, A, A, A)),
    ("events.record_payment", "POST"): Case(
        TEAM, body=events.PAYMENT, args={"registration_id": "paid_registration"}
    ),
    ("events.check_in", "POST"): Case(TEAM, body=events.CHECK_IN),
    # The payments provider's webhook (flows/payments_api.py: it reaches consultations too): no
    # token, only its signature (unsigned here: 401 for all; signed calls are
    # tests/events/test_payments.py's and tests/consultations/test_payments.py's).
    ("flows.receive_payments_webhook", "POST"): Case(everyone(AUTH)),
    # A checkout is the seat's or booking's own person's (no provider set here: 409
    # payments_unavailable; the booking is free: 409 booking_payment_not_due); the team sees
    # it and records payments by hand instead (admins pass every rule).
    ("flows.checkout_registration", "POST"): Case(row(U, H, C, H, D, D, D, C)),
    ("flows.checkout_booking", "POST"): Case(row(U, H, C, H, D, D, D, C)),
    ("payment_pages.pay_booking", "POST"): Case(row(U, H, R, H, D, D, D, R)),
    ("events.check_out", "POST"): Case(TEAM, body=events.CHECK_OUT),
    # Self check-in with the door screen's code: one's own seat only (the member's); whoever
    # else sees the event has no seat there (409 not_registered).
    ("events.self_check_in", "POST"): Case(row(U, C, A, C, C, C, C, C), body=events.self_check_in),
    # The events' pages (events/pages.py): as the API's routes above.
    ("event_pages.events", "GET"): Case(ANYONE),
    ("event_pages.event", "GET"): Case(ANYONE),
    ("event_pages.event_ics", "GET"): Case(ANYONE),
    ("event_pages.shop_ics", "GET"): Case(ANYONE),
    # The member is registered already: the page says so (refused).
    ("event_pages.register", "POST"): Case(row(U, A, R, A, A, A, A, A)),
    ("event_pages.cancel", "POST"): Case(row(U, H, A, H, A, A, A, A)),
    ("event_pages.ticket", "GET"): Case(row(U, H, A, H, A, A, A, A)),
    # Paying online is the seat's own person's (no provider set here: refused); the door team
    # sees the seat and records payments by hand instead (admins pass every rule).
    ("event_pages.pay", "POST"): Case(row(U, H, R, H, D, D, D, R)),
    ("event_pages.registrations", "GET"): Case(TEAM),
    ("event_pages.check_in_page", "GET"): Case(TEAM),
    ("event_pages.check_in", "POST"): Case(TEAM, body=events.CHECK_IN),
    ("event_pages.door", "GET"): Case(TEAM),
    ("event_pages.door_code", "GET"): Case(TEAM),
    ("event_pages.door_switch", "POST"): Case(MANAGERS, body={"on": "1"}),
    ("event_pages.self_check_in_page", "GET"): Case(ANYONE),
    ("event_pages.self_check_in", "POST"): Case(
        row(U, R, A, R, R, R, R, R), body=events.self_check_in
    ),
    ("event_pages.attendance", "GET"): Case(TEAM),
    ("event_pages.attendance_csv", "GET"): Case(TEAM),
    ("event_pages.period_attendance", "GET"): Case(TEAM),
    ("event_pages.period_attendance_csv", "GET"): Case(TEAM),
    # --- Wallet passes: the shop's creator and managers set them up; a membership's pass is
    # its own person's (the team sees the membership: refused; admins pass every rule).
    ("wallet_settings.get_wallet_settings", "GET"): Case(MANAGERS),
    ("wallet_settings.put_wallet_settings", "PUT"): Case(MANAGERS, body=wallets.settings_form),
    ("wallet_passes.get_apple_pass", "GET"): Case(row(U, H, A, D, D, D, D, A)),
    ("wallet_passes.get_google_link", "GET"): Case(row(U, H, A, D, D, D, D, A)),
    # Apple's web service takes no user: the pass's own token (none here: 401 for all); the
    # list of a device's changed passes and the devices' logs take none at all.
    ("wallet_devices.register_device", "POST"): Case(everyone(AUTH), body=wallets.PUSH),
    ("wallet_devices.unregister_device", "DELETE"): Case(everyone(AUTH)),
    ("wallet_devices.updated_passes", "GET"): Case(ANYONE),
    ("wallet_devices.latest_pass", "GET"): Case(everyone(AUTH)),
    ("wallet_devices.device_log", "POST"): Case(ANYONE, body=wallets.LOGS),
    ("wallet_pages.apple_pass", "GET"): Case(row(U, H, A, D, D, D, D, A)),
    ("wallet_pages.google_wallet", "GET"): Case(row(U, H, A, D, D, D, D, A)),
    ("wallet_pages.shop_logo", "GET"): Case(ANYONE),
    ("wallet_pages.settings", "GET"): Case(MANAGERS),
    ("wallet_pages.save_settings", "POST"): Case(MANAGERS, body=wallets.settings_form),
    # --- Cards: a member's card code is theirs alone (the team: 403; admins pass every
    # rule); the counter (scanning, stamping and redeeming by card) is the team's that stamps.
    ("cards.get_card", "GET"): Case(row(U, H, A, D, D, D, D, A)),
    ("cards.replace_card", "POST"): Case(row(U, H, A, D, D, D, D, A)),
    ("cards.scan_card", "POST"): Case(row(U, D, D, A, A, A, A, A), body=cards.SCAN),
    ("flows.stamp_by_card", "POST"): Case(row(U, D, D, A, D, A, A, A), body=cards.stamp_by_card),
    ("flows.redeem_by_card", "POST"): Case(row(U, D, D, A, A, A, A, A), body=cards.redeem_by_card),
    ("card_pages.replace", "POST"): Case(row(U, H, A, D, D, D, D, A)),
    ("counter_pages.counter", "GET"): Case(row(U, D, D, A, A, A, A, A)),
    ("counter_pages.scan", "POST"): Case(row(U, D, D, A, A, A, A, A), body=cards.SCAN),
    ("counter_pages.redeem", "POST"): Case(row(U, D, D, A, A, A, A, A), body=cards.redeem_form),
    ("unsubscribe_pages.unsubscribe", "GET"): Case(ANYONE),
    ("unsubscribe_pages.confirm_unsubscribe", "POST"): Case(ANYONE),
    ("deletion_pages.delete_account", "GET"): Case(SIGNED_IN),
    ("deletion_pages.delete_account", "POST"): Case(
        SIGNED_IN, body={"password": PASSWORD, "confirm": "y"}
    ),
}
