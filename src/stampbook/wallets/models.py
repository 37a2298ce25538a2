"""Wallet passes (issue 19): a shop's wallet settings (Apple's pass certificate, Google's
service account), each membership's pass (its serial number, the token Apple's devices
present, and the tag that moves whenever its balance does), and the devices that registered
for its updates.

The secrets (the pass certificate's private key, the service account's key) are stored as
given and never shown back: the API and the pages say only whether one is set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow


class WalletSettings(IdMixin, TimestampMixin, Base):
    """A shop's own pass certificate and Google issuer; a field left empty falls back to the
    platform's (``WALLET_*`` in the config)."""

    __tablename__ = "wallet_settings"

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), unique=True)
    apple_pass_type_id: Mapped[str | None] = mapped_column(String(255))
    apple_team_id: Mapped[str | None] = mapped_column(String(20))
    apple_certificate: Mapped[str | None] = mapped_column(Text)  # PEM
    apple_private_key: Mapped[str | None] = mapped_column(Text)  # PEM, write-only
    apple_wwdr_certificate: Mapped[str | None] = mapped_column(Text)  # PEM
    google_issuer_id: Mapped[str | None] = mapped_column(String(40))
    google_service_account: Mapped[str | None] = mapped_column(Text)  # JSON, write-only
    # The shop's logo for its passes (a PNG the team uploaded): the pass's logo, and the image
    # Google fetches for the loyalty class. None: a stamp drawn on the shop's colour.
    # Deferred: only a pass and the logo's page read the bytes; the rest asks ``has_logo``,
    # loaded with the row.
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    has_logo: Mapped[bool] = column_property(logo_png.is_not(None))


class WalletPass(IdMixin, TimestampMixin, Base):
    """One membership's pass, made the first time it is asked for. ``update_tag`` grows each
    time the pass's content moves (Apple's ``passesUpdatedSince`` compares it);
    ``updated_at`` is its ``Last-Modified``."""

    __tablename__ = "wallet_passes"

    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"), unique=True)
    serial_number: Mapped[str] = mapped_column(String(64), unique=True)
    authentication_token: Mapped[str] = mapped_column(String(64))
    update_tag: Mapped[int] = mapped_column(BigInteger, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the member first took the "Save to Google Wallet" link: only then is there an
    # object at Google to keep up to date.
    google_saved_at: Mapped[datetime | None]


class WalletDevice(IdMixin, Base):
    """A device registered for a pass's updates (Apple's web service), with its push token."""

    __tablename__ = "wallet_devices"
    __table_args__ = (
        UniqueConstraint("device_library_id", "pass_id"),
        Index("ix_wallet_devices_pass_id", "pass_id"),
    )

    device_library_id: Mapped[str] = mapped_column(String(128))
    pass_id: Mapped[int] = mapped_column(IdType, ForeignKey("wallet_passes.id"))
    push_token: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
