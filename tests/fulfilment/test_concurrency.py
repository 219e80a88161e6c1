"""Two packers ship the last units of one line at the same moment, each on its own connection to
the real PostgreSQL: the order's row lock makes them take turns, so one ships and the other is
told nothing is left; the shelf and the ledger agree."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from commerce import db
from commerce.errors import InvalidInput
from commerce.fulfilment import service as fulfilment
from commerce.fulfilment.models import Shipment, ShipmentLine
from commerce.inventory.models import StockLevel
from commerce.orders.models import Order
from tests.fulfilment.factories import PACKER, make_shippable_order
from tests.inventory.factories import ledger_mismatches

PACKERS = 2


@pytest.mark.committed
def test_two_parallel_shipments_of_the_last_units_ship_once(app, db_session):
    order = make_shippable_order((3, 1))
    line = order.lines[0]
    fulfilment.create_shipment(order.id, {line.id: 1}, actor=PACKER)  # 2 units left
    barrier = threading.Barrier(PACKERS)
    outcomes: list[str] = [""] * PACKERS

    def packer(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                fulfilment.create_shipment(order.id, {line.id: 2}, actor=PACKER)
                outcomes[n] = "shipped"
            except InvalidInput as exc:
                outcomes[n] = exc.message
            except Exception as exc:  # reported by the assertion, not lost in the thread
                outcomes[n] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=packer, args=(n,)) for n in range(PACKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(outcomes) == {
        "shipped": 1,
        f"lines[{line.id}]: {line.sku}: only 0 left to ship (3 ordered, 3 shipped), not 2": 1,
    }
    db_session.expire_all()
    shipped = db_session.scalar(
        select(func.sum(ShipmentLine.quantity)).where(ShipmentLine.order_line_id == line.id)
    )
    assert shipped == 3
    assert db_session.scalar(select(func.count()).select_from(Shipment)) == 2
    level = db_session.scalar(select(StockLevel).where(StockLevel.variant_id == line.variant_id))
    assert (level.on_hand, level.allocated) == (7, 0)
    done = db_session.get(Order, order.id)
    assert (done.status, done.fulfilment_status) == ("partially_fulfilled", "partial")
    assert ledger_mismatches(db_session) == []
