"""Shops, the roles of their teams, and invitations to invite-only shops and programs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin
from stampbook.core.folding import search_key

if TYPE_CHECKING:
    from stampbook.programs.models import Program


class ShopPrivacy(StrEnum):
    PUBLIC = "public"  # everyone sees the shop
    INVITE = "invite"  # the team, members of its programs and invited users
    PRIVATE = "private"  # the team and members of its programs


class ShopRoleType(StrEnum):
    MANAGER = "manager"
    ASSISTANT = "assistant"
    VIEWER = "viewer"


class Shop(IdMixin, TimestampMixin, Base):
    """A shop. Deleting one is soft (``deleted_at``): its programs are archived, not lost."""

    __tablename__ = "shops"

    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    # The name folded for search (``core.folding.search_key``: None for a plain ASCII name,
    # whose lower case is its key), set with the name.
    search_name: Mapped[str | None] = mapped_column(String(254))
    summary: Mapped[str | None] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
    # The postal address as people write it, one or several lines (shown on the shop's page
    # and on the back of its wallet passes).
    address: Mapped[str | None] = mapped_column(String(300))
    color: Mapped[str | None] = mapped_column(String(7))
    icon: Mapped[str | None] = mapped_column(String(64))
    image_url: Mapped[str | None] = mapped_column(String(500))
    privacy_mode: Mapped[str] = mapped_column(String(10), default=ShopPrivacy.PUBLIC)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # A list of Schedule objects (stampbook.schedules); empty means always open.
    availability_schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    order_reward_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    order_program_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    deleted_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("shops.id"))
    # Points a member earns for a review of one of the shop's rewards or tasks (once per item).
    review_points: Mapped[int | None] = mapped_column(BigInteger)
    # The incoming-webhook URL of the shop's community chat (Slack, Discord, Mattermost...),
    # where announcements go; checked by ``core.egress`` when saved and when called. A
    # secret: whoever holds it may post there, so only those who edit the shop see it.
    chat_webhook_url: Mapped[str | None] = mapped_column(String(2000))

    @validates("name")
    def _keep_search_name(self, _key: str, name: str) -> str:
        self.search_name = search_key(name)
        return name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Role(IdMixin, TimestampMixin, Base):
    """A user's part in a shop's team. The creator is implicit (``Shop.created_by``).

    A role may be scoped to one reward or one task (``reward_id`` / ``task_id``): the user
    then works on that one only; the services check that the ids are the shop's.
    """

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("shop_id", "user_id"),)

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    role_type: Mapped[str] = mapped_column(String(10))
    permission_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("rewards.id"))
    task_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("tasks.id"))


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"  # withdrawn by the team, or voided by a deletion or merge


class ShopInvitation(IdMixin, TimestampMixin, Base):
    """An invitation into an invite-only shop or into a program (``program_id`` set).

    One table for both, so that a user has one inbox (``GET /api/v1/invitations``) and one
    way to answer. The invitee is a user (``user_id``) or, when nobody has that address yet,
    an ``email`` matched against the account that later opens the inbox.

    A pending or accepted shop invitation lets the user see an ``invite`` shop. Accepting a
    program invitation makes the user an active member with ``role_type``; while it is
    pending, a known invitee also has a membership in status ``invited`` so the team sees it
    in the member list.
    """

    __tablename__ = "shop_invitations"
    __table_args__ = (
        Index("ix_shop_invitations_user_id_status", "user_id", "status"),
        Index("ix_shop_invitations_email_status", "email", "status"),
    )

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    program_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("programs.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    # The membership role a program invitation grants; None for shop invitations.
    role_type: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=InvitationStatus.PENDING)
    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    responded_at: Mapped[datetime | None]

    shop: Mapped[Shop] = relationship(lazy="joined", innerjoin=True)
    program: Mapped[Program | None] = relationship(lazy="joined")

    @property
    def shop_name(self) -> str:
        return self.shop.name

    @property
    def program_name(self) -> str | None:
        return self.program.name if self.program is not None else None
