"""Returns through the services: what can be returned, staff decisions emailed to the customer,
the parcel received onto the shelf (ledger rows that add up) or written off, and the value given
back as store credit (a gift card emailed once) or as a refund."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from commerce import db
from commerce.audit import Actor, AuditEntry
from commerce.errors import Conflict, InvalidInput, NotFound, PaymentError, PermissionDenied
from commerce.inventory.models import StockLevel, StockMovement
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.payments.gateway import StripeGateway
from commerce.payments.service import apply_stripe_webhook, start_stripe_payment
from commerce.pricing.gift_cards import find_gift_card, ledger_balance
from commerce.returns import resolution, returns_for_order, service
from commerce.returns.models import Return
from jobs.handlers.returns import deliver_store_credit, send_return_update
from tests.checkout.factories import make_order
from tests.customers.factories import register
from tests.inventory.factories import ledger_mismatches, make_variant, make_warehouse
from tests.returns.factories import SUPPORT, event_of, ship, shipped_order

CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _received(order, restock, write_off=0, warehouse=None):
    """A return of the first line approved and received (restock, write_off units)."""
    line = order.lines[0]
    ret = service.open_return(order.id, {line.id: restock + write_off}, "damaged", actor=SUPPORT)
    service.approve_return(ret.id, actor=SUPPORT)
    warehouse = warehouse or make_warehouse()
    return service.receive_return(
        ret.id,
        warehouse.id,
        {line.id: {"restock": restock, "write_off": write_off}},
        actor=SUPPORT,
    )


def test_units_cannot_be_returned_beyond_what_shipped_less_other_returns(db_session):
    order = shipped_order(lines=((3, 1000), (1, 500)), shipped=(2, 0))
    first, second = order.lines

    with pytest.raises(InvalidInput) as refused:
        service.open_return(order.id, {first.id: 3}, "size_or_fit", actor=SUPPORT)
    assert refused.value.fields == {
        f"lines.{first.id}": f"only 2 of {first.sku} can be returned (2 shipped)"
    }
    with pytest.raises(InvalidInput) as unshipped:
        service.open_return(order.id, {second.id: 1}, "size_or_fit", actor=SUPPORT)
    assert f"lines.{second.id}" in unshipped.value.fields

    ret = service.open_return(order.id, {first.id: 2}, "size_or_fit", actor=SUPPORT)
    assert (ret.status, ret.reference) == ("requested", f"R{ret.number}")
    with pytest.raises(InvalidInput) as held:
        service.open_return(order.id, {first.id: 1}, "size_or_fit", actor=SUPPORT)
    assert held.value.fields[f"lines.{first.id}"] == (
        f"only 0 of {first.sku} can be returned (2 shipped, 2 in other returns)"
    )

    # A rejected return holds nothing: the units can be asked for again.
    service.reject_return(ret.id, "Worn", actor=SUPPORT)
    ship(order, {first.id: 1})
    again = service.open_return(order.id, {first.id: 3}, "size_or_fit", actor=SUPPORT)
    assert [(r.id, r.status) for r in returns_for_order(order.id)] == [
        (ret.id, "rejected"),
        (again.id, "requested"),
    ]


def test_digital_lines_and_other_orders_lines_are_refused_by_name(db_session):
    order = shipped_order(lines=((1, 1000), (1, 900)), digital=(1,))
    physical, digital = order.lines
    other = shipped_order()

    with pytest.raises(InvalidInput) as refused:
        service.open_return(order.id, {digital.id: 1, other.lines[0].id: 1}, "other", actor=SUPPORT)
    assert refused.value.fields == {
        f"lines.{digital.id}": f"{digital.sku} is a digital item and cannot be returned",
        f"lines.{other.lines[0].id}": f"is not a line of order #{order.number}",
    }
    with pytest.raises(InvalidInput) as no_reason:
        service.open_return(order.id, {physical.id: 1}, "because", actor=SUPPORT)
    assert "reason" in no_reason.value.fields


def test_a_customer_opens_returns_only_for_their_own_orders(db_session):
    ada, bob = register().customer, register().customer
    order = shipped_order(customer_id=ada.id)
    line = order.lines[0]
    customer = Actor(kind="customer", id=ada.id, label=ada.email)

    with pytest.raises(NotFound):
        service.open_return(order.id, {line.id: 1}, "damaged", actor=customer, customer_id=bob.id)
    with pytest.raises(NotFound):  # a customer must say who they are
        service.open_return(order.id, {line.id: 1}, "damaged", actor=customer)
    ret = service.open_return(
        order.id, {line.id: 1}, "damaged", actor=customer, customer_id=ada.id, note="Box crushed"
    )
    assert (ret.customer_id, ret.customer_note, ret.requested_by_kind) == (
        ada.id,
        "Box crushed",
        "customer",
    )
    with pytest.raises(PermissionDenied):
        service.approve_return(ret.id, actor=customer)
    [entry] = [e for e in timeline.entries(order.id) if e.kind == "return"]
    assert entry.message == f"Return {ret.reference} requested (damaged): 1 x {line.sku}"
    assert event_of(db_session, "return.opened", return_id=ret.id)


def test_approval_and_rejection_are_emailed_to_the_customer_once(db_session, mailbox):
    order = shipped_order(lines=((2, 2500),))
    line = order.lines[0]
    approved = service.open_return(order.id, {line.id: 1}, "defective", actor=SUPPORT)
    service.approve_return(approved.id, actor=SUPPORT)
    event = event_of(db_session, "return.approved", return_id=approved.id)
    assert send_return_update(event) == "sent"
    assert send_return_update(event) == "skipped: already sent"
    with pytest.raises(Conflict):
        service.approve_return(approved.id, actor=SUPPORT)

    rejected = service.open_return(order.id, {line.id: 1}, "no_longer_needed", actor=SUPPORT)
    with pytest.raises(InvalidInput) as no_reason:
        service.reject_return(rejected.id, "  ", actor=SUPPORT)
    assert no_reason.value.fields == {"reason": "is required"}
    service.reject_return(rejected.id, "Opened software cannot be returned", actor=SUPPORT)
    assert send_return_update(event_of(db_session, "return.rejected", return_id=rejected.id))

    messages = mailbox()
    assert len(messages) == 2
    [yes] = [m for m in messages if m["Subject"].endswith("is approved")]
    [no] = [m for m in messages if m is not yes]
    assert (yes["To"], yes["X-Template"]) == (order.email, "return_update")
    assert yes["Subject"] == f"Your return {approved.reference} is approved"
    assert f"1 x Item 0 ({line.sku})" in _text(yes)
    assert approved.reference in _text(yes)
    assert (
        no["Subject"]
        == f"Your return {rejected.reference} for order #{order.number} was not accepted"
    )
    assert "Reason: Opened software cannot be returned" in _text(no)


def test_receiving_restocks_and_writes_off_with_ledger_rows_that_add_up(db_session):
    order = shipped_order(lines=((3, 2000),))
    line = order.lines[0]
    warehouse = make_warehouse()
    ret = service.open_return(order.id, {line.id: 3}, "damaged", actor=SUPPORT)

    with pytest.raises(Conflict):  # not approved yet
        service.receive_return(ret.id, warehouse.id, {line.id: {"restock": 1}}, actor=SUPPORT)
    service.approve_return(ret.id, actor=SUPPORT)
    with pytest.raises(InvalidInput) as too_many:
        service.receive_return(
            ret.id, warehouse.id, {line.id: {"restock": 3, "write_off": 1}}, actor=SUPPORT
        )
    assert too_many.value.fields == {
        f"lines.{line.id}": f"4 units of {line.sku} received, but the return is for 3"
    }
    with pytest.raises(InvalidInput) as no_warehouse:
        service.receive_return(ret.id, 0, {line.id: {"restock": 1}}, actor=SUPPORT)
    assert no_warehouse.value.fields == {"warehouse_id": "choose a warehouse"}

    done = service.receive_return(
        ret.id,
        warehouse.id,
        {line.id: {"restock": 2, "write_off": 1, "condition": "opened"}},
        actor=SUPPORT,
    )
    assert done.status == "received"
    [received] = done.lines
    assert (received.received_quantity, received.restocked_quantity) == (3, 2)
    assert (received.written_off_quantity, received.condition) == (1, "opened")

    level = db_session.scalar(
        select(StockLevel).where(
            StockLevel.variant_id == line.variant_id, StockLevel.warehouse_id == warehouse.id
        )
    )
    assert level.on_hand == 2
    movements = db_session.scalars(
        select(StockMovement)
        .where(StockMovement.variant_id == line.variant_id)
        .order_by(StockMovement.id)
    ).all()
    assert [(m.reason, m.delta, m.reference) for m in movements] == [
        ("returned", 2, f"return:{ret.number}"),
        ("returned", 1, f"return:{ret.number}"),
        ("adjusted", -1, f"return:{ret.number}"),
    ]
    assert ledger_mismatches(db_session) == []
    assert event_of(db_session, "return.received", return_id=ret.id)["payload"]["restocked"] == 2
    messages = [e.message for e in timeline.entries(order.id) if e.kind == "return"]
    assert messages[0] == f"Return {ret.reference} received: 2 restocked, 1 written off"
    assert db_session.scalar(
        select(AuditEntry).where(AuditEntry.action == "return.receive")
    ).changes["status"] == ["approved", "received"]


def test_store_credit_is_a_gift_card_of_the_units_value_emailed_once(db_session, mailbox):
    # 3 units for 10.00 in all: the first unit back is worth 3.33, the next two 6.67.
    order = shipped_order(lines=((3, 1000),))
    order.lines[0].total_amount, order.lines[0].discount_amount = 1000, 2000
    order.subtotal_amount, order.discount_amount, order.total_amount = 3000, 2000, 1000
    db_session.commit()
    first = _received(order, restock=1)
    assert resolution.return_value(first.id) == 333
    with pytest.raises(InvalidInput):
        resolution.resolve_return(first.id, "cash", actor=SUPPORT)

    done = resolution.resolve_return(first.id, "store_credit", actor=SUPPORT)
    assert (done.status, done.resolution, done.refund_amount) == ("refunded", "store_credit", 333)
    with pytest.raises(Conflict):
        resolution.resolve_return(first.id, "store_credit", actor=SUPPORT)

    event = event_of(db_session, "return.resolved", return_id=first.id)
    assert deliver_store_credit(event) == "sent"
    assert deliver_store_credit(event) == "skipped: already sent"
    [message] = mailbox()
    assert message["X-Template"] == "store_credit"
    assert message["To"] == order.email
    [code] = CODE.findall(_text(message))
    card = find_gift_card(code)
    assert card is not None and card.id == done.gift_card_id
    assert (card.initial_amount, card.balance_amount, card.currency) == (333, 333, "EUR")
    assert ledger_balance(card.id) == 333
    assert "3.33 EUR" in message["Subject"]

    second = _received(order, restock=1, write_off=1)
    assert resolution.return_value(second.id) == 667  # the line's total, to the cent
    resolution.resolve_return(second.id, "store_credit", actor=SUPPORT)
    assert ledger_mismatches(db_session) == []


def test_a_return_can_be_closed_with_nothing_given_back(db_session):
    order = shipped_order()
    ret = service.open_return(order.id, {order.lines[0].id: 1}, "other", actor=SUPPORT)
    with pytest.raises(Conflict):
        service.close_return(ret.id, "Never arrived", actor=SUPPORT)
    service.approve_return(ret.id, actor=SUPPORT)
    closed = service.close_return(ret.id, "Never arrived", actor=SUPPORT)
    assert (closed.status, closed.staff_note) == ("closed", "Never arrived")
    # Nothing came back, so the units can be asked for again.
    assert service.returnable_quantities(order.id) == {order.lines[0].id: 2}


needs_refunds = pytest.mark.skipif(
    not resolution.refunds_available(), reason="commerce.payments.refunds is not installed"
)


def _card_paid_shipped_order(gateway, server, card="pm_card_visa", lines=((2, 2500),)):
    """An order paid by `card` through the local Stripe server, then shipped in full."""
    order = make_order(lines=lines, variant_0=make_variant())
    started = start_stripe_payment(order.id, gateway)
    gateway.confirm_payment_intent(
        started.provider_reference, card, idempotency_key=f"confirm-{started.payment_id}"
    )
    body, signature = server.signed_event(server.last_event("payment_intent.succeeded"))
    assert (
        apply_stripe_webhook(body, signature, gateway=gateway, secret=server.webhook_secret)
        == "paid"
    )
    order = db.session.get(Order, order.id, populate_existing=True)
    order.status, order.fulfilment_status = "fulfilled", "fulfilled"
    db.session.commit()
    ship(order, {line.id: line.quantity for line in order.lines})
    return order


@needs_refunds
def test_a_refund_pays_the_received_units_back_to_the_card(db_session, gateway, stripe_server):
    from commerce.payments.refunds import refunds_of

    order = _card_paid_shipped_order(gateway, stripe_server)
    ret = _received(order, restock=1)
    done = resolution.resolve_return(ret.id, "refund", actor=SUPPORT, gateway=gateway)

    assert (done.status, done.resolution, done.refund_amount) == ("refunded", "refund", 2500)
    [refund] = refunds_of(order.id)
    assert (refund.id, refund.amount) == (done.refund_id, 2500)
    assert refund.status == "succeeded"
    assert len(stripe_server.events("refund.created")) == 1
    assert event_of(db_session, "return.resolved", return_id=ret.id)["payload"]["amount"] == 2500
    with pytest.raises(Conflict):
        resolution.resolve_return(ret.id, "refund", actor=SUPPORT, gateway=gateway)


@needs_refunds
def test_a_refused_refund_leaves_the_return_to_resolve_again(db_session, gateway, stripe_server):
    from commerce.payments.refunds import RefundFailed

    order = _card_paid_shipped_order(gateway, stripe_server, card="pm_card_createDispute")
    ret = _received(order, restock=1)
    with pytest.raises(RefundFailed):
        resolution.resolve_return(ret.id, "refund", actor=SUPPORT, gateway=gateway)
    again = db_session.get(Return, ret.id, populate_existing=True)
    assert (again.status, again.resolution, again.refund_attempts) == ("received", None, 1)
    assert resolution.resolve_return(ret.id, "store_credit", actor=SUPPORT).status == "refunded"


@needs_refunds
def test_a_refund_whose_outcome_is_unknown_is_resumed_and_paid_once(
    db_session, gateway, stripe_server
):
    order = _card_paid_shipped_order(gateway, stripe_server)
    ret = _received(order, restock=2)
    unreachable = StripeGateway(stripe_server.api_key, "http://127.0.0.1:9", max_network_retries=0)
    with pytest.raises(PaymentError):
        resolution.resolve_return(ret.id, "refund", actor=SUPPORT, gateway=unreachable)
    held = db_session.get(Return, ret.id, populate_existing=True)
    assert (held.status, held.resolution) == ("received", "refund")
    with pytest.raises(Conflict):  # no store credit on top of a refund in flight
        resolution.resolve_return(ret.id, "store_credit", actor=SUPPORT)

    done = resolution.resolve_return(ret.id, "refund", actor=SUPPORT, gateway=gateway)
    assert (done.status, done.refund_amount) == ("refunded", 5000)
    assert len(stripe_server.events("refund.created")) == 1


def test_without_the_refund_service_a_refund_is_refused_clearly(db_session, monkeypatch):
    monkeypatch.setattr(resolution, "_refund_order", lambda: None)
    order = shipped_order()
    ret = _received(order, restock=1)
    with pytest.raises(Conflict) as refused:
        resolution.resolve_return(ret.id, "refund", actor=SUPPORT)
    assert refused.value.message == "Refunds are not available; give store credit instead."
