"""Refunds of orders: in full, in part and by line through the real stripe library against the
local Stripe server; never above what is refundable; offline payments and gift cards; stock given
back; failures kept with Stripe's reason."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce.audit import Actor
from commerce.errors import Conflict, InvalidInput, PaymentError, PermissionDenied
from commerce.inventory.models import StockLevel, StockMovement
from commerce.orders.service import order_reference
from commerce.payments.gateway import StripeGateway
from commerce.payments.models import Refund
from commerce.payments.refunds import RefundFailed, refund_order, refundable, retry_refund
from commerce.pricing.models import GiftCardTransaction
from tests.checkout.factories import make_order
from tests.inventory.factories import ledger_mismatches
from tests.payments_ops.factories import (
    CLERK,
    audit_actions,
    card_order,
    count,
    gift_card_balance,
    offline_order,
    outbox,
    pay_by_card,
    reload,
    stocked,
    timeline_of,
)


def test_a_full_refund_gives_everything_back_through_stripe(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server, lines=((2, 2500),), shipping=500)
    payment_intent = stripe_server.emulator.payment_intents()[0]["id"]

    refund = refund_order(order.id, reason="customer changed their mind", actor=CLERK)

    assert (refund.status, refund.amount, refund.currency) == ("succeeded", 5500, "EUR")
    assert refund.provider_reference.startswith("re_")
    assert refund.idempotency_key.startswith(f"order-{order.id}-refund-")
    assert refund.lines == [
        {"order_line_id": order.lines[0].id, "sku": order.lines[0].sku, "quantity": 2,
         "amount": 5000},
    ]  # fmt: skip
    (at_stripe,) = gateway.list_refunds(payment_intent)
    assert (at_stripe.id, at_stripe.amount, at_stripe.status) == (
        refund.provider_reference, 5500, "succeeded",
    )  # fmt: skip
    assert at_stripe.metadata["refund_id"] == str(refund.id)
    order = reload(order)
    assert order.payment_status == "refunded"
    assert order.status == "paid"  # refunding never cancels; staff cancel separately
    assert reload(refund).payment_id is not None
    assert timeline_of(order.id, "refund") == [
        f"Refunded 55.00 EUR (55.00 EUR to the card ({refund.provider_reference})): "
        "customer changed their mind"
    ]
    assert audit_actions(order.id)[-2:] == ["order.refund_start", "order.refund"]
    assert outbox("order.refunded") == [
        {"order_id": order.id, "refund_id": refund.id, "amount": 5500}
    ]
    assert refundable(order.id).total == 0


def test_a_partial_refund_leaves_the_rest_and_more_is_refused_naming_what_is_left(
    db_session, gateway, stripe_server
):
    order = card_order(gateway, stripe_server, lines=((2, 2500),), shipping=500)

    first = refund_order(order.id, amount=1000, reason="late delivery", actor=CLERK)

    assert (first.status, first.amount, first.lines) == ("succeeded", 1000, [])
    assert reload(order).payment_status == "partially_refunded"
    assert refundable(order.id).total == 4500
    with pytest.raises(InvalidInput) as too_much:
        refund_order(order.id, amount=4501, reason="more", actor=CLERK)
    assert (
        str(too_much.value) == f"amount: at most 45.00 EUR can be refunded on order #{order.number}"
    )
    assert too_much.value.fields == {"amount": "at most 4500 (45.00 EUR)"}
    assert count(Refund) == 1
    assert len(stripe_server.events("refund.created")) == 1

    rest = refund_order(order.id, amount=4500, reason="the rest", actor=CLERK)
    assert rest.status == "succeeded"
    assert reload(order).payment_status == "refunded"
    with pytest.raises(InvalidInput, match="nothing is left to refund"):
        refund_order(order.id, reason="again", actor=CLERK)


def test_refunding_lines_pays_the_line_total_per_unit_and_the_units_add_up_exactly(
    db_session, gateway, stripe_server
):
    order = make_order(lines=((3, 334), (1, 999)))
    line = order.lines[0]
    line.discount_amount, line.total_amount = 2, 1000  # 3 units for 10.00: 3.33 each, and a cent
    order.discount_amount, order.total_amount = 2, 1999
    db_session.commit()
    pay_by_card(order, gateway, stripe_server)

    amounts = [
        refund_order(order.id, lines={line.id: 1}, reason="broken", actor=CLERK).amount
        for _ in range(3)
    ]

    assert amounts == [333, 333, 334]  # floor of the running share: never a cent too much
    assert reload(order).payment_status == "partially_refunded"
    with pytest.raises(InvalidInput) as none_left:
        refund_order(order.id, lines={line.id: 1}, reason="again", actor=CLERK)
    assert none_left.value.fields == {f"lines.{line.id}": "at most 0"}
    other = order.lines[1]
    with pytest.raises(InvalidInput) as unknown:
        refund_order(order.id, lines={other.id + 1000: 1}, reason="x", actor=CLERK)
    assert f"lines.{other.id + 1000}" in unknown.value.fields
    last = refund_order(order.id, lines={other.id: 1}, reason="wrong size", actor=CLERK)
    assert last.amount == 999
    assert reload(order).payment_status == "refunded"
    assert refundable(order.id).lines == {line.id: 0, other.id: 0}


def test_an_offline_payment_is_refunded_by_staff_with_a_reference(db_session):
    order = offline_order(lines=((1, 4000),))

    with pytest.raises(InvalidInput) as no_reference:
        refund_order(order.id, amount=1500, reason="damaged", actor=CLERK)
    assert "reference" in no_reference.value.fields

    refund = refund_order(
        order.id, amount=1500, reason="damaged", reference="SEPA out 0042", actor=CLERK
    )

    assert (refund.status, refund.provider, refund.provider_reference) == (
        "succeeded", "bank_transfer", "SEPA out 0042",
    )  # fmt: skip
    assert reload(order).payment_status == "partially_refunded"
    assert timeline_of(order.id, "refund") == [
        "Refunded 15.00 EUR (15.00 EUR by bank transfer (SEPA out 0042)): damaged"
    ]


def test_gift_card_tender_goes_back_onto_the_card_after_the_card_payment(
    db_session, gateway, stripe_server
):
    order = card_order(gateway, stripe_server, lines=((1, 5000),), gift_card=1000)
    card_id = order.adjustments[0]["gift_card_id"]
    before = gift_card_balance(card_id)
    assert refundable(order.id).payment == 4000 and refundable(order.id).gift_cards == 1000

    first = refund_order(order.id, amount=4500, reason="returned", actor=CLERK)

    assert (first.payment_amount, first.gift_card_amount) == (4000, 500)
    assert gift_card_balance(card_id) == before + 500
    assert reload(order).payment_status == "partially_refunded"
    rest = refund_order(order.id, reason="all of it", actor=CLERK)
    assert (rest.provider, rest.payment_id, rest.amount) == ("gift_card", None, 500)
    assert gift_card_balance(card_id) == before + 1000
    ledger = db_session.scalars(
        select(GiftCardTransaction.amount).where(
            GiftCardTransaction.reference == order_reference(order),
            GiftCardTransaction.kind == "refunded",
        )
    ).all()
    assert sorted(ledger) == [500, 500]
    assert reload(order).payment_status == "refunded"


def test_restock_gives_unshipped_and_shipped_units_back_and_the_ledger_adds_up(
    db_session, gateway, stripe_server
):
    order = make_order(lines=((3, 1000),))
    variant, _ = stocked(order, 3, on_hand=10, ship=1)
    order.lines[0].variant_id = variant.id
    db_session.commit()
    pay_by_card(order, gateway, stripe_server)
    line_id = order.lines[0].id

    refund = refund_order(
        order.id, lines={line_id: 3}, reason="cancelled", restock=True, actor=CLERK
    )

    assert (refund.status, refund.amount, refund.restock) == ("succeeded", 3000, True)
    level = db_session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == variant.id)
        .execution_options(populate_existing=True)
    )
    assert (level.on_hand, level.allocated) == (10, 0)  # 2 never left, 1 came back
    moves = db_session.execute(
        select(StockMovement.reason, StockMovement.bucket, func.sum(StockMovement.delta))
        .where(
            StockMovement.reference == order_reference(order),
            StockMovement.reason.in_(("deallocated", "returned")),
            StockMovement.delta != 0,
        )
        .group_by(StockMovement.reason, StockMovement.bucket)
        .order_by(StockMovement.reason, StockMovement.bucket)
    ).all()
    assert [tuple(m) for m in moves] == [
        ("deallocated", "allocated", -2),
        ("returned", "on_hand", 1),
    ]
    assert ledger_mismatches(db_session) == []
    assert timeline_of(order.id, "refund")[-1].endswith("; 3 units back in stock")


def test_restock_needs_lines(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server)
    with pytest.raises(InvalidInput) as error:
        refund_order(order.id, amount=100, reason="x", restock=True, actor=CLERK)
    assert "restock" in error.value.fields


def test_a_refund_stripe_refuses_is_kept_failed_with_its_reason(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server, card="pm_card_createDispute")  # charged back

    with pytest.raises(RefundFailed) as failed:
        refund_order(order.id, amount=1000, reason="goodwill", actor=CLERK)

    refund = db_session.scalar(select(Refund).execution_options(populate_existing=True))
    assert refund.status == "failed"
    assert "has been charged back; cannot issue a refund" in refund.failure_reason
    assert failed.value.details["refund_id"] == refund.id
    assert "charged back" in str(failed.value)
    order = reload(order)
    assert order.payment_status == "paid"
    assert refundable(order.id).total == 5000  # a failed refund holds nothing
    assert timeline_of(order.id, "refund") == [
        f"Refund of 10.00 EUR failed: {refund.failure_reason}"
    ]
    assert outbox("order.refunded") == []
    assert "order.refund_failed" in audit_actions(order.id)


def test_when_stripe_cannot_be_reached_the_refund_stays_pending_and_a_retry_sends_it_once(
    db_session, gateway, stripe_server
):
    order = card_order(gateway, stripe_server)
    unreachable = StripeGateway(stripe_server.api_key, "http://127.0.0.1:9", max_network_retries=0)

    with pytest.raises(PaymentError, match="saved as pending"):
        refund_order(order.id, amount=2000, reason="late", actor=CLERK, gateway=unreachable)

    refund = db_session.scalar(select(Refund).execution_options(populate_existing=True))
    assert (refund.status, refund.provider_reference) == ("pending", None)
    assert refundable(order.id).total == 3000  # held while in flight
    assert reload(order).payment_status == "paid"

    retried = retry_refund(refund.id, actor=CLERK, gateway=gateway)

    assert retried.status == "succeeded"
    with pytest.raises(Conflict, match="only a pending Stripe refund"):
        retry_refund(refund.id, actor=CLERK, gateway=gateway)
    assert len(stripe_server.events("refund.created")) == 1
    assert reload(order).payment_status == "partially_refunded"


def test_the_same_form_submitted_twice_refunds_once(db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server)

    first = refund_order(order.id, amount=700, reason="x", idempotency_key="form-1", actor=CLERK)
    second = refund_order(order.id, amount=700, reason="x", idempotency_key="form-1", actor=CLERK)

    assert first.id == second.id
    assert count(Refund) == 1
    assert reload(order).payment_status == "partially_refunded"


def test_unpaid_orders_and_customers_cannot_refund(db_session, gateway, stripe_server):
    unpaid = make_order()
    with pytest.raises(Conflict, match="is not paid"):
        refund_order(unpaid.id, reason="x", actor=CLERK)
    paid = card_order(gateway, stripe_server)
    with pytest.raises(PermissionDenied):
        refund_order(paid.id, reason="x", actor=Actor(kind="customer", id=1, label="me"))
    with pytest.raises(InvalidInput) as no_reason:
        refund_order(paid.id, reason="  ", actor=CLERK)
    assert no_reason.value.fields == {"reason": "is required"}
    assert count(Refund) == 0
