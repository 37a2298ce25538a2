"""Idempotency keys: a repeated write has its effect once and answers the same.

The key row is inserted in the same transaction as the effect, so the effect and the stored
answer commit together or not at all. A concurrent request with the same key blocks on the
unique index until the first commits, then replays its answer. Error answers (4xx) are
stored too, from a savepoint that undid the request's effects. A first use of a key costs
one statement before the effect (``INSERT ... ON CONFLICT DO NOTHING``); only a key seen
before is read.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from types import ModuleType

from apiflask.exceptions import HTTPError as APIFlaskHTTPError
from flask import Response, current_app, request
from markupsafe import Markup
from sqlalchemy import (
    Insert,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from stampbook.core import json_body
from stampbook.core.db import Base, IdMixin, db, execute_core, utcnow
from stampbook.core.errors import AppError, IdempotencyKeyReused
from stampbook.core.unit_of_work import RetryTransaction

HEADER = "Idempotency-Key"
# Pages cannot send headers: their forms carry the key in this hidden field
# (``form_key_field`` renders it), so a double click or a reload has its effect once.
FORM_FIELD = "idempotency_key"
FORM_MIMETYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Set on an answer given again from the stored one.
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Visible ASCII, inner spaces allowed: what survives any HTTP stack unchanged (the document
# states this pattern too).
KEY_PATTERN = rf"^[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$"


class IdempotencyKey(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    caller: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    mimetype: Mapped[str] = mapped_column(String(64))
    # Where a redirect answer pointed (a page's form answers with one).
    location: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def request_fingerprint() -> str:
    """What makes two requests "the same": method, path and body (JSON compared by value; a
    form by its fields, whatever their order, but for the CSRF token a new page gets anew)."""
    if request.mimetype in FORM_MIMETYPES:
        fields = sorted((k, v) for k, v in request.form.items(multi=True) if k != "csrf_token")
        body = json.dumps(fields, separators=(",", ":")).encode()
    else:
        raw = request.get_data(cache=True)
        try:
            body = json.dumps(json_body.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            body = raw
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def validate_key(key: str) -> None:
    if re.fullmatch(KEY_PATTERN, key) is None:
        raise AppError(code="invalid_idempotency_key", header=HEADER, max=MAX_KEY_LENGTH)


def form_key_field() -> Markup:
    """The hidden field that makes a page's form take effect once (a template global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FORM_FIELD, secrets.token_urlsafe(18)
    )


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.body, status=row.status, mimetype=row.mimetype)
    if row.location:
        response.headers["Location"] = row.location
    response.headers[REPLAYED] = "true"
    return response


def _claim_statement(dialect: ModuleType) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the dialect's words (PostgreSQL or SQLite)."""
    claim: Insert = (
        dialect.insert(IdempotencyKey)
        .values(
            caller=bindparam("caller"),
            key=bindparam("key"),
            request_hash=bindparam("request_hash"),
            status=0,
            body="",
            mimetype="",
            created_at=bindparam("created_at"),
        )
        .on_conflict_do_nothing(index_elements=["caller", "key"])
        .returning(IdempotencyKey.id)
    )
    return claim


# Built once, run without the ORM: every idempotent write runs them (see
# ``stampbook.core.db.with_parents`` and ``execute_core``).
_CLAIM = {"postgresql": _claim_statement(postgresql), "sqlite": _claim_statement(sqlite)}
_STORE = (
    update(IdempotencyKey)
    .where(IdempotencyKey.id == bindparam("key_id"))
    .values(
        status=bindparam("status"),
        body=bindparam("body"),
        mimetype=bindparam("mimetype"),
        location=bindparam("location"),
    )
)


def _claim(caller: str, key: str, fingerprint: str) -> int | None:
    """Insert the key's row and return its id; None if the key has a row already (a request
    holding it uncommitted makes this wait until it commits or rolls back)."""
    # The session's own database decides (tests may bind it to another than the app's).
    on_postgresql = db.session.get_bind().dialect.name == "postgresql"
    params = {"caller": caller, "key": key, "request_hash": fingerprint, "created_at": utcnow()}
    row_id: int | None = execute_core(
        _CLAIM["postgresql" if on_postgresql else "sqlite"], params
    ).scalar()
    return row_id


def execute(*, caller: str, key: str, handle: Callable[[], Response]) -> Response:
    """Run ``handle`` once per (caller, key); inside the caller's unit of work."""
    validate_key(key)
    session = db.session
    fingerprint = request_fingerprint()
    row_id = _claim(caller, key, fingerprint)
    if row_id is None:
        existing = session.scalars(
            select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        ).one()
        cutoff = utcnow() - timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"])
        if existing.created_at >= cutoff:
            if existing.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            return _replay(existing)
        # Expired: the key may be used afresh.
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))
        row_id = _claim(caller, key, fingerprint)
        if row_id is None:  # another request renewed it first: run again and replay it
            raise RetryTransaction()
    this_key = IdempotencyKey.id == row_id

    savepoint = session.begin_nested()
    try:
        response = handle()
    except (AppError, APIFlaskHTTPError, HTTPException) as error:
        savepoint.rollback()
        response = current_app.make_response(current_app.handle_user_exception(error))
    else:
        if response.status_code >= 400:
            savepoint.rollback()
        else:
            savepoint.commit()
    if response.status_code >= 500:
        # Not an answer to keep: the client may retry the same key.
        session.execute(delete(IdempotencyKey).where(this_key))
        return response
    execute_core(
        _STORE,
        {
            "key_id": row_id,
            "status": response.status_code,
            "body": response.get_data(as_text=True),
            "mimetype": response.mimetype or "application/json",
            "location": response.headers.get("Location"),
        },
    )
    return response


def purge_expired(hours: int) -> int:
    """Delete keys older than their lifetime; returns how many went."""
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - timedelta(hours=hours))
    )
    return int(getattr(result, "rowcount", 0) or 0)
