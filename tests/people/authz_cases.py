"""The people domain's part of the authorization suites (tests/reliability/authz_*.py):
the objects the seeded world holds for its routes, and the bodies of its writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.people.models import Buddy, BuddyRequest, Message, Post
from stampbook.people.rules import ordered_pair
from tests.factories.accounts import PASSWORD

if TYPE_CHECKING:
    from tests.reliability.authz_world import World


def _request(session: Session, sender: int, recipient: int) -> int:
    low, high = ordered_pair(sender, recipient)
    request = BuddyRequest(
        from_user_id=sender, to_user_id=recipient, user_low_id=low, user_high_id=high
    )
    session.add(request)
    session.flush()
    return request.id


def people_objects(session: Session, users: dict[str, User], program_id: int) -> dict[str, int]:
    """The seeded world's buddy requests, message and post (see ``build_world``)."""
    member, other = users["member"].id, users["other"].id
    message = Message(from_user_id=member, to_user_id=other, body="Hi")
    post = Post(author_id=member, program_id=program_id, body="Hello")
    session.add_all([message, post])
    session.flush()
    return {
        # To the member, from someone outside the cast: the member answers it.
        "buddy_request": _request(session, other, member),
        # From the member: the member cancels it.
        "own_buddy_request": _request(session, member, users["newcomer"].id),
        # The member's: only the member changes it.
        "message": message.id,
        # The member's public post in the program: its managers may moderate it.
        "post": post.id,
    }


def member_befriends_everyone(session: Session, world: World) -> None:
    member = world.users["member"]
    for person, user_id in world.users.items():
        if person != "member":
            low, high = ordered_pair(member, user_id)
            session.add(Buddy(user1_id=low, user2_id=high))


def ask_other(world: World, role: str) -> dict[str, Any]:
    return {"user_id": world.users["other"]}


def write_to_member(world: World, role: str) -> dict[str, Any]:
    return {"to_user_id": world.users["member"], "body": "Hello"}


def new_email(world: World, role: str) -> dict[str, Any]:
    return {"email": f"new-{role}@example.com", "password": PASSWORD}


def star_the_shop(world: World, role: str) -> dict[str, Any]:
    return {"shop_id": world.ids["shop"]}
