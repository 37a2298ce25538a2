"""People: buddies and buddy requests, blocks, private messages, posts and reviews.

A friendship is one ``Buddy`` row per pair, the smaller id first, so the pair is unique
whichever side asked. A pending request is unique per unordered pair too (a partial unique
index on ``user_low_id, user_high_id``): two people asking each other at the same moment
cannot both leave a pending request; the loser's transaction runs again, finds the other's
request and accepts it, which makes one friendship.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, utcnow


class Buddy(IdMixin, Base):
    """An accepted friendship between ``user1_id`` < ``user2_id``."""

    __tablename__ = "buddies"
    __table_args__ = (
        UniqueConstraint("user1_id", "user2_id"),
        CheckConstraint("user1_id < user2_id", name="ordered_pair"),
    )

    user1_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    user2_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"  # by its sender, or voided by a block or a deleted account


class BuddyRequest(IdMixin, Base):
    __tablename__ = "buddy_requests"
    __table_args__ = (
        CheckConstraint("from_user_id <> to_user_id", name="not_to_self"),
        CheckConstraint("user_low_id < user_high_id", name="ordered_pair"),
        # One pending request per pair of people, whichever way it goes.
        Index(
            "uq_buddy_requests_pending_pair",
            "user_low_id",
            "user_high_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_buddy_requests_to_user_id_status", "to_user_id", "status"),
        Index("ix_buddy_requests_from_user_id_status", "from_user_id", "status"),
    )

    from_user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    user_low_id: Mapped[int] = mapped_column(IdType)
    user_high_id: Mapped[int] = mapped_column(IdType)
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]


class Block(IdMixin, Base):
    """``blocker_id`` refuses buddy requests and messages from ``blocked_id``."""

    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("blocker_id", "blocked_id"),
        CheckConstraint("blocker_id <> blocked_id", name="not_self"),
    )

    blocker_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    blocked_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(IdMixin, Base):
    """A private message, optionally about a shop, a program or a task.

    No ``onupdate`` on ``edited_at``: marking a message read must not look like an edit.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_from_user_id_to_user_id_id", "from_user_id", "to_user_id", "id"),
        Index("ix_messages_to_user_id_from_user_id_id", "to_user_id", "from_user_id", "id"),
    )

    from_user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    shop_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("shops.id"))
    program_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("programs.id"))
    task_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("tasks.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]


class PostAudience(StrEnum):
    PUBLIC = "public"  # everyone (who may see the post's program, if it names one)
    PROGRAM = "program"  # the program's active members and its team
    INVITED = "invited"  # the users it names
    PRIVATE = "private"  # its author only


class Post(IdMixin, Base):
    """A member's post; with a ``rating`` and a reward or task it is a review of that item."""

    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("reward_id IS NULL OR task_id IS NULL", name="one_subject"),
        Index("ix_posts_author_id_id", "author_id", "id"),
        Index("ix_posts_program_id_id", "program_id", "id"),
    )

    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    audience: Mapped[str] = mapped_column(String(10), default=PostAudience.PUBLIC)
    program_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("programs.id"))
    body: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("rewards.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("tasks.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class PostRecipient(IdMixin, Base):
    """A user an ``invited`` post is addressed to."""

    __tablename__ = "post_recipients"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    post_id: Mapped[int] = mapped_column(IdType, ForeignKey("posts.id"))
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)


class ReviewItem(StrEnum):
    REWARD = "reward"
    TASK = "task"


class ReviewAward(IdMixin, Base):
    """Points a shop paid for a review: unique per user and item, so paid at most once."""

    __tablename__ = "review_awards"
    __table_args__ = (UniqueConstraint("user_id", "item_type", "item_id"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    item_type: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int] = mapped_column(IdType)
    post_id: Mapped[int] = mapped_column(IdType, ForeignKey("posts.id"), index=True)
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"), index=True)
    entry_id: Mapped[int] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
