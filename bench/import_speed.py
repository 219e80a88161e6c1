"""How fast the catalog import plans and applies a 5,000-row CSV (2,000 products x 2-3 variants).

    .venv/bin/python bench/import_speed.py
    .venv/bin/python bench/import_speed.py --products 500

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. Either way it (re)creates a database named
`commerce_bench_import` there, migrates it, adds the category, brand, product type and warehouse
the file refers to, then times parse + plan (the dry run) and apply, first on an empty catalog
(everything created) and again with the same file (everything unchanged), printing rows/s and the
number of cores.
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


def build_csv(products: int) -> tuple[bytes, int]:
    """A valid import file: products alternate 3 and 2 variants. Returns (content, rows)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["handle", "title", "status", "category", "brand", "product_type", "tags",
         "attr:material", "sku", "price", "cost", "weight_grams", "option:size", "stock:MAIN"]
    )  # fmt: skip
    rows = 0
    for n in range(products):
        for i, size in enumerate(SIZES[: 3 - n % 2]):
            first = i == 0
            writer.writerow(
                [f"bench-tee-{n}", f"Bench Tee {n}" if first else "", "active" if first else "",
                 "tees" if first else "", "acme" if first else "", "Tee" if first else "",
                 "bench,tee" if first else "", "Cotton" if first else "", f"BT-{n}-{size}",
                 f"{10 + n % 50}.99", "4.50", 150 + i * 10, size, n % 40]
            )  # fmt: skip
            rows += 1
    return out.getvalue().encode("utf-8"), rows


def main(argv: list[str] | None = None) -> int:
    """Time the import on a fresh database and report rows/s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2_000)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from commerce import db, embedded
    from commerce.audit import Actor
    from commerce.catalog import categories, importer, product_types
    from commerce.catalog.models import Brand
    from commerce.inventory import service as inventory
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
        categories.create_category(name="Tees", slug="tees", actor=actor)
        db.session.add(Brand(name="Acme", slug="acme"))
        db.session.commit()
        product_types.create_attribute(
            code="material", name="Material", kind="choice", choices=["Cotton"], actor=actor
        )
        product_types.create_attribute(
            code="size", name="Size", kind="choice", choices=list(SIZES), actor=actor
        )
        product_types.create_product_type(
            name="Tee",
            actor=actor,
            attributes=[{"code": "material"}, {"code": "size", "variant_axis": True}],
        )
        inventory.create_warehouse(code="MAIN", name="Main", country="DE", actor=actor)

        print(f"{rows:,} rows, {args.products:,} products, {os.cpu_count()} cores")
        for label in ("first import (all created)", "same file again (all unchanged)"):
            started = time.perf_counter()
            plan = importer.plan(importer.parse(content, "bench.csv"))
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
