"""The demo seed: the sizes asked for, money that adds up, 18 months of orders with a weekly and a
seasonal shape, and a second run that neither collides nor (with --if-empty) repeats."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select, text

from commerce.catalog.models import Category
from commerce.invoicing.models import Invoice
from commerce.invoicing.service import invoice_pdf
from commerce.orders.models import ORDER_STATUSES
from devtools import seed

SMALL = {"products": 50, "customers": 40, "orders": 300}


def seed_small(**overrides: Any) -> dict[str, int]:
    lines: list[str] = []
    counts = seed.seed_demo(**{**SMALL, **overrides}, progress=lines.append)
    assert any(line.startswith(f"orders: {overrides.get('orders', 300):,} of ") for line in lines)
    return counts


def scalar(session, sql: str):
    return session.execute(text(sql)).scalar_one()


def test_small_seed_creates_what_was_asked(db_session):
    counts = seed_small()

    rows = db_session.execute(
        text(
            "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM variants),"
            " (SELECT count(*) FROM customers), (SELECT count(*) FROM orders),"
            " (SELECT count(*) FROM order_lines)"
        )
    ).one()
    tables = ("products", "variants", "customers", "orders", "order_lines")
    assert tuple(rows) == tuple(counts[t] for t in tables)
    assert (counts["products"], counts["customers"], counts["orders"]) == (50, 40, 300)
    variants_per_product = db_session.execute(
        text("SELECT min(n), max(n) FROM (SELECT count(*) n FROM variants GROUP BY product_id) x")
    ).one()
    assert variants_per_product[0] >= 1
    assert variants_per_product[1] <= 4
    # A three-level tree: Apparel > Men > T-shirts.
    assert scalar(
        db_session,
        "SELECT count(*) FROM categories c JOIN categories p ON c.parent_id = p.id"
        " JOIN categories g ON p.parent_id = g.id WHERE c.slug = 'apparel-men-t-shirts'",
    )
    assert scalar(db_session, "SELECT count(*) FROM orders WHERE NOT EXISTS"
                  " (SELECT 1 FROM order_lines l WHERE l.order_id = orders.id)") == 0  # fmt: skip


def test_seed_gives_types_stock_with_its_ledger_and_digital_files(db_session):
    counts = seed_small()
    assert counts["stock_levels"] > 0 and counts["digital_files"] > 0
    untyped = scalar(db_session, "SELECT count(*) FROM products WHERE product_type_id IS NULL")
    assert untyped == 0
    assert scalar(db_session, "SELECT count(DISTINCT warehouse_id) FROM stock_levels") == 2
    # Physical variants have stock; digital ones have none.
    assert scalar(db_session, "SELECT count(*) FROM stock_levels s JOIN variants v"
                  " ON v.id = s.variant_id WHERE v.is_digital") == 0  # fmt: skip
    # The ledger explains every unit on hand.
    mismatches = scalar(
        db_session,
        """
        SELECT count(*) FROM stock_levels s LEFT JOIN (
            SELECT variant_id, warehouse_id, sum(delta) AS total FROM stock_movements
            WHERE bucket = 'on_hand' GROUP BY variant_id, warehouse_id) m
          USING (variant_id, warehouse_id)
        WHERE s.on_hand <> coalesce(m.total, 0)""",
    )
    assert mismatches == 0
    # Variant options are the type's variant axes.
    assert (
        scalar(
            db_session,
            """
        SELECT count(*) FROM variants v JOIN products p ON p.id = v.product_id,
             jsonb_object_keys(v.option_values) AS k
        WHERE NOT EXISTS (SELECT 1 FROM product_type_attributes l JOIN attributes a
                          ON a.id = l.attribute_id
                          WHERE l.product_type_id = p.product_type_id AND a.code = k
                            AND l.variant_axis)""",
        )
        == 0
    )


def test_every_order_adds_up(db_session):
    seed_small()

    bad_lines = scalar(
        db_session,
        "SELECT count(*) FROM order_lines"
        " WHERE total_amount <> quantity * unit_price_amount - discount_amount + tax_amount",
    )
    bad_orders = db_session.execute(
        text(
            """
            SELECT o.number FROM orders o
            JOIN (SELECT order_id, sum(quantity * unit_price_amount) AS gross,
                         sum(discount_amount) AS discount, sum(tax_amount) AS tax
                  FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
            WHERE o.subtotal_amount <> l.gross
               OR o.discount_amount <> l.discount
               OR o.tax_amount - l.tax NOT BETWEEN 0 AND o.shipping_amount  -- tax on shipping
               OR o.total_amount <> o.subtotal_amount - o.discount_amount + o.shipping_amount
                                    + o.tax_amount
            """
        )
    ).all()
    assert bad_lines == 0
    assert bad_orders == []
    # Discounts and shipping both occur, so the rule was exercised and not only trivially true.
    assert scalar(db_session, "SELECT count(*) FROM orders WHERE discount_amount > 0") > 0
    assert scalar(db_session, "SELECT count(*) FROM orders WHERE shipping_amount > 0") > 0


def test_orders_span_18_months_with_a_weekly_and_a_seasonal_shape(db_session):
    seed_small(products=30, customers=100, orders=3000)

    days, recent_hours = db_session.execute(
        text(
            "SELECT extract(epoch FROM max(placed_at) - min(placed_at)) / 86400,"
            " extract(epoch FROM clock_timestamp() - max(placed_at)) / 3600 FROM orders"
        )
    ).one()
    assert 540 <= days <= 550
    assert 0 <= recent_hours < 72  # the window ends now
    by_quarter = dict(
        db_session.execute(
            text(
                "SELECT extract(quarter FROM placed_at)::int,"
                " count(*)::float / count(DISTINCT placed_at::date) FROM orders GROUP BY 1"
            )
        ).all()
    )
    assert max(by_quarter, key=by_quarter.__getitem__) == 4  # October to December
    by_weekday = dict(
        db_session.execute(
            text("SELECT extract(isodow FROM placed_at)::int, count(*) FROM orders GROUP BY 1")
        ).all()
    )
    assert by_weekday[7] > 1.3 * by_weekday[6]  # Sunday evenings shop, Saturdays go out


def test_orders_have_guests_and_statuses_that_fit_their_age(db_session):
    seed_small(orders=1000)

    guest_share = scalar(db_session, "SELECT avg((customer_id IS NULL)::int)::float FROM orders")
    assert 0.2 < guest_share < 0.4
    # A customer's orders come after the sign-up and carry the customer's email.
    assert scalar(db_session, "SELECT count(*) FROM orders o JOIN customers c"
                  " ON c.id = o.customer_id WHERE c.created_at > o.placed_at"
                  " OR c.email <> o.email") == 0  # fmt: skip
    old = db_session.execute(
        text(
            "SELECT avg((status IN ('delivered', 'fulfilled'))::int)::float,"
            " count(*) FILTER (WHERE status = 'cancelled')"
            " FROM orders WHERE placed_at < now() - interval '30 days'"
        )
    ).one()
    assert old[0] > 0.85
    assert old[1] > 0
    assert scalar(db_session, "SELECT count(*) FROM orders WHERE status = 'delivered'"
                  " AND placed_at > now() - interval '2 days'") == 0  # fmt: skip


def test_has_demo_data_guards_a_second_seed(db_session):
    assert not seed.has_demo_data()
    seed_small()
    assert seed.has_demo_data()

    if not seed.has_demo_data():  # what `seed demo --if-empty` does
        seed_small()
    assert scalar(db_session, "SELECT count(*) FROM products") == 50
    assert scalar(db_session, "SELECT count(*) FROM orders") == 300


def test_seeding_again_adds_to_the_shop_without_collisions(db_session):
    first = seed_small()
    second = seed_small()

    assert first["categories"] > 0
    assert (second["categories"], second["brands"]) == (0, 0)  # the tree and brands are reused
    assert scalar(db_session, "SELECT count(*) FROM products") == 100
    assert scalar(db_session, "SELECT count(DISTINCT lower(email)) FROM customers") == 80
    assert scalar(db_session, "SELECT count(DISTINCT number) FROM orders") == 600
    # The sequences moved past the copied ids: a normal insert still works.
    highest = scalar(db_session, "SELECT max(id) FROM categories")
    category = Category(name="Gift Cards", slug="gift-cards")
    db_session.add(category)
    db_session.flush()
    assert category.id > highest


def _fingerprint(session) -> list[tuple]:
    return session.execute(
        text(
            "SELECT o.email, o.subtotal_amount, o.total_amount, o.channel,"
            " array_agg(l.title || ' x' || l.quantity ORDER BY l.id)"
            " FROM orders o JOIN order_lines l ON l.order_id = o.id"
            " GROUP BY o.id ORDER BY o.number"
        )
    ).all()


def _empty_shop(session) -> None:
    # TRUNCATE, because issued invoices refuse DELETE (the test's transaction still rolls back).
    session.execute(
        text("TRUNCATE orders, customers, variants, products, brands, categories CASCADE")
    )


def test_the_same_random_seed_gives_the_same_shop(db_session):
    until = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)  # fixed, so the clock cannot move it
    seed_small(random_seed=7, until=until)
    first = _fingerprint(db_session)
    _empty_shop(db_session)
    seed_small(random_seed=7, until=until)
    again = _fingerprint(db_session)
    _empty_shop(db_session)
    seed_small(random_seed=8, until=until)
    other = _fingerprint(db_session)

    assert len(first) == 300
    assert again == first
    assert other != first


def test_negative_sizes_are_refused(db_session):
    with pytest.raises(ValueError, match="negative"):
        seed.seed_demo(products=-1, progress=lambda _line: None)
    with pytest.raises(ValueError, match="products"):
        seed.seed_demo(products=0, customers=1, orders=1, progress=lambda _line: None)


def test_cli_seed_demo_reports_what_it_wrote(app, db_session):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["seed", "demo", "--products", "20", "--customers", "10", "--orders", "50"]
    )
    again = runner.invoke(args=["seed", "demo", "--if-empty", "--orders", "50"])

    assert result.exit_code == 0, result.output
    assert re.search(
        r"^seeded \d+ categories, \d+ brands, 20 products, \d+ variants, 10 customers,"
        r" 50 orders, \d+ order_lines, \d+ product_types, \d+ stock_levels, \d+ digital_files,"
        r" \d+ payments, .*, \d+ invoices, \d+ invoice_counters, \d+ order_events"
        r" in \d+\.\ds$",
        result.output,
        re.MULTILINE,
    ), result.output
    assert again.output.strip() == "demo data already present; nothing to do"
    assert scalar(db_session, "SELECT count(*) FROM orders") == 50


def test_orders_come_in_every_state_with_their_history(db_session):
    counts = seed_small(orders=2000)  # enough recent deliveries for returns in several states

    states = dict(db_session.execute(text("SELECT status, count(*) FROM orders GROUP BY 1")).all())
    assert set(states) == set(ORDER_STATUSES)
    assert max(states, key=states.get) == "delivered"
    payments = set(db_session.execute(text("SELECT DISTINCT payment_status FROM orders")).scalars())
    assert {"paid", "partially_refunded", "refunded", "authorized", "pending"} <= payments
    # Statuses agree with the rows behind them.
    mismatches = db_session.execute(
        text(
            """
            SELECT o.number, o.status, o.payment_status FROM orders o
            LEFT JOIN payments p ON p.order_id = o.id
            LEFT JOIN (SELECT order_id, sum(amount) AS amount FROM refunds
                       WHERE status = 'succeeded' GROUP BY order_id) r ON r.order_id = o.id
            LEFT JOIN shipments s ON s.order_id = o.id
            WHERE (o.payment_status IN ('paid', 'partially_refunded', 'refunded'))
                  <> (p.status IS NOT DISTINCT FROM 'succeeded')
               OR (o.payment_status = 'refunded') <> (r.amount IS NOT DISTINCT FROM o.total_amount)
               OR (o.payment_status = 'partially_refunded')
                  <> (coalesce(r.amount, 0) BETWEEN 1 AND o.total_amount - 1)
               OR (o.status = 'delivered' AND o.shipping_country IS NOT NULL)
                  <> (s.delivered_at IS NOT NULL)
               OR (o.fulfilment_status <> 'unfulfilled' AND o.shipping_country IS NOT NULL)
                  <> (s.tracking_number IS NOT NULL)
            """
        )
    ).all()
    assert mismatches == []
    # A partial shipment leaves units behind; a full one sends them all.
    shipped = db_session.execute(
        text(
            """
            SELECT o.fulfilment_status, sum(l.quantity) AS ordered,
                   (SELECT sum(sl.quantity) FROM shipment_lines sl JOIN shipments s
                    ON s.id = sl.shipment_id WHERE s.order_id = o.id) AS sent
            FROM orders o JOIN order_lines l ON l.order_id = o.id
            JOIN variants v ON v.id = l.variant_id AND NOT v.is_digital
            WHERE o.fulfilment_status <> 'unfulfilled' GROUP BY o.id
            """
        )
    ).all()
    assert all((sent < ordered) == (status == "partial") for status, ordered, sent in shipped)
    assert {"partial", "fulfilled"} <= {row.fulfilment_status for row in shipped}
    assert scalar(db_session, "SELECT count(DISTINCT status) FROM returns") >= 3
    assert counts["order_events"] > counts["orders"]
    assert scalar(db_session, "SELECT count(*) FROM orders o WHERE NOT EXISTS"
                  " (SELECT 1 FROM order_events e WHERE e.order_id = o.id)") == 0  # fmt: skip


def test_invoices_are_numbered_without_gaps_per_year(db_session):
    seed_small()
    seed_small(random_seed=7)  # a second run continues the counters

    years = db_session.execute(
        text(
            """
            SELECT i.year, count(*), min(i.sequence), max(i.sequence), max(c.last)
            FROM invoices i JOIN invoice_counters c ON c.kind = i.kind AND c.year = i.year
            WHERE i.kind = 'invoice' GROUP BY i.year
            """
        )
    ).all()
    assert years
    for _year, issued, first, last, counter in years:
        assert (first, last, counter) == (1, issued, issued)
    uninvoiced = scalar(
        db_session,
        "SELECT count(*) FROM orders o WHERE o.payment_status IN"
        " ('paid', 'partially_refunded', 'refunded') AND NOT EXISTS"
        " (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.kind = 'invoice')",
    )
    assert uninvoiced == 0


def test_a_seeded_invoice_downloads_as_a_pdf_drawn_from_its_order(db_session):
    seed_small()
    invoice = db_session.scalar(select(Invoice).where(Invoice.kind == "invoice").limit(1))

    pdf = invoice_pdf(invoice)

    assert pdf.startswith(b"%PDF") and invoice.number.encode() in pdf
