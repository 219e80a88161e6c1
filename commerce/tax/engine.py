"""The tax engine: which zone an address is in, and the tax on a set of lines plus shipping.

`calculate` is pure when given `rates` (a ZoneRates), so checkout, previews and tests can run it
without a database; without `rates` it looks them up with `rates_for(address)`.

Rounding rule, applied per line. A line's amount is unit price * quantity - line discount, in
minor units. Its tax is computed on that line alone and rounded half-up (ROUND_HALF_UP: half a
minor unit goes up) to a whole minor unit:

    exclusive prices:  tax = round(net * rate)                 (net = amount, gross = net + tax)
    inclusive prices:  tax = round(gross * rate / (1 + rate))  (gross = amount, net = gross - tax)

The order's tax is the sum of the rounded line taxes, never the rounded tax of the summed lines:
three lines of €10.50 net at 19% carry round(199.5) = €2.00 each, €6.00 in all, where the tax of
their €31.50 sum would be round(598.5) = €5.99. Each row of the breakdown sums the rounded taxes
of its lines, so lines, breakdown and totals always agree to the minor unit. Shipping is one more
line, taxed at the rate of `shipping_tax_class` in the same zone.

Where no zone matches the address, the result carries zero tax and `reason="no_tax_zone"` rather
than raising: a shop may sell where it is not registered to collect tax, and checkout must not
fail for it; the flag lets the caller refuse or warn. An exempt buyer (`exempt=True`) gets a
result with no tax lines and `reason="exempt"`; with inclusive prices the tax the price contains
is taken out (the buyer pays the net), as for a reverse-charged business buyer in the EU.

A line whose tax class has no rate in the zone is charged the zone's standard rate and a warning
is added: over-collecting is corrected by a refund, under-collecting is owed by the shop.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import bindparam, select

from commerce import db
from commerce.errors import InvalidInput
from commerce.tax.models import DEFAULT_TAX_CLASS, TaxRate, TaxZone

NO_TAX_ZONE = "no_tax_zone"
EXEMPT = "exempt"
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_POSTCODE_NOISE = re.compile(r"[\s\-]")


def round_half_up(value: Decimal) -> int:
    """`value` rounded to a whole minor unit, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_exclusive(net: int, rate: Decimal) -> int:
    """The tax on a net amount: round(net * rate)."""
    return round_half_up(Decimal(net) * rate)


def tax_inclusive(gross: int, rate: Decimal) -> int:
    """The tax contained in a gross amount: round(gross * rate / (1 + rate))."""
    return round_half_up(Decimal(gross) * rate / (1 + rate))


@dataclasses.dataclass(frozen=True, slots=True)
class TaxAddress:
    """Where the goods go (or, for digital supplies, where the buyer lives)."""

    country: str
    region: str | None = None
    postcode: str | None = None

    @classmethod
    def of(cls, value: TaxAddress | Mapping[str, Any]) -> TaxAddress:
        """A normalised address from a TaxAddress or a mapping with country / region (or state)
        / postcode (or postal_code). Raises InvalidInput (no two-letter country)."""
        if isinstance(value, TaxAddress):
            country, region, postcode = value.country, value.region, value.postcode
        else:
            country = value.get("country") or ""
            region = value.get("region") or value.get("state")
            postcode = value.get("postcode") or value.get("postal_code")
        country = str(country).strip().upper()
        if len(country) != 2 or not country.isalpha() or not country.isascii():
            problem = "must be a two-letter ISO country code"
            raise InvalidInput(f"country: {problem}", fields={"country": problem})
        region = str(region).strip().upper() if region else None
        if region and region.startswith(f"{country}-"):  # ISO 3166-2 "US-CA" -> "CA"
            region = region[3:]
        return cls(country, region or None, normalise_postcode(postcode))


def normalise_postcode(postcode: str | None) -> str | None:
    """Upper case without spaces or hyphens ("sw1a 1aa" -> "SW1A1AA"), None when blank."""
    if not postcode:
        return None
    return _POSTCODE_NOISE.sub("", str(postcode)).upper() or None


class ZoneLike(Protocol):
    """What zone matching needs of a zone (TaxZone rows and ZoneSpec both have it)."""

    code: str
    country: str
    region: str | None
    postcode_prefix: str | None
    priority: int


@dataclasses.dataclass(frozen=True, slots=True)
class ZoneSpec:
    """A zone outside the database, for pure use of `pick_zone`."""

    code: str
    country: str
    region: str | None = None
    postcode_prefix: str | None = None
    priority: int = 100


def _matches(zone: ZoneLike, address: TaxAddress) -> bool:
    if zone.country != address.country:
        return False
    if zone.region is not None and zone.region != address.region:
        return False
    prefix = zone.postcode_prefix
    return prefix is None or (address.postcode or "").startswith(prefix)


def _specificity(zone: ZoneLike) -> tuple[int, int, int, int]:
    prefix = zone.postcode_prefix or ""
    return (bool(prefix), len(prefix), zone.region is not None, -zone.priority)


Z = TypeVar("Z", bound=ZoneLike)


def pick_zone(zones: Iterable[Z], address: TaxAddress) -> Z | None:
    """The most specific of `zones` that contains `address`: a postcode-prefix zone (longest
    prefix first) beats a region zone, which beats the country zone; then lower `priority`.
    None when none matches."""
    matching = [z for z in zones if _matches(z, address)]
    return max(matching, key=_specificity) if matching else None


def resolve_zone(
    country: str,
    region: str | None = None,
    postcode: str | None = None,
    *,
    zones: Iterable[ZoneLike] | None = None,
) -> ZoneLike | None:
    """The most specific zone containing the address (see pick_zone), from `zones` when given,
    else from the database's tax zones. None when no zone matches. Raises InvalidInput (country
    is not a two-letter code)."""
    address = TaxAddress.of({"country": country, "region": region, "postcode": postcode})
    if zones is None:
        zones = db.session.scalars(select(TaxZone).where(TaxZone.country == address.country))
    return pick_zone(zones, address)


@dataclasses.dataclass(frozen=True, slots=True)
class ZoneRate:
    """The rate of one tax class in a zone."""

    tax_class: str
    rate: Decimal
    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class ZoneRates:
    """A zone's rates by tax class: what `calculate` needs to know of the tax tables."""

    zone_code: str
    rates: Mapping[str, ZoneRate]

    @classmethod
    def build(cls, zone_code: str, rates: Mapping[str, tuple[Decimal | str, str]]) -> ZoneRates:
        """ZoneRates from {tax_class: (rate, name)}, e.g. {"standard": ("0.19", "VAT 19%")}."""
        return cls(
            zone_code,
            {k: ZoneRate(k, Decimal(str(rate)), name) for k, (rate, name) in rates.items()},
        )

    @classmethod
    def of_zone(cls, zone: TaxZone) -> ZoneRates:
        """The rates of a TaxZone row."""
        return cls(
            zone.code, {r.tax_class: ZoneRate(r.tax_class, r.rate, r.name) for r in zone.rates}
        )


# The country's zones with their rates, one row per rate (a zone without rates: one row of NULLs),
# as plain columns: no entities to load for a lookup every priced cart makes.
_COUNTRY_RATES = (
    select(
        TaxZone.id,
        TaxZone.code,
        TaxZone.country,
        TaxZone.region,
        TaxZone.postcode_prefix,
        TaxZone.priority,
        TaxRate.tax_class,
        TaxRate.rate,
        TaxRate.name,
    )
    .outerjoin(TaxRate, TaxRate.zone_id == TaxZone.id)
    .where(TaxZone.country == bindparam("country"))
    .order_by(TaxZone.id, TaxRate.id)
)


def rates_for(address: TaxAddress | Mapping[str, Any]) -> ZoneRates | None:
    """The rates of the most specific tax zone containing `address`, None when none does.
    Raises InvalidInput (bad country)."""
    address = TaxAddress.of(address)
    zones: dict[str, ZoneSpec] = {}  # by code, which is unique
    rates: dict[str, dict[str, ZoneRate]] = {}
    for row in db.session.execute(_COUNTRY_RATES, {"country": address.country}):
        if row.code not in zones:
            zones[row.code] = ZoneSpec(
                row.code, row.country, row.region, row.postcode_prefix, row.priority
            )
            rates[row.code] = {}
        if row.tax_class is not None:
            rates[row.code][row.tax_class] = ZoneRate(row.tax_class, row.rate, row.name)
    zone = pick_zone(zones.values(), address)
    return ZoneRates(zone.code, rates[zone.code]) if zone is not None else None


@dataclasses.dataclass(frozen=True, slots=True)
class TaxableLine:
    """One line to tax: `unit_price` and `discount` (for the whole line) in minor units."""

    key: str
    unit_price: int
    quantity: int
    tax_class: str = DEFAULT_TAX_CLASS
    discount: int = 0

    @property
    def amount(self) -> int:
        """unit price * quantity - discount."""
        return self.unit_price * self.quantity - self.discount


@dataclasses.dataclass(frozen=True, slots=True)
class LineTax:
    """The tax of one line (or of shipping, key "shipping"). `amount` is the line as priced."""

    key: str
    tax_class: str
    rate_name: str
    rate: Decimal
    amount: int
    net: int
    tax: int
    gross: int


@dataclasses.dataclass(frozen=True, slots=True)
class TaxLine:
    """One row of the breakdown by rate, as printed on an invoice."""

    name: str
    rate: Decimal
    taxable_amount: int
    tax_amount: int


@dataclasses.dataclass(frozen=True, slots=True)
class TaxResult:
    """Tax on lines and shipping. `reason` is None when taxed normally, else "exempt" or
    "no_tax_zone"; `warnings` name tax classes charged a fallback rate."""

    currency: str
    prices_include_tax: bool
    exempt: bool
    zone_code: str | None
    reason: str | None
    lines: tuple[LineTax, ...]
    shipping: LineTax
    tax_lines: tuple[TaxLine, ...]
    warnings: tuple[str, ...] = ()

    @property
    def items_tax(self) -> int:
        return sum(line.tax for line in self.lines)

    @property
    def shipping_tax(self) -> int:
        return self.shipping.tax

    @property
    def tax_total(self) -> int:
        return self.items_tax + self.shipping_tax

    @property
    def net_total(self) -> int:
        return sum(line.net for line in self.lines) + self.shipping.net

    @property
    def gross_total(self) -> int:
        """What the buyer pays: net total + tax total."""
        return self.net_total + self.tax_total

    def snapshot(self) -> dict[str, Any]:
        """A JSON-safe copy to keep on an order (rates as strings, amounts in minor units)."""

        def line(item: LineTax) -> dict[str, Any]:
            data = dataclasses.asdict(item)
            data["rate"] = str(item.rate)
            return data

        return {
            "currency": self.currency,
            "prices_include_tax": self.prices_include_tax,
            "exempt": self.exempt,
            "zone": self.zone_code,
            "reason": self.reason,
            "tax_lines": [
                {
                    "name": t.name,
                    "rate": str(t.rate),
                    "taxable_amount": t.taxable_amount,
                    "tax_amount": t.tax_amount,
                }
                for t in self.tax_lines
            ],
            "lines": [line(item) for item in self.lines],
            "shipping": line(self.shipping),
            "items_tax": self.items_tax,
            "shipping_tax": self.shipping_tax,
            "tax_total": self.tax_total,
            "net_total": self.net_total,
            "gross_total": self.gross_total,
            "warnings": list(self.warnings),
        }


def _whole(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problem = "must be a whole number, zero or more"
        raise InvalidInput(f"{field}: {problem}", fields={field: problem})
    return value


def _check_lines(lines: Sequence[TaxableLine]) -> None:
    for i, item in enumerate(lines):
        _whole(item.unit_price, f"lines.{i}.unit_price")
        _whole(item.quantity, f"lines.{i}.quantity")
        _whole(item.discount, f"lines.{i}.discount")
        if item.amount < 0:
            problem = "cannot exceed the line's price"
            raise InvalidInput(
                f"lines.{i}.discount: {problem}", fields={f"lines.{i}.discount": problem}
            )


def _tax_one(
    key: str,
    tax_class: str,
    amount: int,
    *,
    rates: ZoneRates | None,
    prices_include_tax: bool,
    exempt: bool,
    warnings: list[str],
) -> LineTax:
    if rates is None:
        return LineTax(key, tax_class, "No tax", Decimal(0), amount, amount, 0, amount)
    found = rates.rates.get(tax_class)
    if found is None:
        found = rates.rates.get(DEFAULT_TAX_CLASS)
        message = f"tax class '{tax_class}' has no rate in zone {rates.zone_code}; " + (
            "charged the standard rate" if found else "no tax charged"
        )
        if message not in warnings:
            warnings.append(message)
    if found is None:
        return LineTax(key, tax_class, "No tax", Decimal(0), amount, amount, 0, amount)
    if prices_include_tax:
        tax = tax_inclusive(amount, found.rate)
        net = amount - tax
    else:
        tax = tax_exclusive(amount, found.rate)
        net = amount
    if exempt:
        return LineTax(key, tax_class, "Exempt", Decimal(0), amount, net, 0, net)
    return LineTax(key, tax_class, found.name, found.rate, amount, net, tax, net + tax)


def calculate(
    lines: Iterable[TaxableLine],
    *,
    shipping_amount: int,
    shipping_tax_class: str,
    address: TaxAddress | Mapping[str, Any],
    prices_include_tax: bool,
    currency: str,
    exempt: bool = False,
    rates: ZoneRates | Literal["lookup"] | None = "lookup",
) -> TaxResult:
    """Tax `lines` and shipping for `address` (rounding per line, see the module docstring).

    `rates` are the zone's rates; None means no zone matched; by default they are looked up with
    rates_for(address). Raises InvalidInput (bad amounts, currency or country); never raises for
    a missing zone (reason "no_tax_zone").
    """
    address = TaxAddress.of(address)
    items = list(lines)
    _check_lines(items)
    _whole(shipping_amount, "shipping_amount")
    currency = (currency or "").strip().upper()
    if not _CURRENCY_RE.match(currency):
        problem = "must be a three-letter ISO currency code"
        raise InvalidInput(f"currency: {problem}", fields={"currency": problem})
    if isinstance(rates, str):
        rates = rates_for(address)
    warnings: list[str] = []
    taxed = [
        _tax_one(
            item.key,
            item.tax_class,
            item.amount,
            rates=rates,
            prices_include_tax=prices_include_tax,
            exempt=exempt,
            warnings=warnings,
        )
        for item in items
    ]
    shipping = _tax_one(
        "shipping",
        shipping_tax_class,
        shipping_amount,
        rates=rates,
        prices_include_tax=prices_include_tax,
        exempt=exempt,
        warnings=warnings,
    )
    reason = EXEMPT if exempt else NO_TAX_ZONE if rates is None else None
    return TaxResult(
        currency=currency,
        prices_include_tax=prices_include_tax,
        exempt=exempt,
        zone_code=rates.zone_code if rates is not None else None,
        reason=reason,
        lines=tuple(taxed),
        shipping=shipping,
        tax_lines=() if reason else _breakdown([*taxed, shipping]),
        warnings=tuple(warnings),
    )


def _breakdown(taxed: Iterable[LineTax]) -> tuple[TaxLine, ...]:
    """One row per (rate name, rate), highest rate first; lines of zero amount are left out."""
    rows: dict[tuple[str, Decimal], list[int]] = {}
    for item in taxed:
        if item.amount == 0:
            continue
        row = rows.setdefault((item.rate_name, item.rate), [0, 0])
        row[0] += item.net
        row[1] += item.tax
    ordered = sorted(rows.items(), key=lambda kv: (-kv[0][1], kv[0][0]))
    return tuple(TaxLine(name, rate, net, tax) for (name, rate), (net, tax) in ordered)
