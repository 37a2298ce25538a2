"""The card codes a member has replaced. The live code is ``Membership.card_code``
(``programs.models``); a replaced one is kept here so a scan of it is refused with its own
answer ("replaced") rather than "unknown", and so it is never given out again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, utcnow


class RetiredCardCode(IdMixin, Base):
    __tablename__ = "retired_card_codes"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
