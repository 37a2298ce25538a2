"""Keeping passes up to date when the balance moves: the outbox's consumer "wallets" and the
jobs it queues.

The consumer (``handle``, on ``points.earned``, ``points.spent``, ``points.expired`` and
``points.reversed``) runs in the dispatch's transaction and only writes: the membership's
pass, if it has one, gets a new update tag and ``updated_at`` (whole seconds, always past the
last, so a device's ``If-Modified-Since`` never hides a change). After commit it queues
``push_pass`` where devices registered (and APNs is set up) and ``update_google_object``
where the member saved the pass to Google Wallet.

Each job reads in its unit of work and calls out after its commit (never inside a
transaction, never in the request): APNs is told the pass changed (the device then fetches
``GET .../passes/...``); a device whose token is gone is unregistered; Google's object is
patched with the new balance. A failure that may pass is tried again later, at most
``len(RETRY_SECONDS)`` times.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from stampbook.core import clock, unit_of_work
from stampbook.core.db import db
from stampbook.core.jobs import job
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.programs.models import Membership, Program
from stampbook.wallets import apns, credentials, google, queries, rules, signing
from stampbook.wallets.models import WalletDevice, WalletPass

logger = logging.getLogger(__name__)

CONSUMER_NAME = "wallets"
TYPES = frozenset(
    {
        OccurrenceType.POINTS_EARNED,
        OccurrenceType.POINTS_SPENT,
        OccurrenceType.POINTS_EXPIRED,
        OccurrenceType.POINTS_REVERSED,
    }
)
RETRY_SECONDS = (60, 300, 1800)


def handle(occurrence: Occurrence) -> None:
    wallet_pass = queries.pass_of(int(occurrence.payload["membership_id"]))
    if wallet_pass is None:
        return
    mark_updated(wallet_pass)
    pass_id = wallet_pass.id
    if apns.configured() and queries.devices_of(pass_id):
        unit_of_work.after_commit(lambda: push_pass.enqueue(pass_id, 1))
    if wallet_pass.google_saved_at is not None:
        unit_of_work.after_commit(lambda: update_google_object.enqueue(pass_id, 1))


def mark_updated(wallet_pass: WalletPass) -> None:
    now = clock.now()
    wallet_pass.update_tag = rules.next_tag(wallet_pass.update_tag, now)
    wallet_pass.updated_at = max(
        now.replace(microsecond=0), wallet_pass.updated_at + timedelta(seconds=1)
    )


def _shop_id(wallet_pass: WalletPass) -> int | None:
    membership = db.session.get(Membership, wallet_pass.membership_id)
    program = db.session.get(Program, membership.program_id) if membership else None
    return program.shop_id if program is not None else None


@job
def push_pass(pass_id: int, attempt: int) -> int:
    """Tell APNs (after this job's commit) that the pass changed, for each device registered
    for it; the number of devices told."""
    wallet_pass = db.session.get(WalletPass, pass_id)
    shop_id = _shop_id(wallet_pass) if wallet_pass is not None else None
    apple = credentials.apple(queries.settings_of(shop_id)) if shop_id is not None else None
    if wallet_pass is None or apple is None or not apns.configured():
        return 0
    tokens = [(device.id, device.push_token) for device in queries.devices_of(pass_id)]
    topic = apple.pass_type_id
    unit_of_work.after_commit(lambda: _push(pass_id, attempt, topic, tokens))
    return len(tokens)


def _push(pass_id: int, attempt: int, topic: str, tokens: list[tuple[int, str]]) -> None:
    gone: list[int] = []
    again = False
    for device_id, token in tokens:
        answer = apns.push(token, topic)
        if isinstance(answer, apns.Gone):
            gone.append(device_id)
        elif isinstance(answer, apns.Failed):
            logger.warning("APNs push for pass %s failed: %s", pass_id, answer.reason)
            again |= answer.retryable
    if gone:
        unit_of_work.run(
            lambda: db.session.execute(delete(WalletDevice).where(WalletDevice.id.in_(gone)))
        )
    if again and attempt <= len(RETRY_SECONDS):
        push_pass.enqueue_in(RETRY_SECONDS[attempt - 1], pass_id, attempt + 1)


@job
def update_google_object(pass_id: int, attempt: int) -> bool:
    """Patch the pass's loyalty object at Google (after this job's commit)."""
    wallet_pass = db.session.get(WalletPass, pass_id)
    if wallet_pass is None or wallet_pass.google_saved_at is None:
        return False
    membership = db.session.get(Membership, wallet_pass.membership_id)
    shop_id = _shop_id(wallet_pass)
    found = credentials.google(queries.settings_of(shop_id)) if shop_id is not None else None
    if membership is None or found is None:
        return False
    card = queries.card_of(membership, wallet_pass)
    _class_id, object_id = rules.google_ids(
        found.issuer_id, membership.program_id, wallet_pass.serial_number
    )
    account = signing.service_account(found.service_account)
    fields = rules.object_patch(card)
    now = int(clock.now().timestamp())
    unit_of_work.after_commit(lambda: _patch(pass_id, attempt, account, object_id, fields, now))
    return True


def _patch(
    pass_id: int,
    attempt: int,
    account: signing.ServiceAccount,
    object_id: str,
    fields: dict[str, object],
    now: int,
) -> None:
    answer = google.patch_object(account, object_id, fields, now)
    if isinstance(answer, google.Failed):
        logger.warning("Google Wallet update of pass %s failed: %s", pass_id, answer.reason)
        if answer.retryable and attempt <= len(RETRY_SECONDS):
            update_google_object.enqueue_in(RETRY_SECONDS[attempt - 1], pass_id, attempt + 1)
