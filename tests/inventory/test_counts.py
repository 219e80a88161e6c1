"""Many cycle counts at once (the stock side of an import): all written with ledger and audit
rows, or none when one is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce.audit import AuditEntry
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from commerce.inventory import service as inventory
from commerce.inventory.counts import Count, count_stock_many
from commerce.inventory.models import StockLevel, StockMovement
from tests.inventory.factories import (
    BUYER,
    CLERK,
    ledger_mismatches,
    make_variant,
    make_warehouse,
)


def on_hand(db_session) -> dict[tuple[int, int], int]:
    rows = db_session.execute(
        select(StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand)
    )
    return {(v, w): n for v, w, n in rows}


def test_counts_set_on_hand_create_missing_levels_and_write_ledger_and_audit(db_session):
    main = make_warehouse(code="MAIN")
    spare = make_warehouse(code="SPARE")
    tee, cap = make_variant(sku="TEE-1"), make_variant(sku="CAP-1")
    inventory.receive_stock(tee.id, main.id, 10, "PO-1", actor=CLERK)

    changed = count_stock_many(
        [Count(tee.id, main.id, 7), Count(tee.id, spare.id, 3), Count(cap.id, main.id, 0)],
        actor=CLERK,
        reference="count 2026-11",
    )

    assert changed == 2  # the cap's 0 was already 0: counted, not changed
    assert on_hand(db_session) == {
        (tee.id, main.id): 7,
        (tee.id, spare.id): 3,
        (cap.id, main.id): 0,
    }
    movements = db_session.execute(
        select(StockMovement.variant_id, StockMovement.delta, StockMovement.note)
        .where(StockMovement.reason == "counted")
        .order_by(StockMovement.id)
    ).all()
    assert sorted(movements) == sorted(
        [(tee.id, -3, "counted 7, expected 10"), (tee.id, 3, "counted 3, expected 0")]
    )
    audited = db_session.scalar(select(func.count()).where(AuditEntry.action == "stock.count"))
    assert audited == 3
    assert ledger_mismatches(db_session) == []


def test_one_count_below_what_is_reserved_refuses_the_whole_batch(db_session):
    main = make_warehouse(code="MAIN")
    tee, cap = make_variant(sku="TEE-1"), make_variant(sku="CAP-1")
    inventory.receive_stock(tee.id, main.id, 5, "PO-1", actor=CLERK)
    inventory.receive_stock(cap.id, main.id, 5, "PO-1", actor=CLERK)
    inventory.reserve_stock([(cap.id, 4)], "checkout:a", 600, actor=BUYER)
    before = (on_hand(db_session), db_session.scalar(select(func.count(StockMovement.id))))

    with pytest.raises(InvalidInput) as caught:
        count_stock_many([Count(tee.id, main.id, 9), Count(cap.id, main.id, 2)], actor=CLERK)

    assert "2 for variant" in caught.value.message and "below the 4 units" in caught.value.message
    assert (on_hand(db_session), db_session.scalar(select(func.count(StockMovement.id)))) == before


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        ([Count(1, 1, -1)], "must be a whole number of 0 or more"),
        ([Count(1, 1, 2), Count(1, 1, 3)], "is counted twice"),
    ],
)
def test_bad_counts_are_refused_naming_the_item(db_session, counts, problem):
    with pytest.raises(InvalidInput, match=problem):
        count_stock_many(counts, actor=CLERK)


def test_an_unknown_warehouse_is_refused_and_nothing_is_written(db_session):
    main = make_warehouse(code="MAIN")
    tee = make_variant(sku="TEE-1")
    events = db_session.scalar(select(func.count(OutboxEvent.id)))

    with pytest.raises(InvalidInput, match="unknown variant or warehouse"):
        count_stock_many([Count(tee.id, main.id, 4), Count(tee.id, main.id + 999, 1)], actor=CLERK)

    assert on_hand(db_session) == {}
    assert db_session.scalar(select(func.count(OutboxEvent.id))) == events
