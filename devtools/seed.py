"""Demo data: a shop that looks real on first run, and that benchmarks can scale up.

Everything comes from one seeded `random.Random`, so a given seed gives the same shop (only the
dates move with today). Rows are written with PostgreSQL COPY on the SQLAlchemy session's own
connection, so the seed joins the caller's transaction (a test's, say) and commits once at the end.
Ids and order numbers are reserved up front from their sequences, so running the seed again adds to
the shop instead of colliding with it.

The shop: a three-level category tree, brands per department, products with 1-4 size / colour /
format variants, customers from a handful of European countries and the US, and 18 months of orders
ending today with a weekly shape (Sunday and Monday busiest, Saturday quietest), a seasonal one
(November and December peak with Black Friday, a summer dip) and gentle growth. Amounts follow the
rule written in `commerce.orders.models`.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import Any

from psycopg import Cursor, sql
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from commerce import db
from commerce.catalog.downloads import storage_root
from commerce.catalog.models import Brand, Category, Product
from devtools.demo_words import (
    ADJECTIVES,
    BLURBS,
    BOOK_OPENERS,
    COUNTRIES,
    DEPARTMENTS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    GROWTH,
    GUEST_SHARE,
    HOUR_FACTORS,
    LAST_NAMES,
    LEAVES,
    LINE_COUNTS,
    MONTH_FACTORS,
    OPTIONS,
    SHIPPING,
    TAGS,
    VARIANT_COUNTS,
    WEEKDAY_FACTORS,
    Leaf,
)
from devtools.seed_history import seed_history
from devtools.seed_stock import seed_digital_files, seed_stock, seed_types

Progress = Callable[[str], object]

CURRENCY = "EUR"
MONTHS_OF_ORDERS = 18
ORDER_BATCH = 50_000
PROGRESS_EVERY = 100_000
DAY = 86_400.0

# --- Entry points ----------------------------------------------------------------------------


def has_demo_data() -> bool:
    """Whether the catalog has any product (`seed demo --if-empty` then does nothing)."""
    return db.session.scalar(select(Product.id).limit(1)) is not None


def seed_demo(
    *,
    products: int = 3000,
    customers: int = 5000,
    orders: int = 20000,
    random_seed: int = 42,
    progress: Progress = print,
    until: dt.datetime | None = None,
) -> dict[str, int]:
    """Add a demo shop of the given size and commit; returns the rows written per table.

    Orders span the 18 months ending at `until` (default: now, UTC). Raises ValueError for a
    negative size or orders without products. A database error rolls the
    session back and propagates.
    """
    if min(products, customers, orders) < 0:
        raise ValueError("products, customers and orders must not be negative")
    if orders and not products:
        raise ValueError("orders need products to sell")
    rng = Random(random_seed)
    clock = _Clock.ending_at(until or dt.datetime.now(dt.UTC))
    try:
        with db.session.connection().connection.driver_connection.cursor() as cursor:
            counts = _seed(cursor, rng, clock, products, customers, orders, progress)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return counts


def _seed(
    cursor: Cursor,
    rng: Random,
    clock: _Clock,
    products: int,
    customers: int,
    orders: int,
    progress: Progress,
) -> dict[str, int]:
    """Write the whole shop on `cursor`'s connection; returns the rows written per table."""
    category_ids, new_categories = _seed_categories()
    brands, new_brands = _seed_brands()
    progress(f"categories: {new_categories} new, brands: {new_brands} new")
    catalog = _seed_products(cursor, rng, clock, products, category_ids, brands)
    progress(f"products: {products:,} with {len(catalog.ids):,} variants")
    people = _seed_customers(cursor, rng, clock, customers)
    progress(f"customers: {customers:,}")
    lines, first_order = _seed_orders(cursor, rng, clock, orders, catalog, people, progress)
    # After the orders, so a given random seed gives the same orders as before stock existed.
    types = seed_types(cursor, category_ids)
    levels = seed_stock(cursor, rng, catalog.ids, catalog.digital)
    files = seed_digital_files(cursor, storage_root(), catalog.ids, catalog.digital)
    progress(f"stock: {levels:,} stock levels in 2 warehouses, {files} e-book files")
    now = dt.datetime.fromtimestamp(clock.now, dt.UTC)
    history = seed_history(cursor, first_order, first_order + orders - 1, now)
    progress(
        f"history: {history['payments']:,} payments, {history['shipments']:,} shipments,"
        f" {history['invoices']:,} invoices, {history['order_events']:,} timeline entries"
    )
    cursor.execute(
        "ANALYZE categories, brands, products, variants, customers, orders, order_lines,"
        " stock_levels, stock_movements, variant_inventories"
    )
    return {
        "categories": new_categories,
        "brands": new_brands,
        "products": products,
        "variants": len(catalog.ids),
        "customers": customers,
        "orders": orders,
        "order_lines": lines,
        "product_types": types,
        "stock_levels": levels,
        "digital_files": files,
        **history,
    }


# --- Helpers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    """The order window: 18 months of dates ending today (UTC); times are epoch seconds."""

    now: float
    midnight: float  # today's start
    days: tuple[dt.date, ...]

    @classmethod
    def ending_at(cls, now: dt.datetime) -> _Clock:
        today = now.date()
        month = today.year * 12 + today.month - 1 - MONTHS_OF_ORDERS
        year, month = divmod(month, 12)
        first = dt.date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))
        midnight = dt.datetime.combine(today, dt.time(), dt.UTC).timestamp()
        span = (today - first).days + 1
        return cls(now.timestamp(), midnight, tuple(first + dt.timedelta(d) for d in range(span)))

    @property
    def start(self) -> float:
        return self.midnight - (len(self.days) - 1) * DAY


def _reserve(
    cursor: Cursor, table: str, count: int, *, column: str = "id", sequence: str | None = None
) -> int:
    """Reserve `count` consecutive values of `table.column` from its sequence; returns the first.

    The sequence moves past both its own last value and the column's largest value, so rows that
    others inserted with explicit ids are never collided with.
    """
    if count <= 0:
        return 0
    if sequence is None:
        row = cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", (table, column)).fetchone()
        sequence = row[0] if row else None
    query = sql.SQL(
        "SELECT setval(%(seq)s::regclass, greatest(nextval(%(seq)s::regclass),"
        " (SELECT coalesce(max({column}), 0) + 1 FROM {table})) + %(n)s - 1)"
    ).format(column=sql.Identifier(column), table=sql.Identifier(table))
    last = cursor.execute(query, {"seq": sequence, "n": count}).fetchone()
    assert last is not None
    return int(last[0]) - count + 1


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text)).strip("-")


_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "o", "å": "aa"})


def _ascii(text: str) -> str:
    """Lower-case ASCII spelling of `text` (Müller -> mueller, José -> jose)."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_GERMAN))
    return folded.encode("ascii", "ignore").decode()


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _charm(euros: float, ending: float) -> int:
    """A shop price in cents near `euros`: 24.99, 24.95, 25.00 or 24.90 (chosen by `ending`)."""
    whole = max(1, round(euros))
    cents = (99, 95, 0, 90)[int(ending * 4)]
    return whole * 100 if cents == 0 else (whole - 1) * 100 + cents


def _ean13(number: int) -> str:
    """An EAN-13 in the 20-29 "in-store" range (never a real product's code), with check digit."""
    digits = f"2{number % 10**11:011d}"
    total = sum(map(int, digits[::2])) + 3 * sum(map(int, digits[1::2]))
    return digits + str(-total % 10)


# (name, its ASCII spelling for emails) by name pool: ([first names], [last names])
_NAMES = {
    pool: (
        [(n, _ascii(n).replace(" ", "")) for n in FIRST_NAMES[pool].split(", ")],
        [(n, _ascii(n).replace(" ", "")) for n in LAST_NAMES[pool].split(", ")],
    )
    for pool in FIRST_NAMES
}
_COUNTRY_CODES = tuple(COUNTRIES)
_COUNTRY_WEIGHTS = _cumulative(spec[0] for spec in COUNTRIES.values())
_DOMAIN_WEIGHTS = _cumulative((40, 25, 15, 12, 8))
_VARIANT_WEIGHTS = _cumulative(VARIANT_COUNTS)


# --- Catalog -------------------------------------------------------------------------------------


def _seed_categories() -> tuple[dict[tuple[str, ...], int], int]:
    """Insert the category tree, keeping categories already there; returns ids by path and how
    many were new."""
    paths: dict[tuple[str, ...], int] = {}  # path -> position among its siblings
    for leaf in LEAVES:
        for depth in (1, 2, 3):
            path = leaf.path[:depth]
            if path not in paths:
                paths[path] = sum(1 for p in paths if len(p) == depth and p[:-1] == path[:-1])
    ids: dict[tuple[str, ...], int] = {}
    created = 0
    for path, position in paths.items():
        slug = _slug(" ".join(path))
        new_id = db.session.scalar(
            insert(Category)
            .values(parent_id=ids.get(path[:-1]), name=path[-1], slug=slug, position=position)
            .on_conflict_do_nothing(index_elements=["slug"])
            .returning(Category.id)
        )
        created += new_id is not None
        ids[path] = new_id or db.session.scalar(select(Category.id).where(Category.slug == slug))
    return ids, created


def _seed_brands() -> tuple[dict[str, list[tuple[int, str]]], int]:
    """Insert the brands, keeping those already there; returns (id, name) by department and how
    many were new."""
    names = [name for _share, brands in DEPARTMENTS.values() for name in brands]
    created = db.session.execute(
        insert(Brand)
        .values([{"name": name, "slug": _slug(name)} for name in names])
        .on_conflict_do_nothing(index_elements=["slug"])
        .returning(Brand.id)
    ).all()
    by_slug = {slug: id_ for slug, id_ in db.session.execute(select(Brand.slug, Brand.id))}
    return {
        dept: [(by_slug[_slug(name)], name) for name in brands]
        for dept, (_share, brands) in DEPARTMENTS.items()
    }, len(created)


@dataclass
class _Catalog:
    """What orders need to know of each variant (parallel lists, index = variant position)."""

    ids: list[int] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    prices: list[int] = field(default_factory=list)
    digital: list[bool] = field(default_factory=list)
    published: list[float] = field(default_factory=list)  # epoch seconds; inf for drafts
    popularity: list[float] = field(default_factory=list)


def _seed_products(
    cursor: Cursor,
    rng: Random,
    clock: _Clock,
    count: int,
    category_ids: dict[tuple[str, ...], int],
    brands: dict[str, list[tuple[int, str]]],
) -> _Catalog:
    """COPY `count` products and their variants; returns what orders need of the variants."""
    catalog = _Catalog()
    if count == 0:
        return catalog
    rnd, choice = rng.random, rng.choice
    leaf_weights = _cumulative(
        DEPARTMENTS[leaf.path[0]][0] / sum(1 for x in LEAVES if x.path[0] == leaf.path[0])
        for leaf in LEAVES
    )
    first_id = _reserve(cursor, "products", count)
    products: list[tuple[Any, ...]] = []
    variants: list[list[Any]] = []
    for pid in range(first_id, first_id + count):
        leaf = LEAVES[bisect.bisect(leaf_weights, rnd() * leaf_weights[-1])]
        brand_id, brand = choice(brands[leaf.path[0]])
        material = choice(leaf.materials) if leaf.materials else None
        if leaf.code in BOOK_OPENERS:
            title = f"{choice(BOOK_OPENERS[leaf.code])} {choice(leaf.nouns)}"
        else:
            words = (choice(ADJECTIVES), material if rnd() < 0.7 else None, choice(leaf.nouns))
            title = " ".join(w for w in words if w)
        attributes: dict[str, Any] = {"material": material} if material else {}
        attributes.update((name, choice(values)) for name, values in leaf.attributes.items())
        if leaf.code in BOOK_OPENERS:
            firsts, lasts = _NAMES["en"]
            attributes["author"] = f"{choice(firsts)[0]} {choice(lasts)[0]}"
        u = rnd()
        status = "active" if u < 0.92 else "draft" if u < 0.97 else "archived"
        # Most of the range is older than the order window; some arrive during it.
        age_days = rng.uniform(560, 900) if rnd() < 0.85 else rng.uniform(2, 540)
        created = clock.midnight - age_days * DAY
        published = created + rng.uniform(1, 72) * 3600 if status != "draft" else None
        low, high = leaf.price
        base_price = low + (high - low) * rnd() ** 2  # most of a range sits at its cheap end
        ending = rnd()
        compare_at = rng.uniform(1.15, 1.5) if rnd() < 0.12 else None
        tags = rng.sample(TAGS, int(rnd() * 3)) + (["sale"] if compare_at else [])
        # A few best sellers, a long tail; cheaper things sell more often; drafts never.
        popularity = (
            rng.paretovariate(1.3)
            / base_price**0.8
            * {"active": 1.0, "archived": 0.3}.get(status, 0.0)
        )
        made_of = f" Made of {material.lower()}." if material else ""
        description = f"{title} by {brand}.{made_of} {choice(BLURBS)}"
        products.append(
            (
                pid,
                title,
                f"{_slug(title)}-{pid}",
                description,
                status,
                category_ids[leaf.path],
                brand_id,
                "{" + ",".join(tags) + "}",  # an array literal: tags are plain words
                json.dumps(attributes),
                _utc(published),
                _utc(created),
                _utc(published or created),
            )
        )
        for n, (values, multiplier, digital) in enumerate(_variant_options(rng, leaf), 1):
            price = _charm(base_price * multiplier, ending)
            label = " / ".join(values.values())
            variants.append(
                [
                    None,  # id, once reserved
                    pid,
                    f"{leaf.code}-{pid:06d}-{n:02d}",
                    rnd() < 0.85,  # has a barcode
                    json.dumps(values),
                    price,
                    _charm(price / 100 * compare_at, ending) if compare_at else None,
                    int(price * rng.uniform(0.3, 0.6)),
                    CURRENCY,
                    None if digital else int(rng.uniform(*leaf.grams) * multiplier),
                    digital,
                    _utc(created),
                    _utc(published or created),
                ]
            )
            catalog.skus.append(variants[-1][2])
            catalog.titles.append(f"{title} - {label}" if label else title)
            catalog.prices.append(price)
            catalog.digital.append(digital)
            catalog.published.append(published if published is not None else float("inf"))
            catalog.popularity.append(popularity * rng.uniform(0.5, 1.5))
    first_variant = _reserve(cursor, "variants", len(variants))
    with cursor.copy(
        "COPY products (id, title, slug, description, status, category_id, brand_id, tags,"
        " attributes, published_at, created_at, updated_at) FROM STDIN"
    ) as copy:
        for row in products:
            copy.write_row(row)
    with cursor.copy(
        "COPY variants (id, product_id, sku, barcode, option_values, price_amount,"
        " compare_at_amount, cost_amount, currency, weight_grams, is_digital, created_at,"
        " updated_at) FROM STDIN"
    ) as copy:
        for vid, row in enumerate(variants, first_variant):
            row[0] = vid
            row[3] = _ean13(vid) if row[3] else None
            copy.write_row(row)
    catalog.ids = list(range(first_variant, first_variant + len(variants)))
    return catalog


def _variant_options(rng: Random, leaf: Leaf) -> list[tuple[dict[str, str], float, bool]]:
    """1-4 option combinations for a product of `leaf`: (option values, price factor, digital).

    Clothes come in a run of neighbouring sizes in one or two colours, like a real range.
    """
    options = OPTIONS[leaf.options]
    if not options:
        return [({}, 1.0, False)]
    wanted = bisect.bisect(_VARIANT_WEIGHTS, rng.random() * _VARIANT_WEIGHTS[-1]) + 1
    combos: list[tuple[tuple[str, tuple[str, float, bool]], ...]]
    if "size" in options and "colour" in options:
        sizes = options["size"]
        colours = rng.sample(options["colour"], 1 if wanted <= 2 or rng.random() < 0.5 else 2)
        run = min(-(-wanted // len(colours)), len(sizes))
        start = rng.randint(0, len(sizes) - run)
        combos = [
            (("size", size), ("colour", colour))
            for colour in colours
            for size in sizes[start : start + run]
        ][:wanted]
    else:
        combos = [
            ((name, value),)
            for name, values in options.items()
            for value in sorted(rng.sample(values, min(wanted, len(values))), key=values.index)
        ]
    result = []
    for combo in combos:
        factor = 1.0
        for _name, (_label, multiplier, _digital) in combo:
            factor *= multiplier
        values = {name: label for name, (label, _m, _d) in combo}
        result.append((values, factor, any(digital for _n, (_l, _m, digital) in combo)))
    return result


def _utc(timestamp: float | None) -> dt.datetime | None:
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC)


# --- Customers -----------------------------------------------------------------------------------


@dataclass
class _People:
    """What orders need to know of each customer, in sign-up order (parallel lists)."""

    ids: list[int] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    joined: list[float] = field(default_factory=list)  # epoch seconds, ascending
    activity: list[float] = field(default_factory=list)  # cumulative order propensity


def _seed_customers(cursor: Cursor, rng: Random, clock: _Clock, count: int) -> _People:
    """COPY `count` customers who signed up over the window (a quarter before it), with unique
    emails; returns what orders need of them."""
    people = _People()
    if count == 0:
        return people
    rnd = rng.random
    day_weights = _cumulative(_day_weights(clock.days[:-1], rng=None))
    joined = []
    for _ in range(count):
        if rnd() < 0.25:
            joined.append(clock.start - rng.uniform(1, 365) * DAY)
        else:
            day = bisect.bisect(day_weights, rnd() * day_weights[-1])
            joined.append(clock.start + (day + rnd()) * DAY)
    joined.sort()
    taken = {row[0] for row in cursor.execute("SELECT lower(email) FROM customers")}
    suffixes: dict[str, int] = {}
    first_id = _reserve(cursor, "customers", count)
    with cursor.copy(
        "COPY customers (id, email, first_name, last_name, phone, country, accepts_marketing,"
        " created_at, updated_at) FROM STDIN"
    ) as copy:
        for cid, joined_at in enumerate(joined, first_id):
            country = _COUNTRY_CODES[bisect.bisect(_COUNTRY_WEIGHTS, rnd() * _COUNTRY_WEIGHTS[-1])]
            _weight, _vat, phone_prefix, pool, _zone = COUNTRIES[country]
            firsts, lasts = _NAMES[pool]
            first, first_ascii = firsts[int(rnd() * len(firsts))]
            last, last_ascii = lasts[int(rnd() * len(lasts))]
            u = rnd()
            local = (
                f"{first_ascii}.{last_ascii}"
                if u < 0.45
                else f"{first_ascii}{last_ascii}"
                if u < 0.65
                else f"{first_ascii[0]}.{last_ascii}"
                if u < 0.8
                else f"{first_ascii}_{last_ascii}"
                if u < 0.9
                else f"{last_ascii}.{first_ascii}"
            )
            if rnd() < 0.25:
                local += str(int(rnd() * 40) + 60)
            domain = EMAIL_DOMAINS[bisect.bisect(_DOMAIN_WEIGHTS, rnd() * _DOMAIN_WEIGHTS[-1])]
            email = base = f"{local}@{domain}"
            while email in taken:
                n = suffixes[base] = suffixes.get(base, 1) + 1
                email = f"{local}{n}@{domain}"
            taken.add(email)
            phone = (
                f"{phone_prefix} {int(rnd() * 900) + 100} {int(rnd() * 9_000_000) + 1_000_000}"
                if rnd() < 0.6
                else None
            )
            created = _utc(joined_at)
            copy.write_row(
                (cid, email, first, last, phone, country, rnd() < 0.35, created, created)
            )
            people.ids.append(cid)
            people.emails.append(email)
            people.countries.append(country)
    people.joined = joined
    # A few loyal customers order often, most once or twice.
    people.activity = _cumulative(rng.paretovariate(1.5) for _ in range(count))
    return people


# --- Orders --------------------------------------------------------------------------------------

ORDERS_COPY = (
    "COPY orders (id, number, customer_id, email, status, payment_status, fulfilment_status,"
    " channel, currency, subtotal_amount, discount_amount, shipping_amount, tax_amount,"
    " total_amount, shipping_country, payment_method, placed_at, created_at, updated_at)"
    " FROM STDIN"
)
LINES_COPY = (
    "COPY order_lines (id, order_id, variant_id, sku, title, quantity, unit_price_amount,"
    " discount_amount, tax_amount, total_amount) FROM STDIN"
)


def _seed_orders(
    cursor: Cursor,
    rng: Random,
    clock: _Clock,
    count: int,
    catalog: _Catalog,
    people: _People,
    progress: Progress,
) -> tuple[int, int]:
    """COPY `count` orders and their lines in batches, oldest first; returns the number of lines
    and the first order's id."""
    if count == 0:
        return 0, 0
    first_id = _reserve(cursor, "orders", count)
    first_number = _reserve(cursor, "orders", count, column="number", sequence="order_numbers")
    stream = _generate_orders(rng, clock, count, catalog, people, first_id, first_number)
    written = lines_written = 0
    while written < count:
        batch = min(ORDER_BATCH, count - written)
        lines: list[tuple[Any, ...]] = []
        # Lines are generated while the orders stream to the server, then follow them.
        with cursor.copy(ORDERS_COPY) as copy:
            for row, order_lines in itertools.islice(stream, batch):
                copy.write_row(row)
                lines.extend(order_lines)
        first_line = _reserve(cursor, "order_lines", len(lines))
        with cursor.copy(LINES_COPY) as copy:
            for line_id, line in enumerate(lines, first_line):
                copy.write_row((line_id, *line))
        before, written = written, written + batch
        lines_written += len(lines)
        if written == count or written // PROGRESS_EVERY > before // PROGRESS_EVERY:
            progress(f"orders: {written:,} of {count:,} ({lines_written:,} lines)")
    return lines_written, first_id


def _generate_orders(
    rng: Random,
    clock: _Clock,
    count: int,
    catalog: _Catalog,
    people: _People,
    order_id: int,
    number: int,
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Yield (order row, its line rows without ids) for `count` orders, in the order placed.

    The hot loop of the seed: locals and plain arithmetic on purpose.
    """
    rnd, pick = rng.random, bisect.bisect
    times = _order_times(rng, clock, count)
    promotions = [_promotion(day) for day in clock.days]
    line_counts, line_total = _picker(LINE_COUNTS)
    popularity, popularity_total = _picker(catalog.popularity)
    if popularity_total <= 0:  # nothing on sale (a tiny seed of drafts): sell anything
        popularity, popularity_total = _picker([1.0] * len(catalog.ids))
    variant_ids, skus, titles = catalog.ids, catalog.skus, catalog.titles
    prices, digital, published = catalog.prices, catalog.digital, catalog.published
    # What a shopper buys instead of something not yet on sale.
    evergreen = [
        i for i, p in enumerate(published) if p <= clock.start and catalog.popularity[i] > 0
    ] or list(range(len(variant_ids)))
    joined, activity = people.joined, people.activity
    customer_ids, emails, countries = people.ids, people.emails, people.countries
    codes = tuple(COUNTRIES)
    country_weights, country_total = _picker(spec[0] for spec in COUNTRIES.values())
    vat = {code: spec[1] for code, spec in COUNTRIES.items()}
    shipping = {code: SHIPPING[spec[4]] for code, spec in COUNTRIES.items()}
    guest_names = {code: _NAMES[spec[3]] for code, spec in COUNTRIES.items()}
    now, start, stamp = clock.now, clock.start, dt.datetime.fromtimestamp
    # The newest orders take the open states in turn, so that even a small shop has every one.
    recent_from = count - min(count, max(2 * len(SPREAD), count // 500))
    spread = 0

    # Every order takes the same number of draws whatever its branches, so the orders of a seed
    # stay the same however late in the day it runs (only their times move).
    for position, placed in enumerate(times):
        u_guest, u_who, u_country, u_first, u_last, u_domain = (
            rnd(), rnd(), rnd(), rnd(), rnd(), rnd()
        )  # fmt: skip
        signed_up = pick(joined, placed) if u_guest >= GUEST_SHARE else 0
        if signed_up:
            who = pick(activity, u_who * activity[signed_up - 1])
            customer_id, email, country = customer_ids[who], emails[who], countries[who]
        else:
            customer_id = None
            country = codes[pick(country_weights, u_country * country_total)]
            firsts, lasts = guest_names[country]
            first, last = firsts[int(u_first * len(firsts))], lasts[int(u_last * len(lasts))]
            email = f"{first[1]}.{last[1]}@{EMAIL_DOMAINS[int(u_domain * len(EMAIL_DOMAINS))]}"
        u = rnd()
        channel = "web" if u < 0.68 else "app" if u < 0.97 else "draft"
        promo_rate, promo_percents = promotions[int((placed - start) // DAY)]
        u, v = rnd(), rnd()
        percent = promo_percents[int(v * len(promo_percents))] if u < promo_rate else 0
        basket: dict[int, int] = {}  # variant index -> quantity
        for _ in range(pick(line_counts, rnd() * line_total) + 1):
            u_variant, u_instead, u = rnd(), rnd(), rnd()
            v = pick(popularity, u_variant * popularity_total)
            if published[v] > placed:  # not on sale yet: the shopper takes something else
                v = evergreen[int(u_instead * len(evergreen))]
            quantity = 1 if u < 0.85 or digital[v] else 2 if u < 0.96 else 3
            basket[v] = basket.get(v, 0) + quantity
        rate = vat[country]
        lines = []
        subtotal = discount = tax = 0
        ships = False
        units = 0  # physical units, of which a partial shipment sends some
        for v, quantity in basket.items():
            unit = prices[v]
            gross = quantity * unit
            off = (gross * percent + 5000) // 10000
            line_tax = ((gross - off) * rate + 5000) // 10000  # half up, on the net
            lines.append(
                (order_id, variant_ids[v], skus[v], titles[v], quantity, unit, off,
                 line_tax, gross - off + line_tax)
            )  # fmt: skip
            subtotal += gross
            discount += off
            tax += line_tax
            ships = ships or not digital[v]
            units += 0 if digital[v] else quantity
        fee = 0
        if ships:
            fee, free_from = shipping[country]
            if subtotal - discount >= free_from:
                fee = 0
            tax += (fee * rate + 5000) // 10000
        status, payment, fulfilment, settled = _lifecycle(
            (now - placed) / DAY, channel, rnd(), rnd()
        )
        if position >= recent_from:
            wanted = SPREAD[spread % len(SPREAD)]
            if wanted[2] != "partial" or units > 1:
                status, payment, fulfilment, settled = wanted
                spread += 1
        if fulfilment == "partial" and units < 2:  # nothing to split: it all went
            status, fulfilment = "fulfilled", "fulfilled"
        if status == "draft":
            channel = "draft"
        placed_at = stamp(placed, dt.UTC)
        yield (
            (order_id, number, customer_id, email, status, payment, fulfilment, channel,
             CURRENCY, subtotal, discount, fee, tax, subtotal - discount + fee + tax,
             country if ships else None, None if status == "draft" else "stripe",
             placed_at, placed_at,
             stamp(min(placed + settled * DAY, now), dt.UTC)),
            lines,
        )  # fmt: skip
        order_id += 1
        number += 1


# (status, payment status, fulfilment status, days to the last change) the newest orders cycle
# through; delivered and refunded ones are plentiful among the older orders.
SPREAD = (
    ("draft", "pending", "unfulfilled", 0.0),
    ("pending_payment", "pending", "unfulfilled", 0.0),
    ("paid", "paid", "unfulfilled", 0.0),
    ("partially_fulfilled", "paid", "partial", 0.0),
    ("fulfilled", "paid", "fulfilled", 0.0),
    ("on_hold", "authorized", "unfulfilled", 0.0),
    ("cancelled", "voided", "unfulfilled", 0.0),
    ("pending_payment", "failed", "unfulfilled", 0.0),
)


def _lifecycle(age: float, channel: str, fate: float, stage: float) -> tuple[str, str, str, float]:
    """Where an order placed `age` days ago stands today: (status, payment status, fulfilment
    status, days from placing to its last change). `fate` and `stage` are uniform draws."""
    if channel == "draft" and age < 3 and fate < 0.4:
        return "draft", "pending", "unfulfilled", 0.0
    if fate < 0.025:
        payment = "voided" if stage < 0.5 else "refunded" if stage < 0.8 else "failed"
        return "cancelled", payment, "unfulfilled", 0.05 + stage
    if age > 10 and fate < 0.04:  # sent back
        return "delivered", "refunded", "fulfilled", 8 + 20 * stage
    if age > 10 and fate < 0.065:  # part of it sent back
        return "delivered", "partially_refunded", "fulfilled", 8 + 20 * stage
    if age < 4 and fate < 0.075:  # held for a fraud check
        return "on_hold", "authorized", "unfulfilled", 0.01
    if age < 0.25:
        if stage < 0.05:
            return "pending_payment", "failed", "unfulfilled", 0.0
        if stage < 0.2:
            return "pending_payment", "pending", "unfulfilled", 0.0
        return "paid", "paid", "unfulfilled", 0.0
    if age < 2:
        if stage < 0.5:
            return "paid", "paid", "unfulfilled", 0.0
        if stage < 0.62:
            return "partially_fulfilled", "paid", "partial", stage
        return "fulfilled", "paid", "fulfilled", stage
    if age < 6 and stage < 0.5:
        return ("paid", "paid", "unfulfilled", 0.0) if stage < 0.08 else (
            "fulfilled", "paid", "fulfilled", 1 + stage
        )  # fmt: skip
    if stage < 0.015:  # shipped, never confirmed delivered
        return "fulfilled", "paid", "fulfilled", 1 + stage
    return "delivered", "paid", "fulfilled", 2 + 4 * stage


def _picker(weights: Iterable[float]) -> tuple[list[float], float]:
    """Cumulative weights and a total just below the last, for `bisect(cum, random() * total)`
    (so that float rounding can never pick past the end)."""
    cumulative = _cumulative(weights)
    return cumulative, (cumulative[-1] if cumulative else 0.0) * (1 - 1e-9)


def _order_times(rng: Random, clock: _Clock, count: int) -> list[float]:
    """`count` ascending times (epoch seconds) from the window's start until now, as busy as the
    day and hour shapes say.

    Sorted uniform draws go through the inverse of the cumulative hour-by-hour intensity; the hour
    in progress counts for the part already gone.
    """
    hours: list[float] = []
    for day_index, weight in enumerate(_day_weights(clock.days, rng)):
        for hour, factor in enumerate(HOUR_FACTORS):
            begin = clock.start + day_index * DAY + hour * 3600
            if begin < clock.now:
                hours.append(weight * factor * min(1.0, (clock.now - begin) / 3600))
    cumulative, total = _picker(hours)
    times = []
    previous_hour, below, width = -1, 0.0, 1.0
    for u in sorted(rng.random() for _ in range(count)):
        x = u * total
        hour = bisect.bisect(cumulative, x)
        if hour != previous_hour:
            previous_hour, below = hour, cumulative[hour - 1] if hour else 0.0
            width = cumulative[hour] - below
        # The last hour is still running: its weight (and so its span) is only the part gone.
        span = min(3600.0, clock.now - (clock.start + hour * 3600))
        times.append(clock.start + hour * 3600 + (x - below) / width * span)
    return times


def _day_weights(days: Sequence[dt.date], rng: Random | None) -> list[float]:
    """Relative order volume per day: growth x month x weekday x holidays (x noise with `rng`)."""
    last = max(len(days) - 1, 1)
    weights = []
    for i, day in enumerate(days):
        weight = (
            (1 + GROWTH * i / last)
            * MONTH_FACTORS[day.month - 1]
            * WEEKDAY_FACTORS[day.weekday()]
            * _holiday_factor(day)
        )
        weights.append(weight * rng.uniform(0.92, 1.08) if rng else weight)
    return weights


def _black_friday(year: int) -> dt.date:
    """The fourth Friday of November."""
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 21)


def _holiday_factor(day: dt.date) -> float:
    since_black_friday = (day - _black_friday(day.year)).days
    if since_black_friday == 0:
        return 2.6
    if since_black_friday == 3:  # Cyber Monday
        return 2.0
    if -6 <= since_black_friday <= 2:
        return 1.4
    return {(12, 24): 0.6, (12, 25): 0.45, (12, 26): 0.7, (12, 31): 0.7, (1, 1): 0.6}.get(
        (day.month, day.day), 1.0
    )


def _promotion(day: dt.date) -> tuple[float, tuple[int, ...]]:
    """(share of orders with a discount code, the codes' percentages in basis points)."""
    since_black_friday = (day - _black_friday(day.year)).days
    if -6 <= since_black_friday <= 3:
        return 0.6, (2000, 2500, 3000)
    if day.month == 12 and day.day <= 18:
        return 0.3, (1000, 1500)
    if (day.month == 7) or (day.month == 1 and day.day <= 20):  # summer and winter sales
        return 0.35, (2000, 3000)
    return 0.12, (1000, 1500)
