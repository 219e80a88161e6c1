"""Inventory internals shared by its services: the unit of work, row locks, the conditional UPDATE
that takes stock, the ledger writer every bucket change goes through, and the low-stock check.

Locks are always taken in one order, so two use cases never wait on each other in a circle: stock
reservations (by id), then stock levels (by variant id, then id), then variant inventory settings
(by variant id)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import BigInteger, Integer, Row, Select, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from commerce import db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.inventory.models import (
    StockLevel,
    StockMovement,
    VariantInventory,
    Warehouse,
)

LEVELS = StockLevel.__table__
WAREHOUSES = Warehouse.__table__
_FREE = func.greatest(
    LEVELS.c.on_hand - LEVELS.c.allocated - LEVELS.c.reserved - LEVELS.c.safety_stock, 0
)


@dataclasses.dataclass(frozen=True, slots=True)
class Move:
    """One change of one bucket, as the ledger records it."""

    bucket: str
    delta: int
    reference: str | None = None


@contextlib.contextmanager
def unit_of_work(
    session: Session | scoped_session[Session] | None = None,
    *,
    commit: bool = True,
    savepoint: bool = True,
) -> Iterator[Session]:
    """Run one use case on `session` (default: db.session): a savepoint undone on any error, so
    nothing partial is written, then one commit unless `commit` is False. `savepoint=False` is
    for a use case whose only write is one statement, atomic by itself: it saves the two round
    trips of the savepoint.

    While it runs, `session` is this thread's db.session, so the audit rows and events that
    commerce.audit and commerce.events add land in the same transaction as the stock change.
    """
    # db.session itself (the thread-local proxy) stands for the Session it currently holds.
    target = session() if isinstance(session, scoped_session) else session or db.session()
    registry = db.session.registry
    previous = registry() if registry.has() else None
    swapped = previous is not target
    if swapped:
        registry.set(target)
    try:
        with target.begin_nested() if savepoint else contextlib.nullcontext():
            yield target
        if commit:
            target.commit()
    finally:
        if swapped:
            if previous is None:
                registry.clear()
            else:
                registry.set(previous)


# --- locks and reads ---------------------------------------------------------------------------


def _levels_select() -> Select[Any]:
    return select(
        LEVELS.c.id,
        LEVELS.c.variant_id,
        LEVELS.c.warehouse_id,
        LEVELS.c.on_hand,
        LEVELS.c.allocated,
        LEVELS.c.reserved,
        LEVELS.c.safety_stock,
        LEVELS.c.backordered,
        WAREHOUSES.c.code,
        WAREHOUSES.c.priority,
        WAREHOUSES.c.is_active,
    ).join(WAREHOUSES, WAREHOUSES.c.id == LEVELS.c.warehouse_id)


def lock_levels(
    s: Session, variant_ids: Iterable[int], *, warehouse_ids: Iterable[int] | None = None
) -> list[Row[Any]]:
    """Lock the stock levels of the variants (in those warehouses only, when given), in lock
    order. Returns them by variant, then warehouse priority."""
    stmt = (
        _levels_select()
        .where(LEVELS.c.variant_id.in_(sorted(set(variant_ids))))
        .order_by(LEVELS.c.variant_id, LEVELS.c.id)
        .with_for_update(of=LEVELS)
    )
    if warehouse_ids is not None:
        stmt = stmt.where(LEVELS.c.warehouse_id.in_(sorted(set(warehouse_ids))))
    rows = list(s.execute(stmt))
    return sorted(rows, key=lambda row: (row.variant_id, row.priority, row.id))


def ensure_level(s: Session, variant_id: int, warehouse_id: int) -> None:
    """Create an empty stock level for the variant in the warehouse unless one exists (an
    existing row is not locked, so lock order is kept)."""
    s.execute(
        insert(StockLevel)
        .values(variant_id=variant_id, warehouse_id=warehouse_id)
        .on_conflict_do_nothing(index_elements=["variant_id", "warehouse_id"])
    )


def lock_level(
    s: Session, variant_id: int, warehouse_id: int, *, create: bool = False
) -> Row[Any] | None:
    """Lock the stock level of one variant in one warehouse (created empty first when `create`).
    Returns it, or None when it does not exist."""
    if create:
        ensure_level(s, variant_id, warehouse_id)
    rows = lock_levels(s, [variant_id], warehouse_ids=[warehouse_id])
    return rows[0] if rows else None


def fresh_level(s: Session, level_id: int) -> StockLevel:
    """The StockLevel `level_id` as the database has it now (with its warehouse loaded)."""
    level = s.get(StockLevel, level_id, populate_existing=True)
    assert level is not None
    level.warehouse  # noqa: B018  (loaded now, so it reads after the session is gone)
    return level


_AVAILABLE = (
    select(LEVELS.c.variant_id, func.sum(_FREE))
    .join(WAREHOUSES, WAREHOUSES.c.id == LEVELS.c.warehouse_id)
    .where(
        LEVELS.c.variant_id.in_(bindparam("variant_ids", expanding=True)), WAREHOUSES.c.is_active
    )
    .group_by(LEVELS.c.variant_id)
)


def available_by_variant(s: Session, variant_ids: Iterable[int]) -> dict[int, int]:
    """{variant_id: units available over all active warehouses}; a warehouse below its safety
    stock counts as 0, not as a debt against the others."""
    ids = sorted(set(variant_ids))
    totals = dict.fromkeys(ids, 0)
    rows = s.execute(_AVAILABLE, {"variant_ids": ids})
    totals.update({variant_id: int(total) for variant_id, total in rows})
    return totals


# --- writes ------------------------------------------------------------------------------------


def _movement_values(
    variant_id: int,
    warehouse_id: int,
    move: Move,
    balance_after: int,
    *,
    reason: str,
    actor: Actor,
    note: str | None,
) -> dict[str, Any]:
    return {
        "variant_id": variant_id,
        "warehouse_id": warehouse_id,
        "bucket": move.bucket,
        "reason": reason,
        "delta": move.delta,
        "balance_after": balance_after,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": actor.label[:255],
        "reference": move.reference,
        "note": note[:500] if note else None,
    }


def _movement(
    variant_id: int,
    warehouse_id: int,
    move: Move,
    balance_after: int,
    *,
    reason: str,
    actor: Actor,
    note: str | None,
) -> StockMovement:
    return StockMovement(
        **_movement_values(
            variant_id, warehouse_id, move, balance_after, reason=reason, actor=actor, note=note
        )
    )


def apply(
    s: Session,
    level_id: int,
    moves: Sequence[Move],
    *,
    reason: str,
    actor: Actor,
    note: str | None = None,
) -> Row[Any]:
    """Change the buckets of one (locked) stock level by `moves` and write one ledger row per
    move. Returns the level's new (variant_id, warehouse_id, on_hand, allocated, reserved,
    backordered). The CHECK constraints refuse what the caller failed to validate."""
    moves = [move for move in moves if move.delta]
    if not moves:
        raise ValueError("apply() needs at least one non-zero move")
    totals: dict[str, int] = defaultdict(int)
    for move in moves:
        totals[move.bucket] += move.delta
    columns = (
        LEVELS.c.variant_id,
        LEVELS.c.warehouse_id,
        LEVELS.c.on_hand,
        LEVELS.c.allocated,
        LEVELS.c.reserved,
        LEVELS.c.backordered,
    )
    stmt = (
        update(LEVELS)
        .where(LEVELS.c.id == level_id)
        .values({LEVELS.c[bucket]: LEVELS.c[bucket] + delta for bucket, delta in totals.items()})
        .returning(*columns)
    )
    row = s.execute(stmt).one()
    running = {bucket: getattr(row, bucket) - delta for bucket, delta in totals.items()}
    for move in moves:
        running[move.bucket] += move.delta
        s.add(
            _movement(
                row.variant_id,
                row.warehouse_id,
                move,
                running[move.bucket],
                reason=reason,
                actor=actor,
                note=note,
            )
        )
    return row


def _take_statement(bucket: str) -> Any:
    # Lock every stock level of the wanted variants in lock order (variant id, then id: the rows
    # lock_levels locks) and read their latest values; plan each variant's take warehouse by
    # warehouse in priority order, from active warehouses only (a line may split); then one
    # UPDATE whose WHERE re-checks every row, so even a planning mistake could not oversell.
    wanted = (
        func.unnest(
            bindparam("take_variant_ids", type_=ARRAY(BigInteger)),
            bindparam("take_quantities", type_=ARRAY(Integer)),
        )
        .table_valued("variant_id", "quantity")
        .render_derived(name="wanted")
    )
    locked = (
        select(
            LEVELS.c.id,
            LEVELS.c.variant_id,
            WAREHOUSES.c.priority,
            case((WAREHOUSES.c.is_active, _FREE), else_=0).label("free"),
            wanted.c.quantity,
        )
        .join(WAREHOUSES, WAREHOUSES.c.id == LEVELS.c.warehouse_id)
        .join(wanted, wanted.c.variant_id == LEVELS.c.variant_id)
        .order_by(LEVELS.c.variant_id, LEVELS.c.id)
        .with_for_update(of=LEVELS)
        .cte("locked")
        .prefix_with("MATERIALIZED")
    )
    taken_before = func.coalesce(
        func.sum(locked.c.free).over(
            partition_by=locked.c.variant_id,
            order_by=(locked.c.priority, locked.c.id),
            rows=(None, -1),
        ),
        0,
    )
    plan = select(
        locked.c.id, func.least(locked.c.free, locked.c.quantity - taken_before).label("take")
    ).cte("plan")
    column = LEVELS.c[bucket]
    return (
        update(LEVELS)
        .values({column: column + plan.c.take})
        .where(
            LEVELS.c.id == plan.c.id,
            plan.c.take > 0,
            LEVELS.c.on_hand - LEVELS.c.allocated - LEVELS.c.reserved - LEVELS.c.safety_stock
            >= plan.c.take,
        )
        .returning(LEVELS.c.variant_id, LEVELS.c.warehouse_id, plan.c.take, column)
    )


_TAKE = {bucket: _take_statement(bucket) for bucket in ("reserved", "allocated")}
MOVEMENTS = StockMovement.__table__


def take_many(
    s: Session,
    lines: Sequence[tuple[int, int]],
    *,
    bucket: str,
    reason: str,
    actor: Actor,
    reference: str,
) -> dict[int, dict[int, int]]:
    """Move up to each line's quantity of available units of its variant into `bucket`
    ("reserved" or "allocated"), from active warehouses in priority order, with one conditional
    UPDATE for all the lines (it locks every stock level of their variants, in lock order); write
    the ledger in one INSERT. `lines` are (variant_id, quantity) pairs of distinct variants.
    Returns {variant_id: {warehouse_id: units taken}} for every line, summing to less than its
    quantity when stock is short (the caller decides whether that is an error)."""
    params = {
        "take_variant_ids": [variant_id for variant_id, _ in lines],
        "take_quantities": [quantity for _, quantity in lines],
    }
    taken: dict[int, dict[int, int]] = {variant_id: {} for variant_id, _ in lines}
    movements = []
    for variant_id, warehouse_id, units, balance in sorted(s.execute(_TAKE[bucket], params)):
        taken[variant_id][warehouse_id] = units
        move = Move(bucket, units, reference)
        movements.append(
            _movement_values(
                variant_id, warehouse_id, move, balance, reason=reason, actor=actor, note=None
            )
        )
    if movements:
        s.execute(MOVEMENTS.insert(), movements)
    return taken


def take(
    s: Session,
    variant_id: int,
    quantity: int,
    *,
    bucket: str,
    reason: str,
    actor: Actor,
    reference: str,
) -> dict[int, int]:
    """Move up to `quantity` available units of a variant into `bucket` ("reserved" or
    "allocated") and write the ledger, as take_many does for one line. Returns {warehouse_id:
    units taken}, which sum to less than `quantity` when stock is short."""
    taken = take_many(
        s, [(variant_id, quantity)], bucket=bucket, reason=reason, actor=actor, reference=reference
    )
    return taken[variant_id]


def backorder_level(s: Session, variant_id: int) -> Row[Any] | None:
    """The (locked) stock level that carries a variant's backorders: the first active warehouse
    by priority, where restocked units will ship from. None when no active warehouse exists."""
    first = s.scalar(
        select(Warehouse.id)
        .where(Warehouse.is_active)
        .order_by(Warehouse.priority, Warehouse.id)
        .limit(1)
    )
    return None if first is None else lock_level(s, variant_id, first, create=True)


SETTINGS = VariantInventory.__table__
_LOW_STOCK_SETTINGS = (
    select(SETTINGS.c.variant_id, SETTINGS.c.low_stock_threshold, SETTINGS.c.low_stock_alerted_at)
    .where(
        SETTINGS.c.variant_id.in_(bindparam("variant_ids", expanding=True)),
        SETTINGS.c.low_stock_threshold.is_not(None),
    )
    .order_by(SETTINGS.c.variant_id)
    .with_for_update()
)
_SET_ALERTED = (
    SETTINGS.update()
    .where(SETTINGS.c.variant_id == bindparam("settings_variant_id"))
    .values(low_stock_alerted_at=bindparam("alerted_at"))
)


def _set_alerted(s: Session, variant_id: int, alerted_at: dt.datetime | None) -> None:
    s.execute(_SET_ALERTED, {"settings_variant_id": variant_id, "alerted_at": alerted_at})
    loaded = s.identity_map.get(identity_key(VariantInventory, variant_id))
    if loaded is not None:  # a VariantInventory the session holds says what the row now says
        set_committed_value(loaded, "low_stock_alerted_at", alerted_at)


def check_low_stock(s: Session, variant_ids: Iterable[int]) -> None:
    """Record `stock.low` for each variant whose availability is now at or below its threshold
    and was not already flagged; clear the flag of those back above it (once per crossing)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return
    # The settings row is locked before availability is read, so of two concurrent changes the
    # later one sees the earlier one's result: the flag ends up matching the final stock.
    settings = s.execute(_LOW_STOCK_SETTINGS, {"variant_ids": ids}).all()
    if not settings:
        return
    available = available_by_variant(s, [item.variant_id for item in settings])
    for item in settings:
        threshold = item.low_stock_threshold
        now_low = available[item.variant_id] <= threshold
        if now_low and item.low_stock_alerted_at is None:
            _set_alerted(s, item.variant_id, utcnow())
            events.record(
                "stock.low",
                variant_id=item.variant_id,
                available=available[item.variant_id],
                threshold=threshold,
            )
        elif not now_low and item.low_stock_alerted_at is not None:
            _set_alerted(s, item.variant_id, None)
