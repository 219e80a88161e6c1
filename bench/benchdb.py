"""What the catalog benchmarks share: a seeded database of their own, and index switching.

`prepare(server, name, args, indexes, **app_config)` creates database `name` on `server` (dropped
first with `--reseed`, or when it holds fewer than `--products` products), migrates it, seeds it
with the demo seed unless it has products, applies `--indexes` (recommended | none | keep) to the
`indexes` {name: CREATE INDEX ...} and prints what it holds. Returns the database's URL.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def product_count(url: str) -> int:
    """Products in the database at `url` (0 when it has no schema yet)."""
    from sqlalchemy import create_engine, text

    from commerce.db import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT to_regclass('products') IS NOT NULL"))
            return int(conn.scalar(text("SELECT count(*) FROM products"))) if exists else 0
    finally:
        engine.dispose()


def prepare(
    server: str, name: str, args: argparse.Namespace, indexes: dict[str, str], **app_config: Any
) -> str:
    """Create, migrate and seed the benchmark database; set its indexes. Returns its URL."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from commerce import db, embedded
    from commerce.catalog.models import Product, Variant
    from devtools import seed
    from wsgi import create_app

    url = embedded.create_database(server, name, drop_first=args.reseed)
    if 0 < product_count(url) < args.products:
        url = embedded.create_database(server, name, drop_first=True)
    app = create_app(DATABASE_URL=url, **app_config)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if not db.session.scalar(select(Product.id).limit(1)):
            started = time.perf_counter()
            seed.seed_demo(
                products=args.products,
                customers=args.customers,
                orders=args.orders,
                random_seed=args.seed,
                progress=lambda line: print(f"  {line}", flush=True),
            )
            print(f"seeded in {time.perf_counter() - started:.0f}s", flush=True)
        products = db.session.scalar(select(func.count()).select_from(Product))
        variants = db.session.scalar(select(func.count()).select_from(Variant))
        print(f"{name}: {products:,} products, {variants:,} variants", flush=True)
        db.session.rollback()
        if args.indexes != "keep":
            with db.engine().begin() as conn:
                for index, ddl in indexes.items():
                    drop = f"DROP INDEX IF EXISTS {index}"
                    conn.execute(text(ddl if args.indexes == "recommended" else drop))
                conn.execute(text("ANALYZE products, variants"))
        present = db.session.scalars(
            text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"),
            {"names": list(indexes)},
        ).all()
        db.session.rollback()
        print(f"recommended indexes present: {', '.join(sorted(present)) or 'none'}", flush=True)
        db.engine().dispose()
    return url
