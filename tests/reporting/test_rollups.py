"""The sales rollups equal figures computed independently from the raw orders and refunds, and
the order-event handlers keep them right after refunds, cancellations and edits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from commerce import db
from commerce.audit import Actor
from commerce.events import OutboxEvent
from commerce.orders import service as orders
from commerce.orders.drafts import send_draft_order
from commerce.orders.editing import edit_order
from commerce.orders.service import cancel_order
from commerce.payments.refunds import refund_order
from commerce.reporting import rollups
from jobs.handlers.reporting import refresh_order_rollups
from jobs.registry import routes
from tests.carts.factories import make_variant
from tests.checkout.factories import make_order
from tests.orders.editing_factories import draft, shop
from tests.payments_ops.factories import offline_order
from tests.reporting.factories import (
    at,
    expected_sales,
    make_sale,
    make_shop,
    rollup_rows,
)

CLERK = Actor(kind="staff", id=7, label="clerk@shop.example")
D1 = dt.date(2026, 3, 2)
D2 = dt.date(2026, 3, 3)


def test_sales_rollup_equals_the_raw_orders_and_refunds(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)

    assert rollup_rows("sales_daily") == expected_sales()
    d1_de = rollup_rows("sales_daily")[(D1, "EUR", "DE", "web")]
    # 2 x 25.00 + 80.00 gross, 5.00 off, the refund lands on the 3rd, not here.
    assert d1_de["gross"] == 13000 and d1_de["discounts"] == 500 and d1_de["refunds"] == 0
    assert d1_de["orders"] == 1 and d1_de["units"] == 3 and d1_de["shipping"] == 495
    d2_de = rollup_rows("sales_daily")[(D2, "EUR", "DE", "web")]
    assert d2_de["refunds"] == 2000 and d2_de["orders"] == 0


def test_category_rollup_adds_up_to_the_orders(db_session):
    make_shop(D1, D2)
    rollups.refresh_days(D1, D2)

    by_category = rollup_rows("category_sales_daily")
    assert by_category == expected_sales(by_category=True)
    for field in ("units", "gross", "discounts", "refunds", "net", "tax", "shipping"):
        assert sum(r[field] for r in by_category.values()) == sum(
            r[field] for r in rollup_rows("sales_daily").values()
        )


def test_product_rollup_has_units_revenue_and_cost(db_session):
    _o1, _o2, o6 = make_shop(D1, D2)
    rollups.refresh_days(D1, D2)

    rows = db_session.execute(
        text(
            "SELECT sku, sum(units), sum(revenue_amount), sum(costed_revenue_amount),"
            " sum(cost_amount) FROM product_sales_daily GROUP BY sku"
        )
    ).all()
    tee_sku, loose_sku = o6.lines[0].sku, o6.lines[1].sku
    got = {sku: tuple(values) for sku, *values in rows}
    # tee: 2 units on D1 (50.00 - 5.00) and 1 on D2 (25.00), cost 10.00 each.
    assert got[tee_sku] == (3, 4500 + 2500, 4500 + 2500, 3000)
    assert got[loose_sku] == (2, 2300, 2300, 600)
    boot = [values for sku, values in got.items() if sku not in (tee_sku, loose_sku)]
    assert boot == [(4, 8000 + 24000 - 1200, 0, 0)]  # no cost: no margin claimed


def test_refreshing_a_day_twice_changes_nothing(db_session):
    make_shop(D1, D2)
    rollups.refresh_day(D1)
    first = rollup_rows("sales_daily"), rollup_rows("category_sales_daily")
    rollups.refresh_day(D1)
    assert (rollup_rows("sales_daily"), rollup_rows("category_sales_daily")) == first
    assert {key[0] for key in first[0]} == {D1}


def test_rebuild_covers_every_day_with_orders_or_refunds(db_session):
    make_shop(D1, D2)
    assert rollups.rebuild(D1, D2) == (D1, D2)
    assert rollup_rows("sales_daily") == expected_sales()


def _deliver(name: str, order_id: int) -> str:
    event = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.name == name, OutboxEvent.payload["order_id"].as_integer() == order_id)
        .order_by(OutboxEvent.id.desc())
    ).first()
    assert event is not None, name
    return refresh_order_rollups(event.as_message())


def test_a_refund_updates_the_rollup_through_its_event(db_session):
    order = offline_order(lines=((2, 2500),))
    today = order.placed_at.astimezone(dt.UTC).date()
    _deliver("order.paid", order.id)
    before = rollup_rows("sales_daily")[(today, "EUR", "", "web")]
    assert (before["gross"], before["refunds"], before["net"]) == (5000, 0, 5000)

    refund_order(order.id, amount=1200, reason="scratched", reference="bank out 1", actor=CLERK)
    assert _deliver("order.refunded", order.id) == f"refreshed {today.isoformat()}"

    after = rollup_rows("sales_daily")
    assert after == expected_sales()
    row = after[(today, "EUR", "", "web")]
    assert (row["gross"], row["refunds"], row["net"], row["orders"]) == (5000, 1200, 3800, 1)


def test_a_cancelled_order_leaves_the_rollup_through_its_event(db_session):
    kept = make_sale(at(D1), [(None, 1, 1000, 0)])
    gone = make_sale(at(D1, 15), [(None, 2, 3000, 0)])
    rollups.refresh_day(D1)
    assert rollup_rows("sales_daily")[(D1, "EUR", "DE", "web")]["orders"] == 2

    cancel_order(gone.id, reason="customer changed their mind", actor=CLERK)
    assert _deliver("order.cancelled", gone.id) == f"refreshed {D1.isoformat()}"

    row = rollup_rows("sales_daily")[(D1, "EUR", "DE", "web")]
    assert (row["orders"], row["gross"], row["units"]) == (1, kept.subtotal_amount, 1)
    assert rollup_rows("sales_daily") == expected_sales()


def test_an_edit_updates_the_rollup_through_its_event(db_session, mailbox):
    tee, cap = make_variant(2000, stock=10), make_variant(1000, stock=10)
    order = draft(shop(), {tee.id: 1, cap.id: 1})
    send_draft_order(order.id, actor=CLERK)
    order.payment_method = "bank_transfer"
    db.session.commit()
    orders.mark_paid_offline(order.id, reference="TRX-1", actor=CLERK)
    today = order.placed_at.astimezone(dt.UTC).date()
    _deliver("order.paid", order.id)
    assert rollup_rows("sales_daily")[(today, "EUR", "DE", "draft")]["gross"] == 3000

    cap_line = next(line for line in order.lines if line.sku == cap.sku)
    edit_order(order.id, remove=[cap_line.id], actor=CLERK)  # money to pay back by hand
    handlers = {route.handler for route in routes()["order.edited"]}
    assert {
        "jobs.handlers.reporting.refresh_order_rollups",
        "jobs.handlers.reporting.refresh_customer_rollups",
    } <= handlers
    assert _deliver("order.edited", order.id) == f"refreshed {today.isoformat()}"

    row = rollup_rows("sales_daily")[(today, "EUR", "DE", "draft")]
    assert (row["gross"], row["units"], row["orders"]) == (2000, 1, 1)
    assert rollup_rows("sales_daily") == expected_sales()


def test_a_placed_order_awaiting_payment_counts_once_paid(db_session):
    order = make_order(lines=((1, 4000),), payment_method="bank_transfer")
    today = order.placed_at.astimezone(dt.UTC).date()
    rollups.refresh_order(order.id)
    assert rollup_rows("sales_daily") == {}

    offline_paid = offline_order(lines=((1, 4000),))
    _deliver("order.paid", offline_paid.id)
    assert rollup_rows("sales_daily")[(today, "EUR", "", "web")]["gross"] == 4000


def test_the_handler_skips_an_order_that_is_gone(db_session):
    assert refresh_order_rollups({"payload": {"order_id": 987654321}}) == (
        "skipped: order no longer exists"
    )


def test_the_cli_rebuilds_the_rollups(app, db_session):
    make_shop(D1, D2)
    result = app.test_cli_runner().invoke(
        args=["reporting", "rebuild", "--since", D1.isoformat(), "--until", D2.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "rebuilt 2026-03-02 .. 2026-03-03" in result.output
    assert rollup_rows("sales_daily") == expected_sales()
    backwards = app.test_cli_runner().invoke(
        args=["reporting", "rebuild", "--since", D2.isoformat(), "--until", D1.isoformat()]
    )
    assert backwards.exit_code != 0 and "--until is before --since" in backwards.output


def test_the_nightly_rebuild_is_scheduled():
    from jobs.schedule import SCHEDULE

    (entry,) = [e for e in SCHEDULE if e.func == "commerce.reporting.rollups.rebuild_all"]
    assert entry.cron == "41 2 * * *"
