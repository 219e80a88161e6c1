"""Customer authentication for the storefront API: `Authorization: Bearer <access token>`.

    @api.get("/account")
    @customer_required
    def get_account():
        customer = current_customer()
        ...

`current_customer()` answers 401 (code `unauthenticated`, with `WWW-Authenticate: Bearer`) when
the header is missing or its token is unknown, expired, revoked or its customer erased;
`optional_customer()` returns None without a header (guest checkout, carts) and still answers 401
for a bad one, so a client never silently loses a session. The lookup is made once per request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, request

from commerce.audit import Actor
from commerce.customers import tokens
from commerce.customers.accounts import customer_actor
from commerce.customers.models import Customer, CustomerToken
from commerce.errors import Unauthenticated
from storefront_api import api

F = TypeVar("F", bound=Callable[..., Any])
SIGN_IN_REQUIRED = "Sign in to continue."
CHALLENGE = 'Bearer realm="storefront"'


def bearer_token() -> str | None:
    """The token of the request's `Authorization: Bearer ...` header, or None without one.
    Raises Unauthenticated for an Authorization header of another scheme or an empty token."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(tokens.INVALID_SESSION)
    return token.strip()


def _authenticate() -> tuple[Customer, CustomerToken] | None:
    # Cached per request (keyed by the header, as `g` can outlive one request in tests).
    header = request.headers.get("Authorization")
    cached = g.get("customer_auth")
    if cached is None or cached[0] != header:
        raw = bearer_token()
        g.customer_auth = cached = (header, tokens.authenticate(raw) if raw is not None else None)
    return cached[1]


def optional_customer() -> Customer | None:
    """The signed-in customer, or None when the request has no Authorization header. Raises
    Unauthenticated (401) for a header whose token is not valid."""
    auth = _authenticate()
    return auth[0] if auth else None


def current_customer() -> Customer:
    """The signed-in customer. Raises Unauthenticated (401) without a valid bearer token."""
    auth = _authenticate()
    if auth is None:
        raise Unauthenticated(SIGN_IN_REQUIRED)
    return auth[0]


def current_token_id() -> int:
    """The id of the access token the request was made with. Raises Unauthenticated (401)."""
    auth = _authenticate()
    if auth is None:
        raise Unauthenticated(SIGN_IN_REQUIRED)
    return auth[1].id


def client_ip() -> str | None:
    """The client's IP (behind TRUST_PROXY_HOPS load balancers, ProxyFix has set it)."""
    return request.remote_addr


def actor() -> Actor:
    """The audit actor of the request: the signed-in customer, or an anonymous storefront
    client."""
    customer = optional_customer()
    if customer is None:
        return Actor(kind="customer", id=None, label="storefront", ip=client_ip())
    return customer_actor(customer.id, client_ip())


def customer_required(view: F) -> F:
    """Decorate a view so that it answers 401 unless a customer is signed in."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_customer()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@api.after_request
def _challenge(response: Response) -> Response:
    # RFC 6750: a 401 names the scheme the client should use.
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", CHALLENGE)
    return response
