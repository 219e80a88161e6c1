"""The local Stripe server, driven by the real `stripe` library and by raw HTTP."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
import stripe

from commerce.payments.stripe_server import StripeTestServer


def _key() -> str:
    return str(uuid.uuid4())


def _create(client: stripe.StripeClient, amount: int = 2500, **params) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {"amount": amount, "currency": "eur", **params}, options={"idempotency_key": _key()}
    )


def _paid(client: stripe.StripeClient, amount: int = 2500) -> stripe.PaymentIntent:
    intent = _create(client, amount)
    return client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})


def test_created_intent_has_stripes_shape(stripe_client):
    intent = stripe_client.v1.payment_intents.create(
        {
            "amount": 4200,
            "currency": "EUR",
            "metadata": {"order_id": "1017", "cart": "c-9"},
            "automatic_payment_methods": {"enabled": True},
            "description": "Order 1017",
            "receipt_email": "ada@example.com",
        },
        options={"idempotency_key": _key()},
    )

    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.id.startswith("pi_")
    assert intent.object == "payment_intent"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.amount, intent.amount_received, intent.currency) == (4200, 0, "eur")
    assert intent.status == "requires_payment_method"
    assert intent.metadata.to_dict() == {"order_id": "1017", "cart": "c-9"}
    assert intent.automatic_payment_methods.enabled is True
    assert intent.description == "Order 1017"
    assert intent.receipt_email == "ada@example.com"
    assert intent.latest_charge is None
    assert intent.livemode is False
    assert isinstance(intent.created, int)


def test_retrieve_returns_the_same_intent(stripe_client):
    created = _create(stripe_client, metadata={"order_id": "5"})

    fetched = stripe_client.v1.payment_intents.retrieve(created.id)

    assert fetched.to_dict() == created.to_dict()


def test_confirming_with_a_good_card_succeeds(stripe_client):
    intent = _create(stripe_client, 1999)

    confirmed = stripe_client.v1.payment_intents.confirm(
        intent.id, {"payment_method": "pm_card_visa"}, options={"idempotency_key": _key()}
    )

    assert confirmed.status == "succeeded"
    assert confirmed.amount_received == 1999
    assert confirmed.latest_charge.startswith("ch_")
    assert confirmed.payment_method.startswith("pm_")
    assert confirmed.last_payment_error is None
    charge = stripe_client.v1.charges.retrieve(confirmed.latest_charge)
    assert (charge.status, charge.paid, charge.amount_captured) == ("succeeded", True, 1999)
    assert charge.payment_method_details.card.last4 == "4242"


def test_confirming_with_a_declined_card_raises_card_error_and_asks_for_another_card(
    stripe_client,
):
    intent = _create(stripe_client)

    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.confirm(
            intent.id, {"payment_method": "pm_card_chargeDeclined"}
        )

    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    assert declined.value.error.decline_code == "generic_decline"
    assert declined.value.error.payment_intent.id == intent.id
    after = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.amount_received == 0
    assert after.last_payment_error.code == "card_declined"
    assert after.last_payment_error.type == "card_error"
    # The customer can try again with another card.
    retried = stripe_client.v1.payment_intents.confirm(
        intent.id, {"payment_method": "pm_card_mastercard"}
    )
    assert retried.status == "succeeded"
    assert retried.last_payment_error is None


def test_confirm_with_an_unknown_payment_method_is_refused(stripe_client):
    intent = _create(stripe_client)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_bogus"})

    assert refused.value.code == "resource_missing"
    assert refused.value.param == "payment_method"


def test_create_with_confirm_true_charges_at_once(stripe_client):
    intent = _create(stripe_client, 700, payment_method="pm_card_amex", confirm=True)

    assert intent.status == "succeeded"
    assert intent.amount_received == 700


def test_cancel_an_unpaid_intent(stripe_client):
    intent = _create(stripe_client)

    canceled = stripe_client.v1.payment_intents.cancel(
        intent.id, {"cancellation_reason": "abandoned"}, options={"idempotency_key": _key()}
    )

    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "abandoned"
    assert isinstance(canceled.canceled_at, int)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert refused.value.code == "payment_intent_unexpected_state"


def test_a_paid_intent_cannot_be_canceled(stripe_client):
    intent = _paid(stripe_client)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.cancel(intent.id)

    assert refused.value.code == "payment_intent_unexpected_state"
    assert "status of succeeded" in refused.value.user_message
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_unknown_intent_is_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.payment_intents.retrieve("pi_doesnotexist")

    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert "pi_doesnotexist" in missing.value.user_message


def test_same_idempotency_key_and_body_replays_the_first_intent(stripe_server, stripe_client):
    key = _key()
    params = {"amount": 1500, "currency": "usd", "metadata": {"order_id": "42"}}

    first = stripe_client.v1.payment_intents.create(params, options={"idempotency_key": key})
    second = stripe_client.v1.payment_intents.create(params, options={"idempotency_key": key})

    assert second.id == first.id
    assert second.client_secret == first.client_secret
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_server.emulator.payment_intents()) == 1


def test_same_idempotency_key_with_a_different_body_is_refused(stripe_server, stripe_client):
    key = _key()
    stripe_client.v1.payment_intents.create(
        {"amount": 1500, "currency": "usd"}, options={"idempotency_key": key}
    )

    with pytest.raises(stripe.IdempotencyError) as refused:
        stripe_client.v1.payment_intents.create(
            {"amount": 1600, "currency": "usd"}, options={"idempotency_key": key}
        )

    assert refused.value.http_status == 400
    assert key in refused.value.user_message
    assert len(stripe_server.emulator.payment_intents()) == 1


def test_idempotency_key_reused_on_another_endpoint_is_refused(stripe_client):
    intent = _paid(stripe_client)
    key = _key()
    stripe_client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 100}, options={"idempotency_key": key}
    )

    with pytest.raises(stripe.IdempotencyError, match="same endpoint"):
        stripe_client.v1.payment_intents.cancel(intent.id, options={"idempotency_key": key})


def test_a_replayed_decline_is_the_same_decline_and_charges_once(stripe_server, stripe_client):
    intent = _create(stripe_client)
    key = _key()
    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            stripe_client.v1.payment_intents.confirm(
                intent.id,
                {"payment_method": "pm_card_chargeDeclined"},
                options={"idempotency_key": key},
            )
    assert declined.value.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_server.events("charge.failed")) == 1


def test_rejected_input_is_not_saved_against_the_idempotency_key(stripe_client):
    key = _key()
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.payment_intents.create({"amount": 1500}, options={"idempotency_key": key})
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "currency")

    fixed = stripe_client.v1.payment_intents.create(
        {"amount": 1500, "currency": "usd"}, options={"idempotency_key": key}
    )

    assert fixed.status == "requires_payment_method"


def test_concurrent_requests_with_one_key_create_one_intent(stripe_server, stripe_client):
    key = _key()
    ids: list[str] = []

    def create() -> None:
        ids.append(
            stripe_client.v1.payment_intents.create(
                {"amount": 900, "currency": "usd"}, options={"idempotency_key": key}
            ).id
        )

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ids) == 8
    assert len(set(ids)) == 1
    assert len(stripe_server.emulator.payment_intents()) == 1


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"currency": "usd"}, "amount", "parameter_missing"),
        ({"amount": 20, "currency": "usd"}, "amount", "amount_too_small"),
        ({"amount": 1000, "currency": "usd", "colour": "red"}, "colour", "parameter_unknown"),
    ],
)
def test_bad_parameters_are_refused_like_stripe(stripe_client, params, param, code):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(params)

    assert refused.value.http_status == 400
    assert (refused.value.param, refused.value.code) == (param, code)


def test_wrong_api_key_is_an_authentication_error(stripe_server):
    client = stripe.StripeClient(
        "sk_test_not_the_right_one",
        base_addresses={"api": stripe_server.base_url},
        max_network_retries=0,
    )

    with pytest.raises(stripe.AuthenticationError) as refused:
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})

    assert refused.value.http_status == 401
    assert "sk_test_not_the_right_one" not in refused.value.user_message
    assert stripe_server.emulator.payment_intents() == []


def test_missing_api_key_gets_stripes_401_body(stripe_server):
    response = requests.post(
        f"{stripe_server.base_url}/v1/payment_intents",
        data={"amount": 1000, "currency": "usd"},
        timeout=5,
    )

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "You did not provide an API key" in error["message"]


def test_form_encoded_wire_format_and_basic_auth(stripe_server):
    # curl -u sk_test_...: -d amount=... -d "metadata[order_id]=..." as in Stripe's docs.
    response = requests.post(
        f"{stripe_server.base_url}/v1/payment_intents",
        auth=(stripe_server.api_key, ""),
        data={
            "amount": "3000",
            "currency": "gbp",
            "metadata[order_id]": "77",
            "automatic_payment_methods[enabled]": "true",
        },
        timeout=5,
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Request-Id"].startswith("req_")
    body = response.json()
    assert body["metadata"] == {"order_id": "77"}
    assert body["automatic_payment_methods"]["enabled"] is True
    assert body["amount"] == 3000


def test_unknown_url_answers_stripes_error(stripe_server):
    response = requests.get(
        f"{stripe_server.base_url}/v1/customers",
        headers={"Authorization": f"Bearer {stripe_server.api_key}"},
        timeout=5,
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("Unrecognized request URL")


def test_partial_refunds_until_nothing_is_left(stripe_client):
    intent = _paid(stripe_client, 1000)

    first = stripe_client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 400, "reason": "requested_by_customer"},
        options={"idempotency_key": _key()},
    )
    assert first.id.startswith("re_")
    assert (first.status, first.amount, first.payment_intent) == ("succeeded", 400, intent.id)
    assert first.charge == intent.latest_charge

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 700})
    assert too_much.value.http_status == 400
    assert too_much.value.param == "amount"
    assert "greater than unrefunded amount" in too_much.value.user_message

    rest = stripe_client.v1.refunds.create({"payment_intent": intent.id})
    assert rest.amount == 600
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 1})
    assert again.value.code == "charge_already_refunded"

    fetched = stripe_client.v1.refunds.retrieve(first.id)
    assert fetched.to_dict() == first.to_dict()


def test_an_unpaid_intent_cannot_be_refunded(stripe_client):
    intent = _create(stripe_client)

    with pytest.raises(stripe.InvalidRequestError, match="does not have a successful charge"):
        stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 100})


def test_expand_latest_charge(stripe_client):
    intent = _paid(stripe_client)

    expanded = stripe_client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})

    assert expanded.latest_charge.object == "charge"
    assert expanded.latest_charge.id == intent.latest_charge


def test_classic_resource_api_works_too(stripe_server, monkeypatch):
    monkeypatch.setattr(stripe, "api_base", stripe_server.base_url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    key = _key()

    created = stripe.PaymentIntent.create(
        amount=1200, currency="usd", api_key=stripe_server.api_key, idempotency_key=key
    )
    again = stripe.PaymentIntent.create(
        amount=1200, currency="usd", api_key=stripe_server.api_key, idempotency_key=key
    )
    confirmed = stripe.PaymentIntent.confirm(
        created.id, payment_method="pm_card_visa", api_key=stripe_server.api_key
    )
    refund = stripe.Refund.create(
        payment_intent=created.id, amount=200, api_key=stripe_server.api_key
    )

    assert again.id == created.id
    assert confirmed.status == "succeeded"
    assert stripe.Refund.retrieve(refund.id, api_key=stripe_server.api_key).amount == 200


def test_the_server_listens_on_a_free_local_port():
    with StripeTestServer() as one, StripeTestServer() as two:
        assert one.base_url.startswith("http://127.0.0.1:")
        assert one.base_url != two.base_url
    with pytest.raises(RuntimeError):
        _ = one.base_url
