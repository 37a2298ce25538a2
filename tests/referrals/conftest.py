"""The referrals' tests: a café's store (loyalty's fixture: a point per dollar) whose
manager turns referrals on, and people who join through one another's codes by the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership
from tests.loyalty.conftest import Store, store  # noqa: F401 (fixture)

SETTINGS = {"enabled": True, "advocate_points": 50, "friend_points": 20}


@dataclass
class Person:
    user: User
    headers: dict[str, str]
    membership: Membership | None = None


@dataclass
class Referrals:
    store: Store
    session: Session
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def client(self) -> FlaskClient:
        return self.store.client

    @property
    def program_id(self) -> int:
        return self.store.program_id

    def settings(self, **changes: Any) -> Any:
        answer = self.client.put(
            f"/api/v1/programs/{self.program_id}/referral-settings",
            json={**SETTINGS, **changes},
            headers=self.store.headers,
        )
        assert answer.status_code == 200, answer.json
        return answer.json

    def person(self, name: str, *, member: bool = True, **fields: Any) -> Person:
        user = make_user(self.session, name=fields.pop("full_name", name.title()), **fields)
        person = Person(user, auth(self.session, user))
        if member:
            person.membership = make_membership(self.session, self.store.team.program, user)
        self.people[name] = person
        return person

    def membership(self, name: str) -> Membership:
        person = self.people[name]
        if person.membership is None:
            person.membership = (
                self.session.query(Membership)
                .filter_by(program_id=self.program_id, user_id=person.user.id)
                .one()
            )
        return person.membership

    def code(self, name: str) -> str:
        person = self.people[name]
        answer = self.client.get(
            f"/api/v1/memberships/{self.membership(name).id}/referral", headers=person.headers
        )
        assert answer.status_code == 200, answer.json
        return str(answer.json["code"])

    def join(self, friend: str, code: str, **environ: Any) -> Any:
        return self.client.post(
            f"/api/v1/programs/{self.program_id}/referrals",
            json={"code": code},
            headers=self.people[friend].headers,
            environ_base=environ,
        )

    def balance_of(self, name: str) -> int:
        membership = self.membership(name)
        self.session.refresh(membership)
        return membership.balance


@pytest.fixture
def referrals(store: Store, session: Session) -> Referrals:  # noqa: F811
    made = Referrals(store, session)
    made.settings()
    return made
