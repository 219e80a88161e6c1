"""Input checks shared by the pricing and cart services: each returns the clean value or raises
InvalidInput naming the field, before anything is written."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from commerce.errors import InvalidInput

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def problem(field: str, message: str) -> InvalidInput:
    """An InvalidInput naming one field."""
    return InvalidInput(f"{field}: {message}", fields={field: message})


def whole_number(value: Any, field: str, *, minimum: int = 0, optional: bool = False) -> int | None:
    """`value` as an int of at least `minimum` (None allowed when `optional`). Raises
    InvalidInput."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise problem(field, "must be a whole number")
    if value < minimum:
        raise problem(field, f"must be at least {minimum}")
    return value


def text_value(value: Any, field: str, *, max_length: int, required: bool = True) -> str:
    """`value` stripped, at most `max_length` long, non-empty when `required`. Raises
    InvalidInput."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise problem(field, "must be text")
    value = value.strip()
    if required and not value:
        raise problem(field, "is required")
    if len(value) > max_length:
        raise problem(field, f"must be at most {max_length} characters")
    return value


def currency_code(value: Any, field: str = "currency") -> str:
    """A three-letter ISO 4217 code, upper case. Raises InvalidInput."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not CURRENCY_RE.match(code):
        raise problem(field, "must be a three-letter ISO currency code")
    return code


def percent_value(value: Any, field: str = "percent") -> Decimal:
    """A percentage above 0 and at most 100 with at most two decimals. Raises InvalidInput."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise problem(field, "must be a number between 0 and 100")
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        raise problem(field, "must be a number between 0 and 100") from None
    if not percent.is_finite() or percent <= 0 or percent > 100:
        raise problem(field, "must be above 0 and at most 100")
    if percent != percent.quantize(Decimal("0.01")):
        raise problem(field, "must have at most two decimals")
    return percent


def aware(value: Any, field: str) -> dt.datetime | None:
    """A timezone-aware datetime, or None. Raises InvalidInput for a naive one."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise problem(field, "must be a date and time with a time zone")
    return value.astimezone(dt.UTC)


def window(starts_at: Any, ends_at: Any) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A validity window; the end must come after the start. Raises InvalidInput."""
    start, end = aware(starts_at, "starts_at"), aware(ends_at, "ends_at")
    if start is not None and end is not None and end <= start:
        raise problem("ends_at", "must be after starts_at")
    return start, end


def id_list(values: Iterable[Any] | None, field: str) -> list[int]:
    """Distinct positive ids, sorted. Raises InvalidInput."""
    ids = []
    for value in values or ():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise problem(field, "must be a list of ids")
        ids.append(value)
    return sorted(set(ids))
