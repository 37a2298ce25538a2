"""The catalogue of occurrences: what the system announces, and what each announcement says.

An occurrence is recorded by a service in its own transaction (``core.outbox.record``) and
handed after commit to the consumers that want its type (notifications, webhooks,
gamification...). Each type has one payload schema: ids and the few values a consumer
needs, never whole objects. Adding a type is a member of ``OccurrenceType``, a schema and a
line in ``CATALOGUE``; its name is part of the webhook contract, so it never changes.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class OccurrenceType(StrEnum):
    POINTS_EARNED = "points.earned"
    POINTS_SPENT = "points.spent"
    POINTS_EXPIRED = "points.expired"
    POINTS_EXPIRING = "points.expiring"
    POINTS_REVERSED = "points.reversed"
    REDEMPTION_CREATED = "redemption.created"
    REDEMPTION_CANCELLED = "redemption.cancelled"
    MEMBER_JOINED = "member.joined"
    BUDDY_REQUESTED = "buddy.requested"
    BUDDY_ACCEPTED = "buddy.accepted"
    MESSAGE_RECEIVED = "message.received"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    POST_PUBLISHED = "post.published"
    USER_REGISTERED = "user.registered"
    USER_EMAIL_CHANGED = "user.email_changed"
    CUSTOMER_ADDED = "customer.added"
    CUSTOMER_EMAIL_CHANGED = "customer.email_changed"
    ORDER_PAID = "order.paid"
    ORDER_REFUNDED = "order.refunded"
    TIER_CHANGED = "tier.changed"
    TIER_REWARD_GRANTED = "tier.reward_granted"
    REFERRAL_COMPLETED = "referral.completed"
    CONSULTATION_BOOKED = "consultation.booked"
    CONSULTATION_CANCELLED = "consultation.cancelled"
    CONSULTATION_COMPLETED = "consultation.completed"
    EVENT_REGISTERED = "event.registered"
    EVENT_REGISTRATION_CANCELLED = "event.registration_cancelled"
    EVENT_CHECKED_IN = "event.checked_in"
    PAYMENT_RECEIVED = "payment.received"


class Payload(BaseModel):
    # A field a schema does not name is a programming error, not something to drop quietly.
    model_config = ConfigDict(extra="forbid", frozen=True)


class PointsMoved(Payload):
    """A ledger entry that earned or spent points."""

    membership_id: int
    program_id: int
    user_id: int | None  # None for an unclaimed customer
    entry_id: int
    kind: str  # the entry's kind: stamp, bonus, review, adjustment, redemption...
    amount: int  # positive: the points earned, or the points spent
    balance: int  # the membership's balance after the entry
    cause_type: str | None = None
    cause_id: str | None = None


class PointsEarned(PointsMoved):
    pass


class PointsSpent(PointsMoved):
    pass


class PointsExpired(PointsMoved):
    pass


class PointsReversed(PointsMoved):
    """Points earned were taken back by a reversal (a revoked stamp, a deleted review):
    ``amount`` is what the reversal took; ``entry_id`` the reversal, whose ``reverses_id``
    names the entry it undoes. An order's clawback is ``order.refunded`` instead."""


class PointsExpiring(Payload):
    """Points of a membership will expire soon: the reminder job's warning, then its last
    chance (``stage``), each once per membership and expiry date."""

    membership_id: int
    program_id: int
    user_id: int | None
    stage: str  # warning | last_chance
    amount: int  # the points that expire at ``expires_at``
    expires_at: str  # ISO 8601, UTC
    balance: int


class RedemptionCreated(Payload):
    redemption_id: int
    reward_id: int
    user_id: int  # who holds the receipt
    paid_by_user_id: int | None
    membership_id: int | None  # the paying membership
    quantity: int
    points: int


class RedemptionCancelled(Payload):
    redemption_id: int
    reward_id: int
    user_id: int
    membership_id: int | None
    cancelled_by: int | None
    reason: str


class MemberJoined(Payload):
    membership_id: int
    program_id: int
    user_id: int
    role: str


class BuddyRequested(Payload):
    buddy_request_id: int
    requester_id: int  # who asks
    recipient_id: int  # who is asked


class BuddyAccepted(Payload):
    buddy_request_id: int
    requester_id: int  # who asked
    accepter_id: int  # who said yes


class MessageReceived(Payload):
    message_id: int
    sender_id: int
    recipient_id: int


class WebhookEndpointDisabled(Payload):
    """An outgoing webhook endpoint stopped: it answered 410, or failed for days."""

    endpoint_id: int
    url: str
    reason: str  # "gone" (410) or "failing" (no success for days)


class PostPublished(Payload):
    """The shop's team published a post in a program (its news, for the program's members)."""

    post_id: int
    program_id: int
    author_id: int
    excerpt: str  # the post's text, as the notification quotes it


class UserRegistered(Payload):
    """A new account: its address waits for confirmation."""

    user_id: int


class UserEmailChanged(Payload):
    """An account's address changed: the new one waits for confirmation. Neither address is
    named: the consumer reads the account's current one."""

    user_id: int


class CustomerAdded(Payload):
    """The team added an unclaimed customer (known by email or external id) to a program."""

    membership_id: int
    program_id: int


class CustomerEmailChanged(CustomerAdded):
    """An unclaimed customer's email changed (their store said so): the address's confirmed
    owner, if any, claims the customer (``flows.claims``)."""


class OrderPaid(Payload):
    """A store's order was paid and earned (``points``: base and campaign, maybe 0)."""

    order_id: int
    store_order_id: str
    program_id: int
    membership_id: int
    currency: str
    eligible_amount: str  # a decimal string in ``currency``
    points: int
    # The referral code the order carried, if any (``referrals`` reads it).
    referral_code: str | None = None
    # The address the customer ordered from, if the store said (the referrals' hold reads it).
    network: str | None = None


class OrderRefunded(Payload):
    """A refund or the cancellation of a store's order took back points (``points``), or
    could not take all it should (``shortfall``: the member had spent them)."""

    order_id: int
    store_order_id: str
    refund_id: str | None  # the store's; None for a cancellation
    cancelled: bool
    program_id: int
    membership_id: int
    currency: str
    amount: str
    points: int
    shortfall: int


class TierChanged(Payload):
    """A member's VIP tier changed (``tiers``): rose on a qualifying total, raised by staff,
    fell at a period's end, or lowered by a refund where the program allows it. A tier id
    of None is no tier."""

    membership_id: int
    program_id: int
    user_id: int | None  # None for an unclaimed customer
    from_tier_id: int | None
    to_tier_id: int | None
    tier_name: str | None  # the new tier's name
    cause: str  # rose | raised | fell | refund


class TierRewardGranted(Payload):
    """A tier's entry reward is due (``tiers``: a grant recorded for a tier with a reward);
    the flow ``flows.granting`` makes its free receipt after commit."""

    grant_id: int
    tier_id: int
    reward_id: int
    membership_id: int
    program_id: int
    user_id: int | None  # None for an unclaimed customer


class ReferralCompleted(Payload):
    """A referral completed (``referrals``): the friend signed up or first bought through
    the advocate's code, and both were rewarded once. ``membership_id`` and ``user_id`` are
    the advocate's; ``trigger`` is ``signup`` or ``purchase``; ``ordinal`` the advocate's
    how-manieth completed referral."""

    referral_id: int
    membership_id: int
    program_id: int
    user_id: int | None  # None for an unclaimed customer
    friend_membership_id: int
    trigger: str
    ordinal: int
    advocate_points: int
    friend_points: int
    advocate_reward_id: int | None
    friend_reward_id: int | None


class ConsultationOccurred(Payload):
    """A consultation (``consultations``) booked by a member, cancelled (by the member, the
    host or the shop's team: ``actor_id``), or completed. ``user_id`` is the member's,
    ``host_user_id`` the host's account (None for a professional listed without one)."""

    booking_id: int
    host_id: int
    user_id: int
    host_user_id: int | None
    actor_id: int | None
    starts_at: str  # RFC 3339, UTC
    status: str


class ConsultationBooked(ConsultationOccurred):
    pass


class ConsultationCancelled(ConsultationOccurred):
    pass


class ConsultationCompleted(ConsultationOccurred):
    pass


class EventRegistration(Payload):
    """A person's registration for an event (``events``): ``status`` ``registered`` or
    ``waitlisted``; ``promoted`` when a seat came to them from the waiting list."""

    event_id: int
    registration_id: int
    user_id: int
    status: str
    promoted: bool = False


class EventRegistered(EventRegistration):
    pass


class EventRegistrationCancelled(EventRegistration):
    """``status`` is the one it had; ``reason``: ``member``, ``team``, ``hold_expired`` or
    ``refunded`` (an online payment refunded below the price)."""

    reason: str


class EventCheckedIn(Payload):
    """A ticket checked in at the door (once per registration): what attendance badges and
    weekly streaks count. ``points`` credited to ``membership_id`` (None: none credited)."""

    event_id: int
    registration_id: int
    user_id: int
    event_type: str
    starts_at: str  # RFC 3339, UTC
    membership_id: int | None
    points: int


class PaymentReceived(Payload):
    """A payment completed what was due: an event's seat (``kind`` ``registration``) or a
    consultation (``booking``), paid online (``channel`` ``online``) or recorded by the team
    (``cash``, ``card``, ``team``). ``amount`` is a decimal string in ``currency`` (as the
    API writes money); the ids name what was paid for."""

    user_id: int
    kind: str  # registration | booking
    amount: str
    currency: str
    channel: str
    registration_id: int | None = None
    event_id: int | None = None
    booking_id: int | None = None
    host_id: int | None = None


CATALOGUE: dict[OccurrenceType, type[Payload]] = {
    OccurrenceType.POINTS_EARNED: PointsEarned,
    OccurrenceType.POINTS_SPENT: PointsSpent,
    OccurrenceType.POINTS_EXPIRED: PointsExpired,
    OccurrenceType.POINTS_EXPIRING: PointsExpiring,
    OccurrenceType.POINTS_REVERSED: PointsReversed,
    OccurrenceType.REDEMPTION_CREATED: RedemptionCreated,
    OccurrenceType.REDEMPTION_CANCELLED: RedemptionCancelled,
    OccurrenceType.MEMBER_JOINED: MemberJoined,
    OccurrenceType.BUDDY_REQUESTED: BuddyRequested,
    OccurrenceType.BUDDY_ACCEPTED: BuddyAccepted,
    OccurrenceType.MESSAGE_RECEIVED: MessageReceived,
    OccurrenceType.WEBHOOK_ENDPOINT_DISABLED: WebhookEndpointDisabled,
    OccurrenceType.POST_PUBLISHED: PostPublished,
    OccurrenceType.USER_REGISTERED: UserRegistered,
    OccurrenceType.USER_EMAIL_CHANGED: UserEmailChanged,
    OccurrenceType.CUSTOMER_ADDED: CustomerAdded,
    OccurrenceType.CUSTOMER_EMAIL_CHANGED: CustomerEmailChanged,
    OccurrenceType.ORDER_PAID: OrderPaid,
    OccurrenceType.ORDER_REFUNDED: OrderRefunded,
    OccurrenceType.TIER_CHANGED: TierChanged,
    OccurrenceType.TIER_REWARD_GRANTED: TierRewardGranted,
    OccurrenceType.REFERRAL_COMPLETED: ReferralCompleted,
    OccurrenceType.CONSULTATION_BOOKED: ConsultationBooked,
    OccurrenceType.CONSULTATION_CANCELLED: ConsultationCancelled,
    OccurrenceType.CONSULTATION_COMPLETED: ConsultationCompleted,
    OccurrenceType.EVENT_REGISTERED: EventRegistered,
    OccurrenceType.EVENT_REGISTRATION_CANCELLED: EventRegistrationCancelled,
    OccurrenceType.EVENT_CHECKED_IN: EventCheckedIn,
    OccurrenceType.PAYMENT_RECEIVED: PaymentReceived,
}
