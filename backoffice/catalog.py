"""Shared pieces of the catalog screens: the base view, money in forms, selected ids, category
paths, lazily filled filters and safe ajax loaders. The search helpers (`contains`, `sku_prefix`)
come from commerce.catalog.product_list, which the product list shares with the export.

The screens themselves live in products.py (with product_bulk.py), variants.py, categories.py and
product_types.py; `catalog_views()` lists them for `backoffice.init_app`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, g, has_request_context
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from sqlalchemy import ColumnElement, case, func, literal, select
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from backoffice.base import SecuredModelView, show_domain_error
from commerce import db
from commerce.catalog.models import Category
from commerce.catalog.product_list import MAX_SEARCH_TERMS
from commerce.catalog.product_list import contains as contains  # re-exported for the screens
from commerce.catalog.product_list import sku_prefix as sku_prefix
from commerce.errors import DomainError, InvalidInput
from commerce.money import CURRENCY_EXPONENTS, exponent
from commerce.money import format_money as format_money  # re-exported for the screens

MAX_SELECTED = 1000  # ids one bulk edit may carry (Flask-Admin selects at most a page)
PATH_SEPARATOR = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "


# --- money ---------------------------------------------------------------------------------------


def major_units(amount: int | None, currency: str | None) -> Decimal | None:
    """Minor units as a Decimal of major units (1999 EUR -> 19.99), for a form's initial value."""
    if amount is None:
        return None
    return (
        Decimal(amount).scaleb(-exponent(currency)).quantize(Decimal(1).scaleb(-exponent(currency)))
    )


def to_minor(value: Decimal | str | None, currency: str | None, field: str) -> int | None:
    """A price typed in major units ("19.99") as integer minor units (1999). Raises InvalidInput
    naming `field` when it is not a number or has more decimals than the currency."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            f"{field}: must be a number", fields={field: "must be a number"}
        ) from None
    if not amount.is_finite():
        raise InvalidInput(f"{field}: must be a number", fields={field: "must be a number"})
    places = exponent(currency)
    minor = amount.scaleb(places)
    if minor != minor.to_integral_value():
        problem = (
            f"at most {places} decimals in {currency}" if places else f"no decimals in {currency}"
        )
        raise InvalidInput(f"{field}: {problem}", fields={field: problem})
    return int(minor)


def minor_units_sql(value: Decimal, currency: ColumnElement[str]) -> ColumnElement[Any]:
    """SQL for `value` major units in minor units of each row's `currency` (for price filters)."""
    whens = [
        (currency == code, literal(value.scaleb(places)))
        for code, places in CURRENCY_EXPONENTS.items()
    ]
    return case(*whens, else_=literal(value.scaleb(2)))


# --- request values ------------------------------------------------------------------------------


def parse_ids(raw: Iterable[str]) -> list[int]:
    """Selected row ids from a form or query string, as ints. Aborts with 400 when one is not a
    positive integer, when there are none, or more than MAX_SELECTED."""
    ids: list[int] = []
    for value in raw:
        text = (value or "").strip()
        if not text.isdigit() or not db.is_id(int(text)):
            abort(400, description="The selection holds something that is not a product id.")
        ids.append(int(text))
    if not ids:
        abort(400, description="Select at least one row first.")
    if len(ids) > MAX_SELECTED:
        abort(400, description=f"Select at most {MAX_SELECTED} rows at a time.")
    return list(dict.fromkeys(ids))


def form_choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as a WTForms select's choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def values_cell(_view: Any, _context: Any, model: Any, name: str) -> str:
    """A JSONB dict column (attributes, option values) as "code: value; code: value"."""
    items = (getattr(model, name) or {}).items()
    return "; ".join(
        f"{code}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for code, v in items
    )


def split_list(text: str | None) -> list[str]:
    """A comma-separated text field as its non-empty, stripped items."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def as_id(value: str | int | None) -> int | None:
    """A form or query value as a positive id, None when it is not one."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and db.is_id(int(text)) else None


# --- errors on forms -----------------------------------------------------------------------------


def show_error(
    exc: DomainError,
    form: Form | None,
    renames: Mapping[str, str] | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> None:
    """Flash `exc` and put its field errors on `form`, first renaming the service's field names
    to the form's (`renames`: exact names, `prefixes`: "attributes." -> "attr__")."""
    renames, prefixes = renames or {}, prefixes or {}

    def rename(name: str) -> str:
        if name in renames:
            return renames[name]
        for prefix, replacement in prefixes.items():
            if name.startswith(prefix):
                return replacement + name[len(prefix) :]
        return name

    if exc.details.get("fields"):
        exc.details["fields"] = {rename(k): v for k, v in exc.details["fields"].items()}
    elif "field" in exc.details:
        exc.details["field"] = rename(exc.details["field"])
    show_domain_error(exc, form)


# --- categories ----------------------------------------------------------------------------------


def category_tree() -> dict[int, tuple[int | None, str]]:
    """{id: (parent_id, name)} of every category, read once per request (there are hundreds)."""
    if "catalog_category_tree" not in g:
        rows = db.session.execute(select(Category.id, Category.parent_id, Category.name)).all()
        g.catalog_category_tree = {r.id: (r.parent_id, r.name) for r in rows}
    return g.catalog_category_tree


def category_paths() -> dict[int, str]:
    """{id: "Apparel > Men > T-shirts"} (joined by PATH_SEPARATOR) of every category, from one
    query per request."""
    if "catalog_category_paths" not in g:
        tree = category_tree()
        paths: dict[int, str] = {}

        def path(ident: int, seen: frozenset[int] = frozenset()) -> str:
            if ident not in paths:
                parent, name = tree[ident]
                # A cycle cannot be stored through the service; stop rather than recurse forever.
                if parent is None or parent not in tree or parent in seen:
                    paths[ident] = name
                else:
                    paths[ident] = path(parent, seen | {ident}) + PATH_SEPARATOR + name
            return paths[ident]

        for ident in tree:
            path(ident)
        g.catalog_category_paths = paths
    return g.catalog_category_paths


def category_choices(blank: str | None = None) -> list[tuple[str, str]]:
    """(id, path) of every category sorted by path, for a select; `blank` adds an empty first
    choice."""
    paths = category_paths()
    choices = [(str(i), p) for i, p in sorted(paths.items(), key=lambda kv: kv[1].lower())]
    return ([("", blank)] if blank is not None else []) + choices


# --- filters and ajax ----------------------------------------------------------------------------


class LookupFilter(sqla_filters.FilterEqual):
    """ "equals" with a drop-down whose options are read from the database on each list request
    (never when the view is built: no I/O at start-up)."""

    def __init__(
        self,
        column: Any,
        name: str,
        options: Callable[[], Sequence[tuple[str, str]]],
        clean: Callable[[str], Any] = str,
    ) -> None:
        super().__init__(column, name, options=options)
        self._clean = clean

    def get_options(self, view: Any) -> Sequence[tuple[str, str]] | None:
        if not has_request_context():
            return [("", "")]  # replaced per request by CatalogModelView._get_filter_groups
        return list(self.options())  # type: ignore[operator, misc]

    def clean(self, value: str) -> Any:
        return self._clean(value)


def int_value(value: str) -> int:
    """A filter value as a positive id. Raises ValueError (Flask-Admin then flashes it)."""
    ident = as_id(value)
    if ident is None:
        raise ValueError(value)
    return ident


class SafeAjaxLoader(QueryAjaxModelLoader):
    """Flask-Admin's ajax loader that treats a non-numeric id as "nothing chosen" (instead of a
    database error) and answers at most DEFAULT_PAGE_SIZE rows per lookup."""

    def __init__(self, name: str, model: type, *, label: Callable[[Any], str] = str, **options):
        options.setdefault("minimum_input_length", 0)
        super().__init__(name, db.session, model, **options)
        self._label = label

    def get_one(self, pk: Any) -> Any:
        ident = as_id(pk)
        return None if ident is None else super().get_one(ident)

    def get_list(self, term: str, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE) -> Any:
        limit = max(1, min(limit or DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE))
        return super().get_list(term or "", max(offset or 0, 0), limit)

    def format(self, model: Any) -> tuple[Any, str] | None:
        if not model:
            return None
        return model.id, self._label(model)


def category_label(category: Category) -> str:
    """A category's full path, for ajax results and forms."""
    return category_paths().get(category.id, category.name)


# --- base view -----------------------------------------------------------------------------------


class CatalogModelView(SecuredModelView):
    """A view of the "catalog" resource: permissions, lazily filled filters, integer-only ids and
    search through `search_clause`."""

    resource = "catalog"
    named_filter_urls = True

    def get_one(self, id: Any) -> Any:
        ident = as_id(id)
        return None if ident is None else db.session.get(self.model, ident)

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, LookupFilter):
                    item["options"] = flt.get_options(self)
        return groups

    def get_count_query(self) -> Any:
        # A searched list counts its matches in the page's own query (see get_list).
        return None if g.get("count_in_list_query") else super().get_count_query()

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's page of rows and their count.

        A search cannot use an index (substrings), so instead of scanning the table twice, once
        to count and once for the page, the page's query counts the matches too
        (`count(*) OVER ()`, which PostgreSQL evaluates before LIMIT)."""
        one_pass = bool(execute and search and self._search_supported)
        g.count_in_list_query = one_pass
        try:
            count, query = super().get_list(
                page, sort_column, sort_desc, search, filters, execute=False, page_size=page_size
            )
        finally:
            g.count_in_list_query = False
        if not execute:
            return count, query
        if not one_pass:
            return count, query.all()
        found = query.add_columns(func.count().over()).all()
        if found:
            return found[0][1], [row[0] for row in found]
        # Past the last page, or nothing matches: only a count can tell which.
        count, _rows = super().get_list(0, None, False, search, filters, page_size=1)
        return count, []

    def search_clause(self, term: str) -> ColumnElement[bool] | None:
        """The condition one search term adds (every term must match); None: Flask-Admin's."""
        return None

    def _apply_search(self, query, count_query, joins, count_joins, search):
        if type(self).search_clause is CatalogModelView.search_clause:
            return super()._apply_search(query, count_query, joins, count_joins, search)
        for term in search.split()[:MAX_SEARCH_TERMS]:
            clause = self.search_clause(term)
            query = query.filter(clause)
            if count_query is not None:
                count_query = count_query.filter(clause)
        return query, count_query, joins, count_joins


def catalog_views() -> list[Any]:
    """Every catalog screen, in menu order, ready for `Admin.add_view`."""
    from backoffice.categories import BrandAdmin, CategoryAdmin
    from backoffice.collections import collection_views
    from backoffice.digital import digital_views
    from backoffice.product_media import product_media_views
    from backoffice.product_types import AttributeAdmin, ProductTypeAdmin
    from backoffice.products import ProductAdmin
    from backoffice.variants import VariantAdmin
    from commerce.catalog.models import Brand, Product, Variant
    from commerce.catalog.types import Attribute, ProductType

    menu = {"category": "Catalog"}
    return [
        ProductAdmin(Product, db.session, name="Products", endpoint="products", **menu),
        VariantAdmin(Variant, db.session, name="Variants", endpoint="variants", **menu),
        CategoryAdmin(Category, db.session, name="Categories", endpoint="categories", **menu),
        BrandAdmin(Brand, db.session, name="Brands", endpoint="brands", **menu),
        ProductTypeAdmin(
            ProductType, db.session, name="Product types", endpoint="product_types", **menu
        ),
        AttributeAdmin(Attribute, db.session, name="Attributes", endpoint="attributes", **menu),
        *collection_views(),
        *product_media_views(),
        *digital_views(),
    ]
