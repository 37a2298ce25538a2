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


CATALOGUE: dict[OccurrenceType, type[Payload]] = {
    OccurrenceType.POINTS_EARNED: PointsEarned,
    OccurrenceType.POINTS_SPENT: PointsSpent,
    OccurrenceType.POINTS_EXPIRED: PointsExpired,
    OccurrenceType.POINTS_EXPIRING: PointsExpiring,
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
}
