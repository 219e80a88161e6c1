"""The default shipping set-up `load_default_shipping` creates: a shop shipping from Germany in
EUR, with Standard and Express to Germany, the rest of the EU, the United States and the rest of
the world. Standard within Germany is free from €50.

Prices are gross amounts in euro cents; weight brackets in grams, up to and including the figure
(31.5 kg is the usual parcel limit of European carriers, 20 kg of international parcel services).
All methods use the offline table-rate carrier ("table"); a shop that signs up with a carrier
changes a method's `carrier` and `carrier_service`.
"""

from __future__ import annotations

from typing import Any

EU_COUNTRIES_BUT_DE = (
    "AT", "BE", "BG", "CY", "CZ", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip

CARRIER = "table"


def _by_weight(code: str, name: str, days: tuple[int, int], brackets: list[tuple[int, int]]):
    return {
        "code": code,
        "name": name,
        "kind": "by_weight",
        "min_days": days[0],
        "max_days": days[1],
        "rates": [{"up_to": up_to, "amount": amount} for up_to, amount in brackets],
        "carrier_service": code,
    }


DEFAULT_ZONES: list[dict[str, Any]] = [
    {
        "code": "DE",
        "name": "Germany",
        "countries": ["DE"],
        "methods": [
            {
                "code": "standard",
                "name": "Standard",
                "kind": "free_over",
                "amount": 490,
                "free_over_amount": 5000,
                "min_days": 1,
                "max_days": 3,
                "carrier_service": "standard",
            },
            {
                "code": "express",
                "name": "Express",
                "kind": "flat",
                "amount": 990,
                "min_days": 1,
                "max_days": 1,
                "carrier_service": "express",
            },
        ],
    },
    {
        "code": "EU",
        "name": "European Union (outside Germany)",
        "countries": list(EU_COUNTRIES_BUT_DE),
        "methods": [
            _by_weight("standard", "Standard", (3, 6), [(1000, 990), (5000, 1490), (31500, 2490)]),
            _by_weight("express", "Express", (1, 3), [(1000, 2490), (5000, 3490), (31500, 4990)]),
        ],
    },
    {
        "code": "US",
        "name": "United States",
        "countries": ["US"],
        "methods": [
            _by_weight(
                "standard", "Standard", (6, 12), [(1000, 1990), (5000, 3490), (20000, 5990)]
            ),
            _by_weight("express", "Express", (2, 5), [(1000, 3990), (5000, 5990), (20000, 9990)]),
        ],
    },
    {
        "code": "WORLD",
        "name": "Rest of world",
        "rest_of_world": True,
        "methods": [
            _by_weight(
                "standard", "Standard", (7, 21), [(1000, 2490), (5000, 4490), (20000, 7990)]
            ),
            _by_weight("express", "Express", (3, 7), [(1000, 4990), (5000, 7990), (20000, 12990)]),
        ],
    },
]
DEFAULT_CURRENCY = "EUR"
