"""How fast the storefront product list answers 20 concurrent clients, per kind of request.

    .venv/bin/python bench/storefront_list.py                        # seed once, then measure
    .venv/bin/python bench/storefront_list.py --indexes recommended  # with the indexes proposed
    .venv/bin/python bench/storefront_list.py --explain              # EXPLAIN ANALYZE each kind

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. Either way it seeds a database named `commerce_bench_catalog`
there with the demo seed (135,000 products give about 300,000 variants; few customers and orders),
or reuses it when it already holds that many products (`--reseed` starts afresh). It then serves
the API with gunicorn on 127.0.0.1 (an embedded Redis for REDIS_URL), drives `--clients` threads
without think time through `--requests` list requests (default sort, a category, a price range, an
attribute, page 2 by cursor), prints p50/p95/p99 and requests/s per kind and overall, and stops
gunicorn. `--indexes recommended` creates the indexes the catalog queries want
(RECOMMENDED_INDEXES, which migration 0008 creates too); `--indexes none` drops them for a
comparison; `keep` (the default) leaves the database as it is. `--no-cache` sets
CATALOG_CACHE_SECONDS=0, so every request reads the database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

DATABASE = "commerce_bench_catalog"

# What the storefront list wants beyond migration 0002; the names are the ones the migration
# should use.
RECOMMENDED_INDEXES = {
    # newest (default sort): walk visible products newest first, stop after a page.
    "ix_products_active_created_at": (
        "CREATE INDEX IF NOT EXISTS ix_products_active_created_at"
        " ON products (created_at DESC, id DESC) WHERE status = 'active'"
    ),
    # title sort.
    "ix_products_active_title": (
        "CREATE INDEX IF NOT EXISTS ix_products_active_title"
        " ON products (title, id) WHERE status = 'active'"
    ),
    # price sorts walk variants by price; a product's cheapest variant stands for it.
    "ix_variants_price_amount_product_id": (
        "CREATE INDEX IF NOT EXISTS ix_variants_price_amount_product_id"
        " ON variants (price_amount, product_id)"
    ),
}


def main(argv: list[str] | None = None) -> int:
    """Seed (or reuse) the bench database, serve it with gunicorn and measure the product list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=135_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--indexes", choices=("keep", "recommended", "none"), default="keep")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=6_000, help="measured requests in all")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="CATALOG_CACHE_SECONDS=0: every request reads the database",
    )
    parser.add_argument(
        "--keepalive",
        action="store_true",
        help="keep each client's connection open (it then stays on one gunicorn worker)",
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each kind, no load")
    parser.add_argument("--prepare-only", action="store_true", help="seed and index, then stop")
    args = parser.parse_args(argv)

    from commerce import embedded

    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "bench-postgres"
    )
    redis_dir = ROOT / "instance" / "bench-redis"
    redis_url = embedded.start_redis(redis_dir)
    try:
        url = prepare_database(server, redis_url, args)
        if args.prepare_only:
            return 0
        if args.explain:
            explain(url, redis_url)
            return 0
        timings, wall, failures = measure(url, redis_url, args)
    finally:
        embedded.stop_redis(redis_dir)
    report(timings, wall, failures, args)
    return 0 if not failures else 1


def measure(
    url: str, redis_url: str, args: argparse.Namespace
) -> tuple[dict[str, list[float]], float, int]:
    """Serve the API with gunicorn, warm it up and drive the measured requests; stops gunicorn."""
    port = _free_port()
    gunicorn = _start_gunicorn(url, redis_url, port, args.workers, args.threads, args.no_cache)
    try:
        _wait_until_up(port, gunicorn)
        kinds = request_kinds(port)
        print(f"warming up with {args.warmup} requests ...", flush=True)
        drive(port, kinds, args.clients, args.warmup, args.keepalive)
        print(f"{args.requests:,} requests from {args.clients} clients ...", flush=True)
        return drive(port, kinds, args.clients, args.requests, args.keepalive)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gunicorn.kill()


# --- Database -----------------------------------------------------------------------------------


def prepare_database(server: str, redis_url: str, args: argparse.Namespace) -> str:
    """Seed `commerce_bench_catalog` unless it already holds `--products` products, set the
    indexes as `--indexes` asks; returns the database's URL."""
    return benchdb.prepare(
        server, DATABASE, args, RECOMMENDED_INDEXES, REDIS_URL=redis_url, faces=["api"]
    )


def explain(url: str, redis_url: str) -> None:
    """Print EXPLAIN (ANALYZE, BUFFERS) of the page query of each kind of request."""
    from psycopg.types.json import Jsonb

    from commerce import db
    from commerce.catalog import queries
    from wsgi import create_app

    app = create_app(DATABASE_URL=url, REDIS_URL=redis_url, faces=["api"])
    with app.app_context():
        category = _a_category_slug()
        in_category = queries.category_descendant_ids(category)
        by_category = queries.ProductFilters(category=category)
        cases = [  # (kind, filters, sort, resolved category ids, price strategy)
            ("default", queries.ProductFilters(), "newest", None, "walk"),
            ("category", by_category, "newest", in_category, "walk"),
            (
                "price",
                queries.ProductFilters(min_price=2000, max_price=5000),
                "newest",
                None,
                "walk",
            ),
            (
                "attribute",
                queries.ProductFilters(attributes={"material": ("Cotton",)}),
                "newest",
                None,
                "walk",
            ),
            ("title", queries.ProductFilters(), "title", None, "walk"),
            ("price_asc", queries.ProductFilters(), "price_asc", None, "walk"),
            ("category price_desc", by_category, "price_desc", in_category, "window"),
            ("category price_desc", by_category, "price_desc", in_category, "rank"),
        ]
        for kind, filters, sort, ids, strategy in cases:
            statement = queries.page_statement(filters, sort, 24, None, ids, strategy)
            compiled = statement.compile(
                dialect=db.session.get_bind().dialect,
                compile_kwargs={"render_postcompile": True},
            )
            params = {
                name: Jsonb(value) if isinstance(value, dict) else value
                for name, value in compiled.params.items()
            }
            rows = db.session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), params
            )
            print(f"--- {kind} (sort {sort}, {strategy})")
            for (line,) in rows:
                print(line)
        db.session.rollback()


def _a_category_slug() -> str:
    """A second-level category (a department's section, with its leaves below it)."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from commerce import db
    from commerce.catalog.models import Category

    parent = aliased(Category)
    return db.session.scalar(
        select(Category.slug)
        .join(parent, Category.parent_id == parent.id)
        .where(parent.parent_id.is_(None))
        .order_by(Category.id)
        .limit(1)
    )


# --- Load --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(
    database_url: str, redis_url: str, port: int, workers: int, threads: int, no_cache: bool
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "APP_FACES": "api",  # the API scales as its own process
        "LOG_LEVEL": "WARNING",
        "CATALOG_CACHE_SECONDS": "0" if no_cache else "60",
        # All clients share 127.0.0.1: lift the per-IP limit (it is still counted per request).
        "API_RATE_LIMIT": "1000000 per minute",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "wsgi:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            status, _body = _get(http.client.HTTPConnection("127.0.0.1", port), "/api/v1/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /api/v1/health in time")


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def request_kinds(port: int) -> dict[str, list[str]]:
    """Paths to request, by kind; page 2 cursors come from first pages fetched here."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    status, body = _get(conn, "/api/v1/categories")
    if status != 200:
        raise SystemExit(f"/api/v1/categories answered {status}")
    tree = json.loads(body)["data"]
    sections = [child["slug"] for top in tree for child in top["children"]]
    leaves = [
        leaf["slug"] for top in tree for child in top["children"] for leaf in child["children"]
    ]
    kinds: dict[str, list[str]] = {
        "default": ["/api/v1/products"],
        "category": [f"/api/v1/products?category={slug}" for slug in sections + leaves],
        "price": [
            f"/api/v1/products?min_price={low}&max_price={high}"
            for low, high in ((1000, 2500), (2000, 5000), (5000, 10000), (10000, 30000))
        ],
        "attribute": [
            "/api/v1/products?attr.material=Cotton",
            "/api/v1/products?attr.fit=Slim",
            "/api/v1/products?attr.waterproof=true",
            "/api/v1/products?attr.material=Linen&attr.material=Wool",
        ],
    }
    firsts = [
        "/api/v1/products",
        "/api/v1/products?sort=price_asc",
        "/api/v1/products?sort=price_desc",
        *kinds["category"][:4],
        *kinds["attribute"][:2],
    ]
    kinds["page2"] = []
    for first in firsts:
        status, body = _get(conn, first)
        cursor = json.loads(body)["page"]["next_cursor"] if status == 200 else None
        if cursor:
            joiner = "&" if "?" in first else "?"
            kinds["page2"].append(f"{first}{joiner}cursor={urllib.parse.quote(cursor)}")
    conn.close()
    return kinds


def drive(
    port: int, kinds: dict[str, list[str]], clients: int, total: int, keepalive: bool = False
) -> tuple[dict[str, list[float]], float, int]:
    """Send `total` requests from `clients` threads (kinds in turn), each on a new connection
    unless `keepalive`; returns the latencies in seconds by kind, the wall time and the number of
    non-200 answers."""
    plan = []
    names = list(kinds)
    for i in range(total):
        kind = names[i % len(names)]
        paths = kinds[kind]
        plan.append((kind, paths[(i // len(names)) % len(paths)]))
    lock = threading.Lock()
    timings: dict[str, list[float]] = defaultdict(list)
    failures = 0
    position = 0

    def client() -> None:
        nonlocal failures, position
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if position >= len(plan):
                    break
                kind, path = plan[position]
                position += 1
            started = time.perf_counter()
            try:
                status, _body = _get(conn, path)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            if not keepalive:
                conn.close()  # the next request connects afresh (and may land on another worker)
            elapsed = time.perf_counter() - started
            with lock:
                timings[kind].append(elapsed)
                failures += status != 200
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, time.perf_counter() - started, failures


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(
    timings: dict[str, list[float]], wall: float, failures: int, args: argparse.Namespace
) -> None:
    """Print the latency percentiles (ms) and throughput per kind and overall."""
    print()
    print(f"{'kind':<10} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    everything: list[float] = []
    for kind, values in timings.items():
        everything.extend(values)
        print(
            f"{kind:<10} {len(values):>9,} {_percentile(values, 0.5) * 1000:>8.1f}"
            f" {_percentile(values, 0.95) * 1000:>8.1f} {_percentile(values, 0.99) * 1000:>8.1f}"
            f" {len(values) / wall:>8.1f}"
        )
    print(
        f"{'all':<10} {len(everything):>9,} {_percentile(everything, 0.5) * 1000:>8.1f}"
        f" {_percentile(everything, 0.95) * 1000:>8.1f}"
        f" {_percentile(everything, 0.99) * 1000:>8.1f} {len(everything) / wall:>8.1f}"
    )
    print(
        f"{args.clients} clients, gunicorn {args.workers} workers x {args.threads} threads,"
        f" {failures} non-200 answers, {wall:.1f}s, on {os.cpu_count()} cores"
        " (clients, gunicorn and PostgreSQL share them)"
    )


if __name__ == "__main__":
    sys.exit(main())
