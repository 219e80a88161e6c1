"""Zones and methods through the services, the database's own checks, and the default set-up."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from commerce.audit import AuditEntry
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from commerce.shipping.engine import ShippingItem, quote_shipping
from commerce.shipping.models import ShippingMethod, ShippingZone
from commerce.shipping.service import load_default_shipping
from tests.factories import SYSTEM
from tests.shipping.conftest import make_method, make_zone


def _fields(excinfo: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return excinfo.value.fields


def _count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_zone_is_normalised_and_audited(db_session):
    zone = make_zone(
        "de-islands", name="Islands", countries=["de"], postcode_prefixes=["27 498", "18565"]
    )

    assert (zone.code, zone.countries, zone.postcode_prefixes) == (
        "DE-ISLANDS",
        ["DE"],
        ["27498", "18565"],
    )
    entry = db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "shipping_zone.create", AuditEntry.object_id == str(zone.id)
        )
    )
    assert entry.actor_label == SYSTEM.label
    assert entry.changes["countries"] == [None, ["DE"]]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"countries": []}, "countries"),
        ({"countries": ["Germany"]}, "countries"),
        ({"countries": ["US"], "regions": ["CA-QC"]}, "regions"),
        ({"countries": ["US"], "regions": ["California"]}, "regions"),
        ({"countries": ["DE"], "postcode_prefixes": ["12345678901"]}, "postcode_prefixes"),
        ({"rest_of_world": True, "countries": ["DE"]}, "rest_of_world"),
        ({"countries": ["DE"], "priority": -1}, "priority"),
    ],
)
def test_a_zone_that_makes_no_sense_is_refused_naming_the_field(db_session, values, field):
    with pytest.raises(InvalidInput) as excinfo:
        make_zone("Z1", **values)
    assert field in _fields(excinfo)


def test_zone_codes_are_unique(db_session):
    make_zone("DE", countries=["DE"])
    with pytest.raises(InvalidInput) as excinfo:
        make_zone("de", countries=["AT"])
    assert _fields(excinfo) == {"code": "a shipping zone DE exists already"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "carrier-pigeon"}, "kind"),
        ({"kind": "flat", "amount": -1}, "amount"),
        ({"kind": "free_over", "amount": 490}, "free_over_amount"),
        ({"kind": "flat", "amount": 490, "free_over_amount": 5000}, "free_over_amount"),
        ({"kind": "by_weight", "rates": []}, "rates"),
        ({"kind": "by_weight", "amount": 100, "rates": [{"up_to": 1, "amount": 1}]}, "amount"),
        (
            {
                "kind": "by_weight",
                "rates": [{"up_to": 5000, "amount": 9}, {"up_to": 1000, "amount": 5}],
            },
            "rates.1.up_to",
        ),
        (
            {
                "kind": "by_price",
                "rates": [{"up_to": None, "amount": 0}, {"up_to": 10, "amount": 5}],
            },
            "rates.0.up_to",
        ),
        ({"kind": "by_price", "rates": [{"up_to": 10, "amount": -5}]}, "rates.0.amount"),
        ({"min_days": 5, "max_days": 2}, "max_days"),
        ({"currency": "euro"}, "currency"),
        ({"carrier": "Fed Ex"}, "carrier"),
        ({"max_weight_grams": 0}, "max_weight_grams"),
    ],
)
def test_a_method_that_makes_no_sense_is_refused_naming_the_field(db_session, values, field):
    zone = make_zone("DE", countries=["DE"])
    with pytest.raises(InvalidInput) as excinfo:
        make_method(zone, **values)
    assert field in _fields(excinfo)
    assert _count(db_session, ShippingMethod) == 0


def test_method_codes_are_unique_within_their_zone(db_session):
    de, eu = make_zone("DE", countries=["DE"]), make_zone("EU", countries=["FR"])
    make_method(de, "standard")
    make_method(eu, "standard")
    with pytest.raises(InvalidInput) as excinfo:
        make_method(de, "standard")
    assert "code" in _fields(excinfo)


def test_a_method_is_audited_with_its_rate_table(db_session):
    zone = make_zone("DE", countries=["DE"])
    method = make_method(
        zone,
        kind="by_weight",
        rates=[{"up_to": 1000, "amount": 500}, {"up_to": None, "amount": 900}],
    )
    entry = db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "shipping_method.create", AuditEntry.object_id == str(method.id)
        )
    )
    assert entry.changes["kind"] == [None, "by_weight"]
    assert entry.changes["rates"] == [
        None,
        [{"up_to": 1000, "amount": 500}, {"up_to": None, "amount": 900}],
    ]


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "flat", "amount": None},  # a flat price needs an amount
        {"kind": "free_over", "amount": 490, "free_over_amount": None},
        {"kind": "flat", "amount": 490, "min_days": 3, "max_days": 1},
        {"kind": "by_weight", "amount": 490},  # priced by its table, not an amount
    ],
)
def test_the_database_refuses_an_inconsistent_method_even_without_the_service(db_session, values):
    zone = make_zone("DE", countries=["DE"])
    row = {"code": "x", "name": "X", "currency": "EUR", "min_days": 1, "max_days": 2}
    row.update(values, carrier="table", carrier_service="x", zone_id=zone.id)
    db_session.add(ShippingMethod(**row))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_the_database_refuses_a_rest_of_the_world_zone_with_countries(db_session):
    db_session.add(ShippingZone(code="W", name="W", countries=["DE"], rest_of_world=True))
    with pytest.raises(IntegrityError):
        db_session.flush()


def _price(country: str, grams: int, subtotal: int) -> dict[str, int]:
    quotes = quote_shipping({"country": country}, [ShippingItem(grams, 1)], subtotal, "EUR")
    return {q.code: q.amount for q in quotes}


def test_defaults_ship_everywhere_with_free_standard_from_50_euro_in_germany(db_session):
    report = load_default_shipping(SYSTEM)

    assert (report.zones_created, report.methods_created) == (4, 8)
    assert _price("DE", 800, 4999) == {"standard": 490, "express": 990}
    assert _price("DE", 800, 5000) == {"standard": 0, "express": 990}
    assert _price("FR", 1200, 5000) == {"standard": 1490, "express": 3490}
    assert _price("US", 800, 5000) == {"standard": 1990, "express": 3990}
    assert _price("JP", 6000, 5000) == {"standard": 7990, "express": 12990}
    assert _price("JP", 20001, 5000) == {}


def test_loading_defaults_twice_changes_nothing_the_second_time(db_session):
    load_default_shipping(SYSTEM)
    audited = _count(db_session, AuditEntry, AuditEntry.object_type.like("shipping_%"))
    loaded = _count(db_session, OutboxEvent, OutboxEvent.name == "shipping.defaults_loaded")

    again = load_default_shipping(SYSTEM)

    assert audited == 4 + 8 and loaded == 1
    assert not again.changed and (again.zones_existing, again.methods_existing) == (4, 8)
    assert _count(db_session, AuditEntry, AuditEntry.object_type.like("shipping_%")) == audited
    assert _count(db_session, OutboxEvent, OutboxEvent.name == "shipping.defaults_loaded") == 1
    assert _count(db_session, ShippingZone) == 4 and _count(db_session, ShippingMethod) == 8


def test_defaults_keep_what_staff_changed_and_add_what_is_missing(db_session):
    germany = make_zone("DE", name="Deutschland", countries=["DE"])
    make_method(germany, "standard", amount=399)

    report = load_default_shipping(SYSTEM)

    assert (report.zones_created, report.methods_created) == (3, 7)
    assert _price("DE", 800, 100) == {"standard": 399, "express": 990}
    assert db_session.get(ShippingZone, germany.id).name == "Deutschland"


def test_cli_loads_the_defaults_and_can_be_rerun(app, db_session):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["shipping", "load-defaults"])
    second = runner.invoke(args=["shipping", "load-defaults"])

    assert first.exit_code == 0, first.output
    assert "4 zone(s) and 8 method(s) created" in first.output
    assert second.exit_code == 0, second.output
    assert "0 zone(s) and 0 method(s) created" in second.output
    assert _price("DE", 800, 5000)["standard"] == 0
