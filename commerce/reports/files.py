"""Write a report table to a CSV or XLSX file: the header, the rows, then the total rows.

CSV is UTF-8 with a byte-order mark (so spreadsheet programs read accents right) and amounts as
plain decimals ("25.00"); XLSX keeps amounts and counts as numbers, so they add up in a sheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from commerce.errors import InvalidInput
from commerce.reports.tables import Table

FORMATS = ("csv", "xlsx")
PROGRESS_EVERY = 500


def check_format(fmt: str) -> str:
    """`fmt`, checked. Raises InvalidInput unless it is csv or xlsx."""
    if fmt not in FORMATS:
        raise InvalidInput("format: must be csv or xlsx", fields={"format": "csv or xlsx"})
    return fmt


def write(
    path: Path,
    fmt: str,
    table: Table,
    progress: Callable[[int, int], None] | None = None,
    *,
    sheet_title: str = "Report",
) -> int:
    """Write `table` to `path` as `fmt`; returns the rows written (totals not counted). Raises
    InvalidInput for an unknown format. `progress(done, total)` is called as rows go by."""
    check_format(fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = 0
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.header)
            for row in table.rows:
                writer.writerow(row)
                done += 1
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done, table.count)
            writer.writerows(table.totals())
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(sheet_title[:31])
        sheet.append(table.header)
        for row in table.rows:
            sheet.append(row)
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, table.count)
        for row in table.totals():
            sheet.append(row)
        book.save(path)
    if progress:
        progress(done, table.count)
    return done


def workbook_bytes(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    """An XLSX file of `sheets` [(title, rows)], as bytes (for email attachments)."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
