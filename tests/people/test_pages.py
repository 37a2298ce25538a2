"""People pages: a user's page, buddies (requests, blocks), messages, posts and reviews."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.people.models import Block, Buddy, BuddyRequest, Message, Post, ReviewAward
from stampbook.programs.models import Membership
from stampbook.rewards.models import Favorite
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.people import (
    make_block,
    make_buddies,
    make_message,
    make_post,
    make_request,
)
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    SETTINGS_PAGES,
    Cafe,
    assert_escaped,
    field_error,
    log_in,
    post,
    signed_in,
    statement_counts,
    text_of,
)
from tests.querycount import count_statements

# A user's page calls the API's own read (``people.queries.user_page``: one statement per
# section's lists, privacy decided for each list at once), then adds the user's latest posts:
# the same however many items each section holds. (The header's counts are two statements:
# unread messages and buddy requests, and pending invitations.)
USER_PAGE_BUDGET = 15


def people_pages(cafe: Cafe) -> list[str]:
    """A member's people pages, with the café's owner as the other person."""
    return [
        f"/users/{cafe.owner.id}",
        "/buddies",
        "/messages",
        f"/messages/with/{cafe.owner.id}",
        "/posts",
    ]


# --- A user's page ----------------------------------------------------------------------------


def test_a_users_page_shows_what_their_privacy_allows(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.member.summary = "Coffee first"
    give_points(session, cafe.membership, 40)
    make_post(session, cafe.member, "Best flat white")
    session.flush()
    page = text_of(client.get(f"/users/{cafe.member.id}"))  # a visitor
    assert "Ada Member" in page and "Coffee first" in page and "Best flat white" in page
    assert "Coffee card" not in page  # memberships: members only, by default
    assert "Stamp history" not in page and ">Buddies<" not in page
    stranger = make_user(session, email="stranger@example.com", name="Stranger")
    log_in(client, stranger.email)
    page = text_of(client.get(f"/users/{cafe.member.id}"))
    assert "Ask to be buddies" in page and "Coffee card" not in page
    owner = signed_in(client.application, cafe.owner)  # shares the café with the member
    page = text_of(owner.get(f"/users/{cafe.member.id}"))
    assert "Coffee card" in page and "40 points" in page and "Stamp history" in page
    assert f'href="/programs/{cafe.program.id}"' in page


def test_my_own_page_shows_everything_and_links_to_my_settings(
    client: FlaskClient, cafe: Cafe
) -> None:
    cafe.member.privacy_settings = {"memberships": "private", "redemptions": "private"}
    log_in(client, cafe.member.email)
    page = text_of(client.get(f"/users/{cafe.member.id}"))
    assert "Coffee card" in page and "Edit my profile" in page and "Ask to be buddies" not in page


def test_a_hidden_or_deleted_page_is_not_found(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.member.privacy_settings = {"page": "private"}
    session.flush()
    assert client.get(f"/users/{cafe.member.id}").status_code == 404
    assert client.get("/users/999999").status_code == 404


def test_buddies_of_a_user_link_to_their_pages(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    friend = make_user(session, name="Friendly Fred")
    make_buddies(session, cafe.member, friend)
    cafe.member.privacy_settings = {"buddies": "public"}
    friend.privacy_settings = {"buddies": "public"}
    session.flush()
    page = text_of(client.get(f"/users/{cafe.member.id}"))
    assert f'<a href="/users/{friend.id}">Friendly Fred</a>' in page


# --- Buddies ----------------------------------------------------------------------------------


def test_ask_by_email_then_accept_from_the_buddies_page(
    app, client: FlaskClient, session: Session, cafe: Cafe
) -> None:  # type: ignore[no-untyped-def]
    log_in(client, cafe.member.email)
    bad = post(client, "/buddies", "/buddies", {"email": "nobody@example.com"})
    assert bad.status_code == 404
    assert field_error(text_of(bad), "Nobody you can ask has this email.")
    invalid = post(client, "/buddies", "/buddies", {"email": "not an email"})
    assert invalid.status_code == 422
    done = post(client, "/buddies", "/buddies", {"email": "OWNER@example.com"})
    assert done.status_code == 303
    assert "Buddy request sent." in text_of(client.get("/buddies"))
    again = post(client, "/buddies", "/buddies", {"email": cafe.owner.email})
    assert again.status_code == 409
    assert field_error(text_of(again), "You asked already; wait for an answer.")
    request = session.scalars(select(BuddyRequest)).one()

    owner = signed_in(app, cafe.owner)
    page = text_of(owner.get("/buddies"))
    assert "Asking to be my buddy" in page and f'href="/users/{cafe.member.id}"' in page
    assert "1 buddy request" in text_of(owner.get("/"))  # the badge and the home page
    response = post(owner, f"/buddy-requests/{request.id}/accept", "/buddies", {})
    assert response.status_code == 303
    assert session.scalars(select(Buddy)).one() is not None
    assert "Remove Ada Member from my buddies" in text_of(owner.get("/buddies"))


def test_a_request_from_a_user_page_is_cancelled_or_declined(
    app, client: FlaskClient, session: Session, cafe: Cafe
) -> None:  # type: ignore[no-untyped-def]
    log_in(client, cafe.member.email)
    page = f"/users/{cafe.owner.id}"
    response = post(client, f"/users/{cafe.owner.id}/buddy-request?next={page}", page, {})
    assert response.status_code == 303 and response.headers["Location"] == page
    mine = text_of(client.get(page))
    assert "You asked to be buddies." in mine and "Cancel my request" in mine
    request = session.scalars(select(BuddyRequest)).one()
    post(client, f"/buddy-requests/{request.id}/cancel?next={page}", page, {})
    session.refresh(request)
    assert request.status == "cancelled"
    second = make_request(session, cafe.owner, cafe.member)
    assert "Ada Member asked" not in text_of(client.get(page))
    assert "Olga Owner asked to be your buddy." in text_of(client.get(page))
    post(client, f"/buddy-requests/{second.id}/decline", "/buddies", {})
    session.refresh(second)
    assert second.status == "declined"


def test_answering_someone_elses_request_is_refused(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    other = make_user(session)
    request = make_request(session, other, cafe.owner)
    log_in(client, cafe.member.email)
    response = post(client, f"/buddy-requests/{request.id}/accept", "/buddies", {})
    assert response.status_code == 303
    assert "Not found" in text_of(client.get("/buddies"))
    session.refresh(request)
    assert request.status == "pending"


def test_remove_block_and_unblock(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    make_buddies(session, cafe.member, cafe.owner)
    log_in(client, cafe.member.email)
    removed = post(client, f"/buddies/{cafe.owner.id}/remove", "/buddies", {})
    assert removed.status_code == 303 and session.scalars(select(Buddy)).all() == []
    confirm = client.get(f"/users/{cafe.owner.id}/block")
    assert confirm.status_code == 200 and "they are not told" in text_of(confirm)
    blocked = post(client, f"/users/{cafe.owner.id}/block", f"/users/{cafe.owner.id}/block", {})
    assert blocked.status_code == 303
    assert session.scalars(select(Block)).one().blocked_id == cafe.owner.id
    page = text_of(client.get("/buddies"))
    assert "People I blocked" in page and "Unblock Olga Owner" in page
    refused = post(client, f"/users/{cafe.owner.id}/buddy-request", "/buddies", {})
    assert refused.status_code == 303
    assert "You blocked this person; unblock them first." in text_of(client.get("/buddies"))
    post(client, f"/users/{cafe.owner.id}/unblock", "/buddies", {})
    assert session.scalars(select(Block)).all() == []
    assert client.get("/users/999999/block").status_code == 404
    assert client.get(f"/users/{cafe.member.id}/block").status_code == 404  # myself


# --- Messages ---------------------------------------------------------------------------------


def test_write_read_reply_edit_and_delete_messages(
    app, client: FlaskClient, session: Session, cafe: Cafe
) -> None:  # type: ignore[no-untyped-def]
    log_in(client, cafe.owner.email)
    chat = f"/messages/with/{cafe.member.id}"
    empty = post(client, chat, chat, {"body": "   "})
    assert empty.status_code == 422
    sent = post(
        client, chat, chat, {"body": "Hi Ada!\nFree cake today.", "about": f"task-{cafe.task.id}"}
    )
    assert sent.status_code == 303
    message = session.scalars(select(Message)).one()
    assert message.task_id == cafe.task.id and message.body == "Hi Ada!\nFree cake today."

    member = signed_in(app, cafe.member)
    assert "1 unread message" in text_of(member.get("/"))
    listing = text_of(member.get("/messages"))
    assert "Olga Owner" in listing and "1 unread" in listing
    page = text_of(member.get(f"/messages/with/{cafe.owner.id}"))
    assert "Hi Ada!<br>Free cake today." in page and "About" in page and "Buy a coffee" in page
    assert "Mark 1 message read" in page
    marked = post(
        member, f"/messages/with/{cafe.owner.id}/read", "/messages", {"up_to_id": message.id}
    )
    assert marked.status_code == 303
    session.refresh(message)
    assert message.read_at is not None
    reply = post(member, f"/messages/with/{cafe.owner.id}", "/messages", {"body": "On my way"})
    assert reply.status_code == 303

    own = session.scalars(select(Message).where(Message.from_user_id == cafe.member.id)).one()
    assert member.get(f"/messages/{message.id}/edit").status_code == 403  # not mine: theirs
    edit = f"/messages/{own.id}/edit"
    assert "On my way" in text_of(member.get(edit))
    assert post(member, edit, edit, {"body": ""}).status_code == 422
    assert post(member, edit, edit, {"body": "Running late"}).status_code == 303
    session.refresh(own)
    assert own.body == "Running late" and own.edited_at is not None
    assert "edited" in text_of(member.get(f"/messages/with/{cafe.owner.id}"))
    deleted = post(member, f"/messages/{own.id}/delete", edit, {})
    assert deleted.status_code == 303
    assert session.scalars(select(Message).where(Message.id == own.id)).all() == []


def test_a_reply_marks_their_messages_read(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    first = make_message(session, cafe.owner, cafe.member, "One")
    log_in(client, cafe.member.email)
    chat = f"/messages/with/{cafe.owner.id}"
    post(client, chat, chat, {"body": "Two", "seen": str(first.id)})
    session.refresh(first)
    assert first.read_at is not None


def test_writing_to_someone_who_does_not_take_messages_is_refused(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    stranger = make_user(session, email="stranger@example.com")
    log_in(client, stranger.email)
    chat = f"/messages/with/{cafe.member.id}"
    refused = post(client, chat, chat, {"body": "Hello?"})
    assert refused.status_code == 403
    assert field_error(text_of(refused), "This person&#39;s settings do not let you write to them.")
    cafe.member.privacy_settings = {"page": "private"}
    session.flush()
    assert client.get(chat).status_code == 404  # nothing exchanged, page hidden: no name


def test_someone_elses_message_cannot_be_changed(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    theirs = make_message(session, cafe.owner, make_user(session), "Private")
    log_in(client, cafe.member.email)
    assert client.get(f"/messages/{theirs.id}/edit").status_code == 404
    response = post(client, f"/messages/{theirs.id}/delete", "/messages", {})
    assert response.status_code == 303
    assert session.get(Message, theirs.id) is not None


# --- Posts and reviews ------------------------------------------------------------------------


def test_write_a_post_for_the_program_and_edit_and_delete_it(
    app, client: FlaskClient, session: Session, cafe: Cafe
) -> None:  # type: ignore[no-untyped-def]
    log_in(client, cafe.member.email)
    refused = post(client, "/posts", "/posts", {"body": "Hi all", "audience": "program"})
    assert refused.status_code == 422
    assert field_error(text_of(refused), "Choose the program whose members will read it.")
    done = post(
        client,
        "/posts",
        "/posts",
        {"body": "Hi all", "audience": "program", "program_id": cafe.program.id},
    )
    assert done.status_code == 303
    created = session.scalars(select(Post)).one()
    assert created.audience == "program" and created.program_id == cafe.program.id
    assert "Hi all" in text_of(client.get(done.headers["Location"]))
    listed = text_of(client.get(f"/posts?program_id={cafe.program.id}"))
    assert "Hi all" in listed and "The program's members" in listed
    assert "Hi all" not in text_of(app.test_client().get("/posts"))  # visitors: not for them

    edit = f"/posts/{created.id}/edit"
    assert post(client, edit, edit, {"body": ""}).status_code == 422
    assert post(client, edit, edit, {"body": "Hello all"}).status_code == 303
    session.refresh(created)
    assert created.body == "Hello all" and created.edited_at is not None
    owner = signed_in(app, cafe.owner)
    assert owner.get(edit).status_code == 403  # a manager moderates, but does not edit
    gone = post(client, f"/posts/{created.id}/delete", f"/posts/{created.id}", {})
    assert gone.status_code == 303 and gone.headers["Location"] == "/posts"
    session.refresh(created)
    assert created.deleted_at is not None
    assert client.get(f"/posts/{created.id}").status_code == 404


def test_an_invited_post_goes_to_chosen_buddies(
    app, client: FlaskClient, session: Session, cafe: Cafe
) -> None:  # type: ignore[no-untyped-def]
    make_buddies(session, cafe.member, cafe.owner)
    log_in(client, cafe.member.email)
    missing = post(client, "/posts", "/posts", {"body": "Secret", "audience": "invited"})
    assert missing.status_code == 422 and field_error(
        text_of(missing), "Choose at least one buddy."
    )
    done = post(
        client,
        "/posts",
        "/posts",
        {"body": "Secret", "audience": "invited", "recipient_ids": [cafe.owner.id]},
    )
    assert done.status_code == 303
    page = text_of(client.get(done.headers["Location"]))
    assert "For:" in page and "Olga Owner" in page
    owner = signed_in(app, cafe.owner)
    assert "Secret" in text_of(owner.get("/posts"))
    assert "Secret" not in text_of(app.test_client().get("/posts"))


def test_a_review_earns_the_shops_points_once(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.shop.review_points = 7
    session.flush()
    log_in(client, cafe.member.email)
    reviews = f"/posts?reward_id={cafe.coffee.id}"
    page = text_of(client.get(reviews))
    assert "Review Free coffee" in page and "earns 7 points from the shop, once" in page
    data = {
        "rating": "4",
        "body": "Strong and hot",
        "program_id": cafe.program.id,
        "audience": "public",
        "reward_id": cafe.coffee.id,
    }
    first = post(client, f"/posts/review?reward_id={cafe.coffee.id}", reviews, data)
    assert first.status_code == 303
    assert "the shop gave you 7 points" in text_of(client.get(first.headers["Location"]))
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 7
    page = text_of(client.get(reviews))
    assert "Strong and hot" in page and "4 stars out of 5" in page
    assert "already given you its points" in page
    second = post(client, "/posts/review", reviews, {**data, "body": "Still good"})
    assert second.status_code == 303
    assert "Thank you for your review." in text_of(client.get(second.headers["Location"]))
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 7
    assert len(session.scalars(select(ReviewAward)).all()) == 1

    review = session.scalars(select(Post).where(Post.body == "Strong and hot")).one()
    edit = f"/posts/{review.id}/edit"
    assert post(client, edit, edit, {"body": "Strong", "rating": "2"}).status_code == 303
    session.refresh(review)
    assert (review.body, review.rating) == ("Strong", 2)


def test_only_members_review_and_a_task_review_works(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    stranger = make_user(session, email="stranger@example.com")
    log_in(client, stranger.email)
    reviews = f"/posts?task_id={cafe.task.id}"
    assert "join one to write a review" in text_of(client.get(reviews))
    refused = post(
        client,
        "/posts/review",
        reviews,
        {"rating": "5", "body": "x", "task_id": cafe.task.id, "program_id": cafe.program.id},
    )
    assert refused.status_code == 403
    log_in(client, cafe.member.email)
    done = post(
        client,
        "/posts/review",
        reviews,
        {
            "rating": "5",
            "body": "Easy points",
            "task_id": cafe.task.id,
            "program_id": cafe.program.id,
            "audience": "program",
        },
    )
    assert done.status_code == 303
    assert session.scalars(select(Post)).one().task_id == cafe.task.id
    assert client.get("/posts/review").status_code == 405
    nothing = post(client, "/posts/review", reviews, {"rating": "5", "body": "x"})
    assert nothing.status_code == 404


def test_someone_elses_post_cannot_be_edited_or_deleted(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    theirs = make_post(session, cafe.owner, "Mine alone")
    log_in(client, cafe.member.email)
    assert client.get(f"/posts/{theirs.id}/edit").status_code == 403
    response = post(client, f"/posts/{theirs.id}/delete", "/posts", {})
    assert response.status_code == 303
    session.refresh(theirs)
    assert theirs.deleted_at is None
    private = make_post(session, cafe.owner, "Note", audience="private")
    assert client.get(f"/posts/{private.id}").status_code == 404
    assert client.get(f"/posts/{private.id}/edit").status_code == 404


def test_mangled_filters_never_break_the_posts_page(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    for path in (
        "/posts?program_id=abc&cursor=%%%",
        "/posts?reward_id=-1",
        f"/posts?reward_id={cafe.coffee.id}&task_id={cafe.task.id}",
        "/posts?author_id=99999999999999999999999",
        "/messages?cursor=!!",
        "/buddies?cursor=" + "z" * 300,
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "not understood" in text_of(client.get("/posts?reward_id=-1"))


# --- Signed out, escaping, cost ---------------------------------------------------------------


def test_signed_out_visitors_are_asked_to_sign_in(client: FlaskClient, cafe: Cafe) -> None:
    for path in ("/buddies", "/messages", f"/messages/with/{cafe.member.id}"):
        assert client.get(path).status_code == 401, path
    assert "to post or review" in text_of(client.get("/posts"))


def test_user_content_is_escaped_on_the_people_pages(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.owner.name = cafe.owner.summary = EVIL
    cafe.program.name = EVIL
    make_buddies(session, cafe.member, cafe.owner)
    make_message(session, cafe.owner, cafe.member, EVIL, program_id=cafe.program.id)
    make_post(session, cafe.owner, EVIL, program_id=cafe.program.id)
    make_request(session, make_user(session, name=EVIL), cafe.member)
    session.flush()
    log_in(client, cafe.member.email)
    assert_escaped(client, [*people_pages(cafe), f"/users/{cafe.owner.id}/block"])


def test_people_pages_stay_within_a_handful_of_queries(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    cafe.member.privacy_settings = dict.fromkeys(
        ("buddies", "memberships", "task_history", "redemptions", "favorites"), "public"
    )
    shop = make_shop(session, cafe.member, name="Member's own")
    program = make_program(session, shop)
    for n in range(12):
        person = make_user(session, name=f"Person {n}")
        person.privacy_settings = {"buddies": "public"}
        make_buddies(session, cafe.member, person)
        make_message(session, person, cafe.member, f"Message {n}", program_id=cafe.program.id)
        make_message(session, cafe.member, cafe.owner, f"To owner {n}", task_id=cafe.task.id)
        make_post(session, person, f"Post {n}", program_id=cafe.program.id)
        make_post(
            session,
            cafe.member,
            f"Mine {n}",
            reward_id=cafe.coffee.id,
            rating=4,
            program_id=cafe.program.id,
        )
        make_request(session, make_user(session), cafe.member)
        make_block(session, cafe.member, make_user(session))
        make_task(session, program, name=f"Task {n}")
        make_reward(session, shop, name=f"Reward {n}", cost=n + 1)
        give_points(session, make_membership(session, make_program(session, shop), cafe.member), 3)
    viewer = make_user(session, email="viewer@example.com")
    make_membership(session, cafe.program, viewer)
    make_buddies(session, viewer, cafe.member)
    log_in(client, cafe.member.email)
    paths = [
        *people_pages(cafe),  # the user page too, now that it is within the budget
        f"/posts?reward_id={cafe.coffee.id}",
        f"/posts?program_id={cafe.program.id}",
        f"/users/{cafe.owner.id}/block",
    ]
    counts = statement_counts(client, engine, paths)
    assert max(counts.values()) <= PAGE_BUDGET, counts
    assert session.scalars(select(Membership)).first() is not None


def test_ids_are_unique_so_every_label_finds_its_control(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    make_buddies(session, cafe.member, cafe.owner)
    make_message(session, cafe.owner, cafe.member, "Hello")
    make_request(session, make_user(session), cafe.member)
    log_in(client, cafe.member.email)
    for path in (
        *people_pages(cafe),
        f"/posts?reward_id={cafe.coffee.id}",
        f"/posts?program_id={cafe.program.id}",
        "/",
        *SETTINGS_PAGES,
    ):
        ids = re.findall(r'\sid="([^"]+)"', text_of(client.get(path)))
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))
        labels = re.findall(r'<label[^>]*for="([^"]+)"', text_of(client.get(path)))
        assert set(labels) <= set(ids), path


def _a_full_life(session: Session, cafe: Cafe, size: int) -> User:
    """Another user with ``size`` of everything, all of it public."""
    owner = make_user(session, name=f"Busy {size}")
    owner.privacy_settings = dict.fromkeys(
        ("buddies", "memberships", "task_history", "redemptions", "favorites"), "public"
    )
    shop = make_shop(session, owner, name=f"Shop of {size}")
    for n in range(size):
        program = make_program(session, shop, name=f"Program {n}")
        make_membership(session, program, owner)
        make_task(session, program, name=f"Task {n}", created_by=owner.id)
        reward = make_reward(session, shop, name=f"Reward {n}", cost=n + 1)
        session.add(Favorite(user_id=owner.id, reward_id=reward.id))
        friend = make_user(session, name=f"Friend {size}-{n}")
        friend.privacy_settings = {"buddies": "public"}
        make_buddies(session, owner, friend)
        make_post(session, owner, f"Post {n}", program_id=program.id)
    session.flush()
    return owner


def test_a_users_page_costs_the_same_however_full(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    counts = []
    for size in (1, 12):
        owner = _a_full_life(session, cafe, size)
        make_membership(session, make_program(session, make_shop(session, owner)), cafe.member)
        with count_statements(engine) as statements:
            page = client.get(f"/users/{owner.id}")
        assert page.status_code == 200
        assert "Program 0" in text_of(page) and f"Post {size - 1}" in text_of(page)
        counts.append(statements.count)
    assert counts[0] == counts[1] <= USER_PAGE_BUDGET, counts
    assert session.scalars(select(Membership)).first() is not None
