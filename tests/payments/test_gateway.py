"""Our Stripe gateway against the local Stripe server: results as our types, failures as our
domain errors."""

from __future__ import annotations

import logging
import uuid

import pytest
import stripe

from commerce.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PaymentDeclined,
    PaymentError,
)
from commerce.payments.gateway import (
    PaymentIntentInfo,
    RefundInfo,
    StripeGateway,
    gateway_from_config,
)
from commerce.payments.stripe_server import StripeTestServer


def _key() -> str:
    return str(uuid.uuid4())


def _intent(gateway: StripeGateway, amount: int = 3000, **kwargs) -> PaymentIntentInfo:
    return gateway.create_payment_intent(
        amount, "EUR", idempotency_key=_key(), metadata={"order_id": 12}, **kwargs
    )


def _paid(gateway: StripeGateway, amount: int = 3000) -> PaymentIntentInfo:
    intent = _intent(gateway, amount)
    return gateway.confirm_payment_intent(intent.id, "pm_card_visa", idempotency_key=_key())


def test_create_payment_intent_returns_what_the_storefront_needs(gateway, stripe_server):
    intent = gateway.create_payment_intent(
        4999,
        "EUR",
        idempotency_key=_key(),
        metadata={"order_id": 12, "cart": "c-1"},
        receipt_email="ada@example.com",
    )

    assert intent.id.startswith("pi_")
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.status, intent.amount, intent.amount_received, intent.currency) == (
        "requires_payment_method",
        4999,
        0,
        "eur",
    )
    assert intent.metadata == {"order_id": "12", "cart": "c-1"}
    stored = stripe_server.emulator.payment_intents()[0]
    assert stored["receipt_email"] == "ada@example.com"
    assert stored["automatic_payment_methods"]["enabled"] is True


def test_retrieve_reflects_payment(gateway):
    paid = _paid(gateway, 1234)

    again = gateway.retrieve_payment_intent(paid.id)

    assert again.status == "succeeded"
    assert again.amount_received == 1234
    assert again.latest_charge.startswith("ch_")


def test_the_same_idempotency_key_gives_the_same_intent(gateway, stripe_server):
    key = _key()

    first = gateway.create_payment_intent(2000, "usd", idempotency_key=key, metadata={"o": 1})
    second = gateway.create_payment_intent(2000, "usd", idempotency_key=key, metadata={"o": 1})

    assert second == first
    assert len(stripe_server.emulator.payment_intents()) == 1


def test_the_same_key_with_another_amount_is_a_conflict(gateway):
    key = _key()
    gateway.create_payment_intent(2000, "usd", idempotency_key=key, metadata={})

    with pytest.raises(Conflict) as conflict:
        gateway.create_payment_intent(2100, "usd", idempotency_key=key, metadata={})

    assert conflict.value.status == 409
    assert conflict.value.details["request_id"].startswith("req_")


def test_an_idempotency_key_is_required(gateway, stripe_server):
    with pytest.raises(InvalidInput) as refused:
        gateway.create_payment_intent(2000, "usd", idempotency_key="", metadata={})

    assert refused.value.fields == {"idempotency_key": "missing"}
    assert stripe_server.emulator.payment_intents() == []


@pytest.mark.parametrize("amount", [0, -5, 10.5, True])
def test_amount_must_be_positive_minor_units(gateway, amount):
    with pytest.raises(InvalidInput) as refused:
        gateway.create_payment_intent(amount, "usd", idempotency_key=_key(), metadata={})

    assert "amount" in refused.value.fields


def test_a_declined_card_is_payment_declined(gateway):
    intent = _intent(gateway)

    with pytest.raises(PaymentDeclined) as declined:
        gateway.confirm_payment_intent(
            intent.id, "pm_card_chargeDeclinedExpiredCard", idempotency_key=_key()
        )

    assert declined.value.status == 402
    assert declined.value.message == "Your card has expired."
    assert declined.value.details["decline_code"] == "expired_card"
    assert declined.value.details["payment_intent"] == intent.id
    after = gateway.retrieve_payment_intent(intent.id)
    assert after.status == "requires_payment_method"
    assert after.decline_code == "expired_card"


def test_cancel_payment_intent(gateway):
    intent = _intent(gateway)

    canceled = gateway.cancel_payment_intent(intent.id, _key(), reason="requested_by_customer")

    assert canceled.status == "canceled"
    with pytest.raises(InvalidInput) as refused:
        gateway.cancel_payment_intent(intent.id, _key())
    assert "status of canceled" in refused.value.message


def test_refund_part_then_the_rest(gateway):
    paid = _paid(gateway, 3000)

    part = gateway.refund(paid.id, 1000, idempotency_key=_key())
    rest = gateway.refund(paid.id, None, idempotency_key=_key(), reason="requested_by_customer")

    assert isinstance(part, RefundInfo)
    assert part.id.startswith("re_")
    assert (part.status, part.amount, part.payment_intent) == ("succeeded", 1000, paid.id)
    assert rest.amount == 2000


def test_a_refund_retried_with_its_key_refunds_once(gateway, stripe_server):
    paid = _paid(gateway, 3000)
    key = _key()

    first = gateway.refund(paid.id, 1000, idempotency_key=key)
    retried = gateway.refund(paid.id, 1000, idempotency_key=key)

    assert retried == first
    assert len(stripe_server.events("refund.created")) == 1


def test_a_refund_above_what_is_left_is_invalid_input(gateway):
    paid = _paid(gateway, 3000)
    gateway.refund(paid.id, 2500, idempotency_key=_key())

    with pytest.raises(InvalidInput) as refused:
        gateway.refund(paid.id, 600, idempotency_key=_key())

    assert "greater than unrefunded amount" in refused.value.message
    assert set(refused.value.fields) == {"amount"}


def test_an_unknown_intent_is_not_found(gateway):
    with pytest.raises(NotFound):
        gateway.retrieve_payment_intent("pi_missing")


def test_a_bad_api_key_is_a_payment_error_without_the_key(stripe_server, caplog):
    gateway = StripeGateway("sk_test_wrong_key_9999", stripe_server.base_url, max_network_retries=0)

    with caplog.at_level(logging.DEBUG), pytest.raises(PaymentError) as refused:
        gateway.create_payment_intent(2000, "usd", idempotency_key=_key(), metadata={})

    assert refused.value.status == 502
    assert "STRIPE_SECRET_KEY" in refused.value.message
    assert "sk_test_wrong_key_9999" not in str(refused.value.to_dict())
    assert "sk_test_wrong_key_9999" not in caplog.text
    assert "sk_test_wrong_key_9999" not in repr(gateway)


def test_an_unreachable_stripe_is_a_payment_error():
    with StripeTestServer() as server:
        base_url = server.base_url
    gateway = StripeGateway("sk_test_local", base_url, max_network_retries=0, timeout=2)

    with pytest.raises(PaymentError) as unreachable:
        gateway.retrieve_payment_intent("pi_any")

    assert "could not be reached" in unreachable.value.message


def test_parse_webhook_returns_the_verified_event(gateway, stripe_server):
    paid = _paid(gateway)
    payload, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )

    event = gateway.parse_webhook(payload, signature, stripe_server.webhook_secret)

    assert isinstance(event, stripe.Event)
    assert event.type == "payment_intent.succeeded"
    assert event.data.object.id == paid.id


@pytest.mark.parametrize(
    "spoil",
    [
        lambda payload, sig: (payload.replace(b"succeeded", b"SUCCEEDED"), sig),
        lambda payload, sig: (payload, sig.replace("v1=", "v1=0")),
        lambda payload, sig: (payload, "t=1,v1=deadbeef"),
        lambda payload, sig: (payload, "garbage"),
        lambda payload, sig: (payload, None),
    ],
    ids=["tampered-body", "bad-signature", "old-timestamp", "unparseable-header", "no-header"],
)
def test_parse_webhook_rejects_bad_signatures(gateway, stripe_server, spoil):
    _paid(gateway)
    payload, signature = spoil(
        *stripe_server.signed_event(stripe_server.last_event("payment_intent.succeeded"))
    )

    with pytest.raises(InvalidInput) as refused:
        gateway.parse_webhook(payload, signature, stripe_server.webhook_secret)

    assert refused.value.status == 400
    assert "Stripe-Signature" in refused.value.fields


def test_parse_webhook_rejects_the_wrong_secret(gateway, stripe_server):
    _paid(gateway)
    payload, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )

    with pytest.raises(InvalidInput, match="signature could not be verified"):
        gateway.parse_webhook(payload, signature, "whsec_not_ours")


def test_parse_webhook_rejects_a_signed_body_that_is_not_an_event(gateway, stripe_server):
    payload = b"not json"

    with pytest.raises(InvalidInput, match="not a Stripe event"):
        gateway.parse_webhook(payload, stripe_server.sign(payload), stripe_server.webhook_secret)


def test_parse_webhook_without_a_secret_is_a_configuration_error(gateway):
    with pytest.raises(PaymentError, match="STRIPE_WEBHOOK_SECRET"):
        gateway.parse_webhook(b"{}", "t=1,v1=x", "")


def test_gateway_from_config_uses_the_api_base(stripe_server):
    gateway = gateway_from_config(
        {"STRIPE_SECRET_KEY": stripe_server.api_key, "STRIPE_API_BASE": stripe_server.base_url}
    )

    intent = gateway.create_payment_intent(1500, "usd", idempotency_key=_key(), metadata={})

    assert intent.status == "requires_payment_method"
    assert gateway.api_base == stripe_server.base_url


def test_gateway_from_config_defaults_to_stripe_and_needs_a_key():
    assert gateway_from_config({"STRIPE_SECRET_KEY": "sk_test_x"}).api_base is None
    with pytest.raises(PaymentError, match="STRIPE_SECRET_KEY"):
        gateway_from_config({"STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": None})
