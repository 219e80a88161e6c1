"""The last unit cannot be sold twice: many buyers at once, each on its own connection to the real
PostgreSQL, sell exactly what is on the shelf and the ledger still adds up."""

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce import db
from commerce.events import OutboxEvent
from commerce.inventory import service as inventory
from commerce.inventory.errors import OutOfStock
from commerce.inventory.models import StockLevel
from tests.inventory.factories import BUYER, CLERK, ledger_mismatches, make_variant, make_warehouse

BUYERS = 50


def run_buyers(app, buy) -> list[str]:
    """Start BUYERS threads, each with its own Session, released together by a barrier; each
    calls buy(session, n). Returns each buyer's outcome: "sold", "out_of_stock" or the error."""
    barrier = threading.Barrier(BUYERS)
    outcomes: list[str] = [""] * BUYERS

    def buyer(n: int) -> None:
        with app.app_context(), Session(db.engine(), expire_on_commit=False) as session:
            barrier.wait(timeout=30)
            try:
                buy(session, n)
                outcomes[n] = "sold"
            except OutOfStock:
                session.rollback()
                outcomes[n] = "out_of_stock"
            except Exception as exc:  # reported by the assertion, not lost in the thread
                outcomes[n] = repr(exc)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def stock_of(db_session, variant_id) -> dict[str, int]:
    levels = db_session.scalars(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id)
        .execution_options(populate_existing=True)
    ).all()
    return {
        name: sum(getattr(level, name) for level in levels)
        for name in ("on_hand", "allocated", "reserved", "available")
    }


@pytest.mark.committed
def test_fifty_buyers_for_ten_units_sell_exactly_ten(app, db_session):
    main = make_warehouse(code="RUSH-MAIN", priority=1)
    spare = make_warehouse(code="RUSH-SPARE", priority=2)
    variant = make_variant(sku="LAST-UNITS")
    inventory.receive_stock(variant.id, main.id, 6, actor=CLERK)
    inventory.receive_stock(variant.id, spare.id, 4, actor=CLERK)
    inventory.set_inventory_policy(variant.id, "deny", 3, actor=CLERK)

    def reserve_then_allocate(session: Session, n: int) -> None:
        checkout = f"checkout:{n}"
        inventory.reserve_stock([(variant.id, 1)], checkout, 600, actor=BUYER, session=session)
        inventory.allocate_reservation(checkout, f"order:{n}", actor=BUYER, session=session)

    outcomes = run_buyers(app, reserve_then_allocate)

    assert Counter(outcomes) == {"sold": 10, "out_of_stock": 40}
    assert stock_of(db_session, variant.id) == {
        "on_hand": 10,
        "allocated": 10,
        "reserved": 0,
        "available": 0,
    }
    sold_to = [n for n, outcome in enumerate(outcomes) if outcome == "sold"]
    assert all(inventory.allocations(f"order:{n}") for n in sold_to)
    assert ledger_mismatches(db_session) == []
    over = select(func.count()).where(
        StockLevel.allocated + StockLevel.reserved > StockLevel.on_hand
    )
    assert db_session.scalar(over) == 0
    # Ten sales crossed the threshold once, however they interleaved.
    low = select(func.count()).where(OutboxEvent.name == "stock.low")
    assert db_session.scalar(low) == 1


@pytest.mark.committed
def test_buyers_of_three_units_each_never_share_the_last_ones(app, db_session):
    east = make_warehouse(code="RUSH-EAST", priority=1)
    west = make_warehouse(code="RUSH-WEST", priority=2)
    variant = make_variant(sku="THREE-PACK")
    inventory.receive_stock(variant.id, east.id, 5, actor=CLERK)
    inventory.receive_stock(variant.id, west.id, 5, actor=CLERK)

    def allocate_three(session: Session, n: int) -> None:
        inventory.allocate_stock([(variant.id, 3)], f"order:{n}", actor=BUYER, session=session)

    outcomes = run_buyers(app, allocate_three)

    assert Counter(outcomes) == {"sold": 3, "out_of_stock": 47}
    assert stock_of(db_session, variant.id) == {
        "on_hand": 10,
        "allocated": 9,
        "reserved": 0,
        "available": 1,
    }
    orders = [inventory.allocations(f"order:{n}") for n, o in enumerate(outcomes) if o == "sold"]
    assert sorted(sum(a.quantity for a in allocation) for allocation in orders) == [3, 3, 3]
    # Five and five on the shelves: one of the three orders was split over both warehouses.
    assert sorted(len(allocation) for allocation in orders) == [1, 1, 2]
    assert ledger_mismatches(db_session) == []
