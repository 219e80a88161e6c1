"""The customers dashboard shows the figures of the raw orders and refunds (computed here
independently): new and returning customers, cohorts, lifetime value, the map, its filters, the
empty state, malformed controls and the CSVs."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from dash.exceptions import PreventUpdate
from sqlalchemy import select

from commerce import db
from commerce.money import format_money
from commerce.orders.models import Order
from commerce.payments.models import Refund
from commerce.reporting import customers, rollups
from dashboards import router
from dashboards.customers.callbacks import (
    download_cohorts,
    download_map,
    update_customers,
    update_ltv,
    update_map,
)
from jobs.handlers.reporting import refresh_customer_rollups
from tests.carts.factories import make_customer
from tests.dashboards.helpers import find
from tests.reporting.factories import at, make_refund, make_sale

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))
RANGE = ("2026-01-01", "2026-04-30")
NOT_COUNTED = ("draft", "pending_payment", "cancelled")


def _sale(customer, day, amount, *, status="paid", country="DE", channel="web", region=None):
    order = make_sale(
        at(day), [(None, 1, amount, 0)], status=status, country=country, channel=channel
    )
    order.customer_id = customer.id if customer else None
    if region:
        order.shipping_address = {"region": region, "postcode": "94103"}
    db.session.commit()
    return order


def make_customers():
    """Four customers and a guest over December to April, with refunds and uncounted orders."""
    a, b, c, d = (make_customer() for _ in range(4))
    a1 = _sale(a, dt.date(2026, 1, 5), 10000)
    _sale(a, dt.date(2025, 12, 20), 9900, status="cancelled")  # not A's first order
    _sale(a, dt.date(2026, 2, 7), 5000, country="FR", channel="app")
    _sale(a, dt.date(2026, 4, 1), 3000)
    make_refund(a1, 2000, at(dt.date(2026, 1, 9)))
    make_refund(a1, 700, at(dt.date(2026, 1, 10)), status="failed")
    _sale(b, dt.date(2026, 2, 14), 8000, country="US", region="CA")
    _sale(b, dt.date(2026, 3, 3), 4000, country="US", region="NY")
    _sale(c, dt.date(2025, 12, 1), 6000)  # first order before the range
    _sale(c, dt.date(2026, 2, 28), 2500, channel="app")
    _sale(d, dt.date(2026, 1, 20), 7000, status="pending_payment")  # never counted
    _sale(None, dt.date(2026, 1, 15), 12000, country="US", region="CA")  # a guest
    customers.rebuild_customers()
    rollups.rebuild(dt.date(2025, 12, 1), dt.date(2026, 4, 30))
    return a, b, c, d


def _month(moment):
    return moment.astimezone(dt.UTC).date().replace(day=1)


def _raw(country=None, channel=None):
    """Independently: counted orders of account customers, each customer's first month (over
    every counted order) and the orders passing the filters."""
    counted = [o for o in db.session.scalars(select(Order)) if o.status not in NOT_COUNTED]
    first = {}
    for o in counted:
        if o.customer_id is not None:
            m = _month(o.placed_at)
            first[o.customer_id] = min(first.get(o.customer_id, m), m)
    kept = [
        o
        for o in counted
        if o.customer_id is not None
        and country in (None, o.shipping_country or "")
        and channel in (None, o.channel)
    ]
    return first, kept


def _expected_new_returning(country=None, channel=None):
    first, kept = _raw(country, channel)
    active = defaultdict(set)
    for o in kept:
        if JAN <= _month(o.placed_at) <= APR:
            active[_month(o.placed_at)].add(o.customer_id)
    new = [sum(1 for c in active[m] if first[c] == m) for m in (JAN, FEB, MAR, APR)]
    returning = [sum(1 for c in active[m] if first[c] < m) for m in (JAN, FEB, MAR, APR)]
    return new, returning, active, first


def test_new_and_returning_customers_match_the_raw_orders(db_session):
    make_customers()

    cards, figure, _cohorts, message, empty_style, content_style = update_customers(
        *RANGE, None, None, "EUR"
    )

    new, returning, _active, _first = _expected_new_returning()
    assert list(figure.data[0].x) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert list(figure.data[0].y) == new == [1, 1, 0, 0]  # A in January, B in February
    assert list(figure.data[1].y) == returning == [0, 2, 1, 1]  # A and C; B; A
    assert find(cards, "kpi-new").children == "2"
    assert message == "" and empty_style == {"display": "none"} and content_style == {}


def test_the_cohort_heat_map_is_the_share_ordering_again(db_session):
    make_customers()

    _cards, _figure, cohorts, *_ = update_customers(*RANGE, None, None, "EUR")

    _new, _ret, active, first = _expected_new_returning()
    months = [JAN, FEB, MAR, APR]
    want = []
    for i, cohort in enumerate(months):
        members = {c for c in active[cohort] if first[c] == cohort}
        if members:
            want.append(
                [100 * len(members & active[later]) / len(members) for later in months[i + 1 :]]
            )
    heat = cohorts.data[0]
    assert list(heat.y) == ["2026-01 (1)", "2026-02 (1)"]
    assert [list(row[: len(w)]) for row, w in zip(heat.z, want, strict=True)] == want
    assert want == [[100.0, 0.0, 100.0], [100.0, 0.0]]


def test_filters_narrow_the_orders_but_not_the_first_order(db_session):
    make_customers()

    _cards, figure, *_ = update_customers(*RANGE, None, "app", "EUR")
    new, returning, *_ = _expected_new_returning(channel="app")
    assert list(figure.data[0].y) == new == [0, 0, 0, 0]  # A's app order is not A's first
    assert list(figure.data[1].y) == returning == [0, 2, 0, 0]

    _cards, figure, *_ = update_customers(*RANGE, "US", None, "EUR")
    assert list(figure.data[0].y) == _expected_new_returning(country="US")[0] == [0, 1, 0, 0]


def test_lifetime_value_is_the_net_of_the_customers_won_in_the_range(db_session):
    make_customers()

    figure, cards = update_ltv(*RANGE, None, None, "EUR")

    first, kept = _raw()
    refunds = defaultdict(int)
    for r in db.session.scalars(select(Refund).where(Refund.status == "succeeded")):
        refunds[r.order_id] += r.amount
    value = defaultdict(int)
    for o in kept:
        if JAN <= first[o.customer_id] <= APR:
            value[o.customer_id] += o.subtotal_amount - o.discount_amount - refunds[o.id]
    assert sorted(value.values()) == [12000, 16000]  # B: 80 + 40; A: 100 - 20 + 50 + 30
    average = round(sum(value.values()) / len(value))
    assert find(cards, "kpi-won").children == str(len(value))
    assert find(cards, "kpi-ltv").children == format_money(average, "EUR")
    bars = figure.data[0]
    assert sum(bars.y) == 2 and bars.y[0] == 1 and bars.y[-1] == 1
    assert bars.x[0] == "120 to 122" and bars.x[-1] == "158 to 160"


def test_the_map_shows_net_sales_by_country_and_by_us_state(db_session):
    make_customers()

    world = update_map(*RANGE, None, None, "EUR").data[0]
    assert world.locationmode == "ISO-3"
    by_country = defaultdict(int)
    counted = [o for o in db.session.scalars(select(Order)) if o.status not in NOT_COUNTED]
    for o in counted:
        if JAN <= o.placed_at.astimezone(dt.UTC).date() <= dt.date(2026, 4, 30):
            by_country[o.shipping_country] += o.subtotal_amount - o.discount_amount
    by_country["DE"] -= 2000  # A's refund, issued in January
    alpha3 = {"DE": "DEU", "FR": "FRA", "US": "USA"}
    shown = dict(zip(world.locations, world.z, strict=True))
    assert shown == {alpha3[c]: net / 100 for c, net in by_country.items()}  # guests included

    states = update_map(*RANGE, "US", None, "EUR").data[0]
    assert states.locationmode == "USA-states"
    assert dict(zip(states.locations, states.z, strict=True)) == {"CA": 200.0, "NY": 40.0}


def test_an_empty_range_shows_the_empty_state(db_session):
    make_customers()
    cards, _f, _c, message, empty_style, content_style = update_customers(
        "2024-01-01", "2024-01-31", None, None, "EUR"
    )
    assert cards == []
    assert message == "No customer orders from 2024-01-01 to 2024-01-31 with these filters."
    assert empty_style == {} and content_style == {"display": "none"}
    figure, cards = update_ltv("2024-01-01", "2024-01-31", None, None, "EUR")
    assert find(cards, "kpi-ltv").children == "—" and list(figure.data[0].y) == []


def test_malformed_controls_and_query_string_fall_back_to_defaults(db_session):
    today = dt.datetime.now(dt.UTC).date()
    customer = make_customer()
    _sale(customer, today, 1500)
    customers.rebuild_customers()

    cards, figure, *_ = update_customers("soon", None, "Germany", "fax", "XXX")
    assert find(cards, "kpi-new").children == "1"
    assert list(figure.data[0].y)[-1] == 1

    page = router.render_page("/dashboards/customers", "?from=yesterday&to=%ZZ&country=12&x")
    dates = find(page, "customers-dates")
    assert dates.end_date == today.isoformat()
    assert find(page, "customers-country").value is None
    assert find(page, "customers-currency").value == "EUR"


def test_an_order_event_refreshes_its_customer(db_session):
    a, *_ = make_customers()
    late = _sale(a, dt.date(2026, 3, 15), 1000)
    assert refresh_customer_rollups({"payload": {"order_id": late.id}}) == (
        f"refreshed customer {a.id}"
    )
    _cards, figure, *_ = update_customers(*RANGE, None, None, "EUR")
    assert list(figure.data[1].y) == _expected_new_returning()[1] == [0, 2, 2, 1]
    guest = _sale(None, dt.date(2026, 3, 16), 1000)
    assert refresh_customer_rollups({"payload": {"order_id": guest.id}}).startswith("skipped")


def test_charts_download_as_csv(db_session):
    make_customers()
    with pytest.raises(PreventUpdate):
        download_cohorts(None, *RANGE, None, None, "EUR")
    sent = download_cohorts(1, *RANGE, None, None, "EUR")
    assert sent["filename"] == "customer-cohorts-2026-01-01-2026-04-30.csv"
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert [(r["cohort"], r["customers"], r["month_1"]) for r in rows] == [
        ("2026-01", "1", "1.0000"),
        ("2026-02", "1", "1.0000"),
    ]
    sent = download_map(1, *RANGE, "US", None, "EUR")
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert {r["place"]: int(r["net"]) for r in rows} == {"CA": 20000, "NY": 4000}
