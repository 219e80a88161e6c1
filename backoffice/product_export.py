"""The product list's "Export this list…": its filters, search and sort, read from its query
string as Flask-Admin reads them, become the catalog export's filter values
(commerce.catalog.exporter.ExportFilters), so the export job writes exactly the list's products
in the list's order. Mixed into ProductAdmin; the Export page (backoffice/exports.py) asks it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import request, url_for
from flask_admin.contrib.sqla import filters as sqla_filters
from werkzeug.datastructures import MultiDict

from backoffice.security import has_permission
from commerce.catalog import product_list
from commerce.errors import InvalidInput

# Flask-Admin's own filters of a timestamp column -> the operation product_list applies.
TIME_OPERATIONS = {
    sqla_filters.DateTimeEqualFilter: "equals",
    sqla_filters.DateTimeNotEqualFilter: "not_equal",
    sqla_filters.DateTimeGreaterFilter: "after",
    sqla_filters.DateTimeSmallerFilter: "before",
    sqla_filters.DateTimeBetweenFilter: "between",
    sqla_filters.DateTimeNotBetweenFilter: "not_between",
    sqla_filters.FilterEmpty: "empty",
}
LIST_ARGS = ("search", "sort", "desc")  # besides the flt* filter arguments


def exported_as(flt: Any, field: str, operation: str) -> Any:
    """Mark one of the list's filters as the product_list filter (`field`, `operation`) it
    applies; returns it (for use inside `column_filters`)."""
    flt.export_as = (field, operation)
    return flt


@dataclasses.dataclass(frozen=True, slots=True)
class ListExport:
    """The list's state as the export's filters, and in words for the Export page."""

    filters: dict[str, Any]
    described: list[str]
    query: MultiDict[str, str]  # the list's own arguments, to carry on and to go back


def list_args(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """Only the arguments that decide which rows the list shows and in which order."""
    return MultiDict(
        [(k, v) for k, v in args.items(multi=True) if k.startswith("flt") or k in LIST_ARGS]
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class ProductExportMixin:
    """Mixed into ProductAdmin: the list's rows in a stable order (ties broken by id, as the
    export does), the "Export this list…" link, and the list's state as export filters."""

    def list_sort(self, sort_column: str | None, sort_desc: Any) -> tuple[str | None, bool]:
        """(product_list sort column or None, descending) of the list sorted by `sort_column`
        (None: the default sort)."""
        if sort_column is None:
            name, descending = self.column_default_sort  # type: ignore[attr-defined]
            return name, bool(descending)
        if sort_column in self._sortable_columns:  # type: ignore[attr-defined]
            return sort_column, bool(sort_desc)
        return None, bool(sort_desc)  # Flask-Admin ignores a column it cannot sort by

    def _apply_sorting(self, query: Any, joins: Any, sort_column: Any, sort_desc: Any) -> Any:
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)  # type: ignore[misc]
        _sort, descending = self.list_sort(sort_column, sort_desc)
        tiebreak = product_list.order_by(None, descending)
        return query.order_by(*tiebreak), joins

    def render(self, template: str, **kwargs: Any) -> str:
        if template == self.list_template and has_permission("catalog.export"):  # type: ignore[attr-defined]
            kwargs["export_list_url"] = url_for(
                "catalog_export.index", list="products", **list_args(request.args).to_dict(False)
            )
        return super().render(template, **kwargs)  # type: ignore[misc]

    def export_state(self, args: MultiDict[str, str]) -> ListExport:
        """The list's filters, search and sort in `args` (its query string) as the catalog
        export's filter values. Raises InvalidInput naming a filter whose value the list cannot
        read, or that the export does not know."""
        where: list[list[Any]] = []
        described: list[str] = []
        found = []
        for arg, value in args.items(multi=True):
            if not arg.startswith("flt") or "_" not in arg:
                continue
            position, key = arg[3:].split("_", 1)
            if key in (self._filter_args or {}):  # type: ignore[attr-defined]
                found.append((position, key, value))
        for _position, key, value in sorted(found, key=lambda item: item[0]):
            _index, flt = self._filter_args[key]  # type: ignore[attr-defined]
            label = f"{flt.name} {flt.operation()}"
            if not flt.validate(value):
                problem = f"{value!r} is not a value this filter reads; correct it on the list"
                raise InvalidInput(f"{label}: {problem}", fields={"filters": problem})
            field, operation = self._export_key(flt, label)
            clean = flt.clean(value)
            if operation == "empty":
                clean = value == "1"
            where.append([field, operation, _plain(clean)])
            shown = dict(flt.get_options(self) or ()).get(value, value)
            described.append(f"{label} {shown}")
        search = (args.get("search") or "").strip()
        if search:
            described.append(f"Search: {search}")
        column = self._get_column_by_idx(args.get("sort", type=int))  # type: ignore[attr-defined]
        sort, descending = self.list_sort(column[0] if column else None, args.get("desc", type=int))
        if sort:
            label = dict(self._list_columns).get(sort, sort)  # type: ignore[attr-defined]
            described.append(f"Sorted by {label}{', descending' if descending else ''}")
        filters = {
            "where": where,
            "list_search": search or None,
            "sort": sort,
            "descending": descending,
        }
        return ListExport(filters=filters, described=described, query=list_args(args))

    @staticmethod
    def _export_key(flt: Any, label: str) -> tuple[str, str]:
        """The product_list (field, operation) a list filter applies. Raises InvalidInput for
        one the export does not know."""
        marked = getattr(flt, "export_as", None)
        if marked:
            return marked
        column = getattr(getattr(flt, "column", None), "key", None)
        if column in product_list.TIME_FIELDS and type(flt) in TIME_OPERATIONS:
            return column, TIME_OPERATIONS[type(flt)]
        problem = "this filter cannot be exported; remove it from the list first"
        raise InvalidInput(f"{label}: {problem}", fields={"filters": problem})
