"""Draft orders for phone and email sales: priced like checkout without holding stock, sent to the
buyer with a payment link (stock allocated then, refused naming the line when short), paid through
the link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commerce import db
from commerce.errors import Conflict, PermissionDenied
from commerce.inventory.errors import OutOfStock
from commerce.inventory.models import StockLevel
from commerce.orders.drafts import send_draft_order, update_draft_order
from commerce.orders.edit_models import PaymentLink
from commerce.orders.models import Order
from commerce.payments.models import Payment
from tests.carts.factories import SHOPPER, make_variant
from tests.inventory.factories import ledger_mismatches
from tests.orders.editing_factories import CLERK, draft, link_tokens, pay_link, shop


def allocated(variant_id: int) -> int:
    return sum(
        db.session.scalars(select(StockLevel.allocated).where(StockLevel.variant_id == variant_id))
    )


def test_a_draft_is_priced_like_checkout_and_holds_no_stock(db_session):
    method = shop()
    tee = make_variant(2000, stock=5)

    order = draft(method, {tee.id: 2})

    assert (order.status, order.channel, order.payment_status) == ("draft", "draft", "pending")
    assert order.subtotal_amount == 4000
    line = order.lines[0]
    assert (line.sku, line.quantity, line.tax_amount) == (tee.sku, 2, 760)  # 19 % of 40.00
    assert order.shipping_method["code"] == "standard"
    assert order.total_amount == 4000 + order.shipping_amount + order.tax_amount
    assert order.tax_amount == 760 + round(order.shipping_amount * 0.19)
    assert allocated(tee.id) == 0


def test_updating_a_draft_reprices_it(db_session):
    method = shop()
    tee, cap = make_variant(2000, stock=5), make_variant(1000, stock=5)
    order = draft(method, {tee.id: 1})

    update_draft_order(order.id, lines={tee.id: 1, cap.id: 3}, actor=CLERK)

    order = db.session.get(Order, order.id, populate_existing=True)
    assert sorted((ln.sku, ln.quantity) for ln in order.lines) == sorted(
        [(tee.sku, 1), (cap.sku, 3)]
    )
    assert order.subtotal_amount == 5000


def test_sending_allocates_stock_and_emails_a_payment_link(db_session, mailbox):
    method = shop()
    tee = make_variant(2000, stock=5)
    order = draft(method, {tee.id: 2})

    sent, link = send_draft_order(order.id, actor=CLERK)

    assert sent.status == "pending_payment"
    assert allocated(tee.id) == 2
    assert link.amount == sent.amount_due and link.status == "open"
    assert len(link_tokens(mailbox, order.email)) == 1
    assert ledger_mismatches(db_session) == []
    with pytest.raises(Conflict, match="not a draft"):
        send_draft_order(order.id, actor=CLERK)


def test_sending_refuses_when_stock_is_short_naming_the_line(db_session, mailbox):
    method = shop()
    tee, cap = make_variant(2000, stock=5), make_variant(1000, stock=1)
    order = draft(method, {tee.id: 1, cap.id: 2})

    with pytest.raises(OutOfStock, match=cap.sku):
        send_draft_order(order.id, actor=CLERK)

    assert db.session.get(Order, order.id, populate_existing=True).status == "draft"
    assert allocated(tee.id) == 0
    assert link_tokens(mailbox, order.email) == []


def test_only_staff_create_drafts(db_session):
    method = shop()
    tee = make_variant(2000, stock=5)
    order = draft(method, {tee.id: 1})
    with pytest.raises(PermissionDenied):
        send_draft_order(order.id, actor=SHOPPER)


def test_draft_sent_and_paid_through_the_link(client, db_session, mailbox, stripe_server, gateway):
    method = shop()
    tee = make_variant(2000, stock=5)
    order = draft(method, {tee.id: 2})
    send_draft_order(order.id, actor=CLERK)
    (token,) = link_tokens(mailbox, order.email)

    assert pay_link(client, stripe_server, gateway, token)["outcome"] == "paid"

    order = db.session.get(Order, order.id, populate_existing=True)
    assert (order.status, order.payment_status) == ("paid", "paid")
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert (payment.amount, payment.status) == (order.amount_due, "succeeded")
    assert db.session.scalar(
        select(PaymentLink.status).where(PaymentLink.order_id == order.id)
    ) == ("paid")
