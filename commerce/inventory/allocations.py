"""Allocations: stock promised to an order, then shipped or given back on cancel.

An order's allocation is not a table of its own: it is the sum of the ledger rows whose
`reference` is the order's reference, per variant, warehouse and bucket (allocated, and
backordered for units sold beyond stock). Use distinct references for checkouts and orders
("checkout:8f3a", "order:100042"). Every function that changes an order's allocation locks the
stock levels first and reads the ledger after, so two of them never count the same units.

Functions used inside order placement or cancellation take `session` and `commit`, so the stock
change and the caller's order change commit together (or not at all).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce import audit, db
from commerce.audit import Actor
from commerce.errors import InvalidInput, NotFound
from commerce.inventory.errors import OutOfStock, ReservationNotActive
from commerce.inventory.ledger import (
    Move,
    apply,
    backorder_level,
    check_low_stock,
    lock_levels,
    take_many,
    unit_of_work,
)
from commerce.inventory.models import StockMovement, StockReservation
from commerce.inventory.reservations import level_ids, lock_active
from commerce.inventory.validation import (
    Line,
    get_warehouse,
    normalise_lines,
    required_text,
    variants_of,
)


@dataclasses.dataclass(frozen=True, slots=True)
class Allocation:
    """Units of one variant in one warehouse for one order: `quantity` on the shelf and
    `backordered` still to come."""

    variant_id: int
    warehouse_id: int
    quantity: int
    backordered: int = 0


def _order_allocations(s: Session, order_reference: str) -> dict[tuple[int, int], list[int]]:
    """{(variant_id, warehouse_id): [allocated, backordered]} summed from the ledger."""
    stmt = (
        select(
            StockMovement.variant_id,
            StockMovement.warehouse_id,
            StockMovement.bucket,
            func.sum(StockMovement.delta),
        )
        .where(
            StockMovement.reference == order_reference,
            StockMovement.bucket.in_(("allocated", "backordered")),
        )
        .group_by(StockMovement.variant_id, StockMovement.warehouse_id, StockMovement.bucket)
    )
    found: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for variant_id, warehouse_id, bucket, total in s.execute(stmt):
        found[(variant_id, warehouse_id)][0 if bucket == "allocated" else 1] += int(total)
    return {key: units for key, units in found.items() if any(units)}


def _as_list(units: dict[tuple[int, int], list[int]]) -> list[Allocation]:
    return [
        Allocation(variant_id, warehouse_id, allocated, backordered)
        for (variant_id, warehouse_id), (allocated, backordered) in sorted(units.items())
        if allocated or backordered
    ]


def allocations(order_reference: str, *, session: Session | None = None) -> list[Allocation]:
    """What is allocated (and backordered) to an order now, per variant and warehouse."""
    return _as_list(_order_allocations(session or db.session(), order_reference))


def _allocate_lines(
    s: Session, wanted: Sequence[Line], order_reference: str, actor: Actor
) -> dict[tuple[int, int], list[int]]:
    variants = variants_of(s, wanted)
    # One statement locks the lines' stock levels in lock order and takes what each line wants.
    taken_by_variant = take_many(
        s,
        [(line.variant_id, line.quantity) for line in wanted],
        bucket="allocated",
        reason="allocated",
        actor=actor,
        reference=order_reference,
    )
    result: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    short: list[dict[str, Any]] = []
    for line in wanted:
        sku, policy = variants[line.variant_id]
        taken = taken_by_variant[line.variant_id]
        for warehouse_id, units in taken.items():
            result[(line.variant_id, warehouse_id)][0] += units
        missing = line.quantity - sum(taken.values())
        level = backorder_level(s, line.variant_id) if missing and policy == "allow" else None
        if level is not None:
            moves = [Move("backordered", missing, order_reference)]
            apply(s, level.id, moves, reason="allocated", actor=actor)
            result[(line.variant_id, level.warehouse_id)][1] += missing
        elif missing:
            short.append(
                {
                    "line": line.index,
                    "variant_id": line.variant_id,
                    "sku": sku,
                    "requested": line.quantity,
                    "available": line.quantity - missing,
                }
            )
    if short:
        raise OutOfStock(short)
    check_low_stock(s, variants)
    return result


def allocate_stock(
    lines: Sequence[tuple[int, int]],
    order_reference: str,
    *,
    actor: Actor,
    session: Session | None = None,
    commit: bool = True,
    savepoint: bool = True,
) -> list[Allocation]:
    """Allocate stock straight to an order (no reservation first): every line or none.
    Raises InvalidInput (naming the line), OutOfStock (naming each short line and what is
    available).

    Same rule as reserve_stock: one conditional UPDATE (for all the lines), warehouses by
    priority, a line may split, backorder-allowed variants backorder what is missing. With
    `commit=False` nothing is committed: the caller commits it with the order (an error undoes
    only this call's changes; `savepoint=False` leaves that to a caller that rolls its whole
    transaction back on any error, as order placement does)."""
    wanted = normalise_lines(lines)
    order_reference = required_text(order_reference, "order_reference", max_length=120)
    with unit_of_work(session, commit=commit, savepoint=savepoint) as s:
        result = _allocate_lines(s, wanted, order_reference, actor)
        if actor.kind == "staff":
            audit.record(
                actor,
                "stock.allocate",
                "order",
                order_reference,
                {"lines": [None, [[line.variant_id, line.quantity] for line in wanted]]},
            )
    return _as_list(result)


def allocate_reservation(
    reference: str,
    order_reference: str,
    *,
    actor: Actor,
    session: Session | None = None,
    commit: bool = True,
) -> list[Allocation]:
    """Turn checkout `reference`'s reservation into order `order_reference`'s allocation.
    Raises NotFound (no such reservation), ReservationNotActive (released, expired or already
    an order).

    Call it with `commit=False` inside order placement, so the order and its allocation commit
    in the caller's one transaction: if placing the order fails, the reservation still stands.
    A reservation past its `expires_at` that the expiry job has not reached yet is still honoured:
    its units were never offered to anyone else.
    """
    reference = required_text(reference, "reference", max_length=120)
    order_reference = required_text(order_reference, "order_reference", max_length=120)
    with unit_of_work(session, commit=commit) as s:
        reservations = lock_active(s, reference)
        if not reservations:
            status = s.scalar(
                select(StockReservation.status)
                .where(StockReservation.reference == reference)
                .order_by(StockReservation.id.desc())
                .limit(1)
            )
            if status is None:
                raise NotFound(
                    f"reference: no reservation {reference}.", details={"field": "reference"}
                )
            raise ReservationNotActive(reference, status)
        levels = level_ids(s, [item.variant_id for item in reservations])
        result: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        for item in reservations:
            moves = [
                Move("reserved", -item.on_shelf, reference),
                Move("allocated", item.on_shelf, order_reference),
                # The backorder passes from the checkout to the order.
                Move("backordered", -item.backordered, reference),
                Move("backordered", item.backordered, order_reference),
            ]
            level = levels[(item.variant_id, item.warehouse_id)]
            apply(s, level.id, moves, reason="allocated", actor=actor)
            item.status, item.order_reference = "converted", order_reference
            units = result[(item.variant_id, item.warehouse_id)]
            units[0] += item.on_shelf
            units[1] += item.backordered
        if actor.kind == "staff":
            audit.record(
                actor,
                "stock.allocate",
                "order",
                order_reference,
                {"reservation": [None, reference]},
            )
    return _as_list(result)


def _pick(
    s: Session,
    order_reference: str,
    lines: Sequence[tuple[int, int]] | None,
    *,
    backordered_first: bool,
    warehouse_id: int | None = None,
) -> tuple[list[Any], dict[tuple[int, int], list[int]]]:
    """Lock the order's stock levels and choose which of its units `lines` take.
    Returns (locked level rows, {(variant_id, warehouse_id): [allocated, backordered] chosen}).
    Raises InvalidInput naming a line that asks for more than the order holds."""
    wanted = normalise_lines(lines) if lines is not None else None
    seen = _order_allocations(s, order_reference)
    variant_ids = {variant_id for variant_id, _ in seen}
    variant_ids |= {line.variant_id for line in wanted or ()}
    rows = lock_levels(s, variant_ids)
    # Read again now the rows are locked: what another transaction did meanwhile counts.
    held = {
        key: units
        for key, units in _order_allocations(s, order_reference).items()
        if warehouse_id is None or key[1] == warehouse_id
    }
    if not backordered_first:
        held = {key: [units[0], 0] for key, units in held.items() if units[0]}
    if wanted is None:
        return rows, held
    # Cancel backorders first (nothing to put back on a shelf), then the lowest-priority shelf;
    # ship from the highest-priority shelf first.
    order = [row for row in rows if (row.variant_id, row.warehouse_id) in held]
    chosen: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for line in wanted:
        mine = [row for row in order if row.variant_id == line.variant_id]
        have = sum(sum(held[(row.variant_id, row.warehouse_id)]) for row in mine)
        if line.quantity > have:
            field = f"lines[{line.index}].quantity"
            problem = f"only {have} of variant {line.variant_id} held for {order_reference}"
            raise InvalidInput(f"{field}: {problem}", fields={field: problem})
        left = line.quantity
        buckets = (1, 0) if backordered_first else (0,)
        for bucket in buckets:
            for row in reversed(mine) if backordered_first else mine:
                key = (row.variant_id, row.warehouse_id)
                units = min(left, held[key][bucket])
                chosen[key][bucket] += units
                left -= units
    return rows, {key: units for key, units in chosen.items() if any(units)}


def deallocate_stock(
    order_reference: str,
    lines: Sequence[tuple[int, int]] | None = None,
    *,
    actor: Actor,
    session: Session | None = None,
    commit: bool = True,
) -> list[Allocation]:
    """Give back what an order holds (cancel): all of it, or (variant_id, quantity) `lines`.
    Returns what was given back; nothing when the order holds nothing, so a repeated cancel is
    harmless. Raises InvalidInput (a line asks for more than the order holds).

    Backordered units go first, then shelf units from the lowest-priority warehouse. With
    `commit=False` the caller commits it with the order's cancellation.
    """
    order_reference = required_text(order_reference, "order_reference", max_length=120)
    with unit_of_work(session, commit=commit) as s:
        rows, chosen = _pick(s, order_reference, lines, backordered_first=True)
        levels = {(row.variant_id, row.warehouse_id): row for row in rows}
        for key, (allocated, backordered) in sorted(chosen.items()):
            moves = [
                Move("allocated", -allocated, order_reference),
                Move("backordered", -backordered, order_reference),
            ]
            apply(s, levels[key].id, moves, reason="deallocated", actor=actor)
        if chosen and actor.kind == "staff":
            audit.record(
                actor,
                "stock.deallocate",
                "order",
                order_reference,
                {"units": [None, sum(sum(units) for units in chosen.values())]},
            )
        check_low_stock(s, {variant_id for variant_id, _ in chosen})
    return _as_list(chosen)


def ship_stock(
    order_reference: str,
    lines: Sequence[tuple[int, int]] | None = None,
    *,
    actor: Actor,
    warehouse_id: int | None = None,
    session: Session | None = None,
    commit: bool = True,
) -> list[Allocation]:
    """Ship an order's allocated units (all of them, or (variant_id, quantity) `lines`; from one
    warehouse when `warehouse_id` is given): on-hand and allocated both go down, reason "sold".
    Returns what shipped. Raises NotFound (warehouse), InvalidInput (nothing allocated to ship,
    or a line asks for more than is allocated; backordered units ship once they are allocated).
    """
    order_reference = required_text(order_reference, "order_reference", max_length=120)
    with unit_of_work(session, commit=commit) as s:
        if warehouse_id is not None:
            get_warehouse(s, warehouse_id)
        rows, chosen = _pick(
            s, order_reference, lines, backordered_first=False, warehouse_id=warehouse_id
        )
        if not chosen:
            problem = f"nothing allocated to {order_reference} to ship"
            raise InvalidInput(f"order_reference: {problem}", fields={"order_reference": problem})
        levels = {(row.variant_id, row.warehouse_id): row for row in rows}
        for key, (units, _) in sorted(chosen.items()):
            moves = [
                Move("on_hand", -units, order_reference),
                Move("allocated", -units, order_reference),
            ]
            apply(s, levels[key].id, moves, reason="sold", actor=actor)
        if actor.kind == "staff":
            audit.record(
                actor,
                "stock.ship",
                "order",
                order_reference,
                {"units": [None, sum(units for units, _ in chosen.values())]},
            )
    return _as_list(chosen)
