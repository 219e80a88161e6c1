"""Shipping fixtures: zones made through the service, like staff would."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.shipping import service
from commerce.shipping.models import ShippingMethod, ShippingZone
from tests.factories import SYSTEM


def make_zone(code: str, **values: Any) -> ShippingZone:
    """A zone through create_zone; name defaults to the code."""
    return service.create_zone(code=code, name=values.pop("name", code), actor=SYSTEM, **values)


def make_method(zone: ShippingZone, code: str = "standard", **values: Any) -> ShippingMethod:
    """A method through create_method: flat €4.90 in EUR, 2-4 days, table carrier by default."""
    defaults: dict[str, Any] = {
        "name": code.replace("-", " ").title(),
        "kind": "flat",
        "currency": "EUR",
        "min_days": 2,
        "max_days": 4,
        "carrier": "table",
    }
    defaults.update(values)
    if defaults["kind"] in ("flat", "free_over"):
        defaults.setdefault("amount", 490)
    return service.create_method(zone.id, code=code, actor=SYSTEM, **defaults)


@pytest.fixture
def zones(db_session) -> dict[str, ShippingZone]:
    """Germany, two German islands by postcode, the EU (Germany included), the US, Alaska and
    Hawaii by region, and the rest of the world; each with a flat Standard method."""
    made = {
        "DE": make_zone("DE", name="Germany", countries=["DE"]),
        "DE-ISLANDS": make_zone(
            "DE-ISLANDS",
            name="German islands",
            countries=["DE"],
            postcode_prefixes=["27498", "18565"],
        ),
        "EU": make_zone("EU", name="European Union", countries=["AT", "DE", "FR", "NL"]),
        "US": make_zone("US", name="United States", countries=["US"]),
        "US-NONCONTIGUOUS": make_zone(
            "US-NONCONTIGUOUS",
            name="Alaska and Hawaii",
            countries=["US"],
            regions=["US-AK", "US-HI"],
        ),
        "WORLD": make_zone("WORLD", name="Rest of world", rest_of_world=True),
    }
    for zone in made.values():
        make_method(zone)
    return made
