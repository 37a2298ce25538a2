"""The door screen's rotating code, for members checking themselves in (issue 18).

A rolling code anyone can compute (the step alone, or a hash of public values) is forgeable
from home, so the code is signed: ``<step>.<mac>``, where ``step`` counts ``STEP_SECONDS``
windows since the epoch and ``mac`` is HMAC-SHA256 over the event's id and the step, keyed
with a key derived from the app's ``SECRET_KEY`` (its own purpose, so the door's MACs are
never another feature's), cut to 80 bits and written in base32. A code is accepted for its
step and the one after (10 to 20 seconds): a photo of the screen sent home is stale by the
time it is used. The door shows the MAC alone too, in groups, for a person to type; without
a step it is tried against the current and the previous step. Comparisons are constant time.

Everything here but :func:`key` is pure (a pinned ``now`` in, no database): tested directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

STEP_SECONDS = 10
MAC_BYTES = 10  # 80 bits of the HMAC: 16 base32 characters
MAC_CHARS = 16
_PURPOSE = b"stampbook events door code v1"
_FULL = re.compile(r"^([0-9]{1,12})\.([A-Z2-7]{16})$")
# What people type for a base32 letter that looks like it (base32 has no 0, 1 or 8).
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def derive_key(secret_key: str | bytes) -> bytes:
    """The door codes' own key, derived from the app's secret."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def key() -> bytes:
    return derive_key(current_app.config["SECRET_KEY"])


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def seconds_left(now: datetime) -> float:
    """Until the next step begins (and the screen shows a new code)."""
    return STEP_SECONDS - (now.timestamp() % STEP_SECONDS)


def mac(door_key: bytes, event_id: int, step: int) -> str:
    digest = hmac.new(door_key, f"event:{event_id}:step:{step}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:MAC_BYTES]).decode()


def code_for(door_key: bytes, event_id: int, step: int) -> str:
    return f"{step}.{mac(door_key, event_id, step)}"


def typed(code: str) -> str:
    """The code as a person reads it under the QR code: the MAC in groups of four."""
    signature = code.rpartition(".")[2]
    return "-".join(signature[at : at + 4] for at in range(0, len(signature), 4))


def parse(text: str) -> tuple[int | None, str] | None:
    """(step, mac) of a scanned code, (None, mac) of a typed one, None of anything else."""
    cleaned = "".join(text.split()).upper()
    full = _FULL.match(cleaned)
    if full:
        return int(full.group(1)), full.group(2)
    signature = "".join(ch for ch in cleaned if ch.isalnum()).translate(_LOOKALIKES)
    if len(signature) == MAC_CHARS and re.fullmatch(r"[A-Z2-7]+", signature):
        return None, signature
    return None


def verify(door_key: bytes, event_id: int, text: str, now: datetime) -> bool:
    """Whether ``text`` is this event's code for the current step or the previous one."""
    parsed = parse(text)
    if parsed is None:
        return False
    step, given = parsed
    current = step_at(now)
    accepted = (current, current - 1)
    candidates = accepted if step is None else tuple(s for s in accepted if s == step)
    matched = False
    for candidate in candidates:
        # Every candidate is compared, in constant time, whatever the first gave.
        matched |= hmac.compare_digest(mac(door_key, event_id, candidate), given)
    return matched


@dataclass(frozen=True)
class DoorCode:
    code: str  # what the QR code's link carries
    typed: str  # what a person types
    step: int
    seconds_left: float


def current(door_key: bytes, event_id: int, now: datetime) -> DoorCode:
    step = step_at(now)
    code = code_for(door_key, event_id, step)
    return DoorCode(code=code, typed=typed(code), step=step, seconds_left=seconds_left(now))
