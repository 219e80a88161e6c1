"""How fast the dashboards answer on a shop with 1,000,000 orders, and how long the rollups take
to rebuild.

    .venv/bin/python bench/dashboards_speed.py                       # 1,000,000 orders
    .venv/bin/python bench/dashboards_speed.py --orders 100000 --products 10000 --customers 20000
    .venv/bin/python bench/dashboards_speed.py --skip-rebuild --only operations

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. It seeds a database named `commerce_bench_dashboards` with the
demo seed (once; `--reseed` to start again), rebuilds every rollup (sales days, customer months,
shipped orders; timed, as the nightly jobs do), times one event's refresh of each, then calls
every callback of every dashboard (sales, products, customers, operations, inventory: each chart's
update and each CSV download, on 30-day and 1-year ranges where the page has dates) directly, as
Dash would, and prints the median and worst of `--repeat` runs for each (the target is under 1 s
each) and the number of cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "commerce_bench_dashboards")
DASHBOARDS = ("sales", "products", "customers", "operations", "inventory")
ROLLUPS = (
    "sales_daily",
    "category_sales_daily",
    "product_sales_daily",
    "product_sales_monthly",
    "customer_months",
    "shipped_orders",
)


def _time(repeat: int, call: Callable[[], Any]) -> tuple[float, float]:
    call()  # warm the caches once, as a manager's second click would find them
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), max(runs)


def _cases(day: dt.date, category: int | None) -> dict[str, list[tuple[str, Callable[[], Any]]]]:
    """Every dashboard's callbacks with the arguments Dash would send, by dashboard."""
    from dashboards import router
    from dashboards.customers import callbacks as customers
    from dashboards.inventory import callbacks as inventory
    from dashboards.operations import callbacks as operations
    from dashboards.products import callbacks as products
    from dashboards.sales import callbacks as sales

    month = (day - dt.timedelta(days=29)).isoformat(), day.isoformat()
    year = (day - dt.timedelta(days=364)).isoformat(), day.isoformat()
    ranges = (("30 days", month), ("1 year", year))

    def page(path: str) -> tuple[str, Callable[[], Any]]:
        return f"{path.removeprefix('/dashboards/') or 'overview'} page layout", (
            lambda: router.render_page(path, "")
        )

    cases: dict[str, list[tuple[str, Callable[[], Any]]]] = {
        "sales": [
            page("/dashboards/"),
            page("/dashboards/sales"),
            (
                "sales 30 days by day",
                lambda: sales.update_sales(*month, None, None, None, "EUR", "day"),
            ),
            (
                "sales 1 year by week",
                lambda: sales.update_sales(*year, None, None, None, "EUR", "week"),
            ),
            (
                "sales 1 year by month, DE, web",
                lambda: sales.update_sales(*year, "DE", None, "web", "EUR", "month"),
            ),
            (
                "sales 1 year by week, a category",
                lambda: sales.update_sales(*year, None, category, None, "EUR", "week"),
            ),
            (
                "sales CSV 1 year by day",
                lambda: sales.download_series(1, *year, None, None, None, "EUR", "day"),
            ),
        ],
        "products": [
            page("/dashboards/products"),
            ("products 30 days", lambda: products.update_products(*month, None, "EUR")),
            ("products 1 year", lambda: products.update_products(*year, None, "EUR")),
            (
                "products 1 year, a category",
                lambda: products.update_products(*year, category, "EUR"),
            ),
            *(
                (
                    f"products CSV {kind} 1 year",
                    lambda func=func: func(1, *year, None, "EUR"),
                )
                for kind, func in (
                    ("revenue", products.download_by_revenue),
                    ("units", products.download_by_units),
                    ("categories", products.download_categories),
                    ("slow", products.download_slow),
                )
            ),
        ],
        "customers": [page("/dashboards/customers")],
        "operations": [page("/dashboards/operations")],
        "inventory": [page("/dashboards/inventory")],
    }
    for label, (start, end) in ranges:
        controls = (start, end, None, None, "EUR")
        cases["customers"] += [
            (f"customers {label}", lambda c=controls: customers.update_customers(*c)),
            (f"customers LTV {label}", lambda c=controls: customers.update_ltv(*c)),
            (f"customers map {label}", lambda c=controls: customers.update_map(*c)),
            *(
                (f"customers CSV {kind} {label}", lambda c=controls, func=func: func(1, *c))
                for kind, func in (
                    ("new/returning", customers.download_new_returning),
                    ("cohorts", customers.download_cohorts),
                    ("LTV", customers.download_ltv),
                    ("map", customers.download_map),
                )
            ),
        ]
    us = (*year, "US", None, "EUR")
    cases["customers"] += [
        (
            "customers 1 year, DE, web",
            lambda: customers.update_customers(*year, "DE", "web", "EUR"),
        ),
        ("customers LTV 1 year, DE, web", lambda: customers.update_ltv(*year, "DE", "web", "EUR")),
        ("customers map 1 year, US states", lambda: customers.update_map(*us)),
        ("customers CSV map 1 year, US states", lambda: customers.download_map(1, *us)),
    ]
    for label, (start, end) in ranges:
        for channel in (None, "app") if label == "1 year" else (None,):
            name = label + (f", {channel}" if channel else "")
            controls = (start, end, channel)
            cases["operations"] += [
                (f"operations empty check {name}", lambda c=controls: operations.update_empty(*c)),
                (f"operations shipping {name}", lambda c=controls: operations.update_shipping(*c)),
                (f"operations returns {name}", lambda c=controls: operations.update_returns(*c)),
                (f"operations payments {name}", lambda c=controls: operations.update_payments(*c)),
            ]
        controls = (start, end, None)
        cases["operations"] += [
            (f"operations CSV {kind} {label}", lambda c=controls, func=func: func(1, *c))
            for kind, func in (
                ("shipping", operations.download_shipping),
                ("returns", operations.download_returns),
                ("payments", operations.download_payments),
            )
        ]
    cases["operations"] += [
        ("operations waiting to ship", lambda: operations.update_waiting(None)),
        ("operations waiting to ship, app", lambda: operations.update_waiting("app")),
        (
            "operations CSV waiting to ship",
            lambda: operations.download_waiting(1, *year, None),
        ),
    ]
    for window in (30, 365):
        cases["inventory"].append(
            (
                f"inventory lists and cover {window} days",
                lambda w=window: inventory.update_lists(None, None, w),
            )
        )
    cases["inventory"] += [
        ("inventory value", lambda: inventory.update_value(None, None)),
        ("inventory value, a category", lambda: inventory.update_value(None, category)),
        ("inventory aging", lambda: inventory.update_aging(None, None)),
        ("inventory aging, a category", lambda: inventory.update_aging(None, category)),
        ("inventory lists 30 days, a category", lambda: inventory.update_lists(None, category, 30)),
        *(
            (f"inventory CSV {name}", lambda func=func: func(1, None, None, 365))
            for name, func in (
                ("by warehouse", inventory.download_by_warehouse),
                ("by category", inventory.download_by_category),
                ("aging", inventory.download_aging),
                ("out of stock", inventory.download_out),
                ("low stock", inventory.download_low),
                ("cover 365 days", inventory.download_cover),
            )
        ),
    ]
    return cases


def _timed(label: str, call: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = call()
    print(f"{label} in {time.perf_counter() - started:.1f}s", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """Seed (once), rebuild the rollups, time each dashboard callback; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-rebuild", action="store_true", help="keep the rollups as they are")
    parser.add_argument(
        "--only",
        action="append",
        choices=DASHBOARDS,
        help="time only this dashboard's callbacks (repeatable; default: every dashboard)",
    )
    args = parser.parse_args(argv)
    args.indexes = "keep"

    from sqlalchemy import text

    from commerce import db, embedded
    from commerce.reporting import customers, operations, rollups
    from wsgi import create_app

    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "bench-postgres"
    )
    url = benchdb.prepare(server, DATABASE, args, {})
    app = create_app(DATABASE_URL=url)
    with app.app_context():
        orders = db.session.scalar(text("SELECT count(*) FROM orders"))
        lines = db.session.scalar(text("SELECT count(*) FROM order_lines"))
        span = db.session.execute(text("SELECT min(placed_at), max(placed_at) FROM orders")).one()
        db.session.rollback()
        print(f"{orders:,} orders, {lines:,} lines, {span[0]:%Y-%m-%d} .. {span[1]:%Y-%m-%d}")
        if not args.skip_rebuild:
            _timed("sales rollups rebuilt", rollups.rebuild)
            _timed("customer_months rebuilt", customers.rebuild_customers)
            _timed("shipped_orders rebuilt", operations.rebuild_shipped_orders)
        with db.engine().begin() as conn:
            conn.execute(text("ANALYZE " + ", ".join(ROLLUPS)))
        for table in ROLLUPS:
            rows = db.session.scalar(text("SELECT count(*) FROM " + table))  # noqa: S608
            print(f"  {table}: {rows:,} rows")
        db.session.rollback()
        day = span[1].astimezone(dt.UTC).date()
        # One order event's work: its day of sales, its customer's months, its shipped row.
        order_id, customer_id = db.session.execute(
            text(
                "SELECT o.id, o.customer_id FROM orders o JOIN shipments s ON s.order_id = o.id"
                " WHERE o.customer_id IS NOT NULL AND s.shipped_at IS NOT NULL"
                " ORDER BY o.placed_at DESC LIMIT 1"
            )
        ).one()
        db.session.rollback()
        for label, call in (
            ("one day of sales refreshed", lambda: rollups.refresh_day(day)),
            ("one customer's months refreshed", lambda: customers.refresh_customers([customer_id])),
            ("one shipped order refreshed", lambda: operations.refresh_shipped_order(order_id)),
        ):
            started = time.perf_counter()
            call()
            print(f"{label} (an event) in {time.perf_counter() - started:.3f}s")
        category = db.session.scalar(
            text(
                "SELECT category_id FROM product_sales_daily WHERE category_id IS NOT NULL"
                " GROUP BY 1 ORDER BY sum(revenue_amount) DESC LIMIT 1"
            )
        )
        db.session.rollback()

        cases = _cases(day, category)
        print(f"\n{'callback':<44} {'median':>8} {'worst':>8}   (of {args.repeat})")
        over = []
        for dashboard in args.only or DASHBOARDS:
            for name, call in cases[dashboard]:
                median, worst = _time(args.repeat, call)
                db.session.rollback()
                flag = "" if worst < 1 else "  OVER 1 s"
                if flag:
                    over.append(name)
                print(f"{name:<44} {median * 1000:7.0f}ms {worst * 1000:7.0f}ms{flag}", flush=True)
        timed = sum(len(cases[d]) for d in args.only or DASHBOARDS)
        print(f"\n{timed} callbacks timed, {len(over)} over 1 s; cores: {os.cpu_count()}")
        db.engine().dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
