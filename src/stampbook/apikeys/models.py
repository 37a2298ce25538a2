"""A shop's API keys. Only a SHA-256 of each secret is stored (``accounts.tokens.digest``):
the table read by someone else calls nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType


class ApiKeyScope(StrEnum):
    READ = "read"
    WRITE = "write"  # implies read


class ApiKey(IdMixin, Base):
    """A key acts with the rights of its maker (``created_by``), within its ``scopes`` and
    in its shop only (``core.policy``); it stops working when revoked, or once its maker no
    longer runs the shop (``apikeys.queries.find_live``). Revoked keys are kept and listed."""

    __tablename__ = "api_keys"

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    # Stored with what they imply (``rules.with_implied``): a write key holds both.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's first characters, to tell keys apart in lists (``rules.VISIBLE``).
    prefix: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    # Recorded at most once a minute (``apikeys.usage``), not on every request.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def grants(self, scope: str) -> bool:
        """Whether a route needing ``scope`` (``core.policy.RoutePolicy.key_scope``) may be
        called with this key."""
        return scope in self.scopes

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
