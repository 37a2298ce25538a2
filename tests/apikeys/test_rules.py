"""API keys' rules: the secrets' shape, the part shown in lists, scopes and what they imply."""

from __future__ import annotations

import pytest

from stampbook.apikeys import rules
from stampbook.apikeys.models import ApiKey


def test_a_secret_is_long_random_and_marked() -> None:
    secrets = {rules.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("sk_") and len(secret) == 46
        assert rules.looks_like_key(secret)
        assert rules.visible_part(secret) == secret[:10]
    assert not rules.looks_like_key("sb_a-user-token")
    assert not rules.looks_like_key("sk_" + "x" * 100)


@pytest.mark.parametrize(
    ("asked", "held"),
    [
        (["read"], ["read"]),
        (["write"], ["read", "write"]),
        (["write", "read"], ["read", "write"]),
    ],
)
def test_write_implies_read(asked: list[str], held: list[str]) -> None:
    assert rules.with_implied(asked) == held
    key = ApiKey(scopes=held)
    assert key.grants("read")
    assert key.grants("write") is ("write" in asked)
