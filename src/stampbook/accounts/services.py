"""Account use cases. Services never commit: the unit of work around them does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from stampbook.accounts import passwords, tokens
from stampbook.accounts.models import DEFAULT_PRIVACY, Section, Token, TokenKind, User
from stampbook.accounts.policy import shops_of
from stampbook.accounts.queries import normalise_email
from stampbook.core import outbox
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, NotFound, Unauthorized
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.policy import require
from stampbook.people.policy import team_shops
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopAction
from stampbook.tasks.models import Task


def register(*, email: str, name: str, password: str, time_zone: str = "UTC") -> User:
    email = normalise_email(email)
    taken = db.session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if taken:
        raise Conflict(code="email_taken")
    user = User(
        email=email, name=name, time_zone=time_zone, password_hash=passwords.hash_password(password)
    )
    db.session.add(user)
    db.session.flush()
    # The confirmation link's email (``flows.confirmations``) follows from this.
    outbox.record(OccurrenceType.USER_REGISTERED, shop_id=None, user_id=user.id)
    return user


def check_credentials(*, email: str, password: str) -> User:
    """The user these credentials open; the same refusal whether or not the email exists."""
    user = db.session.scalars(
        select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None))
    ).first()
    if not passwords.verify_password(user.password_hash if user else None, password) or not user:
        raise Unauthorized(code="invalid_credentials")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def log_in(*, email: str, password: str, kind: TokenKind) -> tuple[str, Token]:
    user = check_credentials(email=email, password=password)
    lifetime = timedelta(days=current_app.config["TOKEN_LIFETIME_DAYS"])
    return tokens.issue(user, kind=kind, lifetime=lifetime)


def log_out(token: Token) -> None:
    tokens.revoke(token)


def effective_privacy(user: User) -> dict[str, str]:
    return {section: user.privacy(Section(section)) for section in DEFAULT_PRIVACY}


def update_profile(user: User, changes: dict[str, Any]) -> User:
    for field, value in changes.items():
        if field == "privacy_settings":
            value = {**user.privacy_settings, **{str(k): str(v) for k, v in value.items()}}
        elif field == "order_settings":
            value = _checked_order(user, value)
        elif value is None and field in {"name", "time_zone"}:
            continue  # required fields cannot be emptied
        elif field == "phone" and value != user.phone:
            user.sms_opted_out_at = None  # the opt-out was the old number's
        elif field == "birthday" and value != user.birthday:
            user.birthday_set_at = utcnow()  # when it was set decides its first year
        setattr(user, field, value)
    db.session.flush()
    return user


def _checked_order(user: User, order: dict[str, Any]) -> dict[str, Any]:
    """The ordering of the user's own pages names only their shops, and tasks of their
    programs under the right program (404 otherwise, as elsewhere)."""
    shop_ids = list(order.get("shop_ids", []))
    program_tasks = {int(k): list(v) for k, v in order.get("program_task_ids", {}).items()}
    if shop_ids:
        mine = set(db.session.scalars(select(shops_of(user.id).subquery().c[0])))
        foreign = [i for i in shop_ids if i not in mine]
        if foreign:
            raise NotFound(
                thing="your_shops",
                field="shop_ids",
                ids=", ".join(map(str, foreign)),
                count=len(foreign),
            )
    if program_tasks:
        programs = set(
            db.session.scalars(
                select(Membership.program_id).where(
                    Membership.user_id == user.id,
                    Membership.program_id.in_(program_tasks),
                    Membership.status == MembershipStatus.ACTIVE,
                )
            )
        ) | set(
            db.session.scalars(
                select(Program.id).where(
                    Program.id.in_(program_tasks), Program.shop_id.in_(team_shops(user))
                )
            )
        )
        wanted = [t for tasks in program_tasks.values() for t in tasks]
        task_program = dict(
            db.session.execute(
                select(Task.id, Task.program_id).where(
                    Task.id.in_(wanted), Task.deleted_at.is_(None)
                )
            ).all()
        )
        for program_id, task_ids in program_tasks.items():
            if program_id not in programs:
                raise NotFound(thing="your_program", field="program_task_ids", program=program_id)
            foreign = [t for t in task_ids if task_program.get(t) != program_id]
            if foreign:
                raise NotFound(
                    thing="program_tasks",
                    field="program_task_ids",
                    program=program_id,
                    ids=", ".join(map(str, foreign)),
                    count=len(foreign),
                )
    return {
        "shop_ids": shop_ids,
        "program_task_ids": {str(k): v for k, v in program_tasks.items()},
    }


def change_email(user: User, *, email: str, password: str) -> User:
    """A new sign-in address, confirmed with the current password."""
    if not passwords.verify_password(user.password_hash, password):
        raise Unauthorized(code="invalid_credentials", given="password")
    email = normalise_email(email)
    if email != user.email:
        taken = db.session.scalar(select(User.id).where(User.email == email))
        if taken is not None:
            raise Conflict(code="email_taken")
        user.email = email
        # Nobody has shown the new address is theirs yet, whoever held it before.
        user.email_verified_at = None
        db.session.flush()
        outbox.record(OccurrenceType.USER_EMAIL_CHANGED, shop_id=None, user_id=user.id)
    return user


def star_shop(user: User, *, shop_id: int) -> User:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(thing="shop")
    require(user, ShopAction.SHOP_VIEW, shop)
    user.starred_shop_id = shop.id
    db.session.flush()
    return user


def unstar_shop(user: User) -> User:
    user.starred_shop_id = None
    db.session.flush()
    return user


def change_password(
    user: User, *, old_password: str, new_password: str, keep_token_id: int | None = None
) -> None:
    """Set a new password; every other session and token of the user ends."""
    if not passwords.verify_password(user.password_hash, old_password):
        raise Unauthorized(code="invalid_credentials", given="password")
    user.password_hash = passwords.hash_password(new_password)
    tokens.revoke_all(user.id, except_token_id=keep_token_id)


def anonymise(user: User) -> None:
    """The account's own part of its deletion: no name, address, password or session left."""
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.name = "Deleted user"
    user.summary = user.description = user.color = user.icon = None
    user.phone = user.sms_opted_out_at = user.email_verified_at = None
    user.birthday = user.birthday_set_at = None
    user.password_hash = ""
    user.privacy_settings = dict.fromkeys(DEFAULT_PRIVACY, "private")
    user.order_settings = {}
    user.starred_shop_id = None
    user.deleted_at = utcnow()
    tokens.revoke_all(user.id)
