"""How fast cart reads and order placement answer 20 concurrent clients.

    .venv/bin/python bench/checkout_speed.py             # seed once, prepare carts, measure
    .venv/bin/python bench/checkout_speed.py --stripe    # also place orders paid by Stripe
    .venv/bin/python bench/checkout_speed.py --profile   # also cProfile one placement in-process

With DATABASE_URL unset it starts the embedded PostgreSQL under instance/bench-postgres, otherwise
it uses the server at DATABASE_URL. Either way it seeds a database of its own,
`commerce_bench_checkout`, with the demo seed (`--products`, 20,000 by default: placed orders
change its stock, so it is not the product list's database), or reuses it when it already holds
that many products. It loads the published tax rates and the default shipping methods, picks
`--variants` active, published, physical variants and receives stock for them so that every
placement finds its units, and serves the API with gunicorn on 127.0.0.1 (an embedded Redis,
API_RATE_LIMIT and API_CHECKOUT_RATE_LIMIT raised out of the way). Before timing anything it
prepares guest carts through the API as a shopper would: POST /carts, three lines, email, a
German shipping address, the first shipping method offered, then GET /carts/{token} (the read
records the prices shown; placing refuses with 409 cart_changed otherwise). Then, each phase
with `--clients` threads without think time:

  cart_read   GET /api/v1/carts/{token} on the 3-line carts (target p95 < 50 ms). Nothing
              changes these carts meanwhile, so after its first read each is answered from the
              cart cache (commerce/carts/cache.py: one fingerprint query and one Redis GET);
              `--no-cart-cache` prices every read afresh, as a read after a change does
  place       POST /api/v1/carts/{token}/orders {"payment_method": "bank_transfer"} with an
              Idempotency-Key: one real placement per prepared cart (target p95 < 300 ms)
  place_stripe  the same with "stripe" (`--stripe`): the local Stripe test server
              (commerce/payments/stripe_server.py) runs as a process of its own and placement
              creates a PaymentIntent there

It prints p50/p95/p99, requests/s and non-success answers by status per kind, the core count and
whether the targets are met. `--profile` (or a missed placement target) then places one more
bank-transfer order in-process under cProfile and prints where its time goes, with the number
and time of its SQL statements.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.storefront_list import RECOMMENDED_INDEXES  # noqa: E402

DATABASE = "commerce_bench_checkout"
READ_TARGET_MS = 50.0
PLACE_TARGET_MS = 300.0
NO_LIMIT = "1000000 per minute"
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postcode": "10117",
    "country": "DE",
}
STRIPE_KEY = "sk_test_local"
STRIPE_WEBHOOK_SECRET = "whsec_local"  # noqa: S105 - the local test server's own secret


def main(argv: list[str] | None = None) -> int:
    """Seed (or reuse) the bench database, prepare carts through the API and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--orders", type=int, default=2_000, help="orders the demo seed writes")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--reads", type=int, default=3_000, help="measured cart reads")
    parser.add_argument("--read-carts", type=int, default=100, help="3-line carts to read")
    parser.add_argument("--placements", type=int, default=400, help="measured placements")
    parser.add_argument(
        "--stripe-placements", type=int, default=200, help="measured Stripe placements"
    )
    parser.add_argument("--warmup", type=int, default=40, help="placements before measuring")
    parser.add_argument("--lines", type=int, default=3, help="lines per cart (1 unit each)")
    parser.add_argument("--variants", type=int, default=300, help="variants the carts draw on")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--stripe", action="store_true", help="also measure Stripe placement")
    parser.add_argument("--profile", action="store_true", help="cProfile one placement")
    parser.add_argument(
        "--no-cart-cache",
        action="store_true",
        help="CART_CACHE_SECONDS=0: every cart read prices the cart afresh",
    )
    parser.add_argument(
        "--keepalive",
        action="store_true",
        help="keep each client's connection open (it then stays on one gunicorn worker)",
    )
    args = parser.parse_args(argv)
    args.indexes = "keep"  # benchdb.prepare leaves the catalog indexes as they are

    from commerce import embedded

    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "bench-postgres"
    )
    redis_dir = ROOT / "instance" / "bench-redis"
    redis_url = embedded.start_redis(redis_dir)
    try:
        url = benchdb.prepare(
            server, DATABASE, args, RECOMMENDED_INDEXES, REDIS_URL=redis_url, faces=["api"]
        )
        shop = prepare_shop(url, redis_url, args)
        results = measure(url, redis_url, shop, args)
        report(results, shop, args)
        place = results.get("place")
        if args.profile or (place and place.p(0.95) * 1000 >= PLACE_TARGET_MS):
            profile_placement(url, redis_url, shop)
    finally:
        embedded.stop_redis(redis_dir)
    failures = sum(sum(r.errors.values()) for r in results.values())
    return 0 if not failures else 1


# --- The shop ------------------------------------------------------------------------------------


@dataclass
class Shop:
    """What the carts are made of, and how big the catalog is."""

    products: int
    variants: int
    pool: list[int]
    lines: int
    received: int


def _actor():
    from commerce.audit import Actor

    return Actor(kind="staff", id=None, label="bench@shop.example")


def _app(url: str, redis_url: str):
    from wsgi import create_app

    return create_app(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        faces=["api"],
        API_RATE_LIMIT=NO_LIMIT,
        API_CHECKOUT_RATE_LIMIT=NO_LIMIT,
        LOG_LEVEL="WARNING",
    )


def prepare_shop(url: str, redis_url: str, args: argparse.Namespace) -> Shop:
    """Load tax rates and default shipping, pick the variants and receive enough stock for every
    cart this run prepares (each placed cart allocates `--lines` units)."""
    from sqlalchemy import func, select

    from commerce import db
    from commerce.carts.service import visible_product
    from commerce.catalog.models import Product, Variant
    from commerce.inventory import service as inventory
    from commerce.inventory.models import VariantInventory, Warehouse
    from commerce.inventory.queries import availability
    from commerce.shipping.service import load_default_shipping
    from commerce.tax.service import load_published_rates

    actor = _actor()
    app = _app(url, redis_url)
    with app.app_context():
        load_published_rates(actor)
        load_default_shipping(actor)
        backorders = select(VariantInventory.variant_id).where(
            VariantInventory.backorder_policy != "deny"
        )
        pool = list(
            db.session.scalars(
                select(Variant.id)
                .join(Product, Product.id == Variant.product_id)
                .where(
                    visible_product(),
                    Variant.is_digital.is_(False),
                    Variant.currency == "EUR",
                    Variant.id.not_in(backorders),
                )
                .order_by(Variant.id)
                .limit(args.variants)
            )
        )
        if len(pool) < args.lines:
            raise SystemExit(f"only {len(pool)} sellable physical variants in {DATABASE}")
        warehouse = db.session.scalar(
            select(Warehouse.id)
            .where(Warehouse.is_active.is_(True))
            .order_by(Warehouse.priority, Warehouse.id)
            .limit(1)
        )
        carts = args.read_carts + args.warmup + args.placements
        if args.stripe:
            carts += args.warmup // 2 + args.stripe_placements
        # Every cart takes one unit of `lines` consecutive pool variants; twice that for margin.
        wanted = 2 * math.ceil(carts * args.lines / len(pool)) + 5
        available = availability(pool)
        db.session.rollback()
        received = 0
        for variant_id in pool:
            short = wanted - available.get(variant_id, 0)
            if short > 0:
                inventory.receive_stock(variant_id, warehouse, short, "bench-checkout", actor=actor)
                received += short
        products = db.session.scalar(select(func.count()).select_from(Product))
        variants = db.session.scalar(select(func.count()).select_from(Variant))
        db.session.rollback()
        db.engine().dispose()
    print(
        f"tax rates and default shipping loaded; {len(pool)} variants with >= {wanted} units"
        f" each ({received:,} units received)",
        flush=True,
    )
    return Shop(products, variants, pool, args.lines, received)


# --- HTTP ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    payload = None if body is None else json.dumps(body).encode()
    sent = dict(headers or {})
    if payload is not None:
        sent["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=sent)
    response = conn.getresponse()
    return response.status, response.read()


def _start_gunicorn(
    url: str, redis_url: str, port: int, args: argparse.Namespace, stripe_base: str | None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "APP_FACES": "api",
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT": NO_LIMIT,
        "API_CHECKOUT_RATE_LIMIT": NO_LIMIT,
        "CART_CACHE_SECONDS": "0" if args.no_cart_cache else "600",
    }
    if stripe_base:
        env.update(
            STRIPE_SECRET_KEY=STRIPE_KEY,
            STRIPE_API_BASE=stripe_base,
            STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
        )
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "wsgi:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _start_stripe(port: int) -> subprocess.Popen:
    env = {**os.environ, "STRIPE_SECRET_KEY": STRIPE_KEY}
    command = [sys.executable, "-m", "commerce.payments.stripe_server", "--port", str(port)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_until_up(port: int, process: subprocess.Popen, path: str | None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode}")
        try:
            if path is None:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            status, _body = _request(http.client.HTTPConnection("127.0.0.1", port), "GET", path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port} in time")


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


# --- Carts ---------------------------------------------------------------------------------------


def fill_cart(conn: http.client.HTTPConnection, variants: list[int], email: str) -> str:
    """A guest cart with one unit of each variant, the email, a German address and the first
    shipping method offered, read once (the read records the prices shown). -> token"""

    def ok(method: str, path: str, body: Any = None, expected: int = 200) -> dict[str, Any]:
        status, raw = _request(conn, method, "/api/v1" + path, body)
        if status != expected:
            raise RuntimeError(f"{method} {path} answered {status}: {raw[:300]!r}")
        return json.loads(raw)

    token = ok("POST", "/carts", expected=201)["token"]
    for variant_id in variants:
        ok("POST", f"/carts/{token}/lines", {"variant_id": variant_id, "quantity": 1})
    ok("PUT", f"/carts/{token}/email", {"email": email})
    ok("PUT", f"/carts/{token}/addresses", {"shipping_address": ADDRESS})
    methods = ok("GET", f"/carts/{token}/shipping-methods")["data"]
    if not methods:
        raise RuntimeError("no shipping method serves the cart's German address")
    ok("PUT", f"/carts/{token}/shipping-method", {"shipping_method_id": methods[0]["id"]})
    ok("GET", f"/carts/{token}")
    return token


def prepare_carts(port: int, shop: Shop, first: int, count: int, clients: int) -> list[str]:
    """`count` carts through the API from `clients` threads; cart i holds the pool's variants
    i*lines ... i*lines+lines-1 (wrapping), so units are drawn evenly."""
    lines = shop.lines
    tokens: list[str | None] = [None] * count
    position = 0
    lock = threading.Lock()
    problems: list[str] = []

    def client() -> None:
        nonlocal position
        while True:
            with lock:
                if position >= count or problems:
                    return
                i = position
                position += 1
            n = first + i
            variants = [shop.pool[(n * lines + k) % len(shop.pool)] for k in range(lines)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                tokens[i] = fill_cart(conn, variants, f"bench{n}@example.com")
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                with lock:
                    problems.append(str(exc))
            finally:
                conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        raise SystemExit(f"preparing carts failed: {problems[0]}")
    return [token for token in tokens if token]


# --- Load ----------------------------------------------------------------------------------------


@dataclass
class Result:
    """One kind's latencies (seconds, successful answers), answers by status and wall time."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    samples: dict[int, str] = field(default_factory=dict)
    wall: float = 0.0

    def p(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None
    expected: int = 200


def drive(port: int, plan: list[Call], clients: int, keepalive: bool) -> Result:
    """Send the planned calls from `clients` threads without think time, each on a new
    connection unless `keepalive`."""
    lock = threading.Lock()
    result = Result()
    position = 0

    def client() -> None:
        nonlocal position
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if position >= len(plan):
                    break
                call = plan[position]
                position += 1
            headers = call.headers
            if call.method == "POST" and call.expected == 201:
                headers = {**(headers or {}), "Idempotency-Key": str(uuid.uuid4())}
            started = time.perf_counter()
            try:
                status, raw = _request(conn, call.method, call.path, call.body, headers)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, raw = 0, str(exc).encode()
            if not keepalive:
                conn.close()
            elapsed = time.perf_counter() - started
            with lock:
                result.statuses[status] += 1
                if status == call.expected:
                    result.latencies.append(elapsed)
                else:
                    result.errors[status] += 1
                    result.samples.setdefault(status, raw[:300].decode(errors="replace"))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    return result


def _placements(tokens: list[str], method: str) -> list[Call]:
    return [
        Call("POST", f"/api/v1/carts/{t}/orders", {"payment_method": method}, expected=201)
        for t in tokens
    ]


def measure(url: str, redis_url: str, shop: Shop, args: argparse.Namespace) -> dict[str, Result]:
    """Serve the API (and the Stripe test server), prepare the carts, warm up and measure each
    kind in its own phase; stops the servers."""
    stripe = gunicorn = None
    stripe_base = None
    results: dict[str, Result] = {}
    try:
        if args.stripe:
            stripe_port = _free_port()
            stripe = _start_stripe(stripe_port)
            _wait_until_up(stripe_port, stripe, None)
            stripe_base = f"http://127.0.0.1:{stripe_port}"
            print(f"Stripe test server on {stripe_base}", flush=True)
        port = _free_port()
        gunicorn = _start_gunicorn(url, redis_url, port, args, stripe_base)
        _wait_until_up(port, gunicorn, "/api/v1/health")

        stripe_warmup = args.warmup // 2 if args.stripe else 0
        wanted = {
            "read": args.read_carts,
            "place": args.warmup + args.placements,
            "stripe": stripe_warmup + args.stripe_placements if args.stripe else 0,
        }
        # Where each run starts in the pool: another run's carts take other variants first.
        offset = int(time.time()) % len(shop.pool)
        started = time.perf_counter()
        tokens: dict[str, list[str]] = {}
        for kind, count in wanted.items():
            tokens[kind] = prepare_carts(port, shop, offset, count, args.clients)
            offset += count
        prepared = sum(wanted.values())
        print(
            f"prepared {prepared:,} carts of {args.lines} lines through the API in"
            f" {time.perf_counter() - started:.0f}s",
            flush=True,
        )

        reads = [Call("GET", f"/api/v1/carts/{t}") for t in tokens["read"]]
        read_plan = [reads[i % len(reads)] for i in range(args.reads)]
        print(f"warming up with {len(reads)} cart reads ...", flush=True)
        drive(port, reads, args.clients, args.keepalive)
        print(f"{args.reads:,} cart reads from {args.clients} clients ...", flush=True)
        results["cart_read"] = drive(port, read_plan, args.clients, args.keepalive)

        place = _placements(tokens["place"], "bank_transfer")
        print(f"warming up with {args.warmup} placements ...", flush=True)
        drive(port, place[: args.warmup], args.clients, args.keepalive)
        print(f"{args.placements:,} placements from {args.clients} clients ...", flush=True)
        results["place"] = drive(port, place[args.warmup :], args.clients, args.keepalive)

        if args.stripe:
            place = _placements(tokens["stripe"], "stripe")
            drive(port, place[:stripe_warmup], args.clients, args.keepalive)
            print(
                f"{args.stripe_placements:,} Stripe placements from {args.clients} clients ...",
                flush=True,
            )
            results["place_stripe"] = drive(
                port, place[stripe_warmup:], args.clients, args.keepalive
            )
    finally:
        _stop(gunicorn)
        _stop(stripe)
    return results


# --- Report --------------------------------------------------------------------------------------


def report(results: dict[str, Result], shop: Shop, args: argparse.Namespace) -> None:
    """Per kind: answers, p50/p95/p99 (ms, successful answers), req/s in its phase, errors."""
    print()
    print(
        f"{'kind':<13} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}"
        "  errors"
    )
    for kind, r in results.items():
        total = sum(r.statuses.values())
        errors = ", ".join(f"{s}: {n}" for s, n in sorted(r.errors.items())) or "none"
        print(
            f"{kind:<13} {total:>9,} {r.p(0.5) * 1000:>8.1f} {r.p(0.95) * 1000:>8.1f}"
            f" {r.p(0.99) * 1000:>8.1f} {total / r.wall:>8.1f}  {errors}"
        )
    for kind, r in results.items():
        for status, sample in sorted(r.samples.items()):
            print(f"  {kind} {status}: {sample}")
    print(
        f"scale: {DATABASE}, demo seed of {shop.products:,} products / {shop.variants:,}"
        f" variants; carts of {args.lines} lines over {len(shop.pool)} variants"
    )
    print(
        f"{args.clients} clients, gunicorn {args.workers} workers x {args.threads} threads,"
        f" each kind in its own phase, on {os.cpu_count()} cores"
        " (clients, gunicorn, PostgreSQL and Redis share them)"
    )
    targets = [("cart_read", READ_TARGET_MS), ("place", PLACE_TARGET_MS)]
    for kind, target in targets:
        if kind in results:
            p95 = results[kind].p(0.95) * 1000
            verdict = "met" if p95 < target else "MISSED"
            print(f"target {kind} p95 < {target:.0f} ms: {verdict} ({p95:.1f} ms)")


# --- Profile -------------------------------------------------------------------------------------


def profile_placement(url: str, redis_url: str, shop: Shop) -> None:
    """In-process through the Flask test client (no HTTP, no other load): warm up with one cart
    read and one bank-transfer placement, then profile one read and one placement with cProfile,
    timing every SQL statement they send."""
    from sqlalchemy import event

    from commerce import db

    app = _app(url, redis_url)
    client = app.test_client()

    class _Conn:
        """The test client behind the two http.client calls fill_cart makes."""

        def request(self, method: str, path: str, body=None, headers=None) -> None:
            self.answer = client.open(path, method=method, data=body, headers=headers or {})

        def getresponse(self) -> _Conn:
            return self

        @property
        def status(self) -> int:
            return self.answer.status_code

        def read(self) -> bytes:
            return self.answer.data

    def read(token: str) -> int:
        return client.get(f"/api/v1/carts/{token}").status_code

    def place(token: str) -> int:
        response = client.post(
            f"/api/v1/carts/{token}/orders",
            json={"payment_method": "bank_transfer"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        return response.status_code

    offset = int(time.time() * 7) % len(shop.pool)
    variants = [shop.pool[(offset + k) % len(shop.pool)] for k in range(shop.lines)]
    tokens = [fill_cart(_Conn(), variants, f"profile{k}@example.com") for k in range(2)]
    read(tokens[0])
    place(tokens[0])

    with app.app_context():
        engine = db.engine()
    statements: list[tuple[str, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info["bench_started"].pop()
        statements.append((" ".join(statement.split())[:110], took))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for label, call in (("cart read", read), ("placement", place)):
            statements.clear()
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            status = call(tokens[1])
            profiler.disable()
            _print_profile(label, status, time.perf_counter() - started, profiler, statements)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        with app.app_context():
            db.engine().dispose()


def _print_profile(
    label: str,
    status: int,
    wall: float,
    profiler: cProfile.Profile,
    statements: list[tuple[str, float]],
) -> None:
    sql = sum(took for _, took in statements)
    print()
    print(
        f"=== profile of one {label} in-process (status {status}): {wall * 1000:.1f} ms;"
        f" {len(statements)} SQL statements, {sql * 1000:.1f} ms of them waiting on SQL"
    )
    grouped: dict[str, list[float]] = {}
    for text, took in statements:
        grouped.setdefault(text, []).append(took)
    print("--- SQL by total time (count x statement)")
    for text, times in sorted(grouped.items(), key=lambda item: -sum(item[1]))[:12]:
        print(f"{sum(times) * 1000:7.1f} ms {len(times):3d} x {text}")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"/(commerce|storefront_api)/", 25)
    lines = out.getvalue().replace(str(ROOT) + "/", "").splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("--- our code by cumulative time")
    print("\n".join(line for line in lines[start:] if line.strip()))


if __name__ == "__main__":
    sys.exit(main())
