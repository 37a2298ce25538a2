"""The referral pages: a friend's link (sign up and come back, then join), the member's page
(code, link, copy button, sharing by email, friends' statuses), and for the team the
settings, the referrals with their reasons, held ones approved, and the analytics."""

from __future__ import annotations

from flask import Flask

from tests.pages import post, signed_in, text_of
from tests.referrals.conftest import Referrals


def test_the_link_invites_a_visitor_to_sign_up_and_come_back(
    app: Flask, referrals: Referrals
) -> None:
    referrals.person("ada")
    code = referrals.code("ada")
    visitor = app.test_client()
    page = visitor.get(f"/r/{code.lower()}")
    assert page.status_code == 200
    html = text_of(page)
    assert "A friend invites you to" in html
    assert f"/register?next=/r/{code}" in html
    assert visitor.get("/r/NOPE2345").status_code == 404


def test_a_signed_in_friend_joins_through_the_link(app: Flask, referrals: Referrals) -> None:
    referrals.person("ada")
    grace = referrals.person("grace", member=False)
    code = referrals.code("ada")
    browser = signed_in(app, grace.user)
    answer = post(browser, f"/r/{code}/join", f"/r/{code}", {})
    assert answer.status_code == 303
    assert referrals.balance_of("grace") == 20
    assert referrals.balance_of("ada") == 50
    again = text_of(browser.get(f"/r/{code}"))
    assert "You are already a member of this program." in again


def test_the_members_page_shows_the_code_link_and_friends(app: Flask, referrals: Referrals) -> None:
    ada = referrals.person("ada")
    referrals.person("grace", member=False, full_name="Grace Hopper")
    code = referrals.code("ada")
    referrals.join("grace", code)
    browser = signed_in(app, ada.user)
    path = f"/programs/{referrals.program_id}/referral"
    html = text_of(browser.get(path))
    assert code in html and f"/r/{code}" in html
    assert 'data-copy="referral-link"' in html and "copy.js" in html
    assert "Grace Hopper" in html and "Completed" in html
    shared = post(
        browser,
        f"/programs/{referrals.program_id}/referral/invitations",
        path,
        {"emails": "x@example.com, y@example.com"},
    )
    assert shared.status_code == 303
    assert "2 invitations are on their way." in text_of(browser.get(path))


def test_the_team_sets_up_reviews_and_reads_analytics(app: Flask, referrals: Referrals) -> None:
    manager = signed_in(app, referrals.store.team.manager)
    settings = f"/programs/{referrals.program_id}/referral-settings"
    saved = post(
        manager,
        settings,
        settings,
        {
            "enabled": "y",
            "completes": "on_signup",
            "minimum_amount": "0",
            "advocate_points": "70",
            "friend_points": "30",
            "escalation": "3:200",
            "expiry_days": "30",
            "cap_period": "month",
            "email_sharing": "y",
        },
    )
    assert saved.status_code == 303, text_of(saved)
    assert 'value="3:200"' in text_of(manager.get(settings))
    wrong = {"enabled": "y", "escalation": "three", "completes": "on_signup", "cap_period": "month"}
    bad = post(manager, settings, settings, wrong)
    assert bad.status_code == 422
    referrals.person("ada")
    code = referrals.code("ada")
    assert referrals.join("ada", code).json["reason"] == "self_user"
    for n in range(10):
        referrals.person(f"f{n}", member=False)
        held = referrals.join(f"f{n}", code, REMOTE_ADDR="198.51.100.4").json
    listing = f"/programs/{referrals.program_id}/referrals"
    html = text_of(manager.get(listing))
    assert "The advocate&#39;s own account" in html
    assert "Held for review" in html
    approved = post(manager, f"/referrals/{held['id']}/approve", listing, {})
    assert approved.status_code == 303
    assert referrals.balance_of("f9") == 30
    analytics = text_of(manager.get(f"/programs/{referrals.program_id}/referral-analytics"))
    assert "Conversion rate" in analytics and "Ada" in analytics
    member = signed_in(app, referrals.people["ada"].user)
    assert member.get(listing).status_code == 403
    assert member.get(settings).status_code == 403


def test_the_program_page_links_to_the_referral_pages(app: Flask, referrals: Referrals) -> None:
    ada = referrals.person("ada")
    program = f"/programs/{referrals.program_id}"
    member_view = text_of(signed_in(app, ada.user).get(program))
    assert (
        f"{program}/referral" in member_view and f"{program}/referral-settings" not in member_view
    )
    team_view = text_of(signed_in(app, referrals.store.team.manager).get(program))
    assert f"{program}/referral-settings" in team_view
    referrals.settings(enabled=False)
    assert f'{program}/referral"' not in text_of(signed_in(app, ada.user).get(program))
