"""The local Stripe server's manual capture, refund outcomes and disputes, through the real stripe
library."""

from __future__ import annotations

import uuid

import pytest
import stripe


def _key() -> str:
    return f"test-{uuid.uuid4()}"


def _paid(client, card="pm_card_visa", **params):
    return client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": card, "confirm": True, **params},
        options={"idempotency_key": _key()},
    )


def test_manual_capture_authorises_then_captures_part(stripe_server, stripe_client):
    intent = _paid(stripe_client, capture_method="manual")

    assert (intent.status, intent.amount_capturable, intent.capture_method) == (
        "requires_capture", 1000, "manual",
    )  # fmt: skip
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.amount_captured) == (False, 0)
    with pytest.raises(stripe.InvalidRequestError, match="does not have a successful charge"):
        stripe_client.v1.refunds.create({"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 1001})
    assert too_much.value.param == "amount_to_capture"

    captured = stripe_client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 600})

    assert (captured.status, captured.amount_received, captured.amount_capturable) == (
        "succeeded", 600, 0,
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError, match="could not be captured"):
        stripe_client.v1.payment_intents.capture(intent.id)
    assert [e["type"] for e in stripe_server.events()] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "payment_intent.succeeded",
    ]


def test_pending_refunds_settle_later_with_stripes_events(stripe_server, stripe_client):
    intent = _paid(stripe_client, card="pm_card_pendingRefund")
    refund = stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 400})
    assert (refund.status, refund.pending_reason) == ("pending", "processing")

    stripe_server.emulator.settle_refund(refund.id)

    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    updated = stripe_server.last_event("refund.updated")
    assert updated["data"]["previous_attributes"] == {"status": "pending"}
    listed = stripe_client.v1.refunds.list({"payment_intent": intent.id})
    assert [r.id for r in listed.data] == [refund.id]


def test_refunds_of_the_refund_fail_card_fail_later(stripe_server, stripe_client):
    intent = _paid(stripe_client, card="pm_card_refundFail")
    refund = stripe_client.v1.refunds.create({"payment_intent": intent.id})
    assert refund.status == "succeeded"

    stripe_server.emulator.settle_refund(refund.id)

    failed = stripe_client.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert stripe_server.last_event("refund.failed")["data"]["object"]["id"] == refund.id
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)


def test_a_disputed_charge_cannot_be_refunded_and_evidence_wins(stripe_server, stripe_client):
    intent = _paid(stripe_client, card="pm_card_createDispute")
    created = stripe_server.last_event("charge.dispute.created")["data"]["object"]
    assert (created["amount"], created["reason"], created["status"]) == (
        1000, "fraudulent", "needs_response",
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create({"payment_intent": intent.id})
    assert refused.value.code == "charge_disputed"

    won = stripe_client.v1.disputes.update(
        created["id"], {"evidence": {"uncategorized_text": "winning_evidence"}}
    )

    assert won.status == "won"
    assert stripe_server.last_event("charge.dispute.closed")["data"]["object"]["status"] == "won"
    assert stripe_client.v1.disputes.retrieve(created["id"]).status == "won"
    lost = _paid(stripe_client, card="pm_card_createDispute")
    dispute_id = stripe_server.last_event("charge.dispute.created")["data"]["object"]["id"]
    assert stripe_client.v1.disputes.close(dispute_id).status == "lost"
    assert lost.status == "succeeded"
