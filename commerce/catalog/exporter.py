"""Catalog export: products and variants as CSV or XLSX, in the import's own columns.

One row per variant, product columns repeated on each row, so an export can be edited in a
spreadsheet and imported back (docs/catalog-import.md). Rows are streamed from a server-side cursor
in batches, so a 300,000-variant export never holds the catalog in memory.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, func, or_, select

from commerce import db
from commerce.catalog import product_list
from commerce.catalog.models import Brand, Category, Product, Variant
from commerce.catalog.types import ProductType
from commerce.errors import InvalidInput

FORMATS = ("csv", "xlsx")
BASE_COLUMNS = (
    "handle", "title", "status", "category", "brand", "product_type", "tags", "description",
    "seo_title", "seo_description", "sku", "barcode", "price", "compare_at", "cost", "currency",
    "weight_grams",
)  # fmt: skip
BATCH = 2000


@dataclasses.dataclass(frozen=True, slots=True)
class ExportFilters:
    """Which products to export, and in which order: all, by product id, by default.

    `status`, `category_id`, `brand_id` and `search` are the Export page's own filters; `where`,
    `list_search`, `sort` and `descending` are the back-office product list's filters, search and
    sort (commerce.catalog.product_list), so an export of the list has exactly its products in
    its order. All that are given must hold."""

    status: str | None = None
    category_id: int | None = None  # subcategories included
    brand_id: int | None = None
    search: str | None = None  # title, slug or SKU contains
    where: tuple[tuple[str, str, Any], ...] = ()  # the list's filters: (field, operation, value)
    list_search: str | None = None  # the list's search: every word must match
    sort: str | None = None  # a product_list.SORTS column; then by product id
    descending: bool = False

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ExportFilters:
        """Read filters from plain values (job arguments). Raises InvalidInput naming the key."""
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            key = sorted(unknown)[0]
            raise InvalidInput(f"{key}: not an export filter", fields={key: "unknown"})
        out: dict[str, Any] = {}
        for key in ("category_id", "brand_id"):
            if values.get(key) not in (None, ""):
                try:
                    out[key] = int(values[key])
                except (TypeError, ValueError):
                    raise InvalidInput(
                        f"{key}: must be a number", fields={key: "not a number"}
                    ) from None
        for key in ("status", "search", "list_search"):
            if values.get(key):
                out[key] = str(values[key]).strip()
        where = values.get("where") or ()
        if not isinstance(where, list | tuple):
            raise InvalidInput("where: must be a list of filters", fields={"where": "not a list"})
        out["where"] = tuple(
            product_list.clean_condition(item, f"where[{n}]") for n, item in enumerate(where)
        )
        if values.get("sort"):
            if values["sort"] not in product_list.SORTS:
                problem = "must be one of " + ", ".join(product_list.SORTS)
                raise InvalidInput(f"sort: {problem}", fields={"sort": problem})
            out["sort"] = values["sort"]
        if not isinstance(values.get("descending", False), bool):
            problem = "must be true or false"
            raise InvalidInput(f"descending: {problem}", fields={"descending": problem})
        out["descending"] = values.get("descending", False)
        return cls(**out)


def _money(amount: int | None) -> str:
    return "" if amount is None else f"{Decimal(amount) / 100:.2f}"


def _statement(filters: ExportFilters) -> Select:
    stmt = (
        select(Variant, Product, Category.slug, Brand.slug, ProductType.name)
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .outerjoin(Brand, Brand.id == Product.brand_id)
        .outerjoin(ProductType, ProductType.id == Product.product_type_id)
        .order_by(*product_list.order_by(filters.sort, filters.descending), Variant.id)
    )
    if filters.status:
        stmt = stmt.where(Product.status == filters.status)
    if filters.brand_id:
        stmt = stmt.where(Product.brand_id == filters.brand_id)
    if filters.category_id:
        stmt = stmt.where(Product.category_id.in_(product_list.subtree_ids(filters.category_id)))
    if filters.search:
        like = f"%{filters.search.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Product.title).like(like),
                Product.slug.like(like),
                func.lower(Variant.sku).like(like),
            )
        )
    for item in filters.where:
        stmt = stmt.where(product_list.condition(*item))
    for clause in product_list.search_conditions(filters.list_search):
        stmt = stmt.where(clause)
    return stmt


def _dynamic_columns(filters: ExportFilters) -> tuple[list[str], list[str]]:
    """The attribute and option codes used by the exported products, sorted."""
    base = _statement(filters).subquery()
    attrs = select(func.jsonb_object_keys(base.c.attributes)).distinct()
    options = select(func.jsonb_object_keys(base.c.option_values)).distinct()
    return (sorted(db.session.scalars(attrs)), sorted(db.session.scalars(options)))


def count(filters: ExportFilters) -> int:
    """How many variant rows the export will have."""
    return db.session.scalar(select(func.count()).select_from(_statement(filters).subquery())) or 0


def count_products(filters: ExportFilters) -> int:
    """How many products the export's rows belong to (a product without variants has none)."""
    stmt = _statement(filters).with_only_columns(func.count(func.distinct(Product.id)))
    return db.session.scalar(stmt.order_by(None)) or 0


def rows(filters: ExportFilters) -> tuple[list[str], Iterator[list[Any]]]:
    """(header, row iterator) of the export, streamed from the database in batches."""
    attr_codes, option_codes = _dynamic_columns(filters)
    header = [
        *BASE_COLUMNS,
        *(f"option:{c}" for c in option_codes),
        *(f"attr:{c}" for c in attr_codes),
    ]

    def generate() -> Iterator[list[Any]]:
        result = db.session.execute(_statement(filters).execution_options(yield_per=BATCH))
        for variant, product, category, brand, ptype in result:
            attributes = product.attributes or {}
            options = variant.option_values or {}
            yield [
                product.slug,
                product.title,
                product.status,
                category or "",
                brand or "",
                ptype or "",
                ",".join(product.tags or []),
                product.description or "",
                product.seo_title or "",
                product.seo_description or "",
                variant.sku,
                variant.barcode or "",
                _money(variant.price_amount),
                _money(variant.compare_at_amount),
                _money(variant.cost_amount),
                variant.currency,
                "" if variant.weight_grams is None else variant.weight_grams,
                *(options.get(c, "") for c in option_codes),
                *(_cell(attributes.get(c)) for c in attr_codes),
            ]

    return header, generate()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return value


def write(
    path: Path, fmt: str, filters: ExportFilters, progress: Callable[[int, int], None] | None = None
) -> int:
    """Write the export to `path` as `fmt` ("csv" or "xlsx"). Returns rows written.

    Raises InvalidInput for an unknown format. `progress(done, total)` is called every batch."""
    if fmt not in FORMATS:
        raise InvalidInput("format: must be csv or xlsx", fields={"format": "csv or xlsx"})
    total = count(filters)
    header, body = rows(filters)
    done = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in body:
                writer.writerow(row)
                done += 1
                if progress and done % BATCH == 0:
                    progress(done, total)
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Products")
        sheet.append(header)
        for row in body:
            sheet.append(row)
            done += 1
            if progress and done % BATCH == 0:
                progress(done, total)
        book.save(path)
    if progress:
        progress(done, total)
    return done
