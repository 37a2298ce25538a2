"""What a user chose: the channels each kind reaches them on (their preference, else the
kind's default), their marketing consent per shop, and their language."""

from __future__ import annotations

from sqlalchemy import exists, select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from stampbook.notifications.kinds import KINDS, Channel, Kind
from stampbook.notifications.models import MarketingConsent, Preference


def chosen(user_id: int) -> dict[tuple[str, str], bool]:
    """The user's own choices: (kind, channel) -> on, where they chose."""
    rows = db.session.execute(
        select(Preference.kind, Preference.channel, Preference.enabled).where(
            Preference.user_id == user_id
        )
    ).all()
    return {(kind, channel): enabled for kind, channel, enabled in rows}


def effective(user_id: int) -> dict[str, dict[Channel, bool]]:
    """Every kind's channels for the user: their choice, else the kind's default."""
    own = chosen(user_id)
    return {
        kind.name: {
            channel: own.get((kind.name, channel), default)
            for channel, default in kind.channels.items()
        }
        for kind in KINDS.values()
    }


def channels_on(user_id: int, kind: Kind) -> set[Channel]:
    return {channel for channel, on in effective(user_id)[kind.name].items() if on}


def consents(user_id: int, shop_id: int | None) -> bool:
    if shop_id is None:
        return False
    found = db.session.scalar(
        select(
            exists().where(MarketingConsent.user_id == user_id, MarketingConsent.shop_id == shop_id)
        )
    )
    return bool(found)


def language(user: User) -> str:
    """The language the user reads messages in: their choice, else English."""
    return user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE
