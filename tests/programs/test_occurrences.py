"""Joining a program announces ``member.joined`` (core.outbox), once per joining."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from stampbook.core.errors import Conflict
from stampbook.programs import services
from tests.factories.accounts import make_user
from tests.factories.programs import make_program
from tests.factories.shops import make_shop
from tests.occurrences import last_id, recorded

pytestmark = pytest.mark.usefixtures("app_context")


def test_joining_is_announced_and_joining_again_is_refused_silently(session: Session) -> None:
    shop = make_shop(session, make_user(session))
    program = make_program(session, shop)
    member = make_user(session)
    mark = last_id(session)

    membership = services.join(member, program.id)
    with pytest.raises(Conflict):
        services.join(member, program.id)

    assert recorded(session, mark) == [
        (
            "member.joined",
            shop.id,
            {
                "membership_id": membership.id,
                "program_id": program.id,
                "user_id": member.id,
                "role": "member",
            },
        )
    ]


def test_coming_back_after_leaving_is_a_new_joining(session: Session) -> None:
    shop = make_shop(session, make_user(session))
    program = make_program(session, shop)
    member = make_user(session)
    membership = services.join(member, program.id)
    services.end_membership(member, membership.id)
    mark = last_id(session)
    services.join(member, program.id)
    assert [kind for kind, _, _ in recorded(session, mark)] == ["member.joined"]
