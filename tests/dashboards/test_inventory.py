"""The inventory dashboard: stock value, low and out of stock, days of cover and aging, checked
against an independent computation from the raw stock, catalog, ledger and sales rows; the empty
state, malformed filters and a CSV per list."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from dash.exceptions import PreventUpdate
from sqlalchemy import select, text, update

from commerce import db
from commerce.catalog.models import Product, Variant
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel, StockMovement, VariantInventory, Warehouse
from commerce.money import format_money
from commerce.reporting import rollups
from commerce.reporting.models import ProductSalesDay
from dashboards.filters import today
from dashboards.inventory.callbacks import (
    download_aging,
    download_cover,
    download_out,
    update_aging,
    update_lists,
    update_value,
)
from dashboards.inventory.layout import layout
from tests.dashboards.helpers import find, text_of
from tests.inventory.factories import CLERK, make_warehouse
from tests.reporting.factories import make_category, make_variant


def _sold(variant: Variant, day: dt.date, units: int) -> None:
    db.session.add(
        ProductSalesDay(
            day=day,
            currency="EUR",
            variant_id=variant.id,
            product_id=variant.product_id,
            category_id=variant.product.category_id,
            sku=variant.sku,
            title=variant.product.title,
            units=units,
            revenue_amount=units * 100,
            costed_revenue_amount=0,
            cost_amount=0,
        )
    )
    db.session.flush()


def _received(variant: Variant, warehouse: Warehouse, days_ago: int) -> None:
    """Date the pair's receipts `days_ago` days back. The ledger refuses updates by trigger, and
    its rows are written "now": replica mode skips the trigger, for this test's transaction."""
    db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(
        update(StockMovement)
        .where(
            StockMovement.variant_id == variant.id,
            StockMovement.warehouse_id == warehouse.id,
            StockMovement.reason == "received",
        )
        .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago))
    )
    db.session.execute(text("SET LOCAL session_replication_role = origin"))


@pytest.fixture
def stock(db_session):
    """Two warehouses (the second inactive for selling) and five variants in two categories."""
    main, spare = make_warehouse(), make_warehouse()
    shirts, shoes = make_category("Shirts"), make_category("Shoes")
    tee = make_variant(shirts, cost=1000)  # plenty, sells 3 a day
    polo = make_variant(shirts, cost=1250)  # low: 4 available, threshold 5
    boot = make_variant(shoes, cost=None)  # no cost: unvalued
    sandal = make_variant(shoes, cost=700)  # out of stock: all held back as safety stock
    cap = make_variant(None, cost=300)  # uncategorised, never received (counted in)
    inventory.receive_stock(tee.id, main.id, 90, actor=CLERK)
    inventory.receive_stock(tee.id, spare.id, 10, actor=CLERK)
    inventory.receive_stock(polo.id, main.id, 4, actor=CLERK)
    inventory.set_inventory_policy(polo.id, "deny", 5, actor=CLERK)
    inventory.receive_stock(boot.id, main.id, 7, actor=CLERK)
    inventory.receive_stock(boot.id, spare.id, 2, actor=CLERK)
    inventory.receive_stock(sandal.id, main.id, 3, actor=CLERK)
    inventory.set_safety_stock(sandal.id, main.id, 3, actor=CLERK)
    inventory.count_stock(cap.id, main.id, 11, actor=CLERK)
    db.session.execute(update(Warehouse).where(Warehouse.id == spare.id).values(is_active=False))
    _received(tee, main, 10)
    _received(tee, spare, 200)
    _received(polo, main, 45)
    _received(boot, main, 120)
    _received(boot, spare, 31)
    day = today()
    _sold(tee, day, 60)
    _sold(tee, day - dt.timedelta(days=29), 30)  # inside the 30 days
    _sold(tee, day - dt.timedelta(days=30), 1000)  # one day too old
    _sold(polo, day - dt.timedelta(days=3), 6)
    _sold(sandal, day - dt.timedelta(days=1), 2)
    # The daily rows were written directly: sum their months as the rollup refresh would.
    rollups.refresh_product_months(day - dt.timedelta(days=30), day)
    return {"main": main, "spare": spare, "tee": tee, "polo": polo, "boot": boot, "sandal": sandal}


def _expected(window: int = 30) -> dict:
    """Every figure recomputed in Python from the raw rows."""
    levels = db.session.scalars(select(StockLevel)).all()
    variants = {v.id: v for v in db.session.scalars(select(Variant))}
    products = {p.id: p for p in db.session.scalars(select(Product))}
    active = {w.id for w in db.session.scalars(select(Warehouse)) if w.is_active}
    thresholds = {
        vi.variant_id: vi.low_stock_threshold for vi in db.session.scalars(select(VariantInventory))
    }
    first = today() - dt.timedelta(days=window - 1)
    sold: dict[int, int] = {}
    for row in db.session.scalars(select(ProductSalesDay)):
        if first <= row.day <= today():
            sold[row.variant_id] = sold.get(row.variant_id, 0) + row.units
    value, units, unvalued, available = 0, 0, set(), {}
    for level in levels:
        variant = variants[level.variant_id]
        if level.on_hand > 0:
            units += level.on_hand
            if variant.cost_amount is None:
                unvalued.add(variant.id)
            else:
                value += level.on_hand * variant.cost_amount
        if level.warehouse_id in active and products[variant.product_id].status == "active":
            free = level.on_hand - level.allocated - level.reserved - level.safety_stock
            available[variant.id] = available.get(variant.id, 0) + free
    out = {vid for vid, free in available.items() if free <= 0}
    low = {
        vid
        for vid, free in available.items()
        if free > 0 and thresholds.get(vid) is not None and free <= thresholds[vid]
    }
    cover = {
        vid: (0.0 if free <= 0 else round(free / (sold[vid] / window), 1))
        for vid, free in available.items()
        if sold.get(vid)
    }
    receipts: dict[tuple[int, int], dt.datetime] = {}
    for m in db.session.scalars(select(StockMovement).where(StockMovement.reason == "received")):
        key = (m.variant_id, m.warehouse_id)
        receipts[key] = max(receipts.get(key, m.created_at), m.created_at)
    aging = dict.fromkeys(("0-30", "31-90", "91-180", "180+", "no receipt"), 0)
    for level in levels:
        if level.on_hand <= 0:
            continue
        last = receipts.get((level.variant_id, level.warehouse_id))
        if last is None:
            aging["no receipt"] += level.on_hand
            continue
        age = (today() - last.astimezone(dt.UTC).date()).days
        bucket = (
            "0-30" if age <= 30 else "31-90" if age <= 90 else "91-180" if age <= 180 else "180+"
        )
        aging[bucket] += level.on_hand
    return {
        "value": value,
        "units": units,
        "unvalued": len(unvalued),
        "out": out,
        "low": low,
        "cover": cover,
        "aging": aging,
    }


def _skus(table) -> list[str]:
    return [row.children[0].children for row in table.children[1].children]


def test_stock_value_lists_cover_and_aging_match_the_raw_rows(stock):
    expected = _expected()

    value, units, unvalued, by_warehouse, by_category, message, *_ = update_value(None, None)
    assert value == format_money(expected["value"], "EUR")
    assert units == f"{expected['units']:,}"
    assert unvalued == str(expected["unvalued"]) == "1"  # the boot, though in two warehouses
    assert message == ""
    warehouse_values = dict(zip(by_warehouse.data[0].y, by_warehouse.data[0].x, strict=True))
    assert warehouse_values == {
        stock["main"].code: (90 * 1000 + 4 * 1250 + 3 * 700 + 11 * 300) / 100,
        stock["spare"].code: 10 * 1000 / 100,
    }
    category_values = dict(zip(by_category.data[0].y, by_category.data[0].x, strict=True))
    assert category_values == {"Shirts": 1050.0, "Shoes": 21.0, "Uncategorised": 33.0}

    out_kpi, low_kpi, out_list, low_list, cover_chart, cover_list = update_lists(None, None, 30)
    variants = {v.id: v.sku for v in db.session.scalars(select(Variant))}
    assert out_kpi == str(len(expected["out"]))
    assert _skus(out_list) == [variants[vid] for vid in sorted(expected["out"])]
    assert low_kpi == "1"
    assert _skus(low_list) == [variants[vid] for vid in expected["low"]] == [stock["polo"].sku]
    shortest = sorted(expected["cover"].items(), key=lambda item: (item[1], item[0]))
    assert _skus(cover_list) == [variants[vid] for vid, _days in shortest]
    # tee: 90 available in active warehouses / (90 sold / 30 days) = 30 days.
    assert expected["cover"][stock["tee"].id] == 30.0
    assert f"{stock['tee'].sku} {stock['tee'].product.title} 90 — 90 30.0" in text_of(cover_list)
    buckets = dict(zip(cover_chart.data[0].x, cover_chart.data[0].y, strict=True))
    assert buckets["∞ (no sales)"] == len(set(variants) - set(expected["cover"])) == 2

    aging = update_aging(None, None)
    assert dict(zip(aging.data[0].x, aging.data[0].y, strict=True)) == expected["aging"]
    assert expected["aging"] == {
        "0-30": 90 + 3,
        "31-90": 4 + 2,
        "91-180": 7,
        "180+": 10,
        "no receipt": 11,
    }


def test_filters_narrow_every_figure(stock):
    spare = stock["spare"].id
    value, units, unvalued, *_ = update_value(spare, None)
    assert (value, units, unvalued) == (format_money(10 * 1000, "EUR"), "12", "1")
    # The spare warehouse does not sell: nothing there counts as available.
    out_kpi, low_kpi, *_ = update_lists(spare, None, 30)
    assert (out_kpi, low_kpi) == ("0", "0")
    shoes = stock["boot"].product.category_id
    _v, units, *_ = update_value(None, shoes)
    assert units == str(7 + 2 + 3)
    aging = update_aging(stock["main"].id, shoes)
    assert dict(zip(aging.data[0].x, aging.data[0].y, strict=True))["91-180"] == 7


def test_a_longer_sales_window_changes_the_cover(stock):
    *_, cover_list = update_lists(None, None, 60)
    # 1,090 tees over 60 days: 90 / (1090 / 60) = 5.0 days.
    assert f"{stock['tee'].sku} {stock['tee'].product.title} 90 — 1090 5.0" in text_of(cover_list)


def test_no_stock_shows_the_empty_state(db_session):
    make_warehouse()
    *_, message, empty_style, content_style = update_value(None, None)
    assert message == "No stock on hand with these filters."
    assert (empty_style, content_style) == ({}, {"display": "none"})
    out_kpi, low_kpi, out_list, *_ = update_lists(None, None, 30)
    assert (out_kpi, low_kpi, text_of(out_list)) == ("0", "0", "Nothing is out of stock.")


def test_malformed_query_string_and_controls_fall_back_to_defaults(stock):
    page = layout("?warehouse=main&category=99999999&days=forever&%zz")
    assert find(page, "inventory-warehouse").value is None
    assert find(page, "inventory-category").value is None
    assert find(page, "inventory-days").value == 30
    assert find(layout("?days=-3"), "inventory-days").value == 30
    assert find(layout(f"?warehouse={stock['main'].id}&days=45"), "inventory-days").value == 45
    assert update_value("main", "shoes")[:3] == update_value(None, None)[:3]
    assert update_lists("x", [], "fortnight")[:2] == update_lists(None, None, 30)[:2]


def test_lists_and_aging_download_as_csv(stock):
    with pytest.raises(PreventUpdate):
        download_out(None, None, None, 30)
    out = list(csv.DictReader(io.StringIO(download_out(1, None, None, 30)["content"])))
    assert [(row["sku"], row["available"]) for row in out] == [(stock["sandal"].sku, "0")]
    cover = list(csv.DictReader(io.StringIO(download_cover(1, None, None, 30)["content"])))
    assert {row["sku"]: row["cover"] for row in cover}[stock["sandal"].sku] == "0.0"
    aging = list(csv.DictReader(io.StringIO(download_aging(1, None, None, None)["content"])))
    assert {row["bucket"]: int(row["units"]) for row in aging}["no receipt"] == 11


def test_the_overview_links_the_page_and_the_router_serves_it(app, db_session):
    from dashboards import home, router

    assert find(home.layout(), "dashboards-overview").children[-1].children[0].children.href == (
        "/dashboards/inventory"
    )
    page = router.render_page("/dashboards/inventory", "?days=7")
    assert find(page, "inventory-days").value == 7
    callbacks = app.extensions["dash"].callback_map
    assert any("kpi-inventory-value.children" in key for key in callbacks)
    assert any("inventory-aging.figure" in key for key in callbacks)
