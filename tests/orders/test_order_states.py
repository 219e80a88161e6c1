"""The order state machine: every allowed move works and leaves a timeline entry, an audit row
and an event; every other one is refused saying why; holds, cancellation (with the stock given
back), offline payments and notes go through the order service with the order's row locked."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from commerce import db
from commerce.audit import Actor, AuditEntry
from commerce.errors import Conflict, InvalidInput
from commerce.events import OutboxEvent
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel
from commerce.orders import service as orders
from commerce.orders import states, timeline
from commerce.orders.models import ORDER_STATUSES, Order
from commerce.orders.states import TransitionNotAllowed
from commerce.payments.models import Payment
from tests.checkout.factories import make_order
from tests.inventory.factories import ledger_mismatches, make_variant, make_warehouse

CLERK = Actor(kind="staff", id=None, label="support@shop.example")

ALLOWED = sorted((a, b) for a, targets in states.TRANSITIONS.items() for b in targets)
REFUSED = sorted(
    (a, b)
    for a in ORDER_STATUSES
    for b in ORDER_STATUSES
    if a != b and b not in states.TRANSITIONS[a]
)


def test_the_table_names_every_status():
    assert set(states.TRANSITIONS) == set(ORDER_STATUSES)
    assert all(targets <= set(ORDER_STATUSES) for targets in states.TRANSITIONS.values())


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_allowed_move_is_recorded(db_session, current, target):
    unpaid_shipping = current == "pending_payment" and target in states.SHIPPED
    order = make_order(
        status=current, payment_method="cash_on_delivery" if unpaid_shipping else "stripe"
    )

    locked = orders.lock_order(order.id)
    orders.move(locked, target, actor=CLERK, reason="test")
    db_session.commit()

    assert db_session.get(Order, order.id, populate_existing=True).status == target
    entry = timeline.entries(order.id)[0]
    assert (entry.kind, entry.data) == ("status", {"before": current, "after": target})
    assert entry.actor_label == CLERK.label
    assert db_session.scalar(select(func.count()).where(AuditEntry.action == "order.status")) == 1
    assert (
        db_session.scalar(select(func.count()).where(OutboxEvent.name == "order.status_changed"))
        == 1
    )


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_every_other_move_is_refused_saying_why(db_session, current, target):
    order = make_order(status=current)
    locked = orders.lock_order(order.id)

    with pytest.raises(TransitionNotAllowed) as refused:
        orders.move(locked, target, actor=CLERK)

    assert refused.value.status == 409
    assert refused.value.details["reason"]
    assert str(order.number) in refused.value.message


def test_an_unpaid_order_ships_only_when_paid_on_delivery(db_session):
    order = make_order(payment_method="bank_transfer")
    with pytest.raises(TransitionNotAllowed, match="cannot ship an order that is not paid"):
        orders.move(orders.lock_order(order.id), "fulfilled", actor=CLERK)


def test_shipping_a_cancelled_order_says_so(db_session):
    order = make_order(status="cancelled")
    with pytest.raises(TransitionNotAllowed, match="cannot ship a cancelled order"):
        orders.move(orders.lock_order(order.id), "fulfilled", actor=CLERK)


def test_a_hold_needs_a_reason_and_returns_to_where_it_was(db_session):
    order = make_order(status="paid", payment_status="paid")
    with pytest.raises(InvalidInput, match="reason"):
        orders.hold_order(order.id, reason=" ", actor=CLERK)

    orders.hold_order(order.id, reason="address check", actor=CLERK)
    assert db_session.get(Order, order.id, populate_existing=True).status == "on_hold"
    orders.release_hold(order.id, actor=CLERK)

    assert db_session.get(Order, order.id, populate_existing=True).status == "paid"
    messages = [e.message for e in timeline.entries(order.id)]
    assert messages == [
        "Status on hold → paid: hold released",
        "Status paid → on hold: address check",
    ]
    with pytest.raises(Conflict, match="not on hold"):
        orders.release_hold(order.id, actor=CLERK)


def test_cancelling_gives_the_stock_back_and_writes_the_ledger(db_session):
    warehouse = make_warehouse(code="MAIN")
    variant = make_variant(sku="TEE-1")
    inventory.receive_stock(variant.id, warehouse.id, 5, actor=CLERK)
    order = make_order(payment_method="bank_transfer")
    inventory.allocate_stock([(variant.id, 2)], orders.order_reference(order), actor=CLERK)

    orders.cancel_order(order.id, reason="customer asked", actor=CLERK)

    order = db_session.get(Order, order.id, populate_existing=True)
    assert (order.status, order.payment_status) == ("cancelled", "voided")
    level = db_session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == variant.id)
        .execution_options(populate_existing=True)
    )
    assert (level.on_hand, level.allocated) == (5, 0)
    assert ledger_mismatches(db_session) == []


def test_an_order_with_captured_money_is_refunded_before_it_is_cancelled(db_session):
    order = make_order(status="paid", payment_status="paid")
    db_session.add(
        Payment(
            order_id=order.id, provider="stripe", amount=order.total_amount, currency="EUR",
            status="succeeded", idempotency_key="k",
        )
    )  # fmt: skip
    db_session.commit()
    with pytest.raises(Conflict, match="refund it before cancelling"):
        orders.cancel_order(order.id, reason="fraud", actor=CLERK)
    assert db_session.get(Order, order.id, populate_existing=True).status == "paid"


def test_an_authorised_payment_is_voided_before_the_order_is_cancelled(db_session):
    order = make_order(payment_status="authorized")
    db_session.add(
        Payment(
            order_id=order.id, provider="stripe", amount=order.total_amount, currency="EUR",
            status="authorized", idempotency_key="k-auth",
        )
    )  # fmt: skip
    db_session.commit()
    with pytest.raises(Conflict, match="void it before cancelling"):
        orders.cancel_order(order.id, reason="changed mind", actor=CLERK)


def test_marking_an_offline_order_paid(db_session):
    order = make_order(payment_method="bank_transfer")
    stripe_order = make_order(payment_method="stripe")

    orders.mark_paid_offline(order.id, reference="bank ref 4711", actor=CLERK)

    order = db_session.get(Order, order.id, populate_existing=True)
    assert (order.status, order.payment_status) == ("paid", "paid")
    payment = db_session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert (payment.provider, payment.amount, payment.status) == (
        "bank_transfer", order.total_amount, "succeeded",
    )  # fmt: skip
    with pytest.raises(Conflict, match="already paid"):
        orders.mark_paid_offline(order.id, reference="again", actor=CLERK)
    with pytest.raises(Conflict, match="not paid offline"):
        orders.mark_paid_offline(stripe_order.id, reference="x", actor=CLERK)


@pytest.mark.committed
def test_concurrent_notes_and_a_hold_on_one_order_are_all_kept(app, db_session):
    order = make_order(status="paid", payment_status="paid")
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def act(i: int) -> None:
        with app.app_context():
            start.wait()
            try:
                if i == 0:
                    orders.hold_order(order.id, reason="check", actor=CLERK)
                else:
                    orders.add_note(order.id, f"note {i}", actor=CLERK)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    with app.app_context():
        kinds = sorted(e.kind for e in timeline.entries(order.id))
        assert kinds == ["note"] * 5 + ["status"]
        assert db.session.get(Order, order.id, populate_existing=True).status == "on_hold"
