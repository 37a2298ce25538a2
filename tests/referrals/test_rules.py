"""The referrals' pure rules, without a database: codes, email and name keys, self-referral,
the escalation step, the hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stampbook.referrals import rules
from stampbook.referrals.rules import Party, Prize, ReferralReason, Step

LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
DOMAINS = st.sampled_from(["example.com", "mail.org", "gmail.com", "googlemail.com"])


def test_codes_are_short_unambiguous_and_read_back() -> None:
    codes = {rules.new_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 8 and not set(code) & set("01OIL")
        assert rules.clean_code(code.lower()) == code
        assert rules.clean_code(f" {code[:4]}-{code[4:]} ") == code
    assert rules.clean_code("0OIL1234") is None
    assert rules.clean_code("SHORT") is None


@given(LOCAL, LOCAL, DOMAINS)
def test_an_alias_and_case_never_change_the_email_key(local: str, alias: str, domain: str) -> None:
    plain = rules.email_key(f"{local}@{domain}")
    assert rules.email_key(f"{local.upper()}+{alias}@{domain.upper()}") == plain
    assert rules.email_key(f"  {local}+{alias}+more@{domain} ") == plain


@given(LOCAL, st.lists(st.integers(min_value=1, max_value=11), max_size=3))
def test_gmail_dots_are_optional(local: str, cuts: list[int]) -> None:
    dotted = local
    for cut in sorted(set(cuts), reverse=True):
        if cut < len(dotted):
            dotted = dotted[:cut] + "." + dotted[cut:]
    assert rules.email_key(f"{dotted}@gmail.com") == rules.email_key(f"{local}@googlemail.com")


def test_dots_count_elsewhere() -> None:
    assert rules.email_key("a.b@example.com") != rules.email_key("ab@example.com")
    assert rules.email_key(None) is None


def test_names_compare_without_accents_case_or_spaces() -> None:
    assert rules.name_key("  José   Núñez ") == rules.name_key("jose nunez")
    assert rules.name_key("J") is None and rules.name_key("") is None


def _party(mid: int, uid: int | None, email: str | None, name: str | None) -> Party:
    return Party(mid, uid, rules.email_key(email), rules.name_key(name))


def test_self_referral_reasons() -> None:
    ada = _party(1, 10, "ada@gmail.com", "Ada Lovelace")
    assert rules.self_referral(ada, ada, by_order=True) == ReferralReason.SELF_ORDER
    assert (
        rules.self_referral(ada, _party(2, 10, None, None), by_order=False)
        == ReferralReason.SELF_USER
    )
    assert rules.self_referral(ada, _party(1, None, None, None), by_order=False) == (
        ReferralReason.SELF_CUSTOMER
    )
    alias = _party(3, 11, "a.d.a+x@googlemail.com", "Someone")
    assert rules.self_referral(ada, alias, by_order=False) == ReferralReason.SELF_EMAIL
    namesake = _party(4, 12, "other@example.com", "ADA lovelace")
    assert rules.self_referral(ada, namesake, by_order=False) == ReferralReason.SELF_NAME
    stranger = _party(5, 13, "grace@example.com", "Grace Hopper")
    assert rules.self_referral(ada, stranger, by_order=False) is None


@given(st.integers(min_value=1, max_value=50))
def test_the_last_step_reached_pays(ordinal: int) -> None:
    steps = [Step(5, 500), Step(3, 200)]
    prize = rules.advocate_prize(Prize(50, None), steps, ordinal)
    expected = 500 if ordinal >= 5 else 200 if ordinal >= 3 else 50
    assert prize.points == expected


def test_steps_problems_and_the_hold() -> None:
    assert rules.steps_problem([Step(1, 5)]) == "referral_step_invalid"
    assert rules.steps_problem([Step(3, 5), Step(3, 6)]) == "referral_step_duplicate"
    assert rules.steps_problem([Step(2, 5), Step(3, 6)]) is None
    assert not rules.held(9) and rules.held(10)
