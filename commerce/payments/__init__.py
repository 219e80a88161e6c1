"""Payments: Stripe PaymentIntents and refunds behind our gateway, and a local Stripe-compatible
test server for development and tests. No card data ever reaches us."""
