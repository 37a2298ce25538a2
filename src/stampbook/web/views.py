"""The member's pages."""

from __future__ import annotations

from flask import render_template

from stampbook.accounts.auth import current_user
from stampbook.policy import Access, route
from stampbook.routing import PageBlueprint
from stampbook.web import queries

bp = PageBlueprint("pages", __name__)


@bp.get("/")
@route(Access.PUBLIC)
def home() -> str:
    user = current_user()
    memberships = queries.my_memberships(user.id) if user else []
    return render_template("web/home.html", memberships=memberships)
