"""HTML and script in names, messages and posts: data in the API, escaped on pages."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import PASSWORD, auth, make_user
from tests.pages import log_in

NASTY = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg/onload=alert(1)>",
    "{{ 7*7 }} {% raw %}",
    "&lt;already&gt; & <b>bold</b>",
]


@pytest.mark.parametrize("text", NASTY)
def test_the_api_returns_text_unchanged_as_json(
    client: FlaskClient, session: Session, text: str
) -> None:
    ada = make_user(session, privacy_settings={"messages": "public"})
    bob = make_user(session, privacy_settings={"messages": "public"})
    headers = auth(session, ada)
    renamed = client.patch("/api/v1/users/me", headers=headers, json={"name": text[:100]})
    assert renamed.json["name"] == text[:100].strip()
    assert renamed.headers["X-Content-Type-Options"] == "nosniff"
    message = client.post(
        "/api/v1/messages", headers=headers, json={"to_user_id": bob.id, "body": text}
    )
    assert message.status_code == 201 and message.json["body"] == text
    listed = client.get("/api/v1/messages", headers=auth(session, bob))
    assert listed.content_type == "application/json"
    assert listed.json["items"][0]["body"] == text
    posted = client.post("/api/v1/posts", headers=headers, json={"body": text})
    assert client.get(f"/api/v1/posts/{posted.json['id']}").json["body"] == text
    assert client.get(f"/api/v1/users/{ada.id}").json["name"] == text[:100].strip()


@pytest.mark.parametrize("text", NASTY)
def test_pages_escape_it(app: Flask, text: str) -> None:
    with app.test_request_context("/"):
        html = render_template_string(
            "<p>{{ name }}</p><div>{{ body }}</div>", name=text, body=text
        )
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert "&lt;" in html or "{{" in html
    assert "49" not in html  # the text is never evaluated as a template


def test_the_page_header_escapes_a_users_name(client: FlaskClient, session: Session) -> None:
    make_user(session, email="x@example.com", name="<script>alert(1)</script>")
    log_in(client, "x@example.com", PASSWORD)
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
