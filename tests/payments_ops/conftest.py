"""Payments operations run against the local Stripe-compatible server through the real stripe
library, on the real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commerce.payments.gateway import StripeGateway
from commerce.payments.stripe_server import StripeTestServer


@pytest.fixture
def stripe_server(app) -> Iterator[StripeTestServer]:
    """A fresh Stripe test server; the app is pointed at it for the test."""
    names = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")
    with StripeTestServer(api_key="sk_test_ops", webhook_secret="whsec_ops") as server:
        saved = {name: app.config.get(name) for name in names}
        app.config.update(
            STRIPE_SECRET_KEY=server.api_key,
            STRIPE_API_BASE=server.base_url,
            STRIPE_WEBHOOK_SECRET=server.webhook_secret,
        )
        yield server
        app.config.update(saved)


@pytest.fixture
def gateway(stripe_server: StripeTestServer) -> StripeGateway:
    return StripeGateway(stripe_server.api_key, stripe_server.base_url, max_network_retries=0)
