"""Reading a catalog import file (CSV or XLSX) into rows, and the cell parsers the planner uses.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first product row is row 2,
so an error "row 7, price: must be a number" points at the line the user sees.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from commerce.errors import InvalidInput

PRODUCT_COLUMNS = (
    "handle", "title", "status", "category", "brand", "product_type", "tags", "description",
    "seo_title", "seo_description",
)  # fmt: skip
VARIANT_COLUMNS = (
    "sku", "barcode", "price", "compare_at", "cost", "currency", "weight_grams",
)  # fmt: skip
REQUIRED_COLUMNS = ("sku", "title", "price")
PREFIXES = ("attr:", "option:", "stock:")


@dataclasses.dataclass(slots=True)
class Row:
    """One data row of the file: its spreadsheet row number and {column: stripped text}."""

    number: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


class CellError(ValueError):
    """A cell that cannot be read; the message says what is wrong."""


def _file_error(problem: str) -> InvalidInput:
    return InvalidInput(f"file: {problem}", fields={"file": problem})


def _header(raw: list[Any]) -> list[str]:
    names: list[str] = []
    for cell in raw:
        name = str(cell if cell is not None else "").strip()
        prefix = next((p for p in PREFIXES if name.lower().startswith(p)), None)
        if prefix == "stock:":
            name = prefix + name[len(prefix) :].strip().upper()
        elif prefix:
            name = prefix + name[len(prefix) :].strip().lower()
        else:
            name = name.lower()
        names.append(name)
    while names and not names[-1]:
        names.pop()
    if not names:
        raise _file_error("the first line must name the columns")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise _file_error(f"missing columns: {', '.join(missing)}")
    known = set(PRODUCT_COLUMNS) | set(VARIANT_COLUMNS)
    unknown = [
        n or f"(column {i + 1} has no name)"
        for i, n in enumerate(names)
        if n not in known and not (n.startswith(PREFIXES) and n.split(":", 1)[1])
    ]
    if unknown:
        raise _file_error(
            f"unknown columns: {', '.join(unknown)} (use attr:<code>, option:<code> or "
            "stock:<warehouse code> for attributes, options and stock)"
        )
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise _file_error(f"columns given twice: {', '.join(doubled)}")
    return names


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _rows(lines: Any) -> list[Row]:
    iterator = iter(lines)
    try:
        header = _header(list(next(iterator)))
    except StopIteration:
        raise _file_error("is empty") from None
    rows: list[Row] = []
    for number, raw in enumerate(iterator, start=2):
        cells = [_cell_text(v) for v in raw]
        if not any(cells):
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise InvalidInput(
                f"row {number}: has more cells than the header has columns",
                fields={f"row {number}": "more cells than columns"},
            )
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append(Row(number, values))
    return rows


def parse(content: bytes, filename: str) -> list[Row]:
    """Read a .csv (UTF-8, with or without BOM) or .xlsx (first sheet) catalog file into rows.
    Raises InvalidInput naming the file problem: encoding, missing or unknown columns."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _file_error("not UTF-8 text (save it as CSV UTF-8)") from None
        try:
            return _rows(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise _file_error(f"not a readable CSV file ({exc})") from None
    if ext == "xlsx":
        import openpyxl  # only the XLSX path needs it

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise _file_error("not a readable .xlsx workbook") from None
        try:
            return _rows(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
    raise _file_error("must be a .csv or .xlsx file")


# --- cells ---------------------------------------------------------------------------------------


def money(text: str) -> int | None:
    """A price in currency units ("19.99", "19,99") as minor units (1999); None when blank."""
    if not text:
        return None
    cleaned = text.replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError("must be a number, e.g. 19.99") from None
    if not value.is_finite():
        raise CellError("must be a number, e.g. 19.99")
    if value < 0:
        raise CellError("must not be negative")
    minor = value * 100
    if minor != minor.to_integral_value():
        raise CellError("at most 2 decimal places")
    return int(minor)


def whole(text: str) -> int | None:
    """A whole number of at least 0; None when blank."""
    if not text:
        return None
    try:
        value = Decimal(text.replace(" ", ""))
    except InvalidOperation:
        raise CellError("must be a whole number") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise CellError("must be a whole number")
    if value < 0:
        raise CellError("must not be negative")
    return int(value)
