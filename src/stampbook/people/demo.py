"""Demo people for a demo shop: buddies, a pending request, a conversation, posts, a review.

Made through the services, as users would make them. Expects at least three users: the
shop's owner, someone on its team, and a member of its first program.
"""

from __future__ import annotations

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.people import message_services, post_services, services
from stampbook.people.models import Buddy, PostAudience
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop

REVIEW_POINTS = 5


def add_demo_people(user_ids: list[int], shop_id: int, program_ids: list[int]) -> None:
    """Once: a second call finds the owner's buddies and changes nothing."""
    owner, helper, regular = (db.session.get_one(User, uid) for uid in user_ids[:3])
    mine = (Buddy.user1_id == owner.id) | (Buddy.user2_id == owner.id)
    if db.session.scalar(select(Buddy.id).where(mine)) is not None:
        return
    shop = db.session.get_one(Shop, shop_id)
    card = program_ids[0]

    # Buddies: the owner and the helper; the regular asks the helper, who has not answered.
    services.send_request(owner, user_id=helper.id)
    services.send_request(helper, user_id=owner.id)  # asking back accepts
    services.send_request(regular, user_id=helper.id)

    # A conversation about the coffee card; the last message is still unread.
    message_services.send_message(
        regular,
        to_user_id=helper.id,
        body="Is the card stamped per cup or per visit?",
        program_id=card,
    )
    message_services.send_message(
        helper, to_user_id=regular.id, body="Per cup! Two cups, two stamps."
    )
    message_services.send_message(
        regular, to_user_id=helper.id, body="Then see you twice tomorrow."
    )

    # Posts: news for the card's members, and a review that earns the shop's review points.
    shop.review_points = REVIEW_POINTS
    post_services.create_post(
        owner,
        body="New this week: oat milk at no extra cost.",
        audience=PostAudience.PROGRAM,
        program_id=card,
    )
    reward = db.session.scalars(
        select(Reward)
        .where(Reward.shop_id == shop.id, Reward.deleted_at.is_(None))
        .order_by(Reward.id)
    ).first()
    if reward is not None:
        post_services.create_post(
            regular,
            body=f"{reward.name}: worth every stamp.",
            program_id=card,
            rating=5,
            reward_id=reward.id,
        )
    post_services.create_post(
        regular, body="Note to self: try the lemon cake.", audience=PostAudience.PRIVATE
    )


def load(world: DemoWorld) -> None:
    shop_id, program_ids = world.at()
    add_demo_people(world.user_ids, shop_id, program_ids)
