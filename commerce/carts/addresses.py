"""Addresses and email on a cart: checked the same way as the customer's address book, so checkout
can copy one into the other.

An address is a JSON object with name, company, line1, line2, city, region, postcode, country (ISO
3166-1 alpha-2) and phone. The rules (required fields, country list, regions and postcode formats
where carriers and tax need them) are the customers context's `clean_address`; while that context
is not installed, a minimal check (required fields, lengths, a two-letter country) stands in.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

from commerce.errors import InvalidInput

ADDRESS_FIELDS = {  # field: (max length, required)
    "name": (200, True),
    "company": (200, False),
    "line1": (200, True),
    "line2": (200, False),
    "city": (100, True),
    "region": (3, False),
    "postcode": (16, False),
    "country": (2, True),
    "phone": (32, False),
}
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _minimal(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, (limit, required) in ADDRESS_FIELDS.items():
        value = values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problems[field] = "is required"
            cleaned[field] = None
            continue
        if not isinstance(value, str):
            problems[field] = "must be text"
            continue
        value = " ".join(value.split())
        if field in ("country", "region", "postcode"):
            value = value.upper()
        if len(value) > limit:
            problems[field] = f"must be at most {limit} characters"
        cleaned[field] = value
    country = cleaned.get("country")
    if country and "country" not in problems and not re.fullmatch(r"[A-Z]{2}", country):
        problems["country"] = "must be a two-letter ISO country code"
    return cleaned, problems


def clean_address(values: Any, field: str) -> dict[str, Any]:
    """`values` as a cart address snapshot (fields trimmed, codes upper case). Raises
    InvalidInput naming each bad part as "<field>.<part>" (unknown parts too)."""
    if not isinstance(values, Mapping):
        raise InvalidInput(f"{field}: must be an object", fields={field: "must be an object"})
    unknown = {f"{field}.{name}": "is not a field of an address" for name in values}
    for name in ADDRESS_FIELDS:
        unknown.pop(f"{field}.{name}", None)
    try:
        book = importlib.import_module("commerce.customers.addresses")
        cleaned = book.clean_address(dict(values))
        problems: dict[str, str] = {}
    except ImportError:
        cleaned, problems = _minimal(values)
    except InvalidInput as exc:
        cleaned, problems = {}, dict(exc.fields)
    problems = {f"{field}.{name}": message for name, message in problems.items()}
    problems.update(unknown)
    if problems:
        raise InvalidInput(
            f"Some fields of the {field.replace('_', ' ')} are not valid.", fields=problems
        )
    return {name: cleaned.get(name) for name in ADDRESS_FIELDS}


def clean_email(value: Any, field: str = "email") -> str:
    """An email address, trimmed, its domain lower case. Raises InvalidInput."""
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()) or len(value.strip()) > 254:
        raise InvalidInput(
            f"{field}: must be an email address", fields={field: "must be an email address"}
        )
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}"
