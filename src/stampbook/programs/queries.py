"""Reads of programs and memberships for the API, filtered by what the caller may see."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import Owner, visible_owners, visible_user_ids
from stampbook.core import clock, due
from stampbook.core.db import (
    cached_read,
    db,
    execute_core,
    load_with,
    with_parents,
)
from stampbook.core.errors import Conflict, NotFound
from stampbook.core.pagination import PageQuery, encode_cursor, newest_first
from stampbook.core.policy import require, through_api
from stampbook.programs.models import (
    LOT_MODES,
    Membership,
    MembershipStatus,
    PointLot,
    Program,
    ProgramPrivacy,
)
from stampbook.programs.policy import (
    ProgramAction,
    membership_of,
    program_team,
    remember_actor_parts,
    remember_membership,
    visible_programs_clause,
    with_actor_parts,
)
from stampbook.programs.rules import identity_of as identity
from stampbook.programs.rules import require_live
from stampbook.programs.schemas import (
    ExpiringPoints,
    Leaderboard,
    LeaderboardQuery,
    MembershipOut,
    MembershipPage,
    MembershipQuery,
    ProgramPage,
    ProgramQuery,
)
from stampbook.programs.words import PointsNames
from stampbook.shops.models import InvitationStatus, Shop, ShopInvitation
from stampbook.shops.policy import ShopAction
from stampbook.tasks.models import Task

T = TypeVar("T")


def filtered_page(
    query: Select[Any],
    id_column: InstrumentedAttribute[int],
    page: PageQuery,
    keep: Callable[[Sequence[T]], Container[T]],
) -> tuple[list[T], str | None]:
    """Like ``newest_first``, keeping only the rows of each batch that ``keep`` returns (checks
    SQL cannot do; ``keep`` decides a whole batch at once, so a page costs a few queries).

    Pages stay full: rows are read batch after batch until ``page.limit`` are kept.
    """
    kept: list[T] = []
    cursor = page.cursor
    while True:
        batch, next_cursor = newest_first(
            query, id_column, PageQuery(limit=page.limit, cursor=cursor)
        )
        keeping = keep(batch)
        for index, row in enumerate(batch):
            if row not in keeping:
                continue
            kept.append(row)
            if len(kept) == page.limit:
                more = index < len(batch) - 1 or next_cursor is not None
                return kept, encode_cursor(getattr(row, id_column.key)) if more else None
        if next_cursor is None:
            return kept, None
        cursor = next_cursor


def list_programs(actor: User | None, shop_id: int, query: ProgramQuery) -> ProgramPage:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(thing="shop")
    require(actor, ShopAction.SHOP_VIEW, shop)
    archived = Program.archived_at.is_not(None) if query.archived else Program.archived_at.is_(None)
    programs = select(Program).where(
        Program.shop_id == shop.id, archived, visible_programs_clause(actor, shop)
    )
    items, next_cursor = newest_first(programs, Program.id, query)
    return ProgramPage.model_validate({"items": items, "next_cursor": next_cursor})


# ``core.due``'s name for the clocks of a membership's points (``ledger.maturing``).
MEMBERSHIP_CLOCKS = "membership"
# Up to three of the next expiry dates, each with its points, off the live lots' index.
_EXPIRING = (
    select(PointLot.expires_at, func.sum(PointLot.remaining))
    .where(
        PointLot.membership_id == bindparam("membership_id"),
        PointLot.remaining > 0,
        PointLot.expires_at.in_(
            select(PointLot.expires_at)
            .where(PointLot.membership_id == bindparam("membership_id"), PointLot.remaining > 0)
            .order_by(PointLot.expires_at)
            .distinct()
            .limit(3)
        ),
    )
    .group_by(PointLot.expires_at)
    .order_by(PointLot.expires_at)
)


def settle_due(memberships: Iterable[Membership]) -> None:
    """Memberships whose clocks are due (held points to release, points to expire) are
    matured before anyone reads their points (``core.due``)."""
    now = clock.now()
    due.settle(
        MEMBERSHIP_CLOCKS,
        (m.id for m in memberships if m.due_at is not None and m.due_at <= now),
    )


def expiring_points(membership: Membership, program: Program) -> list[ExpiringPoints]:
    """The next points to expire, up to three dates, in a program expiring lot by lot."""
    if program.expiry_mode not in LOT_MODES:
        return []
    rows = execute_core(_EXPIRING, {"membership_id": membership.id}).all()
    return [ExpiringPoints(expires_at=at, points=points) for at, points in rows]


def membership_out(
    membership: Membership, *, for_team: bool, program: Program | None = None
) -> MembershipOut:
    """``program`` given: with the points expiring next (a membership's own answer)."""
    out = MembershipOut.model_validate(membership)
    if not for_team:
        out.email = out.external_id = None
    if program is not None:
        out.expiring = expiring_points(membership, program)
    return out


def get_membership(actor: User | None, membership_id: int) -> MembershipOut:
    membership = load_membership(actor, membership_id)
    program = db.session.get(Program, membership.program_id)
    assert program is not None
    team = actor is not None and (actor.is_admin or program_team(actor, program) is not None)
    return membership_out(membership, for_team=team, program=program)


def list_memberships(actor: User | None, program_id: int, query: MembershipQuery) -> MembershipPage:
    """The team sees every membership (any status on request); others see active members
    whose privacy shows them their memberships, and in a private program only themselves."""
    program = load_program(actor, program_id)
    team = actor is not None and (actor.is_admin or program_team(actor, program) is not None)
    memberships = select(Membership).where(Membership.program_id == program.id)
    if team:
        if query.status is not None:
            memberships = memberships.where(Membership.status == query.status)
        if query.external_id is not None:
            memberships = memberships.where(Membership.external_id == query.external_id)
        if query.email is not None:
            memberships = memberships.where(Membership.search_email == query.email.lower())
        items, next_cursor = newest_first(memberships, Membership.id, query)
        settle_due(items)
        return MembershipPage(
            items=[membership_out(m, for_team=True) for m in items], next_cursor=next_cursor
        )
    if query.status not in (None, MembershipStatus.ACTIVE) or query.external_id or query.email:
        # Finding people by their store id or address is the team's.
        return MembershipPage(items=[], next_cursor=None)
    memberships = memberships.where(
        Membership.status == MembershipStatus.ACTIVE, Membership.user_id.is_not(None)
    )
    if program.privacy_mode == ProgramPrivacy.PRIVATE or program.is_archived:
        if actor is None:
            return MembershipPage(items=[], next_cursor=None)
        memberships = memberships.where(Membership.user_id == actor.id)
    # Everyone listed is an active member of this program: a member viewing it shares its shop.
    co_members = membership_of(actor, program) is not None

    def shown(batch: Sequence[Membership]) -> list[Membership]:
        owners = {m.user_id for m in batch if m.user_id is not None}
        seen = visible_user_ids(actor, owners, Section.MEMBERSHIPS, co_members=co_members)
        return [m for m in batch if m.user_id in seen]

    kept: Sequence[Membership]
    kept, next_cursor = filtered_page(memberships, Membership.id, query, shown)
    settle_due(kept)
    return MembershipPage(
        items=[membership_out(m, for_team=False) for m in kept], next_cursor=next_cursor
    )


def my_memberships(actor: User, query: MembershipQuery) -> MembershipPage:
    """The caller's memberships in any status: archived ones keep their balance readable."""
    memberships = select(Membership).where(Membership.user_id == actor.id)
    if query.status is not None:
        memberships = memberships.where(Membership.status == query.status)
    items, next_cursor = newest_first(memberships, Membership.id, query)
    settle_due(items)
    return MembershipPage(
        items=[membership_out(m, for_team=False) for m in items], next_cursor=next_cursor
    )


# Built once and run without the ORM (see ``stampbook.core.db.with_parents`` and ``execute_core``),
# and only what the board and the privacy decision read, down to the one privacy level
# asked: loading a hundred whole users (and decoding their JSON) cost more than the rest of
# the request.
_RANKING = (
    select(
        Membership.id,
        Membership.balance,
        User.id,
        User.name,
        User.privacy_settings[Section.MEMBERSHIPS.value].as_string(),
        User.deleted_at.is_not(None),
    )
    .outerjoin(User, User.id == Membership.user_id)  # unclaimed customers hold points too
    .where(
        Membership.program_id == bindparam("program_id"),
        Membership.status == MembershipStatus.ACTIVE,
    )
    .order_by(Membership.balance.desc(), Membership.id)
    .limit(bindparam("limit", type_=Integer))
)


def leaderboard(actor: User | None, program_id: int, query: LeaderboardQuery) -> Leaderboard:
    """The program's active members by balance, most points first, so members with none
    come after everyone holding some (ties: the earlier member first). Unclaimed customers
    (no account yet) take their place too, named by no one (``customer``), never by email.

    Members whose privacy hides their memberships from the caller keep their place but not
    their name. Two queries whatever the size: the ranking (off its index) and co-membership.
    """
    program = load_program(actor, program_id)
    rows = execute_core(_RANKING, {"program_id": program.id, "limit": query.limit}).all()
    team = actor is not None and (actor.is_admin or program_team(actor, program) is not None)
    owners = [
        Owner(user_id, {} if level is None else {Section.MEMBERSHIPS: level}, deleted)
        for _, _, user_id, _, level, deleted in rows
        if user_id is not None
    ]
    # Everyone ranked is an active member of this program: a member viewing it shares its shop.
    shown = (
        {o.id for o in owners}
        if team
        else visible_owners(
            actor,
            owners,
            Section.MEMBERSHIPS,
            co_members=membership_of(actor, program) is not None,
        )
    )
    # Validated in one call, not one model per place.
    return Leaderboard.model_validate(
        {
            "program_id": program.id,
            "items": [
                {
                    "rank": rank,
                    "membership_id": membership_id,
                    "balance": balance,
                    "user_id": user_id if user_id in shown else None,
                    "name": name if user_id in shown else None,
                    "customer": user_id is None,
                }
                for rank, (membership_id, balance, user_id, name, _, _) in enumerate(rows, 1)
            ],
        }
    )


@dataclass(frozen=True)
class ProgramMergePreview:
    """What ``merge_programs`` would move from ``source`` into ``target``, read only."""

    target: Program
    source: Program
    moved_memberships: int  # people only in the source: they move as they are
    moved_active: int
    moved_points: int  # the balances those memberships carry over
    merged_memberships: int  # people in both: their source membership folds into this one
    points_moved: int  # carried by ledger entries (kind merge) into their membership here
    tasks: int  # live tasks (deleted ones move too, with their history)
    invitations: int  # pending invitations into the source: they follow it, or are withdrawn


def merge_preview(actor: User, *, target_id: int, source_id: int) -> ProgramMergePreview:
    """The counts a merge confirmation states, checked by the same rules as the merge."""
    target = load_program(actor, target_id, ProgramAction.PROGRAM_MERGE)
    source = load_program(actor, source_id, ProgramAction.PROGRAM_MERGE)
    if target.id == source.id:
        raise Conflict(code="same_program")
    if target.shop_id != source.shop_id:
        raise Conflict(code="different_shops")
    require_live(target)
    require_live(source)
    rows = db.session.scalars(
        select(Membership).where(Membership.program_id.in_([target.id, source.id]))
    ).all()
    in_target = {identity(m) for m in rows if m.program_id == target.id and identity(m)}
    moved = moved_active = moved_points = merged = points = 0
    for membership in (m for m in rows if m.program_id == source.id):
        if identity(membership) in in_target:
            merged += 1
            points += max(membership.balance, 0)
        else:
            moved += 1
            moved_active += membership.status == MembershipStatus.ACTIVE
            moved_points += membership.balance
    tasks = db.session.scalar(
        select(func.count(Task.id)).where(Task.program_id == source.id, Task.deleted_at.is_(None))
    )
    invitations = db.session.scalar(
        select(func.count(ShopInvitation.id)).where(
            ShopInvitation.program_id == source.id,
            ShopInvitation.status == InvitationStatus.PENDING,
        )
    )
    return ProgramMergePreview(
        target=target,
        source=source,
        moved_memberships=moved,
        moved_active=moved_active,
        moved_points=moved_points,
        merged_memberships=merged,
        points_moved=points,
        tasks=tasks or 0,
        invitations=invitations or 0,
    )


_PROGRAM = with_actor_parts(with_parents(Program, (Shop, Shop.id == Program.shop_id)))


_MEMBERSHIP = with_actor_parts(
    with_parents(
        Membership,
        (Program, Program.id == Membership.program_id),
        (Shop, Shop.id == Program.shop_id),
    )
)


def load_program(
    actor: User | None, program_id: int, action: str = ProgramAction.PROGRAM_VIEW
) -> Program:
    """The program, if ``actor`` may do ``action`` on it (404 or 403 otherwise)."""
    row = load_with(_PROGRAM, program_id, actor_id=actor.id if actor else None)
    if row is None:
        raise NotFound(thing="program")
    program: Program
    program, shop, role, mine = row
    refuse_gone(program)
    remember_actor_parts(actor, program, shop, role, mine)
    require(actor, action, program)
    return program


def load_membership(
    actor: User | None, membership_id: int, action: str = ProgramAction.MEMBERSHIP_VIEW
) -> Membership:
    row = load_with(_MEMBERSHIP, membership_id, actor_id=actor.id if actor else None)
    if row is None:
        raise NotFound(thing="membership")
    membership: Membership
    membership, program, shop, role, mine = row
    remember_actor_parts(actor, program, shop, role, mine)
    remember_membership(membership)
    require(actor, action, membership)
    settle_due([membership])
    return membership


def get_program(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound(thing="program")
    refuse_gone(program)
    return program


def refuse_gone(program: Program) -> None:
    """Through the API, a deleted (or merged away) program is gone, with all under it: its
    archive is read through the shop's list of programs (``archived=true``), its balances
    and entries through the memberships."""
    if program.is_archived and through_api():
        raise NotFound(thing="program")


@dataclass(frozen=True)
class MembershipLine:
    membership_id: int
    program_id: int
    program_name: str
    shop_id: int
    shop_name: str
    balance: int
    # The program's names for its points (``words.points``).
    points_currency_singular: str | None = None
    points_currency_plural: str | None = None
    pending: int = 0  # points waiting out a return window


def membership_lines(user_id: int, *, shop_id: int | None = None) -> list[MembershipLine]:
    """The user's active memberships with their balances (in one shop, if given)."""
    query = (
        select(
            Membership.id,
            Program.id,
            Program.name,
            Shop.id,
            Shop.name,
            Membership.balance,
            Program.points_currency_singular,
            Program.points_currency_plural,
            Membership.pending,
        )
        .join(Program, Program.id == Membership.program_id)
        .join(Shop, Shop.id == Program.shop_id)
        .where(
            Membership.user_id == user_id,
            Membership.status == MembershipStatus.ACTIVE,
            Program.archived_at.is_(None),
        )
        .order_by(Shop.name, Program.name)
    )
    if shop_id is not None:
        query = query.where(Program.shop_id == shop_id)
    rows = db.session.execute(query.add_columns(Membership.due_at)).all()
    now = clock.now()
    due_ids = [row[0] for row in rows if row[-1] is not None and row[-1] <= now]
    if due_ids:
        due.settle(MEMBERSHIP_CLOCKS, due_ids)
        rows = db.session.execute(query.add_columns(Membership.due_at)).all()
    return [MembershipLine(*row[:-1]) for row in rows]


def membership_owners(membership_ids: Iterable[int]) -> dict[int, str]:
    """``{membership_id: owner's name}`` (unclaimed customers have none), in one query."""
    ids = sorted(set(membership_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership.id, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.id.in_(ids))
    ).all()
    return {row[0]: row[1] for row in rows}


# --- A program's names for its points (``words.points`` says them) --------------------------


def points_names(program_id: int) -> PointsNames:
    """The names of a program's points (the program the request loaded, else one read)."""
    return PointsNames.of(db.session.get(Program, program_id))


def points_names_by_program(shop_id: int) -> dict[int, PointsNames]:
    """``{program_id: its names for its points}`` of a shop's live programs, in one query."""

    def read() -> dict[int, PointsNames]:
        rows = db.session.execute(
            select(
                Program.id, Program.points_currency_singular, Program.points_currency_plural
            ).where(Program.shop_id == shop_id, Program.archived_at.is_(None))
        ).all()
        return {row[0]: PointsNames(row[1], row[2]) for row in rows}

    return cached_read(("points_names_by_program", shop_id), read)


def shop_points_names(shop_id: int) -> PointsNames:
    """The names a shop's live programs share for their points, else the default words: a
    reward of the shop is paid from any of its programs, so its cost is said in stars only
    where every program counts stars (seed 001: a shop with its one points program)."""
    return PointsNames.common(points_names_by_program(shop_id).values())


def membership_points_names(membership_id: int) -> PointsNames:
    """The names of the points a membership holds (its program's)."""
    membership = db.session.get(Membership, membership_id)
    return points_names(membership.program_id) if membership is not None else PointsNames()


def points_names_by_membership(membership_ids: Iterable[int]) -> dict[int, PointsNames]:
    """``{membership_id: its program's names for its points}``, in one query (a list of
    receipts, each paid from its own membership)."""
    ids = sorted(set(membership_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership.id, Program.points_currency_singular, Program.points_currency_plural)
        .join(Program, Program.id == Membership.program_id)
        .where(Membership.id.in_(ids))
    ).all()
    return {row[0]: PointsNames(row[1], row[2]) for row in rows}


def shops_points_names(shop_ids: Iterable[int]) -> dict[int, PointsNames]:
    """``{shop_id: the names its live programs share}`` (:func:`shop_points_names` of several
    shops, for a list of their rewards), in one query; none asked for no shop."""
    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Program.shop_id, Program.points_currency_singular, Program.points_currency_plural
        ).where(Program.shop_id.in_(ids), Program.archived_at.is_(None))
    ).all()
    return {
        shop_id: PointsNames.common(PointsNames(r[1], r[2]) for r in rows if r[0] == shop_id)
        for shop_id in ids
    }
