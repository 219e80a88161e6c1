"""Rate limits and CORS for the storefront API.

Rate limits live in Redis (Flask-Limiter over the app's REDIS_URL), so every API process shares
them. Each client is counted by its bearer token when it sends one (a shop's server calling for
many shoppers gets its own budget per token) and by IP otherwise. A client over a limit gets 429
in the API's error envelope (code `too_many_requests`, by the app's error handler) with
Retry-After and X-RateLimit-* headers. Limits are settings:

    API_RATE_LIMIT            every API route (default "600 per minute")
    API_AUTH_RATE_LIMIT       sign-in, registration, password reset (default "20 per minute")
    API_CHECKOUT_RATE_LIMIT   placing orders (default "60 per minute")
    API_RATE_LIMIT_EXEMPT     addresses or networks never limited (a server-side storefront
                              calling for all its shoppers), comma-separated

CORS: browsers on the origins in STOREFRONT_ORIGINS (comma-separated) may call the API with the
headers a storefront sends (Authorization, Content-Type, Idempotency-Key, If-None-Match, the cart
token header); other origins get no CORS headers, so the browser refuses them. Flask-Cors does
the work.
"""

from __future__ import annotations

import hashlib
import ipaddress

from flask import Flask, current_app, request
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

EXPOSED_HEADERS = ["ETag", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match"]


def client_key() -> str:
    """Whom a request counts against: a digest of its bearer token, else its IP address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and len(header) > 7:
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return "ip:" + (get_remote_address() or "unknown")


limiter = Limiter(
    key_func=client_key,
    default_limits=[lambda: current_app.config.get("API_RATE_LIMIT") or "600 per minute"],
    headers_enabled=True,
    # A Redis outage must not take the shop down: serve without limits and log it.
    swallow_errors=True,
)


@limiter.request_filter
def _not_limited() -> bool:
    # Only the API is limited here: the back-office has its own sign-in throttle. A server-side
    # storefront calls for all its shoppers from a few addresses: API_RATE_LIMIT_EXEMPT lists them.
    if not request.path.startswith("/api/"):
        return True
    exempt = current_app.config.get("API_RATE_LIMIT_EXEMPT") or ()
    if not exempt:
        return False
    try:
        address = ipaddress.ip_address(get_remote_address() or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in exempt)


def auth_limit() -> str:
    """The limit of sign-in, registration and password-reset routes (API_AUTH_RATE_LIMIT)."""
    return current_app.config.get("API_AUTH_RATE_LIMIT") or "20 per minute"


def checkout_limit() -> str:
    """The limit of order placement (API_CHECKOUT_RATE_LIMIT)."""
    return current_app.config.get("API_CHECKOUT_RATE_LIMIT") or "60 per minute"


def init_app(app: Flask) -> None:
    """Bind the limiter to the app's Redis and the API blueprint, and CORS to the API's paths."""
    url = app.config["REDIS_URL"]
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", "redis+" + url if url.startswith("unix") else url
    )
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "ratelimit")
    app.config.setdefault("RATELIMIT_ENABLED", app.config.get("API_RATE_LIMITS_ENABLED", True))
    limiter.init_app(app)
    origins = app.config.get("STOREFRONT_ORIGINS") or []
    CORS(
        app,
        resources={r"/api/v1/*": {"origins": origins}},
        allow_headers=[*ALLOWED_HEADERS, "X-Cart-Token"],
        expose_headers=EXPOSED_HEADERS,
        supports_credentials=False,
        max_age=600,
    )
