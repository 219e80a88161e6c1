"""Stripe payments of placed orders: the PaymentIntent is created once per order whatever the
retries, the webhook is verified on the raw body, applied once, safe in any order, and the paid
order's receipt carries its digital goods."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce.audit import AuditEntry
from commerce.errors import Conflict
from commerce.events import OutboxEvent
from commerce.orders.models import Order
from commerce.payments.models import Payment, ProviderEvent
from commerce.payments.service import start_stripe_payment
from jobs.handlers.orders import deliver_paid_order, send_order_confirmation
from tests.checkout.factories import make_order

WEBHOOK = "/api/v1/webhooks/stripe"


def post_event(client, stripe_server, event, **sign):
    body, signature = stripe_server.signed_event(event, **sign)
    return client.post(
        WEBHOOK,
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def reload(db_session, order: Order) -> Order:
    return db_session.get(Order, order.id, populate_existing=True)


def paid_events(db_session) -> int:
    return db_session.scalar(select(func.count()).where(OutboxEvent.name == "order.paid"))


def test_starting_payment_twice_gives_the_same_intent(db_session, gateway):
    order = make_order(lines=((2, 2500),))

    first = start_stripe_payment(order.id, gateway)
    again = start_stripe_payment(order.id, gateway)

    assert first.provider_reference == again.provider_reference
    assert first.client_secret and first.client_secret.startswith(first.provider_reference)
    assert (first.amount, first.currency) == (5000, "EUR")
    payments = db_session.scalars(select(Payment)).all()
    assert len(payments) == 1 and payments[0].idempotency_key == f"order-{order.id}-payment-1"
    assert gateway.retrieve_payment_intent(first.provider_reference).amount == 5000


def test_a_paid_order_cannot_be_paid_again(db_session, gateway):
    order = make_order(payment_status="paid", status="paid")
    with pytest.raises(Conflict, match="nothing to pay"):
        start_stripe_payment(order.id, gateway)


def test_the_succeeded_webhook_marks_the_order_paid_once(
    client, db_session, stripe_server, gateway
):
    order = make_order()
    started = start_stripe_payment(order.id, gateway)
    gateway.confirm_payment_intent(
        started.provider_reference, "pm_card_visa", idempotency_key="confirm-1"
    )
    event = stripe_server.last_event("payment_intent.succeeded")

    response = post_event(client, stripe_server, event)

    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "paid"}
    order = reload(db_session, order)
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert paid_events(db_session) == 1
    audit = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "order.paid"))
    assert audit.changes == {
        "payment_status": ["pending", "paid"],
        "status": ["pending_payment", "paid"],
    }

    replay = post_event(client, stripe_server, event)
    assert replay.status_code == 200 and replay.get_json()["outcome"] == "duplicate"
    assert paid_events(db_session) == 1


def test_a_bad_signature_is_refused_and_changes_nothing(client, db_session, stripe_server, gateway):
    order = make_order()
    started = start_stripe_payment(order.id, gateway)
    gateway.confirm_payment_intent(started.provider_reference, "pm_card_visa", idempotency_key="c")
    event = stripe_server.last_event("payment_intent.succeeded")

    forged = post_event(client, stripe_server, event, secret="whsec_someone_else")
    body, signature = stripe_server.signed_event(event)
    tampered = client.post(
        WEBHOOK,
        data=body.replace(b'"succeeded"', b'"succeeded" '),
        headers={"Stripe-Signature": signature},
    )
    unsigned = client.post(WEBHOOK, data=body)

    assert [r.status_code for r in (forged, tampered, unsigned)] == [400, 400, 400]
    assert forged.get_json()["error"]["code"] == "invalid_input"
    order = reload(db_session, order)
    assert order.payment_status == "pending"
    assert db_session.scalar(select(func.count()).select_from(ProviderEvent)) == 0


def test_events_in_any_order_end_with_the_intents_real_state(
    client, db_session, stripe_server, gateway
):
    order = make_order()
    started = start_stripe_payment(order.id, gateway)
    with pytest.raises(Exception, match="declined"):
        gateway.confirm_payment_intent(
            started.provider_reference, "pm_card_chargeDeclined", idempotency_key="c1"
        )
    failed = stripe_server.last_event("payment_intent.payment_failed")
    gateway.confirm_payment_intent(started.provider_reference, "pm_card_visa", idempotency_key="c2")
    succeeded = stripe_server.last_event("payment_intent.succeeded")

    # The success arrives first, the older failure after it: the order stays paid.
    assert post_event(client, stripe_server, succeeded).get_json()["outcome"] == "paid"
    assert post_event(client, stripe_server, failed).get_json()["outcome"] == "unchanged"
    order = reload(db_session, order)
    assert order.payment_status == "paid"
    assert paid_events(db_session) == 1


def test_a_webhook_for_an_unknown_intent_is_acknowledged_and_ignored(
    client, db_session, stripe_server, gateway
):
    intent = gateway.create_payment_intent(
        1000, "eur", idempotency_key="elsewhere", metadata={"source": "another system"}
    )
    gateway.confirm_payment_intent(intent.id, "pm_card_visa", idempotency_key="c")
    event = stripe_server.last_event("payment_intent.succeeded")
    assert post_event(client, stripe_server, event).get_json()["outcome"] == "ignored"


def test_confirmation_and_receipt_emails(db_session, mailbox):
    order = make_order(lines=((1, 1999), (2, 500)))
    message = {"id": 1, "name": "order.placed", "payload": {"order_id": order.id}}

    assert send_order_confirmation(message) == "sent"
    assert send_order_confirmation(message) == "skipped: already sent"
    paid = {"id": 2, "name": "order.paid", "payload": {"order_id": order.id, "amount": 2999}}
    assert deliver_paid_order(paid) == "sent"

    sent = sorted(mailbox(), key=lambda m: not m["Subject"].startswith("Order"))
    assert [m["Subject"] for m in sent] == [
        f"Order #{order.number} confirmed",
        f"Payment received for order #{order.number}",
    ]
    text = sent[0].get_body(("plain",)).get_content()
    assert "2 x Item 1" in text and "29.99 EUR" in text
    assert sent[1]["To"] == order.email


def test_an_order_whose_amount_changed_gets_a_new_intent_and_the_old_one_is_cancelled(
    db_session, gateway
):
    order = make_order(lines=((1, 2500),))
    first = start_stripe_payment(order.id, gateway)
    order = reload(db_session, order)
    order.subtotal_amount = order.total_amount = 3000  # as an order edit would
    db_session.commit()

    second = start_stripe_payment(order.id, gateway)

    assert second.provider_reference != first.provider_reference and second.amount == 3000
    assert gateway.retrieve_payment_intent(first.provider_reference).status == "canceled"
    statuses = db_session.scalars(select(Payment.status).order_by(Payment.id)).all()
    assert statuses == ["cancelled", "pending"]
