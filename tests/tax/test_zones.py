"""Zones and rates in the database: the CHECKs, zone specificity and the DB-backed lookup."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from commerce.tax.engine import TaxableLine, calculate, rates_for, resolve_zone
from commerce.tax.models import TaxRate, TaxZone
from commerce.tax.service import load_published_rates
from tests.factories import SYSTEM


def _add_zone(db_session, **values) -> TaxZone:
    rate = values.pop("rate", Decimal(0))
    zone = TaxZone(**values)
    zone.rates = [
        TaxRate(tax_class=c, rate=rate, name=f"VAT {rate * 100:g}%")
        for c in ("standard", "reduced", "zero", "digital")
    ]
    db_session.add(zone)
    db_session.flush()
    return zone


@pytest.fixture
def heligoland(db_session) -> TaxZone:
    """Heligoland is outside the EU VAT area: no German VAT on deliveries to 27498."""
    load_published_rates(SYSTEM)
    return _add_zone(
        db_session, code="DE-HELGOLAND", name="Heligoland", country="DE", postcode_prefix="27498"
    )


def test_postcode_prefix_zone_beats_the_country_zone(heligoland):
    assert resolve_zone("DE", postcode="27498").code == "DE-HELGOLAND"
    assert resolve_zone("DE", postcode="10115").code == "DE"
    assert resolve_zone("DE").code == "DE"


def test_calculate_looks_rates_up_for_the_address(heligoland):
    def tax_for(postcode: str) -> int:
        return calculate(
            [TaxableLine("shirt", 11900, 1)],
            shipping_amount=0,
            shipping_tax_class="standard",
            address={"country": "DE", "postcode": postcode},
            prices_include_tax=True,
            currency="EUR",
        ).tax_total

    assert tax_for("10115") == 1900
    assert tax_for("27 498") == 0


def test_region_zone_matches_its_state_and_nothing_else(db_session):
    load_published_rates(SYSTEM)

    assert rates_for({"country": "US", "region": "US-NY"}).zone_code == "US-NY"
    assert rates_for({"country": "US", "state": "TX"}).rates["standard"].rate == Decimal("0.0625")
    assert rates_for({"country": "US", "state": "AK"}) is None
    assert rates_for({"country": "US"}) is None


def test_an_address_outside_every_zone_is_untaxed_and_flagged(db_session):
    load_published_rates(SYSTEM)

    result = calculate(
        [TaxableLine("shirt", 5000, 1)],
        shipping_amount=1000,
        shipping_tax_class="standard",
        address={"country": "CH", "postcode": "8001"},
        prices_include_tax=False,
        currency="CHF",
    )

    assert (result.reason, result.tax_total, result.gross_total) == ("no_tax_zone", 0, 6000)


@pytest.mark.parametrize("rate", [Decimal("1.5"), Decimal("-0.01")])
def test_rate_must_lie_between_0_and_1(db_session, rate):
    zone = _add_zone(db_session, code="XX", name="Test", country="XX")
    with pytest.raises(IntegrityError, match="rate_between_0_and_1"), db_session.begin_nested():
        zone.rates[0].rate = rate
        db_session.flush()


def test_one_rate_per_zone_and_tax_class(db_session):
    zone = _add_zone(db_session, code="XX", name="Test", country="XX")
    duplicate = TaxRate(zone_id=zone.id, tax_class="standard", rate=Decimal("0.2"), name="dup")
    with pytest.raises(IntegrityError, match="uq_tax_rates_zone_id_tax_class"):  # noqa: SIM117
        with db_session.begin_nested():
            db_session.add(duplicate)
            db_session.flush()


def test_tax_class_must_be_a_known_one(db_session):
    zone = TaxZone(code="XX", name="Test", country="XX")
    db_session.add(zone)
    db_session.flush()
    with pytest.raises(IntegrityError, match="tax_class_known"), db_session.begin_nested():
        db_session.add(TaxRate(zone_id=zone.id, tax_class="luxury", rate=Decimal(0), name="x"))
        db_session.flush()


def test_one_zone_per_place(db_session):
    _add_zone(db_session, code="XX", name="Test", country="XX")
    with pytest.raises(IntegrityError, match="uq_tax_zones_place"), db_session.begin_nested():
        db_session.add(TaxZone(code="XX-2", name="Again", country="XX"))
        db_session.flush()
