"""The one-click unsubscribe of marketing mail (RFC 8058): no sign-in, the signed token is
the proof. ``GET`` asks with a button (a link followed by a mail scanner must change
nothing); ``POST`` withdraws the consent."""

from __future__ import annotations

from flask import render_template

from stampbook.core.errors import AppError
from stampbook.core.extensions import csrf
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.notifications import links, services
from stampbook.notifications.words import kind_words

bp = PageBlueprint("unsubscribe_pages", __name__)


def _said(token: str) -> links.Unsubscribe:
    said = links.read_unsubscribe_token(token)
    if said is None:
        raise AppError(code="unsubscribe_link_invalid")
    return said


@bp.get("/unsubscribe/<token>")
@route(Access.PUBLIC)
def unsubscribe(token: str) -> str:
    said = _said(token)
    return render_template(
        "notifications/unsubscribe.html",
        token=token,
        shop_name=services.unsubscribe_shop_name(said),
        kind=kind_words(said.kind),
        done=False,
    )


@bp.post("/unsubscribe/<token>")
@route(Access.PUBLIC)
def confirm_unsubscribe(token: str) -> str:
    said = services.unsubscribe(token)
    return render_template(
        "notifications/unsubscribe.html",
        token=token,
        shop_name=services.unsubscribe_shop_name(said),
        kind=kind_words(said.kind),
        done=True,
    )


# Exempt from CSRF: mail clients POST the one-click request (List-Unsubscribe-Post) with no
# page, form or cookie; the signed token in the path is what authorises it.
csrf.exempt(confirm_unsubscribe)
