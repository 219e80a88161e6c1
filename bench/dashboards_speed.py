"""How fast the dashboards answer on a shop with 1,000,000 orders, and how long the rollups take
to rebuild.

    .venv/bin/python bench/dashboards_speed.py                       # 1,000,000 orders
    .venv/bin/python bench/dashboards_speed.py --orders 100000 --products 10000 --customers 20000

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. It seeds a database named `commerce_bench_dashboards` with the
demo seed (once; `--reseed` to start again), rebuilds the sales rollups (timed, as the nightly job
does), then calls each dashboard callback directly, as Dash would, and prints the median and worst
of `--repeat` runs for each (the target is under 1 s each) and the number of cores.
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


def _time(repeat: int, call: Callable[[], Any]) -> tuple[float, float]:
    call()  # warm the caches once, as a manager's second click would find them
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), max(runs)


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
    args = parser.parse_args(argv)
    args.indexes = "keep"

    from sqlalchemy import text

    from commerce import db, embedded
    from commerce.reporting import rollups
    from dashboards import router
    from dashboards.products.callbacks import download_by_revenue, update_products
    from dashboards.sales.callbacks import download_series, update_sales
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
            started = time.perf_counter()
            rollups.rebuild()
            print(f"rollups rebuilt in {time.perf_counter() - started:.1f}s", flush=True)
        with db.engine().begin() as conn:
            conn.execute(text("ANALYZE sales_daily, category_sales_daily, product_sales_daily"))
        for table in rollups.ROLLUP_TABLES:
            rows = db.session.scalar(text("SELECT count(*) FROM " + table))  # noqa: S608
            print(f"  {table}: {rows:,} rows")
        day = span[1].astimezone(dt.UTC).date()
        started = time.perf_counter()
        rollups.refresh_day(day)
        print(f"one day refreshed (an order event) in {time.perf_counter() - started:.3f}s")
        category = db.session.scalar(
            text(
                "SELECT category_id FROM product_sales_daily WHERE category_id IS NOT NULL"
                " GROUP BY 1 ORDER BY sum(revenue_amount) DESC LIMIT 1"
            )
        )
        db.session.rollback()

        month = (day - dt.timedelta(days=29)).isoformat(), day.isoformat()
        year = (day - dt.timedelta(days=364)).isoformat(), day.isoformat()
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("sales page layout", lambda: router.render_page("/dashboards/sales", "")),
            ("sales 30 days by day", lambda: update_sales(*month, None, None, None, "EUR", "day")),
            ("sales 1 year by week", lambda: update_sales(*year, None, None, None, "EUR", "week")),
            (
                "sales 1 year by month, DE, web",
                lambda: update_sales(*year, "DE", None, "web", "EUR", "month"),
            ),
            (
                "sales 1 year by week, a category",
                lambda: update_sales(*year, None, category, None, "EUR", "week"),
            ),
            (
                "sales CSV 1 year by day",
                lambda: download_series(1, *year, None, None, None, "EUR", "day"),
            ),
            ("products page layout", lambda: router.render_page("/dashboards/products", "")),
            ("products 30 days", lambda: update_products(*month, None, "EUR")),
            ("products 1 year", lambda: update_products(*year, None, "EUR")),
            ("products 1 year, a category", lambda: update_products(*year, category, "EUR")),
            ("products CSV 1 year", lambda: download_by_revenue(1, *year, None, "EUR")),
        ]
        print(f"\n{'callback':<36} {'median':>8} {'worst':>8}   (of {args.repeat})")
        for name, call in cases:
            median, worst = _time(args.repeat, call)
            db.session.rollback()
            flag = "" if worst < 1 else "  OVER 1 s"
            print(f"{name:<36} {median * 1000:7.0f}ms {worst * 1000:7.0f}ms{flag}", flush=True)
        print(f"\ncores: {os.cpu_count()}")
        db.engine().dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
