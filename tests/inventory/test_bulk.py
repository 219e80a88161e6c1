"""Bulk stock changes: many variants and warehouses in one transaction, all or nothing; a line
that cannot be applied is named by SKU and warehouse and nothing at all is written."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from commerce.audit import AuditEntry
from commerce.errors import InvalidInput
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel, StockMovement
from tests.inventory.factories import BUYER, CLERK, ledger_mismatches, make_variant, make_warehouse


@pytest.fixture
def shelves(db_session):
    """Two variants: TEE-A with 6 in MAIN and 4 in SPARE, TEE-B with 2 in MAIN."""
    main = make_warehouse(code="MAIN", name="Main", priority=1)
    spare = make_warehouse(code="SPARE", name="Spare", priority=2)
    a, b = make_variant(sku="TEE-A"), make_variant(sku="TEE-B")
    inventory.receive_stock(a.id, main.id, 6, "PO-1", actor=CLERK)
    inventory.receive_stock(a.id, spare.id, 4, "PO-1", actor=CLERK)
    inventory.receive_stock(b.id, main.id, 2, "PO-1", actor=CLERK)
    return SimpleNamespace(a=a.id, b=b.id, main=main.id, spare=spare.id)


def on_hand(db_session) -> dict[tuple[int, int], int]:
    rows = db_session.execute(
        select(
            StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand
        ).execution_options(populate_existing=True)
    )
    return {(v, w): n for v, w, n in rows}


def movement_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(StockMovement))


def audit_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEntry))


def test_an_adjustment_of_many_lines_applies_every_one_with_its_ledger_and_audit_rows(
    db_session, shelves
):
    movements, audits = movement_count(db_session), audit_count(db_session)

    after = inventory.adjust_stock_many(
        [
            (shelves.a, shelves.main, -2),
            (shelves.a, shelves.spare, 3),
            (shelves.b, shelves.main, -2),
        ],
        mode="adjust",
        note="stocktake corrections",
        actor=CLERK,
    )

    expected = {
        (shelves.a, shelves.main): 4,
        (shelves.a, shelves.spare): 7,
        (shelves.b, shelves.main): 0,
    }
    assert after == expected
    assert on_hand(db_session) == expected
    assert movement_count(db_session) == movements + 3
    newest = db_session.scalars(
        select(StockMovement).order_by(StockMovement.id.desc()).limit(3)
    ).all()
    assert {(m.reason, m.note) for m in newest} == {("adjusted", "stocktake corrections")}
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "stock.adjust").order_by(AuditEntry.id)
    ).all()
    assert audit_count(db_session) == audits + 3
    assert {tuple(e.changes["on_hand"]) for e in entries} == {(6, 4), (4, 7), (2, 0)}
    assert ledger_mismatches(db_session) == []


def test_one_line_going_negative_writes_nothing_and_names_its_sku_and_warehouse(
    db_session, shelves
):
    before = on_hand(db_session)
    movements, audits = movement_count(db_session), audit_count(db_session)

    with pytest.raises(InvalidInput) as caught:
        inventory.adjust_stock_many(
            [
                (shelves.a, shelves.main, -1),
                (shelves.b, shelves.main, -3),
                (shelves.a, shelves.spare, 5),
            ],
            mode="adjust",
            note="damaged",
            actor=CLERK,
        )

    assert caught.value.fields == {
        "changes[1]": "TEE-B in MAIN: would leave -1 on hand (on hand now: 2)"
    }
    assert on_hand(db_session) == before
    assert movement_count(db_session) == movements
    assert audit_count(db_session) == audits


def test_a_line_below_what_is_reserved_or_never_stocked_is_refused_too(db_session, shelves):
    inventory.reserve_stock([(shelves.b, 2)], "checkout:x", 600, actor=BUYER)
    empty = make_warehouse(code="EMPTY")
    before, movements = on_hand(db_session), movement_count(db_session)

    with pytest.raises(InvalidInput) as caught:
        inventory.adjust_stock_many(
            [(shelves.a, shelves.main, 1), (shelves.b, shelves.main, 0), (shelves.a, empty.id, 0)],
            mode="count",
            actor=CLERK,
        )

    assert set(caught.value.fields) == {"changes[1]"}
    assert caught.value.fields["changes[1]"].startswith(
        "TEE-B in MAIN: would leave 0 on hand, below the 2 allocated or reserved"
    )
    with pytest.raises(InvalidInput, match="TEE-A in EMPTY: would leave -1 on hand"):
        inventory.adjust_stock_many(
            [(shelves.a, shelves.main, 1), (shelves.a, empty.id, -1)],
            mode="adjust",
            note="lost",
            actor=CLERK,
        )
    assert on_hand(db_session) == before
    assert movement_count(db_session) == movements


def test_counts_set_on_hand_and_receipts_add_with_the_reasons_the_ledger_knows(db_session, shelves):
    inventory.adjust_stock_many(
        [(shelves.a, shelves.main, 5), (shelves.b, shelves.main, 2)], mode="count", actor=CLERK
    )
    assert on_hand(db_session)[(shelves.a, shelves.main)] == 5
    counted = db_session.scalar(select(StockMovement).order_by(StockMovement.id.desc()))
    assert (counted.reason, counted.delta, counted.note) == ("counted", -1, "counted 5, expected 6")
    # The matching count of TEE-B moved nothing but still dates the shelf's last count.
    level = db_session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == shelves.b)
        .execution_options(populate_existing=True)
    )
    assert level.on_hand == 2 and level.last_counted_at is not None

    new_place = make_warehouse(code="NEW")
    inventory.adjust_stock_many(
        [inventory.StockChange(shelves.b, new_place.id, 7)],
        mode="receive",
        reference="PO-9",
        actor=CLERK,
    )
    received = db_session.scalar(select(StockMovement).order_by(StockMovement.id.desc()))
    assert (received.reason, received.delta, received.reference) == ("received", 7, "PO-9")
    assert on_hand(db_session)[(shelves.b, new_place.id)] == 7
    assert ledger_mismatches(db_session) == []


@pytest.mark.parametrize(
    ("changes", "mode", "field"),
    [
        ([], "adjust", "changes"),
        ([(1, 1, 0)], "adjust", "changes[0].quantity"),
        ([(1, 1, 0)], "receive", "changes[0].quantity"),
        ([(1, 1, -1)], "count", "changes[0].quantity"),
        ([(1, 1)], "count", "changes[0]"),
        ([(1, 1, 1)], "sell", "mode"),
        ([(1, 1, 1)], "adjust", "note"),
    ],
)
def test_malformed_batches_are_refused_naming_the_field(db_session, changes, mode, field):
    with pytest.raises(InvalidInput) as caught:
        inventory.adjust_stock_many(changes, mode=mode, actor=CLERK)
    assert field in caught.value.fields
    assert movement_count(db_session) == 0


def test_unknown_lines_and_repeated_pairs_are_refused(db_session, shelves):
    with pytest.raises(InvalidInput) as caught:
        inventory.adjust_stock_many(
            [(shelves.a, shelves.main, 1), (shelves.a, shelves.main, 2)],
            mode="receive",
            actor=CLERK,
        )
    assert "changes[1]" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        inventory.adjust_stock_many([(shelves.a, 999999, 1)], mode="receive", actor=CLERK)
    assert caught.value.fields == {"changes[0].warehouse_id": "no such warehouse"}
    inactive = make_warehouse(code="SHUT")
    inventory.update_warehouse(inactive.id, {"is_active": False}, actor=CLERK)
    with pytest.raises(InvalidInput, match="TEE-A in SHUT: the warehouse is inactive"):
        inventory.adjust_stock_many([(shelves.a, inactive.id, 1)], mode="receive", actor=CLERK)
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(StockLevel)
            .where(StockLevel.warehouse_id == inactive.id)
        )
        == 0
    )
