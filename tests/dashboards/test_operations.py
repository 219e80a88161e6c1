"""The operations dashboard's callbacks show the backlog, time to ship, return rate and reasons
and payment failures of the raw orders, shipments, returns and payments (computed here
independently in Python), with the channel filter, the empty state and malformed controls; the
shipped_orders rollup behind time to ship stays equal to the raw shipments after the events
that change them (a parcel shipped or delivered, an order edited or cancelled) and the nightly
rebuild."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import statistics

import pytest
from dash.exceptions import PreventUpdate
from sqlalchemy import select, text

from commerce import db
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from commerce.fulfilment import service as fulfilment
from commerce.fulfilment.models import Shipment
from commerce.orders.editing import edit_order
from commerce.orders.models import Order
from commerce.orders.service import cancel_order
from commerce.payments.models import Payment
from commerce.reporting import operations, rollups
from commerce.returns.models import Return, ReturnLine
from dashboards import router
from dashboards.operations.callbacks import (
    download_payments,
    download_shipping,
    update_empty,
    update_payments,
    update_returns,
    update_shipping,
    update_waiting,
)
from dashboards.operations.layout import layout
from jobs.handlers.fulfilment import make_shipping_documents
from jobs.handlers.reporting import refresh_shipped_order_rollup
from jobs.registry import routes
from tests.dashboards.helpers import find, text_of, walk
from tests.fulfilment.factories import PACKER, STANDARD, make_shippable_order
from tests.inventory.factories import make_warehouse
from tests.orders.editing_factories import CLERK
from tests.orders.editing_factories import shop as shop_method
from tests.reporting.factories import at, make_sale

D1 = dt.date(2026, 3, 2)  # a Monday
D2 = dt.date(2026, 3, 15)
_n = itertools.count(1)


def _ship(order, hours: float, warehouse, *, status: str = "shipped") -> Shipment:
    n = next(_n)
    shipment = Shipment(
        order_id=order.id,
        sequence=n,
        warehouse_id=warehouse.id,
        carrier="dhl",
        service="parcel",
        tracking_number=f"OPS-{n}",
        status=status,
        shipped_at=order.placed_at + dt.timedelta(hours=hours) if status == "shipped" else None,
        idempotency_key=f"ops-ship-{n}",
    )
    db.session.add(shipment)
    db.session.commit()
    return shipment


def _return(order, lines, *, status: str = "requested") -> Return:
    ret = Return(
        order_id=order.id,
        status=status,
        reason=lines[0][2],
        currency="EUR",
        requested_by_kind="staff",
        rejection_reason="no" if status == "rejected" else None,
        lines=[
            ReturnLine(order_line_id=line.id, quantity=qty, reason_code=code)
            for line, qty, code in lines
        ],
    )
    db.session.add(ret)
    db.session.commit()
    return ret


def _payment(order, status: str, created_at: dt.datetime, provider: str = "stripe") -> Payment:
    n = next(_n)
    payment = Payment(
        order_id=order.id,
        provider=provider,
        amount=1000,
        currency="EUR",
        status=status,
        idempotency_key=f"ops-pay-{n}",
        created_at=created_at,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


@pytest.fixture
def shop(db_session):
    """Orders over two weeks, shipped, returned and paid for in various ways."""
    warehouse = make_warehouse()
    orders = [
        make_sale(at(D1, 9), [(None, 2, 1000, 0), (None, 1, 500, 0)], status="delivered"),
        make_sale(at(D1, 10), [(None, 3, 1000, 0)], status="fulfilled", channel="app"),
        make_sale(at(D1 + dt.timedelta(days=2), 8), [(None, 1, 1000, 0)], status="delivered"),
        make_sale(at(D1 + dt.timedelta(days=8), 8), [(None, 4, 1000, 0)], status="delivered"),
        make_sale(at(D1 + dt.timedelta(days=9), 8), [(None, 1, 900, 0)], status="cancelled"),
        make_sale(at(D1 + dt.timedelta(days=10), 8), [(None, 5, 900, 0)], status="paid"),
    ]
    hours = {0: [30, 50], 1: [5], 2: [72], 3: [12.5]}
    for i, ship_hours in hours.items():
        for h in ship_hours:
            _ship(orders[i], h, warehouse)
    _ship(orders[5], 0, warehouse, status="pending")  # not shipped yet
    _return(orders[0], [(orders[0].lines[0], 1, "damaged"), (orders[0].lines[1], 1, "size_or_fit")])
    _return(orders[1], [(orders[1].lines[0], 2, "size_or_fit")])
    _return(orders[3], [(orders[3].lines[0], 4, "wrong_item")], status="rejected")
    _return(orders[4], [(orders[4].lines[0], 1, "damaged")])  # a cancelled order sold nothing
    for order, status, provider in (
        (orders[0], "failed", "stripe"),
        (orders[0], "succeeded", "stripe"),
        (orders[1], "cancelled", "stripe"),
        (orders[1], "succeeded", "stripe"),
        (orders[2], "succeeded", "bank_transfer"),
        (orders[3], "pending", "stripe"),  # undecided: no attempt yet
        (orders[3], "succeeded", "stripe"),
    ):
        _payment(order, status, order.placed_at + dt.timedelta(minutes=5), provider)
    # Orders and shipments were written directly, as the demo seed writes them: the nightly
    # rebuilds bring the rollups (units sold, shipped orders) up to date.
    rollups.rebuild(D1, D2)
    operations.rebuild_shipped_orders()
    return orders


def _independent(orders, channel=None):
    """Every figure from the raw rows, in plain Python."""
    mine = [o for o in orders if channel in (None, o.channel) and D1 <= o.placed_at.date() <= D2]
    weeks: dict[dt.date, list[float]] = {}
    for o in mine:
        shipped = [
            s.shipped_at
            for s in db.session.query(Shipment).filter_by(order_id=o.id)
            if s.shipped_at is not None
        ]
        if shipped:
            week = o.placed_at.date() - dt.timedelta(days=o.placed_at.weekday())
            weeks.setdefault(week, []).append((min(shipped) - o.placed_at).total_seconds() / 3600)
    sold_orders = [o for o in mine if o.status != "cancelled"]
    sold = sum(line.quantity for o in sold_orders for line in o.lines)
    reasons: dict[str, int] = {}
    for o in sold_orders:
        for ret in db.session.query(Return).filter_by(order_id=o.id):
            if ret.status != "rejected":
                for line in ret.lines:
                    reasons[line.reason_code] = reasons.get(line.reason_code, 0) + line.quantity
    payments = [
        p
        for o in mine
        for p in db.session.query(Payment).filter_by(order_id=o.id)
        if p.status in ("succeeded", "failed", "cancelled")
    ]
    return weeks, sold, reasons, payments


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    rank = 0.9 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def test_time_to_ship_is_median_and_p90_of_first_shipments_by_week(shop):
    weeks, *_ = _independent(shop)
    cards, figure = update_shipping(D1.isoformat(), D2.isoformat(), None)
    median, p90 = figure.data
    assert list(median.x) == sorted(weeks)
    assert list(median.y) == pytest.approx([statistics.median(weeks[w]) for w in sorted(weeks)])
    assert list(p90.y) == pytest.approx([_p90(weeks[w]) for w in sorted(weeks)])
    # Week 1: 30 h (the first of two parcels), 5 h, 72 h -> median 30 h, p90 63.6 h.
    assert median.y[0] == pytest.approx(30) and p90.y[0] == pytest.approx(63.6)
    assert find(cards, "kpi-shipped").children == str(sum(len(v) for v in weeks.values()))


def test_return_rate_and_reasons_count_units_of_orders_placed_in_range(shop):
    _weeks, sold, reasons, _payments = _independent(shop)
    cards, figure = update_returns(D1.isoformat(), D2.isoformat(), None)
    returned = sum(reasons.values())
    assert (sold, returned) == (3 + 3 + 1 + 4 + 5, 4)
    assert find(cards, "kpi-units-sold").children == str(sold)
    assert find(cards, "kpi-return-rate").children == f"{returned / sold:.1%}"
    shown = dict(zip(figure.data[0].y, figure.data[0].x, strict=True))
    assert shown == {r.replace("_", " "): units for r, units in reasons.items()}


def test_payment_failures_are_failed_or_cancelled_over_attempts(shop):
    *_rest, payments = _independent(shop)
    cards, figure = update_payments(D1.isoformat(), D2.isoformat(), None)
    failed = [p for p in payments if p.status in ("failed", "cancelled")]
    assert find(cards, "kpi-payment-failure-rate").children == f"{len(failed) / len(payments):.1%}"
    lines = {trace.name: (list(trace.x), list(trace.y)) for trace in figure.data}
    assert lines["bank_transfer"] == ([D1], [0.0])
    stripe = [
        p
        for p in payments
        if p.provider == "stripe" and p.created_at.date() < D1 + dt.timedelta(days=7)
    ]
    week1 = 100 * sum(p.status != "succeeded" for p in stripe) / len(stripe)
    assert lines["stripe"] == ([D1, D1 + dt.timedelta(days=7)], [pytest.approx(week1), 0.0])


def test_the_channel_filter_narrows_every_figure(shop):
    weeks, sold, _reasons, payments = _independent(shop, channel="app")
    _cards, figure = update_shipping(D1.isoformat(), D2.isoformat(), "app")
    assert list(figure.data[0].y) == [statistics.median(weeks[D1])] == [5]
    cards, _figure = update_returns(D1.isoformat(), D2.isoformat(), "app")
    assert find(cards, "kpi-units-sold").children == str(sold) == "3"
    cards, _figure = update_payments(D1.isoformat(), D2.isoformat(), "app")
    failed = sum(p.status != "succeeded" for p in payments)
    assert find(cards, "kpi-payment-failure-rate").children == f"{failed / len(payments):.1%}"
    assert len(payments) == 2


def test_orders_waiting_to_ship_by_age_with_links_to_the_oldest(shop):
    waiting = make_sale(dt.datetime.now(dt.UTC) - dt.timedelta(hours=30), [(None, 1, 100, 0)])
    make_sale(dt.datetime.now(dt.UTC), [(None, 1, 100, 0)], status="on_hold")
    cards, figure, table = update_waiting(None)
    # shop[5] (paid, placed on D1 + 10) and `waiting` (30 hours old); on-hold ones wait for staff.
    assert find(cards, "kpi-waiting").children == "2"
    assert list(figure.data[0].y) == [0, 1, 0, 1]
    links = [c.href for c in walk(table) if getattr(c, "href", None)]
    assert links == [
        f"/admin/orders/details/?id={shop[5].id}",
        f"/admin/orders/details/?id={waiting.id}",
    ]
    _cards, figure, _table = update_waiting("app")
    assert list(figure.data[0].y) == [0, 0, 0, 0]


def test_an_empty_range_shows_the_empty_state(shop):
    message, empty_style, content_style = update_empty("2025-01-01", "2025-01-31", None)
    assert message == "No orders placed from 2025-01-01 to 2025-01-31 with these filters."
    assert empty_style == {} and content_style == {"display": "none"}
    cards, figure = update_returns("2025-01-01", "2025-01-31", None)
    assert find(cards, "kpi-return-rate").children == "—" and not figure.data[0].x
    assert update_empty(D1.isoformat(), D2.isoformat(), None)[0] == ""


def test_malformed_query_string_and_controls_fall_back_to_defaults(db_session):
    today = dt.datetime.now(dt.UTC).date()
    page = layout("?from=soon&to=2026-13-45&channel=fax")
    dates = find(page, "operations-dates")
    assert dates.end_date == today.isoformat()
    assert dates.start_date == (today - dt.timedelta(days=29)).isoformat()
    assert find(page, "operations-channel").value is None
    order = make_sale(at(today, 0), [(None, 2, 1500, 0)])
    rollups.refresh_order(order.id)
    cards, _figure = update_returns("soon", None, "fax")
    assert find(cards, "kpi-units-sold").children == "2"
    assert order.id and "Operations" in text_of(page)


def test_charts_download_as_csv(shop):
    with pytest.raises(PreventUpdate):
        download_shipping(None, D1.isoformat(), D2.isoformat(), None)
    sent = download_shipping(1, D1.isoformat(), D2.isoformat(), None)
    assert sent["filename"] == "time-to-ship-2026-03-02-2026-03-15.csv"
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert [row["week"] for row in rows] == ["2026-03-02", "2026-03-09"]
    assert float(rows[0]["median_hours"]) == pytest.approx(30)
    sent = download_payments(1, D1.isoformat(), D2.isoformat(), None)
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert sum(int(row["attempts"]) for row in rows) == 6


def test_the_page_and_a_callback_answer_over_http(sign_in, shop):
    client, _user = sign_in("manager")
    ids, props = ("operations-returns-kpis", "operations-returns"), ("children", "figure")
    values = {
        ("operations-dates", "start_date"): D1.isoformat(),
        ("operations-dates", "end_date"): D2.isoformat(),
        ("operations-channel", "value"): None,
    }
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in zip(ids, props, strict=True)) + "..",
        "outputs": [{"id": i, "property": p} for i, p in zip(ids, props, strict=True)],
        "inputs": [{"id": i, "property": p, "value": v} for (i, p), v in values.items()],
        "changedPropIds": ["operations-channel.value"],
        "state": [],
    }
    response = client.post(
        "/dashboards/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    answer = response.get_json()["response"]
    assert "25.0%" in json.dumps(answer["operations-returns-kpis"])  # 4 of 16 units
    page = router.render_page("/dashboards/operations", "?channel=app")
    assert find(page, "operations-channel").value == "app"


# --- the shipped_orders rollup -----------------------------------------------------------------


def _expected_shipped() -> dict[int, tuple[dt.datetime, str, float]]:
    """{order id: (placed_at, channel, hours to its first shipment leaving)} from every order and
    shipment in the database, in Python."""
    first: dict[int, dt.datetime] = {}
    for shipment in db.session.scalars(select(Shipment).where(Shipment.shipped_at.is_not(None))):
        moment = shipment.shipped_at
        first[shipment.order_id] = min(first.get(shipment.order_id, moment), moment)
    expected = {}
    for order_id, shipped_at in first.items():
        order = db.session.get(Order, order_id, populate_existing=True)
        hours = (shipped_at - order.placed_at).total_seconds() / 3600
        expected[order_id] = (order.placed_at, order.channel, hours)
    return expected


def _rollup() -> dict[int, tuple[dt.datetime, str, float]]:
    rows = db.session.execute(
        text("SELECT order_id, placed_at, channel, hours_to_ship FROM shipped_orders")
    ).all()
    return {row.order_id: (row.placed_at, row.channel, row.hours_to_ship) for row in rows}


def _assert_rollup_matches_the_raw_rows() -> None:
    got, expected = _rollup(), _expected_shipped()
    assert got.keys() == expected.keys()
    for order_id, (placed_at, channel, hours) in expected.items():
        assert got[order_id][:2] == (placed_at, channel)
        assert got[order_id][2] == pytest.approx(hours, abs=1e-9)


def _deliver(name: str, order_id: int) -> str:
    """Run the rollup handler on the newest outbox event `name` of the order."""
    event = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.name == name, OutboxEvent.payload["order_id"].as_integer() == order_id)
        .order_by(OutboxEvent.id.desc())
    ).first()
    assert event is not None, name
    return refresh_shipped_order_rollup(event.as_message())


@pytest.fixture
def docs_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SHIPPING_DOCS_DIR", str(tmp_path / "shipping"))


def _labelled(order: Order, lines=None) -> Shipment:
    shipment = fulfilment.create_shipment(order.id, lines, actor=PACKER)
    make_shipping_documents({"payload": {"shipment_id": shipment.id}})
    return fulfilment.get_shipment(shipment.id)


def test_the_rollup_holds_each_shipped_orders_first_shipment(shop):
    _assert_rollup_matches_the_raw_rows()
    # Order 0 left in two parcels (30 h and 50 h): the first counts. Order 5 has not left.
    assert _rollup()[shop[0].id][2] == pytest.approx(30)
    assert shop[5].id not in _rollup() and shop[4].id not in _rollup()


def test_a_parcel_handed_over_updates_time_to_ship_through_its_event(db_session, docs_dir):
    placed = at(D1, 9)
    order = make_shippable_order((2,), placed_at=placed, channel="app")
    line = order.lines[0]
    first = _labelled(order, {line.id: 1})
    assert operations.refresh_shipped_order(order.id) is False  # labelled, still on the shelf

    fulfilment.mark_shipped(first.id, actor=PACKER, at=placed + dt.timedelta(hours=40))
    assert _deliver("shipment.shipped", order.id) == f"refreshed order {order.id}: shipped"
    _assert_rollup_matches_the_raw_rows()
    _cards, figure = update_shipping(D1.isoformat(), D2.isoformat(), "app")
    assert list(figure.data[0].x) == [D1] and list(figure.data[0].y) == [pytest.approx(40)]

    # The second parcel (sequence 2) left earlier than the first: it is now the first shipment.
    second = _labelled(order, {line.id: 1})
    fulfilment.mark_shipped(second.id, actor=PACKER, at=placed + dt.timedelta(hours=16))
    _deliver("shipment.shipped", order.id)
    _assert_rollup_matches_the_raw_rows()
    cards, figure = update_shipping(D1.isoformat(), D2.isoformat(), None)
    assert list(figure.data[0].y) == [pytest.approx(16)]
    assert find(cards, "kpi-shipped").children == "1"


def test_a_parcel_delivered_without_a_shipped_update_counts_from_its_delivery(db_session, docs_dir):
    placed = at(D1, 6)
    order = make_shippable_order((1,), placed_at=placed)
    shipment = _labelled(order)
    fulfilment.mark_delivered(shipment.id, actor=PACKER, at=placed + dt.timedelta(hours=3))

    _deliver("shipment.delivered", order.id)

    _assert_rollup_matches_the_raw_rows()
    assert _rollup()[order.id][2] == pytest.approx(3)


def test_a_tracking_number_entered_by_staff_counts_once_the_documents_job_ships_it(
    db_session, docs_dir
):
    order = make_shippable_order((1,))
    shipment = fulfilment.create_shipment(
        order.id, carrier="dhl", service="parcel", tracking_number="JJD0042", actor=PACKER
    )
    make_shipping_documents({"payload": {"shipment_id": shipment.id}})

    _deliver("shipment.documents_ready", order.id)

    assert db_session.get(Shipment, shipment.id, populate_existing=True).status == "shipped"
    assert set(_rollup()) == {order.id}
    _assert_rollup_matches_the_raw_rows()


def test_an_edited_then_shipped_order_and_a_cancelled_one_stay_right(db_session, docs_dir):
    placed = at(D1, 8)
    standard = {**STANDARD, "method_id": shop_method()}  # an edit prices its shipping again
    edited = make_shippable_order(
        (3,), placed_at=placed, payment_method="bank_transfer", shipping_method=standard
    )
    cancelled = make_shippable_order((1,), placed_at=placed, status="pending_payment")

    edit_order(edited.id, quantities={edited.lines[0].id: 2}, actor=CLERK)
    assert _deliver("order.edited", edited.id).endswith("nothing shipped")
    cancel_order(cancelled.id, reason="changed their mind", actor=CLERK)
    assert _deliver("order.cancelled", cancelled.id).endswith("nothing shipped")
    assert _rollup() == {}

    shipment = _labelled(edited)
    fulfilment.mark_shipped(shipment.id, actor=PACKER, at=placed + dt.timedelta(hours=26))
    _deliver("shipment.shipped", edited.id)
    _assert_rollup_matches_the_raw_rows()
    assert set(_rollup()) == {edited.id}
    weeks = operations.time_to_ship(operations.OperationsFilter(D1, D2))
    assert [(w["week"], w["orders"], w["median_hours"]) for w in weeks] == [(D1, 1, 26.0)]


def test_the_nightly_rebuild_mends_missed_events_and_drops_what_no_longer_shipped(shop):
    warehouse = make_warehouse()
    late = _ship(shop[5], 7, warehouse)  # written directly: no event refreshed the rollup
    assert shop[5].id not in _rollup()
    gone = db.session.scalar(select(Shipment).where(Shipment.order_id == shop[1].id))
    gone.shipped_at, gone.status = None, "cancelled"  # its only parcel never left after all
    db.session.commit()

    assert operations.rebuild_shipped_orders().endswith(f": {len(_expected_shipped())} shipped")

    _assert_rollup_matches_the_raw_rows()
    assert _rollup()[shop[5].id][2] == pytest.approx(7) and late.order_id == shop[5].id
    assert shop[1].id not in _rollup()


def test_refreshing_twice_or_an_order_that_is_gone_changes_nothing(shop):
    before = _rollup()
    for order in shop:
        operations.refresh_shipped_order(order.id)
        operations.refresh_shipped_order(order.id)
    assert _rollup() == before
    assert refresh_shipped_order_rollup({"payload": {"order_id": 987654321}}) == (
        "refreshed order 987654321: nothing shipped"
    )
    with pytest.raises(InvalidInput):
        operations.refresh_shipped_orders(5, 4)


def test_the_rollup_handler_listens_to_shipment_and_order_events_and_rebuilds_nightly():
    from jobs.schedule import SCHEDULE

    handler = "jobs.handlers.reporting.refresh_shipped_order_rollup"
    subscribed = {name for name, items in routes().items() if handler in {r.handler for r in items}}
    assert {
        "shipment.shipped",
        "shipment.delivered",
        "shipment.documents_ready",
        "order.edited",
        "order.cancelled",
        "order.status_changed",
    } <= subscribed
    (entry,) = [
        e for e in SCHEDULE if e.func == "commerce.reporting.operations.rebuild_shipped_orders"
    ]
    assert entry.cron == "59 2 * * *"


def test_the_cli_rebuilds_the_shipped_orders(app, shop):
    _ship(shop[5], 2, make_warehouse())  # written directly: no event refreshed the rollup

    result = app.test_cli_runner().invoke(args=["reporting", "rebuild-shipped"])

    assert result.exit_code == 0, result.output
    assert f": {len(_expected_shipped())} shipped in " in result.output
    _assert_rollup_matches_the_raw_rows()
