"""Validation of typed attribute values against a product type.

Values are stored JSON-ready in `products.attributes`: text as a string, number as a JSON number,
boolean as true/false, choice as one of the attribute's choices, multichoice as a sorted list of
choices, date as an ISO "YYYY-MM-DD" string. Every problem is reported under the field
"attributes.<code>", all at once, so a form or an import row can show them together.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from commerce.catalog.types import Attribute, ProductType
from commerce.errors import InvalidInput

MAX_TEXT = 1000
_TRUE = ("true", "yes", "1", "y", "on")
_FALSE = ("false", "no", "0", "n", "off")


class _Bad(ValueError):
    """One value that does not fit its attribute."""


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _Bad("must be a number")
    if isinstance(raw, int | float):
        value = raw
    else:
        try:
            value = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            raise _Bad("must be a number") from None
        if not value.is_finite():
            raise _Bad("must be a finite number")
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad("must be a finite number")
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad("must be yes or no")


def _choice(raw: Any, attribute: Attribute) -> str:
    value = str(raw).strip()
    if value not in attribute.choices:
        raise _Bad(f"must be one of {', '.join(attribute.choices)}")
    return value


def _multichoice(raw: Any, attribute: Attribute) -> list[str]:
    items = raw if isinstance(raw, list | tuple | set) else str(raw).split("|")
    values = sorted({str(item).strip() for item in items if str(item).strip()})
    unknown = [v for v in values if v not in attribute.choices]
    if unknown:
        raise _Bad(f"{', '.join(unknown)} not among {', '.join(attribute.choices)}")
    return values


def _date(raw: Any) -> str:
    if isinstance(raw, dt.date):
        return raw.isoformat()
    try:
        return dt.date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise _Bad("must be a date as YYYY-MM-DD") from None


def coerce_value(attribute: Attribute, raw: Any) -> Any:
    """Return `raw` as the JSON value stored for `attribute`. Raises ValueError saying what is
    wrong."""
    if attribute.kind == "text":
        value = str(raw).strip()
        if len(value) > MAX_TEXT:
            raise _Bad(f"must be at most {MAX_TEXT} characters")
        return value
    if attribute.kind == "number":
        return _number(raw)
    if attribute.kind == "boolean":
        return _boolean(raw)
    if attribute.kind == "choice":
        return _choice(raw, attribute)
    if attribute.kind == "multichoice":
        return _multichoice(raw, attribute)
    if attribute.kind == "date":
        return _date(raw)
    raise _Bad(f"has an unknown kind {attribute.kind!r}")


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def validate_attributes(product_type: ProductType | None, values: Mapping[str, Any]) -> dict:
    """Return `values` normalised for storage on a product of `product_type`.

    Only the type's product-level attributes are accepted (variant axes live on variants). Raises
    InvalidInput naming every bad field as "attributes.<code>": unknown codes, missing required
    values, values of the wrong kind or outside the choices.
    """
    links = product_type.product_attributes if product_type else []
    allowed = {link.attribute.code: link for link in links}
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for code, raw in values.items():
        link = allowed.get(code)
        if link is None:
            problems[f"attributes.{code}"] = "is not an attribute of this product type"
            continue
        if _blank(raw):
            continue
        try:
            clean[code] = coerce_value(link.attribute, raw)
        except ValueError as exc:
            problems[f"attributes.{code}"] = str(exc)
    for code, link in allowed.items():
        if link.required and code not in clean and f"attributes.{code}" not in problems:
            problems[f"attributes.{code}"] = "is required"
    if problems:
        first = next(iter(problems.items()))
        raise InvalidInput(f"{first[0]}: {first[1]}", fields=problems)
    return clean


def validate_options(product_type: ProductType | None, values: Mapping[str, Any]) -> dict:
    """Return a variant's option values (its variant-axis attributes) validated and normalised.

    Raises InvalidInput naming "options.<code>" for an unknown axis, a missing one or a bad value.
    """
    axes = {a.code: a for a in product_type.variant_axes} if product_type else {}
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for code, raw in values.items():
        attribute = axes.get(code)
        if attribute is None:
            problems[f"options.{code}"] = "is not a variant option of this product type"
            continue
        try:
            clean[code] = coerce_value(attribute, raw)
        except ValueError as exc:
            problems[f"options.{code}"] = str(exc)
    for code in axes:
        if code not in clean and f"options.{code}" not in problems:
            problems[f"options.{code}"] = "is required"
    if problems:
        first = next(iter(problems.items()))
        raise InvalidInput(f"{first[0]}: {first[1]}", fields=problems)
    return clean
