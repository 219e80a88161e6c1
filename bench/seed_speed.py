"""How fast `flask seed demo` fills a fresh database, per table.

    .venv/bin/python bench/seed_speed.py                      # 1,000,000 orders (the issue's goal)
    .venv/bin/python bench/seed_speed.py --orders 100000 --products 10000 --customers 20000

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. Either way it (re)creates a database named `commerce_bench`
there, migrates it and seeds it, then prints rows/s for each table, the total seconds and the
number of cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "commerce_bench"


def main(argv: list[str] | None = None) -> int:
    """Seed a fresh `commerce_bench` database at the requested scale and report the speed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from commerce import db, embedded
    from devtools import seed
    from wsgi import create_app

    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "bench-postgres"
    )
    url = embedded.create_database(server, DATABASE, drop_first=True)
    app = create_app(DATABASE_URL=url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        marks: list[tuple[str, float]] = []
        started = time.perf_counter()

        def progress(line: str) -> None:
            marks.append((line, time.perf_counter() - started))
            print(f"  {time.perf_counter() - started:7.1f}s  {line}", flush=True)

        counts = seed.seed_demo(
            products=args.products,
            customers=args.customers,
            orders=args.orders,
            random_seed=args.seed,
            progress=progress,
        )
        total = time.perf_counter() - started
        db.engine().dispose()

    # The seed reports after each stage (catalog, customers, every 100,000 orders); a table's rate
    # is its rows over the stage that writes it (products and variants share one, as do orders and
    # their lines).
    stage = {line.split(":")[0]: at for line, at in marks}
    catalog = stage.get("products", 0.0)
    people = stage.get("customers", catalog) - catalog
    ordering = stage.get("orders", total) - catalog - people
    print()
    print(f"{'table':<12} {'rows':>12} {'stage':>10} {'seconds':>8} {'rows/s':>10}")
    for table, name, seconds in (
        ("products", "catalog", catalog),
        ("variants", "catalog", catalog),
        ("customers", "customers", people),
        ("orders", "orders", ordering),
        ("order_lines", "orders", ordering),
    ):
        rows = counts[table]
        rate = rows / seconds if seconds else 0.0
        print(f"{table:<12} {rows:>12,} {name:>10} {seconds:>8.1f} {rate:>10,.0f}")
    all_rows = sum(counts.values())
    print(f"{'all':<12} {all_rows:>12,} {'total':>10} {total:>8.1f} {all_rows / total:>10,.0f}")
    print(f"total {total:.1f}s on {os.cpu_count()} cores (including the commit and ANALYZE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
