"""Published tax rates shipped with the code: EU VAT for all 27 member states and the state-level
sales tax of a few US states. `load_published_rates` (commerce/tax/service.py) writes them.

Figures as of PUBLISHED_AS_OF (2026-11-24), the date they were compiled and checked.

Sources
  EU  European Commission, DG TAXUD, "VAT rates applied in the Member States of the European
      Union" and the Taxes in Europe Database (TEDB), taxation-customs.ec.europa.eu; checked
      against the national changes since its last edition:
        EE standard 22% -> 24% from 2025-07-01
        FI standard 24% -> 25.5% from 2024-09-01; reduced 14% -> 13.5% from 2026-01-01
        SK standard 20% -> 23%, reduced 10% -> 19% and 5% from 2025-01-01
        RO standard 19% -> 21%, reduced 5% and 9% merged into 11% from 2025-08-01 (Law 141/2025)
        LT 9% rate abolished from 2026-01-01: 12% (services) and 5% (books, medicines)
        LV 12% on fresh fruit, vegetables (and bread, milk, poultry, eggs from 2026-07-01)
        SE food 12% -> 6% from 2026-04-01 until 2027-12-31 (temporary; Prop. 2025/26:55)
  US  each state's revenue department (California CDTFA, New York DTF, Texas Comptroller,
      Washington DOR, Florida DOR, ...), cross-checked with the Tax Foundation's "State and
      Local Sales Tax Rates, 2026". State-level rates only.

What each tax class gets
  standard  the standard rate.
  reduced   the member state's principal reduced rate for goods: of its reduced rates (5% or
            more; "super-reduced" rates below 5% are a different thing under the VAT Directive),
            the one foodstuffs take, the staples' rate where food has two; where food is not
            reduced (BG, EE, IE, LT, MT), the one books and medicines take (IE: 13.5%, as most
            food, books and medicines there are zero-rated). Denmark has no reduced rate: its
            reduced class is charged the standard 25%. Each country's other rates are in `note`.
  zero      0%.
  digital   the standard rate of the buyer's country: since 2015 electronically supplied services
            to consumers are taxed where the consumer lives (VAT Directive art. 58, OSS).

US states have no general reduced rate: every taxable class gets the state rate. Local (county,
city, district) add-ons and product exemptions (groceries, clothing thresholds, digital goods in
the states that do not tax them) are not in these tables; give such products the `zero` class or
add a more specific zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

PUBLISHED_AS_OF = dt.date(2026, 11, 24)


@dataclasses.dataclass(frozen=True, slots=True)
class PublishedRate:
    """One rate of one zone, as loaded into tax_rates."""

    tax_class: str
    rate: Decimal
    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class PublishedZone:
    """One zone with a rate for every tax class, as loaded into tax_zones."""

    code: str
    name: str
    country: str
    region: str | None
    rates: tuple[PublishedRate, ...]
    note: str = ""


# country: (name, standard %, principal reduced % or None, other rates not modelled)
EU_VAT: dict[str, tuple[str, str, str | None, str]] = {
    "AT": ("Austria", "20", "10", "13% (plants, some services)"),
    "BE": ("Belgium", "21", "6", "12% (restaurant meals; accommodation from 2026-03-01)"),
    "BG": ("Bulgaria", "20", "9", "food at 20%"),
    "CY": ("Cyprus", "19", "5", "9% (restaurants, hotels, transport)"),
    "CZ": ("Czechia", "21", "12", "single reduced rate since 2024"),
    "DE": ("Germany", "19", "7", ""),
    "DK": ("Denmark", "25", None, "no reduced rate"),
    "EE": ("Estonia", "24", "9", "13% (accommodation); food at 24%"),
    "ES": ("Spain", "21", "10", "4% super-reduced (staple food, books, medicines)"),
    "FI": ("Finland", "25.5", "13.5", "10% (newspapers, periodicals)"),
    "FR": ("France", "20", "5.5", "10% (restaurants, transport); 2.1% super-reduced"),
    "GR": ("Greece", "24", "13", "6% (medicines, books)"),
    "HR": ("Croatia", "25", "5", "13% (accommodation, newspapers, some utilities)"),
    "HU": ("Hungary", "27", "5", "18% (some dairy and bakery products)"),
    "IE": ("Ireland", "23", "13.5", "9% (newspapers, e-books, sport); 4.8%; most food 0%"),
    "IT": ("Italy", "22", "10", "5% (some social and health goods); 4% super-reduced (staples)"),
    "LT": ("Lithuania", "21", "5", "12% (accommodation, transport, culture); food at 21%"),
    "LU": ("Luxembourg", "17", "8", "14% parking rate; 3% super-reduced (food, books)"),
    "LV": ("Latvia", "21", "12", "5% (books, press)"),
    "MT": ("Malta", "18", "5", "7% (accommodation); food and medicines 0%"),
    "NL": ("Netherlands", "21", "9", ""),
    "PL": ("Poland", "23", "5", "8% (other food, medicines, restaurants)"),
    "PT": ("Portugal", "23", "6", "13% intermediate rate; Madeira and Azores have lower rates"),
    "RO": ("Romania", "21", "11", "single reduced rate since 2025-08-01"),
    "SE": ("Sweden", "25", "6", "food 6% until 2027-12-31, then 12%; 12% (restaurants, hotels)"),
    "SI": ("Slovenia", "22", "9.5", "5% (books, press)"),
    "SK": ("Slovakia", "23", "5", "19% (other food, electricity, restaurants)"),
}

# state: (name, state-level sales tax %)
US_STATE_SALES_TAX: dict[str, tuple[str, str]] = {
    "CA": ("California", "7.25"),
    "CO": ("Colorado", "2.9"),
    "FL": ("Florida", "6"),
    "IL": ("Illinois", "6.25"),
    "MA": ("Massachusetts", "6.25"),
    "NJ": ("New Jersey", "6.625"),
    "NY": ("New York", "4"),
    "PA": ("Pennsylvania", "6"),
    "TX": ("Texas", "6.25"),
    "WA": ("Washington", "6.5"),
    "DE": ("Delaware", "0"),
    "MT": ("Montana", "0"),
    "NH": ("New Hampshire", "0"),
    "OR": ("Oregon", "0"),
}


def _fraction(percent: str) -> Decimal:
    return Decimal(percent) / 100


def _eu_zone(country: str) -> PublishedZone:
    name, standard, reduced, note = EU_VAT[country]
    by_class = {
        "standard": standard,
        "reduced": reduced if reduced is not None else standard,
        "zero": "0",
        "digital": standard,
    }
    rates = tuple(
        PublishedRate(tax_class, _fraction(pct), f"VAT {pct}%")
        for tax_class, pct in by_class.items()
    )
    return PublishedZone(country, name, country, None, rates, note)


def _us_zone(state: str) -> PublishedZone:
    name, pct = US_STATE_SALES_TAX[state]
    label = f"{state} sales tax {pct}%"
    rates = (
        PublishedRate("standard", _fraction(pct), label),
        PublishedRate("reduced", _fraction(pct), label),
        PublishedRate("zero", Decimal(0), f"{state} sales tax 0%"),
        PublishedRate("digital", _fraction(pct), label),
    )
    note = "no state sales tax" if pct == "0" else "state rate only; local rates not included"
    return PublishedZone(f"US-{state}", name, "US", state, rates, note)


def published_zones() -> Iterator[PublishedZone]:
    """Every published zone: the 27 EU member states, then the US states."""
    for country in sorted(EU_VAT):
        yield _eu_zone(country)
    for state in sorted(US_STATE_SALES_TAX):
        yield _us_zone(state)
