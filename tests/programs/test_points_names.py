"""Branding: a program's own names for its points (seed 001's "Star" / "Stars"), checked by
the API and the program's form, and said by one helper on every page that counts them; the
default "point" / "points" in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.programs.models import Program
from stampbook.programs.words import DEFAULT_NAMES, PointsNames, points
from tests.factories.accounts import auth
from tests.factories.ledger import give_points
from tests.factories.programs import make_program
from tests.pages import Cafe, csrf_token, log_in, post, redeem, task_path, text_of

STARS = {"points_currency_singular": "star", "points_currency_plural": "stars"}
SPANISH = {"Accept-Language": "es"}


@pytest.fixture
def stars(session: Session, cafe: Cafe) -> Cafe:
    """The café's one program counts stars: its task gives 10, the member holds 5."""
    cafe.program.points_currency_singular = "star"
    cafe.program.points_currency_plural = "stars"
    give_points(session, cafe.membership, 5)
    session.flush()
    return cafe


# --- The helper ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "language", "said"),
    [
        (1, "en", "1 star"),
        (5, "en", "5 stars"),
        (0, "en", "0 stars"),
        (1, "es", "1 star"),  # the merchant's own names, as typed, in any language
        (2, "es", "2 stars"),
        (1_000_000, "es", "1000000 stars"),  # Spanish's "many" is a plural too
    ],
)
def test_a_programs_own_names_follow_the_languages_plural_rules(
    app: Flask, num: int, language: str, said: str
) -> None:
    with app.test_request_context():
        assert points(num, PointsNames("star", "stars"), language) == said


@pytest.mark.parametrize(
    ("num", "language", "said"),
    [(1, "en", "1 point"), (5, "en", "5 points"), (1, "es", "1 punto"), (5, "es", "5 puntos")],
)
def test_without_names_the_default_is_said_in_the_readers_language(
    app: Flask, num: int, language: str, said: str
) -> None:
    with app.test_request_context():
        assert points(num, None, language) == said
        assert points(num, DEFAULT_NAMES, language) == said
        with force_locale(language):
            assert points(num) == said  # the request's language when none is given


def test_the_helper_is_a_filter_and_a_global_of_the_pages(app: Flask) -> None:
    named = PointsNames("Star", "Stars")
    with app.test_request_context():
        assert render_template_string("{{ 1 | points(n) }}, {{ points(3, n) }}", n=named) == (
            "1 Star, 3 Stars"
        )
        assert render_template_string("{{ 2 | points }}") == "2 points"


def test_programs_that_agree_share_their_names_and_others_say_points() -> None:
    star = PointsNames("star", "stars")
    assert PointsNames.common([star, PointsNames("star", "stars")]) == star
    assert PointsNames.common([star, PointsNames("bean", "beans")]) == DEFAULT_NAMES
    assert PointsNames.common([]) == DEFAULT_NAMES


# --- The API ------------------------------------------------------------------------------------


def test_the_names_are_set_read_changed_and_cleared_through_the_api(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    headers = auth(session, cafe.owner)
    created = client.post(
        f"/api/v1/shops/{cafe.shop.id}/programs",
        json={"name": "Star card", "points_currency_singular": " Star ", **_plural("Stars")},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert (created.json["points_currency_singular"], created.json["points_currency_plural"]) == (
        "Star",
        "Stars",
    )
    path = f"/api/v1/programs/{created.json['id']}"
    changed = client.patch(
        path,
        json={"points_currency_singular": "bean", "points_currency_plural": "beans"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.json
    assert client.get(path).json["points_currency_plural"] == "beans"
    kept = client.patch(path, json={"summary": "Beans for coffee"}, headers=headers)
    assert kept.json["points_currency_singular"] == "bean"
    cleared = client.patch(
        path,
        json={"points_currency_singular": None, "points_currency_plural": None},
        headers=headers,
    )
    assert cleared.status_code == 200, cleared.json
    assert cleared.json["points_currency_singular"] is None
    assert cleared.json["points_currency_plural"] is None
    plain = client.get(f"/api/v1/programs/{cafe.program.id}").json
    assert plain["points_currency_singular"] is None and plain["points_currency_plural"] is None


def _plural(name: Any) -> dict[str, Any]:
    return {"points_currency_plural": name}


@pytest.mark.parametrize(
    "names",
    [
        {"points_currency_singular": "star"},  # one name without the other
        _plural("stars"),
        {"points_currency_singular": "star", "points_currency_plural": None},
        {"points_currency_singular": "<b>star</b>", **_plural("stars")},  # markup
        {"points_currency_singular": "star", **_plural("st>ars")},
        {"points_currency_singular": "   ", **_plural("stars")},  # blank
        {"points_currency_singular": "", **_plural("stars")},
        {"points_currency_singular": "st\nar", **_plural("stars")},  # two lines
        {"points_currency_singular": "s" * 41, **_plural("stars")},  # too long
        {"points_currency_singular": 1, **_plural("stars")},
    ],
)
def test_names_the_api_refuses(
    client: FlaskClient, session: Session, cafe: Cafe, names: dict[str, Any]
) -> None:
    headers = auth(session, cafe.owner)
    created = client.post(
        f"/api/v1/shops/{cafe.shop.id}/programs",
        json={"name": "Star card", **names},
        headers=headers,
    )
    assert created.status_code == 422, created.json
    assert created.json["code"] == "validation_failed"
    patched = client.patch(f"/api/v1/programs/{cafe.program.id}", json=names, headers=headers)
    assert patched.status_code == 422, patched.json
    session.refresh(cafe.program)
    assert cafe.program.points_currency_singular is None


def test_a_patch_changes_both_names_or_neither(
    client: FlaskClient, session: Session, stars: Cafe
) -> None:
    response = client.patch(
        f"/api/v1/programs/{stars.program.id}",
        json={"points_currency_plural": None},
        headers=auth(session, stars.owner),
    )
    assert response.status_code == 422, response.json
    assert "both" in str(response.json["errors"])


def test_the_document_says_the_names_go_together(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for model in ("ProgramIn", "ProgramPatch"):
        field = schemas[model]["properties"]["points_currency_singular"]
        assert "pattern" in str(field) and "40" in str(field)
        assert "points_currency_plural" in str(schemas[model]["if"])


# --- The pages ----------------------------------------------------------------------------------


def test_the_programs_pages_count_its_stars(client: FlaskClient, stars: Cafe) -> None:
    log_in(client, stars.member.email)
    page = text_of(client.get(f"/programs/{stars.program.id}"))
    assert "5 stars" in page  # my balance
    assert "10 stars" in page and "10 stars per stamp" in page  # the task and its rules
    assert "5 stars extra with your first stamp" in page
    assert "5 points" not in page and "10 points" not in page
    history = text_of(client.get(f"/memberships/{stars.membership.id}/history"))
    assert "5 stars" in history
    assert "15 stars per stamp" not in text_of(client.get(task_path(stars.task)))
    assert "10 stars per stamp" in text_of(client.get(task_path(stars.task)))
    home = text_of(client.get("/"))
    assert "5 stars" in home and "12 stars" not in home
    shop = text_of(client.get(f"/shops/{stars.shop.id}"))
    assert "5 stars" in shop and "12 stars" in shop  # my balance and the coffee's cost


def test_one_star_is_singular(client: FlaskClient, session: Session, stars: Cafe) -> None:
    give_points(session, stars.membership, -4)
    log_in(client, stars.member.email)
    page = text_of(client.get(f"/programs/{stars.program.id}"))
    assert "1 star<" in page and "1 stars" not in page


def test_rewards_and_receipts_say_stars(client: FlaskClient, session: Session, stars: Cafe) -> None:
    give_points(session, stars.membership, 20)  # 25 stars
    log_in(client, stars.member.email)
    reward = text_of(client.get(f"/rewards/{stars.coffee.id}"))
    assert "12 stars" in reward and "Redeem for 12 stars each" in reward
    assert "Coffee card: 25 stars" in reward  # what I pay with
    redeemed = redeem(client, stars.coffee, stars.membership)
    assert redeemed.status_code == 303
    receipt = text_of(client.get(redeemed.headers["Location"]))
    assert "Redeemed: Free coffee for 12 stars." in receipt
    assert "12 stars each" in receipt
    assert "12 stars" in text_of(client.get("/receipts"))
    log_in(client, stars.owner.email)
    team = text_of(client.get(f"/shops/{stars.shop.id}/redemptions"))
    assert "12 stars" in team


def test_a_shop_whose_programs_name_points_differently_says_points_for_its_rewards(
    client: FlaskClient, session: Session, stars: Cafe
) -> None:
    make_program(
        session, stars.shop, points_currency_singular="bean", points_currency_plural="beans"
    )
    log_in(client, stars.member.email)
    reward = text_of(client.get(f"/rewards/{stars.coffee.id}"))
    assert "12 points" in reward and "12 stars" not in reward
    assert "Coffee card: 5 stars" in reward  # my membership still counts its own


def test_a_stamp_and_an_adjustment_are_said_in_stars(
    client: FlaskClient, session: Session, stars: Cafe
) -> None:
    log_in(client, stars.member.email)
    stars.program.stamp_system_type = "self"
    session.flush()
    page = task_path(stars.task)
    stamped = post(
        client,
        f"{page}/stamp",
        page,
        {"membership_id": stars.membership.id, "quantity": 1, "idempotency_key": "s" * 24},
    )
    assert stamped.status_code == 303
    said = text_of(client.get(stamped.headers["Location"]))
    assert "Stamped “Buy a coffee”: +15 stars (the stamp 10, first stamp bonus 5)." in said
    log_in(client, stars.owner.email)
    members = f"/programs/{stars.program.id}/members/manage"
    adjusted = post(
        client,
        f"/memberships/{stars.membership.id}/adjust",
        members,
        {"amount": 1, "note": "A gift", "idempotency_key": "a" * 24},
    )
    assert adjusted.status_code == 303
    assert "Added 1 star: the balance is 21 stars." in text_of(client.get(members))


def test_the_team_names_the_points_on_the_programs_form(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    form = f"/programs/{cafe.program.id}/edit"
    shown = text_of(client.get(form))
    assert "Your name for one point" in shown and "Your name for several points" in shown
    data = {
        "name": "Coffee card",
        "points_currency_singular": " Bean ",
        "points_currency_plural": "Beans",
        "csrf_token": csrf_token(client, form),
    }
    assert client.post(form, data=data).status_code == 302
    session.refresh(cafe.program)
    assert (cafe.program.points_currency_singular, cafe.program.points_currency_plural) == (
        "Bean",
        "Beans",
    )
    assert 'value="Bean"' in text_of(client.get(form))
    assert "10 Beans per stamp" in text_of(client.get(f"/programs/{cafe.program.id}"))
    one = client.post(form, data={**data, "points_currency_plural": ""})
    assert one.status_code == 422
    assert "Give both names, or leave both empty." in text_of(one)
    marked = client.post(form, data={**data, "points_currency_singular": "<i>Bean</i>"})
    assert marked.status_code == 422
    assert "Plain text of one line, without &lt; or &gt;." in text_of(marked)
    cleared = {**data, "points_currency_singular": "", "points_currency_plural": ""}
    assert client.post(form, data=cleared).status_code == 302
    session.refresh(cafe.program)
    assert cafe.program.points_currency_singular is None
    assert "10 points per stamp" in text_of(client.get(f"/programs/{cafe.program.id}"))


def test_a_new_program_may_be_named_on_its_form(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    form = f"/shops/{cafe.shop.id}/programs/new"
    created = post(
        client,
        form,
        form,
        {
            "name": "Star card",
            "points_currency_singular": "Star",
            "points_currency_plural": "Stars",
        },
    )
    assert created.status_code == 302, text_of(created)
    program = session.scalars(select(Program).where(Program.name == "Star card")).one()
    assert (program.points_currency_singular, program.points_currency_plural) == ("Star", "Stars")
    assert "0 Stars" in text_of(client.get(f"/programs/{program.id}"))  # the team's stats


def test_in_spanish_the_default_says_puntos_and_own_names_stay_as_typed(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 5)
    log_in(client, cafe.member.email)
    page = text_of(client.get(f"/programs/{cafe.program.id}", headers=SPANISH))
    assert "5 puntos" in page and "10 puntos por sello" in page
    cafe.program.points_currency_singular = "estrella"
    cafe.program.points_currency_plural = "estrellas"
    session.flush()
    page = text_of(client.get(f"/programs/{cafe.program.id}", headers=SPANISH))
    assert "5 estrellas" in page and "10 estrellas por sello" in page and "puntos por" not in page
    log_in(client, cafe.owner.email)
    form = text_of(client.get(f"/programs/{cafe.program.id}/edit", headers=SPANISH))
    assert "Tu nombre para un punto" in form and "Tu nombre para varios puntos" in form
