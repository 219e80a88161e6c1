"""Carriers behind one interface: rates for a shipment, a label with a tracking number, tracking.

Adapters register under a carrier code (`register_carrier("ups", UpsCarrier)`), the code a
shipping method names in `carrier`. `get_carrier(code)` builds the adapter the app config chooses:
SHIPPING_CARRIERS maps a method's carrier code to a registered adapter code ({"dhl": "table"}); an
unmapped code uses the adapter registered under it. Outside production a code with no adapter
falls back to the offline table-rate carrier, so every method works in development; production
refuses instead (NotFound), so no parcel leaves with a made-up label. Nothing here opens a network
connection: the offline carrier is the only adapter shipped.

TableRateCarrier, the offline carrier:
  rates          the shop's own shipping tables (commerce/shipping/engine.py) for the recipient,
                 limited to the methods naming this carrier code;
  create_label   a 4 x 6 inch PDF label (commerce/shipping/labels.py) with sender, recipient,
                 service, weight, reference and the tracking number as text and Code 128 barcode;
  track          a valid number is "label_created" (nothing offline knows of a parcel's journey).
Tracking numbers follow the UPU S10 layout, like postal parcels: two service letters ("EX" express,
"CP" otherwise), eight digits, a mod-11 check digit and the sender's country, e.g. CP123456785DE.
The digits derive from the carrier code and the idempotency key, so the same key always gives the
same tracking number and the same PDF: a retried job cannot buy a second label.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from flask import current_app, has_app_context

from commerce.errors import InvalidInput, NotFound
from commerce.shipping.engine import Destination, ShippingItem, quote_shipping

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_PATTERN = re.compile(r"^([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})$")
TABLE_CARRIER = "table"


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", fields={field: problem})


@dataclasses.dataclass(frozen=True, slots=True)
class PostalAddress:
    """A postal address as printed on a label."""

    name: str
    line1: str
    city: str
    postcode: str
    country: str
    line2: str | None = None
    region: str | None = None
    company: str | None = None
    phone: str | None = None

    def lines(self) -> list[str]:
        """The address as label lines, blank parts left out."""
        place = " ".join(p for p in (self.postcode, self.city) if p)
        if self.region:
            place = f"{place} {self.region}"
        parts = [self.name, self.company, self.line1, self.line2, place, self.country]
        return [p for p in parts if p]


@dataclasses.dataclass(frozen=True, slots=True)
class Shipment:
    """A parcel to send: who from, who to, its weight, and (for rates and customs) its declared
    value in minor units of `currency`."""

    sender: PostalAddress
    recipient: PostalAddress
    weight_grams: int
    declared_value: int = 0
    currency: str = "EUR"
    reference: str | None = None
    shipping_class: str = "standard"


@dataclasses.dataclass(frozen=True, slots=True)
class RateQuote:
    """A carrier's price for one of its services."""

    carrier: str
    service_code: str
    service_name: str
    amount: int
    currency: str
    min_days: int
    max_days: int


@dataclasses.dataclass(frozen=True, slots=True)
class Label:
    """A bought label: its tracking number and the PDF to print."""

    tracking_number: str
    carrier: str
    service: str
    pdf: bytes
    weight_grams: int

    @property
    def media_type(self) -> str:
        return "application/pdf"


@dataclasses.dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One step of a parcel's journey, as the carrier reports it."""

    status: str
    description: str
    location: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Tracking:
    """Where a parcel is: the latest status and the steps so far (oldest first)."""

    tracking_number: str
    carrier: str
    status: str
    events: tuple[TrackingEvent, ...] = ()


class Carrier(Protocol):
    """What every carrier adapter offers (FedEx, UPS, USPS, DHL, the offline table-rate one)."""

    code: str

    def rates(self, shipment: Shipment) -> list[RateQuote]:
        """The carrier's services that take `shipment`, with prices, cheapest first."""
        ...

    def create_label(self, shipment: Shipment, service_code: str, idempotency_key: str) -> Label:
        """Buy a label for `shipment` with one of the carrier's services. The same
        `idempotency_key` returns the same label instead of buying another."""
        ...

    def track(self, tracking_number: str) -> Tracking:
        """The parcel's status and journey so far."""
        ...


# ---------------------------------------------------------------- tracking numbers (UPU S10)


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an 8-digit serial: 11 - (weighted sum mod 11), 10 -> 0,
    11 -> 5. Raises ValueError when `serial` is not 8 digits."""
    if not re.fullmatch(r"[0-9]{8}", serial):
        raise ValueError("an S10 serial is 8 digits")
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def s10_tracking_number(service: str, serial: str, country: str) -> str:
    """The S10 number of a service indicator, serial and country: CP, 12345678, DE ->
    CP123456785DE."""
    return f"{service}{serial}{s10_check_digit(serial)}{country}"


def valid_tracking_number(number: str) -> bool:
    """Whether `number` has the S10 layout and its check digit is right."""
    match = S10_PATTERN.match(number or "")
    return bool(match) and s10_check_digit(match.group(2)) == int(match.group(3))


# ---------------------------------------------------------------- the offline carrier


class TableRateCarrier:
    """The offline carrier: rates from the shop's tables, labels made here (see module doc)."""

    def __init__(self, code: str = TABLE_CARRIER, *, name: str | None = None) -> None:
        self.code = code
        self.name = name or ("Table rate" if code == TABLE_CARRIER else code.upper())

    def rates(self, shipment: Shipment) -> list[RateQuote]:
        """The shop's methods for the recipient's zone that name this carrier, priced for the
        shipment's weight and declared value. Raises InvalidInput (bad country, currency)."""
        quotes = quote_shipping(
            _destination(shipment.recipient),
            [ShippingItem(shipment.weight_grams, 1, False, shipment.shipping_class)],
            shipment.declared_value,
            shipment.currency,
        )
        return [
            RateQuote(
                carrier=self.code,
                service_code=q.service,
                service_name=q.name,
                amount=q.amount,
                currency=q.currency,
                min_days=q.min_days,
                max_days=q.max_days,
            )
            for q in quotes
            if q.carrier == self.code
        ]

    def create_label(self, shipment: Shipment, service_code: str, idempotency_key: str) -> Label:
        """A PDF label for `shipment` by `service_code`, the same for the same idempotency key.
        Raises InvalidInput naming `idempotency_key` (blank), `weight_grams` (not above zero) or
        `service_code` (not a service of this carrier for the recipient)."""
        from commerce.shipping.labels import render_label

        key = (idempotency_key or "").strip()
        if not key:
            raise _invalid("idempotency_key", "is required")
        if shipment.weight_grams <= 0:
            raise _invalid("weight_grams", "a parcel weighs more than 0 g")
        offered = {r.service_code: r for r in self.rates(shipment)}
        rate = offered.get(service_code)
        if rate is None:
            raise _invalid(
                "service_code",
                f"{self.name} has no service {service_code!r} for this parcel and address",
            )
        digest = hashlib.sha256(f"{self.code}:{key}".encode()).hexdigest()
        serial = f"{int(digest, 16) % 10**8:08d}"
        letters = "EX" if "express" in service_code.lower() else "CP"
        tracking = s10_tracking_number(letters, serial, shipment.sender.country.upper())
        pdf = render_label(
            shipment,
            tracking_number=tracking,
            carrier_name=self.name,
            service_name=rate.service_name,
        )
        return Label(tracking, self.code, service_code, pdf, shipment.weight_grams)

    def track(self, tracking_number: str) -> Tracking:
        """The status of a label this carrier made: "label_created". Raises InvalidInput naming
        `tracking_number` when its layout or check digit is wrong."""
        number = re.sub(r"\s", "", tracking_number or "").upper()
        if not valid_tracking_number(number):
            raise _invalid("tracking_number", "is not a valid tracking number (check digit)")
        event = TrackingEvent("label_created", "Label created; the carrier has not got it yet.")
        return Tracking(number, self.code, "label_created", (event,))


def _destination(address: PostalAddress) -> Destination:
    return Destination.of(
        {"country": address.country, "region": address.region, "postcode": address.postcode}
    )


# ---------------------------------------------------------------- registry

CarrierFactory = Callable[[str], Carrier]
_REGISTRY: dict[str, CarrierFactory] = {}


def register_carrier(code: str, factory: CarrierFactory) -> None:
    """Make `factory(code)` the adapter for carrier `code` (an adapter module calls this when it
    is imported, e.g. register_carrier("ups", UpsCarrier))."""
    _REGISTRY[code] = factory


def registered_carriers() -> list[str]:
    """The codes with an adapter."""
    return sorted(_REGISTRY)


def get_carrier(code: str, *, config: Mapping[str, Any] | None = None) -> Carrier:
    """The adapter for carrier `code` (see the module docstring for how it is chosen). Raises
    NotFound in production when no adapter is registered for it."""
    if config is None:
        config = current_app.config if has_app_context() else {}
    adapter = dict(config.get("SHIPPING_CARRIERS") or {}).get(code, code)
    factory = _REGISTRY.get(adapter)
    if factory is not None:
        return factory(code)
    if config.get("APP_ENV") == "production":
        raise NotFound(f"No carrier adapter is configured for carrier {code!r}.")
    return TableRateCarrier(code)


register_carrier(TABLE_CARRIER, TableRateCarrier)
