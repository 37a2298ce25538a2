"""One catalogue of error wording: every error ``code`` said in words a person reads, in
their language. The API's ``detail``, the pages and notifications all take their words from
here (``AppError.detail``, :func:`text`); a raise site names the code and the
message's parameters, never English words of its own.

Each code has one message: a msgid with ``%(name)s`` placeholders (``_t``), or a singular and
a plural msgid with the parameter whose number picks the form (``_n``, ``ngettext``). Where
what a code is about changes the whole sentence (``not_found``: no such shop, no such user...),
its message is a :class:`Choice` of whole sentences by one parameter: translated words are
never glued into a sentence. ``_t`` and ``_n`` are markers for ``make translations``
(``pybabel extract -k _t -k _n:1,2``); ``tests/core/test_wording.py`` checks that every code
raised anywhere has its message here, with its Spanish.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel.support import NullTranslations
from flask import has_app_context, has_request_context
from flask_babel import force_locale, get_translations

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
ENGLISH = NullTranslations()


@dataclass(frozen=True)
class Text:
    """One message: ``msgid`` with ``%(name)s`` placeholders; with ``plural``, the singular
    and plural msgids, and ``num``, the parameter whose number picks the form."""

    msgid: str
    plural: str | None = None
    num: str | None = None

    @property
    def msgids(self) -> tuple[str, ...]:
        return (self.msgid,) if self.plural is None else (self.msgid, self.plural)

    @property
    def names(self) -> set[str]:
        """The parameters the message needs."""
        found = {name for msgid in self.msgids for name in PLACEHOLDER.findall(msgid)}
        return found | ({self.num} if self.num else set())

    def render(self, params: Mapping[str, Any], translations: NullTranslations) -> str:
        if self.plural is None or self.num is None:
            template = translations.gettext(self.msgid)
        else:
            template = translations.ngettext(self.msgid, self.plural, _count(params, self.num))
        return template % _Lenient(params) if "%" in template else template


@dataclass(frozen=True)
class Choice:
    """Whole sentences, one for each value of the parameter ``by``; the ``default`` one's
    for any other value, or none."""

    by: str
    options: Mapping[str, Text]
    default: str

    def pick(self, params: Mapping[str, Any]) -> Text:
        return self.options.get(str(params.get(self.by)), self.options[self.default])

    @property
    def texts(self) -> tuple[Text, ...]:
        return tuple(self.options.values())


Message = Text | Choice


def _t(msgid: str) -> Text:
    """A message (marker: ``pybabel extract -k _t``)."""
    return Text(msgid)


def _n(singular: str, plural: str, num: str) -> Text:
    """A message with a plural form, picked by the parameter ``num`` (``-k _n:1,2``)."""
    return Text(singular, plural, num)


class _Lenient(dict[str, Any]):
    """Parameters for ``%``: a missing one shows as ``…`` rather than failing an answer."""

    def __missing__(self, key: str) -> str:
        logger.warning("error wording lacks the parameter %r", key)
        return "…"


def _count(params: Mapping[str, Any], name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        logger.warning("error wording lacks the number %r", name)
        return 0


# The one message of every error code. Codes are a contract (clients switch on them); these
# words are not.
MESSAGES: dict[str, Message] = {
    # The defaults of the error classes (core.errors) and of the handlers there.
    "bad_request": _t("The request is not valid."),
    "validation_failed": _t("The request has invalid fields."),
    "unauthorized": _t("Sign in to do this."),
    # A 403 of ``core.policy.require``: one sentence per action of every domain's policy.
    "forbidden": Choice(
        "action",
        {
            "other": _t("You may not do this."),
            "admin": _t("Only the platform's administrators may do this."),
            "user.edit": _t("You may not change this account."),
            "user.view": _t("You may not see this person's page."),
            "api_key.create": _t("Only the shop's creator and managers make its API keys."),
            "api_key.manage": _t("You may not manage this shop's API keys."),
            "membership.adjust": _t("You may not adjust points in this program."),
            "earning_rule.view": _t("You may not see how this program's members earn."),
            "earning_rule.manage": _t("Only the shop's creator and managers change earning rules."),
            "loyalty.record": _t(
                "Only the shop's creator and managers (or their API keys) record orders, refunds "
                "and activities."
            ),
            "integration.manage": _t("Only the shop's creator and managers connect its stores."),
            "tier.view": _t("You may not see this program's tiers."),
            "tier.manage": _t("Only the shop's creator and managers set up its tiers."),
            "member_tier.view": _t("You may not see this member's tier."),
            "event.view": _t("You may not see this event."),
            "event.manage": _t("Only the shop's creator and managers set up its events."),
            "event.register": _t("Sign in to register for this event."),
            "event.self_check_in": _t("Sign in to check yourself in."),
            "event.staff": _t(
                "Only the shop's team members who stamp work the door: registrations, "
                "check-ins and payments."
            ),
            "registration.view": _t("You may not see this registration."),
            "registration.cancel": _t("You may not cancel this registration."),
            "registration.pay": _t(
                "Only the registration's own person pays it online: the team records payments."
            ),
            "member_tier.raise": _t("Only the shop's creator and managers raise a member's tier."),
            "referral.view": _t("You may not see this program's referrals."),
            "referral.manage": _t(
                "Only the shop's creator and managers set up and review its referrals."
            ),
            "referral.refer": _t("Sign in to join through a friend's referral."),
            "member_referral.view": _t("You may not see this member's referral code."),
            "consultation_host.view": _t("You may not see this consultation host."),
            "consultation_host.create": _t(
                "Only the shop's creator and managers add consultation hosts."
            ),
            "consultation_host.manage": _t(
                "Only the shop's creator and managers change, verify or remove its hosts."
            ),
            "consultation_host.bookings": _t(
                "Only the host and the shop's staff see the host's bookings."
            ),
            "consultation.book": _t("Sign in to book a consultation."),
            "consultation.view": _t("You may not see this consultation."),
            "consultation.cancel": _t("You may not cancel this consultation."),
            "consultation.close": _t(
                "Only the host and the shop's staff mark a consultation done or record its payment."
            ),
            "consultation.notes_view": _t(
                "A consultation's notes are for its host and its member alone."
            ),
            "consultation.notes_write": _t("Only the host writes a consultation's notes."),
            "consultation.rate": _t("Only the member who booked it rates a consultation."),
            "consultation.pay": _t(
                "Only the member who booked it pays a consultation online: the host and the "
                "team record payments."
            ),
            "member_referral.share": _t("Only the member sends invitations with their link."),
            "customer_import.manage": _t(
                "Only the shop's creator and managers (or their API keys) import its customers."
            ),
            "customer.view": _t("Only the shop's creator and managers see its customers."),
            "program.view_entries": _t("You may not see this program's points activity."),
            "membership.view_entries": _t("You may not see this membership's points history."),
            "buddy_request.cancel": _t("You may not withdraw this buddy request."),
            "buddy_request.respond": _t("You may not answer this buddy request."),
            "message.delete": _t("You may not delete this message."),
            "message.edit": _t("You may not edit this message."),
            "post.delete": _t("You may not delete this post."),
            "post.edit": _t("You may not edit this post."),
            "post.view": _t("You may not see this post."),
            "invitation.respond": _t("You may not answer this invitation."),
            "invitation.revoke": _t("You may not withdraw this invitation."),
            "membership.join": _t(
                "You may not join this program by yourself: ask for an invitation."
            ),
            "membership.leave": _t("You may not end this membership."),
            "membership.manage": _t("You may not manage the members of this program."),
            "membership.view": _t("You may not see this membership."),
            "program.create": _t("You may not create programs in this shop."),
            "program.delete": _t("You may not delete this program."),
            "program.edit": _t("You may not edit this program."),
            "program.merge": _t("You may not merge this program."),
            "program.view": _t("You may not see this program."),
            "program.view_stats": _t("You may not see this program's statistics."),
            "redemption.cancel": _t("You may not cancel this receipt."),
            "redemption.fulfil": _t("You may not hand over this reward."),
            "redemption.list_for_shop": _t("You may not see this shop's receipts."),
            "redemption.view": _t("You may not see this receipt."),
            "reward.redeem_for_member": _t(
                "Only the shop's team at the counter redeems rewards for its members."
            ),
            "card.scan": _t("Only the program's team that stamps scans its members' cards."),
            "card.view": _t("A card code is shown to its member only."),
            "card.replace": _t("Only its member replaces a card code."),
            "wallet.settings": _t("Only the shop's creator and managers set up its wallet passes."),
            "wallet.pass": _t("A membership's wallet pass is its member's only."),
            "reward.contribute": _t(
                "You may not put points toward this reward with this membership."
            ),
            "reward.create": _t("You may not create rewards in this shop."),
            "reward.delete": _t("You may not delete this reward."),
            "reward.edit": _t("You may not edit this reward."),
            "reward.favorite": _t("You may not add this reward to your favourites."),
            "reward.list": _t("You may not see this shop's rewards."),
            "reward.redeem": _t("You may not redeem this reward with this membership."),
            "reward.view": _t("You may not see this reward."),
            "reward.view_changes": _t("You may not see this reward's change history."),
            "reward.view_redemptions": _t("You may not see who redeemed this reward."),
            "role.manage": _t("You may not manage this shop's team."),
            "role.view": _t("You may not see this shop's team."),
            "shop.delete": _t("You may not delete this shop."),
            "shop.edit": _t("You may not edit this shop."),
            "shop.invite": _t("You may not invite people into this shop's team."),
            "shop.merge": _t("You may not merge this shop."),
            "shop.search_members": _t("You may not search this shop's members."),
            "shop.view": _t("You may not see this shop."),
            "stamp.annotate": _t("You may not write a note on this stamp."),
            "stamp.revoke": _t("You may not revoke this stamp."),
            "task.create": _t("You may not create tasks in this program."),
            "task.delete": _t("You may not delete this task."),
            "task.edit": _t("You may not edit this task."),
            "task.override": _t("You may not change this task for a member."),
            "task.stamp": _t("You may not stamp this task for this membership."),
            "task.view": _t("You may not see this task."),
            "webhook.manage": _t("You may not manage this shop's webhooks."),
            "notification.read": _t("You may not mark this notification read."),
            "notification_templates.manage": _t(
                "You may not change this shop's notification templates."
            ),
        },
        default="other",
    ),
    "method_not_allowed": _t("This address does not take %(method)s requests."),
    "not_found": Choice(
        "thing",
        {
            "other": _t("Not found."),
            "url": _t("Nothing is at this address."),
            "shop": _t("No such shop."),
            "api_key": _t("No such API key."),
            "program": _t("No such program."),
            "membership": _t("No such membership."),
            "user": _t("No such user."),
            "users": _n("No such user: %(ids)s.", "No such users: %(ids)s.", "count"),
            "reward": _t("No such reward."),
            "task": _t("No such task."),
            "stamp": _t("No such stamp."),
            "role": _t("No such role."),
            "invitation": _t("No such invitation."),
            "message": _t("No such message."),
            "post": _t("No such post."),
            "redemption": _t("No such redemption."),
            "ledger_entry": _t("No such ledger entry."),
            "buddy_request": _t("No such buddy request."),
            "task_membership": _t("No such membership in this task's program."),
            "webhook_endpoint": _t("No such webhook endpoint."),
            "notification": _t("No such notification."),
            "notification_kind": _t("No such kind of notification."),
            "notification_template": _t(
                "No such notification template: check the kind, channel and language."
            ),
            "webhook_message": _t("No such webhook message."),
            "earning_rule": _t("No such earning rule."),
            "integration": _t("No such store connection."),
            "campaign": _t("No such campaign."),
            "tier": _t("No such tier."),
            "referral": _t("No such referral."),
            "referral_code": _t("No such referral code."),
            "host": _t("No such consultation host."),
            "booking": _t("No such consultation booking."),
            "event": _t("No such event."),
            "registration": _t("No such registration."),
            "customer_import": _t("No such customer import."),
            "activity": _t("No such activity in this program: add an activity rule first."),
            "program_task": _t("No such task in this program."),
            "program_reward": _t("No such reward in this program's shop."),
            "reward_or_task": _t("No such reward or task."),
            "override": _t("This member has no override of this task."),
            "buddy": _t("This person is not your buddy."),
            "buddies": _t("This person's buddies are not visible to you."),
            "history": _t("This history is not visible to you."),
            "scope_reward": _t("Not a reward of this shop."),
            "scope_task": _t("Not a task of this shop."),
            "shop_programs": _n(
                "%(field)s: not a program of this shop: %(ids)s.",
                "%(field)s: not programs of this shop: %(ids)s.",
                "count",
            ),
            "shop_rewards": _n(
                "%(field)s: not a reward of this shop: %(ids)s.",
                "%(field)s: not rewards of this shop: %(ids)s.",
                "count",
            ),
            "your_shops": _n(
                "%(field)s: not a shop of yours: %(ids)s.",
                "%(field)s: not shops of yours: %(ids)s.",
                "count",
            ),
            "your_program": _t("%(field)s: not a program of yours: %(program)s."),
            "program_tasks": _n(
                "%(field)s: not a task of program %(program)s: %(ids)s.",
                "%(field)s: not tasks of program %(program)s: %(ids)s.",
                "count",
            ),
        },
        default="other",
    ),
    "conflict": _t("This conflicts with existing data (a duplicate, or something in use)."),
    "insufficient_points": _n(
        "This needs %(needed)s point; the balance is %(balance)s.",
        "This needs %(needed)s points; the balance is %(balance)s.",
        "needed",
    ),
    "idempotency_key_reused": _t(
        "This Idempotency-Key was used with a different request; use a new key."
    ),
    "malformed_json": _t("The body is not valid JSON."),
    "json_too_deep": _t("The body nests arrays and objects more than %(max)s levels deep."),
    "unsupported_media_type": _t("Send the body as application/json."),
    "service_unavailable": _t("The database is not reachable; try again shortly."),
    "internal_error": _t("Something went wrong on our side; it has been logged."),
    # Requests and sign-in.
    "api_key_not_allowed": _t(
        "A shop's API key may not do this: only what a store's server needs takes keys. Use "
        "a person's own token."
    ),
    "api_key_scope": _t("This API key may not do this: it needs the “%(scope)s” scope."),
    "invalid_idempotency_key": _t(
        "%(header)s must be 1 to %(max)s visible ASCII characters (inner spaces allowed)."
    ),
    "invalid_token": _t(
        "Send a valid token as 'Authorization: Bearer <token>': this one is malformed, "
        "unknown, expired or revoked."
    ),
    "invalid_credentials": Choice(
        "given",
        {
            "login": _t("The email or password is wrong."),
            "password": _t("The current password is wrong."),
        },
        default="login",
    ),
    "email_taken": _t("An account with this email exists."),
    "reset_link_invalid": _t(
        "This password reset link is used, expired or not one we sent: ask for a new one."
    ),
    "confirmation_link_invalid": _t(
        "This confirmation link is used, expired, not one we sent, or for an address the "
        "account no longer has: ask for a new one."
    ),
    # Shops and their teams.
    "escalation": _t("You may not grant more than you may do yourself."),
    "is_creator": _t("The creator leads the team already."),
    "already_in_team": _t("They are in the team already: change their role instead."),
    "own_role": _t("Your own role is given and changed by someone else."),
    "invalid_scope": _t(
        "Scope only an assistant or a viewer, and to one reward or one task, not both."
    ),
    "not_invite_only": _t(
        "Only an invite-only shop takes invitations: make it invite only first, or invite "
        "them into a program."
    ),
    "already_invited": _t("They are invited already."),
    "answered": Choice(
        "status",
        {
            "other": _t("This invitation is answered already."),
            "accepted": _t("This invitation is accepted already."),
            "declined": _t("This invitation is declined already."),
            "revoked": _t("This invitation is withdrawn already."),
        },
        default="other",
    ),
    "same_shop": _t("A shop cannot merge into itself."),
    # Programs and memberships.
    "same_program": _t("A program cannot merge into itself."),
    "different_shops": _t("Only programs of one shop merge."),
    "archived": _t("This program is archived: it can be read, not changed."),
    "program_archived": _t("The program is archived."),
    "personal_program": _t("A personal program has no other members."),
    "program_has_members": _t(
        "A personal program has its creator as only member; others are in this one."
    ),
    "invitation_required": _t("This program takes members by invitation."),
    "already_member": Choice(
        "who",
        {"they": _t("They are a member already."), "you": _t("You are a member already.")},
        default="they",
    ),
    "removed": _t("You were removed; the team may invite you back."),
    "creator": _t("The shop's creator's membership is theirs alone."),
    "customer_is_member": _t("An unclaimed customer can only be a member."),
    "not_active": _t("This membership is not active."),
    # Tasks and stamps.
    "invalid_settings": _t("These settings break the task's rules: %(problems)s"),
    "stamp_not_allowed": _t("You may not stamp this membership on this task."),
    "membership_inactive": _t("This membership is not active."),
    "deadline_passed": _t("The deadline of this task has passed."),
    "task_unavailable": _t("This task cannot be stamped at this time."),
    "partial_not_allowed": _t("This task gives no partial credit."),
    "max_reached": Choice(
        "reached",
        {
            "target": _t("The target of this task is reached."),
            "stamp": _t("One stamp carries at most %(max_multiple)s."),
            "remaining": _n(
                "Only %(remaining)s more until the target.",
                "Only %(remaining)s more until the target.",
                "remaining",
            ),
        },
        default="target",
    ),
    "frequency_exceeded": Choice(
        "time_unit",
        {
            "day": _n(
                "At most %(limit)s every day.", "At most %(limit)s every %(every)s days.", "every"
            ),
            "week": _n(
                "At most %(limit)s every week.", "At most %(limit)s every %(every)s weeks.", "every"
            ),
            "month": _n(
                "At most %(limit)s every month.",
                "At most %(limit)s every %(every)s months.",
                "every",
            ),
            "year": _n(
                "At most %(limit)s every year.", "At most %(limit)s every %(every)s years.", "every"
            ),
        },
        default="day",
    ),
    "grace_period_over": _t("The time to take back your own stamp is over; ask a manager."),
    "revoke_not_allowed": _t("You may not revoke this stamp."),
    "already_revoked": _t("This stamp is already revoked."),
    # Rewards, redemptions and contributions.
    "too_many_rewards": _n(
        "A shop has at most %(max)s reward.", "A shop has at most %(max)s rewards.", "max"
    ),
    "contributions_open": _t(
        "Points are waiting in this reward's pot: raise the cost above them, or delete the "
        "reward to refund them."
    ),
    "reward_unavailable": _t("This reward cannot be redeemed at this time."),
    "reward_expired": _t("This reward has expired."),
    "out_of_stock": _t("Not enough of this reward is left."),
    "limit_reached": Choice(
        "limit",
        {
            "group": _t("This reward has been redeemed as often as allowed for now."),
            "user": _t("You have redeemed this reward as often as allowed for now."),
        },
        default="group",
    ),
    "not_giftable": _t("This reward cannot be given as a gift."),
    "gift_to_self": _t("A gift is for someone else."),
    "group_reward": _t("This is a group reward: contribute points toward it instead."),
    "not_contributable": _t("This reward takes no contributions."),
    "already_cancelled": _t("This redemption is already cancelled."),
    "redemption_cancelled": _t("This redemption was cancelled."),
    "discount_fields": Choice(
        "kind",
        {
            "discount_amount": _t(
                "A discount of an amount needs discount_amount (above zero), and takes no "
                "discount_percent."
            ),
            "discount_percent": _t(
                "A percentage discount needs discount_percent, from 1 to 100, and takes no "
                "discount_amount or discount_currency."
            ),
            "other": _t(
                "Only discount rewards take discount_amount, discount_currency or "
                "discount_percent: send null for them, or choose a discount kind."
            ),
        },
        default="other",
    ),
    "discount_group_reward": _t(
        "A discount reward gives one member a code: it cannot be a group reward."
    ),
    "discount_quantity": _t(
        "A discount reward is redeemed one at a time: each receipt has its own code."
    ),
    # Merchant loyalty.
    "rule_exists": _t("The program has a live rule of this kind: change it, or delete it first."),
    "activity_exists": _t("The program has a live rule for this activity: change that one."),
    "not_a_purchase_rule": _t(
        "Amounts, shipping and taxes belong to the purchase rule, not this one."
    ),
    "limit_incomplete": _t("A limit needs both limit_count and limit_period."),
    "window_reversed": _t("The window must end after it starts."),
    "campaign_kind_fields": _t(
        "A multiplier campaign takes a multiplier, a bonus campaign bonus points: not both."
    ),
    "amount_below_minor_unit": _t("The amount is smaller than the smallest unit of %(currency)s."),
    "expiry_days_required": _t(
        "Say after how many days points expire: at least 1 for days and inactivity, 0 or more "
        "for the end of the month or year."
    ),
    "expiry_reminders_unordered": _t(
        "The last-chance reminder must come fewer days before expiry than the first warning."
    ),
    "currency_mismatch": _t(
        "This program counts in %(expected)s, not %(currency)s: send amounts in %(expected)s."
    ),
    "membership_not_active": _t("This membership is not active: it earns and loses nothing now."),
    "reference_used": _t("This reference was used for another member's credit."),
    "rule_inactive": _t("This rule does not earn now: it is outside its window."),
    # VIP tiers.
    "tier_threshold_invalid": _t("A tier's threshold must be a whole number above 0."),
    "tier_threshold_unordered": _t(
        "Each tier needs a threshold of its own: another tier of the program has this one."
    ),
    "tier_multiplier_invalid": _t(
        "A tier's multiplier is a number above 0 and at most 100, with at most two decimals."
    ),
    "tier_not_in_program": _t("That tier is not one of this program's tiers."),
    "reward_not_in_shop": _t("That reward is not one of this shop's rewards."),
    # Events.
    "event_times_invalid": _t("An event ends after it starts."),
    "event_program_not_in_shop": _t("That program is not one of this shop's programs."),
    "recurrence_invalid": _t(
        "The recurrence is not a rule of dates (FREQ DAILY, WEEKLY, MONTHLY or YEARLY)."
    ),
    "event_cancelled": _t("This event is cancelled."),
    "registration_closed": _t("Registration for this event is not open."),
    "already_registered": _t("You are registered for this event already."),
    "cancellation_closed": _t(
        "The deadline to cancel has passed: ask the organisers to cancel for you."
    ),
    "registration_over": _t("This registration is cancelled or over already."),
    "capacity_below_registered": _n(
        "%(registered)s person holds a seat: the capacity cannot go below that.",
        "%(registered)s people hold seats: the capacity cannot go below that.",
        "registered",
    ),
    "payment_not_due": _t("This registration has nothing to pay."),
    "payments_unavailable": _t(
        "Paying online is not possible at the moment: try again later, or pay the organisers."
    ),
    "payments_payload_invalid": _t("The payment provider's event has no id or type."),
    "payments_signature_invalid": _t(
        "The payment provider's signature (Stripe-Signature) is missing, does not match the "
        "body, or is more than 5 minutes old."
    ),
    "own_ticket": _t("Someone else on the team checks your own ticket in."),
    "cancelled": _t("This ticket's registration is cancelled: it does not admit."),
    "unpaid": _t("This ticket is not paid yet: record the payment first."),
    "waitlisted": _t("This ticket is on the waiting list: it has no seat."),
    "other_event": _t("This ticket is for another event."),
    "already_checked_in": _t("This ticket is checked in already."),
    "unknown": _t("No ticket has this code."),
    "not_checked_in": _t("This ticket is not checked in."),
    "self_check_in_off": _t(
        "This event does not take self check-in: show your ticket to the team at the door."
    ),
    "door_code_invalid": _t(
        "This door code is not valid or has expired: scan the code on the door screen again."
    ),
    "not_registered": _t("You are not registered for this event."),
    # Referrals.
    "referrals_disabled": _t("This program does not take referrals at the moment."),
    "referral_code_unknown": _t("No member of this program has that referral code."),
    "referral_step_invalid": _t(
        "An escalation step starts from a member's 2nd referral or later (from_count 2 or more)."
    ),
    "referral_step_duplicate": _t("Each escalation step needs a from_count of its own."),
    "referral_not_held": _t("This referral is not held for review."),
    "referral_not_pending": _t("This referral is decided already: only a pending one can be."),
    "referral_sharing_off": _t("This program does not send invitations by email."),
    "referral_invitations_exceeded": _t(
        "You have sent all the invitations you may send today (%(limit)s): try tomorrow."
    ),
    "membership_not_in_program": _t("That membership is not one of this program's."),
    # Cards (a member's card code scanned at the counter).
    "card_unknown": _t("No card has this code: check it, or find the member by name."),
    "card_retired": _t(
        "This card code was replaced by its member: ask them to show their current card."
    ),
    "card_other_program": _t("This card is of another program: it earns and pays nothing here."),
    "membership_without_account": _t(
        "This customer has no account yet: a reward's receipt needs one. Ask them to sign up."
    ),
    # Wallet passes (Apple Wallet, Google Wallet).
    "pass_token_invalid": _t(
        "This device did not present the pass's authentication token (Authorization: "
        "ApplePass ...), or there is no such pass."
    ),
    "wallet_not_configured": _t(
        "This shop has not set up %(wallet)s passes yet: ask the team, or use the card code."
    ),
    "wallet_certificate_invalid": _t(
        "The certificate in %(field)s is not readable: paste the PEM text, from -----BEGIN "
        "CERTIFICATE----- to -----END CERTIFICATE-----."
    ),
    "wallet_key_invalid": _t(
        "The private key is not readable: paste it as PEM text, without a password."
    ),
    "wallet_key_mismatch": _t(
        "This private key is not the pass certificate's: paste the key the certificate was "
        "made with."
    ),
    "wallet_logo_invalid": _t(
        "The logo must be a PNG file of at most 256 KiB and 1024 pixels a side."
    ),
    "wallet_service_account_invalid": _t(
        "The service account key is not readable: paste the JSON file Google gave, with its "
        "client_email and private_key."
    ),
    # Consultations.
    "rate_invalid": _t("A rate is an amount of its currency, like 45.00."),
    "schedule_invalid": _t(
        "Each range of hours is a day from 0 (Monday) to 6 (Sunday) and a start before its "
        "end, like 09:00 to 12:30; days off are dates like 2026-12-24."
    ),
    "schedule_overlap": _t("Two ranges of hours of the same day overlap: join them or move one."),
    "host_not_in_team": _t("A host's account must be one of the shop's team."),
    "host_has_bookings": _t(
        "This host has sessions booked ahead: cancel them before removing the host."
    ),
    "host_not_bookable": _t("This host takes no bookings at the moment."),
    "slot_range_invalid": _t(
        "Ask for slots from a moment to a later one, at most %(days)s days on."
    ),
    "slot_past": _t("This slot has begun already: choose a later one."),
    "slot_unknown": _t("This is not one of the host's slots: choose one of the free slots."),
    "slot_taken": _t("Someone else booked this slot: choose another one."),
    "slot_already_yours": _t("You have booked this slot already: it is among your consultations."),
    "booking_not_booked": _t("This consultation is cancelled or over already."),
    "cancel_deadline_passed": _n(
        "Consultations can be cancelled until %(hours)s hour before they start: ask the host.",
        "Consultations can be cancelled until %(hours)s hours before they start: ask the host.",
        "hours",
    ),
    "booking_not_started": _t("This consultation has not begun yet."),
    "booking_not_completed": _t("Only a completed consultation can be rated."),
    "booking_rated": _t("You have rated this consultation already."),
    "booking_not_paid": _t("Only a paid consultation can be refunded."),
    "booking_payment_not_due": _t("This consultation has nothing to pay."),
    # A store's connection and its webhooks (Shopify).
    "invalid_signature": _t(
        "The webhook's signature does not match: check the store's domain and that its "
        "connection has the app's API secret key."
    ),
    "store_connected": _t("The store %(domain)s is connected already: disconnect it first."),
    "store_disconnected": _t("The store %(domain)s is disconnected: connect it again first."),
    "shopify_payload_invalid": _t(
        "The store's webhook lacks what its topic needs, or holds it in another form: %(field)s."
    ),
    "shopify_payload_mismatch": _t(
        "The store's webhook is not what its topic (%(topic)s) says: nothing was done."
    ),
    "customer_email_taken": _t("Another customer of this program has this email."),
    # Customer imports (a CSV file or rows sent as JSON).
    "import_file_invalid": Choice(
        "reason",
        {
            "empty": _t("The file has no rows to import."),
            "encoding": _t("The file is not UTF-8 text: save it as “CSV UTF-8” and try again."),
            "format": _t("The file is not CSV that can be read (line %(line)s)."),
            "header_unknown": _t(
                "The first row names columns an import does not know: %(columns)s. It may "
                "name these: %(known)s."
            ),
            "header_missing": _t(
                "The first row must name the columns, and it lacks %(columns)s (identifier, "
                "and email or external_id, are needed)."
            ),
        },
        default="empty",
    ),
    "activity_limit_reached": Choice(
        "period",
        {
            "day": _n(
                "This member has had this activity %(limit)s time today, its limit.",
                "This member has had this activity %(limit)s times today, its limit.",
                "limit",
            ),
            "week": _n(
                "This member has had this activity %(limit)s time this week, its limit.",
                "This member has had this activity %(limit)s times this week, its limit.",
                "limit",
            ),
            "month": _n(
                "This member has had this activity %(limit)s time this month, its limit.",
                "This member has had this activity %(limit)s times this month, its limit.",
                "limit",
            ),
            "year": _n(
                "This member has had this activity %(limit)s time this year, its limit.",
                "This member has had this activity %(limit)s times this year, its limit.",
                "limit",
            ),
            "ever": _n(
                "This member has had this activity %(limit)s time, its limit.",
                "This member has had this activity %(limit)s times, its limit.",
                "limit",
            ),
        },
        default="ever",
    ),
    # Points.
    "amount_too_large": _t("The amount is too large."),
    "balance_limit": _t("The balance would exceed its maximum."),
    "already_reversed": _t("This entry has already been reversed."),
    # People: buddies, blocks, messages and posts.
    "self_request": _t("You cannot be your own buddy."),
    "already_buddies": _t("You are buddies already."),
    "request_pending": _t("You asked already; wait for an answer."),
    "not_pending": _t("This request was answered or cancelled already."),
    "you_blocked_user": _t("You blocked this person; unblock them first."),
    "blocked_by_user": _t("This person does not accept anything from you."),
    "self_block": _t("You cannot block yourself."),
    "self_message": _t("Write to someone else."),
    "messages_not_allowed": _t("This person's settings do not let you write to them."),
    "not_a_member": _t("Only the program's members post and review in it."),
    "not_a_review": _t("Only a review has a rating."),
    # Chat announcements (a shop's incoming webhook).
    "chat_not_connected": _t("Give the shop a chat webhook address first, and save it."),
    # Calling out (core.egress) and outgoing webhooks.
    "url_not_allowed": Choice(
        "reason",
        {
            "other": _t("This address may not be called."),
            "malformed": _t("This is not a valid web address."),
            "scheme": _t("Only http:// and https:// addresses may be called."),
            "credentials": _t("The address may not carry a user name or password."),
            "host": _t("The address names no host."),
            "unresolvable": _t("The host %(host)s cannot be found."),
            "private": _t(
                "The address leads to %(address)s, a private or reserved network address, "
                "which may not be called."
            ),
        },
        default="other",
    ),
    # Notifications: shops' templates, preferences, unsubscribing.
    "template_invalid": _t("The template does not compile (line %(line)s): %(problem)s"),
    "template_unsafe": _t("The template reaches for something templates may not use: %(problem)s"),
    "template_unknown_name": _t(
        "The template uses a name it does not know (%(problem)s); it may use: %(names)s."
    ),
    "channel_not_offered": _t("Notifications of kind %(kind)s are not sent by %(channel)s."),
    "unsubscribe_link_invalid": _t(
        "This unsubscribe link is not valid: it was changed or cut short. Use the whole "
        "link from the email, or change what you receive in your settings."
    ),
    "endpoint_disabled": _t("This endpoint is disabled: enable it first."),
}


def message(code: str, params: Mapping[str, Any] | None = None) -> Text | None:
    """The message ``code`` takes with ``params`` (a Choice picked), None for an unknown code."""
    found = MESSAGES.get(code)
    if isinstance(found, Choice):
        return found.pick(params or {})
    return found


def text(code: str, params: Mapping[str, Any] | None = None, *, locale: str | None = None) -> str:
    """The words for ``code`` with ``params``: in ``locale`` if given (a notification for
    someone else), else in the request's language (English without a request)."""
    params = params or {}
    chosen = message(code, params)
    if chosen is None:
        logger.warning("no wording for the error code %r", code)
        chosen = _unknown(code)
    if locale is not None and has_app_context():
        with force_locale(locale):
            return chosen.render(params, get_translations())
    translations = get_translations() if has_request_context() else ENGLISH
    return chosen.render(params, translations)


def english(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The words for ``code`` in English, whatever the request's language (logs)."""
    params = params or {}
    return (message(code, params) or _unknown(code)).render(params, ENGLISH)


def _unknown(code: str) -> Text:
    return Text(code.replace("_", " ").capitalize() + ".")
