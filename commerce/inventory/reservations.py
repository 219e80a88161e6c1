"""Checkout reservations: hold stock for a while, release it, let it expire.

A reservation is all-or-nothing over its lines. Each line is taken by one conditional UPDATE
(ledger.take) from active warehouses in priority order, so two buyers can never both get the
last unit. Audit rows are written when a staff member acts by hand; a customer's or the
system's reservations are traced by the actor on every ledger row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import audit
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.inventory.errors import OutOfStock
from commerce.inventory.ledger import (
    Move,
    apply,
    backorder_level,
    check_low_stock,
    lock_levels,
    take,
    unit_of_work,
)
from commerce.inventory.models import StockReservation
from commerce.inventory.validation import (
    normalise_lines,
    required_text,
    variants_of,
    whole_number,
)

MAX_TTL_SECONDS = 7 * 24 * 3600


def lock_active(s: Session, reference: str) -> list[StockReservation]:
    """Lock and return the active reservations of `reference` (in lock order)."""
    stmt = (
        select(StockReservation)
        .where(StockReservation.reference == reference, StockReservation.status == "active")
        .order_by(StockReservation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(s.scalars(stmt))


def level_ids(s: Session, variant_ids: Iterable[int]) -> dict[tuple[int, int], Any]:
    """Lock the variants' stock levels; returns {(variant_id, warehouse_id): level row}."""
    return {(row.variant_id, row.warehouse_id): row for row in lock_levels(s, variant_ids)}


def close(
    s: Session,
    reservations: Sequence[StockReservation],
    levels: dict[tuple[int, int], Any],
    *,
    status: str,
    actor: Actor,
) -> None:
    """Give the units of (locked) active reservations back, marking them `status` ("released"
    or "expired", which is also the ledger reason)."""
    for item in reservations:
        level = levels[(item.variant_id, item.warehouse_id)]
        moves = [
            Move("reserved", -item.on_shelf, item.reference),
            Move("backordered", -item.backordered, item.reference),
        ]
        apply(s, level.id, moves, reason=status, actor=actor)
        item.status = status


def reserve_stock(
    lines: Sequence[tuple[int, int]],
    reference: str,
    ttl_seconds: int,
    *,
    actor: Actor,
    session: Session | None = None,
    commit: bool = True,
) -> list[StockReservation]:
    """Hold stock for checkout `reference` for `ttl_seconds`: every line or none.
    Raises InvalidInput (naming the line or field), OutOfStock (naming each short line and what
    is available). With `commit=False` the caller's transaction keeps the reservation (order
    placement reserves and allocates in one transaction).

    `lines` are (variant_id, quantity) pairs. A line may be split over warehouses. Variants whose
    backorder policy is "allow" take what is there and backorder the rest. Reserving a reference
    that already holds stock replaces that reservation, in the same transaction.
    """
    wanted = normalise_lines(lines)
    reference = required_text(reference, "reference", max_length=120)
    whole_number(ttl_seconds, "ttl_seconds", minimum=1)
    if ttl_seconds > MAX_TTL_SECONDS:
        problem = f"must be at most {MAX_TTL_SECONDS} seconds (7 days)"
        raise InvalidInput(f"ttl_seconds: {problem}", fields={"ttl_seconds": problem})
    with unit_of_work(session, commit=commit) as s:
        variants = variants_of(s, wanted)
        previous = lock_active(s, reference)
        levels = level_ids(
            s, [line.variant_id for line in wanted] + [r.variant_id for r in previous]
        )
        close(s, previous, levels, status="released", actor=actor)

        expires_at = utcnow() + dt.timedelta(seconds=ttl_seconds)
        held: dict[tuple[int, int], StockReservation] = {}
        short: list[dict[str, Any]] = []
        for line in wanted:
            sku, policy = variants[line.variant_id]
            taken = take(
                s,
                line.variant_id,
                line.quantity,
                bucket="reserved",
                reason="reserved",
                actor=actor,
                reference=reference,
            )
            for warehouse_id, units in taken.items():
                held[(line.variant_id, warehouse_id)] = StockReservation(
                    variant_id=line.variant_id,
                    warehouse_id=warehouse_id,
                    quantity=units,
                    backordered=0,
                    reference=reference,
                    expires_at=expires_at,
                )
            missing = line.quantity - sum(taken.values())
            level = backorder_level(s, line.variant_id) if missing and policy == "allow" else None
            if level is not None:
                apply(
                    s,
                    level.id,
                    [Move("backordered", missing, reference)],
                    reason="reserved",
                    actor=actor,
                )
                item = held.setdefault(
                    (line.variant_id, level.warehouse_id),
                    StockReservation(
                        variant_id=line.variant_id,
                        warehouse_id=level.warehouse_id,
                        quantity=0,
                        backordered=0,
                        reference=reference,
                        expires_at=expires_at,
                    ),
                )
                item.quantity += missing
                item.backordered += missing
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
            raise OutOfStock(sorted(short, key=lambda item: item["line"]))
        reservations = list(held.values())
        s.add_all(reservations)
        if actor.kind == "staff":
            audit.record(
                actor,
                "stock.reserve",
                "reservation",
                reference,
                {"lines": [None, [[line.variant_id, line.quantity] for line in wanted]]},
            )
        check_low_stock(s, [*variants, *(item.variant_id for item in previous)])
    return reservations


def release_reservation(
    reference: str, *, actor: Actor, session: Session | None = None, commit: bool = True
) -> list[StockReservation]:
    """Give back the stock held for checkout `reference` (abandoned cart, changed mind). Returns
    the reservations released; none when nothing was held, so calling it twice is harmless.
    Raises InvalidInput (reference missing). With `commit=False` the caller's transaction keeps
    the change."""
    reference = required_text(reference, "reference", max_length=120)
    with unit_of_work(session, commit=commit) as s:
        reservations = lock_active(s, reference)
        if reservations:
            levels = level_ids(s, [item.variant_id for item in reservations])
            close(s, reservations, levels, status="released", actor=actor)
            if actor.kind == "staff":
                audit.record(actor, "stock.release", "reservation", reference, {})
            check_low_stock(s, [item.variant_id for item in reservations])
    return reservations


def expire_reservations(
    now: dt.datetime | None = None, *, batch_size: int = 500, actor: Actor | None = None
) -> int:
    """Release every active reservation whose `expires_at` has passed (ledger reason "expired"),
    a batch per transaction. Returns how many expired. Raises no domain error (it runs from the
    scheduler).

    Rows another transaction holds (a reservation becoming an order right now) are skipped and left
    to that transaction."""
    now = now or utcnow()
    actor = actor or Actor.system("reservation expiry")
    total = 0
    while True:
        with unit_of_work() as s:
            stmt = (
                select(StockReservation)
                .where(StockReservation.status == "active", StockReservation.expires_at <= now)
                .order_by(StockReservation.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
            batch = list(s.scalars(stmt))
            if batch:
                variant_ids = [item.variant_id for item in batch]
                close(s, batch, level_ids(s, variant_ids), status="expired", actor=actor)
                check_low_stock(s, variant_ids)
        total += len(batch)
        if len(batch) < batch_size:
            return total
