"""The pure rules of outgoing webhooks: signatures, secrets, the schedule, Retry-After."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from stampbook.webhooks import rules


def test_the_signature_matches_the_specs_example() -> None:
    # The example of the Standard Webhooks spec and its reference libraries' tests.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert rules.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_the_reference_library_verifies_each_of_two_signatures() -> None:
    old, new = rules.new_secret(), rules.new_secret()
    stamp = int(datetime.now(UTC).timestamp())
    header = rules.signatures([new, old], "msg_1", stamp, b"{}")
    assert len(header.split(" ")) == 2
    for secret in (old, new):
        headers = {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(stamp),
            "webhook-signature": header,
        }
        assert Webhook(secret).verify(b"{}", headers) == {}


def test_a_secret_is_whsec_and_24_random_bytes() -> None:
    secret = rules.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert secret != rules.new_secret()


def test_message_ids_are_unique() -> None:
    ids = {rules.new_msg_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("msg_") for i in ids)


def test_the_schedule_is_the_specs() -> None:
    assert [d.total_seconds() for d in rules.SCHEDULE] == [
        0,
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
    ]
    assert rules.next_delay(len(rules.SCHEDULE)) is None


@given(st.integers(min_value=1, max_value=len(rules.SCHEDULE) - 1), st.integers())
def test_jitter_stays_within_a_fifth(attempts: int, seed: int) -> None:
    delay = rules.next_delay(attempts, random.Random(seed))
    planned = rules.SCHEDULE[attempts]
    assert delay is not None
    assert planned * 0.8 <= delay <= planned * 1.2


def test_jitter_spreads_retries() -> None:
    delays = {rules.next_delay(3, random.Random(seed)) for seed in range(20)}
    assert len(delays) > 1


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert rules.retry_after("120", now) == timedelta(seconds=120)
    assert rules.retry_after("Sat, 05 Dec 2026 12:10:00 GMT", now) == timedelta(minutes=10)
    assert rules.retry_after("Sat, 05 Dec 2026 11:00:00 GMT", now) == timedelta(0)


def test_retry_after_is_capped_and_garbage_ignored() -> None:
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert rules.retry_after("99999999999", now) == rules.RETRY_AFTER_CAP
    assert rules.retry_after("soon", now) is None
    assert rules.retry_after("", now) is None
    assert rules.retry_after(None, now) is None
    assert rules.retry_after("-5", now) is None


def test_an_empty_subscription_wants_everything() -> None:
    assert rules.wants([], "points.earned")
    assert rules.wants(["points.earned"], "points.earned")
    assert not rules.wants(["points.spent"], "points.earned")


def test_shop_endpoints_hear_nothing_of_buddies_or_private_messages() -> None:
    assert "points.earned" in rules.SHOP_TYPES
    assert "buddy.requested" not in rules.SHOP_TYPES
    assert "message.received" not in rules.SHOP_TYPES
    assert rules.TEST_TYPE not in rules.EVENT_TYPES
