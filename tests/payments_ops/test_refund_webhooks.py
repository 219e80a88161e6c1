"""Refunds Stripe settles later: a pending refund is recorded as refunded only when Stripe says it
succeeded, once, whatever events arrive and in whatever order; one that fails keeps Stripe's
reason; one that fails after succeeding is owed again."""

from __future__ import annotations

from sqlalchemy import select

from commerce.payments.models import Payment, Refund
from commerce.payments.refunds import refund_order, refundable
from tests.payments_ops.factories import (
    CLERK,
    card_order,
    deliver,
    outbox,
    reload,
    timeline_of,
)

WEBHOOK = "/api/v1/webhooks/stripe"


def the_payment(db_session, order) -> Payment:
    return db_session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id)
        .execution_options(populate_existing=True)
    )


def test_a_pending_refund_is_recorded_once_when_stripe_says_it_succeeded(
    client, db_session, gateway, stripe_server
):
    order = card_order(gateway, stripe_server, card="pm_card_pendingRefund")

    refund = refund_order(order.id, amount=2000, reason="late delivery", actor=CLERK)

    assert refund.status == "pending" and refund.provider_reference.startswith("re_")
    assert the_payment(db_session, order).refunded_amount == 0
    assert reload(order).payment_status == "paid"
    assert refundable(order.id).total == 3000  # held while Stripe works on it
    assert outbox("order.refunded") == []
    # What Stripe sent at creation changes nothing: the refund is still pending there.
    assert deliver(stripe_server, gateway, "refund.created") == "unchanged"
    assert deliver(stripe_server, gateway, "charge.refunded") == "unchanged"

    stripe_server.emulator.settle_refund(refund.provider_reference)
    updated = stripe_server.last_event("refund.updated")
    body, signature = stripe_server.signed_event(updated)
    response = client.post(WEBHOOK, data=body, headers={"Stripe-Signature": signature})

    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "refunded"}
    assert reload(refund).status == "succeeded"
    assert the_payment(db_session, order).refunded_amount == 2000
    assert reload(order).payment_status == "partially_refunded"
    # The same event again, and the other events telling the same news, change nothing.
    replay = client.post(WEBHOOK, data=body, headers={"Stripe-Signature": signature})
    assert replay.get_json()["outcome"] == "duplicate"
    assert deliver(stripe_server, gateway, "charge.refund.updated") == "unchanged"
    assert the_payment(db_session, order).refunded_amount == 2000
    assert len(outbox("order.refunded")) == 1
    assert len(timeline_of(order.id, "refund")) == 1


def test_refund_events_for_a_refund_already_recorded_change_nothing(
    db_session, gateway, stripe_server
):
    order = card_order(gateway, stripe_server)
    refund = refund_order(order.id, amount=1500, reason="x", actor=CLERK)
    # Stripe's events for the refund Stripe answered "succeeded" at once find it done.
    assert deliver(stripe_server, gateway, "refund.created") == "unchanged"
    assert deliver(stripe_server, gateway, "charge.refunded") == "unchanged"
    assert the_payment(db_session, order).refunded_amount == 1500
    assert [r.id for r in db_session.scalars(select(Refund))] == [refund.id]


def test_a_pending_refund_that_fails_keeps_stripes_reason_and_is_not_refunded(
    db_session, gateway, stripe_server
):
    order = card_order(gateway, stripe_server, card="pm_card_pendingRefund")
    refund = refund_order(order.id, reason="return", actor=CLERK)
    assert refund.status == "pending"

    stripe_server.emulator.settle_refund(
        refund.provider_reference, status="failed", failure_reason="lost_or_stolen_card"
    )
    # The later events arrive first; the earlier one after them changes nothing.
    assert deliver(stripe_server, gateway, "refund.failed") == "refund_failed"
    assert deliver(stripe_server, gateway, "refund.updated") == "unchanged"

    refund = reload(refund)
    assert (refund.status, refund.failure_reason) == ("failed", "Stripe: lost or stolen card")
    assert the_payment(db_session, order).refunded_amount == 0
    assert reload(order).payment_status == "paid"
    assert refundable(order.id).total == 5000
    assert timeline_of(order.id, "refund") == [
        "Refund of 50.00 EUR failed: Stripe: lost or stolen card"
    ]
    assert outbox("order.refunded") == []
    assert outbox("order.refund_failed") == [
        {"order_id": order.id, "refund_id": refund.id, "reversed_amount": 0}
    ]


def test_a_refund_that_fails_after_succeeding_is_owed_again(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server, card="pm_card_refundFail")
    refund = refund_order(order.id, amount=3000, reason="return", actor=CLERK)
    assert refund.status == "succeeded"
    assert reload(order).payment_status == "partially_refunded"

    stripe_server.emulator.settle_refund(refund.provider_reference)  # this card's refunds fail
    assert deliver(stripe_server, gateway, "charge.refund.updated") == "refund_failed"
    assert deliver(stripe_server, gateway, "refund.failed") == "unchanged"

    refund = reload(refund)
    assert refund.status == "failed"
    assert refund.failure_reason == "Stripe: expired or canceled card (after it had succeeded)"
    assert the_payment(db_session, order).refunded_amount == 0
    assert reload(order).payment_status == "paid"
    assert refundable(order.id).total == 5000
    assert timeline_of(order.id, "refund")[-1].startswith(
        "Refund of 30.00 EUR to the card failed after it had succeeded"
    )
    assert outbox("order.refund_failed") == [
        {"order_id": order.id, "refund_id": refund.id, "reversed_amount": 3000}
    ]


def test_a_refund_made_in_stripes_dashboard_is_recorded(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server)
    intent = the_payment(db_session, order).provider_reference
    gateway.refund(intent, 1200, idempotency_key="dashboard-1")

    assert deliver(stripe_server, gateway, "charge.refunded") == "refunded"
    assert deliver(stripe_server, gateway, "refund.created") == "unchanged"

    (refund,) = db_session.scalars(select(Refund)).all()
    assert (refund.amount, refund.status) == (1200, "succeeded")
    assert refund.actor_label == "stripe webhook"
    assert the_payment(db_session, order).refunded_amount == 1200
    assert reload(order).payment_status == "partially_refunded"
