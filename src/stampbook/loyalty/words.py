"""Merchant loyalty in words: the kinds of earning rules, limit periods and campaigns, and
a rule or a campaign said as a sentence, in the reader's language (amounts in the
program's currency as the reader writes them, times on the viewer's wall clock).

Every sentence is marked for translation whole, with placeholders (never words glued
together), and ``ngettext`` wherever a number decides the form of a word.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from stampbook.core.money import display, to_minor
from stampbook.loyalty.models import CampaignKind, Period, RuleKind
from stampbook.loyalty.schemas import CampaignOut, EarningRuleOut
from stampbook.programs.words import PointsNamed, points
from stampbook.ui.helpers import local_time, viewer_zone
from stampbook.ui.words import _, ngettext

# The add form's choice: what a rule gives points for.
RULE_KIND_WORDS: dict[str, Any] = {
    RuleKind.PURCHASE: _l("A purchase"),
    RuleKind.SIGNUP: _l("Signing up"),
    RuleKind.BIRTHDAY: _l("A birthday"),
    RuleKind.REVIEW: _l("A review"),
    RuleKind.REFERRAL: _l("A referral"),
    RuleKind.ACTIVITY: _l("A custom activity"),
}

# A limit's period, as the form offers it ("" is no limit).
PERIOD_WORDS: dict[str, Any] = {
    Period.DAY: _l("per day"),
    Period.WEEK: _l("per week (Monday to Sunday)"),
    Period.MONTH: _l("per month"),
    Period.YEAR: _l("per year"),
    Period.EVER: _l("in all"),
}

CAMPAIGN_KIND_WORDS: dict[str, Any] = {
    CampaignKind.MULTIPLIER: _l("A multiplier of the points"),
    CampaignKind.BONUS: _l("Bonus points on each credit"),
}

# What a campaign boosts: "Double points on purchases", "5 extra points on every review".
KIND_PLURALS: dict[str, Any] = {
    RuleKind.PURCHASE: _l("purchases"),
    RuleKind.SIGNUP: _l("sign-ups"),
    RuleKind.BIRTHDAY: _l("birthdays"),
    RuleKind.REVIEW: _l("reviews"),
    RuleKind.REFERRAL: _l("referrals"),
    RuleKind.ACTIVITY: _l("activities"),
}
KIND_SINGULARS: dict[str, Any] = {
    RuleKind.PURCHASE: _l("purchase"),
    RuleKind.SIGNUP: _l("sign-up"),
    RuleKind.BIRTHDAY: _l("birthday"),
    RuleKind.REVIEW: _l("review"),
    RuleKind.REFERRAL: _l("referral"),
    RuleKind.ACTIVITY: _l("activity"),
}

# A campaign ending within this long says its weekday ("until Sunday 23:59").
SOON = timedelta(days=6)


def _locale() -> str:
    return str(get_locale() or "en")


def money(amount: str | None, currency: str) -> str:
    """An amount of the API's form (``"59.90"``) as the reader writes it (``$59.90``)."""
    return display(to_minor(amount or "0", currency), currency, _locale())


def _listed(kinds: Iterable[str], words: dict[str, Any]) -> str:
    """``purchases, reviews and activities`` in the reader's language."""
    return format_list([str(words.get(k, k)) for k in kinds], locale=_locale())


# --- Earning rules ----------------------------------------------------------------------------


def rule_sentence(rule: EarningRuleOut, named: PointsNamed | None = None) -> str:
    """``1 point per $1.00 spent (from $20.00)``, ``50 points for signing up``... (``named``:
    the program, whose own names for its points are said)."""
    n = points(rule.points, named)
    if rule.kind == RuleKind.PURCHASE:
        amount = money(rule.per_amount, rule.currency)
        if rule.minimum_amount and to_minor(rule.minimum_amount, rule.currency) > 0:
            return _(
                "%(points)s per %(amount)s spent (from %(minimum)s)",
                points=n,
                amount=amount,
                minimum=money(rule.minimum_amount, rule.currency),
            )
        return _("%(points)s per %(amount)s spent", points=n, amount=amount)
    if rule.kind == RuleKind.SIGNUP:
        return _("%(points)s for signing up", points=n)
    if rule.kind == RuleKind.BIRTHDAY:
        return _("%(points)s on your birthday", points=n)
    if rule.kind == RuleKind.REVIEW:
        return _("%(points)s for a review", points=n)
    if rule.kind == RuleKind.REFERRAL:
        return _("%(points)s for each friend you refer", points=n)
    return _("%(points)s for %(activity)s", points=n, activity=rule.activity)


def limit(count: int, period: str) -> str:
    """``at most once a day``, ``at most 3 times a week``, ``only once``."""
    if period == Period.DAY:
        return ngettext("at most once a day", "at most %(num)s times a day", count)
    if period == Period.WEEK:
        return ngettext("at most once a week", "at most %(num)s times a week", count)
    if period == Period.MONTH:
        return ngettext("at most once a month", "at most %(num)s times a month", count)
    if period == Period.YEAR:
        return ngettext("at most once a year", "at most %(num)s times a year", count)
    return ngettext("only once", "at most %(num)s times in all", count)


def window(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> str | None:
    """When a rule earns, if not always: ``from ... until ...``, ``until ...``, ``ended ...``."""
    if ends_at is not None and ends_at <= now:
        return _("ended %(end)s", end=until(ends_at, now))
    upcoming = starts_at is not None and starts_at > now
    if upcoming and ends_at is not None:
        return _(
            "from %(start)s until %(end)s", start=local_time(starts_at), end=until(ends_at, now)
        )
    if upcoming:
        return _("from %(start)s", start=local_time(starts_at))
    if ends_at is not None:
        return _("until %(end)s", end=until(ends_at, now))
    return None


def rule_conditions(rule: EarningRuleOut, now: datetime) -> list[str]:
    """What else a member should know of a rule: what counts, its limit, its window."""
    said = []
    if rule.kind == RuleKind.PURCHASE:
        if rule.include_shipping and rule.include_taxes:
            said.append(_("shipping and taxes count too"))
        elif rule.include_shipping:
            said.append(_("shipping counts too"))
        elif rule.include_taxes:
            said.append(_("taxes count too"))
    if rule.kind == RuleKind.REVIEW:
        said.append(_("once for each item reviewed, in a review others can read"))
    if rule.limit_count is not None and rule.limit_period is not None:
        said.append(limit(rule.limit_count, rule.limit_period))
    when = window(rule.starts_at, rule.ends_at, now)
    if when:
        said.append(when)
    return said


def rule_words(rule: EarningRuleOut, now: datetime, named: PointsNamed | None = None) -> str:
    """The whole rule: ``20 points for survey_completed, at most once a day``."""
    return ", ".join([rule_sentence(rule, named), *rule_conditions(rule, now)])


# --- Campaigns --------------------------------------------------------------------------------


def until(moment: datetime, now: datetime) -> str:
    """The last minute something runs, on the viewer's wall clock: an end at midnight is said
    as the day before at 23:59 ("until Sunday 23:59"), the weekday when it is near."""
    local = moment.astimezone(viewer_zone())
    if local.hour == 0 and local.minute == 0:
        moment -= timedelta(minutes=1)
    if now <= moment <= now + SOON:
        return local_time(moment, "EEEE HH:mm")
    return local_time(moment)


def boost(campaign: CampaignOut, named: PointsNamed | None = None) -> str:
    """``Double points on purchases``, ``5 points extra on every review``."""
    kinds = campaign.rule_kinds
    if campaign.kind == CampaignKind.BONUS:
        n = points(campaign.bonus_points or 0, named)
        if not kinds:
            return _("%(points)s extra each time points are earned", points=n)
        return _(
            "%(points)s extra on every %(kinds)s", points=n, kinds=_listed(kinds, KIND_SINGULARS)
        )
    factor = Decimal(campaign.multiplier or "1")
    if factor == 2:
        times = _("Double points")
    elif factor == 3:
        times = _("Triple points")
    else:
        times = _(
            "%(factor)s times the points",
            factor=format_decimal(factor.normalize(), locale=_locale()),
        )
    if not kinds:
        return _("%(boost)s on everything earned", boost=times)
    return _("%(boost)s on %(kinds)s", boost=times, kinds=_listed(kinds, KIND_PLURALS))


def campaign_words(campaign: CampaignOut, now: datetime, named: PointsNamed | None = None) -> str:
    """``Double points on purchases, until Sunday 23:59``, or from when it starts."""
    said = boost(campaign, named)
    if campaign.starts_at > now:
        return _(
            "%(boost)s, from %(start)s until %(end)s",
            boost=said,
            start=local_time(campaign.starts_at),
            end=until(campaign.ends_at, now),
        )
    if campaign.ends_at <= now:
        return _("%(boost)s, ended %(end)s", boost=said, end=until(campaign.ends_at, now))
    return _("%(boost)s, until %(end)s", boost=said, end=until(campaign.ends_at, now))


def campaign_cost(campaign: CampaignOut, named: PointsNamed | None = None) -> str:
    """``Cost so far: 120 points in 12 credits``."""
    return _(
        "Cost so far: %(points)s in %(credits)s",
        points=points(campaign.points_given, named),
        credits=ngettext("%(num)s credit", "%(num)s credits", campaign.credits),
    )
