"""Bulk stock changes: quantities for many (variant, warehouse) pairs applied as one use case,
all or nothing.

The product list's "Adjust stock…" page sends one quantity per variant and warehouse, received
(added), counted (on hand becomes it) or adjusted (+/-). Every stock level the batch touches is
locked in lock order (commerce.inventory.ledger) before any is checked, every change is checked
before any is written, and the batch commits once: when one line cannot be applied, nothing is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import audit
from commerce.audit import Actor
from commerce.catalog.models import Variant
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.inventory.ledger import (
    LEVELS,
    Move,
    apply,
    check_low_stock,
    ensure_level,
    lock_levels,
    unit_of_work,
)
from commerce.inventory.models import Warehouse
from commerce.inventory.validation import optional_text, required_text, whole_number

MODES = ("receive", "count", "adjust")
MAX_CHANGES = 5000


@dataclasses.dataclass(frozen=True, slots=True)
class StockChange:
    """One line of a bulk change: a quantity for one variant in one warehouse."""

    variant_id: int
    warehouse_id: int
    quantity: int


def _validate(
    changes: Sequence[StockChange | tuple[int, int, int]], mode: str
) -> list[StockChange]:
    """The lines as StockChanges, in request order. Raises InvalidInput naming the line."""
    if mode not in MODES:
        problem = f"must be one of {', '.join(MODES)}"
        raise InvalidInput(f"mode: {problem}", fields={"mode": problem})
    if not changes:
        raise InvalidInput("changes: at least one is required", fields={"changes": "is empty"})
    if len(changes) > MAX_CHANGES:
        problem = f"at most {MAX_CHANGES} at a time"
        raise InvalidInput(f"changes: {problem}", fields={"changes": problem})
    lines: list[StockChange] = []
    seen: set[tuple[int, int]] = set()
    for index, item in enumerate(changes):
        field = f"changes[{index}]"
        if isinstance(item, StockChange):
            variant_id, warehouse_id, quantity = item.variant_id, item.warehouse_id, item.quantity
        else:
            try:
                variant_id, warehouse_id, quantity = item
            except (TypeError, ValueError):
                problem = "must be (variant_id, warehouse_id, quantity)"
                raise InvalidInput(f"{field}: {problem}", fields={field: "malformed"}) from None
        whole_number(variant_id, f"{field}.variant_id", minimum=1)
        whole_number(warehouse_id, f"{field}.warehouse_id", minimum=1)
        whole_number(quantity, f"{field}.quantity", minimum={"receive": 1, "count": 0}.get(mode))
        if mode == "adjust" and quantity == 0:
            problem = "must not be 0"
            raise InvalidInput(
                f"{field}.quantity: {problem}", fields={f"{field}.quantity": problem}
            )
        if (variant_id, warehouse_id) in seen:
            problem = "names a variant and warehouse already listed"
            raise InvalidInput(f"{field}: {problem}", fields={field: problem})
        seen.add((variant_id, warehouse_id))
        lines.append(StockChange(variant_id, warehouse_id, quantity))
    return lines


def _names(s: Session, lines: list[StockChange]) -> tuple[dict[int, str], dict[int, Warehouse]]:
    """({variant_id: SKU}, {warehouse_id: Warehouse}) of the lines. Raises InvalidInput naming a
    line whose variant or warehouse does not exist."""
    skus = dict(
        s.execute(
            select(Variant.id, Variant.sku).where(Variant.id.in_({x.variant_id for x in lines}))
        ).all()
    )
    warehouses = {
        w.id: w
        for w in s.scalars(
            select(Warehouse).where(Warehouse.id.in_({x.warehouse_id for x in lines}))
        )
    }
    for index, line in enumerate(lines):
        for key, found, what in (
            ("variant_id", skus, "variant"),
            ("warehouse_id", warehouses, "warehouse"),
        ):
            ident = getattr(line, key)
            if ident not in found:
                field = f"changes[{index}].{key}"
                raise InvalidInput(
                    f"{field}: {what} {ident} does not exist", fields={field: f"no such {what}"}
                )
    return skus, warehouses


def _problem(mode: str, line: StockChange, level: Any, warehouse: Warehouse) -> str | None:
    """What is wrong with applying `line` to the (locked) `level`, or None."""
    on_hand = level.on_hand if level is not None else 0
    committed = level.allocated + level.reserved if level is not None else 0
    if mode == "receive":
        return None if warehouse.is_active else "the warehouse is inactive"
    after = line.quantity if mode == "count" else on_hand + line.quantity
    if after < 0:
        return f"would leave {after} on hand (on hand now: {on_hand})"
    if after < committed:
        return (
            f"would leave {after} on hand, below the {committed} allocated or reserved "
            f"(on hand now: {on_hand}); deallocate or release them first"
        )
    return None


def adjust_stock_many(
    changes: Sequence[StockChange | tuple[int, int, int]],
    *,
    mode: str,
    actor: Actor,
    note: str | None = None,
    reference: str | None = None,
) -> dict[tuple[int, int], int]:
    """Apply quantities to many stock levels in one transaction: `mode` "receive" adds each
    quantity (reason "received", `reference`), "count" makes it the new on-hand (reason
    "counted", the level's last count date set), "adjust" changes on-hand by it, + or -
    (reason "adjusted", `note` required). Returns {(variant_id, warehouse_id): on hand after}.

    Raises InvalidInput, writing nothing, when a line is malformed, names an unknown variant or
    warehouse, receives into an inactive warehouse, or would leave less on hand than zero or than
    is allocated and reserved; `fields` then names every failing line ("changes[3]") with its
    SKU and warehouse code."""
    lines = _validate(changes, mode)
    if mode == "adjust":
        note = required_text(note, "note", max_length=500)
    else:
        note = optional_text(note, "note", max_length=500)
    reference = optional_text(reference, "reference", max_length=120)
    with unit_of_work() as s:
        skus, warehouses = _names(s, lines)
        # Levels to create first (empty), in one order, so two batches never wait on each other's
        # inserts in a circle; an adjustment down never creates one (nothing there to take).
        for line in sorted(lines, key=lambda x: (x.variant_id, x.warehouse_id)):
            if mode != "adjust" or line.quantity > 0:
                ensure_level(s, line.variant_id, line.warehouse_id)
        locked = lock_levels(
            s,
            [line.variant_id for line in lines],
            warehouse_ids=[line.warehouse_id for line in lines],
        )
        levels = {(row.variant_id, row.warehouse_id): row for row in locked}
        problems: dict[str, str] = {}
        for index, line in enumerate(lines):
            warehouse = warehouses[line.warehouse_id]
            level = levels.get((line.variant_id, line.warehouse_id))
            problem = _problem(mode, line, level, warehouse)
            if problem:
                problems[f"changes[{index}]"] = (
                    f"{skus[line.variant_id]} in {warehouse.code}: {problem}"
                )
        if problems:
            raise InvalidInput(
                "Nothing was changed: " + "; ".join(problems.values()) + ".", fields=problems
            )
        result = {}
        for line in sorted(lines, key=lambda x: levels[(x.variant_id, x.warehouse_id)].id):
            level = levels[(line.variant_id, line.warehouse_id)]
            result[(line.variant_id, line.warehouse_id)] = _apply_line(
                s, mode, line, level, actor=actor, note=note, reference=reference
            )
        check_low_stock(s, [line.variant_id for line in lines])
    return result


def _apply_line(
    s: Session,
    mode: str,
    line: StockChange,
    level: Any,
    *,
    actor: Actor,
    note: str | None,
    reference: str | None,
) -> int:
    """Write one checked line (ledger and audit row). Returns the level's on hand after."""
    if mode == "receive":
        apply(
            s,
            level.id,
            [Move("on_hand", line.quantity, reference)],
            reason="received",
            actor=actor,
            note=note,
        )
        after = level.on_hand + line.quantity
        changes = {"on_hand": [level.on_hand, after], "reference": [None, reference]}
        action = "stock.receive"
    elif mode == "count":
        after = line.quantity
        if after != level.on_hand:
            counted = f"counted {after}, expected {level.on_hand}"
            moves = [Move("on_hand", after - level.on_hand, reference)]
            apply(s, level.id, moves, reason="counted", actor=actor, note=counted)
        # A count that matches is still a count: the date says when the shelf was last checked.
        s.execute(LEVELS.update().where(LEVELS.c.id == level.id).values(last_counted_at=utcnow()))
        changes = {"on_hand": [level.on_hand, after], "counted": [None, after]}
        action = "stock.count"
    else:
        moves = [Move("on_hand", line.quantity, reference)]
        apply(s, level.id, moves, reason="adjusted", actor=actor, note=note)
        after = level.on_hand + line.quantity
        changes = {"on_hand": [level.on_hand, after], "note": [None, note]}
        action = "stock.adjust"
    audit.record(actor, action, "stock_level", level.id, {**changes, "bulk": [None, True]})
    return after
