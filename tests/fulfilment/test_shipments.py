"""Shipping an order: units leave the shelf with ledger rows, the order moves to partially
fulfilled then fulfilled, and what cannot ship is refused saying why (the line and how many are
left, an unpaid or cancelled order, digital goods, units spread over warehouses)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce.audit import AuditEntry
from commerce.errors import Conflict, InvalidInput
from commerce.events import OutboxEvent
from commerce.fulfilment import service as fulfilment
from commerce.fulfilment.models import Shipment
from commerce.fulfilment.picking import pick_list
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel, StockMovement
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.orders.service import order_reference
from commerce.orders.states import TransitionNotAllowed
from tests.fulfilment.factories import PACKER, make_shippable_order
from tests.inventory.factories import ledger_mismatches, make_warehouse


def fresh(db_session, order: Order) -> Order:
    return db_session.get(Order, order.id, populate_existing=True)


def on_hand(db_session, variant_id: int) -> int:
    levels = db_session.scalars(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id)
        .execution_options(populate_existing=True)
    )
    return sum(level.on_hand for level in levels)


def sold_rows(db_session, order: Order) -> list[tuple[int, str, int]]:
    rows = db_session.execute(
        select(StockMovement.variant_id, StockMovement.bucket, StockMovement.delta)
        .where(StockMovement.reference == order_reference(order), StockMovement.reason == "sold")
        .order_by(StockMovement.id)
    )
    return [tuple(row) for row in rows]


def count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_partial_then_a_full_shipment(db_session):
    order = make_shippable_order((3, 1))
    tee, mug = order.lines
    reference = order_reference(order)

    first = fulfilment.create_shipment(order.id, {tee.id: 2}, actor=PACKER)

    assert (first.sequence, first.status, first.carrier, first.service) == (
        1,
        "pending",
        "table",
        "standard",
    )
    assert [(line.order_line_id, line.quantity) for line in first.lines] == [(tee.id, 2)]
    placed = fresh(db_session, order)
    assert (placed.status, placed.fulfilment_status) == ("partially_fulfilled", "partial")
    assert sold_rows(db_session, order) == [
        (tee.variant_id, "on_hand", -2),
        (tee.variant_id, "allocated", -2),
    ]
    held = {a.variant_id: a.quantity for a in inventory.allocations(reference)}
    assert held == {tee.variant_id: 1, mug.variant_id: 1}
    assert on_hand(db_session, tee.variant_id) == 8
    assert fulfilment.remaining_to_ship(order.id) == {tee.id: 1, mug.id: 1}
    entry = timeline.entries(order.id)[0]
    assert entry.kind == "shipment" and f"2 x {tee.sku}" in entry.message
    assert count(db_session, AuditEntry, AuditEntry.action == "shipment.create") == 1
    assert count(db_session, OutboxEvent, OutboxEvent.name == "shipment.created") == 1

    second = fulfilment.create_shipment(order.id, actor=PACKER)  # everything left

    assert second.sequence == 2
    assert sorted((line.order_line_id, line.quantity) for line in second.lines) == [
        (tee.id, 1),
        (mug.id, 1),
    ]
    done = fresh(db_session, order)
    assert (done.status, done.fulfilment_status) == ("fulfilled", "fulfilled")
    assert inventory.allocations(reference) == []
    assert (on_hand(db_session, tee.variant_id), on_hand(db_session, mug.variant_id)) == (7, 9)
    assert fulfilment.remaining_to_ship(order.id) == {tee.id: 0, mug.id: 0}
    assert ledger_mismatches(db_session) == []
    statuses = [e.data.get("after") for e in timeline.entries(order.id) if e.kind == "status"]
    assert statuses == ["fulfilled", "partially_fulfilled"]


def test_one_shipment_of_everything_fulfils_a_paid_order(db_session):
    order = make_shippable_order((2,))

    fulfilment.create_shipment(order.id, actor=PACKER)

    assert (fresh(db_session, order).status, fresh(db_session, order).fulfilment_status) == (
        "fulfilled",
        "fulfilled",
    )


def test_shipping_more_than_is_left_is_refused_naming_the_line(db_session):
    order = make_shippable_order((3, 1))
    tee = order.lines[0]
    fulfilment.create_shipment(order.id, {tee.id: 2}, actor=PACKER)

    with pytest.raises(InvalidInput) as refused:
        fulfilment.create_shipment(order.id, {tee.id: 2}, actor=PACKER)

    field = f"lines[{tee.id}]"
    assert set(refused.value.fields) == {field}
    assert tee.sku in refused.value.message
    assert "only 1 left to ship (3 ordered, 2 shipped), not 2" in refused.value.message
    assert count(db_session, Shipment, Shipment.order_id == order.id) == 1
    assert on_hand(db_session, tee.variant_id) == 8
    assert fresh(db_session, order).status == "partially_fulfilled"


def test_a_line_of_another_order_is_refused(db_session):
    order = make_shippable_order((1,))
    other = make_shippable_order((1,))

    with pytest.raises(InvalidInput) as refused:
        fulfilment.create_shipment(order.id, {other.lines[0].id: 1}, actor=PACKER)

    assert f"lines[{other.lines[0].id}]" in refused.value.fields
    assert f"not a line of order #{order.number}" in refused.value.message


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("cancelled", "cannot ship a cancelled order"),
        ("pending_payment", "cannot ship an order that is not paid"),
        ("on_hold", "cannot ship an order on hold; release the hold first"),
    ],
)
def test_an_order_that_may_not_ship_is_refused_with_the_reason(db_session, status, reason):
    order = make_shippable_order((2,), status=status)
    before = on_hand(db_session, order.lines[0].variant_id)

    with pytest.raises(TransitionNotAllowed) as refused:
        fulfilment.create_shipment(order.id, actor=PACKER)

    assert refused.value.status == 409
    assert refused.value.details["reason"] == reason
    assert f"#{order.number}" in refused.value.message
    assert count(db_session, Shipment) == 0
    assert on_hand(db_session, order.lines[0].variant_id) == before
    assert fresh(db_session, order).status == status


def test_digital_goods_have_nothing_to_ship(db_session):
    ebook_only = make_shippable_order((1,), digital=(0,))
    mixed = make_shippable_order((1, 1), digital=(1,))

    with pytest.raises(InvalidInput, match="nothing to ship") as only_digital:
        fulfilment.create_shipment(ebook_only.id, actor=PACKER)
    ebook = mixed.lines[1]
    with pytest.raises(InvalidInput) as digital_line:
        fulfilment.create_shipment(mixed.id, {ebook.id: 1}, actor=PACKER)

    assert "lines" in only_digital.value.fields
    assert digital_line.value.fields == {
        f"lines[{ebook.id}]": f"{ebook.sku} is digital: there is nothing to ship"
    }
    # The physical line ships alone, and that fulfils the order.
    fulfilment.create_shipment(mixed.id, actor=PACKER)
    assert fresh(db_session, mixed).fulfilment_status == "fulfilled"


def test_units_in_two_warehouses_need_a_choice_of_warehouse(db_session):
    main = make_warehouse(code="SHIP-MAIN", priority=1)
    spare = make_warehouse(code="SHIP-SPARE", priority=2)
    order = make_shippable_order((12,), warehouse=main, allocate=False)
    line = order.lines[0]
    inventory.receive_stock(line.variant_id, spare.id, 5, actor=PACKER)
    inventory.allocate_stock([(line.variant_id, 12)], order_reference(order), actor=PACKER)

    with pytest.raises(InvalidInput) as refused:
        fulfilment.create_shipment(order.id, actor=PACKER)
    assert refused.value.fields == {
        "warehouse_id": "the units are held in SHIP-MAIN (10), SHIP-SPARE (2): choose one warehouse"
    }

    from_spare = fulfilment.create_shipment(order.id, warehouse_id=spare.id, actor=PACKER)

    assert [(sl.quantity, from_spare.warehouse.code) for sl in from_spare.lines] == [
        (2, "SHIP-SPARE")
    ]
    assert fulfilment.remaining_to_ship(order.id) == {line.id: 10}
    with pytest.raises(InvalidInput) as too_many:
        fulfilment.create_shipment(order.id, {line.id: 1}, warehouse_id=spare.id, actor=PACKER)
    assert too_many.value.fields == {
        f"lines[{line.id}]": f"{line.sku}: only 0 allocated in SHIP-SPARE, not 1"
    }
    rest = fulfilment.create_shipment(order.id, actor=PACKER)  # only SHIP-MAIN holds any now
    assert rest.warehouse_id == main.id and rest.units == 10
    assert ledger_mismatches(db_session) == []


def test_the_same_idempotency_key_returns_the_same_shipment(db_session):
    order = make_shippable_order((3,))
    line = order.lines[0]

    first = fulfilment.create_shipment(
        order.id, {line.id: 1}, idempotency_key="form-7f3a", actor=PACKER
    )
    again = fulfilment.create_shipment(
        order.id, {line.id: 1}, idempotency_key="form-7f3a", actor=PACKER
    )

    assert again.id == first.id
    assert count(db_session, Shipment) == 1
    assert on_hand(db_session, line.variant_id) == 9


def test_a_service_the_carrier_does_not_offer_is_refused(db_session):
    order = make_shippable_order((1,))

    with pytest.raises(InvalidInput) as refused:
        fulfilment.create_shipment(order.id, service="overnight-by-drone", actor=PACKER)

    assert "service" in refused.value.fields
    assert "offered: express, standard" in refused.value.message
    assert count(db_session, Shipment) == 0


def test_the_pick_list_adds_up_units_per_warehouse_and_skips_orders_not_to_ship(db_session):
    warehouse = make_warehouse(code="PICK-1")
    first = make_shippable_order((2, 1), warehouse=warehouse)
    second = make_shippable_order((4,), warehouse=warehouse)
    held = make_shippable_order((1,), warehouse=warehouse, status="on_hold")
    fulfilment.create_shipment(first.id, {first.lines[0].id: 1}, actor=PACKER)

    picks = pick_list([first.id, second.id, held.id])

    [here] = picks.warehouses
    assert (here.code, here.units) == ("PICK-1", 6)
    listed = [(i.sku, i.title, i.quantity, i.location, i.order_numbers) for i in here.items]
    assert listed == sorted(
        [
            (first.lines[0].sku, "Item 0", 1, "PICK-1", (first.number,)),
            (first.lines[1].sku, "Item 1", 1, "PICK-1", (first.number,)),
            (second.lines[0].sku, "Item 0", 4, "PICK-1", (second.number,)),
        ]
    )
    assert picks.skipped == {held.number: "order is on hold"}


def test_a_parcel_without_a_label_cannot_be_handed_over_or_delivered(db_session):
    order = make_shippable_order((1,))
    shipment = fulfilment.create_shipment(order.id, actor=PACKER)

    for mark in (fulfilment.mark_shipped, fulfilment.mark_delivered):
        with pytest.raises(Conflict, match="has no label yet"):
            mark(shipment.id, actor=PACKER)

    assert db_session.get(Shipment, shipment.id, populate_existing=True).status == "pending"
    assert fresh(db_session, order).status == "fulfilled"
