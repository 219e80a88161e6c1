"""Manual capture: with STRIPE_CAPTURE_METHOD=manual checkout only authorises the card; staff
capture it (all or less) and the order is paid, or void it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commerce.errors import Conflict, InvalidInput
from commerce.payments.captures import capture_payment, void_payment
from commerce.payments.models import Payment
from commerce.payments.refunds import refund_order, refundable
from commerce.payments.service import start_stripe_payment
from tests.checkout.factories import make_order
from tests.payments_ops.factories import CLERK, audit_actions, deliver, outbox, reload, timeline_of


@pytest.fixture
def manual_capture(app, stripe_server):
    app.config["STRIPE_CAPTURE_METHOD"] = "manual"
    yield
    app.config.pop("STRIPE_CAPTURE_METHOD", None)


def authorised_order(gateway, stripe_server, total=5000):
    order = make_order(lines=((1, total),))
    started = start_stripe_payment(order.id, gateway)
    gateway.confirm_payment_intent(
        started.provider_reference, "pm_card_visa", idempotency_key=f"confirm-{order.id}"
    )
    assert deliver(stripe_server, gateway, "payment_intent.amount_capturable_updated") == (
        "authorized"
    )
    return reload(order), started.provider_reference


def payment_of(db_session, order) -> Payment:
    return db_session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id)
        .execution_options(populate_existing=True)
    )


def test_checkout_captures_automatically_unless_the_setting_says_manual(
    db_session, gateway, stripe_server
):
    order = make_order()
    started = start_stripe_payment(order.id, gateway)
    assert gateway.retrieve_payment_intent(started.provider_reference).capture_method != "manual"


def test_an_authorised_payment_is_captured_in_part_and_the_order_is_paid(
    db_session, gateway, stripe_server, manual_capture
):
    order, intent_id = authorised_order(gateway, stripe_server)

    assert gateway.retrieve_payment_intent(intent_id).status == "requires_capture"
    assert payment_of(db_session, order).status == "authorized"
    assert (order.status, order.payment_status) == ("pending_payment", "authorized")
    assert timeline_of(order.id, "payment")[-1].startswith("Card authorised for 50.00 EUR")
    with pytest.raises(Conflict, match="capture or void"):
        start_stripe_payment(order.id, gateway)
    with pytest.raises(Conflict, match="void the authorisation"):
        refund_order(order.id, reason="x", actor=CLERK)
    with pytest.raises(InvalidInput) as too_much:
        capture_payment(order.id, amount=5001, actor=CLERK, gateway=gateway)
    assert "amount" in too_much.value.fields

    payment = capture_payment(order.id, amount=4000, actor=CLERK, gateway=gateway)

    assert (payment.status, payment.amount) == ("succeeded", 4000)
    intent = gateway.retrieve_payment_intent(intent_id)
    assert (intent.status, intent.amount_received) == ("succeeded", 4000)
    order = reload(order)
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert timeline_of(order.id, "payment")[-1] == (
        f"Captured 40.00 EUR of the card payment (Stripe {intent_id}); 10.00 EUR released"
    )
    assert "order.paid" in audit_actions(order.id)
    # Stripe's own news of the capture, arriving afterwards, changes nothing.
    assert deliver(stripe_server, gateway, "payment_intent.succeeded") == "unchanged"
    assert len(outbox("order.paid")) == 1
    assert refundable(order.id).total == 4000
    with pytest.raises(Conflict, match="no authorised payment"):
        capture_payment(order.id, actor=CLERK, gateway=gateway)


def test_a_capture_made_at_stripe_is_applied_by_the_webhook(
    db_session, gateway, stripe_server, manual_capture
):
    order, intent_id = authorised_order(gateway, stripe_server)
    gateway.capture_payment_intent(intent_id, 3000, idempotency_key="dashboard-capture")

    assert deliver(stripe_server, gateway, "payment_intent.succeeded") == "paid"

    assert (payment_of(db_session, order).status, payment_of(db_session, order).amount) == (
        "succeeded", 3000,
    )  # fmt: skip
    assert reload(order).payment_status == "paid"


def test_an_authorised_payment_is_voided(db_session, gateway, stripe_server, manual_capture):
    order, intent_id = authorised_order(gateway, stripe_server)

    payment = void_payment(order.id, actor=CLERK, gateway=gateway)

    assert payment.status == "cancelled"
    assert gateway.retrieve_payment_intent(intent_id).status == "canceled"
    order = reload(order)
    assert (order.status, order.payment_status) == ("pending_payment", "voided")
    assert timeline_of(order.id, "payment")[-1] == (
        f"Authorisation of 50.00 EUR voided (Stripe {intent_id}); nothing was taken"
    )
    assert "payment.void" in audit_actions(order.id)
    assert deliver(stripe_server, gateway, "payment_intent.canceled") == "unchanged"
    with pytest.raises(Conflict, match="no authorised payment"):
        capture_payment(order.id, actor=CLERK, gateway=gateway)
    assert outbox("order.paid") == []
