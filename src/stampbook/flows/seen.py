"""Who is calling, and what seeing them sets going: the guard's ``authenticate``
(``core.routing.init_app``) is the accounts domain's, followed by what other domains do when
a person is seen. It runs on every request, so what it adds must cost no query: loyalty's
birthday points decide from the user's row that authentication loaded, and any work is a
job queued after the commit (``loyalty.birthdays.note_seen``).

A shop's API key is its maker's server calling, not the person: it sets nothing going.
"""

from __future__ import annotations

from flask import g

from stampbook.accounts import auth
from stampbook.accounts.models import User
from stampbook.loyalty import birthdays


def authenticate(*, api: bool) -> User | None:
    user = auth.authenticate(api=api)
    if user is not None and g.get("api_key") is None:
        birthdays.note_seen(user)
    return user
