"""API input and output of buddies, blocks, messages and posts.

Texts are stored and answered exactly as sent (JSON is data, not markup); whatever renders
them as HTML escapes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from stampbook.accounts.schemas import UserOut
from stampbook.core.pagination import Page, PageQuery
from stampbook.core.schemas import (
    NOT_BLANK,
    Input,
    Keep,
    Output,
    at_most_one,
    only_if,
    sent,
)
from stampbook.core.schemas import UserRef as UserRef  # re-exported: people's queries use it
from stampbook.people.models import PostAudience, RequestStatus

Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
MAX_MESSAGE_LENGTH = 4000
MAX_POST_LENGTH = 10000
MAX_RECIPIENTS = 50

MessageBody = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_LENGTH, pattern=NOT_BLANK)
]
PostBody = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_POST_LENGTH, pattern=NOT_BLANK)
]
Rating = Annotated[int, Field(ge=1, le=5, strict=True)]


# --- Buddies and blocks -----------------------------------------------------------------------


class BuddyRequestIn(Input):
    user_id: Id = Field(description="Whom to ask.", examples=[7])


class BuddyRequestOut(Output):
    id: int = Field(examples=[12])
    from_user: UserRef
    to_user: UserRef
    status: RequestStatus = Field(
        description="`accepted` at once when the other person had already asked you.",
        examples=["pending"],
    )
    created_at: datetime
    responded_at: datetime | None = None


class BuddyRequestPage(Page):
    items: list[BuddyRequestOut]


class BuddyRequestQuery(PageQuery):
    direction: Literal["incoming", "outgoing"] = Field(
        "incoming", description="Requests to me (incoming) or from me (outgoing); pending only."
    )


class BuddyOut(Output):
    user: UserRef
    since: datetime = Field(description="When the friendship began.")


class BuddyPage(Page):
    items: list[BuddyOut]


class BlockOut(Output):
    user: UserRef
    created_at: datetime


class BlockPage(Page):
    items: list[BlockOut]


# --- Messages ---------------------------------------------------------------------------------


class MessageIn(Input):
    to_user_id: Id = Field(examples=[7])
    body: MessageBody = Field(
        description=f"Plain text, up to {MAX_MESSAGE_LENGTH} characters.",
        examples=["See you at the café on Friday?"],
    )
    shop_id: Id | None = Field(None, description="The shop it is about, if any.", examples=[1])
    program_id: Id | None = Field(None, description="The program it is about, if any.")
    task_id: Id | None = Field(None, description="The task it is about, if any.")


class MessagePatch(Input):
    body: MessageBody = Field(examples=["See you at the café on Saturday?"])


class MessageOut(Output):
    id: int = Field(examples=[40])
    from_user_id: int = Field(examples=[3])
    to_user_id: int = Field(examples=[7])
    body: str = Field(examples=["See you at the café on Friday?"])
    shop_id: int | None = None
    program_id: int | None = None
    task_id: int | None = None
    created_at: datetime
    edited_at: datetime | None = Field(None, description="Set when its sender edited it.")
    read_at: datetime | None = Field(None, description="When its recipient marked it read.")


class MessagePage(Page):
    items: list[MessageOut]


class MessageQuery(PageQuery):
    with_user_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Only the conversation with this user."
    )


class ConversationOut(Output):
    user: UserRef = Field(description="The other person.")
    last_message: MessageOut
    unread_count: int = Field(description="Messages from them I have not marked read.")


class ConversationPage(Page):
    items: list[ConversationOut]


class ReadIn(Input):
    up_to_id: Id | None = Field(
        None,
        description="Mark their messages up to this id read; all of them if left out.",
        examples=[40],
    )


class ReadOut(Output):
    marked: int = Field(description="How many messages were marked read.", examples=[3])


# --- Posts and reviews ------------------------------------------------------------------------

REVIEW_RULES: dict[str, Any] = {
    "allOf": [
        at_most_one("reward_id", "task_id"),
        only_if(
            {"anyOf": [sent("rating"), sent("reward_id"), sent("task_id")]},
            {
                "allOf": [
                    sent("rating"),
                    sent("program_id"),
                    {"anyOf": [sent("reward_id"), sent("task_id")]},
                    {
                        "properties": {
                            "audience": {"enum": [PostAudience.PUBLIC, PostAudience.PROGRAM]}
                        }
                    },
                ]
            },
        ),
        only_if(sent("audience", {"const": PostAudience.PROGRAM.value}), sent("program_id")),
        only_if(sent("audience", {"const": PostAudience.INVITED.value}), sent("recipient_ids")),
        only_if(sent("recipient_ids"), sent("audience", {"const": PostAudience.INVITED.value})),
    ]
}


class PostIn(Input):
    """A post; with a ``rating`` and a ``reward_id`` or ``task_id`` it is a review of that item
    (``program_id`` names the program the author is a member of)."""

    model_config = ConfigDict(json_schema_extra=REVIEW_RULES)

    body: PostBody = Field(examples=["The carrot cake is the best in town."])
    audience: PostAudience = Field(
        PostAudience.PUBLIC,
        description="public, program (its members), invited (recipient_ids) or private.",
        examples=["public"],
    )
    program_id: Id | None = Field(None, examples=[1])
    recipient_ids: (
        Annotated[
            list[Id],
            Field(min_length=1, max_length=MAX_RECIPIENTS, json_schema_extra={"uniqueItems": True}),
        ]
        | None
    ) = Field(None, description="For an invited post: whom it is for.", examples=[[7, 9]])
    rating: Rating | None = Field(None, description="1 to 5 stars, for a review.", examples=[5])
    reward_id: Id | None = Field(None, description="The reward reviewed.", examples=[4])
    task_id: Id | None = Field(None, description="The task reviewed.")

    @model_validator(mode="after")
    def _consistent(self) -> PostIn:
        subject = self.reward_id is not None or self.task_id is not None
        if self.reward_id is not None and self.task_id is not None:
            raise ValueError("a review is of one reward or one task")
        if subject or self.rating is not None:
            if self.rating is None or not subject or self.program_id is None:
                raise ValueError("a review needs a rating, a reward or task, and a program_id")
            if self.audience not in (PostAudience.PUBLIC, PostAudience.PROGRAM):
                raise ValueError("a review is public or for the program's members")
        if self.audience == PostAudience.PROGRAM and self.program_id is None:
            raise ValueError("a post for a program's members needs program_id")
        if (self.audience == PostAudience.INVITED) != (self.recipient_ids is not None):
            raise ValueError("recipient_ids go with, and only with, audience 'invited'")
        if self.recipient_ids is not None and len(set(self.recipient_ids)) != len(
            self.recipient_ids
        ):
            raise ValueError("recipient_ids lists each user once")
        return self


class PostPatch(Input):
    """Only the fields sent change."""

    body: Keep[PostBody] = Field(None, examples=["Edit: the lemon cake is even better."])
    rating: Keep[Rating] = Field(None, description="A review's rating (not a plain post's).")


class PostOut(Output):
    id: int = Field(examples=[21])
    author: UserRef
    audience: PostAudience
    program_id: int | None = None
    body: str = Field(examples=["The carrot cake is the best in town."])
    rating: int | None = Field(None, examples=[5])
    reward_id: int | None = None
    task_id: int | None = None
    recipient_ids: list[int] | None = Field(
        None, description="Whom an invited post is for (shown to its author only)."
    )
    created_at: datetime
    edited_at: datetime | None = None


class PostCreated(PostOut):
    points_awarded: int = Field(
        0,
        description="Points this review earned (once per item): by the program's review rule, "
        "campaigns included, else the shop's `review_points`.",
        examples=[5],
    )


class PostPage(Page):
    items: list[PostOut]


class PostQuery(PageQuery):
    program_id: int | None = Field(None, ge=1, le=2**63 - 1)
    author_id: int | None = Field(None, ge=1, le=2**63 - 1)
    reward_id: int | None = Field(None, ge=1, le=2**63 - 1, description="Reviews of a reward.")
    task_id: int | None = Field(None, ge=1, le=2**63 - 1, description="Reviews of a task.")


# --- A user's page ----------------------------------------------------------------------------

Relationship = Literal["self", "buddy", "request_sent", "request_received", "blocked", "none"]


class ShopRef(Output):
    id: int = Field(examples=[1])
    name: str = Field(examples=["Corner Café"])
    color: str | None = None
    icon: str | None = None


class ProgramRef(Output):
    id: int = Field(examples=[2])
    name: str = Field(examples=["Coffee card"])
    shop_id: int = Field(examples=[1])


class MembershipRef(Output):
    membership_id: int = Field(examples=[5])
    program_id: int = Field(examples=[2])
    program_name: str = Field(examples=["Coffee card"])
    shop_id: int = Field(examples=[1])
    role_type: str = Field(examples=["member"])
    balance: int = Field(description="The membership's points.", examples=[120])


class TaskRef(Output):
    id: int = Field(examples=[8])
    name: str = Field(examples=["Buy a coffee"])
    program_id: int = Field(examples=[2])


class StampRef(Output):
    id: int = Field(examples=[31])
    task_id: int = Field(examples=[8])
    task_name: str = Field(examples=["Buy a coffee"])
    program_id: int = Field(examples=[2])
    quantity: int = Field(examples=[1])
    points: int = Field(examples=[10])
    created_at: datetime


class RewardRef(Output):
    id: int = Field(examples=[4])
    name: str = Field(examples=["Free coffee"])
    shop_id: int = Field(examples=[1])
    cost: int = Field(examples=[50])


class ContributionRef(Output):
    reward_id: int = Field(examples=[6])
    reward_name: str = Field(examples=["Team breakfast"])
    shop_id: int = Field(examples=[1])
    points: int = Field(description="Points put toward it, refunds aside.", examples=[30])


class ReceiptRef(Output):
    redemption_id: int = Field(examples=[9])
    reward_id: int = Field(examples=[4])
    name: str = Field(description="The reward's name when redeemed.", examples=["Free coffee"])
    shop_id: int = Field(examples=[1])
    quantity: int = Field(examples=[1])
    created_at: datetime


# On a user's page, ``null`` means "hidden by their privacy settings" and ``[]`` "nothing".
Shown = Field(None, description="null: hidden by the user's privacy settings.")


class ShopsSection(Output):
    created: list[ShopRef] | None = Shown
    managed: list[ShopRef] | None = Shown
    assisted: list[ShopRef] | None = Shown


class ProgramsSection(Output):
    created: list[ProgramRef] | None = Shown
    managed: list[MembershipRef] | None = Shown
    assisted: list[MembershipRef] | None = Shown
    joined: list[MembershipRef] | None = Shown


class TasksSection(Output):
    created: list[TaskRef] | None = Shown
    managed: list[TaskRef] | None = Shown
    assisted: list[TaskRef] | None = Shown
    stamps: list[StampRef] | None = Field(
        None, description="Stamp history, newest first; null: hidden by privacy settings."
    )


class RewardsSection(Output):
    created: list[RewardRef] | None = Shown
    favorited: list[RewardRef] | None = Shown
    contributed: list[ContributionRef] | None = Shown
    redeemed: list[ReceiptRef] | None = Shown


class UserSections(Output):
    relationship: Relationship | None = Field(
        None, description="What the caller is to this user (null when signed out)."
    )
    shops: ShopsSection
    programs: ProgramsSection
    tasks: TasksSection
    rewards: RewardsSection
    buddies: list[UserRef] | None = Shown


class UserPageOut(UserOut, UserSections):
    """A user's page: details, and each part the caller may see (null: hidden)."""
