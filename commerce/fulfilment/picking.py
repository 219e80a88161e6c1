"""Pick lists: what to take off which shelf for a batch of orders.

An order's allocation (commerce.inventory.allocations) says how many units of each variant wait
for it in each warehouse; units already shipped have left the allocation, backordered ones are not
on a shelf yet. The pick list adds those up per warehouse and SKU, with the order numbers each
pick is for. Warehouses have no bins yet, so an item's location is its warehouse's code.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from sqlalchemy import select

from commerce import db
from commerce.errors import InvalidInput, NotFound
from commerce.inventory import service as inventory
from commerce.inventory.models import Warehouse
from commerce.orders import service as orders
from commerce.orders.models import Order

# Orders in other statuses are left off the list, with the reason.
PICKABLE = ("paid", "partially_fulfilled")


@dataclasses.dataclass(frozen=True, slots=True)
class PickItem:
    """Units of one SKU to take from one location, and the orders (numbers) they are for."""

    sku: str
    title: str
    quantity: int
    location: str
    order_numbers: tuple[int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class WarehousePick:
    """Everything to pick in one warehouse, by SKU."""

    warehouse_id: int
    code: str
    name: str
    items: tuple[PickItem, ...]

    @property
    def units(self) -> int:
        """Units to pick here."""
        return sum(item.quantity for item in self.items)


@dataclasses.dataclass(frozen=True, slots=True)
class PickList:
    """The pick per warehouse (by priority), and the orders left out with why
    ({order number: reason})."""

    warehouses: tuple[WarehousePick, ...]
    skipped: dict[int, str]


def pick_list(order_ids: list[int]) -> PickList:
    """What to pick for the orders, per warehouse: SKU, title, quantity, location (the
    warehouse code) and the order numbers. Orders not paid (cash on delivery aside), on hold,
    cancelled or shipped are skipped with the reason; units backordered are not on a shelf and
    not listed. Raises
    InvalidInput (no ids), NotFound (an id that is not an order)."""
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise InvalidInput("order_ids: choose at least one order", fields={"order_ids": "empty"})
    found = {o.id: o for o in db.session.scalars(select(Order).where(Order.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"Order {missing[0]} does not exist.", details={"ids": missing})

    skipped: dict[int, str] = {}
    # (warehouse_id, sku) -> [title, quantity, {order numbers}]
    picks: dict[tuple[int, str], list] = {}
    per_order: dict[int, int] = defaultdict(int)
    for order_id in ids:
        order = found[order_id]
        cod = order.status == "pending_payment" and order.payment_method == "cash_on_delivery"
        if order.status not in PICKABLE and not cod:
            skipped[order.number] = f"order is {order.status.replace('_', ' ')}"
            continue
        by_variant = {}
        for line in order.lines:
            if not line.is_digital and line.variant_id is not None:
                by_variant.setdefault(line.variant_id, line)
        for held in inventory.allocations(orders.order_reference(order)):
            line = by_variant.get(held.variant_id)
            if line is None or not held.quantity:
                continue
            entry = picks.setdefault((held.warehouse_id, line.sku), [line.title, 0, set()])
            entry[1] += held.quantity
            entry[2].add(order.number)
            per_order[order.number] += held.quantity
        if not per_order[order.number]:
            skipped[order.number] = "nothing on a shelf to pick (shipped or backordered)"

    warehouses = {
        w.id: w
        for w in db.session.scalars(
            select(Warehouse).where(Warehouse.id.in_({wid for wid, _ in picks}))
        )
    }
    result = []
    for wid in sorted(warehouses, key=lambda w: (warehouses[w].priority, warehouses[w].code)):
        warehouse = warehouses[wid]
        items = tuple(
            PickItem(sku, title, quantity, warehouse.code, tuple(sorted(numbers)))
            for (w, sku), (title, quantity, numbers) in sorted(picks.items())
            if w == wid
        )
        result.append(WarehousePick(wid, warehouse.code, warehouse.name, items))
    return PickList(tuple(result), skipped)
