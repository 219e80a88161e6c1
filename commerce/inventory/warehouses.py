"""Warehouses: open one, rename, reprioritise or (de)activate it. One transaction each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from commerce import audit, events
from commerce.audit import Actor
from commerce.errors import Conflict, InvalidInput
from commerce.inventory.ledger import check_low_stock, unit_of_work
from commerce.inventory.models import StockLevel, Warehouse
from commerce.inventory.validation import get_warehouse, required_text, whole_number

WAREHOUSE_FIELDS = ("code", "name", "country", "priority", "is_active")


def _check_country(country: str) -> str:
    value = (country or "").strip().upper()
    if len(value) != 2 or not value.isalpha() or not value.isascii():
        problem = "must be a two-letter ISO country code"
        raise InvalidInput(f"country: {problem}", fields={"country": problem})
    return value


def create_warehouse(
    *, code: str, name: str, country: str, priority: int = 100, actor: Actor
) -> Warehouse:
    """Open a warehouse. Raises InvalidInput, Conflict (code taken)."""
    code = required_text(code, "code", max_length=32).upper()
    name = required_text(name, "name", max_length=120)
    country = _check_country(country)
    priority = whole_number(priority, "priority", minimum=0)
    with unit_of_work() as s:
        if s.scalar(select(Warehouse.id).where(Warehouse.code == code)) is not None:
            raise Conflict(f"code: warehouse {code} already exists.", details={"field": "code"})
        warehouse = Warehouse(code=code, name=name, country=country, priority=priority)
        s.add(warehouse)
        s.flush()
        after = audit.snapshot(warehouse, WAREHOUSE_FIELDS)
        audit.record(actor, "warehouse.create", "warehouse", warehouse.id, audit.diff({}, after))
        events.record("warehouse.created", warehouse_id=warehouse.id)
    return warehouse


def update_warehouse(warehouse_id: int, changes: Mapping[str, Any], *, actor: Actor) -> Warehouse:
    """Rename, move, reprioritise or (de)activate a warehouse. Raises NotFound, InvalidInput.

    An inactive warehouse keeps its stock but is never reserved or allocated from, so its
    variants' availability (and low-stock state) changes with the flag.
    """
    unknown = set(changes) - set(WAREHOUSE_FIELDS[1:])
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(f"{field}: cannot be changed here", fields={field: "cannot be changed"})
    values = dict(changes)
    if "name" in values:
        values["name"] = required_text(values["name"], "name", max_length=120)
    if "country" in values:
        values["country"] = _check_country(values["country"])
    if "priority" in values:
        values["priority"] = whole_number(values["priority"], "priority", minimum=0)
    if "is_active" in values and not isinstance(values["is_active"], bool):
        raise InvalidInput("is_active: must be true or false", fields={"is_active": "not a flag"})
    with unit_of_work() as s:
        warehouse = get_warehouse(s, warehouse_id)
        before = audit.snapshot(warehouse, WAREHOUSE_FIELDS)
        for name, value in values.items():
            setattr(warehouse, name, value)
        changed = audit.diff(before, audit.snapshot(warehouse, WAREHOUSE_FIELDS))
        if changed:
            s.flush()
            audit.record(actor, "warehouse.update", "warehouse", warehouse.id, changed)
            events.record("warehouse.updated", warehouse_id=warehouse.id, fields=sorted(changed))
        if "is_active" in changed:
            stocked = s.scalars(
                select(StockLevel.variant_id).where(StockLevel.warehouse_id == warehouse.id)
            )
            check_low_stock(s, stocked)
    return warehouse
