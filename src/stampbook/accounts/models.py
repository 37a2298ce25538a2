"""Accounts: users and their bearer tokens (API tokens and web sessions alike)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin
from stampbook.core.folding import search_key


class Privacy(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"  # people who share a shop or program with the user
    FRIENDS = "friends"  # buddies
    PRIVATE = "private"


class Section(StrEnum):
    """The parts of a user's page that each have their own privacy setting."""

    PAGE = "page"
    BUDDIES = "buddies"
    SHOPS = "shops"
    MEMBERSHIPS = "memberships"
    TASK_HISTORY = "task_history"
    REDEMPTIONS = "redemptions"
    FAVORITES = "favorites"
    # Not a part of the page: who may send the user a private message.
    MESSAGES = "messages"


DEFAULT_PRIVACY: dict[str, str] = {
    Section.PAGE: Privacy.PUBLIC,
    Section.BUDDIES: Privacy.MEMBERS,
    Section.SHOPS: Privacy.PUBLIC,
    Section.MEMBERSHIPS: Privacy.MEMBERS,
    Section.TASK_HISTORY: Privacy.MEMBERS,
    Section.REDEMPTIONS: Privacy.PRIVATE,
    Section.FAVORITES: Privacy.PRIVATE,
    Section.MESSAGES: Privacy.MEMBERS,
}


def privacy_level(settings: dict[str, str], section: Section) -> Privacy:
    """A section's level in a user's ``privacy_settings``, or its default."""
    return Privacy(settings.get(section, DEFAULT_PRIVACY[section]))


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The name folded for search (``core.folding.search_key``: None for a plain ASCII name),
    # set with the name; the memberships' search keys copy it (programs.models' triggers).
    search_name: Mapped[str | None] = mapped_column(String(254))
    summary: Mapped[str | None] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(7))
    icon: Mapped[str | None] = mapped_column(String(64))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The language messages to the user are written in (core.i18n.LANGUAGES); None: English.
    language: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255))
    privacy_settings: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    order_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # use_alter: users and shops refer to each other (shops.created_by).
    starred_shop_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("shops.id", use_alter=True, ondelete="SET NULL")
    )
    is_admin: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
    # For text messages, in E.164 (``accounts.phones``); seen by the user alone.
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    # When the SMS provider said this number opted out (it texted STOP): no text goes to it
    # until the user sets a new number.
    sms_opted_out_at: Mapped[datetime | None]
    # When the user followed a confirmation link sent to ``email``; None until then, and again
    # whenever the address changes. An unconfirmed address gets no marketing email, and
    # claims nothing sent to it (unclaimed customers, invitations by email).
    email_verified_at: Mapped[datetime | None]
    # "MM-DD" (no year: nobody's age is kept), for the birthday points of loyalty programs;
    # ``birthday_set_at``: a birthday set less than 30 days before it comes earns next year.
    birthday: Mapped[str | None] = mapped_column(String(5))
    birthday_set_at: Mapped[datetime | None]

    def privacy(self, section: Section) -> Privacy:
        return privacy_level(self.privacy_settings, section)

    @validates("name")
    def _keep_search_name(self, _key: str, name: str) -> str:
        self.search_name = search_key(name)
        return name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class TokenKind(StrEnum):
    API = "api"
    SESSION = "session"  # the web session cookie carries one of these


class Token(IdMixin, Base):
    """A bearer credential. Only a SHA-256 of the secret is stored."""

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_user_id_kind", "user_id", "kind"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default=TokenKind.API)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class PasswordReset(IdMixin, Base):
    """A forgotten password's single-use link. Only a SHA-256 of its secret is stored, so
    the table read by someone else opens no account; the secret travels in the email alone."""

    __tablename__ = "password_resets"

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class EmailConfirmation(IdMixin, Base):
    """A link that confirms ``email`` belongs to the user: single use, it expires, and it
    confirms only the address it was sent to (a later change of address leaves it void).
    Only a SHA-256 of its secret is stored, as for a password reset."""

    __tablename__ = "email_confirmations"

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
