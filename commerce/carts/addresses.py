"""Addresses and email on a cart: checked the same way as the customer's address book, so checkout
can copy one into the other.

An address is a JSON object with name, company, line1, line2, city, region, postcode, country (ISO
3166-1 alpha-2) and phone. The rules (required fields, country list, regions and postcode formats
where carriers and tax need them) are the customers context's `clean_address`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from commerce.customers.addresses import TEXT_FIELDS
from commerce.customers.addresses import clean_address as book_clean_address
from commerce.errors import InvalidInput

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def clean_address(values: Any, field: str) -> dict[str, Any]:
    """`values` as a cart address snapshot (fields trimmed, codes upper case). Raises
    InvalidInput naming each bad part as "<field>.<part>" (unknown parts too)."""
    if not isinstance(values, Mapping):
        raise InvalidInput(f"{field}: must be an object", fields={field: "must be an object"})
    unknown = {f"{field}.{name}": "is not a field of an address" for name in values}
    for name in TEXT_FIELDS:
        unknown.pop(f"{field}.{name}", None)
    try:
        # The address book's flags (default shipping/billing) are no part of a cart address.
        cleaned = book_clean_address({k: v for k, v in values.items() if k in TEXT_FIELDS})
        problems: dict[str, str] = {}
    except InvalidInput as exc:
        cleaned, problems = {}, dict(exc.fields)
    problems = {f"{field}.{name}": message for name, message in problems.items()}
    problems.update(unknown)
    if problems:
        raise InvalidInput(
            f"Some fields of the {field.replace('_', ' ')} are not valid.", fields=problems
        )
    return {name: cleaned.get(name) for name in TEXT_FIELDS}


def clean_email(value: Any, field: str = "email") -> str:
    """An email address, trimmed, its domain lower case. Raises InvalidInput."""
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()) or len(value.strip()) > 254:
        raise InvalidInput(
            f"{field}: must be an email address", fields={field: "must be an email address"}
        )
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}"
