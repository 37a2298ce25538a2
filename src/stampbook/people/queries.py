"""A user's page: the parts of it a viewer may see, each section's lists in one statement.

A user's page shows, for each part the caller may see, up to :data:`SECTION_LIMIT` items,
newest first (or in the order the user chose for their shops and tasks), and only objects
the caller may see (``stampbook.people.policy``). Which privacy section guards which part:

================================================  =========================================
part                                              section
================================================  =========================================
shops created, managed, assisted                  ``shops``
programs created; tasks and rewards created       ``shops``
programs managed, assisted, joined (with points)  ``memberships``
tasks managed, assisted                           ``shops`` and ``memberships``
stamp history                                     ``task_history``
rewards favourited                                ``favorites``
rewards contributed to, redeemed                  ``redemptions``
buddies                                           ``buddies`` (each buddy's too)
================================================  =========================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import visible_sections
from stampbook.core.db import db
from stampbook.people import rules
from stampbook.people.buddy_queries import page_buddies
from stampbook.people.models import Block, Buddy, BuddyRequest, RequestStatus
from stampbook.people.policy import seen_programs, seen_rewards, seen_tasks
from stampbook.people.schemas import (
    ContributionRef,
    MembershipRef,
    ProgramRef,
    ProgramsSection,
    ReceiptRef,
    Relationship,
    RewardRef,
    RewardsSection,
    ShopRef,
    ShopsSection,
    StampRef,
    TaskRef,
    TasksSection,
    UserRef,
    UserSections,
)
from stampbook.people.shared_queries import visible_owner
from stampbook.programs.models import (
    Membership,
    MembershipRole,
    MembershipStatus,
    Program,
    ProgramPrivacy,
)
from stampbook.rewards.models import (
    Contribution,
    ContributionStatus,
    Favorite,
    Redemption,
    RedemptionStatus,
    Reward,
)
from stampbook.shops.models import Role, Shop, ShopRoleType
from stampbook.shops.policy import visible_shops_clause
from stampbook.tasks.models import Stamp, Task

SECTION_LIMIT = 20
# A query of one of a page's lists, whatever columns it selects.
ListQuery = Select[*tuple[Any, ...]]


def _by_position(column: Any, order: dict[int, int]) -> list[Any]:
    """ORDER BY the user's chosen positions first (ids not in it after them)."""
    return [case(order, value=column, else_=len(order))] if order else []


def _ranked(parts: Mapping[str, tuple[ListQuery, Sequence[Any]]]) -> Subquery:
    """Several lists of a page in one statement. Each ``name: (query, order)`` is cut to
    :data:`SECTION_LIMIT` rows in its own order; its rows carry the list's name (``kind``) and
    their place in it (``rank``). The queries select the same columns."""
    lists = [
        query.add_columns(
            literal(name).label("kind"), func.row_number().over(order_by=order).label("rank")
        )
        .order_by(*order)
        .limit(SECTION_LIMIT)
        .subquery()
        for name, (query, order) in parts.items()
    ]
    return union_all(*(select(part) for part in lists)).subquery()


def _by_kind(rows: Iterable[Any], names: Iterable[str]) -> dict[str, list[Any]]:
    """Rows ``(kind, *rest)`` split into their lists (``rest`` alone when it is one item)."""
    found: dict[str, list[Any]] = {name: [] for name in names}
    for kind, *rest in rows:
        found[kind].append(rest[0] if len(rest) == 1 else tuple(rest))
    return found


def _lists_of(
    model: Any,
    conditions: Mapping[str, ColumnElement[bool]],
    seen: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
) -> dict[str, list[Any]]:
    """Lists of one kind of object (``model``), one per condition, each filtered by ``seen``
    and cut in ``order``: one statement for all."""
    ranked = _ranked(
        {
            name: (select(model.id).where(condition, *seen), order)
            for name, condition in conditions.items()
        }
    )
    rows = db.session.execute(
        select(ranked.c.kind, model)
        .join(model, model.id == ranked.c.id)
        .order_by(ranked.c.kind, ranked.c.rank)
    )
    return _by_kind(rows, conditions)


class _Page:
    """The reads of one user's page for one viewer: each section's lists in one statement."""

    def __init__(self, viewer: User | None, owner: User) -> None:
        self.viewer = viewer
        self.owner = owner
        self.unfiltered = viewer is not None and (viewer.is_admin or viewer.id == owner.id)
        settings = owner.order_settings or {}
        self.shop_order = rules.positions(
            i for i in settings.get("shop_ids", []) if isinstance(i, int)
        )
        program_tasks = settings.get("program_task_ids", {})
        self.task_order = rules.task_positions(
            program_tasks if isinstance(program_tasks, dict) else {}
        )

    def _limited(self, query: Select[Any]) -> Sequence[Any]:
        return db.session.scalars(query.limit(SECTION_LIMIT)).all()

    # Shops

    def shops(self, shown: bool) -> ShopsSection:
        if not shown:
            return ShopsSection()
        owner = self.owner.id

        def roles(role_type: str) -> ColumnElement[bool]:
            held = select(Role.shop_id).where(Role.user_id == owner, Role.role_type == role_type)
            return Shop.id.in_(held)

        seen: list[ColumnElement[bool]] = [Shop.deleted_at.is_(None)]
        if not self.unfiltered:
            seen.append(visible_shops_clause(self.viewer))
        conditions = {
            "created": Shop.created_by == owner,
            "managed": roles(ShopRoleType.MANAGER),
            "assisted": roles(ShopRoleType.ASSISTANT),
        }
        order = [*_by_position(Shop.id, self.shop_order), Shop.id.desc()]
        found = _lists_of(Shop, conditions, seen, order)
        return ShopsSection(
            **{name: [ShopRef.model_validate(s) for s in shops] for name, shops in found.items()}
        )

    # Programs

    def _program_seen(self) -> list[ColumnElement[bool]]:
        live = Program.archived_at.is_(None)
        return [live] if self.unfiltered else [live, Program.id.in_(seen_programs(self.viewer))]

    def _memberships(self, *roles: str) -> ListQuery:
        query: ListQuery = (
            select(Membership.program_id, Membership.id)
            .join(Program, Program.id == Membership.program_id)
            .where(
                Membership.user_id == self.owner.id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role_type.in_(roles),
                *self._program_seen(),
            )
        )
        if not self.unfiltered:
            # In a private program members see only themselves: nobody else learns of it here.
            query = query.where(Program.privacy_mode != ProgramPrivacy.PRIVATE)
        return query

    def programs(self, shops_shown: bool, memberships_shown: bool) -> ProgramsSection:
        parts: dict[str, tuple[ListQuery, Sequence[Any]]] = {}
        if shops_shown:
            created = select(Program.id, cast(null(), Integer)).where(
                Program.created_by == self.owner.id, *self._program_seen()
            )
            parts["created"] = (created, [Program.id.desc()])
        if memberships_shown:
            for name, roles in (
                ("managed", (MembershipRole.MANAGER,)),
                ("assisted", (MembershipRole.ASSISTANT, MembershipRole.STAMPER)),
                ("joined", (MembershipRole.MEMBER,)),
            ):
                parts[name] = (self._memberships(*roles), [Membership.id.desc()])
        if not parts:
            return ProgramsSection(created=None)
        ranked = _ranked(parts)
        program_id, membership_id = ranked.c[0], ranked.c[1]
        rows = db.session.execute(
            select(ranked.c.kind, Program, Membership)
            .join(Program, Program.id == program_id)
            .outerjoin(Membership, Membership.id == membership_id)
            .order_by(ranked.c.kind, ranked.c.rank)
        )
        found = _by_kind(rows, parts)
        section = ProgramsSection(
            created=[ProgramRef.model_validate(p) for p, _m in found.pop("created")]
            if shops_shown
            else None
        )
        for name, pairs in found.items():
            setattr(
                section,
                name,
                [
                    MembershipRef(
                        membership_id=m.id,
                        program_id=p.id,
                        program_name=p.name,
                        shop_id=p.shop_id,
                        role_type=m.role_type,
                        balance=m.balance,
                    )
                    for p, m in pairs
                ],
            )
        return section

    # Tasks

    def _programs_as(self, *roles: str) -> Select[Any]:
        return select(Membership.program_id).where(
            Membership.user_id == self.owner.id,
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role_type.in_(roles),
        )

    def _stamps(self) -> list[StampRef]:
        query = (
            select(Stamp, Task)
            .join(Task, Task.id == Stamp.task_id)
            .join(Membership, Membership.id == Stamp.membership_id)
            .where(Membership.user_id == self.owner.id, Stamp.revoked_at.is_(None))
        )
        if not self.unfiltered:
            query = query.where(seen_tasks(self.viewer))
        rows = db.session.execute(query.order_by(Stamp.id.desc()).limit(SECTION_LIMIT)).all()
        return [
            StampRef(
                id=s.id,
                task_id=t.id,
                task_name=t.name,
                program_id=t.program_id,
                quantity=s.quantity,
                points=s.points,
                created_at=s.created_at,
            )
            for s, t in rows
        ]

    def tasks(
        self, shops_shown: bool, memberships_shown: bool, history_shown: bool
    ) -> TasksSection:
        section = TasksSection()
        conditions: dict[str, ColumnElement[bool]] = {}
        if shops_shown:
            conditions["created"] = Task.created_by == self.owner.id
        if shops_shown and memberships_shown:
            conditions["managed"] = Task.program_id.in_(self._programs_as(MembershipRole.MANAGER))
            scoped = select(Role.task_id).where(
                Role.user_id == self.owner.id, Role.task_id.is_not(None)
            )
            conditions["assisted"] = or_(
                Task.program_id.in_(
                    self._programs_as(MembershipRole.ASSISTANT, MembershipRole.STAMPER)
                ),
                Task.id.in_(scoped),
            )
        if conditions:
            seen: list[ColumnElement[bool]] = [Task.deleted_at.is_(None)]
            if not self.unfiltered:
                seen.append(seen_tasks(self.viewer))
            order = [
                Task.program_id.desc(),
                *_by_position(Task.id, self.task_order),
                Task.id.desc(),
            ]
            for name, tasks in _lists_of(Task, conditions, seen, order).items():
                setattr(section, name, [TaskRef.model_validate(t) for t in tasks])
        if history_shown:
            section.stamps = self._stamps()
        return section

    # Rewards

    def _redeemed(self) -> list[ReceiptRef]:
        query = select(Redemption).where(
            Redemption.user_id == self.owner.id, Redemption.status != RedemptionStatus.CANCELLED
        )
        if not self.unfiltered:
            query = query.where(
                Redemption.shop_id.in_(select(Shop.id).where(visible_shops_clause(self.viewer)))
            )
        return [
            ReceiptRef(
                redemption_id=r.id,
                reward_id=r.reward_id,
                name=str((r.reward_content or {}).get("name", "")),
                shop_id=r.shop_id,
                quantity=r.quantity,
                created_at=r.created_at,
            )
            for r in self._limited(query.order_by(Redemption.id.desc()))
        ]

    def rewards(
        self, shops_shown: bool, favorites_shown: bool, redemptions_shown: bool
    ) -> RewardsSection:
        section = RewardsSection()
        owner = self.owner.id
        seen: list[ColumnElement[bool]] = [Reward.deleted_at.is_(None)]
        if not self.unfiltered:
            seen.append(seen_rewards(self.viewer))
        no_points = cast(null(), Integer)
        parts: dict[str, tuple[ListQuery, Sequence[Any]]] = {}
        if shops_shown:
            created = select(Reward.id, no_points).where(Reward.created_by == owner, *seen)
            parts["created"] = (created, [Reward.id.desc()])
        if favorites_shown:
            favorited = (
                select(Reward.id, no_points)
                .join(Favorite, Favorite.reward_id == Reward.id)
                .where(Favorite.user_id == owner, *seen)
            )
            parts["favorited"] = (favorited, [Favorite.id.desc()])
        if redemptions_shown:
            contributed = (
                select(Reward.id, func.sum(Contribution.points))
                .join(Contribution, Contribution.reward_id == Reward.id)
                .where(
                    Contribution.user_id == owner,
                    Contribution.status != ContributionStatus.REFUNDED,
                    *seen,
                )
                .group_by(Reward.id)
            )
            parts["contributed"] = (contributed, [func.max(Contribution.id).desc()])
        if parts:
            ranked = _ranked(parts)
            rows = db.session.execute(
                select(ranked.c.kind, Reward, ranked.c[1])
                .join(Reward, Reward.id == ranked.c.id)
                .order_by(ranked.c.kind, ranked.c.rank)
            )
            found = _by_kind(rows, parts)
            for name in ("created", "favorited"):
                if name in found:
                    setattr(section, name, [RewardRef.model_validate(r) for r, _p in found[name]])
            if "contributed" in found:
                section.contributed = [
                    ContributionRef(
                        reward_id=r.id, reward_name=r.name, shop_id=r.shop_id, points=int(points)
                    )
                    for r, points in found["contributed"]
                ]
        if redemptions_shown:
            section.redeemed = self._redeemed()
        return section

    def buddies(self) -> list[UserRef]:
        return page_buddies(self.viewer, self.owner, SECTION_LIMIT)

    def relationship(self) -> Relationship | None:
        viewer, owner = self.viewer, self.owner
        if viewer is None:
            return None
        if viewer.id == owner.id:
            return "self"
        low, high = rules.ordered_pair(viewer.id, owner.id)
        buddy = exists().where(Buddy.user1_id == low, Buddy.user2_id == high)
        blocked = exists().where(Block.blocker_id == viewer.id, Block.blocked_id == owner.id)
        pending = (
            select(BuddyRequest.from_user_id)
            .where(
                BuddyRequest.user_low_id == low,
                BuddyRequest.user_high_id == high,
                BuddyRequest.status == RequestStatus.PENDING,
            )
            .limit(1)
            .scalar_subquery()
        )
        is_buddy, is_blocked, asker = db.session.execute(select(buddy, blocked, pending)).one()
        if is_buddy:
            return "buddy"
        if is_blocked:
            return "blocked"
        if asker is None:
            return "none"
        return "request_sent" if asker == viewer.id else "request_received"


def user_sections(viewer: User | None, owner: User) -> UserSections:
    """The parts of ``owner``'s page that ``viewer`` may see (one privacy query for all)."""
    page = _Page(viewer, owner)
    shown = visible_sections(viewer, owner)
    shops, memberships = Section.SHOPS in shown, Section.MEMBERSHIPS in shown
    return UserSections(
        relationship=page.relationship(),
        shops=page.shops(shops),
        programs=page.programs(shops, memberships),
        tasks=page.tasks(shops, memberships, Section.TASK_HISTORY in shown),
        rewards=page.rewards(shops, Section.FAVORITES in shown, Section.REDEMPTIONS in shown),
        buddies=page.buddies() if Section.BUDDIES in shown else None,
    )


def user_page(viewer: User | None, user_id: int) -> tuple[User, UserSections]:
    owner = visible_owner(viewer, user_id)
    return owner, user_sections(viewer, owner)
