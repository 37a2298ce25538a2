"""Every domain's models, imported so the metadata knows all tables (Alembic, doctor, tests)."""

from stampbook.accounts.models import Token, User
from stampbook.db import Base
from stampbook.idempotency import IdempotencyKey
from stampbook.ledger.models import LedgerEntry
from stampbook.programs.models import Membership, Program
from stampbook.shops.models import Role, Shop

__all__ = [
    "Base",
    "IdempotencyKey",
    "LedgerEntry",
    "Membership",
    "Program",
    "Role",
    "Shop",
    "Token",
    "User",
]
