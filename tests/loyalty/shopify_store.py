"""A café's Shopify store connected to its program, and Shopify's side of a webhook: the
recorded payloads (``shopify_payloads/``) signed exactly as Shopify signs them (base64 of
HMAC-SHA256 of the raw bytes, keyed with the app's API secret key), computed here apart from
the app's own code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.loyalty.models import Integration, IntegrationDelivery
from stampbook.programs.models import Membership
from tests.loyalty.conftest import Store

PAYLOADS = Path(__file__).parent / "shopify_payloads"
DOMAIN = "corner-cafe.myshopify.com"
SECRET = "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"
WEBHOOK = "/api/v1/integrations/shopify/webhooks"
BOB = "706405506930370084"  # the payloads' customer
ORDER = "820982911946154508"  # the payloads' order


def payload(name: str) -> bytes:
    """A recorded body, byte for byte."""
    return (PAYLOADS / f"{name}.json").read_bytes()


def edited(name: str, **changes: Any) -> bytes:
    """A recorded body with some fields changed (re-serialised: another body, signed anew)."""
    data = json.loads(payload(name))
    data.update(changes)
    return json.dumps(data, indent=2).encode()


def shopify_signature(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Shopify:
    store: Store
    session: Session
    integration_id: int

    @property
    def client(self) -> FlaskClient:
        return self.store.client

    def send(
        self,
        topic: str,
        body: bytes,
        *,
        signature: str | None = "sign",
        domain: str = DOMAIN,
        webhook_id: str | None = None,
        secret: str = SECRET,
    ) -> Any:
        """Post ``body`` as Shopify does (signed with ``secret`` unless ``signature`` says
        otherwise: None sends no signature header)."""
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-API-Version": "2025-01",
            "X-Shopify-Webhook-Id": webhook_id or f"b54557e4-{len(body)}-{topic}",
            "X-Shopify-Triggered-At": "2026-11-28T19:05:24.123Z",
        }
        if signature is not None:
            headers["X-Shopify-Hmac-Sha256"] = (
                shopify_signature(body, secret) if signature == "sign" else signature
            )
        return self.client.post(
            WEBHOOK, data=body, headers=headers, content_type="application/json"
        )

    def balance(self, external_id: str = BOB) -> int:
        found = self.session.scalar(
            select(Membership.balance).where(
                Membership.program_id == self.store.program_id,
                Membership.external_id == external_id,
            )
        )
        return int(found or 0)

    def member(self, external_id: str = BOB) -> Membership | None:
        self.session.expire_all()
        return self.session.scalars(
            select(Membership).where(
                Membership.program_id == self.store.program_id,
                Membership.external_id == external_id,
            )
        ).first()

    def deliveries(self) -> list[IntegrationDelivery]:
        self.session.expire_all()
        return list(
            self.session.scalars(select(IntegrationDelivery).order_by(IntegrationDelivery.id))
        )

    def integration(self) -> Integration:
        self.session.expire_all()
        found = self.session.get(Integration, self.integration_id)
        assert found is not None
        return found


def connect(store: Store, domain: str = DOMAIN, secret: str = SECRET) -> int:
    response = store.client.post(
        f"/api/v1/shops/{store.team.shop.id}/integrations",
        json={
            "kind": "shopify",
            "shop_domain": domain,
            "secret": secret,
            "program_id": store.program_id,
        },
        headers=store.headers,
    )
    assert response.status_code == 201, response.json
    return int(response.json["id"])


@pytest.fixture(name="shopify")
def shopify_fixture(store: Store, session: Session) -> Shopify:
    """The café's store connected to its program (a point per dollar)."""
    return Shopify(store, session, connect(store))
