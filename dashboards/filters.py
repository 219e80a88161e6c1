"""Filter values from a query string or from the filter controls, with defaults for anything
missing or malformed (a bad link opens the dashboard on its defaults, never an error)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from flask import current_app

DEFAULT_DAYS = 30
NO_COUNTRY = "none"  # the dropdown's value for orders that ship nowhere (country '' in rollups)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def query(search: str | None) -> dict[str, str]:
    """The first value of each parameter of a URL query string ('?a=1&b=2')."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    return {key: values[0] for key, values in parsed.items() if values}


def date(value: Any) -> dt.date | None:
    """A date from 'YYYY-MM-DD' (a time after it is ignored); None if malformed."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def date_range(start: Any, end: Any) -> tuple[dt.date, dt.date]:
    """The days `start`..`end`, defaulting to the last DEFAULT_DAYS days up to today; a range
    given backwards is turned round."""
    last = date(end) or today()
    first = date(start) or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    return (first, last) if first <= last else (last, first)


def choice(value: Any, allowed: Any) -> str | None:
    """`value` if it is one of `allowed`, else None (meaning "all")."""
    return value if isinstance(value, str) and value in allowed else None


def integer(value: Any) -> int | None:
    """A positive integer id, or None."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def currency(value: Any, known: list[str]) -> str:
    """`value` if sales exist in it, else the shop's currency."""
    shop = current_app.config.get("SHOP_CURRENCY", "EUR")
    return value if isinstance(value, str) and value in known else shop


def country(value: Any) -> str | None:
    """A country filter value: a two-letter code, '' for "ships nowhere", None for all."""
    if value == NO_COUNTRY:
        return ""
    if isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper():
        return value
    return None


def clean(params: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty values."""
    return {key: value for key, value in params.items() if value not in (None, "")}
