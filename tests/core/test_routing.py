"""Every route declares its policy; a route without one cannot be registered."""

from __future__ import annotations

import pytest
from flask import Flask

from stampbook.app import LIBRARY_ENDPOINTS
from stampbook.core.policy import Access, policy_of, route
from stampbook.core.routing import ApiBlueprint, MissingPolicyError, PageBlueprint


@pytest.mark.parametrize("blueprint_class", [ApiBlueprint, PageBlueprint])
def test_a_route_without_policy_fails_to_register(blueprint_class: type) -> None:
    bp = blueprint_class("naked", __name__)
    with pytest.raises(MissingPolicyError):

        @bp.get("/naked")
        def naked() -> str:
            return "no policy"


def test_a_route_with_policy_registers() -> None:
    bp = ApiBlueprint("dressed", __name__)

    @bp.get("/dressed")
    @route(Access.PUBLIC)
    def dressed() -> str:
        return "ok"

    app = Flask(__name__)
    app.register_blueprint(bp)
    policy = policy_of(app.view_functions["dressed.dressed"])
    assert policy is not None and policy.access is Access.PUBLIC


def test_every_app_route_declares_a_policy(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint not in LIBRARY_ENDPOINTS:
            assert policy_of(view) is not None, endpoint


def test_openapi_document(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    me = spec["paths"]["/api/v1/users/me"]["get"]
    assert me["security"] == [{"BearerAuth": []}]
    assert "application/problem+json" in me["responses"]["401"]["content"]
    adjust = spec["paths"]["/api/v1/memberships/{membership_id}/adjustments"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in adjust["parameters"])


def test_docs_page_uses_local_assets(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_a_subject_needs_the_action_it_is_decided_for() -> None:
    with pytest.raises(ValueError, match="action"):
        route(Access.USER, subject=lambda shop_id: shop_id)
