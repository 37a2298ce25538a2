"""Spanish everywhere: every page a person can reach, as a member, an owner and a visitor, and
every refusal code, read in Spanish, shows no English of the catalogue's source.

A page's text is what a person reads: the text between its tags (scripts and styles left
out) and the attributes a browser shows (``title``, ``placeholder``, ``alt``, ``aria-label``,
a button's ``value``). It fails on an English msgid of the catalogue (two words or more,
whose Spanish differs) found there verbatim, or on the literal parts of a msgid with
placeholders, and on English words that once slipped through untranslated ("points", "first
time", "Cancelled", the reward list's sort options...).

Every GET route of every page blueprint is visited with its ids filled in from one small
world; a route this test does not know how to fill fails it: add its arguments to the ids
``make_world`` gives (or, for what is not a page a person reads, its endpoint to
``NOT_PAGES``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

import stampbook
from stampbook.core import wording
from stampbook.core.db import utcnow
from stampbook.core.routing import PageBlueprint
from stampbook.ledger.words import entry_note
from stampbook.loyalty.models import Campaign, EarningRule
from stampbook.notifications.links import unsubscribe_token
from stampbook.rewards.models import Redemption
from stampbook.tasks.models import Stamp
from stampbook.tiers.models import Tier, TierSettings
from stampbook.ui.words import error_detail, error_title
from tests.accounts import authz_cases as account_cases
from tests.consultations import authz_cases as consultation_cases
from tests.events import authz_cases as event_cases
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.people import make_buddies, make_message, make_post, make_request
from tests.factories.programs import make_membership
from tests.factories.rewards import make_reward
from tests.factories.shops import make_invitation, make_role
from tests.factories.tasks import make_task
from tests.factories.webhooks import make_endpoint
from tests.loyalty import authz_cases as loyalty_cases
from tests.pages import Cafe, csrf_token, log_in, signed_in, text_of
from tests.referrals import authz_cases as referral_cases
from tests.wallets import authz_cases as wallet_cases

TRANSLATIONS = Path(stampbook.__file__).parent / "translations"
SPANISH = {"Accept-Language": "es"}

# Page blueprints' GET routes that are not pages a person reads.
NOT_PAGES = frozenset(
    {
        "system.healthz",
        "system.readyz",
        "system.docs_asset",
        "event_pages.door_code",
        # A member's Apple pass (a zip), the Google link (a redirect to Google), the logo.
        "wallet_pages.apple_pass",
        "wallet_pages.google_wallet",
        "wallet_pages.shop_logo",
    }
)

# English that once reached a Spanish reader though the catalogue had its Spanish, or that
# was never marked: whole words, case-sensitive.
UNTRANSLATED = (
    # Numbers said in English ("Mi saldo: 7 points", "quedan 1" for "1 left").
    "point",
    "points",
    "left",
    # What the system writes in a ledger entry's note.
    "first time",
    "target reached",
    "completions",
    "streak",
    "Cancelled",
    "Reward expired",
    "Reward deleted",
    "revoked",
    "merged into program",
    "Review of",
    # The reward list's sort options.
    "Favourites and redeemable first",
    "Cheapest first",
    "Dearest first",
    "Newest first",
    "Name",
    # Error pages: their titles, Werkzeug's and Flask-WTF's words.
    "Back to the home page",
    "Not found",
    "Not Found",
    "Not allowed",
    "Authentication required",
    "Not enough points",
    "Method Not Allowed",
    "requested URL",
    "CSRF",
    # Pydantic's and WTForms' own words.
    "Input should be",
    "Field required",
    "This field is required",
)

# Words the world below writes (names, notes) that also happen to be English of the catalogue.
WORLD_WORDS = ("Corner Café", "Coffee card", "Buy a coffee", "Free coffee", "Sold out")


# --- The catalogue's English -------------------------------------------------------------------


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}")


@cache
def _catalogue() -> dict[str, str]:
    """Each English msgid (singular and plural) and its Spanish."""
    with (TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="es")
    found: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = (
            [message.string] if isinstance(message.string, str) else list(message.string or ())
        )
        for index, msgid in enumerate(ids):
            found[msgid] = strings[min(index, len(strings) - 1)] if strings else ""
    return found


def _fragments(msgid: str) -> list[str]:
    """The literal parts of a msgid worth looking for: two words or more, 8 characters or
    more (a msgid without placeholders is one part)."""
    parts = [part.strip(" ,.:;()“”") for part in PLACEHOLDER.split(msgid)]
    return [p for p in parts if len(p.split()) >= 2 and len(p) >= 8]


@cache
def english_phrases() -> tuple[str, ...]:
    """What of the catalogue's English must not show on a Spanish page."""
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    spanish = _catalogue()
    phrases: set[str] = set()
    for message in template:
        if not message.id:
            continue
        for msgid in [message.id] if isinstance(message.id, str) else message.id:
            said = spanish.get(msgid, "")
            if said.strip() == msgid.strip():
                continue  # the same in both languages ("OK", "Email", a name)
            phrases.update(p for p in _fragments(msgid) if p not in said)
    return tuple(sorted(phrases - set(WORLD_WORDS), key=len, reverse=True))


# --- What a person reads -----------------------------------------------------------------------

SHOWN_ATTRIBUTES = frozenset({"title", "placeholder", "alt", "aria-label"})
BUTTON_TYPES = frozenset({"submit", "button", "reset"})


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        self.parts.extend(v for k, v in attrs if k in SHOWN_ATTRIBUTES and v)
        if tag == "input" and values.get("type") in BUTTON_TYPES and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def readable(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    return "\n".join(reader.parts)


def english_in(text: str) -> list[str]:
    """The catalogue's English and the known untranslated words found in ``text``."""
    for name in WORLD_WORDS:
        text = text.replace(name, "·")
    # A message template's code, as its page shows it (``{{ amount | points }}``), is no English.
    text = re.sub(r"\{\{.*?\}\}", "·", text)
    found = [phrase for phrase in english_phrases() if phrase in text]
    found += [w for w in UNTRANSLATED if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
    return found


def assert_spanish(where: str, html: str) -> None:
    text = readable(html)
    found = english_in(text)
    assert not found, f"{where} shows English {found[:8]} in:\n{text[:3000]}"


# --- The world ---------------------------------------------------------------------------------


@dataclass
class World:
    cafe: Cafe
    ids: dict[str, list[int]]
    # What the member and the owner read after acting (flash messages): where, and the page.
    after: list[tuple[str, str]]


def _act(client: FlaskClient, path: str, form_page: str, data: dict[str, Any]) -> str:
    """Post a form in Spanish and read the page it leads to."""
    answer = client.post(
        path,
        data={**data, "csrf_token": csrf_token(client, form_page)},
        headers=SPANISH,
        follow_redirects=True,
    )
    assert answer.status_code == 200, (path, answer.status_code)
    return text_of(answer)


def make_world(app: Flask, session: Session, cafe: Cafe) -> World:
    """A café with a member who stamped (a stamp revoked), redeemed, had a receipt cancelled,
    has a buddy, a buddy request, messages and a post; a group reward; a team with an
    assistant; an invitation."""
    after = []
    member = signed_in(app, cafe.member)
    task_page = f"/tasks/{cafe.task.id}"
    stamping = {"membership_id": cafe.membership.id}
    after.append(("stamping", _act(member, f"{task_page}/stamp", task_page, stamping)))
    # A milestone bonus named by the system, then the stamp revoked by the owner.
    run = make_task(
        session,
        cafe.program,
        name="Run",
        bonus_values={"milestones": [{"points": 2, "quantity": 1}]},
    )
    run_page = f"/tasks/{run.id}"
    after.append(("stamping again", _act(member, f"{run_page}/stamp", run_page, stamping)))
    revoked = session.scalars(select(Stamp.id).where(Stamp.task_id == run.id)).one()
    give_points(session, cafe.membership, 100)
    coffee = f"/rewards/{cafe.coffee.id}"
    paying = {"membership_id": cafe.membership.id}
    for _ in range(2):
        after.append(("redeeming", _act(member, f"{coffee}/redeem", coffee, paying)))
    receipts = session.scalars(
        select(Redemption.id).where(Redemption.reward_id == cafe.coffee.id).order_by(Redemption.id)
    ).all()
    owner = signed_in(app, cafe.owner)
    listing = f"{coffee}/redemptions"
    cancel = f"/receipts/{receipts[1]}/cancel?next={listing}"
    after.append(("cancelling", _act(owner, cancel, listing, {"reason": "Sold out"})))
    revoke = f"/stamps/{revoked}/revoke"
    after.append(("revoking", _act(owner, revoke, revoke, {"next": run_page})))
    pot = make_reward(session, cafe.shop, name="Pot", cost=40, is_group_reward=True)
    buddy = make_user(session, email="bea@example.com", name="Bea Buddy")
    make_membership(session, cafe.program, buddy)
    make_buddies(session, cafe.member, buddy)
    make_message(session, buddy, cafe.member, "Hola")
    mine = make_message(session, cafe.member, buddy, "¿Qué tal?")
    post = make_post(session, cafe.member, "Un café buenísimo")
    helper = make_user(session, email="helper@example.com", name="Hugo Helper")
    role = make_role(session, cafe.shop, helper, "assistant")
    make_request(session, helper, cafe.member)
    make_invitation(session, cafe.shop, email="new@example.com")
    stamp = session.scalars(select(Stamp.id).where(Stamp.task_id == cafe.task.id)).first()
    assert stamp is not None
    consulting = consultation_cases.page_objects(session, cafe.shop.id, cafe.member.id)
    happening = event_cases.page_objects(session, cafe.shop.id, cafe.member.id)
    wallet_cases.page_objects(session, cafe.shop.id)  # the member's wallet buttons
    # The counter: the owner finds the member by their card (its card, tasks, rewards).
    counter = f"/programs/{cafe.program.id}/counter"
    card = {"card_code": cafe.membership.card_code}
    after.append(("the counter", _act(signed_in(app, cafe.owner), counter, counter, card)))
    ids = {
        "shop_id": [cafe.shop.id],
        "program_id": [cafe.program.id],
        "task_id": [cafe.task.id, run.id],
        "reward_id": [cafe.coffee.id, cafe.cake.id, pot.id],
        "membership_id": [cafe.membership.id],
        "redemption_id": list(receipts),
        "role_id": [role.id],
        "user_id": [cafe.member.id, buddy.id],
        "message_id": [mine.id],
        "post_id": [post.id],
        "stamp_id": [stamp],
        # A webhook endpoint of the café (its page: settings, secret, log).
        "endpoint_id": [make_endpoint(session, cafe.shop, "https://93.184.215.14/hook").id],
        # The program's earning rules and campaigns (its earning page; a rule's page).
        "rule_id": _earning_rules(session, cafe.program.id),
        # A VIP tier of the program (its setup pages: change, delete).
        "tier_id": [_tier(session, cafe.program.id)],
        # A customer import of the program, with a row it could not apply (its page).
        "import_id": [loyalty_cases.import_objects(session, cafe.program.id)["customer_import"]],
        # A member's referral link (its page), with referrals held and rejected to read.
        "code": [referral_cases.page_objects(session, cafe.program.id, cafe.membership.id)],
        # A consultation host (its profile, bookings, setup) and the member's session.
        "host_id": [consulting["host"]],
        "booking_id": [consulting["booking"]],
        # An event with the member's seat (its page, ticket, the door's pages, the report).
        "event_id": [happening["event"]],
        "registration_id": [happening["registration"]],
        # A shop's notification template, and the member's unsubscribe link.
        "kind": ["redemption_receipt"],
        "channel": ["email"],
        "language": ["es"],
        "token": [_unsubscribe_token(app, cafe)],
        # The member's password reset link (its form), and a made-up one (its refusal).
        "secret": [
            account_cases.account_objects(session, {"member": cafe.member})["reset_secret"],
            "pr_made-up",
        ],
    }
    return World(cafe, ids, after)


def _tier(session: Session, program_id: int) -> int:
    session.add(TierSettings(program_id=program_id))
    tier = Tier(program_id=program_id, name="Plata", threshold=100, perks=["Café gratis"])
    session.add(tier)
    session.flush()
    return tier.id


def _earning_rules(session: Session, program_id: int) -> list[int]:
    """A rule of every kind, with limits of every period and windows, and campaigns
    running, coming and ended (the earning page says each in words); the purchase rule's
    id and the activity's (a rule's page)."""
    now = utcnow()
    rules = [
        EarningRule(
            program_id=program_id,
            kind="purchase",
            points=2,
            per_amount=150,
            minimum_amount=2000,
            include_shipping=True,
        ),
        EarningRule(
            program_id=program_id, kind="signup", points=1, limit_count=1, limit_period="ever"
        ),
        EarningRule(
            program_id=program_id, kind="birthday", points=50, limit_count=1, limit_period="year"
        ),
        EarningRule(
            program_id=program_id,
            kind="review",
            points=5,
            limit_count=3,
            limit_period="week",
            ends_at=now + timedelta(days=3),
        ),
        EarningRule(
            program_id=program_id,
            kind="referral",
            points=30,
            limit_count=2,
            limit_period="month",
            starts_at=now + timedelta(days=40),
        ),
        EarningRule(
            program_id=program_id,
            kind="activity",
            activity="survey_completed",
            points=20,
            limit_count=1,
            limit_period="day",
            ends_at=now - timedelta(days=1),
        ),
    ]
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=2)}
    coming = {"starts_at": now + timedelta(days=20), "ends_at": now + timedelta(days=50)}
    ended = {"starts_at": now - timedelta(days=9), "ends_at": now - timedelta(days=2)}
    campaigns = [
        Campaign(
            program_id=program_id,
            name="Doble",
            kind="multiplier",
            multiplier_percent=200,
            rule_kinds=["purchase", "review"],
            **window,
        ),
        Campaign(
            program_id=program_id,
            name="Triple",
            kind="multiplier",
            multiplier_percent=300,
            **coming,
        ),
        Campaign(
            program_id=program_id,
            name="Y medio",
            kind="multiplier",
            multiplier_percent=150,
            rule_kinds=["activity"],
            **ended,
        ),
        Campaign(
            program_id=program_id,
            name="Extra",
            kind="bonus",
            bonus_points=5,
            rule_kinds=["signup", "birthday", "referral"],
            **window,
        ),
        Campaign(program_id=program_id, name="Uno", kind="bonus", bonus_points=1, **coming),
    ]
    session.add_all([*rules, *campaigns])
    session.flush()
    return [rules[0].id, rules[-1].id]


def _unsubscribe_token(app: Flask, cafe: Cafe) -> str:
    with app.app_context():
        return unsubscribe_token(cafe.member.id, cafe.shop.id, "shop_news")


def page_paths(app: Flask, ids: dict[str, list[int]]) -> Iterator[str]:
    """Every GET route of every page blueprint, with its ids filled in."""
    pages = {name for name, bp in app.blueprints.items() if isinstance(bp, PageBlueprint)}
    unknown = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.rsplit(".", 1)[0] not in pages or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint in NOT_PAGES:
            continue
        names = sorted(rule.arguments)
        if any(name not in ids for name in names):
            unknown.append(f"{rule.rule} ({rule.endpoint})")
            continue
        for values in itertools.product(*(ids[name] for name in names)):
            with app.test_request_context():
                yield app.url_for(rule.endpoint, **dict(zip(names, values, strict=True)))
    assert not unknown, f"give make_world's ids for these pages (or NOT_PAGES): {unknown}"


# --- The tests ---------------------------------------------------------------------------------


@pytest.fixture
def world(app: Flask, session: Session, cafe: Cafe) -> World:
    return make_world(app, session, cafe)


def test_the_catalogue_has_english_to_look_for() -> None:
    phrases = english_phrases()
    assert "Sign in" in phrases or "Sign in to do this" in phrases
    assert english_in("Mi saldo: 7 points") == ["points"]
    assert english_in("Tienes 7 puntos") == []


@pytest.mark.parametrize("viewer", ["member", "owner", "anonymous"])
def test_every_page_reads_in_spanish(app: Flask, world: World, viewer: str) -> None:
    cafe = world.cafe
    client = app.test_client()
    if viewer != "anonymous":
        log_in(client, cafe.member.email if viewer == "member" else cafe.owner.email)
    problems = []
    if viewer == "member":
        for where, html in world.after:
            found = english_in(readable(html))
            if found:
                problems.append(f"after {where}: {found[:6]}")
    for path in page_paths(app, world.ids):
        answer = client.get(path, headers=SPANISH)
        if 300 <= answer.status_code < 400:
            continue
        text = readable(text_of(answer))
        found = english_in(text)
        if found:
            problems.append(f"{path} ({answer.status_code}): {found[:6]}")
    assert not problems, f"as {viewer}, English on:\n" + "\n".join(problems)


def _params(message: wording.Text, number: int) -> dict[str, Any]:
    return dict.fromkeys(message.names, number)


def _choices() -> Iterator[tuple[str, dict[str, Any]]]:
    for code, found in wording.MESSAGES.items():
        if isinstance(found, wording.Choice):
            for value in found.options:
                yield code, {found.by: value}
        else:
            yield code, {}


@pytest.mark.parametrize("number", [1, 7])
def test_every_refusal_reads_in_spanish(app: Flask, number: int) -> None:
    problems = []
    with app.test_request_context(headers=SPANISH):
        for code, chosen in _choices():
            message = wording.message(code, chosen)
            assert message is not None
            params = {**_params(message, number), **chosen}
            said = wording.text(code, params)
            if said == wording.english(code, params) or english_in(said):
                problems.append(f"{code} {chosen}: {said}")
    assert not problems, "\n".join(problems)


def test_a_refusal_on_a_page_reads_in_spanish(app: Flask, session: Session, cafe: Cafe) -> None:
    member = signed_in(app, cafe.member)
    page = f"/rewards/{cafe.cake.id}"
    answer = member.post(
        f"{page}/redeem",
        data={"membership_id": cafe.membership.id, "csrf_token": csrf_token(member, page)},
        headers=SPANISH,
        follow_redirects=True,
    )
    shown = readable(text_of(answer))
    assert "Esto necesita 500 puntos" in shown, shown
    assert not english_in(shown), english_in(shown)


def test_what_the_system_wrote_in_the_points_history_reads_in_spanish(
    app: Flask, world: World
) -> None:
    member = signed_in(app, world.cafe.member)
    path = f"/memberships/{world.cafe.membership.id}/history"
    shown = readable(text_of(member.get(path, headers=SPANISH)))
    assert "Buy a coffee: extra del primer sello" in shown
    assert "Run: hito de 1 sello" in shown
    assert re.search(r"Run: sello \d+ anulado", shown)
    assert "Anulado: Sold out" in shown
    assert re.search(r"Saldo:\s+\d+ puntos", shown)
    home = readable(text_of(member.get("/", headers=SPANISH)))
    assert "Anulado: Sold out" in home and "extra del primer sello" in home


def test_numbers_take_their_plural_in_spanish(app: Flask, session: Session, cafe: Cafe) -> None:
    cafe.coffee.quantity = 1
    give_points(session, cafe.membership, 1)
    session.flush()
    member = signed_in(app, cafe.member)
    shop = readable(text_of(member.get(f"/shops/{cafe.shop.id}", headers=SPANISH)))
    assert "queda 1" in shop and "quedan" not in shop
    program = readable(text_of(member.get(f"/programs/{cafe.program.id}", headers=SPANISH)))
    assert "1 punto" in program and "1 puntos" not in program


def test_the_reward_list_sorts_in_spanish(app: Flask, cafe: Cafe) -> None:
    shop = readable(text_of(app.test_client().get(f"/shops/{cafe.shop.id}", headers=SPANISH)))
    assert "Las más baratas primero" in shop and "Cheapest first" not in shop


def test_error_pages_read_in_spanish(app: Flask, cafe: Cafe) -> None:
    visitor = app.test_client()
    missing = visitor.get("/no/such/page", headers=SPANISH)
    assert missing.status_code == 404
    assert_spanish("an unknown address", text_of(missing))
    assert "No encontrado" in readable(text_of(missing))
    forged = signed_in(app, cafe.owner).post("/shops/new", headers=SPANISH)
    assert forged.status_code == 400
    assert_spanish("a form without its CSRF token", text_of(forged))
    assert "recarga la página" in readable(text_of(forged))


@pytest.mark.parametrize(
    ("kind", "note", "spanish"),
    [
        ("refund", "Cancelled: Sold out", "Anulado: Sold out"),
        ("refund", "Reward expired", "Recompensa caducada"),
        ("refund", "Reward deleted", "Recompensa eliminada"),
        ("reversal", "Run: stamp 7 revoked", "Run: sello 7 anulado"),
        ("merge", "Program 3 merged into program 1", "Programa 3 fusionado en el programa 1"),
        ("review", "Review of reward 4", "Reseña de la recompensa 4"),
        ("bonus", "Run: first time", "Run: extra del primer sello"),
        ("bonus", "Run: target reached", "Run: objetivo alcanzado"),
        ("bonus", "Run: 3-day streak", "Run: racha de 3 días"),
        ("bonus", "Run: group 1-week streak", "Run: racha del grupo de 1 semana"),
        ("bonus", "Run: 10 completions", "Run: hito de 10 sellos"),
        ("bonus", "Run: Ten coffees", "Run: Ten coffees"),
        ("adjustment", "Cancelled: typed by the team", "Cancelled: typed by the team"),
    ],
)
def test_what_the_system_writes_in_a_note_is_said_in_spanish(
    app: Flask, kind: str, note: str, spanish: str
) -> None:
    with app.test_request_context(headers=SPANISH):
        assert entry_note(kind, note) == spanish


def test_an_error_page_says_in_spanish_what_others_said_in_english(app: Flask) -> None:
    with app.test_request_context(headers=SPANISH):
        assert error_title(404, "Not Found") == "No encontrado"
        assert error_title(418, "I'm a teapot") == "I'm a teapot"
        limited = error_detail(429, "rate_limited", "3 per 1 minute")
        assert limited.startswith("Demasiados intentos")
        assert "recarga" in error_detail(400, "bad_request", "The CSRF token is missing.")
        too_large = error_detail(413, "payload_too_large", RequestEntityTooLarge.description)
        assert too_large == "Lo enviado es demasiado grande."
        assert error_detail(409, "conflict", "Ya eres miembro.") == "Ya eres miembro."
