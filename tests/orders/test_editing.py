"""Editing an unfulfilled order: lines added, removed and changed are re-priced, stock follows
(the ledger agrees), the history keeps before and after; shipped orders and short stock are
refused saying why; a paid order edited up gets a payment link, edited down a Stripe refund."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from commerce import db
from commerce.audit import AuditEntry
from commerce.errors import Conflict, InvalidInput
from commerce.events import OutboxEvent
from commerce.inventory.errors import OutOfStock
from commerce.inventory.models import StockLevel
from commerce.orders import service as orders
from commerce.orders import timeline
from commerce.orders.drafts import send_draft_order
from commerce.orders.edit_models import OrderEdit, PaymentLink
from commerce.orders.editing import edit_order, preview_edit
from commerce.orders.models import Order
from commerce.payments.models import Payment, Refund
from tests.carts.factories import make_variant
from tests.inventory.factories import ledger_mismatches
from tests.orders.editing_factories import CLERK, draft, link_tokens, paid_order, pay_link, shop


def allocated(variant_id: int) -> int:
    return sum(
        db.session.scalars(select(StockLevel.allocated).where(StockLevel.variant_id == variant_id))
    )


def reload(order: Order) -> Order:
    return db.session.get(Order, order.id, populate_existing=True)


def unpaid_order(method, lines) -> Order:
    order = draft(method, lines)
    send_draft_order(order.id, actor=CLERK)
    return reload(order)


def test_an_edit_adds_removes_and_changes_lines_with_stock_and_totals(db_session, mailbox):
    method = shop()
    tee, cap, mug = (make_variant(p, stock=10) for p in (2000, 1000, 500))
    order = unpaid_order(method, {tee.id: 2, cap.id: 1})
    tee_line, cap_line = sorted(order.lines, key=lambda ln: ln.sku != tee.sku)

    result = edit_order(
        order.id,
        add={mug.id: 3},
        remove=[cap_line.id],
        quantities={tee_line.id: 1},
        actor=CLERK,
    )

    order = reload(order)
    assert sorted((ln.sku, ln.quantity) for ln in order.lines) == sorted(
        [(tee.sku, 1), (mug.sku, 3)]
    )
    assert tee_line.id in {ln.id for ln in order.lines}  # kept lines keep their id
    assert order.subtotal_amount == 2000 + 1500
    assert order.tax_amount == 665 + round(order.shipping_amount * 0.19)  # 19 % of 35.00
    assert order.total_amount == order.subtotal_amount + order.shipping_amount + order.tax_amount
    assert (allocated(tee.id), allocated(cap.id), allocated(mug.id)) == (1, 0, 3)
    assert ledger_mismatches(db_session) == []
    # The sent draft's link asked for the old total: it is closed and a new one sent.
    assert result.settlement == "payment_link" and result.new_amount_due == order.amount_due
    links = db.session.execute(
        select(PaymentLink.amount, PaymentLink.status).order_by(PaymentLink.id)
    ).all()
    assert [status for _, status in links] == ["expired", "open"]
    assert links[-1].amount == order.amount_due
    edit = db.session.scalar(select(OrderEdit).where(OrderEdit.order_id == order.id))
    assert len(edit.before["lines"]) == 2 and len(edit.after["lines"]) == 2
    assert edit.after["totals"]["total_amount"] == order.total_amount
    assert "edit" in [e.kind for e in timeline.entries(order.id)[:3]]
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "order.edit")) == 1
    assert db.session.scalar(select(func.count()).where(OutboxEvent.name == "order.edited")) == 1


def test_a_preview_shows_the_new_totals_and_writes_nothing(db_session):
    method = shop()
    tee = make_variant(2000, stock=10)
    order = unpaid_order(method, {tee.id: 1})
    (line,) = order.lines

    preview = preview_edit(order.id, quantities={line.id: 3})

    assert preview["totals"]["subtotal_amount"] == 6000
    assert preview["difference"] == preview["new_amount_due"] - order.amount_due > 0
    assert reload(order).lines[0].quantity == 1 and allocated(tee.id) == 1


def test_a_shipped_order_cannot_be_edited(db_session):
    method = shop()
    tee = make_variant(2000, stock=10)
    order = unpaid_order(method, {tee.id: 1})
    order.fulfilment_status = "partial"
    db.session.commit()

    with pytest.raises(Conflict, match="units have shipped"):
        edit_order(order.id, add={tee.id: 1}, actor=CLERK)


def test_short_stock_is_refused_naming_the_line_and_changes_nothing(db_session):
    method = shop()
    tee, cap = make_variant(2000, stock=10), make_variant(1000, stock=1)
    order = unpaid_order(method, {tee.id: 1})
    total = order.total_amount

    with pytest.raises(OutOfStock, match=cap.sku):
        edit_order(order.id, add={cap.id: 2}, actor=CLERK)

    assert reload(order).total_amount == total and len(reload(order).lines) == 1
    assert allocated(cap.id) == 0 and ledger_mismatches(db_session) == []


def test_an_edit_names_a_line_that_is_not_the_orders(db_session):
    method = shop()
    tee = make_variant(2000, stock=10)
    order = unpaid_order(method, {tee.id: 1})
    with pytest.raises(InvalidInput) as caught:
        edit_order(order.id, remove=[999999], actor=CLERK)
    assert "remove" in caught.value.fields


def test_a_paid_order_edited_up_gets_a_payment_link_that_pays_the_extra(
    client, db_session, mailbox, stripe_server, gateway
):
    method = shop()
    tee = make_variant(2000, stock=10)
    order = paid_order(client, stripe_server, gateway, mailbox, method, {tee.id: 1})
    paid_before = order.amount_due
    (line,) = order.lines

    result = edit_order(order.id, quantities={line.id: 2}, actor=CLERK)

    order = reload(order)
    assert result.settlement == "payment_link"
    assert result.difference == order.amount_due - paid_before > 0
    assert order.payment_status == "pending"
    assert len(link_tokens(mailbox, order.email)) == 2  # the draft's link, then the edit's
    (token,) = link_tokens(mailbox, order.email, "order edit")
    opened = client.get(f"/api/v1/pay/{token}").get_json()
    assert (opened["amount"], opened["status"]) == (result.difference, "open")

    assert pay_link(client, stripe_server, gateway, token)["outcome"] == "paid"

    order = reload(order)
    assert (order.status, order.payment_status) == ("paid", "paid")
    link = db.session.get(PaymentLink, result.payment_link.id, populate_existing=True)
    assert link.status == "paid"
    payments = db.session.scalars(
        select(Payment.amount).where(Payment.order_id == order.id, Payment.status == "succeeded")
    ).all()
    assert sum(payments) == order.amount_due


def test_a_paid_order_edited_down_is_refunded_the_difference_through_stripe(
    client, db_session, mailbox, stripe_server, gateway
):
    method = shop()
    tee, cap = make_variant(2000, stock=10), make_variant(1000, stock=10)
    order = paid_order(client, stripe_server, gateway, mailbox, method, {tee.id: 1, cap.id: 2})
    paid_before = order.amount_due
    cap_line = next(ln for ln in order.lines if ln.sku == cap.sku)

    result = edit_order(order.id, remove=[cap_line.id], actor=CLERK, gateway=gateway)

    order = reload(order)
    assert result.settlement == "refunded"
    refund = db.session.get(Refund, result.refund_id)
    assert refund.payment_amount == paid_before - order.amount_due > 0
    assert refund.status == "succeeded"
    assert order.payment_status == "partially_refunded"
    assert allocated(cap.id) == 0 and ledger_mismatches(db_session) == []
    intent = gateway.retrieve_payment_intent(refund_payment_intent(order.id))
    assert intent.amount == paid_before


def refund_payment_intent(order_id: int) -> str:
    return db.session.scalar(
        select(Payment.provider_reference).where(
            Payment.order_id == order_id, Payment.status == "succeeded"
        )
    )


def test_an_offline_paid_order_edited_down_records_a_refund_to_pay_by_hand(db_session, mailbox):
    method = shop()
    tee, cap = make_variant(2000, stock=10), make_variant(1000, stock=10)
    order = unpaid_order(method, {tee.id: 1, cap.id: 1})
    order.payment_method = "bank_transfer"
    db.session.commit()
    orders.mark_paid_offline(order.id, reference="TRX-1", actor=CLERK)
    paid_before = reload(order).amount_due
    cap_line = next(ln for ln in order.lines if ln.sku == cap.sku)

    result = edit_order(order.id, remove=[cap_line.id], actor=CLERK)

    order = reload(order)
    assert result.settlement == "refund_pending" and result.refund_id is None
    assert result.difference == order.amount_due - paid_before < 0
    assert "to pay back by bank transfer" in timeline.entries(order.id)[0].message
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


@pytest.mark.committed
def test_concurrent_edits_take_turns_and_both_count(app, db_session):
    method = shop()
    tee = make_variant(2000, stock=10)
    order = unpaid_order(method, {tee.id: 1})
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def add_one() -> None:
        with app.app_context():
            start.wait()
            try:
                edit_order(order.id, add={tee.id: 1}, actor=CLERK)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=add_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    with app.app_context():
        (line,) = reload(order).lines
        assert line.quantity == 3 and allocated(tee.id) == 3
        assert ledger_mismatches(db.session) == []
        edits = db.session.scalars(select(OrderEdit).where(OrderEdit.order_id == order.id)).all()
        assert sorted(e.after["lines"][0]["quantity"] for e in edits) == [2, 3]
