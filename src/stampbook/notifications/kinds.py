"""The catalogue of notification kinds: what each says, from which occurrences, to whom, on
which channels.

A kind names the occurrence types that feed it, whether it is transactional or marketing
(marketing needs the recipient's consent for the shop, and its email carries a one-click
unsubscribe link), the channels it may use with their defaults (a user's preferences turn
them on or off), and who receives it (``recipients``: a function of the occurrence giving
each recipient with the values its templates may use). Adding a kind is one entry below and
its templates in ``templates/notifications/messages/`` (``<kind>.<channel>.<language>.txt``,
English and Spanish).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.notifications import enclosures, recipients
from stampbook.notifications.enclosures import Encloser
from stampbook.notifications.recipients import Recipient


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"  # to the user's phone (accounts.phones), off unless they turn it on


@dataclass(frozen=True)
class Kind:
    name: str
    occurrences: frozenset[OccurrenceType]
    # channel -> on by default; a channel not named here is never used for this kind.
    channels: Mapping[Channel, bool]
    recipients: Callable[[Occurrence], list[Recipient]]
    marketing: bool = False
    # Points earned by one member in one program within a minute make one notification.
    batched: bool = False
    # The names its templates may use, with sample values (previews, validating overrides).
    sample: Mapping[str, str | int] = field(default_factory=dict)
    # A security message (``SECURITY``): sent whatever the user's preferences.
    security: bool = False
    # What its email carries besides the template's words, looked up when it is built
    # (``enclosures``: an event ticket's code and QR code).
    enclosure: Encloser | None = None


_SHOP = {"shop_name": "Café Luna", "user_name": "Ada"}
# The program's names for its points (empty: the default words), which ``{{ amount | points }}``
# reads (``rendering``).
_POINTS_NAMES = {"points_name": "", "points_name_plural": ""}

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "points_earned",
            frozenset({OccurrenceType.POINTS_EARNED}),
            {Channel.IN_APP: True, Channel.EMAIL: False, Channel.SMS: False},
            recipients.points_earner,
            batched=True,
            sample={
                **_SHOP,
                **_POINTS_NAMES,
                "amount": 10,
                "program_name": "Coffee card",
                "balance": 42,
            },
        ),
        *(
            Kind(
                name,
                frozenset({OccurrenceType.POINTS_EXPIRING}),
                {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
                who,
                sample={
                    **_SHOP,
                    **_POINTS_NAMES,
                    "amount": 40,
                    "program_name": "Coffee card",
                    "balance": 120,
                    "expires_on": "2027-01-31",
                },
            )
            for name, who in (
                ("points_expiring", recipients.points_expiring),
                ("points_last_chance", recipients.points_last_chance),
            )
        ),
        Kind(
            "redemption_receipt",
            frozenset({OccurrenceType.REDEMPTION_CREATED}),
            {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
            recipients.receipt_holder,
            sample={
                **_SHOP,
                "reward_name": "Free coffee",
                **_POINTS_NAMES,
                "quantity": 1,
                "amount": 10,
                "receipt_number": 7,
            },
        ),
        Kind(
            "redemption_cancelled",
            frozenset({OccurrenceType.REDEMPTION_CANCELLED}),
            {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
            recipients.cancelled_receipt_holder,
            sample={
                **_SHOP,
                "reward_name": "Free coffee",
                "receipt_number": 7,
                "reason": "Out of stock",
            },
        ),
        Kind(
            "buddy_request",
            frozenset({OccurrenceType.BUDDY_REQUESTED}),
            {Channel.IN_APP: True, Channel.EMAIL: False, Channel.SMS: False},
            recipients.asked_buddy,
            sample={"user_name": "Ada", "requester_name": "Bruno"},
        ),
        Kind(
            "new_message",
            frozenset({OccurrenceType.MESSAGE_RECEIVED}),
            {Channel.IN_APP: True, Channel.EMAIL: False, Channel.SMS: False},
            recipients.message_recipient,
            sample={"user_name": "Ada", "sender_name": "Bruno"},
        ),
        Kind(
            "tier_changed",
            frozenset({OccurrenceType.TIER_CHANGED}),
            {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
            recipients.tier_member,
            sample={**_SHOP, "program_name": "Coffee card", "tier_name": "Gold"},
        ),
        Kind(
            "referral_completed",
            frozenset({OccurrenceType.REFERRAL_COMPLETED}),
            {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
            recipients.referral_advocate,
            sample={
                **_SHOP,
                **_POINTS_NAMES,
                "program_name": "Coffee card",
                "friend_name": "Grace",
                "trigger": "signup",
                "amount": 50,
            },
        ),
        *(
            Kind(
                name,
                frozenset({occurrence}),
                {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
                recipients.consultation_parties,
                sample={
                    **_SHOP,
                    "professional_name": "Dr. Ana Ruiz",
                    "member_name": "Grace",
                    "when": "2030-07-01 09:00 (Europe/Madrid)",
                    "role": "member",
                },
            )
            for name, occurrence in (
                ("consultation_booked", OccurrenceType.CONSULTATION_BOOKED),
                ("consultation_cancelled", OccurrenceType.CONSULTATION_CANCELLED),
            )
        ),
        *(
            Kind(
                name,
                frozenset({OccurrenceType.EVENT_REGISTERED}),
                {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
                told,
                sample={
                    **_SHOP,
                    "event_title": "Trivia night",
                    "when": "2030-07-01 19:00 (Europe/Madrid)",
                    "hold_until": "2030-06-29 19:00 (Europe/Madrid)",
                    "registration_id": 7,
                },
                enclosure=enclosures.ticket,
            )
            for name, told in (
                ("event_registered", recipients.event_registrant),
                ("event_promoted", recipients.event_promoted),
            )
        ),
        Kind(
            "payment_received",
            frozenset({OccurrenceType.PAYMENT_RECEIVED}),
            {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
            recipients.payer,
            sample={
                **_SHOP,
                "kind": "registration",
                "paid_for": "Trivia night",
                "amount": "15.00",
                "currency": "USD",
            },
        ),
        Kind(
            "webhook_endpoint_disabled",
            frozenset({OccurrenceType.WEBHOOK_ENDPOINT_DISABLED}),
            {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
            recipients.shop_managers,
            sample={**_SHOP, "url": "https://example.com/hooks", "reason": "gone"},
        ),
        Kind(
            "shop_news",
            frozenset({OccurrenceType.POST_PUBLISHED}),
            {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
            recipients.program_members,
            marketing=True,
            sample={
                **_SHOP,
                "program_name": "Coffee card",
                "author_name": "Olga",
                "excerpt": "Two for one on Fridays.",
            },
        ),
    )
}


# Security messages: sent by a flow to the one user they concern (``notifying.send_security``),
# never from an occurrence (what they carry, a reset link, must not reach a webhook); always
# by email, so no preference lists them and no shop rewords them.
SECURITY: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "password_reset",
            frozenset(),
            {Channel.EMAIL: True},
            recipients.nobody,
            security=True,
            sample={"user_name": "Ada", "minutes": 60},
        ),
        Kind(
            "email_confirmation",
            frozenset(),
            {Channel.EMAIL: True},
            recipients.nobody,
            security=True,
            sample={"user_name": "Ada", "hours": 72},
        ),
    )
}


def unconfirmed_marketing(kind: Kind, user: User, channel: str) -> bool:
    """Marketing by email to an address its user has not confirmed (double opt-in): never
    sent, since whoever typed the address may not own it."""
    return kind.marketing and channel == Channel.EMAIL and not user.email_verified


def kinds_for(type: str) -> list[Kind]:
    """The kinds an occurrence of ``type`` feeds."""
    return [kind for kind in KINDS.values() if type in kind.occurrences]


def wanted_types() -> set[OccurrenceType]:
    """Every occurrence type some kind is fed by (the consumer's registration)."""
    return {t for kind in KINDS.values() for t in kind.occurrences}
