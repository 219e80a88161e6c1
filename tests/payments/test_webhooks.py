"""Webhook events from the local Stripe server: Stripe's shape and signatures, checked by the
`stripe` library's own verifier, and delivery to a URL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from flask import Flask, jsonify, request

from commerce.errors import InvalidInput
from commerce.payments.gateway import StripeGateway
from commerce.payments.stripe_server import StripeTestServer, sign_payload


def _paid_intent(client: stripe.StripeClient, amount: int = 5000) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(
        {"amount": amount, "currency": "usd", "metadata": {"order_id": "31"}}
    )
    return client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})


def test_events_have_stripes_shape(stripe_server, stripe_client):
    intent = _paid_intent(stripe_client)

    event = stripe_server.last_event("payment_intent.succeeded")

    assert event["id"].startswith("evt_")
    assert event["object"] == "event"
    assert event["type"] == "payment_intent.succeeded"
    assert event["api_version"]
    assert isinstance(event["created"], int)
    assert event["livemode"] is False
    assert event["data"]["object"]["id"] == intent.id
    assert event["data"]["object"]["status"] == "succeeded"
    assert event["data"]["object"]["metadata"] == {"order_id": "31"}
    assert event["request"]["id"].startswith("req_")


def test_a_paid_then_refunded_intent_records_its_events_in_order(stripe_server, stripe_client):
    intent = _paid_intent(stripe_client)
    stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 1500})

    types = [e["type"] for e in stripe_server.events()]

    assert types == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "refund.created",
        "charge.refunded",
    ]
    refunded = stripe_server.last_event("charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 1500
    assert refunded["data"]["object"]["payment_intent"] == intent.id
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}


def test_a_decline_records_payment_failed(stripe_server, stripe_client):
    intent = stripe_client.v1.payment_intents.create({"amount": 5000, "currency": "usd"})
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.confirm(
            intent.id, {"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
        )

    failed = stripe_server.last_event("payment_intent.payment_failed")["data"]["object"]

    assert failed["id"] == intent.id
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_signed_events_verify_with_stripes_own_verifier(stripe_server, stripe_client):
    intent = _paid_intent(stripe_client)

    payload, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )
    event = stripe.Webhook.construct_event(payload, signature, stripe_server.webhook_secret)

    assert isinstance(payload, bytes)
    assert signature.startswith("t=") and ",v1=" in signature
    assert event.type == "payment_intent.succeeded"
    assert isinstance(event.data.object, stripe.PaymentIntent)
    assert event.data.object.id == intent.id


def test_signed_event_by_id(stripe_server, stripe_client):
    _paid_intent(stripe_client)
    event_id = stripe_server.last_event("charge.succeeded")["id"]

    payload, signature = stripe_server.signed_event(event_id)

    assert stripe.Webhook.construct_event(payload, signature, stripe_server.webhook_secret).id == (
        event_id
    )


def test_a_tampered_payload_is_rejected(stripe_server, stripe_client):
    _paid_intent(stripe_client, 5000)
    payload, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )
    tampered = payload.replace(b'"amount_received": 5000', b'"amount_received": 9000')
    assert tampered != payload

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, signature, stripe_server.webhook_secret)


def test_a_reformatted_payload_is_rejected(stripe_server, stripe_client):
    # Verifying a re-serialised body instead of the raw one fails: the raw bytes are signed.
    _paid_intent(stripe_client)
    payload, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )
    reformatted = json.dumps(json.loads(payload)).encode()

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(reformatted, signature, stripe_server.webhook_secret)


def test_the_wrong_secret_is_rejected(stripe_server, stripe_client):
    _paid_intent(stripe_client)
    payload, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_someone_else")


def test_an_old_signature_is_rejected(stripe_server, stripe_client):
    _paid_intent(stripe_client)
    payload, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded"),
        timestamp=int(time.time()) - 3600,
    )

    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(payload, signature, stripe_server.webhook_secret)


def test_sign_payload_matches_stripes_test_helper():
    payload = b'{"id": "evt_1", "object": "event"}'

    ours = sign_payload(payload, "whsec_abc", timestamp=1700000000)
    theirs = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), "whsec_abc", timestamp=1700000000
    )

    assert ours == theirs


def _webhook_app(gateway: StripeGateway, secret: str, received: list[str]) -> Flask:
    """A minimal endpoint shaped like ours: verify the raw body, answer 400 on a bad one."""
    app = Flask(__name__)

    @app.post("/webhooks/stripe")
    def stripe_webhook():
        try:
            event = gateway.parse_webhook(
                request.get_data(), request.headers.get("Stripe-Signature"), secret
            )
        except InvalidInput as exc:
            return jsonify(error=exc.to_dict()), 400
        received.append(event.id)
        return jsonify(received=event.id)

    return app


def test_events_post_through_a_flask_test_client(stripe_server, stripe_client, gateway):
    received: list[str] = []
    client = _webhook_app(gateway, stripe_server.webhook_secret, received).test_client()
    _paid_intent(stripe_client)
    event = stripe_server.last_event("payment_intent.succeeded")
    payload, signature = stripe_server.signed_event(event)

    ok = client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": signature},
        content_type="application/json",
    )
    forged = client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": stripe_server.sign(payload, secret="whsec_forger")},
        content_type="application/json",
    )

    assert ok.status_code == 200
    assert received == [event["id"]]
    assert forged.status_code == 400
    assert forged.get_json()["error"]["code"] == "invalid_input"


class _Receiver(BaseHTTPRequestHandler):
    """Records each webhook post; answers with the status in `server.answers` (default 200)."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((body, dict(self.headers.items())))  # type: ignore[attr-defined]
        answers = self.server.answers  # type: ignore[attr-defined]
        self.send_response(answers.pop(0) if answers else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.posts = []  # type: ignore[attr-defined]
    server.answers = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _url(receiver: ThreadingHTTPServer) -> str:
    host, port = receiver.server_address[:2]
    return f"http://{host}:{port}/webhooks/stripe"


def test_events_are_forwarded_signed_to_the_webhook_url(receiver):
    with StripeTestServer(webhook_secret="whsec_forward", webhook_url=_url(receiver)) as server:
        client = stripe.StripeClient(
            server.api_key, base_addresses={"api": server.base_url}, max_network_retries=0
        )
        intent = _paid_intent(client)
        assert server.wait_for_deliveries(timeout=10)

    events = [
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_forward")
        for body, headers in receiver.posts  # type: ignore[attr-defined]
    ]
    assert [e.type for e in events] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    assert events[-1].data.object.id == intent.id
    assert receiver.posts[0][1]["User-Agent"].startswith("Stripe/")  # type: ignore[attr-defined]


def test_a_failed_delivery_is_retried(receiver):
    receiver.answers.extend([500])  # type: ignore[attr-defined]
    with StripeTestServer(webhook_url=_url(receiver)) as server:
        client = stripe.StripeClient(
            server.api_key, base_addresses={"api": server.base_url}, max_network_retries=0
        )
        client.v1.payment_intents.create({"amount": 5000, "currency": "usd"})
        assert server.wait_for_deliveries(timeout=10)
        deliveries = list(server.deliveries)

    assert [(d.event_type, d.attempt, d.status) for d in deliveries] == [
        ("payment_intent.created", 1, 500),
        ("payment_intent.created", 2, 200),
    ]
    assert len(receiver.posts) == 2  # type: ignore[attr-defined]


def test_deliver_posts_one_event_on_demand(stripe_server, stripe_client, receiver):
    _paid_intent(stripe_client)
    event = stripe_server.last_event("payment_intent.succeeded")

    status = stripe_server.deliver(event["id"], _url(receiver))
    again = stripe_server.deliver(event["id"], _url(receiver))

    assert (status, again) == (200, 200)
    bodies = [body for body, _ in receiver.posts]  # type: ignore[attr-defined]
    assert [json.loads(b)["id"] for b in bodies] == [event["id"], event["id"]]
