"""The products dashboard's callbacks: best sellers, categories, margin, sell-through and slow
movers, checked against the raw order lines and stock, and a CSV per chart; ranges longer than a
month (whole months read from product_sales_monthly) match the raw order lines too, and an order
event keeps its month right."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select, text

from commerce import db
from commerce.inventory import service as inventory
from commerce.orders.models import Order
from commerce.reporting import queries, rollups
from dashboards.products.callbacks import download_categories, download_slow, update_products
from jobs.handlers.reporting import refresh_order_rollups
from tests.dashboards.helpers import text_of
from tests.inventory.factories import CLERK, make_warehouse
from tests.reporting.factories import (
    COUNTED,
    at,
    make_category,
    make_sale,
    make_shop,
    make_variant,
)

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


# --- long ranges: whole months from product_sales_monthly, the rest from the days -----------


def _months_shop():
    """Sales from late January to early April 2026 in two categories, on month edges, with
    orders that do not count and a line whose variant is gone."""
    shirts, shoes = make_category("Shirts"), make_category("Shoes")
    tee = make_variant(shirts, price=2500, cost=1000)
    boot = make_variant(shoes, price=8000, cost=None)
    cap = make_variant(None, price=1200, cost=300)
    sales = [
        (dt.date(2026, 1, 20), [(tee, 1, 2500, 0)], "paid"),
        (dt.date(2026, 1, 31), [(boot, 2, 8000, 500), (cap, 1, 1200, 0)], "delivered"),
        (dt.date(2026, 2, 1), [(tee, 3, 2500, 300)], "paid"),
        (dt.date(2026, 2, 14), [(cap, 5, 1200, 0), (None, 1, 999, 0)], "fulfilled"),
        (dt.date(2026, 2, 28), [(boot, 1, 8000, 0)], "paid"),
        (dt.date(2026, 2, 28), [(boot, 9, 8000, 0)], "cancelled"),
        (dt.date(2026, 3, 1), [(tee, 2, 2500, 0), (boot, 1, 8000, 800)], "paid"),
        (dt.date(2026, 3, 17), [(cap, 4, 1200, 100)], "on_hold"),
        (dt.date(2026, 3, 31), [(tee, 6, 2500, 0)], "pending_payment"),
        (dt.date(2026, 3, 31), [(boot, 1, 8000, 0)], "paid"),
        (dt.date(2026, 4, 1), [(tee, 1, 2500, 0)], "paid"),
        (dt.date(2026, 4, 10), [(cap, 2, 1200, 0)], "paid"),
    ]
    orders = [make_sale(at(day, 23), lines, status=status) for day, lines, status in sales]
    rollups.rebuild(dt.date(2026, 1, 1), dt.date(2026, 4, 30))
    return orders, {"tee": tee, "boot": boot, "cap": cap}


def _raw_products(first: dt.date, last: dt.date) -> dict[str | None, tuple[int, int]]:
    """{sku (None: a variant that is gone): (units, revenue)} of the counted orders placed on
    `first`..`last`, from the order lines."""
    out: dict[str | None, tuple[int, int]] = {}
    for order in db.session.scalars(select(Order)):
        if order.status not in COUNTED or not first <= order.placed_at.date() <= last:
            continue
        for line in order.lines:
            key = line.sku if line.variant_id else None
            units, revenue = out.get(key, (0, 0))
            amount = line.quantity * line.unit_price_amount - line.discount_amount
            out[key] = (units + line.quantity, revenue + amount)
    return out


RANGES = [
    (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),  # one whole month
    (dt.date(2026, 1, 25), dt.date(2026, 3, 31)),  # days of January, then February and March
    (dt.date(2026, 1, 31), dt.date(2026, 4, 1)),  # a day on each side of two whole months
    (dt.date(2026, 2, 10), dt.date(2026, 3, 20)),  # no whole month
    (dt.date(2026, 1, 1), dt.date(2026, 4, 30)),  # four whole months
    (dt.date(2026, 3, 1), dt.date(2026, 3, 1)),  # one day
]


@pytest.mark.parametrize(("first", "last"), RANGES)
def test_long_ranges_match_the_raw_order_lines(db_session, first, last):
    _orders, _variants = _months_shop()

    overview = queries.products_overview(first, last, "EUR", limit=100)

    got = {
        (None if row["sku"] == queries.DELETED else row["sku"]): (row["units"], row["revenue"])
        for row in overview["by_revenue"]
    }
    assert got == _raw_products(first, last)
    assert sum(row["units"] for row in overview["categories"]) == sum(
        units for units, _revenue in got.values()
    )


def test_the_monthly_rows_are_the_sums_of_the_daily_rows(db_session):
    _months_shop()
    sums = (
        "SELECT {month}, currency, variant_id, category_id, sum(units), sum(revenue_amount),"
        " sum(costed_revenue_amount), sum(cost_amount) FROM {table} GROUP BY 1, 2, 3, 4"
    )
    daily = db_session.execute(
        text(sums.format(month="date_trunc('month', day)::date", table="product_sales_daily"))
    ).all()
    monthly = db_session.execute(
        text(sums.format(month="month", table="product_sales_monthly"))
    ).all()
    assert sorted(monthly, key=repr) == sorted(daily, key=repr)
    assert {row[0] for row in monthly} == {dt.date(2026, m, 1) for m in (1, 2, 3, 4)}


def test_an_order_event_updates_its_whole_month(db_session):
    _orders, variants = _months_shop()
    february = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    late = make_sale(at(dt.date(2026, 2, 20), 10), [(variants["tee"], 4, 2500, 0)])

    assert refresh_order_rollups({"payload": {"order_id": late.id}}) == "refreshed 2026-02-20"

    tee = variants["tee"].sku
    overview = queries.products_overview(*february, "EUR", limit=100)
    assert {row["sku"]: row["units"] for row in overview["by_units"]}[tee] == 3 + 4
    assert {r["sku"]: (r["units"], r["revenue"]) for r in overview["by_revenue"]} == {
        (sku or queries.DELETED): figures for sku, figures in _raw_products(*february).items()
    }

    late.status = "cancelled"
    db_session.commit()
    refresh_order_rollups({"payload": {"order_id": late.id}})
    overview = queries.products_overview(*february, "EUR", limit=100)
    assert {row["sku"]: row["units"] for row in overview["by_units"]}[tee] == 3


def _monthly(month: dt.date) -> list[tuple]:
    return db.session.execute(
        text(
            "SELECT variant_id, units, revenue_amount FROM product_sales_monthly"
            " WHERE month = :month ORDER BY 1"
        ),
        {"month": month},
    ).all()


def test_a_month_is_summed_once_it_has_ended_and_read_from_the_days_till_then(
    db_session, monkeypatch
):
    tee = make_variant(make_category("Shirts"), price=2500, cost=1000)
    this_month = rollups._this_month()
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    today = dt.datetime.now(dt.UTC).date()
    before = make_sale(at(last_month + dt.timedelta(days=9)), [(tee, 2, 2500, 0)])
    monkeypatch.setattr(rollups, "_this_month", lambda: last_month)  # while it was in progress
    rollups.refresh_order(before.id)
    assert _monthly(last_month) == []
    monkeypatch.undo()
    whole = (last_month, this_month - dt.timedelta(days=1))
    assert rollups.product_sales_between(*whole)["ps_months"] == []  # read from its days

    # It has ended: the next refresh (an event of today's order) sums it, never this month.
    now = make_sale(at(today, 0), [(tee, 1, 2500, 0)])
    rollups.refresh_order(now.id)

    assert _monthly(last_month) == [(tee.id, 2, 5000)] and _monthly(this_month) == []
    assert rollups.product_sales_between(*whole) == {"ps_days": [], "ps_months": [last_month]}
    for first, last in (whole, (last_month, today), (this_month, today)):
        overview = queries.products_overview(first, last, "EUR", limit=100)
        got = {row["sku"]: (row["units"], row["revenue"]) for row in overview["by_revenue"]}
        assert got == _raw_products(first, last)
    # A later change to a day of the closed month sums it again.
    before.status = "cancelled"
    db_session.commit()
    rollups.refresh_order(before.id)
    assert _monthly(last_month) == []
