"""A property-based run of schemathesis over the served OpenAPI document: every operation, called
through the WSGI app with inputs generated from its schema (valid ones and deliberately invalid
ones: wrong types, huge numbers, odd strings, missing bodies), never answers a 5xx, and answers
only with the statuses, content types, headers and bodies the document describes.

The shop is seeded with a small catalog with stock, a signed-in customer and a guest cart, so
generated requests get past authentication and cart lookup into the code that parses their input.
Generation is derandomized: every run sends the same requests.

Schemathesis's own `@schema.parametrize()` over `schemathesis.pytest.from_fixture` does not run
under pytest 9 (it sets `Node._nodeid`, which pytest 9 no longer has), so the test loads the
document from the app and drives each operation's strategy with Hypothesis itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode, checks
from schemathesis.errors import FailureGroup

from commerce import db
from commerce.carts import service as carts
from commerce.customers import tokens
from commerce.payments.stripe_server import StripeTestServer
from tests.carts.factories import SHOPPER, make_gift_card, make_variant, make_voucher
from tests.customers.factories import register
from tests.storefront_api.catalog_factories import make_brand, make_category, make_product

EXAMPLES = 20  # per operation: about a minute for the whole document on two cores
RATE_LIMITS = ("API_RATE_LIMIT", "API_AUTH_RATE_LIMIT", "API_CHECKOUT_RATE_LIMIT")
STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


@dataclass(frozen=True)
class Shop:
    """What the seeded shop gives the generated requests: a customer to sign in as, a cart."""

    customer_id: int
    cart_token: str


@pytest.fixture
def generous_limits(app: Flask) -> Iterator[None]:
    """Rate limits far above what the run sends (they are read per request)."""
    saved = {key: app.config.get(key) for key in RATE_LIMITS}
    app.config.update(dict.fromkeys(RATE_LIMITS, "100000 per minute"))
    yield
    app.config.update(saved)


@pytest.fixture
def stripe(app: Flask) -> Iterator[None]:
    """The local Stripe test server, so checkout calls reach a payment provider."""
    with StripeTestServer(api_key="sk_test_fuzz", webhook_secret="whsec_fuzz") as server:
        saved = {key: app.config.get(key) for key in STRIPE_SETTINGS}
        app.config.update(
            STRIPE_SECRET_KEY=server.api_key,
            STRIPE_API_BASE=server.base_url,
            STRIPE_WEBHOOK_SECRET=server.webhook_secret,
        )
        yield
        app.config.update(saved)


@pytest.fixture
def shop(db_session) -> Shop:
    """A category tree, a brand, products with stock, a voucher, a gift card, a registered
    customer and a guest cart holding a line (committed: the routes commit too)."""
    root = make_category(slug="apparel", name="Apparel")
    leaf = make_category(parent=root, slug="shirts", name="Shirts")
    make_product(
        slug="oxford-shirt",
        category=leaf,
        brand=make_brand(slug="oakridge"),
        attributes={"material": "Cotton"},
        tags=["new"],
        variants=[{"price": 4900, "option_values": {"size": "S"}}],
    )
    variant = make_variant(2500, stock=5, category=leaf)
    make_voucher("SAVE10")
    make_gift_card(5000)
    customer_id = register().customer.id
    cart, cart_token = carts.create_guest_cart(actor=SHOPPER)
    carts.add_item(cart.id, variant.id, 1, actor=SHOPPER)
    return Shop(customer_id=customer_id, cart_token=cart_token)


def _signed_in(path: str) -> bool:
    return path.startswith(("/account", "/cart/")) or path == "/cart"


def _strategy(operation: APIOperation, shop: Shop) -> st.SearchStrategy[Case]:
    """Valid and invalid requests for `operation`; a guest cart's path names the seeded cart."""
    fixed = {"token": shop.cart_token} if operation.path.startswith("/carts/{token}") else None
    return st.one_of(
        operation.as_strategy(mode, path_parameters=fixed)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    )


@pytest.mark.committed
def test_generated_requests_get_no_server_error_and_documented_answers(
    app: Flask, shop, generous_limits, stripe
):
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50, "the served document lost its operations"
    response_checks = [getattr(checks, name) for name in CHECKS]
    failures: list[str] = []

    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, shop))
        def run(case: Case) -> None:
            if _signed_in(case.path):
                # A token of its own for each request: sign-out and password changes revoke.
                issued = tokens.issue(shop.customer_id, "access")
                db.session.commit()
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {issued.raw}"}
            # app.test_client() gives each request its own app context, as in production.
            response = case.call(session=app.test_client())
            try:
                case.validate_response(response, checks=response_checks)
            except FailureGroup as failed:
                # Collected, not raised: one run reports every operation that fails.
                failures.append(f"{case.operation.label}: {failed}")

        run()

    assert not failures, "\n".join(failures)
