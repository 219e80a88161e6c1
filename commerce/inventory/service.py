"""Inventory use cases: variant settings and stock on the shelf (receiving, adjusting, counting,
transferring, returns, safety stock). The one place to import inventory services from.

Each use case is one transaction: it locks the rows it changes, checks the rules, writes the stock
level and its ledger rows, an audit row and events, and commits once. Warehouses, reservations,
allocations, bulk changes and the read helpers live in their own modules and are re-exported
here."""

from __future__ import annotations

from commerce import audit
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.inventory.allocations import (
    Allocation,
    allocate_reservation,
    allocate_stock,
    allocations,
    deallocate_stock,
    ship_stock,
)
from commerce.inventory.bulk import StockChange, adjust_stock_many
from commerce.inventory.errors import OutOfStock, ReservationNotActive
from commerce.inventory.ledger import (
    LEVELS,
    Move,
    apply,
    check_low_stock,
    ensure_level,
    fresh_level,
    lock_level,
    lock_levels,
    unit_of_work,
)
from commerce.inventory.models import BACKORDER_POLICIES, StockLevel, VariantInventory
from commerce.inventory.queries import LowStock, availability, low_stock, stock_for_variant
from commerce.inventory.reservations import (
    expire_reservations,
    release_reservation,
    reserve_stock,
)
from commerce.inventory.validation import (
    get_variant,
    get_warehouse,
    optional_text,
    required_text,
    whole_number,
)
from commerce.inventory.warehouses import create_warehouse, update_warehouse

__all__ = [
    "Allocation",
    "LowStock",
    "OutOfStock",
    "ReservationNotActive",
    "StockChange",
    "adjust_stock",
    "adjust_stock_many",
    "allocate_reservation",
    "allocate_stock",
    "allocations",
    "availability",
    "count_stock",
    "create_warehouse",
    "deallocate_stock",
    "expire_reservations",
    "low_stock",
    "receive_stock",
    "release_reservation",
    "reserve_stock",
    "return_stock",
    "set_inventory_policy",
    "set_safety_stock",
    "ship_stock",
    "stock_for_variant",
    "transfer_stock",
    "update_warehouse",
]

# --- variant settings ---------------------------------------------------------------------------


def set_inventory_policy(
    variant_id: int,
    backorder_policy: str,
    low_stock_threshold: int | None,
    *,
    actor: Actor,
) -> VariantInventory:
    """Set a variant's backorder policy ("deny" or "allow") and low-stock threshold (None for
    no alerts). Raises NotFound, InvalidInput.

    A threshold that the current stock is already at or below raises `stock.low` at once.
    """
    if backorder_policy not in BACKORDER_POLICIES:
        problem = f"must be one of {', '.join(BACKORDER_POLICIES)}"
        raise InvalidInput(f"backorder_policy: {problem}", fields={"backorder_policy": problem})
    if low_stock_threshold is not None:
        whole_number(low_stock_threshold, "low_stock_threshold", minimum=0)
    fields = ("backorder_policy", "low_stock_threshold")
    with unit_of_work() as s:
        get_variant(s, variant_id)
        settings = s.get(VariantInventory, variant_id, with_for_update=True)
        if settings is None:
            settings = VariantInventory(variant_id=variant_id, backorder_policy="deny")
            s.add(settings)
        before = audit.snapshot(settings, fields)
        settings.backorder_policy = backorder_policy
        settings.low_stock_threshold = low_stock_threshold
        changed = audit.diff(before, audit.snapshot(settings, fields))
        s.flush()
        if changed:
            audit.record(actor, "variant_inventory.update", "variant", variant_id, changed)
        check_low_stock(s, [variant_id])
    return settings


# --- stock on the shelf ----------------------------------------------------------------------


def receive_stock(
    variant_id: int,
    warehouse_id: int,
    quantity: int,
    reference: str | None = None,
    *,
    actor: Actor,
) -> StockLevel:
    """Add `quantity` received units (a delivery, a purchase order `reference`) to the shelf.
    Raises NotFound, InvalidInput (quantity not above 0, warehouse inactive)."""
    whole_number(quantity, "quantity", minimum=1)
    reference = optional_text(reference, "reference", max_length=120)
    with unit_of_work() as s:
        get_variant(s, variant_id)
        warehouse = get_warehouse(s, warehouse_id)
        if not warehouse.is_active:
            problem = f"{warehouse.code} is inactive"
            raise InvalidInput(f"warehouse_id: {problem}", fields={"warehouse_id": problem})
        level = lock_level(s, variant_id, warehouse_id, create=True)
        assert level is not None
        after = apply(
            s, level.id, [Move("on_hand", quantity, reference)], reason="received", actor=actor
        )
        audit.record(
            actor,
            "stock.receive",
            "stock_level",
            level.id,
            {"on_hand": [level.on_hand, after.on_hand], "reference": [None, reference]},
        )
        check_low_stock(s, [variant_id])
        result = fresh_level(s, level.id)
    return result


def adjust_stock(
    variant_id: int, warehouse_id: int, delta: int, reason_note: str, *, actor: Actor
) -> StockLevel:
    """Correct on-hand stock by `delta` (damage, loss, found units), with a note saying why.
    Raises NotFound, InvalidInput (delta zero or leaving less on hand than is allocated and
    reserved; note missing)."""
    if whole_number(delta, "delta", minimum=None) == 0:
        raise InvalidInput("delta: must not be 0", fields={"delta": "must not be 0"})
    note = required_text(reason_note, "reason_note", max_length=500)
    with unit_of_work() as s:
        get_variant(s, variant_id)
        warehouse = get_warehouse(s, warehouse_id)
        level = lock_level(s, variant_id, warehouse_id, create=delta > 0)
        on_hand = level.on_hand if level else 0
        committed = level.allocated + level.reserved if level else 0
        if level is None or on_hand + delta < committed:
            problem = (
                f"would leave {on_hand + delta} on hand in {warehouse.code}, below the "
                f"{committed} allocated or reserved (on hand now: {on_hand})"
            )
            raise InvalidInput(f"delta: {problem}", fields={"delta": problem})
        after = apply(
            s, level.id, [Move("on_hand", delta)], reason="adjusted", actor=actor, note=note
        )
        audit.record(
            actor,
            "stock.adjust",
            "stock_level",
            level.id,
            {"on_hand": [on_hand, after.on_hand], "note": [None, note]},
        )
        check_low_stock(s, [variant_id])
        result = fresh_level(s, level.id)
    return result


def count_stock(variant_id: int, warehouse_id: int, counted: int, *, actor: Actor) -> StockLevel:
    """Record a cycle count: on-hand becomes `counted`, the difference is written as a movement
    with reason "counted". Raises NotFound, InvalidInput (counted negative, or below the units
    allocated and reserved: deallocate or release those first)."""
    whole_number(counted, "counted", minimum=0)
    with unit_of_work() as s:
        get_variant(s, variant_id)
        warehouse = get_warehouse(s, warehouse_id)
        level = lock_level(s, variant_id, warehouse_id, create=True)
        assert level is not None
        committed = level.allocated + level.reserved
        if counted < committed:
            problem = (
                f"{counted} is below the {committed} units allocated or reserved in "
                f"{warehouse.code}; deallocate or release them first"
            )
            raise InvalidInput(f"counted: {problem}", fields={"counted": problem})
        if counted != level.on_hand:
            note = f"counted {counted}, expected {level.on_hand}"
            moves = [Move("on_hand", counted - level.on_hand)]
            apply(s, level.id, moves, reason="counted", actor=actor, note=note)
        # A count that matches is still a count: the date says when the shelf was last checked.
        s.execute(LEVELS.update().where(LEVELS.c.id == level.id).values(last_counted_at=utcnow()))
        audit.record(
            actor,
            "stock.count",
            "stock_level",
            level.id,
            {"on_hand": [level.on_hand, counted], "counted": [None, counted]},
        )
        check_low_stock(s, [variant_id])
        result = fresh_level(s, level.id)
    return result


def transfer_stock(
    variant_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity: int,
    reference: str | None = None,
    *,
    actor: Actor,
) -> tuple[StockLevel, StockLevel]:
    """Move `quantity` units from one warehouse to another. Returns (source, destination).
    Raises NotFound, InvalidInput (same warehouse, destination inactive, or more than is
    available in the source)."""
    whole_number(quantity, "quantity", minimum=1)
    if from_warehouse_id == to_warehouse_id:
        problem = "must differ from from_warehouse_id"
        raise InvalidInput(f"to_warehouse_id: {problem}", fields={"to_warehouse_id": problem})
    reference = optional_text(reference, "reference", max_length=120)
    with unit_of_work() as s:
        get_variant(s, variant_id)
        source = get_warehouse(s, from_warehouse_id, "from_warehouse_id")
        target = get_warehouse(s, to_warehouse_id, "to_warehouse_id")
        if not target.is_active:
            problem = f"{target.code} is inactive"
            raise InvalidInput(f"to_warehouse_id: {problem}", fields={"to_warehouse_id": problem})
        reference = reference or f"transfer {source.code}>{target.code} {utcnow():%Y%m%d%H%M%S}"
        ensure_level(s, variant_id, to_warehouse_id)
        # Both rows are locked in one statement, in lock order, whatever the transfer's
        # direction: two opposite transfers cannot deadlock.
        pair = (from_warehouse_id, to_warehouse_id)
        levels = {row.warehouse_id: row for row in lock_levels(s, [variant_id], warehouse_ids=pair)}
        src = levels.get(from_warehouse_id)
        available = src.on_hand - src.allocated - src.reserved - src.safety_stock if src else 0
        if available < quantity:
            problem = f"only {max(available, 0)} available in {source.code}"
            raise InvalidInput(f"quantity: {problem}", fields={"quantity": problem})
        assert src is not None
        dst = levels[to_warehouse_id]
        note = f"{quantity} from {source.code} to {target.code}"
        apply(
            s,
            src.id,
            [Move("on_hand", -quantity, reference)],
            reason="transferred",
            actor=actor,
            note=note,
        )
        apply(
            s,
            dst.id,
            [Move("on_hand", quantity, reference)],
            reason="transferred",
            actor=actor,
            note=note,
        )
        audit.record(
            actor,
            "stock.transfer",
            "variant",
            variant_id,
            {
                f"on_hand@{source.code}": [src.on_hand, src.on_hand - quantity],
                f"on_hand@{target.code}": [dst.on_hand, dst.on_hand + quantity],
                "reference": [None, reference],
            },
        )
        check_low_stock(s, [variant_id])
        pair_after = fresh_level(s, src.id), fresh_level(s, dst.id)
    return pair_after


def return_stock(
    variant_id: int,
    warehouse_id: int,
    quantity: int,
    restock: bool,
    *,
    actor: Actor,
    reference: str | None = None,
    commit: bool = True,
) -> StockLevel:
    """Take back `quantity` returned units into a warehouse (reason "returned"). Units not fit
    to sell again (`restock=False`) are written off at once by an "adjusted" movement, so the
    ledger still shows that they came back. Raises NotFound, InvalidInput. With `commit` False
    the caller commits it with its own change (a refund that restocks)."""
    whole_number(quantity, "quantity", minimum=1)
    if not isinstance(restock, bool):
        raise InvalidInput("restock: must be true or false", fields={"restock": "not a flag"})
    reference = optional_text(reference, "reference", max_length=120)
    with unit_of_work(commit=commit) as s:
        get_variant(s, variant_id)
        get_warehouse(s, warehouse_id)
        level = lock_level(s, variant_id, warehouse_id, create=True)
        assert level is not None
        apply(s, level.id, [Move("on_hand", quantity, reference)], reason="returned", actor=actor)
        if not restock:
            apply(
                s,
                level.id,
                [Move("on_hand", -quantity, reference)],
                reason="adjusted",
                actor=actor,
                note="returned, not fit to sell: written off",
            )
        audit.record(
            actor,
            "stock.return",
            "stock_level",
            level.id,
            {
                "returned": [None, quantity],
                "restocked": [None, quantity if restock else 0],
                "reference": [None, reference],
            },
        )
        check_low_stock(s, [variant_id])
        result = fresh_level(s, level.id)
    return result


def set_safety_stock(
    variant_id: int, warehouse_id: int, safety_stock: int, *, actor: Actor
) -> StockLevel:
    """Keep `safety_stock` units of a variant in a warehouse out of what can be sold.
    Raises NotFound, InvalidInput."""
    whole_number(safety_stock, "safety_stock", minimum=0)
    with unit_of_work() as s:
        get_variant(s, variant_id)
        get_warehouse(s, warehouse_id)
        level = lock_level(s, variant_id, warehouse_id, create=True)
        assert level is not None
        if level.safety_stock != safety_stock:
            s.execute(
                LEVELS.update().where(LEVELS.c.id == level.id).values(safety_stock=safety_stock)
            )
            audit.record(
                actor,
                "stock.set_safety_stock",
                "stock_level",
                level.id,
                {"safety_stock": [level.safety_stock, safety_stock]},
            )
            check_low_stock(s, [variant_id])
        result = fresh_level(s, level.id)
    return result
