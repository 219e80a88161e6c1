"""Order tests that take payments use checkout's local Stripe server fixtures."""

from tests.checkout.conftest import gateway, stripe_server  # noqa: F401  (fixtures)
