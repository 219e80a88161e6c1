"""The storefront's read side of the catalog: product lists, product detail and the category tree.

Nothing here writes. Only products that are `active` and published (no `published_at`, or one in
the past) are visible. Results are plain dicts shaped for the storefront (money as
`{"amount": minor units, "currency": "EUR"}`), so a face can serialise them as they are.

Lists page by keyset, never by OFFSET: the cursor carries the last row's sort key and id, and the
next page starts strictly after it, so rows with equal sort keys are neither skipped nor repeated.
Price sorts order products by their cheapest variant's price; products without variants have no
price and so do not appear under them. There is no per-product price column to index, so an
unfiltered price sort walks the variants in price order keeping each product's cheapest one, and
stops after a page; a filtered one tries that within a window of the price order and otherwise
ranks the matching products (see _price_page and list_products).

Stock comes from the inventory context: a product detail asks its service for each variant's
units (`_availability`, imported lazily); lists read its `stock_levels` table (when that is in the
metadata) in the page query itself, for the `in_stock` filter and for each product's flag, by the
service's rule (a unit available in an active warehouse).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import importlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.types import Text

from commerce import db
from commerce.catalog.models import Brand, Category, Product, Variant
from commerce.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

SORTS = ("newest", "price_asc", "price_desc", "title")
DEFAULT_SORT = "newest"
DEFAULT_LIMIT = 24
MAX_LIMIT = 100
MAX_VALUES = 20  # per repeatable filter (brand, tag, one attribute code): keeps the query small
MAX_ATTRIBUTE_CODES = 10
PRICE_SORTS = ("price_asc", "price_desc")
# A filtered price-sorted page first looks for its products among this many variants in price
# order; when they are too few there, it ranks the matching products instead (see list_products).
PRICE_WINDOW = 4000

# Table aliases of the list query, made once: building them per request costs more than running
# the query does.
_VARIANTS = Variant.__table__
_summarised = _VARIANTS.alias("summarised")  # the lateral price summary of each listed product
_cheapest = _VARIANTS.alias("cheapest")  # price sorts: the variant standing for its product...
_cheaper = _VARIANTS.alias("cheaper")  # ... when no cheaper one exists
_ranked = _VARIANTS.alias("ranked")  # price sorts: a product's minimum price, aggregated
_priced = _VARIANTS.alias("priced")  # price range filter
_stocked = _VARIANTS.alias("stocked")  # in_stock filter
_brand_filter = Brand.__table__.alias("brand_filter")


@dataclass(frozen=True)
class ProductFilters:
    """What a product list is narrowed to; every filter given must match (AND).

    `brands`, `tags` and the values of one attribute code match any of their values (OR);
    prices are minor units and match when any variant's price lies in [min_price, max_price].
    """

    category: str | None = None  # a slug; its subcategories' products count too
    brands: tuple[str, ...] = ()  # slugs
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # code -> values
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    q: str | None = None  # case-insensitive part of the title
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductPage:
    """One page of a product list: the products and the cursor of the next page (None at the
    end)."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    limit: int


# --- Visibility and filters ----------------------------------------------------------------------


@functools.cache
def visible() -> ColumnElement[bool]:
    """The condition a product must meet to be seen on the storefront."""
    return and_(
        Product.status == "active",
        # statement_timestamp, not now(): inside a long transaction now() is its start.
        or_(Product.published_at.is_(None), Product.published_at <= func.statement_timestamp()),
    )


def _attribute_candidates(value: str) -> list[Any]:
    """The JSON values a query-string value may stand for: "20" is also 20, "true" also true."""
    candidates: list[Any] = [value]
    lowered = value.lower()
    if lowered in ("true", "false"):
        candidates.append(lowered == "true")
    else:
        try:
            candidates.append(int(value))
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if number == number and number not in (float("inf"), float("-inf")):
                    candidates.append(number)
    return candidates


def _attribute_condition(code: str, values: Iterable[str]) -> ColumnElement[bool]:
    """products.attributes holds one of `values` under `code`, as a value or in a list of values.

    Each alternative is a containment test (`attributes @> '{"code": value}'`) that the GIN index
    on products.attributes answers.
    """
    alternatives = []
    for value in values:
        for candidate in _attribute_candidates(value):
            alternatives.append(Product.attributes.contains({code: candidate}))
            alternatives.append(Product.attributes.contains({code: [candidate]}))
    return or_(*alternatives) if alternatives else false()


@functools.cache
def _stock_levels() -> Table | None:
    """The inventory context's stock_levels table, or None while that context has none.

    Looked up once per process: the inventory models are imported here, lazily, because the
    catalog must load without them.
    """
    try:
        importlib.import_module("commerce.inventory.models")
    except ImportError as exc:
        log.warning("commerce.inventory.models cannot be imported (%s): in_stock is ignored", exc)
    return Product.metadata.tables.get("stock_levels")


def _in_stock_condition() -> ColumnElement[bool] | None:
    """Some variant of the product has a unit available in some (active) warehouse; None while
    there is no inventory.

    This is the inventory service's own rule (a warehouse below its safety stock adds nothing, an
    inactive one is left out), written as an EXISTS so it filters inside the page query.
    """
    stocked = _stocked_units()
    return None if stocked is None else exists(stocked)


def _stocked_units() -> Select | None:
    """SELECT 1 for each available unit's stock level of the current product (see above)."""
    levels = _stock_levels()
    if levels is None:
        return None
    available = levels.c.on_hand - levels.c.allocated - levels.c.reserved - levels.c.safety_stock
    source = levels.join(_stocked, _stocked.c.id == levels.c.variant_id)
    conditions = [_stocked.c.product_id == Product.id, available > 0]
    warehouses = Product.metadata.tables.get("warehouses")
    if warehouses is not None and "is_active" in warehouses.c and "warehouse_id" in levels.c:
        source = source.join(warehouses, warehouses.c.id == levels.c.warehouse_id)
        conditions.append(warehouses.c.is_active)
    return select(literal(1).label("flag")).select_from(source).where(*conditions)


def _stock_flag() -> Any:
    """A lateral subquery with one row when the product has a unit available, else none.

    As a LATERAL ... LIMIT 1 PostgreSQL probes the indexes for each listed product; as an EXISTS in
    the select list it chose to hash every stock level in the shop for each page (360 ms at 300,000
    stock levels, against under 1 ms this way). Build it once per statement and pass the same
    object to _in_stock_column and _with_output, so it is joined exactly once.
    """
    stocked = _stocked_units()
    return None if stocked is None else stocked.limit(1).lateral("stock_flag")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: ProductFilters, category_ids: list[int] | None) -> list[Any]:
    """The WHERE conditions on Product for `filters` (category resolved to `category_ids`)."""
    conditions: list[Any] = [visible()]
    if category_ids is not None:
        conditions.append(Product.category_id.in_(category_ids) if category_ids else false())
    if filters.brands:
        # An alias, so that the subquery never correlates to the brands joined for the output.
        brands = select(_brand_filter.c.id).where(_brand_filter.c.slug.in_(filters.brands))
        conditions.append(Product.brand_id.in_(brands))
    for code, values in sorted(filters.attributes.items()):
        conditions.append(_attribute_condition(code, values))
    if filters.min_price is not None or filters.max_price is not None:
        in_range = [_priced.c.product_id == Product.id]
        if filters.min_price is not None:
            in_range.append(_priced.c.price_amount >= filters.min_price)
        if filters.max_price is not None:
            in_range.append(_priced.c.price_amount <= filters.max_price)
        conditions.append(exists(select(literal(1)).where(*in_range)))
    if filters.in_stock:
        stocked = _in_stock_condition()
        if stocked is not None:
            conditions.append(stocked)
    if filters.q:
        conditions.append(Product.title.ilike(_like_pattern(filters.q), escape="\\"))
    if filters.tags:
        conditions.append(Product.tags.overlap(literal(list(filters.tags), ARRAY(Text))))
    return conditions


# --- Cursors -------------------------------------------------------------------------------------


def encode_cursor(sort: str, key: Any, product_id: int) -> str:
    """The opaque cursor of the page after the row with sort key `key` and id `product_id`."""
    if isinstance(key, dt.datetime):
        key = key.isoformat()
    raw = json.dumps({"s": sort, "k": key, "id": product_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The (sort key, id) a cursor made for `sort` carries. Raises InvalidInput naming `cursor`
    when it was not made by encode_cursor for this sort."""
    invalid = InvalidInput(
        "The cursor is not valid for this list; start again from the first page.",
        fields={"cursor": "is not a cursor of this list"},
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not isinstance(data, dict) or set(data) != {"s", "k", "id"} or data["s"] != sort:
        raise invalid
    product_id, key = data["id"], data["k"]
    if type(product_id) is not int or product_id < 1:
        raise invalid
    if sort == "newest":
        try:
            key = dt.datetime.fromisoformat(key) if isinstance(key, str) else None
        except ValueError:
            key = None
        if key is None or key.tzinfo is None:
            raise invalid
    elif sort in ("price_asc", "price_desc"):
        if type(key) is not int:
            raise invalid
    elif not isinstance(key, str):
        raise invalid
    return key, product_id


# --- Product list --------------------------------------------------------------------------------


@functools.cache
def _variant_summary():
    """A lateral subquery: the product's lowest and highest price, currency and variant count."""
    return (
        select(
            func.min(_summarised.c.price_amount).label("min_price"),
            func.max(_summarised.c.price_amount).label("max_price"),
            func.min(_summarised.c.currency).label("currency"),
            func.count(_summarised.c.id).label("variant_count"),
        )
        .where(_summarised.c.product_id == Product.id)
        .lateral("variant_summary")
    )


@functools.cache
def _output_columns() -> tuple[Any, ...]:
    summary = _variant_summary()
    return (
        Product.id,
        Product.slug,
        Product.title,
        Product.tags,
        Brand.slug.label("brand_slug"),
        Brand.name.label("brand_name"),
        Category.slug.label("category_slug"),
        Category.name.label("category_name"),
        summary.c.min_price,
        summary.c.max_price,
        summary.c.currency,
        summary.c.variant_count,
    )


def _in_stock_column(flag: Any) -> Any:
    """The product's in_stock flag, by the same rule as the in_stock filter (so the two always
    agree, and a page needs no second query); true for all while there is no inventory."""
    return (true() if flag is None else flag.c.flag.is_not(None)).label("in_stock")


def _with_output(statement: Select, flag: Any) -> Select:
    """`statement` (FROM products) joined to the variant summary, stock flag, brand, category."""
    joined = (
        statement.join(_variant_summary(), true())
        .outerjoin(Brand, Brand.id == Product.brand_id)
        .outerjoin(Category, Category.id == Product.category_id)
    )
    return joined if flag is None else joined.outerjoin(flag, true())


def _cheapest_of_its_product(variant: Any) -> ColumnElement[bool]:
    """No variant of the same product is cheaper than `variant` (or as cheap with a lower id)."""
    return ~exists(
        select(literal(1)).where(
            _cheaper.c.product_id == variant.c.product_id,
            or_(
                _cheaper.c.price_amount < variant.c.price_amount,
                and_(
                    _cheaper.c.price_amount == variant.c.price_amount,
                    _cheaper.c.id < variant.c.id,
                ),
            ),
        )
    )


def _price_order(price: Any, product_id: Any, descending: bool) -> tuple[Any, Any]:
    return (price.desc(), product_id.desc()) if descending else (price, product_id)


def _after(price: Any, product_id: Any, after: tuple[Any, int], descending: bool) -> Any:
    position = tuple_(price, product_id)
    bound = tuple_(literal(after[0]), literal(after[1]))
    return position < bound if descending else position > bound


def _price_page(
    conditions: list[Any],
    descending: bool,
    limit: int,
    after: tuple[Any, int] | None,
    strategy: str,
) -> Any:
    """The ids and minimum prices of a price-sorted page, as a subquery named `walk`.

    "walk" follows variants in price order, keeping each product's cheapest variant, and stops
    after `limit` + 1 products: fast when most products match. "window" does the same within the
    next PRICE_WINDOW variants only, so a filter that matches few products (or only products far
    along the price order, such as a category of expensive things) cannot make it read the whole
    index. "rank" computes the minimum price of every matching product and sorts those: its cost
    grows with the number of matching products, not with their place in the price order.
    """
    if strategy == "rank":
        # A lateral minimum per matching product: index probes in proportion to the matches,
        # where a join would hash every variant of the catalog.
        lowest = (
            select(func.min(_ranked.c.price_amount).label("price"))
            .where(_ranked.c.product_id == Product.id)
            .lateral("lowest")
        )
        price = lowest.c.price
        return (
            select(Product.id.label("id"), price.label("sort_key"))
            .join(lowest, true())
            .where(
                *conditions,
                price.is_not(None),
                *([_after(price, Product.id, after, descending)] if after else []),
            )
            .order_by(*_price_order(price, Product.id, descending))
            .limit(limit + 1)
            .subquery("walk")
        )
    source: Any = _cheapest
    keyset = (
        [_after(_cheapest.c.price_amount, _cheapest.c.product_id, after, descending)]
        if after
        else []
    )
    if strategy == "window":
        source = (
            select(_cheapest.c.id, _cheapest.c.product_id, _cheapest.c.price_amount)
            .where(*keyset)
            .order_by(*_price_order(_cheapest.c.price_amount, _cheapest.c.product_id, descending))
            .limit(PRICE_WINDOW)
            .subquery("window")
        )
        keyset = []
    price, product_id = source.c.price_amount, source.c.product_id
    return (
        select(product_id.label("id"), price.label("sort_key"))
        .select_from(source)
        .join(Product, Product.id == product_id)
        .where(*conditions, *keyset, _cheapest_of_its_product(source))
        .order_by(*_price_order(price, product_id, descending))
        .limit(limit + 1)
        .subquery("walk")
    )


def page_statement(
    filters: ProductFilters,
    sort: str,
    limit: int,
    after: tuple[Any, int] | None,
    category_ids: list[int] | None = None,
    price_strategy: str = "walk",
) -> Select:
    """The one query of a product page: `limit` + 1 rows (the extra one tells if more follow),
    each with its sort key as `sort_key`. `after` is a decoded cursor, `category_ids` the
    category filter resolved (None: no category filter), `price_strategy` how a price sort finds
    its products (see _price_page)."""
    conditions = _conditions(filters, category_ids)
    flag = _stock_flag()
    if sort in ("newest", "title"):
        key = Product.created_at if sort == "newest" else Product.title
        descending = sort == "newest"
        if after is not None:
            position = tuple_(key, Product.id)
            bound = tuple_(literal(after[0], key.type), literal(after[1]))
            conditions.append(position < bound if descending else position > bound)
        order = (key.desc(), Product.id.desc()) if descending else (key, Product.id)
        return (
            _with_output(
                select(
                    *_output_columns(), _in_stock_column(flag), key.label("sort_key")
                ).select_from(Product),
                flag,
            )
            .where(*conditions)
            .order_by(*order)
            .limit(limit + 1)
        )
    descending = sort == "price_desc"
    walk = _price_page(conditions, descending, limit, after, price_strategy)
    order = (
        (walk.c.sort_key.desc(), walk.c.id.desc()) if descending else (walk.c.sort_key, walk.c.id)
    )
    return _with_output(
        select(*_output_columns(), _in_stock_column(flag), walk.c.sort_key)
        .select_from(walk)
        .join(Product, Product.id == walk.c.id),
        flag,
    ).order_by(*order)


def validate_list_request(filters: ProductFilters, sort: str, limit: int) -> None:
    """Check the rules of a list request. Raises InvalidInput naming every offending field."""
    problems: dict[str, str] = {}
    if sort not in SORTS:
        problems["sort"] = f"must be one of {', '.join(SORTS)}"
    if not 1 <= limit <= MAX_LIMIT:
        problems["limit"] = f"must be between 1 and {MAX_LIMIT}"
    for name in ("min_price", "max_price"):
        value = getattr(filters, name)
        if value is not None and value < 0:
            problems[name] = "must not be negative"
    if (
        filters.min_price is not None
        and filters.max_price is not None
        and filters.min_price > filters.max_price
    ):
        problems["min_price"] = "must not be greater than max_price"
    for name, values in (("brand", filters.brands), ("tag", filters.tags)):
        if len(values) > MAX_VALUES:
            problems[name] = f"takes at most {MAX_VALUES} values"
    if len(filters.attributes) > MAX_ATTRIBUTE_CODES:
        problems["attr."] = f"at most {MAX_ATTRIBUTE_CODES} attributes can be combined"
    for code, values in filters.attributes.items():
        if not code:
            problems["attr."] = "needs an attribute code, as in attr.colour=red"
        elif not values or any(not value for value in values):
            problems[f"attr.{code}"] = "must not be empty"
        elif len(values) > MAX_VALUES:
            problems[f"attr.{code}"] = f"takes at most {MAX_VALUES} values"
    if problems:
        raise InvalidInput("Some parameters of the product list are not valid.", fields=problems)


def list_products(
    filters: ProductFilters,
    sort: str = DEFAULT_SORT,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> ProductPage:
    """One page of visible products matching `filters`, in `sort` order, after `cursor`.

    An unknown category matches nothing. Raises InvalidInput (with the offending fields) for an
    unknown sort, a limit outside 1..MAX_LIMIT, min_price above max_price, or a cursor that was not
    made for this sort.
    """
    validate_list_request(filters, sort, limit)
    after = decode_cursor(cursor, sort) if cursor else None
    category_ids = None
    if filters.category is not None:
        category_ids = _descendant_ids(Category.slug == filters.category)
        if not category_ids:
            return ProductPage(items=[], next_cursor=None, limit=limit)
    connection = db.session.connection()

    def page(strategy: str = "walk") -> list[Any]:
        statement = page_statement(filters, sort, limit, after, category_ids, strategy)
        return list(connection.execute(statement).all())

    if sort not in PRICE_SORTS or filters == ProductFilters():
        rows = page()
    else:
        # A filtered price sort looks in a window of the price order first; finding too few
        # there, it ranks every matching product instead, which is exact whatever the window saw.
        rows = page("window")
        if len(rows) <= limit:
            rows = page("rank")
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_summary(row) for row in rows]
    next_cursor = encode_cursor(sort, rows[-1].sort_key, rows[-1].id) if more else None
    return ProductPage(items=items, next_cursor=next_cursor, limit=limit)


def _money(amount: int | None, currency: str | None) -> dict[str, Any] | None:
    return None if amount is None or currency is None else {"amount": amount, "currency": currency}


def _ref(slug: str | None, name: str | None) -> dict[str, str] | None:
    return None if slug is None else {"slug": slug, "name": name or ""}


def _in_stock(quantity: int | None) -> bool:
    return quantity is None or quantity > 0


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "title": row.title,
        "brand": _ref(row.brand_slug, row.brand_name),
        "category": _ref(row.category_slug, row.category_name),
        "tags": list(row.tags or []),
        "price": None
        if row.min_price is None
        else {
            "min": _money(row.min_price, row.currency),
            "max": _money(row.max_price, row.currency),
        },
        "variant_count": row.variant_count,
        "in_stock": row.in_stock,
    }


# --- Availability --------------------------------------------------------------------------------


@functools.cache
def _inventory_availability() -> Callable[[list[int]], Mapping[int, int]] | None:
    """commerce.inventory.service.availability, or None while the inventory context lacks it.

    Imported lazily and once per process, so the catalog loads without inventory and never
    imports it in a cycle.
    """
    try:
        service = importlib.import_module("commerce.inventory.service")
        return service.availability
    except (ImportError, AttributeError) as exc:
        log.warning(
            "no commerce.inventory.service.availability (%s): all variants count as in stock", exc
        )
        return None


def _availability(variant_ids: Iterable[int]) -> dict[int, int | None]:
    """Units available per variant, from the inventory context (a variant it does not report has
    none); None, meaning unknown and so treated as in stock, for every variant while that context
    offers no `availability` yet."""
    ids = list(dict.fromkeys(variant_ids))
    if not ids:
        return {}
    availability = _inventory_availability()
    if availability is None:
        return dict.fromkeys(ids)
    counts = availability(ids)
    return {vid: int(counts.get(vid, 0)) for vid in ids}


# --- Product detail ------------------------------------------------------------------------------


def product_by_slug(slug: str) -> dict[str, Any]:
    """The visible product with `slug`: variants with availability, breadcrumb, price range.

    Raises NotFound when no visible product has that slug.
    """
    # PostgreSQL cannot compare text holding a NUL, and no slug holds one.
    product = (
        None
        if "\x00" in slug
        else db.session.scalars(
            select(Product)
            .where(Product.slug == slug, visible())
            .options(joinedload(Product.brand), selectinload(Product.variants))
        ).one_or_none()
    )
    if product is None:
        raise NotFound(f"No product with slug '{slug}'.", details={"slug": slug})
    stock = _availability(variant.id for variant in product.variants)
    variants = [
        {
            "id": variant.id,
            "sku": variant.sku,
            "option_values": dict(variant.option_values or {}),
            "price": _money(variant.price_amount, variant.currency),
            "compare_at": _money(variant.compare_at_amount, variant.currency),
            "available": stock.get(variant.id),
            "in_stock": _in_stock(stock.get(variant.id)),
        }
        for variant in product.variants
    ]
    cheapest = min(product.variants, key=lambda v: (v.price_amount, v.id), default=None)
    dearest = max(product.variants, key=lambda v: (v.price_amount, -v.id), default=None)
    return {
        "id": product.id,
        "slug": product.slug,
        "title": product.title,
        "description": product.description,
        "brand": _ref(product.brand.slug, product.brand.name) if product.brand else None,
        "breadcrumb": breadcrumb(product.category_id),
        "tags": list(product.tags or []),
        "attributes": dict(product.attributes or {}),
        "price": None
        if cheapest is None or dearest is None
        else {
            "min": _money(cheapest.price_amount, cheapest.currency),
            "max": _money(dearest.price_amount, dearest.currency),
        },
        "in_stock": any(variant["in_stock"] for variant in variants),
        "variants": variants,
        "media": _media(product.id),
        "seo": {
            "title": getattr(product, "seo_title", None),
            "description": getattr(product, "seo_description", None),
        },
    }


def _media(product_id: int) -> list[dict[str, Any]]:
    """The product's images in display order, with their thumbnail once the job made it."""
    from commerce.catalog.media import ProductMedia

    images = db.session.scalars(
        select(ProductMedia)
        .where(ProductMedia.product_id == product_id)
        .order_by(ProductMedia.position, ProductMedia.id)
    )
    return [
        {
            "url": m.url(),
            "alt": m.alt,
            "width": m.width,
            "height": m.height,
            "thumbnail": m.url(480) if m.thumbnail_path else None,
        }
        for m in images
    ]


def breadcrumb(category_id: int | None) -> list[dict[str, str]]:
    """The categories from the root down to `category_id`, as [{slug, name}] (empty for None)."""
    if category_id is None:
        return []
    parent = aliased(Category)
    up = (
        select(
            Category.id, Category.parent_id, Category.slug, Category.name, literal(0).label("depth")
        )
        .where(Category.id == category_id)
        .cte("up", recursive=True)
    )
    # UNION (not UNION ALL) ends the walk even if a bad edit ever made the tree a cycle.
    up = up.union(
        select(parent.id, parent.parent_id, parent.slug, parent.name, up.c.depth + 1)
        .join(up, parent.id == up.c.parent_id)
        .where(up.c.depth < 50)
    )
    rows = db.session.execute(select(up.c.slug, up.c.name).order_by(up.c.depth.desc())).all()
    return [{"slug": row.slug, "name": row.name} for row in rows]


# --- Categories ----------------------------------------------------------------------------------


def _descendant_ids(root: ColumnElement[bool]) -> list[int]:
    """Ids of the category matching `root` and of every category below it (recursive CTE)."""
    child = aliased(Category)
    tree = select(Category.id).where(root).cte("tree", recursive=True)
    # UNION (not UNION ALL) ends the walk even if a bad edit ever made the tree a cycle.
    tree = tree.union(select(child.id).join(tree, child.parent_id == tree.c.id))
    return list(db.session.scalars(select(tree.c.id)))


def category_descendant_ids(category_id_or_slug: int | str) -> list[int]:
    """Ids of a category (by id or slug) and of all its subcategories.

    Raises NotFound when there is no such category.
    """
    if isinstance(category_id_or_slug, int):
        root = Category.id == category_id_or_slug
    else:
        root = Category.slug == category_id_or_slug
    ids = _descendant_ids(root)
    if not ids:
        raise NotFound(
            f"No category '{category_id_or_slug}'.", details={"category": category_id_or_slug}
        )
    return ids


def category_tree() -> list[dict[str, Any]]:
    """The whole category tree, siblings by position, each node with the number of visible
    products in it and its subcategories: [{id, slug, name, product_count, children}]."""
    categories = db.session.execute(
        select(Category.id, Category.parent_id, Category.slug, Category.name).order_by(
            Category.position, Category.id
        )
    ).all()
    counts = dict(
        db.session.execute(
            select(Product.category_id, func.count())
            .where(visible(), Product.category_id.is_not(None))
            .group_by(Product.category_id)
        ).all()
    )
    children: dict[int | None, list[Any]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)

    def node(category: Any) -> dict[str, Any]:
        below = [node(child) for child in children.get(category.id, [])]
        return {
            "id": category.id,
            "slug": category.slug,
            "name": category.name,
            "product_count": counts.get(category.id, 0)
            + sum(child["product_count"] for child in below),
            "children": below,
        }

    # Only nodes reachable from a root are shown, so a cycle (which has no root) cannot loop.
    return [node(root) for root in children.get(None, [])]


# Build the shared lateral subquery while the module is imported (one thread): functools.cache is
# not atomic, and two request threads building it at once would put two different subqueries named
# "variant_summary" into one statement (seen under load as DuplicateAlias).
_output_columns()
