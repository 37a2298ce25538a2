"""Settings read from the environment, with safe defaults for development.

Every setting is documented in README.md; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the app refuses to start."""


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set when STAMPBOOK_ENV=production")
    # Development: generate once and keep it, so sessions survive a restart.
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from error


def load(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    env = os.environ.get("STAMPBOOK_ENV", "development")
    production = env == "production"
    redis_url = os.environ.get("REDIS_URL") or None
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'stampbook.db'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; accept the common URL form too.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return {
        "STAMPBOOK_ENV": env,
        "SECRET_KEY": _secret_key(instance, production),
        "DATABASE_URL": database_url,
        "DATABASE_POOL_SIZE": _int("DATABASE_POOL_SIZE", 5),
        "DATABASE_MAX_OVERFLOW": _int("DATABASE_MAX_OVERFLOW", 5),
        "DATABASE_TIMEOUT_SECONDS": _int("DATABASE_TIMEOUT_SECONDS", 10),
        "REDIS_URL": redis_url,
        "TOKEN_LIFETIME_DAYS": _int("TOKEN_LIFETIME_DAYS", 30),
        "IDEMPOTENCY_KEY_HOURS": 24,
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        # The customer import page's upload, the one body allowed above MAX_CONTENT_LENGTH.
        "CUSTOMER_IMPORT_MAX_BYTES": _int("CUSTOMER_IMPORT_MAX_BYTES", 50 * 1024 * 1024),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "5 per minute"),
        # Forgotten passwords: how long a reset link lives, and how many may be asked for,
        # counted per address asked about and per client apart.
        "PASSWORD_RESET_MINUTES": _int("PASSWORD_RESET_MINUTES", 60),
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour"),
        # Email verification: how long a confirmation link lives, and how many a client may
        # ask to be sent again.
        "EMAIL_CONFIRMATION_HOURS": _int("EMAIL_CONFIRMATION_HOURS", 72),
        "EMAIL_CONFIRMATION_RATE_LIMIT": os.environ.get(
            "EMAIL_CONFIRMATION_RATE_LIMIT", "5 per hour"
        ),
        # Per sender, so that one account cannot flood another.
        "BUDDY_REQUEST_RATE_LIMIT": os.environ.get("BUDDY_REQUEST_RATE_LIMIT", "20 per hour"),
        "MESSAGE_RATE_LIMIT": os.environ.get("MESSAGE_RATE_LIMIT", "30 per minute;500 per day"),
        "POST_RATE_LIMIT": os.environ.get("POST_RATE_LIMIT", "10 per minute;100 per day"),
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Notifications: email over SMTP (unset in development: written to the log), the
        # sender, the address links in messages start with, how long read notices stay.
        "MAIL_URL": os.environ.get("MAIL_URL") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "stampbook <noreply@localhost>"),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
        "NOTIFICATION_RETENTION_DAYS": _int("NOTIFICATION_RETENTION_DAYS", 90),
        "JOBS_IMMEDIATE": os.environ.get("JOBS_IMMEDIATE", "0") == "1",
        # Outgoing webhooks: private addresses allowed (tests, on-premise), the time a
        # receiver has to answer, days of failures before an endpoint is disabled, and how
        # long a rotated secret still signs.
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": os.environ.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS") == "1",
        "WEBHOOKS_TIMEOUT_SECONDS": _int("WEBHOOKS_TIMEOUT_SECONDS", 10),
        "WEBHOOKS_DISABLE_AFTER_DAYS": _int("WEBHOOKS_DISABLE_AFTER_DAYS", 5),
        "WEBHOOKS_SECRET_GRACE_HOURS": _int("WEBHOOKS_SECRET_GRACE_HOURS", 24),
        # SMS through a Twilio-shaped REST API (unset in development: written to the log).
        "SMS_URL": os.environ.get("SMS_URL") or None,
        "SMS_ACCOUNT_SID": os.environ.get("SMS_ACCOUNT_SID") or None,
        "SMS_AUTH_TOKEN": os.environ.get("SMS_AUTH_TOKEN") or None,
        "SMS_FROM": os.environ.get("SMS_FROM") or None,
        # Discount codes made in a connected Shopify store: its Admin GraphQL endpoint
        # (``{shop}``: the store's domain; the API version is in the path) and the time it has
        # to answer.
        "SHOPIFY_ADMIN_URL": os.environ.get("SHOPIFY_ADMIN_URL")
        or "https://{shop}/admin/api/2025-01/graphql.json",
        "SHOPIFY_TIMEOUT_SECONDS": _int("SHOPIFY_TIMEOUT_SECONDS", 10),
        # Online payments for events through a Stripe Checkout-shaped provider (unset: the
        # team records payments by hand only): its API's base URL, secret key, and the
        # secret that signs its webhooks.
        "PAYMENTS_URL": (os.environ.get("PAYMENTS_URL") or "https://api.stripe.com").rstrip("/"),
        "PAYMENTS_SECRET_KEY": os.environ.get("PAYMENTS_SECRET_KEY") or None,
        "PAYMENTS_WEBHOOK_SECRET": os.environ.get("PAYMENTS_WEBHOOK_SECRET") or None,
        "PAYMENTS_TIMEOUT_SECONDS": _int("PAYMENTS_TIMEOUT_SECONDS", 10),
        # Where the checkout pages are (the ticket page's form may be sent there).
        "PAYMENTS_CHECKOUT_ORIGIN": os.environ.get("PAYMENTS_CHECKOUT_ORIGIN")
        or "https://checkout.stripe.com",
        # Wallet passes (issue 19): the platform's pass certificate and Google issuer, used
        # by every shop that has not set its own (PEM and JSON texts, or files' paths);
        # Apple's push service (through a relay speaking its request shape; unset: no
        # pushes) and Google's Wallet API and OAuth token endpoint.
        "WALLET_APPLE_PASS_TYPE_ID": os.environ.get("WALLET_APPLE_PASS_TYPE_ID") or None,
        "WALLET_APPLE_TEAM_ID": os.environ.get("WALLET_APPLE_TEAM_ID") or None,
        "WALLET_APPLE_CERTIFICATE": os.environ.get("WALLET_APPLE_CERTIFICATE") or None,
        "WALLET_APPLE_PRIVATE_KEY": os.environ.get("WALLET_APPLE_PRIVATE_KEY") or None,
        "WALLET_APPLE_WWDR_CERTIFICATE": os.environ.get("WALLET_APPLE_WWDR_CERTIFICATE") or None,
        "WALLET_GOOGLE_ISSUER_ID": os.environ.get("WALLET_GOOGLE_ISSUER_ID") or None,
        "WALLET_GOOGLE_SERVICE_ACCOUNT": os.environ.get("WALLET_GOOGLE_SERVICE_ACCOUNT") or None,
        "APNS_URL": (os.environ.get("APNS_URL") or "").rstrip("/") or None,
        "GOOGLE_WALLET_URL": (
            os.environ.get("GOOGLE_WALLET_URL") or "https://walletobjects.googleapis.com"
        ).rstrip("/"),
        "GOOGLE_OAUTH_TOKEN_URL": os.environ.get("GOOGLE_OAUTH_TOKEN_URL")
        or "https://oauth2.googleapis.com/token",
        "WALLET_TIMEOUT_SECONDS": _int("WALLET_TIMEOUT_SECONDS", 10),
        "JOBS_DATABASE": str(instance / "jobs.db"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "stampbook_session",
        "WTF_CSRF_TIME_LIMIT": None,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "JSON_SORT_KEYS": False,
    }
