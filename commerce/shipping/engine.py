"""The shipping engine: which zone an address is in, and what each of its methods costs a cart.

Zone choice. Of the zones containing the address, the most specific wins:
a postcode-prefix zone (longest matching prefix first) > a region zone > a country zone > the
rest of the world; among equals, the zone listing fewer countries (Germany beats the EU), then the
lower `priority`, then the code. Only the chosen zone's methods are offered, so a domestic zone
shadows a wider one completely.

Pricing. The cart's weight is the sum of weight_grams * quantity over its physical items (an item
without a weight counts 0 g); digital items neither weigh nor need shipping. The subtotal is the
caller's: the items' amount after discounts, before shipping and in `currency`, and the engine uses
it as given. Amounts come straight from the tables in minor units, so no rounding happens here.
free_over is free when the subtotal is `free_over_amount` or more (exactly the threshold ships
free). A method in another currency than the cart's is not offered: there is no conversion.

Methods are left out (and `get_quote` refuses them naming `shipping_method`) when inactive, in
another currency, over their weight limit or past their last rate bracket, or when a physical item's
shipping class is not among the classes they take.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import String, any_, bindparam, or_, select
from sqlalchemy.orm import selectinload

from commerce import db
from commerce.errors import InvalidInput
from commerce.shipping.models import ShippingMethod, ShippingZone

_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_POSTCODE_NOISE = re.compile(r"[\s\-]")
SHIPPING_METHOD = "shipping_method"
DEFAULT_SHIPPING_CLASS = "standard"


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", fields={field: problem})


def normalise_postcode(postcode: str | None) -> str | None:
    """Upper case without spaces or hyphens ("sw1a 1aa" -> "SW1A1AA"), None when blank."""
    if not postcode:
        return None
    return _POSTCODE_NOISE.sub("", str(postcode)).upper() or None


@dataclasses.dataclass(frozen=True, slots=True)
class Destination:
    """Where a parcel goes: ISO country, region (the subdivision part of ISO 3166-2: "CA" for
    US-CA) and normalised postcode."""

    country: str
    region: str | None = None
    postcode: str | None = None

    @property
    def region_code(self) -> str | None:
        """The full ISO 3166-2 code ("US-CA"), as zones list regions."""
        return f"{self.country}-{self.region}" if self.region else None

    @classmethod
    def of(cls, value: Destination | Mapping[str, Any] | Any) -> Destination:
        """A normalised destination from a Destination, a mapping or an object with country /
        region (or state) / postcode (or postal_code). Raises InvalidInput naming `country`."""
        if isinstance(value, Destination):
            return value
        if isinstance(value, Mapping):
            country = value.get("country") or ""
            region = value.get("region") or value.get("state")
            postcode = value.get("postcode") or value.get("postal_code")
        else:
            country = getattr(value, "country", None) or ""
            region = getattr(value, "region", None)
            postcode = getattr(value, "postcode", None) or getattr(value, "postal_code", None)
        country = str(country).strip().upper()
        if len(country) != 2 or not country.isalpha() or not country.isascii():
            raise _invalid("country", "must be a two-letter ISO country code")
        region = str(region).strip().upper() if region else None
        if region and region.startswith(f"{country}-"):  # ISO 3166-2 "US-CA" -> "CA"
            region = region[3:]
        return cls(country, region or None, normalise_postcode(postcode))


@dataclasses.dataclass(frozen=True, slots=True)
class ShippingItem:
    """One cart line as shipping sees it: weight of one unit, quantity, digital or not, class."""

    weight_grams: int | None
    quantity: int
    is_digital: bool = False
    shipping_class: str = DEFAULT_SHIPPING_CLASS

    @classmethod
    def of(cls, value: ShippingItem | Mapping[str, Any] | Any) -> ShippingItem:
        """A ShippingItem from itself, a mapping or an object with the same attribute names."""
        if isinstance(value, ShippingItem):
            return value
        get = value.get if isinstance(value, Mapping) else lambda k, d=None: getattr(value, k, d)
        return cls(
            weight_grams=get("weight_grams"),
            quantity=get("quantity", 1),
            is_digital=bool(get("is_digital", False)),
            shipping_class=get("shipping_class") or DEFAULT_SHIPPING_CLASS,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class ShippingQuote:
    """One method's price for a cart and address. `amount` in minor units of `currency`;
    `carrier` and `service` say who makes the label and with which of its services."""

    method_id: int
    code: str
    name: str
    amount: int
    currency: str
    min_days: int
    max_days: int
    carrier: str
    service: str
    zone_code: str

    def snapshot(self) -> dict[str, Any]:
        """A JSON-safe copy to keep on an order."""
        return dataclasses.asdict(self)


class ShippingQuotes(list[ShippingQuote]):
    """The quotes for a cart, cheapest first: a list, plus `requires_shipping` (False for a cart
    of digital items only, which has no quotes) and the chosen `zone_code` (None when no zone
    contains the address, or nothing needs shipping)."""

    def __init__(
        self,
        quotes: Iterable[ShippingQuote] = (),
        *,
        requires_shipping: bool = True,
        zone_code: str | None = None,
    ) -> None:
        super().__init__(quotes)
        self.requires_shipping = requires_shipping
        self.zone_code = zone_code


@dataclasses.dataclass(frozen=True, slots=True)
class Parcel:
    """What pricing needs of a cart: its physical weight, subtotal, currency and classes."""

    weight_grams: int
    subtotal_amount: int
    currency: str
    shipping_classes: frozenset[str]
    requires_shipping: bool


def _whole(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(field, "must be a whole number, zero or more")
    return value


def parcel_of(
    items: Iterable[ShippingItem | Mapping[str, Any] | Any], subtotal_amount: int, currency: str
) -> Parcel:
    """Weigh the physical items. Raises InvalidInput naming the item field, `subtotal_amount`
    or `currency` that is not valid."""
    weight, classes, physical = 0, set(), False
    for i, raw in enumerate(items):
        item = ShippingItem.of(raw)
        quantity = _whole(item.quantity, f"items.{i}.quantity")
        if item.weight_grams is not None:
            _whole(item.weight_grams, f"items.{i}.weight_grams")
        if item.is_digital or quantity == 0:
            continue
        physical = True
        weight += (item.weight_grams or 0) * quantity
        classes.add(item.shipping_class)
    _whole(subtotal_amount, "subtotal_amount")
    currency = (currency or "").strip().upper()
    if not _CURRENCY_RE.match(currency):
        raise _invalid("currency", "must be a three-letter ISO currency code")
    return Parcel(weight, subtotal_amount, currency, frozenset(classes), physical)


class ZoneLike(Protocol):
    """What zone matching needs of a zone (ShippingZone rows have it)."""

    code: str
    countries: Sequence[str]
    regions: Sequence[str]
    postcode_prefixes: Sequence[str]
    rest_of_world: bool
    priority: int


def _matching_prefix(zone: ZoneLike, destination: Destination) -> int | None:
    """The length of the longest of the zone's prefixes the postcode starts with; 0 when the zone
    has none; None when it has some and none matches."""
    if not zone.postcode_prefixes:
        return 0
    postcode = destination.postcode or ""
    lengths = [len(p) for p in zone.postcode_prefixes if postcode.startswith(p)]
    return max(lengths) if lengths else None


def _rank(zone: ZoneLike, destination: Destination) -> tuple[int, int, int, int, str] | None:
    """A sort key (smaller is more specific) when the zone contains the destination, else None."""
    if zone.rest_of_world:
        return (4, 0, 0, zone.priority, zone.code)
    if destination.country not in zone.countries:
        return None
    if zone.regions and destination.region_code not in zone.regions:
        return None
    prefix = _matching_prefix(zone, destination)
    if prefix is None:
        return None
    tier = 1 if prefix else 2 if zone.regions else 3
    return (tier, -prefix, len(zone.countries), zone.priority, zone.code)


Z = TypeVar("Z", bound=ZoneLike)


def pick_zone(zones: Iterable[Z], destination: Destination) -> Z | None:
    """The most specific of `zones` containing `destination` (see the module docstring), None
    when none does."""
    ranked = [(key, zone) for zone in zones if (key := _rank(zone, destination)) is not None]
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


# The zones that may contain an address in the country: those listing it, and the rest of the
# world (pick_zone then checks regions and postcodes).
_ZONES_FOR_COUNTRY = select(ShippingZone).where(
    or_(
        ShippingZone.rest_of_world.is_(True),
        bindparam("country", type_=String) == any_(ShippingZone.countries),
    )
)
_WITH_METHODS = selectinload(ShippingZone.methods).selectinload(ShippingMethod.rates)


def resolve_zone(
    address: Destination | Mapping[str, Any] | Any, *, with_methods: bool = True
) -> ShippingZone | None:
    """The most specific shipping zone containing `address`, with its methods and rates loaded
    (unless `with_methods` is False: a caller that needs one method of its own loads none);
    None when none does. Raises InvalidInput naming `country`."""
    destination = Destination.of(address)
    stmt = _ZONES_FOR_COUNTRY.options(_WITH_METHODS) if with_methods else _ZONES_FOR_COUNTRY
    zones = db.session.scalars(stmt, {"country": destination.country})
    return pick_zone(zones, destination)


def _bracket_amount(method: ShippingMethod, value: int) -> int | None:
    for rate in method.rates:  # ordered by up_to, the open bracket last
        if rate.up_to is None or value <= rate.up_to:
            return rate.amount
    return None


def why_not_served(method: ShippingMethod, parcel: Parcel) -> str | None:
    """Why `method` cannot take `parcel` (a sentence for the shopper), None when it can."""
    if not method.active:
        return "is not available at the moment"
    if method.currency != parcel.currency:
        return f"is not offered in {parcel.currency}"
    refused = parcel.shipping_classes - set(method.shipping_classes or parcel.shipping_classes)
    if refused:
        return f"does not take items of shipping class {', '.join(sorted(refused))}"
    if method.max_weight_grams is not None and parcel.weight_grams > method.max_weight_grams:
        return f"takes parcels up to {method.max_weight_grams} g"
    if method.kind == "by_weight" and _bracket_amount(method, parcel.weight_grams) is None:
        return f"has no rate for a parcel of {parcel.weight_grams} g"
    if method.kind == "by_price" and _bracket_amount(method, parcel.subtotal_amount) is None:
        return "has no rate for this order value"
    return None


def method_amount(method: ShippingMethod, parcel: Parcel) -> int | None:
    """What `method` charges for `parcel` in minor units, None when it does not take it."""
    if why_not_served(method, parcel) is not None:
        return None
    if method.kind == "flat":
        return method.amount
    if method.kind == "free_over":
        assert method.free_over_amount is not None and method.amount is not None
        return 0 if parcel.subtotal_amount >= method.free_over_amount else method.amount
    value = parcel.weight_grams if method.kind == "by_weight" else parcel.subtotal_amount
    return _bracket_amount(method, value)


def _quote(method: ShippingMethod, zone: ShippingZone, amount: int) -> ShippingQuote:
    return ShippingQuote(
        method_id=method.id,
        code=method.code,
        name=method.name,
        amount=amount,
        currency=method.currency,
        min_days=method.min_days,
        max_days=method.max_days,
        carrier=method.carrier,
        service=method.carrier_service,
        zone_code=zone.code,
    )


def quote_shipping(
    address: Destination | Mapping[str, Any] | Any,
    items: Iterable[ShippingItem | Mapping[str, Any] | Any],
    subtotal_amount: int,
    currency: str,
) -> ShippingQuotes:
    """The methods that can ship `items` to `address`, each with its price, cheapest first.

    A cart of digital items only needs no shipping: the result is empty and its
    `requires_shipping` is False (checkout then asks for no method). An empty result with
    `requires_shipping` True means nothing ships there (no zone, or no method takes the parcel).
    Items are ShippingItem or mappings/objects with weight_grams, quantity, is_digital and
    shipping_class. Raises InvalidInput naming `country`, `currency`, `subtotal_amount` or the
    item field that is not valid.
    """
    parcel = parcel_of(items, subtotal_amount, currency)
    destination = Destination.of(address)
    if not parcel.requires_shipping:
        return ShippingQuotes(requires_shipping=False)
    zone = resolve_zone(destination)
    if zone is None:
        return ShippingQuotes()
    quotes = [
        _quote(method, zone, amount)
        for method in zone.methods
        if (amount := method_amount(method, parcel)) is not None
    ]
    quotes.sort(key=lambda q: (q.amount, q.min_days, q.max_days, q.name, q.method_id))
    return ShippingQuotes(quotes, zone_code=zone.code)


def get_quote(
    method_id: int,
    address: Destination | Mapping[str, Any] | Any,
    items: Iterable[ShippingItem | Mapping[str, Any] | Any],
    subtotal_amount: int,
    currency: str,
) -> ShippingQuote:
    """Re-price the chosen method for this cart and address (checkout calls it on every change).

    Raises InvalidInput naming `shipping_method` when the method does not exist, belongs to
    another zone than the address's, or does not take this parcel (see why_not_served), or when
    nothing in the cart needs shipping; and as quote_shipping for bad input.
    """
    parcel = parcel_of(items, subtotal_amount, currency)
    destination = Destination.of(address)
    if not parcel.requires_shipping:
        raise _invalid(SHIPPING_METHOD, "nothing in this order needs shipping")
    method = (
        db.session.get(ShippingMethod, method_id)
        if isinstance(method_id, int) and not isinstance(method_id, bool)
        else None
    )
    if method is None:
        raise _invalid(SHIPPING_METHOD, "no such shipping method")
    zone = resolve_zone(destination, with_methods=False)  # the method's rates load on demand
    if zone is None or method.zone_id != zone.id:
        raise _invalid(SHIPPING_METHOD, f"{method.name} does not deliver to this address")
    problem = why_not_served(method, parcel)
    amount = method_amount(method, parcel)
    if problem is not None or amount is None:
        raise _invalid(SHIPPING_METHOD, f"{method.name} {problem}")
    return _quote(method, zone, amount)
