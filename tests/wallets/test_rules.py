"""The pass's content without a database: marks toward the next reward, which reward is next,
update tags that always grow, colours and the ink that reads on them, the manifest."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stampbook.wallets import images, rules


@given(st.integers(min_value=-5, max_value=50), st.integers(min_value=1, max_value=20))
def test_marks_count_the_stamps_toward_the_reward(balance: int, cost: int) -> None:
    shown = rules.marks(balance, cost)
    assert shown is not None and len(shown) == cost
    assert shown.count(rules.FILLED) == min(max(balance, 0), cost)


def test_no_marks_for_a_points_program() -> None:
    assert rules.marks(10, None) is None
    assert rules.marks(10, 500) is None


def test_the_next_reward_is_the_cheapest_not_reached() -> None:
    rewards = [("Cake", 12), ("Coffee", 8), ("Free", 0)]
    assert rules.next_reward(3, rewards) == ("Coffee", 8)
    assert rules.next_reward(8, rewards) == ("Cake", 12)
    assert rules.next_reward(30, rewards) == ("Cake", 12)  # a full card
    assert rules.next_reward(3, []) is None


@given(st.integers(min_value=0, max_value=2**62), st.integers(min_value=-(10**6), max_value=10**6))
def test_update_tags_always_grow(previous: int, shift: int) -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC) + timedelta(microseconds=shift)
    assert rules.next_tag(previous, now) > previous


def test_colours_and_ink() -> None:
    assert rules.colour_of(None, "#6F4E37") == "#6f4e37"
    assert rules.colour_of("red", None) == rules.DEFAULT_COLOUR
    assert rules.ink_for("#ffffff") == "#000000"
    assert rules.ink_for("#222222") == "#ffffff"
    assert rules.css_rgb("#6f4e37") == "rgb(111,78,55)"


def test_the_manifest_hashes_each_file() -> None:
    files = {"pass.json": b"{}", "icon.png": images.stamp(29, "#123456")}
    manifest = json.loads(rules.manifest(files))
    assert manifest == {name: hashlib.sha1(data).hexdigest() for name, data in files.items()}  # noqa: S324


def test_pass_strings_escape_quotes() -> None:
    said = rules.pass_strings({"about": 'Say "hi"\nthere'}).decode()
    assert said == '"about" = "Say \\"hi\\"\\nthere";\n'
