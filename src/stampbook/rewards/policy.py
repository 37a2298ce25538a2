"""Who may do what with a shop's rewards and receipts.

* Seeing a reward: whoever sees its shop (``stampbook.shops.policy.may_see_shop``); a deleted
  reward is seen by nobody (its receipts stay readable).
* Creating: team members with ``create_rewards`` (creator, managers, assistants).
* Editing and deleting: team members with ``edit_rewards`` (creator, managers); other team
  members except viewers only the rewards they created or their role is scoped to.
* The change history and the redemption history of a reward or a shop: the whole team.
* Redeeming and contributing: with the caller's own ACTIVE membership in a program of the
  reward's shop. Someone else's membership answers 404; one's own in another shop, or not
  active, answers 403. The team at the counter (``cancel_redemptions`` or ``stamp``)
  redeems for a member with the member's membership (``reward.redeem_for_member``).
* A receipt is seen by its owner, whoever paid for it (the giver of a gift) and the shop's
  team. Cancelling needs ``cancel_redemptions``; fulfilling (handing the reward over) needs
  ``cancel_redemptions`` or ``stamp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, in_shop, rule
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import program_shop_id, program_team
from stampbook.programs.rules import ProgramPermission
from stampbook.rewards.models import Redemption, Reward
from stampbook.shops.models import Shop, ShopRoleType
from stampbook.shops.policy import ShopPermission, TeamMember, may_see_shop, team_member


class RewardAction(StrEnum):
    """The actions this domain's rules decide."""

    REDEMPTION_CANCEL = "redemption.cancel"
    REDEMPTION_FULFIL = "redemption.fulfil"
    REDEMPTION_LIST_FOR_SHOP = "redemption.list_for_shop"
    REDEMPTION_VIEW = "redemption.view"
    REWARD_CONTRIBUTE = "reward.contribute"
    REWARD_CREATE = "reward.create"
    REWARD_DELETE = "reward.delete"
    REWARD_EDIT = "reward.edit"
    REWARD_FAVORITE = "reward.favorite"
    REWARD_LIST = "reward.list"
    REWARD_REDEEM = "reward.redeem"
    REWARD_REDEEM_FOR_MEMBER = "reward.redeem_for_member"
    REWARD_VIEW = "reward.view"
    REWARD_VIEW_CHANGES = "reward.view_changes"
    REWARD_VIEW_REDEMPTIONS = "reward.view_redemptions"


@dataclass(frozen=True)
class Payment:
    """A reward and the membership the caller wants to pay for it with."""

    reward: Reward
    membership: Membership | None


def shop_of(shop_id: int) -> Shop:
    shop = db.session.get(Shop, shop_id)
    assert shop is not None  # a foreign key guarantees it
    return shop


def _payment_shop_id(payment: Payment) -> int | None:
    """The reward's shop, if the paying membership is of it too (else none: hidden from
    keys)."""
    paying = payment.membership
    if paying is not None and program_shop_id(paying.program_id) != payment.reward.shop_id:
        return None
    return payment.reward.shop_id


# What a shop's API key may be decided on (core.policy).
in_shop(Reward, lambda reward: reward.shop_id)
in_shop(Redemption, lambda redemption: redemption.shop_id)
in_shop(Payment, _payment_shop_id)


def may_see_reward(actor: User | None, reward: Reward) -> bool:
    return not reward.is_deleted and may_see_shop(actor, shop_of(reward.shop_id))


def controls(actor: User, member: TeamMember, reward: Reward) -> bool:
    """Whether a team member may edit or delete this reward."""
    if member.may(ShopPermission.EDIT_REWARDS):
        return True
    if member.role_type == ShopRoleType.VIEWER:
        return False
    return reward.created_by == actor.id or member.reward_id == reward.id


def _seen_then(seen: bool, allowed: bool) -> Decision:
    if not seen:
        return Decision.HIDDEN
    return Decision.ALLOW if allowed else Decision.DENY


@rule(RewardAction.REWARD_LIST)
def list_rewards(actor: User | None, shop: Shop) -> Decision:
    return Decision.ALLOW if may_see_shop(actor, shop) else Decision.HIDDEN


@rule(RewardAction.REWARD_VIEW)
def view_reward(actor: User | None, reward: Reward) -> Decision:
    return Decision.ALLOW if may_see_reward(actor, reward) else Decision.HIDDEN


@rule(RewardAction.REWARD_CREATE)
def create_reward(actor: User | None, shop: Shop) -> Decision:
    member = team_member(actor, shop)
    allowed = member is not None and (
        member.may(ShopPermission.CREATE_REWARDS) or member.may(ShopPermission.EDIT_REWARDS)
    )
    return _seen_then(may_see_shop(actor, shop), allowed)


def _control(actor: User | None, reward: Reward) -> Decision:
    if not may_see_reward(actor, reward):
        return Decision.HIDDEN
    member = team_member(actor, shop_of(reward.shop_id))
    allowed = actor is not None and member is not None and controls(actor, member, reward)
    return Decision.ALLOW if allowed else Decision.DENY


@rule(RewardAction.REWARD_EDIT)
def edit_reward(actor: User | None, reward: Reward) -> Decision:
    return _control(actor, reward)


@rule(RewardAction.REWARD_DELETE)
def delete_reward(actor: User | None, reward: Reward) -> Decision:
    return _control(actor, reward)


def _team_sees(actor: User | None, reward: Reward) -> Decision:
    in_team = team_member(actor, shop_of(reward.shop_id)) is not None
    return _seen_then(may_see_reward(actor, reward), in_team)


@rule(RewardAction.REWARD_VIEW_CHANGES)
def view_changes(actor: User | None, reward: Reward) -> Decision:
    return _team_sees(actor, reward)


@rule(RewardAction.REWARD_VIEW_REDEMPTIONS)
def view_reward_redemptions(actor: User | None, reward: Reward) -> Decision:
    return _team_sees(actor, reward)


@rule(RewardAction.REWARD_FAVORITE)
def favorite(actor: User | None, reward: Reward) -> Decision:
    if actor is None or not may_see_reward(actor, reward):
        return Decision.HIDDEN
    return Decision.ALLOW


def _pay(actor: User | None, payment: Payment) -> Decision:
    membership = payment.membership
    if actor is None or not may_see_reward(actor, payment.reward):
        return Decision.HIDDEN
    if membership is None or membership.user_id != actor.id:
        return Decision.HIDDEN
    program = db.session.get(Program, membership.program_id)
    in_shop = program is not None and program.shop_id == payment.reward.shop_id
    active = membership.status == MembershipStatus.ACTIVE
    return Decision.ALLOW if in_shop and active else Decision.DENY


@rule(RewardAction.REWARD_REDEEM)
def redeem(actor: User | None, payment: Payment) -> Decision:
    return _pay(actor, payment)


@rule(RewardAction.REWARD_REDEEM_FOR_MEMBER)
def redeem_for_member(actor: User | None, payment: Payment) -> Decision:
    """The team at the counter spends a member's points for them (their card scanned): the
    shop's team that hands rewards over (``cancel_redemptions`` or ``stamp``), or the team
    that stamps in the member's program (its stampers and managers), with an ACTIVE
    membership of one of the shop's programs."""
    membership = payment.membership
    if actor is None or membership is None or not may_see_reward(actor, payment.reward):
        return Decision.HIDDEN
    program = db.session.get(Program, membership.program_id)
    if program is None or program.shop_id != payment.reward.shop_id:
        return Decision.HIDDEN  # another shop's member: nothing said about them
    member = team_member(actor, shop_of(payment.reward.shop_id))
    crew = program_team(actor, program)
    allowed = (member is not None and member.may(ShopPermission.CANCEL_REDEMPTIONS)) or (
        crew is not None and crew.may(ProgramPermission.STAMP)
    )
    active = membership.status == MembershipStatus.ACTIVE
    return Decision.ALLOW if allowed and active else Decision.DENY


@rule(RewardAction.REWARD_CONTRIBUTE)
def contribute(actor: User | None, payment: Payment) -> Decision:
    return _pay(actor, payment)


def _involved(actor: User, redemption: Redemption) -> bool:
    return actor.id in (redemption.user_id, redemption.paid_by_user_id)


def _on_receipt(
    actor: User | None, redemption: Redemption, *permissions: ShopPermission
) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    member = team_member(actor, shop_of(redemption.shop_id))
    if member is None and not _involved(actor, redemption):
        return Decision.HIDDEN
    allowed = member is not None and (
        not permissions or any(member.may(permission) for permission in permissions)
    )
    return Decision.ALLOW if allowed else Decision.DENY


@rule(RewardAction.REDEMPTION_VIEW)
def view_redemption(actor: User | None, redemption: Redemption) -> Decision:
    if actor is not None and _involved(actor, redemption):
        return Decision.ALLOW
    return _on_receipt(actor, redemption)


@rule(RewardAction.REDEMPTION_CANCEL)
def cancel_redemption(actor: User | None, redemption: Redemption) -> Decision:
    return _on_receipt(actor, redemption, ShopPermission.CANCEL_REDEMPTIONS)


@rule(RewardAction.REDEMPTION_FULFIL)
def fulfil_redemption(actor: User | None, redemption: Redemption) -> Decision:
    return _on_receipt(actor, redemption, ShopPermission.CANCEL_REDEMPTIONS, ShopPermission.STAMP)


@rule(RewardAction.REDEMPTION_LIST_FOR_SHOP)
def list_shop_redemptions(actor: User | None, shop: Shop) -> Decision:
    return _seen_then(may_see_shop(actor, shop), team_member(actor, shop) is not None)
