"""Shops and the roles of their teams."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.db import Base, IdMixin, IdType, TimestampMixin


class ShopPrivacy(StrEnum):
    PUBLIC = "public"
    INVITE = "invite"
    PRIVATE = "private"


class ShopRoleType(StrEnum):
    MANAGER = "manager"
    ASSISTANT = "assistant"
    VIEWER = "viewer"


class Shop(IdMixin, TimestampMixin, Base):
    __tablename__ = "shops"

    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    summary: Mapped[str | None] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
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


class Role(IdMixin, TimestampMixin, Base):
    """A user's part in a shop's team. The creator is implicit (``Shop.created_by``)."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("shop_id", "user_id"),)

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    role_type: Mapped[str] = mapped_column(String(10))
    permission_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
