"""Probes for load balancers and orchestrators, and the API docs' local assets."""

from __future__ import annotations

from flask import Response, jsonify, send_from_directory
from sqlalchemy import text

from stampbook.core.db import db
from stampbook.core.openapi import ASSETS
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint

bp = PageBlueprint("system", __name__)


@bp.get("/healthz")
@route(Access.PUBLIC)
def healthz() -> Response:
    """The process is up (no database access: a slow database must not get it restarted)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@route(Access.PUBLIC)
def readyz() -> Response:
    """The database answers; a 503 problem otherwise (see the error handler)."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ready", database=db.dialect)


@bp.get("/api/v1/docs/assets/<path:filename>")
@route(Access.PUBLIC)
def docs_asset(filename: str) -> Response:
    return send_from_directory(ASSETS, filename, max_age=86400)
