"""People API: buddies, buddy requests, blocks, messages, conversations, posts.

Buddy requests, messages and posts are rate limited per sender (``BUDDY_REQUEST_RATE_LIMIT``,
``MESSAGE_RATE_LIMIT``, ``POST_RATE_LIMIT``), so that one account cannot flood another.
"""

from __future__ import annotations

from stampbook.accounts.auth import current_user, me
from stampbook.accounts.policy import AccountAction
from stampbook.accounts.schemas import (
    UserOut,
)
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.people import (
    buddy_queries,
    limits,
    message_queries,
    message_services,
    post_queries,
    post_services,
    queries,
    services,
)
from stampbook.people.policy import PeopleAction
from stampbook.people.schemas import (
    BlockOut,
    BlockPage,
    BuddyOut,
    BuddyPage,
    BuddyRequestIn,
    BuddyRequestOut,
    BuddyRequestPage,
    BuddyRequestQuery,
    ConversationPage,
    MessageIn,
    MessageOut,
    MessagePage,
    MessagePatch,
    MessageQuery,
    PostCreated,
    PostIn,
    PostOut,
    PostPage,
    PostPatch,
    PostQuery,
    ReadIn,
    ReadOut,
    UserPageOut,
)

bp = ApiBlueprint("people", __name__, url_prefix="/api/v1", tag="People")


# --- Buddies ----------------------------------------------------------------------------------


@bp.get("/buddies")
@route(Access.USER)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(BuddyPage)
@bp.doc(summary="My buddies, newest friendship first")
def list_buddies(query: PageQuery) -> BuddyPage:
    return buddy_queries.my_buddies(me(), query)


@bp.post("/buddies")
@route(Access.USER)
@limits.buddy_request
@bp.input(BuddyRequestIn, arg_name="body")
@bp.output(BuddyRequestOut, status_code=201)
@bp.doc(
    summary="Ask someone to be buddies (accepts their request if they asked you first)",
    description=(
        "Refused: yourself (409 `self_request`), a user you cannot see (404), a block either "
        "way (403 `you_blocked_user`, `blocked_by_user`), buddies already (409 "
        "`already_buddies`), a request of yours still pending (409 `request_pending`)."
    ),
    responses=[403, 404, 409, 429],
)
def send_buddy_request(body: BuddyRequestIn) -> BuddyRequestOut:
    request = services.send_request(me(), user_id=body.user_id)
    return buddy_queries.request_outs([request])[0]


@bp.delete("/buddies/<int:user_id>")
@route(Access.USER)
@bp.output({}, status_code=204)
@bp.doc(summary="Stop being buddies with someone", responses=[404])
def remove_buddy(user_id: int) -> tuple[str, int]:
    services.remove_buddy(me(), user_id=user_id)
    return "", 204


@bp.get("/users/<int:user_id>/buddies")
@route(Access.PUBLIC, action=AccountAction.USER_VIEW)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(BuddyPage)
@bp.doc(
    summary="A user's buddies, as their privacy allows (and each buddy's own)",
    responses=[404],
)
def list_user_buddies(user_id: int, query: PageQuery) -> BuddyPage:
    return buddy_queries.user_buddies(current_user(), user_id, query)


@bp.get("/buddy-requests")
@route(Access.USER)
@bp.input(BuddyRequestQuery, location="query", arg_name="query")
@bp.output(BuddyRequestPage)
@bp.doc(summary="Pending buddy requests to me (incoming) or from me (outgoing)")
def list_buddy_requests(query: BuddyRequestQuery) -> BuddyRequestPage:
    return buddy_queries.buddy_requests(me(), query)


@bp.post("/buddy-requests/<int:request_id>/accept")
@route(Access.USER, action=PeopleAction.BUDDY_REQUEST_RESPOND)
@bp.output(BuddyOut)
@bp.doc(summary="Accept a buddy request made to me", responses=[403, 404, 409])
def accept_buddy_request(request_id: int) -> BuddyOut:
    actor = me()
    return buddy_queries.buddy_out(actor, services.accept_request(actor, request_id))


@bp.post("/buddy-requests/<int:request_id>/decline")
@route(Access.USER, action=PeopleAction.BUDDY_REQUEST_RESPOND)
@bp.output(BuddyRequestOut)
@bp.doc(summary="Decline a buddy request made to me", responses=[403, 404, 409])
def decline_buddy_request(request_id: int) -> BuddyRequestOut:
    return buddy_queries.request_outs([services.decline_request(me(), request_id)])[0]


@bp.delete("/buddy-requests/<int:request_id>")
@route(Access.USER, action=PeopleAction.BUDDY_REQUEST_CANCEL)
@bp.output({}, status_code=204)
@bp.doc(summary="Cancel a buddy request I made", responses=[403, 404, 409])
def cancel_buddy_request(request_id: int) -> tuple[str, int]:
    services.cancel_request(me(), request_id)
    return "", 204


# --- Blocks -----------------------------------------------------------------------------------


@bp.get("/blocks")
@route(Access.USER)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(BlockPage)
@bp.doc(summary="The users I blocked")
def list_blocks(query: PageQuery) -> BlockPage:
    return buddy_queries.my_blocks(me(), query)


@bp.post("/blocks/<int:user_id>")
@route(Access.USER)
@bp.output(BlockOut, status_code=201)
@bp.doc(
    summary="Block a user: no more buddy requests or messages between us; ends our friendship",
    responses=[404, 409],
)
def block_user(user_id: int) -> BlockOut:
    return buddy_queries.block_out(services.block(me(), user_id=user_id))


@bp.delete("/blocks/<int:user_id>")
@route(Access.USER)
@bp.output({}, status_code=204)
@bp.doc(summary="Unblock a user", responses=[404])
def unblock_user(user_id: int) -> tuple[str, int]:
    services.unblock(me(), user_id=user_id)
    return "", 204


# --- Messages ---------------------------------------------------------------------------------


@bp.get("/messages")
@route(Access.USER)
@bp.input(MessageQuery, location="query", arg_name="query")
@bp.output(MessagePage)
@bp.doc(summary="My messages, sent and received, newest first; ?with_user_id= for one chat")
def list_messages(query: MessageQuery) -> MessagePage:
    return message_queries.messages(me(), query)


@bp.post("/messages")
@route(Access.USER)
@limits.message
@bp.input(MessageIn, arg_name="body")
@bp.output(MessageOut, status_code=201)
@bp.doc(
    summary="Send a private message",
    description=(
        "Anyone may answer a person who wrote to them. Otherwise the recipient's `messages` "
        "privacy setting decides (403 `messages_not_allowed`); a block either way refuses it "
        "(403 `blocked_by_user`, `you_blocked_user`); yourself: 409 `self_message`."
    ),
    responses=[403, 404, 409, 429],
)
def send_message(body: MessageIn) -> MessageOut:
    message = message_services.send_message(me(), **body.model_dump())
    return MessageOut.model_validate(message)


@bp.patch("/messages/<int:message_id>")
@route(Access.USER, action=PeopleAction.MESSAGE_EDIT, subject=message_services.own_message)
@bp.input(MessagePatch, arg_name="body")
@bp.output(MessageOut)
@bp.doc(summary="Edit a message I sent (records edited_at)", responses=[403, 404])
def edit_message(message_id: int, body: MessagePatch) -> MessageOut:
    return MessageOut.model_validate(
        message_services.edit_message(me(), message_id, body=body.body)
    )


@bp.delete("/messages/<int:message_id>")
@route(Access.USER, action=PeopleAction.MESSAGE_DELETE)
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a message I sent", responses=[403, 404])
def delete_message(message_id: int) -> tuple[str, int]:
    message_services.delete_message(me(), message_id)
    return "", 204


@bp.get("/conversations")
@route(Access.USER)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(ConversationPage)
@bp.doc(summary="My conversations, latest first, each with its last message and unread count")
def list_conversations(query: PageQuery) -> ConversationPage:
    return message_queries.conversations(me(), query)


@bp.post("/conversations/<int:user_id>/read")
@route(Access.USER)
@bp.input(ReadIn, arg_name="body")
@bp.output(ReadOut)
@bp.doc(
    operation_id="mark_conversation_read",
    summary="Mark the messages a user sent me read (up to up_to_id, or all)",
    responses=[404],
)
def mark_read(user_id: int, body: ReadIn) -> ReadOut:
    return ReadOut(marked=message_services.mark_read(me(), user_id=user_id, up_to_id=body.up_to_id))


# --- Posts ------------------------------------------------------------------------------------


@bp.get("/posts")
@route(Access.PUBLIC, action=PeopleAction.POST_VIEW)
@bp.input(PostQuery, location="query", arg_name="query")
@bp.output(PostPage)
@bp.doc(summary="Posts and reviews I may see, newest first; filter by program, author, item")
def list_posts(query: PostQuery) -> PostPage:
    return post_queries.list_posts(current_user(), query)


@bp.post("/posts")
@route(Access.USER, idempotent=True)
@limits.post
@bp.input(PostIn, arg_name="body")
@bp.output(PostCreated, status_code=201)
@bp.doc(
    summary="Post to the public, a program's members, invited users or myself; or review",
    description=(
        "A review (`rating` with `reward_id` or `task_id`, and `program_id`) by an active "
        "member of the program earns once per member and item, when it is public or for the "
        "program: by the program's live `review` earning rule (its points, window and limit "
        "per member per period), else the shop's `review_points`. Deleting the review takes "
        "back what it earned, as far as the balance holds it. Accepts Idempotency-Key."
    ),
    responses=[403, 404, 409, 429],
)
def create_post(body: PostIn) -> PostCreated:
    actor = me()
    post, points = post_services.create_post(actor, **body.model_dump())
    out = post_queries.post_outs(actor, [post])[0]
    return PostCreated(**out.model_dump(), points_awarded=points)


@bp.get("/posts/<int:post_id>")
@route(Access.PUBLIC, action=PeopleAction.POST_VIEW)
@bp.output(PostOut)
@bp.doc(summary="A post", responses=[404])
def get_post(post_id: int) -> PostOut:
    user = current_user()
    return post_queries.post_outs(user, [post_services.get_post(user, post_id)])[0]


@bp.patch("/posts/<int:post_id>")
@route(Access.USER, action=PeopleAction.POST_EDIT, subject=post_services.get_post)
@bp.input(PostPatch, arg_name="body")
@bp.output(PostOut)
@bp.doc(summary="Edit my post (records edited_at)", responses=[403, 404, 409])
def edit_post(post_id: int, body: PostPatch) -> PostOut:
    actor = me()
    post = post_services.edit_post(actor, post_id, body.model_dump(exclude_unset=True))
    return post_queries.post_outs(actor, [post])[0]


@bp.delete("/posts/<int:post_id>")
@route(Access.USER, action=PeopleAction.POST_DELETE)
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a post (its author, or the program's managers)", responses=[403, 404])
def delete_post(post_id: int) -> tuple[str, int]:
    post_services.delete_post(me(), post_id)
    return "", 204


@bp.get("/users/<int:user_id>")
@route(Access.PUBLIC, action=AccountAction.USER_VIEW)
@bp.output(UserPageOut)
@bp.doc(
    tags=["Accounts"],
    summary="A user's page, as their privacy settings allow",
    description=(
        "Details, and up to 20 items of each part the caller may see: shops, programs (with "
        "points), tasks and stamp history, rewards, buddies. A part hidden by the user's "
        "privacy settings is null; a hidden page is 404."
    ),
    responses=[404],
)
def get_user(user_id: int) -> UserPageOut:
    owner, sections = queries.user_page(current_user(), user_id)
    return UserPageOut(**UserOut.model_validate(owner).model_dump(), **sections.model_dump())
