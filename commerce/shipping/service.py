"""Use cases for the shipping tables: create zones and methods, load the default set-up."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.errors import InvalidInput, NotFound
from commerce.shipping.defaults import CARRIER, DEFAULT_CURRENCY, DEFAULT_ZONES
from commerce.shipping.engine import normalise_postcode
from commerce.shipping.models import (
    BRACKET_KINDS,
    CARRIER_CODE_PATTERN,
    METHOD_CODE_PATTERN,
    METHOD_KINDS,
    ZONE_CODE_PATTERN,
    ShippingMethod,
    ShippingRate,
    ShippingZone,
)

ZONE_FIELDS = (
    "code", "name", "countries", "regions", "postcode_prefixes", "rest_of_world", "priority",
)  # fmt: skip
METHOD_FIELDS = (
    "zone_id", "code", "name", "kind", "currency", "amount", "free_over_amount", "min_days",
    "max_days", "max_weight_grams", "shipping_classes", "active", "carrier", "carrier_service",
)  # fmt: skip
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_REGION = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")
_POSTCODE_PREFIX = re.compile(r"^[A-Z0-9]{1,10}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text_list(value: object, field: str, problems: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        problems[field] = "must be a list"
        return []
    return [str(item).strip().upper() for item in value if str(item).strip()]


def _build_zone(values: Mapping[str, Any]) -> ShippingZone:
    """A new, unsaved zone from `values`. Raises InvalidInput naming every field in error."""
    problems: dict[str, str] = {}
    code = str(values.get("code") or "").strip().upper()
    if not re.fullmatch(ZONE_CODE_PATTERN, code):
        problems["code"] = "must be 1-32 letters, digits, '-' or '_'"
    elif db.session.scalar(select(ShippingZone.id).where(ShippingZone.code == code)):
        problems["code"] = f"a shipping zone {code} exists already"
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        problems["name"] = "is required (at most 120 characters)"
    rest_of_world = bool(values.get("rest_of_world", False))
    countries = list(dict.fromkeys(_text_list(values.get("countries"), "countries", problems)))
    regions = list(dict.fromkeys(_text_list(values.get("regions"), "regions", problems)))
    prefixes = [
        normalise_postcode(p) or ""
        for p in _text_list(values.get("postcode_prefixes"), "postcode_prefixes", problems)
    ]
    if bad := [c for c in countries if not _COUNTRY.match(c)]:
        problems["countries"] = f"not two-letter ISO country codes: {', '.join(bad)}"
    for region in regions:
        match = _REGION.match(region)
        if not match:
            problems["regions"] = f"{region} is not an ISO 3166-2 code such as US-CA"
        elif match.group(1) not in countries:
            problems["regions"] = f"{region} is not in one of the zone's countries"
    if bad := [p for p in prefixes if not _POSTCODE_PREFIX.match(p)]:
        problems["postcode_prefixes"] = f"must be 1-10 letters or digits: {', '.join(bad)}"
    if rest_of_world and (countries or regions or prefixes):
        problems["rest_of_world"] = "the rest of the world lists no countries, regions or postcodes"
    elif not rest_of_world and not countries and "countries" not in problems:
        problems["countries"] = "name at least one country (or make it the rest of the world)"
    priority = values.get("priority", 100)
    if not _whole(priority):
        problems["priority"] = "must be a whole number, zero or more"
    if problems:
        raise InvalidInput("The shipping zone is not valid.", fields=problems)
    return ShippingZone(
        code=code,
        name=name,
        countries=countries,
        regions=regions,
        postcode_prefixes=list(dict.fromkeys(prefixes)),
        rest_of_world=rest_of_world,
        priority=priority,
    )


def _check_rates(kind: str, rates: object, problems: dict[str, str]) -> list[ShippingRate]:
    if kind not in BRACKET_KINDS:
        if rates:
            problems["rates"] = f"a {kind} method has no rate table"
        return []
    if isinstance(rates, str | bytes) or not isinstance(rates, Sequence) or not rates:
        problems["rates"] = "a rate table needs at least one bracket"
        return []
    built: list[ShippingRate] = []
    previous = -1
    for i, bracket in enumerate(rates):
        if not isinstance(bracket, Mapping):
            problems[f"rates.{i}"] = "must have up_to and amount"
            continue
        up_to, amount = bracket.get("up_to"), bracket.get("amount")
        if not _whole(amount):
            problems[f"rates.{i}.amount"] = "must be a whole number of minor units, zero or more"
        if up_to is None:
            if i != len(rates) - 1:
                problems[f"rates.{i}.up_to"] = "only the last bracket may be open-ended"
        elif not _whole(up_to):
            problems[f"rates.{i}.up_to"] = "must be a whole number, zero or more"
        elif up_to <= previous:
            problems[f"rates.{i}.up_to"] = "brackets must go up: each limit above the previous"
        else:
            previous = up_to
        built.append(ShippingRate(up_to=up_to, amount=amount))
    return built


def _build_method(zone: ShippingZone, values: Mapping[str, Any]) -> ShippingMethod:
    """A new method of `zone` from `values` (not yet added). Raises InvalidInput naming every
    field in error."""
    problems: dict[str, str] = {}
    code = str(values.get("code") or "").strip().lower()
    if not re.fullmatch(METHOD_CODE_PATTERN, code):
        problems["code"] = "must be 1-40 lower-case letters, digits, '-' or '_'"
    elif any(m.code == code for m in zone.methods):
        problems["code"] = f"zone {zone.code} has a method {code} already"
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        problems["name"] = "is required (at most 120 characters)"
    kind = values.get("kind")
    if kind not in METHOD_KINDS:
        problems["kind"] = f"must be one of {', '.join(METHOD_KINDS)}"
    currency = str(values.get("currency") or "").strip().upper()
    if not _CURRENCY.match(currency):
        problems["currency"] = "must be a three-letter ISO currency code"
    amount, free_over = values.get("amount"), values.get("free_over_amount")
    if kind in ("flat", "free_over") and not _whole(amount):
        problems["amount"] = "must be a whole number of minor units, zero or more"
    elif kind in BRACKET_KINDS and amount is not None:
        problems["amount"] = f"a {kind} method is priced by its rate table"
    if kind == "free_over" and not (_whole(free_over) and free_over > 0):
        problems["free_over_amount"] = "must be a whole number of minor units above zero"
    elif kind != "free_over" and free_over is not None:
        problems["free_over_amount"] = "only a free_over method has a threshold"
    rates = _check_rates(str(kind), values.get("rates"), problems)
    min_days, max_days = values.get("min_days"), values.get("max_days")
    if not _whole(min_days):
        problems["min_days"] = "must be a whole number of days, zero or more"
    if not _whole(max_days):
        problems["max_days"] = "must be a whole number of days, zero or more"
    elif _whole(min_days) and max_days < min_days:
        problems["max_days"] = "must not be below min_days"
    max_weight = values.get("max_weight_grams")
    if max_weight is not None and not (_whole(max_weight) and max_weight > 0):
        problems["max_weight_grams"] = "must be a whole number of grams above zero"
    classes = [str(c).strip() for c in values.get("shipping_classes") or () if str(c).strip()]
    carrier = str(values.get("carrier") or "").strip().lower()
    if not re.fullmatch(CARRIER_CODE_PATTERN, carrier):
        problems["carrier"] = "must be a carrier code such as table, dhl or ups"
    service = str(values.get("carrier_service") or code).strip()
    if not service or len(service) > 40:
        problems["carrier_service"] = "is required (at most 40 characters)"
    if problems:
        raise InvalidInput("The shipping method is not valid.", fields=problems)
    return ShippingMethod(
        code=code,
        name=name,
        kind=kind,
        currency=currency,
        amount=amount,
        free_over_amount=free_over,
        min_days=min_days,
        max_days=max_days,
        max_weight_grams=max_weight,
        shipping_classes=list(dict.fromkeys(classes)),
        active=bool(values.get("active", True)),
        carrier=carrier,
        carrier_service=service,
        rates=rates,
    )


def _rates_snapshot(method: ShippingMethod) -> list[dict[str, Any]]:
    return [{"up_to": r.up_to, "amount": r.amount} for r in method.rates]


def _audit_zone(actor: Actor, zone: ShippingZone) -> None:
    audit.record(
        actor, "shipping_zone.create", "shipping_zone", zone.id,
        audit.diff({}, audit.snapshot(zone, ZONE_FIELDS)),
    )  # fmt: skip


def _audit_method(actor: Actor, method: ShippingMethod) -> None:
    changes = audit.diff({}, audit.snapshot(method, METHOD_FIELDS))
    if method.rates:
        changes["rates"] = [None, _rates_snapshot(method)]
    audit.record(actor, "shipping_method.create", "shipping_method", method.id, changes)


def create_zone(
    *,
    code: str,
    name: str,
    actor: Actor,
    countries: Sequence[str] = (),
    regions: Sequence[str] = (),
    postcode_prefixes: Sequence[str] = (),
    rest_of_world: bool = False,
    priority: int = 100,
) -> ShippingZone:
    """Create a shipping zone. Raises InvalidInput naming each field in error (code taken,
    country not ISO, region outside the zone's countries, rest of the world with countries...)."""
    zone = _build_zone(
        {
            "code": code,
            "name": name,
            "countries": countries,
            "regions": regions,
            "postcode_prefixes": postcode_prefixes,
            "rest_of_world": rest_of_world,
            "priority": priority,
        }
    )
    db.session.add(zone)
    db.session.flush()
    _audit_zone(actor, zone)
    events.record("shipping.zone_created", zone_id=zone.id, code=zone.code)
    db.session.commit()
    return zone


def create_method(zone_id: int, *, actor: Actor, **values: Any) -> ShippingMethod:
    """Create a shipping method in a zone. `values`: code, name, kind, currency, amount,
    free_over_amount, rates ([{up_to, amount}], limits ascending, the last may be None),
    min_days, max_days, max_weight_grams, shipping_classes, active, carrier, carrier_service.
    Raises NotFound (no such zone), InvalidInput naming each field in error."""
    zone = db.session.get(ShippingZone, zone_id)
    if zone is None:
        raise NotFound(f"Shipping zone {zone_id} does not exist.")
    method = _build_method(zone, values)
    zone.methods.append(method)
    db.session.flush()
    _audit_method(actor, method)
    events.record("shipping.method_created", method_id=method.id, zone_id=zone.id)
    db.session.commit()
    return method


@dataclasses.dataclass(slots=True)
class DefaultsReport:
    """What load_default_shipping created; a second load creates nothing."""

    zones_created: int = 0
    methods_created: int = 0
    zones_existing: int = 0
    methods_existing: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.zones_created + self.methods_created)


def load_default_shipping(actor: Actor) -> DefaultsReport:
    """Create the default zones and methods (commerce/shipping/defaults.py) that do not exist
    yet, in one transaction. Idempotent: zones and methods that exist (by zone code, and method
    code within the zone) are left as they are, since staff may have changed their prices. Each
    zone and method created gets an audit row; one `shipping.defaults_loaded` event names the
    zones touched. Raises nothing for data already there; InvalidInput only if the defaults
    themselves were edited into something invalid."""
    report = DefaultsReport()
    existing = {z.code: z for z in db.session.scalars(select(ShippingZone))}
    touched: list[str] = []
    for spec in DEFAULT_ZONES:
        methods = spec["methods"]
        zone = existing.get(spec["code"])
        if zone is None:
            zone = _build_zone({k: v for k, v in spec.items() if k != "methods"})
            db.session.add(zone)
            db.session.flush()
            _audit_zone(actor, zone)
            report.zones_created += 1
        else:
            report.zones_existing += 1
        created_here = False
        for method_spec in methods:
            if any(m.code == method_spec["code"] for m in zone.methods):
                report.methods_existing += 1
                continue
            values = {"currency": DEFAULT_CURRENCY, "carrier": CARRIER, **method_spec}
            method = _build_method(zone, values)
            zone.methods.append(method)
            db.session.flush()
            _audit_method(actor, method)
            report.methods_created += 1
            created_here = True
        if created_here or zone.code not in existing:
            touched.append(zone.code)
    if touched:
        events.record("shipping.defaults_loaded", zones=touched)
    db.session.commit()
    return report
