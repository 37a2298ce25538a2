"""The two baselines every figure is compared with, served exactly like the app.

``/json`` is a bare Flask endpoint returning a small object: the cost of the stack below us.
``/redeem`` runs a redemption's essential SQL — the conditional balance update and the ledger
insert — through SQLAlchemy Core with no framework around it: the cost of the database work.
"""

from __future__ import annotations

import os

from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, text

from stampbook.config import load

app = Flask(__name__)
_config = load(os.environ.get("STAMPBOOK_INSTANCE") or "instance")
engine = create_engine(
    _config["DATABASE_URL"],
    pool_size=_config["DATABASE_POOL_SIZE"],
    max_overflow=_config["DATABASE_MAX_OVERFLOW"],
)

DEBIT = text(
    "UPDATE memberships SET balance = balance - :cost, points_spent = points_spent + :cost "
    "WHERE id = :id AND balance - :cost >= 0 RETURNING balance"
)
ENTRY = text(
    "INSERT INTO ledger_entries (membership_id, amount, balance_after, kind, created_at) "
    "VALUES (:id, -:cost, :balance, 'redemption', now())"
)


@app.get("/json")
def small_json() -> Response:
    return jsonify(id=1, name="baseline", balance=100)


@app.post("/redeem/<int:membership_id>")
def redeem(membership_id: int) -> tuple[Response, int]:
    cost = int((request.get_json(silent=True) or {}).get("cost", 1))
    with engine.begin() as connection:
        balance = connection.execute(DEBIT, {"id": membership_id, "cost": cost}).scalar()
        if balance is None:
            return jsonify(code="insufficient_points"), 409
        connection.execute(ENTRY, {"id": membership_id, "cost": cost, "balance": balance})
    return jsonify(membership_id=membership_id, balance=balance), 201
