"""Checkout: turning a cart into a placed order, once per Idempotency-Key."""
