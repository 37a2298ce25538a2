"""When each API key was last used: recorded at most once a minute per key, not on every
request (a write per call would serialise a store's server on its key's row).

A request with a key whose ``last_used_at`` is fresh writes nothing. Otherwise, once the
request is answered (refused or not: the key was used), a transaction of its own moves it
with a conditional UPDATE, so that concurrent requests record it once; being outside the
request's unit of work, a read records it too and a retried request does not wait on it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Response, after_this_request, request
from sqlalchemy import bindparam, or_, update

from stampbook.apikeys import rules
from stampbook.apikeys.models import ApiKey
from stampbook.core import clock, unit_of_work
from stampbook.core.db import execute_core

logger = logging.getLogger(__name__)

_NOTED = "stampbook.api_key_use"  # in the request's WSGI environ: recorded once per request
_RECORD = (
    update(ApiKey)
    .where(
        ApiKey.id == bindparam("key_id"),
        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < bindparam("stale_before")),
    )
    .values(last_used_at=bindparam("now"))
)


def is_due(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or last_used_at < now - rules.USE_RECORDED_EVERY


def note_use(key: ApiKey) -> None:
    """The request came with ``key``: record it after the answer, if it is due."""
    now = clock.now()
    if not is_due(key.last_used_at, now) or request.environ.get(_NOTED):
        return  # fresh, or noted already (the unit of work runs authentication again on retry)
    request.environ[_NOTED] = True
    key_id = key.id

    @after_this_request
    def record(response: Response) -> Response:
        try:
            unit_of_work.run(lambda: _record(key_id, now))
        except Exception:
            # The answer stands: a missed stamp of use is not worth failing the request.
            logger.exception("could not record the use of API key %s", key_id)
        return response


def _record(key_id: int, now: datetime) -> None:
    params = {"key_id": key_id, "now": now, "stale_before": now - rules.USE_RECORDED_EVERY}
    execute_core(_RECORD, params)
