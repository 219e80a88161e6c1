"""The carrier interface through the offline table-rate carrier: rates, real PDF labels with
check-digit tracking numbers, tracking, and the registry by carrier code."""

from __future__ import annotations

import base64
import re
import zlib

import pytest

from commerce.errors import InvalidInput, NotFound
from commerce.shipping.carriers import (
    PostalAddress,
    Shipment,
    TableRateCarrier,
    get_carrier,
    s10_check_digit,
    valid_tracking_number,
)
from commerce.shipping.service import load_default_shipping
from tests.factories import SYSTEM

SHOP = PostalAddress(
    name="Oakridge Supply GmbH", line1="Torstraße 1", city="Berlin", postcode="10119", country="DE"
)
BUYER = PostalAddress(
    name="Camille Martin", line1="12 rue de Rivoli", city="Paris", postcode="75004", country="FR"
)


def pdf_text(pdf: bytes) -> str:
    """The PDF with its page content streams decoded (ASCII85 and Flate, as reportlab writes)."""
    chunks = [pdf]
    for match in re.finditer(rb"<<([^>]*)>>\s*stream\r?\n(.*?)\s*endstream", pdf, re.S):
        header, data = match.groups()
        if b"ASCII85Decode" in header:
            data = base64.a85decode(data.strip(), adobe=True)
        if b"FlateDecode" in header:
            data = zlib.decompress(data)
        chunks.append(data)
    return b"\n".join(chunks).decode("latin-1")


@pytest.fixture
def carrier(db_session) -> TableRateCarrier:
    load_default_shipping(SYSTEM)
    return get_carrier("table")


@pytest.fixture
def shipment() -> Shipment:
    return Shipment(SHOP, BUYER, weight_grams=1200, declared_value=4200, reference="Order 1001")


def test_published_s10_example_check_digit():
    # UPU S10 example: RA 12345678 5 GB.
    assert s10_check_digit("12345678") == 5
    assert valid_tracking_number("RA123456785GB")
    assert not valid_tracking_number("RA123456784GB")
    assert not valid_tracking_number("RA12345678GB")


def test_rates_come_from_the_shipping_tables(carrier, shipment):
    rates = carrier.rates(shipment)

    assert [(r.service_code, r.amount, r.currency, r.min_days) for r in rates] == [
        ("standard", 1490, "EUR", 3),
        ("express", 3490, "EUR", 1),
    ]


def test_a_label_is_a_real_pdf_with_a_valid_tracking_number(carrier, shipment):
    label = carrier.create_label(shipment, "standard", idempotency_key="shipment:1001")

    assert label.pdf.startswith(b"%PDF-") and label.pdf.rstrip().endswith(b"%%EOF")
    assert valid_tracking_number(label.tracking_number)
    assert label.tracking_number.startswith("CP") and label.tracking_number.endswith("DE")
    text = pdf_text(label.pdf)
    assert f"({label.tracking_number})" in text
    for shown in (
        "Camille Martin",
        "75004 Paris",
        "Oakridge Supply GmbH",
        "STANDARD",
        "Weight: 1.2 kg",
    ):
        assert f"({shown})" in text, shown
    assert text.count(" re") > 30  # the Code 128 bars


def test_the_same_idempotency_key_gives_the_same_label(carrier, shipment):
    first = carrier.create_label(shipment, "express", idempotency_key="shipment:1001")
    again = carrier.create_label(shipment, "express", idempotency_key="shipment:1001")
    other = carrier.create_label(shipment, "express", idempotency_key="shipment:1002")

    assert again.tracking_number == first.tracking_number and again.pdf == first.pdf
    assert other.tracking_number != first.tracking_number
    assert first.tracking_number.startswith("EX")


@pytest.mark.parametrize(
    ("service", "key", "weight", "field"),
    [
        ("overnight-by-drone", "k1", 1200, "service_code"),
        ("standard", " ", 1200, "idempotency_key"),
        ("standard", "k1", 0, "weight_grams"),
        ("standard", "k1", 40000, "service_code"),  # past the last weight bracket
    ],
)
def test_a_label_that_cannot_be_made_is_refused_naming_the_field(
    carrier, service, key, weight, field
):
    shipment = Shipment(SHOP, BUYER, weight_grams=weight)
    with pytest.raises(InvalidInput) as excinfo:
        carrier.create_label(shipment, service, idempotency_key=key)
    assert field in excinfo.value.fields


def test_tracking_checks_the_number(carrier, shipment):
    label = carrier.create_label(shipment, "standard", idempotency_key="shipment:7")

    tracking = carrier.track(label.tracking_number.lower())

    assert (tracking.tracking_number, tracking.status) == (label.tracking_number, "label_created")
    broken = label.tracking_number[:10] + str((int(label.tracking_number[10]) + 1) % 10) + "DE"
    with pytest.raises(InvalidInput) as excinfo:
        carrier.track(broken)
    assert "tracking_number" in excinfo.value.fields


def test_registry_chooses_carriers_by_code():
    mapped = get_carrier("dhl", config={"SHIPPING_CARRIERS": {"dhl": "table"}})
    unmapped = get_carrier("ups", config={"APP_ENV": "development"})

    assert isinstance(mapped, TableRateCarrier) and mapped.code == "dhl"
    assert isinstance(unmapped, TableRateCarrier) and unmapped.code == "ups"
    with pytest.raises(NotFound):
        get_carrier("ups", config={"APP_ENV": "production"})
    assert get_carrier("table", config={"APP_ENV": "production"}).code == "table"


def test_a_stand_in_carrier_rates_only_its_own_methods(carrier, shipment):
    assert get_carrier("dhl", config={}).rates(shipment) == []
