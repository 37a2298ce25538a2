"""Every domain's models, imported so the metadata knows all tables (Alembic, doctor, tests)."""

from stampbook.accounts.models import Token, User
from stampbook.core.db import Base
from stampbook.core.idempotency import IdempotencyKey
from stampbook.ledger.models import LedgerEntry
from stampbook.people.models import (
    Block,
    Buddy,
    BuddyRequest,
    Message,
    Post,
    PostRecipient,
    ReviewAward,
)
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Contribution, Favorite, Redemption, Reward, RewardChange
from stampbook.shops.models import Role, Shop, ShopInvitation
from stampbook.tasks.models import Stamp, Task, TaskBonusAward, TaskGroupAward, TaskOverride

__all__ = [
    "Base",
    "Block",
    "Buddy",
    "BuddyRequest",
    "Contribution",
    "Favorite",
    "IdempotencyKey",
    "LedgerEntry",
    "Membership",
    "Message",
    "Post",
    "PostRecipient",
    "Program",
    "Redemption",
    "ReviewAward",
    "Reward",
    "RewardChange",
    "Role",
    "Shop",
    "ShopInvitation",
    "Stamp",
    "Task",
    "TaskBonusAward",
    "TaskGroupAward",
    "TaskOverride",
    "Token",
    "User",
]
