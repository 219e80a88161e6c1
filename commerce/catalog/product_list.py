"""The back-office product list's search, filters and sort as SQL conditions, shared by the list
itself (backoffice/products.py) and the catalog export, so that an export started from the list
holds exactly the products the list shows, in its order.

A filter is a plain triple (field, operation, value) that survives a trip through a job's
arguments; `clean_condition` checks one and `condition` turns it into SQL. Read only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, func, not_, or_, select, union_all
from sqlalchemy.orm import aliased

from commerce import db
from commerce.catalog.models import Category, Product, Variant
from commerce.errors import InvalidInput

MAX_SEARCH_TERMS = 5  # words of a search that count; each must match
# column -> what the list sorts by
SORTS: dict[str, Any] = {
    "title": Product.title,
    "status": Product.status,
    "created_at": Product.created_at,
    "updated_at": Product.updated_at,
}
ID_FIELDS = {"brand": Product.brand_id, "product_type": Product.product_type_id}
TIME_FIELDS = {"created_at": Product.created_at, "updated_at": Product.updated_at}
TIME_OPERATIONS = ("equals", "not_equal", "after", "before", "between", "not_between", "empty")


# --- search --------------------------------------------------------------------------------------


def like_pattern(term: str, *, prefix_only: bool = False) -> str:
    """`term` as a LIKE pattern with its wildcards escaped (by backslash)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


def sku_prefix(column: Any, term: str) -> ColumnElement[bool]:
    """Case-insensitive "starts with" on a SKU column (an index on upper(sku) text_pattern_ops
    answers it)."""
    return func.upper(column).like(like_pattern(term.upper(), prefix_only=True), escape="\\")


def contains(column: Any, term: str) -> ColumnElement[bool]:
    """Case-insensitive "contains" on a text column."""
    return func.lower(column).like(like_pattern(term.lower()), escape="\\")


def search_term(term: str) -> ColumnElement[bool]:
    """The condition one search word puts on products: title or slug contains it, or a
    variant's SKU starts with it; a word that is a whole SKU (pasted from an order or a label)
    finds just that SKU's product.

    The whole-SKU case is one probe of the SKU index; the others scan the products, written as
    `id IN (... UNION ALL ...)` rather than one OR: an OR holding a subquery keeps PostgreSQL
    from scanning in parallel (3x slower at 100,000 products)."""
    exact = select(Variant.product_id).where(Variant.sku.in_({term, term.upper()}))
    if db.session.scalar(exact.limit(1)) is not None:
        return Product.id.in_(exact)
    searched = aliased(Product, name="searched")
    by_text = select(searched.id).where(
        or_(contains(searched.title, term), contains(searched.slug, term))
    )
    by_sku = select(Variant.product_id).where(sku_prefix(Variant.sku, term))
    return Product.id.in_(union_all(by_text, by_sku))


def search_conditions(text: str | None) -> list[ColumnElement[bool]]:
    """The conditions of a whole search: one per word, the first MAX_SEARCH_TERMS words."""
    return [search_term(term) for term in (text or "").split()[:MAX_SEARCH_TERMS]]


# --- filters -------------------------------------------------------------------------------------


def subtree_ids(category_id: int) -> Select[tuple[int]]:
    """SELECT of the ids of a category and all its descendants (a recursive CTE, named anew
    each time, so that two category filters can meet in one statement)."""
    tree = select(Category.id).where(Category.id == category_id).cte(recursive=True)
    child = aliased(Category)
    return select(tree.union_all(select(child.id).where(child.parent_id == tree.c.id)).c.id)


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", fields={field: problem})


def _time(value: Any, field: str) -> str:
    """A timestamp as ISO text (naive, read as the database session reads the list's)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    try:
        return dt.datetime.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _invalid(field, "must be a date and time, e.g. 2025-03-01T09:30:00") from None


def _id(value: Any, field: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not db.is_id(int(text)):
        raise _invalid(field, "must be an id")
    return int(text)


def clean_condition(item: Any, field: str = "where") -> tuple[str, str, Any]:
    """One filter (name, operation, value) checked and made plain: ids as ints, times as ISO
    text, "between" as two of them, "empty" as a bool. Raises InvalidInput naming `field`."""
    try:
        name, operation, value = item
    except (TypeError, ValueError):
        raise _invalid(field, "must be (field, operation, value)") from None
    key = (name, operation)
    if key == ("status", "equals"):
        return name, operation, str(value)
    if key == ("tag", "has"):
        return name, operation, str(value)
    if key in (("category", "in"), ("brand", "equals"), ("product_type", "equals")):
        return name, operation, _id(value, field)
    if name in TIME_FIELDS and operation in TIME_OPERATIONS:
        if operation == "empty":
            if not isinstance(value, bool):
                raise _invalid(field, "must be true or false")
            return name, operation, value
        if operation in ("between", "not_between"):
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise _invalid(field, "must be two dates and times")
            return name, operation, [_time(v, field) for v in value]
        return name, operation, _time(value, field)
    raise _invalid(field, f"{name} {operation} is not a filter of the product list")


_TIME_CONDITIONS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "equals": lambda column, value: column == value,
    "not_equal": lambda column, value: column != value,
    "after": lambda column, value: column > value,
    "before": lambda column, value: column < value,
    "between": lambda column, value: column.between(*value),
    "not_between": lambda column, value: not_(column.between(*value)),
    "empty": lambda column, value: column.is_(None) if value else column.is_not(None),
}


def condition(name: str, operation: str, value: Any) -> ColumnElement[bool]:
    """The SQL of one filter that `clean_condition` accepted, as the product list applies it."""
    if name == "status":
        return Product.status == value
    if name == "tag":
        return Product.tags.contains([str(value).strip().lower()])
    if name == "category":
        return Product.category_id.in_(subtree_ids(value))
    if name in ID_FIELDS:
        return ID_FIELDS[name] == value
    if operation in ("between", "not_between"):
        value = [dt.datetime.fromisoformat(v) for v in value]
    elif operation != "empty":
        value = dt.datetime.fromisoformat(value)
    return _TIME_CONDITIONS[operation](TIME_FIELDS[name], value)


def order_by(sort: str | None, descending: bool) -> list[Any]:
    """The list's ORDER BY: the sort column, then the product id in the same direction, so rows
    with equal values (a bulk edit gives many the same updated_at) keep one order."""
    columns = [SORTS[sort]] if sort else []
    return [c.desc() if descending else c.asc() for c in (*columns, Product.id)]
