"""The helpers of hot paths: statements built once, plain columns run without the ORM, the
caller's role and membership read with a program, ORM objects read for validation."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.db import db, execute_core
from stampbook.core.schemas import fields_of
from stampbook.ledger.schemas import EntryOut
from stampbook.programs.policy import membership_row, program_team
from stampbook.programs.queries import load_program
from stampbook.shops.policy import role_of
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop
from tests.querycount import count_statements


def test_execute_core_sees_what_the_session_has_not_flushed(app_context: None) -> None:
    db.session.add(User(email="pending@example.com", name="Pending", password_hash="x"))
    count = execute_core(
        select(func.count()).select_from(User).where(User.email == "pending@example.com")
    ).scalar()
    assert count == 1


def test_a_program_is_read_with_the_callers_role_and_membership(
    app_context: None, session: Session, engine: Engine
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    program = make_program(session, shop)
    member, stranger = make_user(session), make_user(session)
    make_membership(session, program, member)
    session.expunge_all()

    for user_id in (member.id, stranger.id):
        session.info.clear()  # what an earlier iteration read is not this one's to reuse
        actor = session.get(User, user_id)
        loaded = load_program(actor, program.id)
        with count_statements(engine) as statements:
            mine = membership_row(user_id, program.id)
            role = role_of(user_id, shop.id)
            program_team(actor, loaded)
        assert statements.count == 0
        assert (mine is not None) == (user_id == member.id)
        assert role is None


def test_fields_of_reads_loaded_columns_and_refreshes_expired_ones(
    app_context: None, session: Session
) -> None:
    owner = make_user(session)
    membership = make_membership(session, make_program(session, make_shop(session, owner)), owner)
    entry = give_points(session, membership, 7)
    session.expire(entry, ["note"])
    fields = fields_of(entry, EntryOut)
    assert fields == EntryOut.model_validate(entry).model_dump()
    assert fields["amount"] == 7
