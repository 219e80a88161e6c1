"""Money helpers: amounts are integer minor units of an ISO 4217 currency.

How many minor units a currency has is ISO 4217's answer (2 for most, 0 for JPY, 3 for KWD ...);
every face shows money through `format_money` so a price reads the same everywhere.
"""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 minor units of the currencies that do not have two; everything else has two.
CURRENCY_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def exponent(currency: str | None) -> int:
    """How many decimals `currency` has (2 unless ISO 4217 says otherwise)."""
    return CURRENCY_EXPONENTS.get((currency or "").upper(), 2)


def format_money(amount: int | None, currency: str | None) -> str:
    """Minor units as "19.99 EUR" ("" for None)."""
    if amount is None:
        return ""
    places = exponent(currency)
    value = Decimal(amount).scaleb(-places)
    return f"{value:,.{places}f} {currency or ''}".strip()
