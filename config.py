"""Settings read from the environment (12-factor), with small typed parsers.

`load_config()` returns a plain dict that `wsgi.create_app` puts into `app.config`. In production
(`APP_ENV=production`) it refuses to start without the secrets and servers it needs and names
what is missing; in development and tests the embedded PostgreSQL and Redis stand in for unset URLs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

ENVIRONMENTS = ("development", "test", "production")
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _str(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _list(env: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in env.get(name, "").split(",") if item.strip()]


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the settings from `env` (default: os.environ). Raises ConfigError naming what is
    wrong."""
    env = os.environ if env is None else env
    app_env = _str(env, "APP_ENV", "development")
    if app_env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {app_env!r}")
    production = app_env == "production"

    if production:
        missing = [name for name in REQUIRED_IN_PRODUCTION if not _str(env, name)]
        if missing:
            raise ConfigError(
                f"APP_ENV=production needs {', '.join(missing)}: set "
                f"{'it' if len(missing) == 1 else 'them'} in the environment"
            )

    return {
        "APP_ENV": app_env,
        # A random key per process in development keeps sign-ins working for one run without a
        # committed secret; production refuses to start without one (above).
        "SECRET_KEY": _str(env, "SECRET_KEY") or secrets.token_hex(32),
        "DATABASE_URL": _str(env, "DATABASE_URL"),
        "DATABASE_POOL_SIZE": _int(env, "DATABASE_POOL_SIZE", 10),
        "REDIS_URL": _str(env, "REDIS_URL"),
        "ELASTICSEARCH_URL": _str(env, "ELASTICSEARCH_URL"),
        "STRIPE_SECRET_KEY": _str(env, "STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": _str(env, "STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": _str(env, "STRIPE_API_BASE"),
        # "automatic" charges at checkout; "manual" authorises, and staff capture or void.
        "STRIPE_CAPTURE_METHOD": _str(env, "STRIPE_CAPTURE_METHOD", "automatic"),
        # Carriers' tracking updates (POST /api/v1/tracking/<carrier>) authenticate with this shared
        # secret (every update is refused while it is unset); labels and packing slips go here.
        "TRACKING_WEBHOOK_SECRET": _str(env, "TRACKING_WEBHOOK_SECRET"),
        "SHIPPING_DOCS_DIR": _str(env, "SHIPPING_DOCS_DIR"),
        "SMTP_URL": _str(env, "SMTP_URL"),
        "MAIL_FROM": _str(env, "MAIL_FROM", "Shop Back-office <no-reply@shop.example>"),
        "SHOP_NAME": _str(env, "SHOP_NAME", "Shop"),
        "TRUST_PROXY_HOPS": _int(env, "TRUST_PROXY_HOPS", 0),
        # Product images (public, behind a CDN in production) and digital goods (private).
        "MEDIA_DIR": _str(env, "MEDIA_DIR"),
        "MEDIA_URL": _str(env, "MEDIA_URL", "/media"),
        "PRIVATE_STORAGE_DIR": _str(env, "PRIVATE_STORAGE_DIR"),
        # Invoices: where their PDFs are kept, and the seller they name (SHOP_NAME is its name).
        "INVOICES_DIR": _str(env, "INVOICES_DIR"),
        "SELLER_ADDRESS": _str(env, "SELLER_ADDRESS", ""),
        "SELLER_VAT_ID": _str(env, "SELLER_VAT_ID", ""),
        "CATALOG_CACHE_SECONDS": _int(env, "CATALOG_CACHE_SECONDS", 60),
        "CART_CACHE_SECONDS": _int(env, "CART_CACHE_SECONDS", 600),
        "PUBLIC_URL": _str(env, "PUBLIC_URL", "http://127.0.0.1:5000"),
        "STOREFRONT_ORIGINS": _list(env, "STOREFRONT_ORIGINS"),
        "API_RATE_LIMIT": _str(env, "API_RATE_LIMIT", "600 per minute"),
        "API_AUTH_RATE_LIMIT": _str(env, "API_AUTH_RATE_LIMIT", "20 per minute"),
        "API_CHECKOUT_RATE_LIMIT": _str(env, "API_CHECKOUT_RATE_LIMIT", "60 per minute"),
        "API_RATE_LIMIT_EXEMPT": _list(env, "API_RATE_LIMIT_EXEMPT"),
        "API_RATE_LIMITS_ENABLED": _bool(env, "API_RATE_LIMITS_ENABLED", True),
        "PAYMENT_LINK_DAYS": _int(env, "PAYMENT_LINK_DAYS", 7),
        "EXPORTS_DIR": _str(env, "EXPORTS_DIR"),
        "IMPORTS_DIR": _str(env, "IMPORTS_DIR"),
        "CUSTOMER_EXPORTS_DIR": _str(env, "CUSTOMER_EXPORTS_DIR"),
        "CUSTOMER_EXPORT_KEEP_DAYS": _int(env, "CUSTOMER_EXPORT_KEEP_DAYS", 7),
        "TWILIO_BASE_URL": _str(env, "TWILIO_BASE_URL"),
        # Catalog prices include tax (EU-style) or tax is added at checkout (US-style).
        "PRICES_INCLUDE_TAX": _bool(env, "PRICES_INCLUDE_TAX", False),
        "SHOP_CURRENCY": _str(env, "SHOP_CURRENCY", "EUR"),
        # The web shop's own address, for links in customer emails (verify, reset, orders).
        "STOREFRONT_URL": _str(env, "STOREFRONT_URL"),
        "CHECKOUT_HOLD_SECONDS": _int(env, "CHECKOUT_HOLD_SECONDS", 15 * 60),
        # Carts untouched this long get one reminder email (owners who agreed to marketing only).
        "ABANDONED_CART_AFTER_HOURS": _int(env, "ABANDONED_CART_AFTER_HOURS", 4),
        # Customer access tokens (sign-in), email verification links and password reset links.
        "CUSTOMER_TOKEN_TTL_SECONDS": _int(env, "CUSTOMER_TOKEN_TTL_SECONDS", 30 * 24 * 3600),
        "CUSTOMER_VERIFY_TTL_SECONDS": _int(env, "CUSTOMER_VERIFY_TTL_SECONDS", 48 * 3600),
        "CUSTOMER_RESET_TTL_SECONDS": _int(env, "CUSTOMER_RESET_TTL_SECONDS", 3600),
        "SMS_BACKEND": _str(env, "SMS_BACKEND", "logging"),
        "TWILIO_ACCOUNT_SID": _str(env, "TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": _str(env, "TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM": _str(env, "TWILIO_FROM"),
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": _int(env, "SESSION_LIFETIME_SECONDS", 12 * 3600),
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
        "SIGNIN_MAX_FAILURES": _int(env, "SIGNIN_MAX_FAILURES", 5),
        "SIGNIN_WINDOW_SECONDS": _int(env, "SIGNIN_WINDOW_SECONDS", 15 * 60),
        "RQ_QUEUES": _list(env, "RQ_QUEUES") or ["default", "mail", "reports"],
        "OUTBOX_POLL_SECONDS": float(_str(env, "OUTBOX_POLL_SECONDS", "2") or 2),
        "LOG_LEVEL": _str(env, "LOG_LEVEL", "INFO"),
    }
