"""The sales dashboard's callbacks show the figures of the raw orders and refunds (computed here
independently), with discounts, refunds, filters, comparisons, the empty state and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from dash.exceptions import PreventUpdate

from commerce.money import format_money
from commerce.reporting import rollups
from dashboards.sales.callbacks import download_series, update_sales
from tests.dashboards.helpers import find
from tests.reporting.factories import at, expected_sales, make_sale, make_shop

D1 = dt.date(2026, 3, 2)
D2 = dt.date(2026, 3, 3)


def _expected(country=None, channel=None, first=D1, last=D2):
    rows = [
        row
        for (day, _cur, c, ch), row in expected_sales().items()
        if first <= day <= last and country in (None, c) and channel in (None, ch)
    ]
    return {field: sum(row[field] for row in rows) for field in rows[0]}


def _kpis(cards) -> dict[str, str]:
    names = ("gross", "discounts", "refunds", "net", "tax", "shipping", "orders", "aov", "units")
    return {name: find(cards, f"kpi-{name}").children for name in names}


def test_kpis_are_the_raw_orders_figures(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)

    cards, _figure, message, empty_style, content_style = update_sales(
        D1.isoformat(), D2.isoformat(), None, None, None, "EUR", "day"
    )

    want = _expected()
    shown = _kpis(cards)
    for name in ("gross", "discounts", "refunds", "net", "tax", "shipping"):
        assert shown[name] == format_money(want[name], "EUR"), name
    assert shown["orders"] == f"{want['orders']:,}" and shown["units"] == f"{want['units']:,}"
    aov = round((want["gross"] - want["discounts"]) / want["orders"])
    assert shown["aov"] == format_money(aov, "EUR")
    # 3 orders: 130.00 + 240.00 + 49.00 gross; 5.00 + 12.00 + 1.00 off; 20.00 + 15.00 back.
    assert (want["orders"], want["gross"], want["discounts"], want["refunds"]) == (
        3,
        41900,
        1800,
        3500,
    )
    assert shown["net"] == format_money(41900 - 1800 - 3500, "EUR")
    assert message == "" and empty_style == {"display": "none"} and content_style == {}


def test_filters_narrow_the_figures(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)

    cards, *_ = update_sales(D1.isoformat(), D2.isoformat(), "FR", None, None, "EUR", "day")
    assert _kpis(cards)["net"] == format_money(_expected(country="FR")["net"], "EUR")
    cards, *_ = update_sales(D1.isoformat(), D2.isoformat(), None, None, "app", "EUR", "day")
    assert _kpis(cards)["gross"] == format_money(_expected(channel="app")["gross"], "EUR")
    cards, *_ = update_sales(D1.isoformat(), D2.isoformat(), "none", None, None, "EUR", "day")
    assert _kpis(cards)["orders"] == "1"  # the order that ships nowhere


def test_a_category_shows_its_lines_and_no_shipping(db_session):
    o1, o2, _o6 = make_shop(D1, D2)
    rollups.refresh_days(D1, D2)
    shoes = o2.lines[0].variant.product.category_id

    cards, *_ = update_sales(D1.isoformat(), D2.isoformat(), None, shoes, None, "EUR", "day")

    shown = _kpis(cards)
    boots = [line for order in (o1, o2) for line in order.lines if line.sku == o2.lines[0].sku]
    gross = sum(line.quantity * line.unit_price_amount for line in boots)
    discounts = sum(line.discount_amount for line in boots)
    assert shown["gross"] == format_money(gross, "EUR")
    assert shown["discounts"] == format_money(discounts, "EUR")
    assert shown["refunds"] == format_money(0, "EUR")  # o2's refund was not by line
    assert shown["orders"] == "2" and shown["units"] == "4"
    assert shown["shipping"] == "—"


def test_the_series_compares_with_the_previous_period_and_last_year(db_session):
    make_shop(D1, D2)
    make_sale(at(D1 - dt.timedelta(days=2)), [(None, 1, 7000, 0)])  # previous period, 1st day
    make_sale(at(D2.replace(year=2025)), [(None, 1, 3000, 0)])  # a year before the 2nd day
    rollups.rebuild(D2.replace(year=2025), D2)

    _cards, figure, *_ = update_sales(
        D1.isoformat(), D2.isoformat(), None, None, None, "EUR", "day"
    )

    current, previous, last_year = figure.data
    by_day = {}
    for (day, *_rest), row in expected_sales().items():
        by_day[day] = by_day.get(day, 0) + row["net"]
    assert list(current.x) == [D1, D2]
    assert list(current.y) == [by_day[D1] / 100, by_day[D2] / 100]
    assert list(previous.y) == [70.0, 0.0]
    assert list(last_year.y) == [0.0, 30.0]


def test_week_grain_adds_days_into_weeks(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)
    _cards, figure, *_ = update_sales("2026-03-01", "2026-03-08", None, None, None, "EUR", "week")
    assert list(figure.data[0].x) == [dt.date(2026, 2, 23), dt.date(2026, 3, 2)]
    assert figure.data[0].y[1] * 100 == _expected()["net"]


def test_an_empty_range_shows_the_empty_state(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)
    cards, _figure, message, empty_style, content_style = update_sales(
        "2025-01-01", "2025-01-31", None, None, None, "EUR", "day"
    )
    assert cards == []
    assert message == "No sales from 2025-01-01 to 2025-01-31 with these filters."
    assert empty_style == {} and content_style == {"display": "none"}


def test_malformed_controls_fall_back_to_defaults(db_session):
    today = dt.datetime.now(dt.UTC).date()
    make_sale(at(today, 0), [(None, 2, 1500, 0)])
    rollups.refresh_day(today)
    cards, *_ = update_sales("soon", None, "Germany", "shoes", "fax", "XXX", "fortnight")
    assert _kpis(cards)["gross"] == format_money(3000, "EUR")


def test_the_chart_downloads_as_csv(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)
    with pytest.raises(PreventUpdate):
        download_series(None, D1.isoformat(), D2.isoformat(), None, None, None, "EUR", "day")
    sent = download_series(1, D1.isoformat(), D2.isoformat(), None, None, None, "EUR", "day")
    assert sent["filename"] == "net-sales-2026-03-02-2026-03-03.csv"
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert [row["period"] for row in rows] == ["2026-03-02", "2026-03-03"]
    assert sum(int(row["current"]) for row in rows) == _expected()["net"]


def test_the_sales_callback_answers_over_http(sign_in):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)
    client, _user = sign_in("manager")
    ids = ("sales-kpis", "sales-series", "sales-empty", "sales-empty", "sales-content")
    props = ("children", "figure", "children", "style", "style")
    values = {
        ("sales-dates", "start_date"): D1.isoformat(),
        ("sales-dates", "end_date"): D2.isoformat(),
        ("sales-country", "value"): None,
        ("sales-category", "value"): None,
        ("sales-channel", "value"): None,
        ("sales-currency", "value"): "EUR",
        ("sales-grain", "value"): "day",
    }
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in zip(ids, props, strict=True)) + "..",
        "outputs": [{"id": i, "property": p} for i, p in zip(ids, props, strict=True)],
        "inputs": [{"id": i, "property": p, "value": v} for (i, p), v in values.items()],
        "changedPropIds": ["sales-grain.value"],
        "state": [],
    }
    response = client.post(
        "/dashboards/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    answer = response.get_json()["response"]
    assert format_money(_expected()["net"], "EUR") in json.dumps(answer["sales-kpis"])
    assert answer["sales-series"]["figure"]["data"][0]["x"] == ["2026-03-02", "2026-03-03"]
