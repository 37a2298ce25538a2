"""Reads for the API: buddies, requests, blocks, messages, conversations, posts, user pages.

Every list costs a fixed number of queries whatever its length: users are loaded in one
batch per page, privacy is decided for a page at once (``visible_owners``).

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

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
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
from stampbook.accounts.policy import (
    may_see_section,
    shops_of,
    visible_owners,
    visible_sections,
)
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import PageQuery, decode_cursor, encode_cursor, newest_first
from stampbook.core.policy import require
from stampbook.people import rules
from stampbook.people.models import (
    Block,
    Buddy,
    BuddyRequest,
    Message,
    Post,
    PostRecipient,
    RequestStatus,
    ReviewAward,
)
from stampbook.people.policy import (
    seen_programs,
    seen_rewards,
    seen_tasks,
    team_shops,
    visible_posts_clause,
)
from stampbook.people.schemas import (
    BlockOut,
    BlockPage,
    BuddyOut,
    BuddyPage,
    BuddyRequestOut,
    BuddyRequestPage,
    BuddyRequestQuery,
    ContributionRef,
    ConversationOut,
    ConversationPage,
    MembershipRef,
    MessageOut,
    MessagePage,
    MessageQuery,
    PostOut,
    PostPage,
    PostQuery,
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


def refs(user_ids: Iterable[int]) -> dict[int, UserRef]:
    """Names of users, in one query."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all()
    return {uid: UserRef(id=uid, name=name) for uid, name in rows}


def _users(user_ids: Collection[int]) -> list[User]:
    if not user_ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(list(user_ids)))))


# --- Buddies, requests, blocks ----------------------------------------------------------------


def _buddy_of(me: int) -> Any:
    return case((Buddy.user1_id == me, Buddy.user2_id), else_=Buddy.user1_id)


def _mine(me: int) -> ColumnElement[bool]:
    return or_(Buddy.user1_id == me, Buddy.user2_id == me)


def my_buddies(actor: User, page: PageQuery) -> BuddyPage:
    rows, next_cursor = newest_first(select(Buddy).where(_mine(actor.id)), Buddy.id, page)
    names = refs(rules.other_of((b.user1_id, b.user2_id), actor.id) for b in rows)
    return BuddyPage(
        items=[
            BuddyOut(
                user=names[rules.other_of((b.user1_id, b.user2_id), actor.id)], since=b.created_at
            )
            for b in rows
        ],
        next_cursor=next_cursor,
    )


def _shown_buddies(viewer: User | None, owner: User, buddies: Sequence[Buddy]) -> list[BuddyOut]:
    """An owner's buddies, each shown only if their own buddies section is visible too: being
    someone's buddy is part of both people's lists."""
    ids = [rules.other_of((b.user1_id, b.user2_id), owner.id) for b in buddies]
    people = {u.id: u for u in _users(ids)}
    return _buddy_outs(
        viewer, [(b, people[uid]) for uid, b in zip(ids, buddies, strict=True) if uid in people]
    )


def _buddy_outs(viewer: User | None, pairs: Sequence[tuple[Buddy, User]]) -> list[BuddyOut]:
    """``(buddy row, the other person)`` pairs, as :func:`_shown_buddies` shows them (one
    privacy decision for all)."""
    shown = visible_owners(viewer, [u for _b, u in pairs if not u.is_deleted], Section.BUDDIES)
    return [
        BuddyOut(user=UserRef(id=u.id, name=u.name), since=b.created_at)
        for b, u in pairs
        if u.id in shown
    ]


def user_buddies(viewer: User | None, user_id: int, page: PageQuery) -> BuddyPage:
    """Another user's buddies, as their privacy allows (404 when hidden). A page may hold
    fewer than ``limit`` items: buddies who hide their own list are left out of it."""
    owner = _visible_owner(viewer, user_id)
    if owner.id not in visible_owners(viewer, [owner], Section.BUDDIES):
        raise NotFound("This user's buddies are not visible to you.")
    rows, next_cursor = newest_first(select(Buddy).where(_mine(owner.id)), Buddy.id, page)
    return BuddyPage(items=_shown_buddies(viewer, owner, rows), next_cursor=next_cursor)


def request_outs(requests: Sequence[BuddyRequest]) -> list[BuddyRequestOut]:
    names = refs([r.from_user_id for r in requests] + [r.to_user_id for r in requests])
    return [
        BuddyRequestOut(
            id=r.id,
            from_user=names[r.from_user_id],
            to_user=names[r.to_user_id],
            status=RequestStatus(r.status),
            created_at=r.created_at,
            responded_at=r.responded_at,
        )
        for r in requests
    ]


def buddy_requests(actor: User, query: BuddyRequestQuery) -> BuddyRequestPage:
    side = BuddyRequest.to_user_id if query.direction == "incoming" else BuddyRequest.from_user_id
    rows, next_cursor = newest_first(
        select(BuddyRequest).where(side == actor.id, BuddyRequest.status == RequestStatus.PENDING),
        BuddyRequest.id,
        query,
    )
    return BuddyRequestPage(items=request_outs(rows), next_cursor=next_cursor)


def buddy_out(actor: User, buddy: Buddy) -> BuddyOut:
    other = rules.other_of((buddy.user1_id, buddy.user2_id), actor.id)
    return BuddyOut(user=refs([other])[other], since=buddy.created_at)


def block_out(block: Block) -> BlockOut:
    return BlockOut(user=refs([block.blocked_id])[block.blocked_id], created_at=block.created_at)


def my_blocks(actor: User, page: PageQuery) -> BlockPage:
    rows, next_cursor = newest_first(
        select(Block).where(Block.blocker_id == actor.id), Block.id, page
    )
    names = refs(b.blocked_id for b in rows)
    return BlockPage(
        items=[BlockOut(user=names[b.blocked_id], created_at=b.created_at) for b in rows],
        next_cursor=next_cursor,
    )


# --- Messages ---------------------------------------------------------------------------------


def messages(actor: User, query: MessageQuery) -> MessagePage:
    """My messages, both ways, newest first; keyset pages, so new messages never shift them."""
    me = actor.id
    if query.with_user_id is None:
        mine: ColumnElement[bool] = or_(Message.from_user_id == me, Message.to_user_id == me)
    else:
        other = query.with_user_id
        mine = or_(
            and_(Message.from_user_id == me, Message.to_user_id == other),
            and_(Message.from_user_id == other, Message.to_user_id == me),
        )
    rows, next_cursor = newest_first(select(Message).where(mine), Message.id, query)
    return MessagePage(items=[MessageOut.model_validate(m) for m in rows], next_cursor=next_cursor)


def conversations(actor: User, page: PageQuery) -> ConversationPage:
    """One row per person I exchanged messages with, the latest conversation first, with the
    latest message and how many of theirs I have not read. Two queries."""
    me = actor.id
    other = case((Message.from_user_id == me, Message.to_user_id), else_=Message.from_user_id)
    unread = case((and_(Message.to_user_id == me, Message.read_at.is_(None)), 1), else_=0)
    grouped = (
        select(
            other.label("other_id"),
            func.max(Message.id).label("last_id"),
            func.sum(unread).label("unread"),
        )
        .where(or_(Message.from_user_id == me, Message.to_user_id == me))
        .group_by(other)
        .subquery()
    )
    query = select(grouped.c.other_id, grouped.c.unread, Message).join(
        Message, Message.id == grouped.c.last_id
    )
    if page.cursor is not None:
        query = query.where(grouped.c.last_id < decode_cursor(page.cursor))
    rows = db.session.execute(query.order_by(grouped.c.last_id.desc()).limit(page.limit + 1)).all()
    rows, more = rows[: page.limit], len(rows) > page.limit
    names = refs(row[0] for row in rows)
    return ConversationPage(
        items=[
            ConversationOut(
                user=names[other_id],
                last_message=MessageOut.model_validate(message),
                unread_count=int(unread_count or 0),
            )
            for other_id, unread_count, message in rows
        ],
        next_cursor=encode_cursor(rows[-1][2].id) if more else None,
    )


# --- Posts ------------------------------------------------------------------------------------


def post_outs(
    viewer: User | None, posts: Sequence[Post], authors: Iterable[User] = ()
) -> list[PostOut]:
    """Posts with their authors; an invited post shows its recipients to its author only.
    The names of ``authors`` (users already loaded) are not read again."""
    names = {u.id: UserRef(id=u.id, name=u.name) for u in authors}
    names |= refs(p.author_id for p in posts if p.author_id not in names)
    own_invited = [p.id for p in posts if viewer is not None and p.author_id == viewer.id]
    recipients: dict[int, list[int]] = {}
    if own_invited:
        for post_id, user_id in db.session.execute(
            select(PostRecipient.post_id, PostRecipient.user_id)
            .where(PostRecipient.post_id.in_(own_invited))
            .order_by(PostRecipient.id)
        ):
            recipients.setdefault(post_id, []).append(user_id)
    return [
        PostOut(
            id=p.id,
            author=names[p.author_id],
            audience=p.audience,
            program_id=p.program_id,
            body=p.body,
            rating=p.rating,
            reward_id=p.reward_id,
            task_id=p.task_id,
            recipient_ids=recipients.get(p.id)
            if p.id in own_invited and p.audience == "invited"
            else None,
            created_at=p.created_at,
            edited_at=p.edited_at,
        )
        for p in posts
    ]


def list_posts(viewer: User | None, query: PostQuery, authors: Iterable[User] = ()) -> PostPage:
    """Posts the viewer may see, newest first (``authors``: as :func:`post_outs` takes them)."""
    posts = select(Post).where(visible_posts_clause(viewer))
    for column, value in (
        (Post.program_id, query.program_id),
        (Post.author_id, query.author_id),
        (Post.reward_id, query.reward_id),
        (Post.task_id, query.task_id),
    ):
        if value is not None:
            posts = posts.where(column == value)
    rows, next_cursor = newest_first(posts, Post.id, query)
    return PostPage(items=post_outs(viewer, rows, authors), next_cursor=next_cursor)


# --- A user's page ----------------------------------------------------------------------------


def _visible_owner(viewer: User | None, user_id: int) -> User:
    owner = db.session.get(User, user_id)
    if owner is None:
        raise NotFound("No such user.")
    require(viewer, "user.view", owner)
    return owner


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
        rows = db.session.execute(
            select(Buddy, User)
            .join(User, User.id == _buddy_of(self.owner.id))
            .where(_mine(self.owner.id))
            .order_by(Buddy.id.desc())
            .limit(SECTION_LIMIT)
        ).all()
        return [b.user for b in _buddy_outs(self.viewer, [(b, u) for b, u in rows])]

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
    owner = _visible_owner(viewer, user_id)
    return owner, user_sections(viewer, owner)


# --- For the pages ----------------------------------------------------------------------------


def waiting_counts(user_id: int) -> tuple[int, int]:
    """(unread messages, buddy requests waiting for my answer), in one query: the badges of
    every page's navigation."""
    unread = (
        select(func.count())
        .select_from(Message)
        .where(Message.to_user_id == user_id, Message.read_at.is_(None))
        .scalar_subquery()
    )
    asked = (
        select(func.count())
        .select_from(BuddyRequest)
        .where(BuddyRequest.to_user_id == user_id, BuddyRequest.status == RequestStatus.PENDING)
        .scalar_subquery()
    )
    row = db.session.execute(select(unread, asked)).one()
    return int(row[0] or 0), int(row[1] or 0)


def correspondent(actor: User, user_id: int) -> User:
    """Someone the actor may open a conversation with: a person they exchanged messages
    with, or whose page they may see (404 otherwise: a hidden person's name does not leak)."""
    other = db.session.get(User, user_id)
    if other is None or other.id == actor.id:
        raise NotFound("No such user.")
    if may_see_section(actor, other, Section.PAGE):
        return other
    exchanged = exists().where(
        or_(
            and_(Message.from_user_id == actor.id, Message.to_user_id == other.id),
            and_(Message.from_user_id == other.id, Message.to_user_id == actor.id),
        )
    )
    if db.session.scalar(select(exchanged)):
        return other
    raise NotFound("No such user.")


def pending_request_between(viewer_id: int, owner_id: int) -> BuddyRequest | None:
    """The pending buddy request between two people, whichever way it goes."""
    if viewer_id == owner_id:
        return None
    low, high = rules.ordered_pair(viewer_id, owner_id)
    return db.session.scalars(
        select(BuddyRequest).where(
            BuddyRequest.user_low_id == low,
            BuddyRequest.user_high_id == high,
            BuddyRequest.status == RequestStatus.PENDING,
        )
    ).first()


def subject_names(
    viewer: User | None,
    *,
    shop_ids: Iterable[int | None] = (),
    program_ids: Iterable[int | None] = (),
    reward_ids: Iterable[int | None] = (),
    task_ids: Iterable[int | None] = (),
) -> dict[tuple[str, int], str]:
    """``{(kind, id): name}`` of the shops, programs, rewards and tasks that posts and
    messages are about, those the viewer may see only; one query for all."""
    wanted = {
        "shop": sorted({i for i in shop_ids if i is not None}),
        "program": sorted({i for i in program_ids if i is not None}),
        "reward": sorted({i for i in reward_ids if i is not None}),
        "task": sorted({i for i in task_ids if i is not None}),
    }
    parts: list[Any] = []
    if wanted["shop"]:
        parts.append(
            select(literal("shop"), Shop.id, Shop.name).where(
                Shop.id.in_(wanted["shop"]), visible_shops_clause(viewer)
            )
        )
    if wanted["program"]:
        parts.append(
            select(literal("program"), Program.id, Program.name).where(
                Program.id.in_(wanted["program"]), Program.id.in_(seen_programs(viewer))
            )
        )
    if wanted["reward"]:
        parts.append(
            select(literal("reward"), Reward.id, Reward.name).where(
                Reward.id.in_(wanted["reward"]), seen_rewards(viewer)
            )
        )
    if wanted["task"]:
        parts.append(
            select(literal("task"), Task.id, Task.name).where(
                Task.id.in_(wanted["task"]), seen_tasks(viewer)
            )
        )
    if not parts:
        return {}
    query: Any = parts[0]
    if len(parts) > 1:
        query = union_all(parts[0], *parts[1:])
    return {(str(kind), int(i)): str(name) for kind, i, name in db.session.execute(query)}


@dataclass(frozen=True)
class ReviewTarget:
    """A reward or task the viewer may review, and what reviewing it would earn."""

    kind: str  # "reward" or "task"
    item_id: int
    name: str
    review_points: int  # what the shop pays for a review (0: nothing)
    paid: bool  # the shop has paid the viewer for reviewing it already
    programs: list[tuple[int, str]]  # the viewer's programs to review it through


def review_target(
    viewer: User, *, reward_id: int | None = None, task_id: int | None = None
) -> ReviewTarget | None:
    """What the review form of a reward or task needs (None: the viewer does not see it).
    Two queries."""
    paid_for = exists().where(
        ReviewAward.user_id == viewer.id,
        ReviewAward.item_type == ("task" if task_id is not None else "reward"),
        ReviewAward.item_id == (task_id if task_id is not None else reward_id),
    )
    if task_id is not None:
        found = db.session.execute(
            select(Task.name, Shop.review_points, paid_for, Task.program_id)
            .join(Program, Program.id == Task.program_id)
            .join(Shop, Shop.id == Program.shop_id)
            .where(Task.id == task_id, seen_tasks(viewer))
        ).first()
        where: ColumnElement[bool] = Program.id == (found[3] if found else None)
        kind, item_id = "task", task_id
    elif reward_id is not None:
        found = db.session.execute(
            select(Reward.name, Shop.review_points, paid_for, Reward.shop_id)
            .join(Shop, Shop.id == Reward.shop_id)
            .where(Reward.id == reward_id, seen_rewards(viewer))
        ).first()
        where = Program.shop_id == (found[3] if found else None)
        kind, item_id = "reward", reward_id
    else:
        return None
    if found is None:
        return None
    programs = db.session.execute(
        select(Program.id, Program.name)
        .join(Membership, Membership.program_id == Program.id)
        .where(
            where,
            Membership.user_id == viewer.id,
            Membership.status == MembershipStatus.ACTIVE,
            Program.archived_at.is_(None),
        )
        .order_by(Program.name, Program.id)
    ).all()
    return ReviewTarget(
        kind=kind,
        item_id=item_id,
        name=str(found[0]),
        review_points=int(found[1] or 0),
        paid=bool(found[2]),
        programs=[(int(i), str(name)) for i, name in programs],
    )


@dataclass(frozen=True)
class OrderedPrograms:
    program_id: int
    name: str
    tasks: list[tuple[int, str]]  # in the user's order


@dataclass(frozen=True)
class OrderChoices:
    """What a user may order on their own pages (``order_settings``), in their order now."""

    shops: list[tuple[int, str]]
    programs: list[OrderedPrograms]


def order_choices(user: User) -> OrderChoices:
    """The user's shops (member, team or creator) and the tasks of their programs (active
    member, or in the shop's team), each in the order the user chose, then by name. Two
    queries."""
    settings = user.order_settings or {}
    shop_order = rules.positions(i for i in settings.get("shop_ids", []) if isinstance(i, int))
    program_tasks = settings.get("program_task_ids", {})
    task_order = rules.task_positions(program_tasks if isinstance(program_tasks, dict) else {})
    mine = shops_of(user.id).subquery()
    shops = db.session.execute(
        select(Shop.id, Shop.name).where(Shop.id.in_(select(mine.c[0]))).order_by(Shop.name)
    ).all()
    member_of = select(Membership.program_id).where(
        Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE
    )
    rows = db.session.execute(
        select(Program.id, Program.name, Task.id, Task.name)
        .outerjoin(Task, and_(Task.program_id == Program.id, seen_tasks(user)))
        .where(
            Program.archived_at.is_(None),
            or_(Program.id.in_(member_of), Program.shop_id.in_(team_shops(user))),
        )
        .order_by(Program.name, Program.id, Task.name, Task.id)
    ).all()
    programs: dict[int, OrderedPrograms] = {}
    for program_id, program_name, task_id, task_name in rows:
        entry = programs.setdefault(program_id, OrderedPrograms(program_id, program_name, []))
        if task_id is not None:
            entry.tasks.append((task_id, task_name))
    last = len(task_order)
    for entry in programs.values():
        entry.tasks.sort(key=lambda t: task_order.get(t[0], last))
    return OrderChoices(
        shops=sorted(
            ((int(i), str(name)) for i, name in shops),
            key=lambda s: shop_order.get(s[0], len(shop_order)),
        ),
        programs=list(programs.values()),
    )


def post_subject_names(viewer: User | None, posts: Iterable[PostOut]) -> dict[tuple[str, int], str]:
    """The names of what ``posts`` are about (programs, rewards, tasks) that ``viewer`` sees."""
    posts = list(posts)
    return subject_names(
        viewer,
        program_ids=(p.program_id for p in posts),
        reward_ids=(p.reward_id for p in posts),
        task_ids=(p.task_id for p in posts),
    )
