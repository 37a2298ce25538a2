"""Random codes people carry or type (event tickets, members' card codes): one alphabet and
one generator, so every code reads and types the same way."""

from __future__ import annotations

import secrets

# 24 letters and 7 digits without look-alikes (0 O 1 I 5): 31 symbols, 32 of them make
# a code of log2(31) * 32 = 158 bits.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ2346789"
LENGTH = 32


def new_code() -> str:
    """A fresh unguessable code of ``LENGTH`` symbols of ``ALPHABET``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normal_code(text: str) -> str:
    """A typed code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())
