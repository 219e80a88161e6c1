"""Inventory services: every change lands in the stock levels, the ledger and the audit trail, and
bad input is refused with a message naming the field or line, writing nothing."""

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from commerce.audit import AuditEntry
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput
from commerce.inventory import service as inventory
from commerce.inventory.errors import OutOfStock, ReservationNotActive
from commerce.inventory.models import StockLevel, StockMovement, StockReservation
from jobs.maintenance import expire_stock_reservations
from tests.inventory.factories import (
    BUYER,
    CLERK,
    ledger_mismatches,
    make_variant,
    make_warehouse,
)


@pytest.fixture
def shelf(db_session):
    """A variant with 6 units in MAIN (ships first) and 4 in SPARE."""
    main = make_warehouse(code="MAIN", name="Main", priority=1)
    spare = make_warehouse(code="SPARE", name="Spare", priority=2)
    variant = make_variant(sku="TEE-BLK-M")
    inventory.receive_stock(variant.id, main.id, 6, "PO-1", actor=CLERK)
    inventory.receive_stock(variant.id, spare.id, 4, "PO-1", actor=CLERK)
    return SimpleNamespace(variant=variant, main=main, spare=spare, v=variant.id)


def level(db_session, variant_id, warehouse_id) -> tuple[int, int, int, int, int]:
    """(on_hand, allocated, reserved, backordered, available) as stored now."""
    row = db_session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id, StockLevel.warehouse_id == warehouse_id)
        .execution_options(populate_existing=True)
    )
    return (row.on_hand, row.allocated, row.reserved, row.backordered, row.available)


def ledger(db_session, variant_id) -> list[tuple]:
    """(warehouse_id, bucket, reason, delta, balance_after) of a variant's movements, in order."""
    rows = db_session.scalars(
        select(StockMovement)
        .where(StockMovement.variant_id == variant_id)
        .order_by(StockMovement.id)
    )
    return [(m.warehouse_id, m.bucket, m.reason, m.delta, m.balance_after) for m in rows]


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def audit_actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- receive, adjust, count, transfer -------------------------------------------------------------


def test_receiving_stock_writes_a_movement_and_an_audit_row(db_session):
    warehouse = make_warehouse(code="BER")
    variant = make_variant()

    stock = inventory.receive_stock(variant.id, warehouse.id, 5, "PO-7", actor=CLERK)

    assert (stock.on_hand, stock.available) == (5, 5)
    [movement] = db_session.scalars(select(StockMovement)).all()
    assert (movement.bucket, movement.reason, movement.delta, movement.balance_after) == (
        "on_hand",
        "received",
        5,
        5,
    )
    assert (movement.reference, movement.actor_kind, movement.actor_label) == (
        "PO-7",
        "staff",
        "clerk@shop.example",
    )
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "stock.receive"))
    assert entry.object_id == str(stock.id)
    assert entry.changes == {"on_hand": [0, 5], "reference": [None, "PO-7"]}


@pytest.mark.parametrize("quantity", [0, -3, 2.5, "4"])
def test_receiving_a_quantity_that_is_not_above_zero_is_refused(db_session, quantity):
    warehouse = make_warehouse()
    variant = make_variant()
    with pytest.raises(InvalidInput) as caught:
        inventory.receive_stock(variant.id, warehouse.id, quantity, actor=CLERK)
    assert list(caught.value.fields) == ["quantity"]
    assert str(caught.value).startswith("quantity: ")
    assert count(db_session, StockLevel) == 0
    assert count(db_session, StockMovement) == 0


def test_adjusting_below_what_is_allocated_or_reserved_is_refused_naming_delta(db_session, shelf):
    inventory.reserve_stock([(shelf.v, 5)], "checkout:a", 600, actor=BUYER)
    before = (ledger(db_session, shelf.v), audit_actions(db_session))

    with pytest.raises(InvalidInput) as caught:
        inventory.adjust_stock(shelf.v, shelf.main.id, -3, "dropped a box", actor=CLERK)

    assert caught.value.fields == {
        "delta": "would leave 3 on hand in MAIN, below the 5 allocated or reserved (on hand now: 6)"
    }
    assert level(db_session, shelf.v, shelf.main.id) == (6, 0, 5, 0, 1)
    assert (ledger(db_session, shelf.v), audit_actions(db_session)) == before


def test_adjusting_stock_needs_a_reason_and_records_it(db_session, shelf):
    with pytest.raises(InvalidInput) as caught:
        inventory.adjust_stock(shelf.v, shelf.main.id, -1, "  ", actor=CLERK)
    assert caught.value.fields == {"reason_note": "is required"}

    stock = inventory.adjust_stock(shelf.v, shelf.main.id, -2, "water damage", actor=CLERK)

    assert stock.on_hand == 4
    movement = db_session.scalar(select(StockMovement).order_by(StockMovement.id.desc()))
    assert (movement.reason, movement.delta, movement.balance_after, movement.note) == (
        "adjusted",
        -2,
        4,
        "water damage",
    )
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "stock.adjust"))
    assert entry.changes == {"on_hand": [6, 4], "note": [None, "water damage"]}


def test_adjusting_stock_that_was_never_there_is_refused(db_session):
    warehouse = make_warehouse(code="EMPTY")
    variant = make_variant()
    with pytest.raises(InvalidInput, match="delta: would leave -1 on hand in EMPTY"):
        inventory.adjust_stock(variant.id, warehouse.id, -1, "shrinkage", actor=CLERK)
    assert count(db_session, StockLevel) == 0


def test_a_cycle_count_writes_the_difference_as_a_counted_movement(db_session, shelf):
    stock = inventory.count_stock(shelf.v, shelf.main.id, 4, actor=CLERK)

    assert stock.on_hand == 4 and stock.last_counted_at is not None
    assert ledger(db_session, shelf.v)[-1] == (shelf.main.id, "on_hand", "counted", -2, 4)
    note = db_session.scalar(select(StockMovement.note).order_by(StockMovement.id.desc()))
    assert note == "counted 4, expected 6"

    # A count that matches changes nothing but the date of the last count.
    movements = count(db_session, StockMovement)
    again = inventory.count_stock(shelf.v, shelf.main.id, 4, actor=CLERK)
    assert again.on_hand == 4 and count(db_session, StockMovement) == movements
    assert audit_actions(db_session).count("stock.count") == 2


def test_a_count_below_what_is_reserved_is_refused_naming_counted(db_session, shelf):
    inventory.reserve_stock([(shelf.v, 3)], "checkout:b", 600, actor=BUYER)
    with pytest.raises(InvalidInput) as caught:
        inventory.count_stock(shelf.v, shelf.main.id, 2, actor=CLERK)
    assert "counted" in caught.value.fields
    assert "2 is below the 3 units allocated or reserved in MAIN" in caught.value.message
    assert level(db_session, shelf.v, shelf.main.id) == (6, 0, 3, 0, 3)


def test_a_transfer_moves_units_and_links_both_movements(db_session, shelf):
    source, target = inventory.transfer_stock(
        shelf.v, shelf.main.id, shelf.spare.id, 3, "TR-1", actor=CLERK
    )

    assert (source.on_hand, target.on_hand) == (3, 7)
    last_two = db_session.scalars(
        select(StockMovement).order_by(StockMovement.id.desc()).limit(2)
    ).all()
    assert sorted((m.warehouse_id, m.reason, m.delta, m.reference) for m in last_two) == sorted(
        [(shelf.main.id, "transferred", -3, "TR-1"), (shelf.spare.id, "transferred", 3, "TR-1")]
    )
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "stock.transfer"))
    assert entry.changes["on_hand@MAIN"] == [6, 3]
    assert entry.changes["on_hand@SPARE"] == [4, 7]


def test_a_transfer_above_what_is_available_is_refused_naming_quantity(db_session, shelf):
    inventory.set_safety_stock(shelf.v, shelf.main.id, 1, actor=CLERK)
    inventory.reserve_stock([(shelf.v, 2)], "checkout:c", 600, actor=BUYER)
    before = (ledger(db_session, shelf.v), audit_actions(db_session))

    with pytest.raises(InvalidInput) as caught:
        inventory.transfer_stock(shelf.v, shelf.main.id, shelf.spare.id, 4, actor=CLERK)

    assert caught.value.fields == {"quantity": "only 3 available in MAIN"}
    assert level(db_session, shelf.v, shelf.main.id) == (6, 0, 2, 0, 3)
    assert level(db_session, shelf.v, shelf.spare.id) == (4, 0, 0, 0, 4)
    assert (ledger(db_session, shelf.v), audit_actions(db_session)) == before


def test_a_transfer_needs_two_different_warehouses(db_session, shelf):
    with pytest.raises(InvalidInput) as caught:
        inventory.transfer_stock(shelf.v, shelf.main.id, shelf.main.id, 1, actor=CLERK)
    assert list(caught.value.fields) == ["to_warehouse_id"]


def test_warehouse_codes_are_unique_and_countries_iso(db_session):
    make_warehouse(code="ber")
    with pytest.raises(Conflict, match="code: warehouse BER already exists"):
        make_warehouse(code="BER")
    with pytest.raises(InvalidInput) as caught:
        make_warehouse(country="Germany")
    assert list(caught.value.fields) == ["country"]


# --- reservations ---------------------------------------------------------------------------------


def test_a_reservation_is_all_or_nothing_and_names_the_short_line(db_session, shelf):
    scarce = make_variant(sku="MUG-RED")
    inventory.receive_stock(scarce.id, shelf.main.id, 2, actor=CLERK)
    movements = count(db_session, StockMovement)

    with pytest.raises(OutOfStock) as caught:
        inventory.reserve_stock([(shelf.v, 3), (scarce.id, 5)], "checkout:d", 600, actor=BUYER)

    error = caught.value
    assert (error.code, error.status) == ("out_of_stock", 409)
    assert error.details == {
        "lines": [
            {"line": 1, "variant_id": scarce.id, "sku": "MUG-RED", "requested": 5, "available": 2}
        ]
    }
    assert error.message == "Not enough stock: line 2 (MUG-RED): 5 requested, 2 available."
    # The first line, which fitted, was not reserved either.
    assert level(db_session, shelf.v, shelf.main.id) == (6, 0, 0, 0, 6)
    assert count(db_session, StockReservation) == 0
    assert count(db_session, StockMovement) == movements


def test_a_line_splits_over_warehouses_in_priority_order(db_session):
    far = make_warehouse(code="FAR", priority=50)  # created first: a lower id, but ships later
    near = make_warehouse(code="NEAR", priority=5)
    variant = make_variant()
    inventory.receive_stock(variant.id, far.id, 5, actor=CLERK)
    inventory.receive_stock(variant.id, near.id, 3, actor=CLERK)

    reservations = inventory.reserve_stock([(variant.id, 4)], "checkout:e", 600, actor=BUYER)

    assert sorted((r.warehouse_id, r.quantity) for r in reservations) == [(far.id, 1), (near.id, 3)]
    assert level(db_session, variant.id, near.id)[2] == 3
    assert level(db_session, variant.id, far.id)[2] == 1
    assert inventory.availability([variant.id]) == {variant.id: 4}


def test_bad_lines_are_refused_naming_the_line(db_session, shelf):
    with pytest.raises(InvalidInput) as caught:
        inventory.reserve_stock([(shelf.v, 1), (shelf.v, 0)], "checkout:f", 600, actor=BUYER)
    assert caught.value.fields == {"lines[1].quantity": "must be above 0"}
    with pytest.raises(InvalidInput) as caught:
        inventory.reserve_stock([(999_999, 1)], "checkout:f", 600, actor=BUYER)
    assert caught.value.fields == {"lines[0].variant_id": "no such variant"}


def test_reserving_a_reference_again_replaces_its_reservation(db_session, shelf):
    inventory.reserve_stock([(shelf.v, 5)], "checkout:g", 600, actor=BUYER)
    inventory.reserve_stock([(shelf.v, 2)], "checkout:g", 600, actor=BUYER)

    active = db_session.scalars(
        select(StockReservation.quantity).where(StockReservation.status == "active")
    ).all()
    assert active == [2]
    assert level(db_session, shelf.v, shelf.main.id) == (6, 0, 2, 0, 4)


def test_releasing_a_reservation_gives_the_units_back_and_is_harmless_twice(db_session, shelf):
    inventory.reserve_stock([(shelf.v, 7)], "checkout:h", 600, actor=BUYER)

    released = inventory.release_reservation("checkout:h", actor=BUYER)

    assert sorted(r.quantity for r in released) == [1, 6]
    assert inventory.availability([shelf.v]) == {shelf.v: 10}
    assert inventory.release_reservation("checkout:h", actor=BUYER) == []


def test_expired_reservations_are_given_back_by_the_scheduled_job(db_session, shelf):
    inventory.reserve_stock([(shelf.v, 4)], "checkout:i", 60, actor=BUYER)
    assert inventory.expire_reservations(now=utcnow()) == 0  # not yet

    db_session.execute(
        update(StockReservation).values(expires_at=utcnow() - dt.timedelta(seconds=1))
    )
    db_session.commit()
    assert expire_stock_reservations() == 1

    assert level(db_session, shelf.v, shelf.main.id) == (6, 0, 0, 0, 6)
    assert ledger(db_session, shelf.v)[-1] == (shelf.main.id, "reserved", "expired", -4, 0)
    reservation = db_session.scalar(
        select(StockReservation).execution_options(populate_existing=True)
    )
    assert reservation.status == "expired"
    with pytest.raises(ReservationNotActive, match="reference: the reservation checkout:i is exp"):
        inventory.allocate_reservation("checkout:i", "order:1", actor=BUYER)


# --- allocation, shipping, returns ----------------------------------------------------------------


def test_a_reservation_becomes_the_orders_allocation(db_session, shelf):
    inventory.reserve_stock([(shelf.v, 8)], "checkout:j", 600, actor=BUYER)

    allocated = inventory.allocate_reservation("checkout:j", "order:100", actor=BUYER)

    expected = [
        inventory.Allocation(shelf.v, shelf.main.id, 6),
        inventory.Allocation(shelf.v, shelf.spare.id, 2),
    ]
    assert allocated == expected
    assert inventory.allocations("order:100") == expected
    assert level(db_session, shelf.v, shelf.main.id) == (6, 6, 0, 0, 0)
    assert level(db_session, shelf.v, shelf.spare.id) == (4, 2, 0, 0, 2)
    statuses = db_session.scalars(
        select(StockReservation.status.concat(":").concat(StockReservation.order_reference))
    ).all()
    assert statuses == ["converted:order:100", "converted:order:100"]
    with pytest.raises(ReservationNotActive, match="is converted"):
        inventory.allocate_reservation("checkout:j", "order:101", actor=BUYER)


def test_allocating_without_commit_goes_with_the_callers_transaction(db_session, shelf):
    inventory.reserve_stock([(shelf.v, 2)], "checkout:k", 600, actor=BUYER)

    inventory.allocate_reservation(
        "checkout:k", "order:200", actor=BUYER, session=db_session, commit=False
    )
    assert level(db_session, shelf.v, shelf.main.id) == (6, 2, 0, 0, 4)
    db_session.rollback()  # the order could not be placed after all

    assert level(db_session, shelf.v, shelf.main.id) == (6, 0, 2, 0, 4)
    assert inventory.allocations("order:200") == []


def test_allocating_several_lines_splits_each_by_priority_over_active_warehouses(db_session, shelf):
    closed = make_warehouse(code="CLOSED", priority=0)  # would ship first, but is inactive
    mug, lamp = make_variant(sku="MUG-1"), make_variant(sku="LAMP-2")
    for variant_id, warehouse_id, units in (
        (mug.id, closed.id, 9),
        (mug.id, shelf.spare.id, 2),
        (mug.id, shelf.main.id, 1),
        (lamp.id, shelf.spare.id, 5),
    ):
        inventory.receive_stock(variant_id, warehouse_id, units, actor=CLERK)
    inventory.update_warehouse(closed.id, {"is_active": False}, actor=CLERK)
    movements = count(db_session, StockMovement)

    with pytest.raises(OutOfStock) as caught:  # every line or none
        inventory.allocate_stock([(lamp.id, 2), (mug.id, 4), (shelf.v, 7)], "o:1", actor=BUYER)
    assert [(line["sku"], line["available"]) for line in caught.value.lines] == [("MUG-1", 3)]
    assert count(db_session, StockMovement) == movements
    assert level(db_session, lamp.id, shelf.spare.id) == (5, 0, 0, 0, 5)

    allocated = inventory.allocate_stock(
        [(lamp.id, 2), (mug.id, 3), (shelf.v, 7)], "o:2", actor=BUYER
    )

    assert set(allocated) == {
        inventory.Allocation(lamp.id, shelf.spare.id, 2),
        inventory.Allocation(mug.id, shelf.main.id, 1),
        inventory.Allocation(mug.id, shelf.spare.id, 2),
        inventory.Allocation(shelf.v, shelf.main.id, 6),
        inventory.Allocation(shelf.v, shelf.spare.id, 1),
    }
    assert level(db_session, mug.id, closed.id) == (9, 0, 0, 0, 9)
    assert ledger(db_session, mug.id)[-2:] == [
        (shelf.main.id, "allocated", "allocated", 1, 1),
        (shelf.spare.id, "allocated", "allocated", 2, 2),
    ]
    assert ledger_mismatches(db_session) == []


def test_shipping_takes_units_off_the_shelf_and_returns_put_them_back(db_session, shelf):
    inventory.allocate_stock([(shelf.v, 3)], "order:300", actor=BUYER)
    assert level(db_session, shelf.v, shelf.main.id) == (6, 3, 0, 0, 3)

    shipped = inventory.ship_stock("order:300", actor=CLERK)

    assert shipped == [inventory.Allocation(shelf.v, shelf.main.id, 3)]
    assert level(db_session, shelf.v, shelf.main.id) == (3, 0, 0, 0, 3)
    assert ledger(db_session, shelf.v)[-2:] == [
        (shelf.main.id, "on_hand", "sold", -3, 3),
        (shelf.main.id, "allocated", "sold", -3, 0),
    ]
    assert inventory.allocations("order:300") == []
    with pytest.raises(InvalidInput, match="order_reference: nothing allocated to order:300"):
        inventory.ship_stock("order:300", actor=CLERK)

    inventory.return_stock(shelf.v, shelf.main.id, 1, True, actor=CLERK, reference="RMA-1")
    assert level(db_session, shelf.v, shelf.main.id)[0] == 4
    inventory.return_stock(shelf.v, shelf.main.id, 1, False, actor=CLERK, reference="RMA-2")
    assert level(db_session, shelf.v, shelf.main.id)[0] == 4
    assert ledger(db_session, shelf.v)[-3:] == [
        (shelf.main.id, "on_hand", "returned", 1, 4),
        (shelf.main.id, "on_hand", "returned", 1, 5),
        (shelf.main.id, "on_hand", "adjusted", -1, 4),
    ]


def test_partial_shipments_and_cancellations_name_the_line_that_asks_too_much(db_session, shelf):
    inventory.allocate_stock([(shelf.v, 8)], "order:400", actor=BUYER)  # 6 MAIN + 2 SPARE

    with pytest.raises(InvalidInput) as caught:
        inventory.ship_stock("order:400", [(shelf.v, 9)], actor=CLERK)
    assert caught.value.fields == {
        "lines[0].quantity": f"only 8 of variant {shelf.v} held for order:400"
    }

    assert inventory.ship_stock(
        "order:400", [(shelf.v, 1)], actor=CLERK, warehouse_id=shelf.spare.id
    ) == [inventory.Allocation(shelf.v, shelf.spare.id, 1)]
    # Cancelling gives back the lowest-priority shelf first.
    assert inventory.deallocate_stock("order:400", [(shelf.v, 2)], actor=CLERK) == [
        inventory.Allocation(shelf.v, shelf.main.id, 1),
        inventory.Allocation(shelf.v, shelf.spare.id, 1),
    ]
    assert inventory.allocations("order:400") == [inventory.Allocation(shelf.v, shelf.main.id, 5)]
    assert inventory.deallocate_stock("order:400", actor=CLERK) == [
        inventory.Allocation(shelf.v, shelf.main.id, 5)
    ]
    assert inventory.deallocate_stock("order:400", actor=CLERK) == []  # a second cancel is harmless
    assert inventory.availability([shelf.v]) == {shelf.v: 9}


def test_backorders_follow_the_variants_policy(db_session, shelf):
    scarce = make_variant(sku="LAMP-1")
    inventory.receive_stock(scarce.id, shelf.main.id, 2, actor=CLERK)
    with pytest.raises(OutOfStock):
        inventory.reserve_stock([(scarce.id, 5)], "checkout:l", 600, actor=BUYER)

    inventory.set_inventory_policy(scarce.id, "allow", None, actor=CLERK)
    [reservation] = inventory.reserve_stock([(scarce.id, 5)], "checkout:l", 600, actor=BUYER)

    assert (reservation.quantity, reservation.backordered) == (5, 3)
    # Backordered units are counted apart, never as reservation beyond what is on hand.
    assert level(db_session, scarce.id, shelf.main.id) == (2, 0, 2, 3, 0)

    allocated = inventory.allocate_reservation("checkout:l", "order:500", actor=BUYER)
    assert allocated == [inventory.Allocation(scarce.id, shelf.main.id, 2, 3)]
    assert level(db_session, scarce.id, shelf.main.id) == (2, 2, 0, 3, 0)

    inventory.deallocate_stock("order:500", actor=CLERK)
    assert level(db_session, scarce.id, shelf.main.id) == (2, 0, 0, 0, 2)
    assert ledger_mismatches(db_session) == []


def test_an_unknown_backorder_policy_is_refused(db_session, shelf):
    with pytest.raises(InvalidInput) as caught:
        inventory.set_inventory_policy(shelf.v, "sometimes", None, actor=CLERK)
    assert caught.value.fields == {"backorder_policy": "must be one of deny, allow"}


# --- the ledger, the database's own guards, reads -------------------------------------------------


def test_the_ledger_sums_match_stock_after_every_kind_of_change(db_session, shelf):
    v, main, spare = shelf.v, shelf.main.id, shelf.spare.id
    inventory.adjust_stock(v, main, 2, "found behind the rack", actor=CLERK)
    inventory.count_stock(v, spare, 5, actor=CLERK)
    inventory.transfer_stock(v, spare, main, 1, actor=CLERK)
    inventory.reserve_stock([(v, 3)], "checkout:m", 600, actor=BUYER)
    inventory.reserve_stock([(v, 2)], "checkout:n", 600, actor=BUYER)
    inventory.release_reservation("checkout:n", actor=BUYER)
    inventory.allocate_reservation("checkout:m", "order:600", actor=BUYER)
    inventory.allocate_stock([(v, 4)], "order:601", actor=BUYER)
    inventory.ship_stock("order:600", actor=CLERK)
    inventory.deallocate_stock("order:601", [(v, 1)], actor=CLERK)
    inventory.return_stock(v, spare, 1, True, actor=CLERK)
    inventory.set_inventory_policy(v, "allow", None, actor=CLERK)
    inventory.allocate_stock([(v, 20)], "order:602", actor=BUYER)

    assert ledger_mismatches(db_session) == []
    on_hand = sum(level(db_session, v, w)[0] for w in (main, spare))
    assert on_hand == 10 + 2 + 1 - 3 + 1  # received, adjusted, counted, sold, returned


def test_the_ledger_check_notices_a_stray_movement(db_session, shelf):
    db_session.add(
        StockMovement(
            variant_id=shelf.v,
            warehouse_id=shelf.main.id,
            bucket="on_hand",
            reason="adjusted",
            delta=1,
            balance_after=7,
            actor_kind="system",
        )
    )
    db_session.flush()
    assert ledger_mismatches(db_session) == [(shelf.v, shelf.main.id, "on_hand", 6, 7)]


def test_the_database_refuses_to_promise_more_than_is_on_hand(db_session, shelf):
    refused = pytest.raises(IntegrityError, match="ck_stock_levels_committed_within_on_hand")
    with refused, db_session.begin_nested():
        db_session.execute(
            update(StockLevel)
            .where(StockLevel.warehouse_id == shelf.main.id)
            .values(allocated=4, reserved=3)
        )


def test_ledger_rows_cannot_be_edited(db_session, shelf):
    refused = pytest.raises(DBAPIError, match="stock_movements rows cannot be changed")
    with refused, db_session.begin_nested():
        db_session.execute(text("UPDATE stock_movements SET delta = 100"))


def test_availability_counts_active_warehouses_and_respects_safety_stock(db_session, shelf):
    other = make_variant()
    inventory.set_safety_stock(shelf.v, shelf.spare.id, 1, actor=CLERK)
    assert inventory.availability([shelf.v, other.id]) == {shelf.v: 9, other.id: 0}

    inventory.update_warehouse(shelf.spare.id, {"is_active": False}, actor=CLERK)
    assert inventory.availability([shelf.v]) == {shelf.v: 6}
    with pytest.raises(OutOfStock) as caught:
        inventory.reserve_stock([(shelf.v, 7)], "checkout:o", 600, actor=BUYER)
    assert caught.value.lines[0]["available"] == 6

    levels = inventory.stock_for_variant(shelf.v)
    assert [(s.warehouse.code, s.on_hand, s.safety_stock) for s in levels] == [
        ("MAIN", 6, 0),
        ("SPARE", 4, 1),
    ]
