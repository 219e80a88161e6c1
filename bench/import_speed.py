"""How fast the catalog import plans and applies a 5,000-row CSV (2,000 products x 2-3 variants).

    .venv/bin/python bench/import_speed.py
    .venv/bin/python bench/import_speed.py --products 500
    .venv/bin/python bench/import_speed.py --catalog 100000   # on top of a 100k-product catalog

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. Either way it (re)creates a database named
`commerce_bench_import` there, migrates it, adds the category, brand, product type and warehouse
the file refers to (after seeding `--catalog` demo products, if asked), then times parse + plan
(the dry run) and apply three times: new products (everything created), the same file again
(everything unchanged) and a file changing every price and stock count (everything updated),
printing rows/s and the number of cores.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "commerce_bench_import"
SIZES = ("S", "M", "L")


def build_csv(products: int, *, bump: int = 0) -> tuple[bytes, int]:
    """A valid import file: products alternate 3 and 2 variants; `bump` changes every price and
    stock count (a re-import that updates every row). Returns (content, rows)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["handle", "title", "status", "category", "brand", "product_type", "tags",
         "attr:bench_fabric", "sku", "price", "cost", "weight_grams", "option:bench_size",
         "stock:BENCH"]
    )  # fmt: skip
    rows = 0
    for n in range(products):
        for i, size in enumerate(SIZES[: 3 - n % 2]):
            first = i == 0
            writer.writerow(
                [f"bench-tee-{n}", f"Bench Tee {n}" if first else "", "active" if first else "",
                 "bench-tees" if first else "", "bench-acme" if first else "",
                 "Bench Tee" if first else "",
                 "bench,tee" if first else "", "Cotton" if first else "", f"BT-{n}-{size}",
                 f"{10 + n % 50 + bump}.99", "4.50", 150 + i * 10, size, n % 40 + bump]
            )  # fmt: skip
            rows += 1
    return out.getvalue().encode("utf-8"), rows


def main(argv: list[str] | None = None) -> int:
    """Time the import on a fresh database and report rows/s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument(
        "--catalog",
        type=int,
        default=0,
        help="products (x3 variants) the demo seed puts in the database before the import",
    )
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from commerce import db, embedded
    from commerce.audit import Actor
    from commerce.catalog import categories, importer, product_types
    from commerce.catalog.models import Brand
    from commerce.inventory import service as inventory
    from devtools import seed
    from wsgi import create_app

    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "bench-postgres"
    )
    url = embedded.create_database(server, DATABASE, drop_first=True)
    app = create_app(DATABASE_URL=url)
    actor = Actor.system("bench")
    content, rows = build_csv(args.products)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if args.catalog:
            started = time.perf_counter()
            seed.seed_demo(
                products=args.catalog, customers=0, orders=0, random_seed=7, progress=lambda _: None
            )
            print(f"seeded {args.catalog:,} products in {time.perf_counter() - started:.0f}s")
        categories.create_category(name="Bench tees", slug="bench-tees", actor=actor)
        db.session.add(Brand(name="Bench Acme", slug="bench-acme"))
        db.session.commit()
        product_types.create_attribute(
            code="bench_fabric", name="Fabric", kind="choice", choices=["Cotton"], actor=actor
        )
        product_types.create_attribute(
            code="bench_size", name="Bench size", kind="choice", choices=list(SIZES), actor=actor
        )
        product_types.create_product_type(
            name="Bench Tee",
            actor=actor,
            attributes=[{"code": "bench_fabric"}, {"code": "bench_size", "variant_axis": True}],
        )
        inventory.create_warehouse(code="BENCH", name="Bench", country="DE", actor=actor)

        print(f"{rows:,} rows, {args.products:,} products, {os.cpu_count()} cores")
        changed, _ = build_csv(args.products, bump=1)
        for label, data in (
            ("first import (all created)", content),
            ("same file again (all unchanged)", content),
            ("every price and stock changed (all updated)", changed),
        ):
            started = time.perf_counter()
            plan = importer.plan(importer.parse(data, "bench.csv"))
            planned = time.perf_counter() - started
            assert not plan.errors, plan.errors[:5]
            result = importer.apply(plan, actor)
            applied = time.perf_counter() - started - planned
            total = planned + applied
            print(f"{label}: {result.counts}")
            print(
                f"  dry run (parse + plan) {planned:6.2f}s {rows / planned:8,.0f} rows/s"
                f" | apply {applied:6.2f}s {rows / applied:8,.0f} rows/s"
                f" | both {total:6.2f}s {rows / total:8,.0f} rows/s"
            )
        db.engine().dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
