"""Disputes: Stripe's charge.dispute.* webhooks record the dispute and put the order on hold,
once, in any order; its close is written on the timeline."""

from __future__ import annotations

import stripe
from sqlalchemy import select

from commerce.orders.service import release_hold
from commerce.payments.models import Dispute
from tests.payments_ops.factories import (
    CLERK,
    audit_actions,
    card_order,
    deliver,
    outbox,
    reload,
    timeline_of,
)


def stripe_client(server) -> stripe.StripeClient:
    return stripe.StripeClient(
        server.api_key, base_addresses={"api": server.base_url}, max_network_retries=0
    )


def test_a_dispute_is_recorded_once_and_puts_the_order_on_hold(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server, card="pm_card_createDispute")
    created = stripe_server.last_event("charge.dispute.created")

    assert deliver(stripe_server, gateway, created) == "disputed"
    assert deliver(stripe_server, gateway, created) == "duplicate"

    (dispute,) = db_session.scalars(select(Dispute)).all()
    assert (dispute.amount, dispute.currency, dispute.reason, dispute.status) == (
        5000, "EUR", "fraudulent", "needs_response",
    )  # fmt: skip
    assert dispute.provider_reference == created["data"]["object"]["id"]
    order = reload(order)
    assert (order.status, order.held_from_status) == ("on_hold", "paid")
    assert timeline_of(order.id, "payment")[-1] == (
        f"The customer's bank disputed 50.00 EUR (Stripe {dispute.provider_reference}, "
        "reason: fraudulent)"
    )
    assert timeline_of(order.id, "status")[-1] == (
        "Status paid → on hold: payment disputed (fraudulent)"
    )
    assert "order.dispute" in audit_actions(order.id)
    assert outbox("order.disputed") == [
        {"order_id": order.id, "dispute_id": dispute.id, "amount": 5000}
    ]

    stripe_client(stripe_server).v1.disputes.update(
        dispute.provider_reference, {"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert deliver(stripe_server, gateway, "charge.dispute.closed") == "dispute_closed"

    dispute = reload(dispute)
    assert (dispute.status, dispute.closed_at is not None) == ("won", True)
    assert timeline_of(order.id, "payment")[-1] == (
        f"Dispute {dispute.provider_reference} closed, won: the money stays with us"
    )
    assert reload(order).status == "on_hold"  # releasing the hold is the staff's call
    release_hold(order.id, actor=CLERK)
    assert reload(order).status == "paid"


def test_dispute_events_in_any_order_end_in_its_real_state(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server, card="pm_card_createDispute")
    created = stripe_server.last_event("charge.dispute.created")
    dispute_id = created["data"]["object"]["id"]
    stripe_client(stripe_server).v1.disputes.close(dispute_id)

    assert deliver(stripe_server, gateway, "charge.dispute.closed") == "dispute_closed"
    assert deliver(stripe_server, gateway, created) == "unchanged"

    (dispute,) = db_session.scalars(select(Dispute)).all()
    assert dispute.status == "lost"
    assert timeline_of(order.id, "payment")[-1] == (
        f"Dispute {dispute_id} closed, lost: the bank took back 50.00 EUR"
    )
    assert reload(order).status == "paid"  # already closed when we heard of it: no hold
