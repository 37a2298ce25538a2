"""Password hashing with argon2id (RFC 9106 low-memory profile: above OWASP's minimum)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4


# The dummy hash by the hasher's costs: one made with other costs would take another time.
_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    """Verified against when the email is unknown, so failures take the same time either way.
    Made at the first such login, not at import: a hash holds 64 MiB while it runs, which
    would set every worker's peak memory at start-up. (Two first logins at once may both make
    it: either is right.)"""
    costs = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    if costs not in _dummy_hashes:
        _dummy_hashes[costs] = _hasher.hash("stampbook-dummy-password")
    return _dummy_hashes[costs]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True for hashes made with weaker parameters; they are upgraded at the next login."""
    return _hasher.check_needs_rehash(password_hash)
