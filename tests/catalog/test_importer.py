"""Catalog import: the sample template plans and applies, a dry run writes nothing, re-imports
update, bad rows reject their product whole with row- and field-named errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from commerce.audit import AuditEntry
from commerce.catalog import categories, importer, product_types
from commerce.catalog import service as catalog
from commerce.catalog.models import Brand, Product, Variant
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from commerce.inventory.models import StockLevel, StockMovement
from jobs import imports
from tests.factories import SYSTEM
from tests.inventory.factories import make_warehouse

SAMPLE = Path(__file__).resolve().parents[2] / "devtools" / "sample_catalog_import.csv"


@pytest.fixture
def refs(db_session):
    """What the sample template refers to: category, brand, T-shirt type, warehouse MAIN."""
    return make_sample_refs(db_session)


def make_sample_refs(db_session):
    """Create the category, brand, T-shirt type and warehouse MAIN the sample template names."""
    categories.create_category(name="T-shirts", slug="t-shirts", actor=SYSTEM)
    db_session.add(Brand(name="Acme", slug="acme"))
    db_session.commit()
    for code, kind, choices in (
        ("material", "choice", ["Cotton", "Linen"]),
        ("organic", "boolean", []),
        ("size", "choice", ["S", "M", "L"]),
        ("colour", "choice", ["Black", "White"]),
    ):
        product_types.create_attribute(
            code=code, name=code.title(), kind=kind, choices=choices, actor=SYSTEM
        )
    product_types.create_product_type(
        name="T-shirt",
        actor=SYSTEM,
        attributes=[
            {"code": "material", "required": True},
            {"code": "organic"},
            {"code": "size", "variant_axis": True},
            {"code": "colour", "variant_axis": True},
        ],
    )
    return make_warehouse(code="MAIN")


def counts(db_session) -> dict[str, int]:
    return {
        model.__name__: db_session.scalar(select(func.count()).select_from(model))
        for model in (Product, Variant, StockLevel, StockMovement, AuditEntry)
    }


def sample_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def edited(column: str, row: int, value: str) -> bytes:
    """The sample with one cell changed (row as the spreadsheet numbers it)."""
    rows = sample_rows()
    rows[row - 1][rows[0].index(column)] = value
    return to_csv(rows)


def planned(content: bytes, filename: str = "catalog.csv") -> importer.Plan:
    return importer.plan(importer.parse(content, filename))


def messages(plan_or_result) -> list[str]:
    return [str(e) for e in plan_or_result.errors]


def test_sample_template_plans_cleanly_and_applies(db_session, refs):
    plan = planned(SAMPLE.read_bytes())
    assert plan.errors == []
    assert plan.counts() == {"products": {"create": 2}, "variants": {"create": 5}}

    result = importer.apply(plan, SYSTEM)

    assert result.errors == [] and result.stock_counts == 5  # a count of 0 is still a count
    tee = db_session.scalar(select(Product).where(Product.slug == "classic-tee"))
    assert (tee.title, tee.status, tee.category.slug, tee.brand.slug) == (
        "Classic Tee",
        "active",
        "t-shirts",
        "acme",
    )
    assert tee.attributes == {"material": "Cotton", "organic": True}
    assert tee.tags == ["basics", "cotton"]
    skus = {v.sku: v for v in tee.variants}
    assert set(skus) == {"TEE-CL-S-BLK", "TEE-CL-M-BLK", "TEE-CL-L-WHT"}
    small = skus["TEE-CL-S-BLK"]
    assert (small.price_amount, small.compare_at_amount, small.cost_amount) == (1999, 2499, 650)
    assert small.option_values == {"size": "S", "colour": "Black"}
    level = db_session.scalar(select(StockLevel).where(StockLevel.variant_id == small.id))
    assert (level.warehouse_id, level.on_hand) == (refs.id, 25)
    movement = db_session.scalar(select(StockMovement).where(StockMovement.variant_id == small.id))
    assert (movement.reason, movement.delta) == ("counted", 25)
    actions = set(db_session.scalars(select(AuditEntry.action)))
    assert {"product.create", "variant.create", "stock.count"} <= actions
    assert db_session.scalar(select(func.count()).select_from(Variant)) == 5


def test_dry_run_writes_nothing(db_session, refs):
    before = counts(db_session)
    plan = planned(SAMPLE.read_bytes())
    assert plan.counts()["variants"] == {"create": 5}
    assert counts(db_session) == before


def test_reimport_updates_changed_price_and_reports_unchanged_rows(db_session, refs):
    importer.apply(planned(SAMPLE.read_bytes()), SYSTEM)

    plan = planned(edited("price", 3, "17.50"))

    assert plan.errors == []
    by_sku = {v.sku: v for p in plan.products for v in p.variants}
    assert by_sku["TEE-CL-M-BLK"].action == "update"
    assert by_sku["TEE-CL-M-BLK"].values == {"price_amount": 1750}
    assert {by_sku[s].action for s in by_sku if s != "TEE-CL-M-BLK"} == {"unchanged"}
    assert [p.action for p in plan.products] == ["update", "unchanged"]

    result = importer.apply(plan, SYSTEM)
    assert result.counts["variants"] == {"update": 1, "unchanged": 4}
    variant = db_session.scalar(select(Variant).where(Variant.sku == "TEE-CL-M-BLK"))
    db_session.refresh(variant)
    assert variant.price_amount == 1750
    assert db_session.scalar(select(func.count()).select_from(Variant)) == 5


def test_one_bad_row_rejects_its_product_whole_and_imports_the_others(
    db_session, refs, monkeypatch
):
    monkeypatch.setattr(importer, "BATCH_SIZE", 1)  # a commit after every written product
    plan = planned(edited("price", 3, "abc"))

    assert messages(plan) == [
        "row 2: not imported: row 3 of this product is bad",
        "row 3, price: must be a number, e.g. 19.99",
        "row 4: not imported: row 3 of this product is bad",
    ]
    assert [p.action for p in plan.products] == ["rejected", "create"]
    result = importer.apply(plan, SYSTEM)
    assert result.counts["products"] == {"rejected": 1, "create": 1}
    slugs = set(db_session.scalars(select(Product.slug)))
    assert slugs == {"linen-tee"}
    assert db_session.scalar(select(func.count()).select_from(Variant)) == 2


def test_wrong_encoding_is_named(db_session):
    content = SAMPLE.read_text(encoding="utf-8").replace("soft", "söft").encode("latin-1")
    with pytest.raises(InvalidInput, match=r"file: not UTF-8 text \(save it as CSV UTF-8\)"):
        importer.parse(content, "catalog.csv")


def test_utf8_with_bom_is_read(db_session, refs):
    assert planned(b"\xef\xbb\xbf" + SAMPLE.read_bytes()).errors == []


def test_missing_and_unknown_columns_are_named(db_session):
    with pytest.raises(InvalidInput, match="file: missing columns: sku, price"):
        importer.parse(b"title,handle\nTee,tee\n", "catalog.csv")
    with pytest.raises(InvalidInput, match="file: unknown columns: colour, wieght"):
        importer.parse(b"sku,title,price,colour,wieght,attr:x\nA,T,1,,,\n", "catalog.csv")


def test_bad_numbers_unknown_values_and_duplicate_skus_name_row_and_field(db_session, refs):
    rows = sample_rows()
    header = rows[0]
    rows[2][header.index("weight_grams")] = "1.5"  # row 3
    rows[3][header.index("stock:MAIN")] = "-2"  # row 4
    rows[4][header.index("attr:material")] = "Silk"  # row 5
    rows[5][header.index("sku")] = "TEE-LN-M-WHT"  # row 6 repeats row 5's SKU
    rows[1][header.index("compare_at")] = "24.999"  # row 2
    plan = planned(to_csv(rows))

    errors = [e for e in messages(plan) if "not imported" not in e]
    assert errors == [
        "row 2, compare_at: at most 2 decimal places",
        "row 3, weight_grams: must be a whole number",
        "row 4, stock:MAIN: must not be negative",
        "row 5, attr:material: must be one of Cotton, Linen",
        "row 6, sku: TEE-LN-M-WHT is also on row 5",
    ]
    assert {p.action for p in plan.products} == {"rejected"}


def test_unknown_option_value_and_reference_are_named(db_session, refs):
    plan = planned(edited("option:size", 5, "XXL"))
    assert "row 5, option:size: must be one of S, M, L" in messages(plan)
    plan = planned(edited("brand", 2, "nobody"))
    assert "row 2, brand: no such brand (nobody)" in messages(plan)


def test_xlsx_works_like_csv(db_session, refs):
    book = openpyxl.Workbook()
    sheet = book.active
    for i, row in enumerate(sample_rows()):
        cells: list[object] = list(row)
        if i:  # numbers as a spreadsheet stores them
            header = sample_rows()[0]
            for column in ("price", "weight_grams", "stock:MAIN"):
                index = header.index(column)
                cells[index] = float(row[index]) if "." in row[index] else int(row[index])
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)

    plan = planned(buffer.getvalue(), "catalog.xlsx")

    assert plan.errors == []
    assert plan.counts() == planned(SAMPLE.read_bytes()).counts()
    prices = {v.sku: v.values["price_amount"] for p in plan.products for v in p.variants}
    assert prices["TEE-CL-S-BLK"] == 1999 and prices["TEE-LN-M-WHT"] == 2900


def test_jobs_store_plan_errors_csv_and_result(app, db_session, refs, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORTS_DIR", str(tmp_path))
    import_id = imports.store_upload(edited("price", 5, "x"), "catalog.csv")
    before = counts(db_session)

    summary = imports.dry_run_import(import_id)

    assert counts(db_session) == before
    folder = tmp_path / import_id
    assert json.loads((folder / "plan.json").read_text())["counts"] == summary["counts"]
    report = list(csv.reader(io.StringIO((folder / "errors.csv").read_text())))
    assert report[0] == ["row", "column", "problem"]
    assert ["5", "price", "must be a number, e.g. 19.99"] in report
    assert ["6", "", "not imported: row 5 of this product is bad"] in report

    result = imports.apply_import(import_id, {"kind": "staff", "id": None, "label": "m@shop"})

    assert result["counts"]["products"] == {"create": 1, "rejected": 1}
    assert json.loads((folder / "result.json").read_text())["counts"] == result["counts"]
    assert set(db_session.scalars(select(Product.slug))) == {"classic-tee"}
    labels = set(db_session.scalars(select(AuditEntry.actor_label)))
    assert "m@shop" in labels


@pytest.mark.committed
def test_dry_run_runs_on_a_real_worker_and_reports_progress(app, db_session, tmp_path, monkeypatch):
    from rq import Queue

    from commerce.kv import get_redis
    from tests.jobs.test_events import run_worker

    monkeypatch.setitem(app.config, "IMPORTS_DIR", str(tmp_path))
    import_id = imports.store_upload(SAMPLE.read_bytes(), "catalog.csv")
    job = Queue("default", connection=get_redis()).enqueue(imports.dry_run_import, import_id)

    run_worker(app, queues=("default",))

    job.refresh()
    assert job.get_status() == "finished"
    assert job.meta == {"rows_done": 5, "rows_total": 5}
    report = (tmp_path / import_id / "errors.csv").read_text()
    assert "row 2, category" not in report and "2,category,no such category (t-shirts)" in report
    assert db_session.scalar(select(func.count()).select_from(Product)) == 0


def test_dry_run_of_a_malformed_file_reports_the_file_problem(
    app, db_session, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORTS_DIR", str(tmp_path))
    import_id = imports.store_upload(b"sku,title\nA,Tee\n", "catalog.csv")

    summary = imports.dry_run_import(import_id)

    assert summary["counts"] == {"products": {}, "variants": {}}
    assert [e["text"] for e in summary["errors"]] == ["file: missing columns: price"]
    assert (tmp_path / import_id / "errors.csv").read_text().splitlines()[1] == (
        ",file,missing columns: price"
    )
    with pytest.raises(InvalidInput, match=r"file: must be a \.csv or \.xlsx file"):
        imports.store_upload(b"x", "catalog.txt")


def test_product_failing_while_written_is_rolled_back_whole(db_session, refs):
    plan = planned(SAMPLE.read_bytes())
    # Between the dry run and the confirmation someone takes the third SKU of the first product.
    other = catalog.create_product(title="Other", actor=SYSTEM)
    catalog.create_variant(other.id, sku="TEE-CL-L-WHT", price_amount=100, actor=SYSTEM)

    result = importer.apply(plan, SYSTEM)

    assert messages(result) == ["row 4, sku: TEE-CL-L-WHT is already used by another variant"]
    assert result.counts["products"] == {"rejected": 1, "create": 1}
    assert set(db_session.scalars(select(Product.slug))) == {"other", "linen-tee"}
    assert db_session.scalar(select(func.count()).select_from(Variant)) == 3
    audited = set(
        db_session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "product.create")
        )
    )
    assert len(audited) == 2


def test_a_batch_writes_audit_rows_with_before_and_after_and_one_event_per_product(
    db_session, refs
):
    importer.apply(planned(SAMPLE.read_bytes()), SYSTEM)
    created = db_session.execute(
        select(OutboxEvent.name, func.count()).group_by(OutboxEvent.name)
    ).all()
    assert dict(created)["product.created"] == 2
    first_event = db_session.scalar(select(func.max(OutboxEvent.id)))

    importer.apply(planned(edited("price", 3, "17.50")), SYSTEM)

    tee = db_session.scalar(select(Variant).where(Variant.sku == "TEE-CL-M-BLK"))
    entry = db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "variant.update", AuditEntry.object_id == str(tee.id)
        )
    )
    assert entry.changes == {"price_amount": [1999, 1750]}
    assert entry.actor_label == SYSTEM.label
    events = db_session.execute(
        select(OutboxEvent.name, OutboxEvent.payload).where(OutboxEvent.id > first_event)
    ).all()
    assert events == [("product.updated", {"product_id": tee.product_id, "fields": ["variants"]})]
