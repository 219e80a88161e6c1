"""Many cycle counts at once: the stock side of a catalog import or a warehouse's full count.

`count_stock_many` is `count_stock` for a batch, in a handful of statements whatever its size:
every level is created if missing and locked in lock order, all are checked before any is
written, then on-hand, the ledger, the audit rows and the low-stock check are written in bulk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce import audit, db
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.inventory.ledger import check_low_stock, unit_of_work

__all__ = ["Count", "count_stock_many"]

_MOVEMENT_COLUMNS = (
    "variant_id", "warehouse_id", "bucket", "reason", "delta",
    "balance_after", "actor_kind", "actor_id", "actor_label", "reference", "note",
)  # fmt: skip

# The statements take arrays, so a batch of any size is one round trip and one query plan.
_ENSURE_LEVELS = text(
    "INSERT INTO stock_levels (variant_id, warehouse_id) SELECT * FROM "
    "unnest(CAST(:v AS bigint[]), CAST(:w AS bigint[])) AS t(variant_id, warehouse_id) "
    "ORDER BY 1, 2 ON CONFLICT (variant_id, warehouse_id) DO NOTHING"
)
# Locks in the inventory's lock order (variant id, then level id).
_LOCK_LEVELS = text(
    "SELECT l.id, l.variant_id, l.warehouse_id, l.on_hand, l.allocated, l.reserved, w.code "
    "FROM stock_levels l JOIN "
    "unnest(CAST(:v AS bigint[]), CAST(:w AS bigint[])) AS t(variant_id, warehouse_id) "
    "USING (variant_id, warehouse_id) "
    "JOIN warehouses w ON w.id = l.warehouse_id "
    "ORDER BY l.variant_id, l.id FOR UPDATE OF l"
)
_SET_ON_HAND = text(
    "UPDATE stock_levels l SET on_hand = t.counted, last_counted_at = :now "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:counted AS integer[])) AS t(id, counted) "
    "WHERE l.id = t.id"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Count:
    """One counted shelf: `counted` units of a variant in a warehouse."""

    variant_id: int
    warehouse_id: int
    counted: int


def _check(counts: Sequence[Count]) -> None:
    seen: set[tuple[int, int]] = set()
    for n, item in enumerate(counts):
        key = (item.variant_id, item.warehouse_id)
        if isinstance(item.counted, bool) or not isinstance(item.counted, int) or item.counted < 0:
            problem = f"item {n + 1}: must be a whole number of 0 or more"
            raise InvalidInput(f"counted: {problem}", fields={"counted": problem})
        if key in seen:
            problem = f"item {n + 1}: variant {key[0]} in warehouse {key[1]} is counted twice"
            raise InvalidInput(f"counted: {problem}", fields={"counted": problem})
        seen.add(key)


def count_stock_many(
    counts: Sequence[Count],
    *,
    actor: Actor,
    reference: str | None = None,
    session: Session | None = None,
    commit: bool = True,
) -> int:
    """Record many cycle counts in one transaction: each level's on-hand becomes its count, and
    every difference is written as a "counted" movement with an audit row. Returns the number of
    levels whose on-hand changed. Raises InvalidInput (a negative or repeated count, an unknown
    variant or warehouse, or a count below the units allocated and reserved there), and then
    writes nothing. With `commit=False` the caller's transaction keeps the writes."""
    _check(counts)
    if not counts:
        return 0
    pairs = sorted({(c.variant_id, c.warehouse_id) for c in counts})
    arrays = {"v": [v for v, _ in pairs], "w": [w for _, w in pairs]}
    with unit_of_work(session, commit=commit) as s:
        try:
            s.execute(_ENSURE_LEVELS, arrays)
        except IntegrityError as exc:  # only a foreign key can fail here
            problem = "an unknown variant or warehouse is counted"
            raise InvalidInput(f"counted: {problem}", fields={"counted": problem}) from exc
        levels = {
            (row.variant_id, row.warehouse_id): row for row in s.execute(_LOCK_LEVELS, arrays)
        }
        for item in counts:
            level = levels[(item.variant_id, item.warehouse_id)]
            committed = level.allocated + level.reserved
            if item.counted < committed:
                problem = (
                    f"{item.counted} for variant {item.variant_id} is below the {committed} "
                    f"units allocated or reserved in {level.code}; deallocate or release them first"
                )
                raise InvalidInput(f"counted: {problem}", fields={"counted": problem})
        changed = [c for c in counts if c.counted != levels[(c.variant_id, c.warehouse_id)].on_hand]
        s.execute(
            _SET_ON_HAND,
            {
                "ids": [levels[(c.variant_id, c.warehouse_id)].id for c in counts],
                "counted": [c.counted for c in counts],
                "now": utcnow(),
            },
        )
        if changed:
            label, ref = actor.label[:255], reference[:120] if reference else None
            rows = []
            for c in changed:
                was = levels[(c.variant_id, c.warehouse_id)].on_hand
                note = f"counted {c.counted}, expected {was}"
                head = (c.variant_id, c.warehouse_id, "on_hand", "counted", c.counted - was)
                rows.append((*head, c.counted, actor.kind, actor.id, label, ref, note))
            db.copy_rows("stock_movements", _MOVEMENT_COLUMNS, rows)
        audit.record_many(
            actor,
            (
                (
                    "stock.count",
                    "stock_level",
                    levels[(c.variant_id, c.warehouse_id)].id,
                    {
                        "on_hand": [levels[(c.variant_id, c.warehouse_id)].on_hand, c.counted],
                        "counted": [None, c.counted],
                    },
                )
                for c in counts
            ),
        )
        check_low_stock(s, {c.variant_id for c in counts})
    return len(changed)
