"""Server time of the back-office catalog screens on a catalog of 100,000+ products.

    .venv/bin/python bench/admin_catalog.py               # seed once (~300,000 variants), measure
    .venv/bin/python bench/admin_catalog.py --explain     # also EXPLAIN ANALYZE each page's SQL
    .venv/bin/python bench/admin_catalog.py --prepare-only

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. Either way it seeds a database named `commerce_bench_admin`
there with the demo seed (135,000 products give about 300,000 variants; few customers and orders),
or reuses it when it already holds that many products (`--reseed` starts afresh). It then signs in
as an administrator through Flask's test client and times `client.get` (server time: no network,
no browser) for the product list (default, filtered by status and category sorted by title,
searched by SKU, page 50) and a product edit page, plus for information a partial SKU, a title
word, the variant list and the product autocomplete: 3 warm-ups then 30 timed requests each, p50
and p95 in milliseconds, the SQL statements per page, and the number of cores.

`--indexes recommended` creates the indexes these screens want (RECOMMENDED_INDEXES, which
migration 0009 creates too), `--indexes none` drops them for a comparison, `keep` (the default)
leaves the database as it is.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

DATABASE = "commerce_bench_admin"
ADMIN_EMAIL = "bench-admin@shop.example"
ADMIN_PASSWORD = "bench password, not secret"  # noqa: S105 - a throwaway bench database
BUDGET_MS = 300.0

# What these screens want beyond the migrations; the names are the ones a migration should use.
RECOMMENDED_INDEXES = {
    # SKU search (a case-insensitive prefix); also the catalog service's SKU clash check, which
    # compares upper(sku) and otherwise scans every variant on each create or update.
    "ix_variants_upper_sku": (
        "CREATE INDEX IF NOT EXISTS ix_variants_upper_sku ON variants (upper(sku) text_pattern_ops)"
    ),
    # The list's default sort (newest change first) and deep pages of it.
    "ix_products_updated_at": (
        "CREATE INDEX IF NOT EXISTS ix_products_updated_at ON products (updated_at)"
    ),
}


def main(argv: list[str] | None = None) -> int:
    """Seed (or reuse) the bench database, then time the admin catalog pages. Returns 1 when a
    page answers with an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=135_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the list queries")
    parser.add_argument("--indexes", choices=("keep", "recommended", "none"), default="keep")
    parser.add_argument("--prepare-only", action="store_true", help="seed, then stop")
    args = parser.parse_args(argv)

    from commerce import embedded

    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "bench-postgres"
    )
    redis_url = embedded.start_redis(ROOT / "instance" / "bench-redis")
    url = prepare_database(server, args)
    if args.prepare_only:
        return 0
    return measure(url, redis_url, args)


def prepare_database(server: str, args: argparse.Namespace) -> str:
    """Seed `commerce_bench_admin` unless it already holds `--products` products; returns its
    URL."""
    return benchdb.prepare(server, DATABASE, args, RECOMMENDED_INDEXES, faces=["backoffice"])


def measure(url: str, redis_url: str, args: argparse.Namespace) -> int:
    """Sign in as an admin and time each page; prints a table and returns 1 on an HTTP error."""
    from wsgi import create_app

    app = create_app(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        SIGNIN_MAX_FAILURES=1000,
        faces=["backoffice"],
    )
    pages = bench_pages(app)
    client = app.test_client()
    _sign_in(client)
    print(f"\n{'page':<34} {'rows':>8} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    failed = False
    for label, path in pages:
        for _ in range(args.warmup):
            response = client.get(path)
        if response.status_code != 200:
            print(f"{label:<34} HTTP {response.status_code} for {path}")
            failed = True
            continue
        rows = _rows(response.get_data(as_text=True))
        with _counting(app) as statements:
            client.get(path)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p50 = timings[len(timings) // 2]
        p95 = timings[min(len(timings) - 1, round(len(timings) * 0.95) - 1)]
        flag = "  OVER BUDGET" if p95 > BUDGET_MS else ""
        print(
            f"{label:<34} {rows:>8} {len(statements):>8} {p50:>8.1f} {p95:>8.1f} "
            f"{timings[-1]:>8.1f}{flag}"
        )
        if args.explain:
            _explain(app, statements)
    print(f"\n{args.requests} requests per page after {args.warmup} warm-ups, server time through")
    print(f"Flask's test client (no network); {os.cpu_count()} cores; budget {BUDGET_MS:.0f} ms.")
    return 1 if failed else 0


def bench_pages(app: Any) -> list[tuple[str, str]]:
    """The pages to time, with ids picked from the seeded data: a big department, an SKU, a
    product with several variants."""
    from sqlalchemy import func, select

    from commerce import db
    from commerce.catalog.models import Category, Product, Variant

    with app.app_context():
        top = db.session.execute(
            select(Category.id, Category.name, func.count(Product.id))
            .join(Product, Product.category_id == Category.id)
            .group_by(Category.id)
            .order_by(func.count(Product.id).desc())
            .limit(1)
        ).one()
        department = (
            db.session.scalar(select(Category.parent_id).where(Category.id == top.id)) or top.id
        )
        middle = db.session.scalar(select(func.count()).select_from(Variant)) // 2
        sku = db.session.scalar(select(Variant.sku).order_by(Variant.id).offset(middle).limit(1))
        word = db.session.scalar(
            select(func.split_part(Product.title, " ", -1))
            .order_by(Product.id)
            .offset(779)
            .limit(1)
        )
        product_id = db.session.scalar(
            select(Variant.product_id)
            .group_by(Variant.product_id)
            .having(func.count() >= 4)
            .order_by(Variant.product_id)
            .limit(1)
        )
        db.session.rollback()
    filtered = (
        f"/admin/products/?flt0_status_equals=active"
        f"&flt1_category_in_with_subcategories={department}&sort=0"
    )
    return [
        ("product list (default)", "/admin/products/"),
        ("status + category, by title", filtered),
        (f"search SKU {sku}", f"/admin/products/?search={sku}"),
        (f"search SKU prefix {sku[:8]}", f"/admin/products/?search={sku[:8]}"),
        (f"search title word {word!r}", f"/admin/products/?search={word}"),
        ("page 50", "/admin/products/?page=49"),
        (f"product edit (#{product_id})", f"/admin/products/edit/?id={product_id}"),
        ("variant list (default)", "/admin/variants/"),
        (
            f"product autocomplete {word!r}",
            f"/admin/variants/ajax/lookup/?name=product&query={word}",
        ),
    ]


def _sign_in(client: Any) -> None:
    """Create the bench admin once, then sign in through the real form."""
    from sqlalchemy import select

    from commerce import db
    from commerce.audit import Actor
    from commerce.staff import service as staff
    from commerce.staff.models import StaffUser

    with client.application.app_context():
        if db.session.scalar(select(StaffUser.id).where(StaffUser.email == ADMIN_EMAIL)) is None:
            staff.create_staff_user(
                email=ADMIN_EMAIL,
                name="Bench Admin",
                role="admin",
                password=ADMIN_PASSWORD,
                actor=Actor.system("bench"),
            )
        db.session.remove()
    token = _csrf(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed with HTTP {response.status_code}")


def _csrf(body: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    if not match:
        raise SystemExit("no CSRF token on the sign-in page")
    return match.group(1)


def _rows(body: str) -> str:
    """The row count Flask-Admin shows as "List (N)", "-" on other pages."""
    match = re.search(r"List \((\d+)\)", body)
    return match.group(1) if match else "-"


@contextmanager
def _counting(app: Any) -> Iterator[list[tuple[str, Any]]]:
    """Collect the SQL statements (and parameters) run while the block runs."""
    from sqlalchemy import event

    from commerce import db

    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _explain(app: Any, statements: list[tuple[str, Any]]) -> None:
    """EXPLAIN ANALYZE every SELECT of a page (the sign-in's user lookup included)."""
    from commerce import db

    with app.app_context():
        raw = db.engine().raw_connection()
        try:
            with raw.cursor() as cursor:
                for statement, parameters in statements:
                    if not statement.lstrip().upper().startswith("SELECT"):
                        continue
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = [row[0] for row in cursor.fetchall()]
                    print("    " + " ".join(statement.split())[:160])
                    for line in plan:
                        print("      " + line)
            raw.rollback()
        finally:
            raw.close()


if __name__ == "__main__":
    sys.exit(main())
