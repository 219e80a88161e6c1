"""Payments tests talk to the local Stripe-compatible server through the real `stripe` library.

They need no database or Redis, so the suite-wide autouse fixture that empties Redis (and with it
starts PostgreSQL and Redis) is overridden here by a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from commerce.payments.gateway import StripeGateway
from commerce.payments.stripe_server import StripeTestServer


@pytest.fixture(autouse=True)
def _clean_side_stores() -> Iterator[None]:
    """Replaces the suite-wide Redis/mail-sink cleaner, which these tests do not use."""
    yield


@pytest.fixture
def stripe_server() -> Iterator[StripeTestServer]:
    """A fresh server per test, on a free port."""
    with StripeTestServer(api_key="sk_test_payments", webhook_secret="whsec_payments") as server:
        yield server


@pytest.fixture
def stripe_client(stripe_server: StripeTestServer) -> stripe.StripeClient:
    """The real stripe client pointed at the test server; no retries, so failures show at once."""
    return stripe.StripeClient(
        stripe_server.api_key,
        base_addresses={"api": stripe_server.base_url},
        max_network_retries=0,
    )


@pytest.fixture
def gateway(stripe_server: StripeTestServer) -> StripeGateway:
    return StripeGateway(stripe_server.api_key, stripe_server.base_url, max_network_retries=0)
