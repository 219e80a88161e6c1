"""Server time of the back-office order screens on a shop of 1,000,000 orders.

    .venv/bin/python bench/orders_admin.py                # seed once (1,000,000 orders), measure
    .venv/bin/python bench/orders_admin.py --explain      # also EXPLAIN ANALYZE each page's SQL
    .venv/bin/python bench/orders_admin.py --prepare-only

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. Either way it seeds a database named `commerce_bench_orders`
there with the demo seed (orders in every state with their payments, shipments, returns, invoices
and timelines), or reuses it when it already holds `--products` products (`--reseed` starts
afresh). It then signs in as an administrator through Flask's test client and times `client.get`
(server time: no network, no browser) for the order list (default; filtered by status, by payment
status and a month of placing, by shipping country; searched by number, email and SKU; sorted by
total; page 50) and the order page of a few orders in different states: 3 warm-ups then 30 timed
requests each (the order pages share theirs), p50 and p95 in milliseconds, the SQL statements
per page, and the number of cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.admin_catalog import _counting, _explain, _rows, _sign_in  # noqa: E402

DATABASE = "commerce_bench_orders"
BUDGET_MS = 300.0


def main(argv: list[str] | None = None) -> int:
    """Seed (or reuse) the bench database, then time the order screens. Returns 1 when a page
    answers with an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the pages' SQL")
    parser.add_argument("--prepare-only", action="store_true", help="seed, then stop")
    args = parser.parse_args(argv)
    args.indexes = "keep"  # the order list's indexes come with the migrations

    from commerce import embedded

    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "bench-postgres"
    )
    redis_url = embedded.start_redis(ROOT / "instance" / "bench-redis")
    url = benchdb.prepare(server, DATABASE, args, {}, faces=["backoffice"])
    if args.prepare_only:
        return 0
    return measure(url, redis_url, args)


def measure(url: str, redis_url: str, args: argparse.Namespace) -> int:
    """Sign in as an admin and time each kind of page; prints a table and returns 1 on an HTTP
    error."""
    from wsgi import create_app

    app = create_app(
        DATABASE_URL=url, REDIS_URL=redis_url, SIGNIN_MAX_FAILURES=1000, faces=["backoffice"]
    )
    kinds = bench_pages(app)
    client = app.test_client()
    _sign_in(client)
    print(f"\n{'page':<44} {'rows':>8} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    failed = False
    for label, paths in kinds:
        bad = None
        for path in paths:
            for _ in range(args.warmup):
                response = client.get(path)
            if response.status_code != 200:
                bad = f"HTTP {response.status_code} for {path}"
        if bad:
            print(f"{label:<44} {bad}")
            failed = True
            continue
        rows = _rows(response.get_data(as_text=True))
        with _counting(app) as statements:
            client.get(paths[0])
        timings = []
        for n in range(args.requests):
            started = time.perf_counter()
            client.get(paths[n % len(paths)])
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p50 = timings[len(timings) // 2]
        p95 = timings[min(len(timings) - 1, round(len(timings) * 0.95) - 1)]
        flag = "  OVER BUDGET" if p95 > BUDGET_MS else ""
        print(
            f"{label:<44} {rows:>8} {len(statements):>8} {p50:>8.1f} {p95:>8.1f} "
            f"{timings[-1]:>8.1f}{flag}"
        )
        if args.explain:
            _explain(app, statements)
    print(f"\n{args.requests} requests per kind after {args.warmup} warm-ups, server time through")
    print(f"Flask's test client (no network); {os.cpu_count()} cores; budget {BUDGET_MS:.0f} ms.")
    return 1 if failed else 0


def _filter_args(app: Any) -> dict[str, str]:
    """The order list's filter URL arguments by "<label> <operation>" ("Status equals"), without
    their position prefix ("flt0_")."""
    with app.test_request_context():
        admin = app.extensions["admin"][0]
        view = next(v for v in admin._views if getattr(v, "endpoint", None) == "orders")
        return {
            f"{flt.name} {flt.operation()}": view.get_filter_arg(index, flt)
            for index, flt in enumerate(view._filters)
        }


def bench_pages(app: Any) -> list[tuple[str, list[str]]]:
    """(label, paths) to time, with numbers, emails and SKUs picked from the seeded data."""
    from sqlalchemy import func, select

    from commerce import db
    from commerce.customers.models import Customer
    from commerce.orders.models import Order, OrderLine

    args = _filter_args(app)
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Order))
        middle = db.session.execute(
            select(Order.number, Order.placed_at).order_by(Order.id).offset(count // 2).limit(1)
        ).one()
        email = db.session.scalar(
            select(Customer.email).order_by(Customer.id).offset(1234).limit(1)
        )
        sku = db.session.scalar(
            select(OrderLine.sku).order_by(OrderLine.id).offset(count // 3).limit(1)
        )
        order_ids = [
            db.session.scalar(
                select(Order.id)
                .where(Order.status == status, Order.payment_status == payment)
                .order_by(Order.id.desc())
                .limit(1)
            )
            for status, payment in (
                ("delivered", "partially_refunded"),
                ("delivered", "paid"),
                ("partially_fulfilled", "paid"),
                ("on_hold", "authorized"),
                ("cancelled", "voided"),
            )
        ]
        db.session.rollback()
    month_start = middle.placed_at.date().replace(day=1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1)
    between = f"{month_start} 00:00:00 to {month_end} 00:00:00"
    return [
        ("order list (default)", ["/admin/orders/"]),
        ("status = on_hold", [f"/admin/orders/?flt0_{args['Status equals']}=on_hold"]),
        ("status = delivered", [f"/admin/orders/?flt0_{args['Status equals']}=delivered"]),
        (
            f"payment partially_refunded, {month_start:%Y-%m}",
            [
                f"/admin/orders/?flt0_{args['Payment equals']}=partially_refunded"
                f"&flt1_{args['Placed between']}={between}"
            ],
        ),
        ("shipping country = AT", [f"/admin/orders/?flt0_{args['Shipping country equals']}=AT"]),
        (f"search number {middle.number}", [f"/admin/orders/?search={middle.number}"]),
        (f"search email {email}", [f"/admin/orders/?search={email}"]),
        (f"search SKU {sku}", [f"/admin/orders/?search={sku}"]),
        # `sort` is the column's position in the list's column_list.
        ("sorted by total, largest first", ["/admin/orders/?sort=10&desc=1"]),
        ("sorted by country (information)", ["/admin/orders/?sort=7"]),
        ("page 50", ["/admin/orders/?page=49"]),
        (
            f"order page ({len([i for i in order_ids if i])} orders)",
            [f"/admin/orders/details/?id={i}" for i in order_ids if i],
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
