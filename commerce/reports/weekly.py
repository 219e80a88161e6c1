"""The weekly sales summary: last Monday-Sunday's KPIs and a per-day table, per currency.

The figures are the sales-by-day report's (commerce/reports/tables.py), so the email, the export and
the dashboards agree: orders, units, gross, discounts, refunds, net, tax, shipping, and the average
order value = (gross - discounts) / orders, rounded half up to the minor unit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from commerce.errors import InvalidInput
from commerce.money import format_money
from commerce.reports import files, tables

FIGURES = ("orders", "units", "gross", "discounts", "refunds", "net", "tax", "shipping")
MONEY = ("gross", "discounts", "refunds", "net", "tax", "shipping")


def last_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and Sunday of the last full week before `today` (any weekday)."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return monday, monday + dt.timedelta(days=6)


@dataclasses.dataclass(frozen=True, slots=True)
class WeeklySummary:
    """One week's figures: `totals[currency]` and `days[currency]` (seven (day, figures) rows,
    quiet days included), amounts in minor units."""

    monday: dt.date
    sunday: dt.date
    totals: dict[str, dict[str, int]]
    days: dict[str, list[tuple[dt.date, dict[str, int]]]]

    def average_order(self, currency: str) -> int:
        """(gross - discounts) / orders in minor units, rounded half up; 0 without orders."""
        t = self.totals[currency]
        if not t["orders"]:
            return 0
        value = Decimal(t["gross"] - t["discounts"]) / t["orders"]
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def kpis(self) -> list[dict[str, Any]]:
        """Per currency, the figures formatted for the email ("1,234.50 EUR")."""
        out = []
        for currency, t in sorted(self.totals.items()):
            row: dict[str, Any] = {"currency": currency, "orders": t["orders"], "units": t["units"]}
            row.update({k: format_money(t[k], currency) for k in MONEY})
            row["average_order"] = format_money(self.average_order(currency), currency)
            out.append(row)
        return out

    def workbook(self) -> bytes:
        """The summary as XLSX: a "Summary" sheet (KPIs per currency) and a "By day" sheet."""
        major = tables.major
        summary: list[list[Any]] = [
            [f"Sales {self.monday.isoformat()} to {self.sunday.isoformat()} (UTC)"],
            ["currency", *FIGURES, "average_order"],
        ]
        by_day: list[list[Any]] = [["day", "currency", *FIGURES]]
        for currency, t in sorted(self.totals.items()):
            summary.append(
                [currency, t["orders"], t["units"]]
                + [major(t[k], currency) for k in MONEY]
                + [major(self.average_order(currency), currency)]
            )
            for day, f in self.days[currency]:
                by_day.append(
                    [day.isoformat(), currency, f["orders"], f["units"]]
                    + [major(f[k], currency) for k in MONEY]
                )
        return files.workbook_bytes([("Summary", summary), ("By day", by_day)])


def weekly_summary(monday: dt.date) -> WeeklySummary:
    """The figures of the week starting `monday`. Raises InvalidInput if it is not a Monday."""
    if monday.weekday() != 0:
        raise InvalidInput("monday: must be a Monday", fields={"monday": "not a Monday"})
    sunday = monday + dt.timedelta(days=6)
    figures = tables.sales_by_day(monday, sunday)
    currencies = sorted({currency for _day, currency in figures})
    week = [monday + dt.timedelta(days=n) for n in range(7)]
    days = {
        c: [(d, figures.get((d, c), dict.fromkeys(FIGURES, 0))) for d in week] for c in currencies
    }
    totals = {c: {k: sum(f[k] for _d, f in days[c]) for k in FIGURES} for c in currencies}
    return WeeklySummary(monday, sunday, totals, days)
