"""The products dashboard's callbacks: best sellers, categories, margin, sell-through and slow
movers, checked against the raw order lines and stock, and a CSV per chart."""

from __future__ import annotations

import csv
import datetime as dt
import io

from commerce.inventory import service as inventory
from commerce.reporting import rollups
from dashboards.products.callbacks import download_categories, download_slow, update_products
from tests.dashboards.helpers import text_of
from tests.inventory.factories import CLERK, make_warehouse
from tests.reporting.factories import make_category, make_shop, make_variant

D1 = dt.date(2026, 3, 2)
D2 = dt.date(2026, 3, 3)


def _revenue_by_sku(orders) -> dict[str, int]:
    revenue: dict[str, int] = {}
    for order in orders:
        for line in order.lines:
            amount = line.quantity * line.unit_price_amount - line.discount_amount
            revenue[line.sku] = revenue.get(line.sku, 0) + amount
    return revenue


def test_top_products_margin_and_sell_through(db_session):
    o1, o2, o6 = make_shop(D1, D2)
    warehouse = make_warehouse()
    tee = o1.lines[0].variant
    inventory.receive_stock(tee.id, warehouse.id, 7, actor=CLERK)
    rollups.refresh_days(D1, D2)

    by_revenue, by_units, categories, margin, _slow, message, *_ = update_products(
        D1.isoformat(), D2.isoformat(), None, "EUR"
    )

    revenue = _revenue_by_sku([o1, o2, o6])  # the counted orders only
    best = sorted(revenue, key=lambda sku: -revenue[sku])
    assert [v * 100 for v in by_revenue.data[0].x] == [revenue[sku] for sku in best]
    assert by_units.data[0].x[0] == 4  # 4 boots
    assert message == ""
    # tee: 3 sold for 70.00 at 10.00 cost each -> margin 40.00 (57.1 %); 3 / (3 + 7) sold.
    row = text_of(margin)
    assert f"{tee.sku} {tee.product.title} 3 70.00 EUR 40.00 EUR 57.1 30.0" in row
    # Boots have no cost: no margin is claimed.
    assert "— —" in row
    assert sorted(categories.data[0].y) == sorted(["Shirts", "Shoes", "Uncategorised"])


def test_slow_movers_are_stocked_variants_that_sold_least(db_session):
    make_shop(D1, D2)
    warehouse = make_warehouse()
    shelf = make_variant(make_category("Hats"), price=900, cost=200)
    inventory.receive_stock(shelf.id, warehouse.id, 40, actor=CLERK)
    rollups.refresh_days(D1, D2)

    *_charts, _margin, slow, _message, _e, _c = update_products(
        D1.isoformat(), D2.isoformat(), None, "EUR"
    )
    assert text_of(slow).split(" Sell-through % ")[1].startswith(f"{shelf.sku} ")
    sent = download_slow(1, D1.isoformat(), D2.isoformat(), None, "EUR")
    first = next(csv.DictReader(io.StringIO(sent["content"])))
    assert (first["sku"], first["units"], first["on_hand"], first["sell_through_pct"]) == (
        shelf.sku,
        "0",
        "40",
        "0.0",
    )


def test_an_empty_range_says_so(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)
    *_figures, message, _empty, _content = update_products("2025-01-01", "2025-01-02", None, "EUR")
    assert message == "No products sold from 2025-01-01 to 2025-01-02 with these filters."


def test_categories_download_as_csv(db_session):
    o1, o2, o6 = make_shop(D1, D2)
    rollups.refresh_days(D1, D2)
    sent = download_categories(1, D1.isoformat(), D2.isoformat(), None, "EUR")
    rows = {row["category"]: row for row in csv.DictReader(io.StringIO(sent["content"]))}
    revenue = _revenue_by_sku([o1, o2, o6])
    boots = o2.lines[0].sku
    assert int(rows["Shoes"]["revenue"]) == revenue[boots]
    assert int(rows["Shoes"]["units"]) == 4
    assert rows["Shoes"]["margin"] == ""  # no cost known
