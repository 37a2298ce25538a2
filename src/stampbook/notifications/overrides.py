"""Which words a message takes: the shop's override of its kind, channel and language if it
has one, else the default file."""

from __future__ import annotations

from sqlalchemy import select

from stampbook.core.db import db
from stampbook.notifications.models import TemplateOverride
from stampbook.notifications.rendering import Template, default_template


def find(shop_id: int, kind: str, channel: str, language: str) -> TemplateOverride | None:
    found: TemplateOverride | None = db.session.scalars(
        select(TemplateOverride).where(
            TemplateOverride.shop_id == shop_id,
            TemplateOverride.kind == kind,
            TemplateOverride.channel == channel,
            TemplateOverride.language == language,
        )
    ).first()
    return found


def template_for(shop_id: int | None, kind: str, channel: str, language: str) -> Template:
    own = find(shop_id, kind, channel, language) if shop_id is not None else None
    if own is not None:
        return Template(own.subject, own.body, own.language)
    return default_template(kind, channel, language)


def shops_templates(
    shop_ids: set[int], channel: str, language: str
) -> dict[tuple[int, str], Template]:
    """The overrides of several shops for one channel and language, in one query."""
    if not shop_ids:
        return {}
    rows = db.session.scalars(
        select(TemplateOverride).where(
            TemplateOverride.shop_id.in_(shop_ids),
            TemplateOverride.channel == channel,
            TemplateOverride.language == language,
        )
    )
    return {(row.shop_id, row.kind): Template(row.subject, row.body, row.language) for row in rows}
