"""Pure rules of notifications: batching windows, the retry schedule, the template sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stampbook.notifications import rules
from stampbook.notifications.kinds import KINDS
from stampbook.notifications.rendering import (
    Template,
    TemplateRefused,
    check,
    default_template,
    render,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_a_moment_lies_in_its_window(moment: datetime) -> None:
    start = rules.window_start(moment)
    assert start <= moment < start + rules.BATCH_WINDOW


def test_one_batch_key_per_user_program_and_window() -> None:
    assert rules.batch_key(1, 2, T0) == rules.batch_key(1, 2, T0 + timedelta(seconds=59))
    assert rules.batch_key(1, 2, T0) != rules.batch_key(1, 2, T0 + timedelta(seconds=60))
    assert rules.batch_key(1, 2, T0) != rules.batch_key(1, 3, T0)
    assert rules.batch_key(1, 2, T0) != rules.batch_key(2, 2, T0)


def test_the_retry_schedule_then_giving_up() -> None:
    waits = [rules.next_attempt(n, T0) for n in range(1, 7)]
    assert waits == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=30),
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=6),
        None,
    ]
    assert rules.next_attempt(0, T0) is None


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_default_template_renders_its_sample(kind: str, language: str) -> None:
    for channel in KINDS[kind].channels:
        words = check(default_template(kind, channel, language), KINDS[kind].sample)
        assert words.subject and words.text
        assert "\n" not in words.subject


def test_spanish_and_english_differ() -> None:
    sample = KINDS["redemption_receipt"].sample
    english = render(default_template("redemption_receipt", "email", "en"), sample)
    spanish = render(default_template("redemption_receipt", "email", "es"), sample)
    assert english.subject.startswith("Your receipt")
    assert spanish.subject.startswith("Tu recibo")


SAMPLE = {"shop_name": "Café Luna", "amount": 3}


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ shop_name.__class__.__init__.__globals__ }}",
        "{{ 'x' * 100000000 }}",
        "{{ 2 ** 100000 }}",
    ],
)
def test_the_sandbox_refuses_what_reaches_out(body: str) -> None:
    with pytest.raises(TemplateRefused) as refused:
        check(Template("Hi", body), SAMPLE)
    assert refused.value.code == "template_unsafe"


@pytest.mark.parametrize(
    "body",
    [
        "{{ config }}",
        "{{ config.SECRET_KEY }}",
        "{{ request }}",
        "{{ range(10) }}",
        "{{ url_for('x') }}",
        "{{ lipsum() }}",
    ],
)
def test_no_globals_only_the_values(body: str) -> None:
    with pytest.raises(TemplateRefused) as refused:
        check(Template("Hi", body), SAMPLE)
    assert refused.value.code == "template_unknown_name"
    assert "amount, shop_name" in refused.value.params["names"]


@pytest.mark.parametrize(
    "body", ["{{ amount ", "{% if %}", "{% for x in %}{% endfor %}", "{{ amount | nosuchfilter }}"]
)
def test_a_template_that_does_not_compile_is_refused(body: str) -> None:
    with pytest.raises(TemplateRefused) as refused:
        check(Template("Hi", body), SAMPLE)
    assert refused.value.code == "template_invalid"


def test_a_good_template_renders() -> None:
    words = check(Template("{{ amount }} points", "Thanks from {{ shop_name | upper }}!"), SAMPLE)
    assert (words.subject, words.text) == ("3 points", "Thanks from CAFÉ LUNA!")
