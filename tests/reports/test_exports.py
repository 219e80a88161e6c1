"""Report exports: each file's rows and totals against figures worked out from the orders."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from commerce.inventory import service as inventory
from commerce.reports import files, tables
from tests.inventory.factories import CLERK, make_product, make_variant, make_warehouse
from tests.jobs.test_events import run_worker
from tests.reports.factories import COUNTED, money, place, refund, vat

FIRST, LAST = dt.date(2026, 11, 2), dt.date(2026, 11, 8)


@pytest.fixture
def shop(db_session):
    """Orders in and around 2-8 November 2026, in two currencies and three countries."""
    orders = [
        place("2026-11-02", lines=((2, 1000), (1, 500)), discount=300, shipping=490,
              tax_lines=[vat("0.19", 2190)], hour=0),
        place("2026-11-02", status="fulfilled", lines=((1, 4000),), shipping=0,
              tax_lines=[vat("0.19", 3000), vat("0.07", 1000)], hour=23),
        place("2026-11-04", status="delivered", lines=((3, 1500),), discount=500, country="FR",
              tax_lines=[vat("0.2", 4000)]),
        place("2026-11-04", status="cancelled", lines=((1, 9900),), tax_lines=[vat("0.19", 9900)]),
        place("2026-11-05", status="pending_payment", lines=((1, 700),)),
        place("2026-11-06", status="on_hold", lines=((1, 1200),), currency="USD", country="US",
              tax_lines=[{"name": "CA State", "rate": "0.0725", "taxable_amount": 1200,
                          "tax_amount": 87}]),
        place("2026-11-08", status="draft", lines=((1, 800),)),
        place("2026-11-01", lines=((1, 6000),), hour=23),  # the day before
        place("2026-11-09", lines=((1, 6000),), hour=0),  # the day after
    ]  # fmt: skip
    refund(orders[0], 1000, "2026-11-03")
    refund(orders[7], 2000, "2026-11-05")  # an order of October-end, refunded inside the week
    refund(orders[2], 700, "2026-11-06", status="pending")  # not money moved yet
    return orders


def in_range(order) -> bool:
    return FIRST <= order.placed_at.astimezone(dt.UTC).date() <= LAST


def read_csv(path) -> tuple[list[str], list[list[str]], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, [r for r in rows if r[0] != "Total"], [r for r in rows if r[0] == "Total"]


def write(tmp_path, key: str, fmt: str = "csv"):
    path = tmp_path / f"{key}.{fmt}"
    report = tables.get_report(key)
    files.write(path, fmt, report.build(FIRST, LAST))
    return path


def test_orders_report_lists_each_order_of_the_range_with_its_refunds(shop, tmp_path):
    header, rows, totals = read_csv(write(tmp_path, "orders"))
    assert header == tables.ORDER_COLUMNS
    expected = [o for o in shop if in_range(o) and o.status != "draft"]
    assert [int(r[0]) for r in rows] == [o.number for o in expected]
    refunded = {shop[0].number: 1000}  # the pending refund of shop[2] is not money given back
    for row, order in zip(rows, expected, strict=True):
        assert row[2:7] == [order.status, order.payment_status, order.email,
                            order.shipping_country, order.currency]  # fmt: skip
        assert row[7:] == [
            money(order.subtotal_amount), money(order.discount_amount),
            money(order.shipping_amount), money(order.tax_amount), money(order.total_amount),
            money(refunded.get(order.number, 0)),
        ]  # fmt: skip
    assert rows[0][1] == "2026-11-02 00:00:00"
    by_currency = defaultdict(lambda: defaultdict(int))
    for order in expected:
        sums = by_currency[order.currency]
        sums["total"] += order.total_amount
        sums["tax"] += order.tax_amount
        sums["refunded"] += refunded.get(order.number, 0)
    assert [t[6] for t in totals] == ["EUR", "USD"]
    eur = totals[0]
    assert (eur[10], eur[11], eur[12]) == (
        money(by_currency["EUR"]["tax"]),
        money(by_currency["EUR"]["total"]),
        money(by_currency["EUR"]["refunded"]),
    )
    assert totals[1][11] == money(by_currency["USD"]["total"])


def test_sales_by_day_counts_sales_on_their_day_and_refunds_on_theirs(shop, tmp_path):
    header, rows, totals = read_csv(write(tmp_path, "sales_by_day"))
    assert header == tables.SALES_COLUMNS
    expected = defaultdict(lambda: defaultdict(int))
    for order in shop:
        if in_range(order) and order.status in COUNTED:
            day = expected[(order.placed_at.astimezone(dt.UTC).date().isoformat(), order.currency)]
            day["orders"] += 1
            day["units"] += sum(line.quantity for line in order.lines)
            day["gross"] += order.subtotal_amount
            day["discounts"] += order.discount_amount
            day["tax"] += order.tax_amount
            day["shipping"] += order.shipping_amount
    expected[("2026-11-03", "EUR")]["refunds"] += 1000
    expected[("2026-11-05", "EUR")]["refunds"] += 2000
    assert [(r[0], r[1]) for r in rows] == sorted(expected)
    for row in rows:
        f = expected[(row[0], row[1])]
        net = f["gross"] - f["discounts"] - f["refunds"]
        assert row[2:] == [
            str(f["orders"]), str(f["units"]), money(f["gross"]), money(f["discounts"]),
            money(f["refunds"]), money(net), money(f["tax"]), money(f["shipping"]),
        ]  # fmt: skip
    eur = next(t for t in totals if t[1] == "EUR")
    eur_days = [f for (_d, c), f in expected.items() if c == "EUR"]
    assert eur[2] == str(sum(f["orders"] for f in eur_days)) == "3"
    net = sum(f["gross"] - f["discounts"] - f["refunds"] for f in eur_days)
    assert eur[7] == money(net) == "72.00"  # 25+40+45 gross, -8 discounts, -30 refunds


def test_tax_report_sums_the_orders_tax_lines_per_country_and_rate(shop, tmp_path):
    header, rows, totals = read_csv(write(tmp_path, "tax"))
    assert header == tables.TAX_COLUMNS
    expected = defaultdict(lambda: [0, 0, 0])
    for order in shop:
        if in_range(order) and order.status in COUNTED:
            for line in order.tax_lines:
                key = (order.shipping_country, line["name"], line["rate"], order.currency)
                expected[key][0] += 1
                expected[key][1] += line["taxable_amount"]
                expected[key][2] += line["tax_amount"]
    percent = {"0.19": "19%", "0.07": "7%", "0.2": "20%", "0.0725": "7.25%"}
    got = {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}
    assert got == {
        (country, name, percent[rate], c): [str(n), money(taxable), money(tax)]
        for (country, name, rate, c), (n, taxable, tax) in expected.items()
    }
    assert got[("DE", "VAT", "19%", "EUR")] == ["2", "51.90", "9.86"]  # 21.90 + 30.00 taxable
    eur = next(t for t in totals if t[3] == "EUR")
    assert eur[6] == money(sum(v[2] for k, v in expected.items() if k[3] == "EUR"))


def test_inventory_valuation_is_on_hand_times_cost_per_variant_and_warehouse(db_session, tmp_path):
    north, south = make_warehouse(code="NORTH"), make_warehouse(code="SOUTH")
    lamp = make_variant(sku="LAMP-1", cost_amount=1250, product=make_product(title="Lamp"))
    mug = make_variant(sku="MUG-1", cost_amount=399, product=make_product(title="Mug"))
    gift = make_variant(sku="ZZ-GIFT", cost_amount=None, product=make_product(title="Gift"))
    for variant, warehouse, quantity in (
        (lamp, north, 4), (lamp, south, 3), (mug, north, 10), (gift, south, 2),
    ):  # fmt: skip
        inventory.receive_stock(variant.id, warehouse.id, quantity, actor=CLERK)
    path = tmp_path / "inventory.xlsx"
    files.write(path, "xlsx", tables.inventory_table())
    sheet = load_workbook(path).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == tables.INVENTORY_COLUMNS
    body = [r for r in rows if r[0] != "Total"]
    value = [None if r[6] is None else Decimal(str(r[6])) for r in body]
    assert [(r[0], r[2], r[3], v) for r, v in zip(body, value, strict=True)] == [
        ("LAMP-1", "NORTH", 4, 50), ("LAMP-1", "SOUTH", 3, Decimal("37.5")),
        ("MUG-1", "NORTH", 10, Decimal("39.9")), ("ZZ-GIFT", "SOUTH", 2, None),
    ]  # fmt: skip
    [total] = [r for r in rows if r[0] == "Total"]
    assert total[5] == "EUR" and total[3] == 19
    assert Decimal(str(total[6])) == Decimal("127.40")  # (4 + 3) x 12.50 + 10 x 3.99


def test_xlsx_keeps_amounts_as_numbers_that_add_up_to_the_total(shop, tmp_path):
    sheet = load_workbook(write(tmp_path, "orders", "xlsx")).active
    _header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    body = [r for r in rows if r[0] != "Total" and r[6] == "EUR"]
    [eur] = [r for r in rows if r[0] == "Total" and r[6] == "EUR"]
    assert isinstance(body[0][11], int | float | Decimal)
    total = sum(Decimal(str(r[11])) for r in body)
    assert total == Decimal(str(eur[11])) == Decimal("250.27")


# --- the Reports page ---------------------------------------------------------------------------


def test_reports_page_needs_analytics_export(sign_in):
    client, _user = sign_in("support")
    assert client.get("/admin/reports/").status_code == 403
    data = {"report": "orders", "first": "2026-11-02", "last": "2026-11-08", "format": "csv"}
    assert (
        client.post("/admin/reports/start", data={**data, "csrf_token": client.csrf}).status_code
        == 403
    )


def test_merchandiser_who_only_views_analytics_cannot_export(sign_in):
    client, _user = sign_in("merchandiser")
    assert client.get("/admin/reports/").status_code == 403


def test_report_form_needs_csrf_and_a_sane_range(sign_in):
    client, _user = sign_in("manager")
    page = client.get("/admin/reports/").get_data(as_text=True)
    assert "Tax owed by jurisdiction" in page and "Inventory valuation" in page
    data = {"report": "orders", "first": "2026-11-08", "last": "2026-11-02", "format": "csv"}
    assert client.post("/admin/reports/start", data=data).status_code == 400
    backwards = client.post("/admin/reports/start", data={**data, "csrf_token": client.csrf})
    assert backwards.status_code == 400
    assert "last: must not be before the first day" in backwards.get_data(as_text=True)
    bad = client.post(
        "/admin/reports/start",
        data={**data, "first": "2026-11-02", "last": "2026-11-08", "format": "pdf",
              "csrf_token": client.csrf},
    )  # fmt: skip
    assert bad.status_code == 400 and "format: must be csv or xlsx" in bad.get_data(as_text=True)


@pytest.mark.committed
def test_manager_runs_the_sales_report_and_downloads_it(app, sign_in, shop, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    client, _manager = sign_in("manager")
    started = client.post(
        "/admin/reports/start",
        data={"report": "sales_by_day", "first": FIRST.isoformat(), "last": LAST.isoformat(),
              "format": "csv", "csrf_token": client.csrf},
    )  # fmt: skip
    assert started.status_code == 302
    status_url = started.headers["Location"]
    waiting = client.get(status_url).get_data(as_text=True)
    assert "Queued" in waiting and 'http-equiv="refresh"' in waiting

    run_worker(app, queues=("reports",))
    ready = client.get(status_url).get_data(as_text=True)
    assert "Ready: 5 rows." in ready
    download = re.search(r'href="([^"]+/download)"', ready).group(1)
    response = client.get(download)
    assert response.status_code == 200
    assert "sales_by_day_2026-11-02_2026-11-08.csv" in response.headers["Content-Disposition"]
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(tables.SALES_COLUMNS)
    assert lines[-2].startswith("Total,EUR,3,") and lines[-1].startswith("Total,USD,1,")
