"""GET /api/v1/products, /api/v1/products/<slug> and /api/v1/categories: the storefront catalog.

The views turn the query string into plain values (answering 400 with the offending fields when
it cannot be read), call commerce.catalog.queries, and send the result as JSON that shared caches
may keep for a minute, with a weak ETag so a client can revalidate with If-None-Match (304).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from werkzeug.datastructures import MultiDict

from commerce.cache import cached_json, dump_json
from commerce.catalog import queries
from commerce.errors import InvalidInput
from storefront_api import api
from storefront_api.text_input import check_args

CACHE_SECONDS = 60
# Catalog changes invalidate this namespace (jobs/handlers/catalog.py); stock figures may lag by up
# to CACHE_SECONDS, which checkout never relies on: it reserves against the database.
CACHE_NAMESPACE = "catalog"
MAX_QUERY_LENGTH = 200
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
INTEGER = re.compile(r"-?[0-9]{1,9}")
DIGITS = re.compile(r"[0-9]{1,15}")


def cacheable(build: Callable[[], dict[str, Any]]) -> Response:
    """The JSON of `build()` — from the shared catalog cache when another request built it within
    CACHE_SECONDS — with Cache-Control and a weak ETag; 304 when If-None-Match matches."""
    key = request.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(request.args.items(True)))
    ttl = current_app.config["CATALOG_CACHE_SECONDS"]
    body = cached_json(CACHE_NAMESPACE, key, build, ttl=ttl) if ttl > 0 else dump_json(build())
    response = Response(body, mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.add_etag(weak=True)
    return response.make_conditional(request)


def _whole_number(args: MultiDict, name: str, problems: dict[str, str]) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if not DIGITS.fullmatch(raw):
        problems[name] = "must be a whole number of minor units (0 or more)"
        return None
    return int(raw)


def parse_list_args(
    args: MultiDict,
) -> tuple[queries.ProductFilters, str, int, str | None]:
    """The (filters, sort, limit, cursor) a product list's query string asks for.

    Raises InvalidInput naming every parameter that cannot be read (the rules about their values,
    such as the limit's range, are checked by queries.list_products).
    """
    check_args(args)
    problems: dict[str, str] = {}
    raw_limit = args.get("limit", "").strip()
    limit = queries.DEFAULT_LIMIT
    if raw_limit:
        if INTEGER.fullmatch(raw_limit):
            limit = int(raw_limit)
        else:
            problems["limit"] = f"must be a whole number between 1 and {queries.MAX_LIMIT}"
    in_stock = False
    raw_in_stock = args.get("in_stock", "").strip().lower()
    if raw_in_stock in TRUE_WORDS:
        in_stock = True
    elif raw_in_stock and raw_in_stock not in FALSE_WORDS:
        problems["in_stock"] = "must be true or false"
    q = args.get("q", "").strip() or None
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        problems["q"] = f"must be at most {MAX_QUERY_LENGTH} characters"
    attributes: dict[str, tuple[str, ...]] = {}
    for name in args:
        if name.startswith("attr."):
            attributes[name.removeprefix("attr.")] = tuple(
                value.strip() for value in args.getlist(name)
            )
    min_price = _whole_number(args, "min_price", problems)
    max_price = _whole_number(args, "max_price", problems)
    if problems:
        raise InvalidInput("Some parameters of the product list are not valid.", fields=problems)
    filters = queries.ProductFilters(
        category=args.get("category", "").strip() or None,
        brands=tuple(value.strip() for value in args.getlist("brand") if value.strip()),
        attributes=attributes,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
        q=q,
        tags=tuple(value.strip() for value in args.getlist("tag") if value.strip()),
    )
    sort = args.get("sort", "").strip() or queries.DEFAULT_SORT
    cursor = args.get("cursor", "").strip() or None
    return filters, sort, limit, cursor


@api.get("/products")
def list_products():
    """A page of visible products, filtered and sorted. Raises InvalidInput (400)."""
    filters, sort, limit, cursor = parse_list_args(request.args)

    def build() -> dict[str, Any]:
        page = queries.list_products(filters, sort=sort, limit=limit, cursor=cursor)
        return {"data": page.items, "page": {"next_cursor": page.next_cursor, "limit": page.limit}}

    return cacheable(build)


@api.get("/products/<slug>")
def get_product(slug: str):
    """A visible product with its variants, availability and breadcrumb. Raises NotFound (404)."""
    return cacheable(lambda: {"data": queries.product_by_slug(slug)})


@api.get("/categories")
def list_categories():
    """The category tree with visible product counts (subcategories included)."""
    return cacheable(lambda: {"data": queries.category_tree()})
