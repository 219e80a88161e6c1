"""Catalog export: the import's own columns, so an export imports back unchanged; a job with
progress."""

import io

import pytest
from openpyxl import load_workbook

from commerce.catalog import exporter, importer
from commerce.catalog.importer_rows import parse
from commerce.errors import InvalidInput, NotFound
from devtools import seed
from jobs import exports
from tests.jobs.test_events import run_worker


@pytest.fixture
def exports_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


def _small_shop():
    seed.seed_demo(products=15, customers=5, orders=10, progress=lambda _line: None)


def test_an_export_imports_back_with_nothing_to_change(db_session, exports_dir):
    _small_shop()
    path = exports_dir / "all.csv"
    written = exporter.write(path, "csv", exporter.ExportFilters())
    assert written == exporter.count(exporter.ExportFilters()) > 15
    plan = importer.plan(parse(path.read_bytes(), "all.csv"))
    assert plan.errors == []
    statuses = {v.action for p in plan.products for v in p.variants}
    assert statuses == {"unchanged"}


def test_filters_and_xlsx(db_session, exports_dir):
    _small_shop()
    path = exports_dir / "active.xlsx"
    rows = exporter.write(path, "xlsx", exporter.ExportFilters(status="active"))
    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active
    values = list(sheet.values)
    header, body = values[0], values[1:]
    assert len(body) == rows and rows > 0
    status = header.index("status")
    assert {row[status] for row in body} == {"active"}
    with pytest.raises(InvalidInput, match="format"):
        exporter.write(exports_dir / "x.pdf", "pdf", exporter.ExportFilters())
    with pytest.raises(InvalidInput, match="brand_id: must be a number"):
        exporter.ExportFilters.from_dict({"brand_id": "acme"})


@pytest.mark.committed
def test_export_job_reports_progress_and_writes_the_file(app, db_session, exports_dir):
    _small_shop()
    export_id = exports.start_export({"status": "active"}, "csv")
    assert exports.export_status(export_id)["status"] == "queued"
    run_worker(app, queues=("reports",))
    status = exports.export_status(export_id)
    assert status["status"] == "finished"
    assert status["rows_done"] == status["rows_total"] > 0
    path = exports.export_path(export_id, "csv")
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].startswith("handle,title,status")
    with pytest.raises(NotFound):
        exports.export_status("../../etc/passwd")


def test_the_product_lists_filters_are_checked_before_an_export_starts(db_session):
    good = exporter.ExportFilters.from_dict(
        {
            "where": [
                ["brand", "equals", "7"],
                ["created_at", "between", ["2025-01-01", "2025-02-01"]],
            ],
            "list_search": " tee ",
            "sort": "title",
            "descending": True,
        }
    )
    assert good.where == (
        ("brand", "equals", 7),
        ("created_at", "between", ["2025-01-01T00:00:00", "2025-02-01T00:00:00"]),
    )
    assert (good.list_search, good.sort, good.descending) == ("tee", "title", True)
    bad = [
        ({"where": [["colour", "equals", "red"]]}, "where[0]"),
        ({"where": [["brand", "equals", "acme"]]}, "where[0]"),
        ({"where": [["updated_at", "after", "soon"]]}, "where[0]"),
        ({"where": [["updated_at", "between", ["2025-01-01"]]]}, "where[0]"),
        ({"where": "status=draft"}, "where"),
        ({"sort": "price"}, "sort"),
        ({"descending": "yes"}, "descending"),
    ]
    for values, field in bad:
        with pytest.raises(InvalidInput) as caught:
            exporter.ExportFilters.from_dict(values)
        assert field in caught.value.fields, values
    with pytest.raises(InvalidInput, match="sort: must be one of"):
        exports.start_export({"sort": "price"}, "csv")
