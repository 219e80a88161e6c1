"""The tax engine's arithmetic, without a database: rates are given to `calculate`."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from commerce.errors import InvalidInput
from commerce.tax.engine import (
    TaxableLine,
    TaxAddress,
    TaxLine,
    ZoneRates,
    ZoneSpec,
    calculate,
    pick_zone,
    resolve_zone,
    tax_exclusive,
    tax_inclusive,
)

DE = ZoneRates.build(
    "DE",
    {
        "standard": ("0.19", "VAT 19%"),
        "reduced": ("0.07", "VAT 7%"),
        "zero": ("0", "VAT 0%"),
        "digital": ("0.19", "VAT 19%"),
    },
)
CA = ZoneRates.build(
    "US-CA", {"standard": ("0.0725", "CA sales tax 7.25%"), "zero": ("0", "CA sales tax 0%")}
)
BERLIN = {"country": "DE", "postcode": "10115"}


def tax(lines, *, rates=DE, shipping=0, shipping_class="standard", inclusive=False, **kw):
    return calculate(
        lines,
        shipping_amount=shipping,
        shipping_tax_class=shipping_class,
        address=kw.pop("address", BERLIN),
        prices_include_tax=inclusive,
        currency=kw.pop("currency", "EUR"),
        rates=rates,
        **kw,
    )


def test_inclusive_price_of_119_euros_at_19_percent_contains_19_euros_of_tax():
    result = tax([TaxableLine("shirt", 11900, 1)], inclusive=True)

    assert result.lines[0].tax == 1900
    assert result.lines[0].net == 10000
    assert (result.net_total, result.tax_total, result.gross_total) == (10000, 1900, 11900)
    assert result.tax_lines == (TaxLine("VAT 19%", Decimal("0.19"), 10000, 1900),)


def test_exclusive_price_of_100_dollars_in_california_adds_7_dollars_25():
    result = tax(
        [TaxableLine("mug", 10000, 1)],
        rates=CA,
        address={"country": "US", "state": "CA"},
        currency="USD",
    )

    assert result.tax_total == 725
    assert result.gross_total == 10725
    assert result.currency == "USD"
    assert result.zone_code == "US-CA"
    assert result.tax_lines == (TaxLine("CA sales tax 7.25%", Decimal("0.0725"), 10000, 725),)


def test_tax_is_rounded_per_line_not_on_the_sum():
    # €10.50 net at 19% is 199.5 cents of tax: each line rounds up to 200.
    lines = [TaxableLine(f"line-{i}", 1050, 1) for i in range(3)]

    result = tax(lines)

    assert [line.tax for line in result.lines] == [200, 200, 200]
    assert result.tax_total == 600
    assert tax_exclusive(3 * 1050, Decimal("0.19")) == 599  # what rounding the sum would give
    assert result.tax_lines[0].tax_amount == 600  # the breakdown adds the rounded line taxes


def test_inclusive_prices_are_also_rounded_per_line():
    # €1.25 gross at 7%: 1.25 * 0.07 / 1.07 = 8.18 cents -> 8; three lines 24, the sum 24.53 -> 25.
    lines = [TaxableLine(f"book-{i}", 125, 1, tax_class="reduced") for i in range(3)]

    result = tax(lines, inclusive=True)

    assert result.tax_total == 24
    assert tax_inclusive(375, Decimal("0.07")) == 25  # what rounding the sum would give
    assert result.net_total + result.tax_total == result.gross_total == 375


def test_line_total_is_unit_price_times_quantity_minus_discount():
    result = tax([TaxableLine("socks", 1000, 3, discount=500)])

    line = result.lines[0]
    assert (line.amount, line.net, line.tax, line.gross) == (2500, 2500, 475, 2975)


def test_shipping_is_taxed_at_its_class_rate_and_counted_in_the_breakdown():
    result = tax([TaxableLine("shirt", 10000, 1)], shipping=490)

    assert result.shipping_tax == 93  # 490 * 0.19 = 93.1
    assert result.items_tax == 1900
    assert result.tax_total == 1993
    assert result.gross_total == 10000 + 490 + 1993
    assert result.tax_lines == (TaxLine("VAT 19%", Decimal("0.19"), 10490, 1993),)


def test_breakdown_has_one_row_per_rate_that_adds_up_to_the_totals():
    result = tax(
        [
            TaxableLine("shirt", 2000, 2),
            TaxableLine("book", 1500, 1, tax_class="reduced"),
            TaxableLine("bread", 300, 1, tax_class="zero"),
            TaxableLine("ebook", 999, 1, tax_class="digital"),
        ],
        shipping=500,
        shipping_class="reduced",
    )

    assert [(t.name, t.taxable_amount, t.tax_amount) for t in result.tax_lines] == [
        ("VAT 19%", 4999, 950),  # 760 + round(189.81) = 760 + 190
        ("VAT 7%", 2000, 140),  # round(105) + round(35)
        ("VAT 0%", 300, 0),
    ]
    assert sum(t.tax_amount for t in result.tax_lines) == result.tax_total == 1090
    assert sum(t.taxable_amount for t in result.tax_lines) == result.net_total


def test_exempt_buyer_pays_no_tax_and_gets_no_tax_lines():
    result = tax([TaxableLine("shirt", 10000, 2)], shipping=500, exempt=True)

    assert result.reason == "exempt"
    assert result.tax_total == 0
    assert result.tax_lines == ()
    assert result.gross_total == result.net_total == 20500


def test_exempt_buyer_with_inclusive_prices_pays_the_net_price():
    result = tax([TaxableLine("shirt", 11900, 1)], inclusive=True, exempt=True)

    assert result.tax_total == 0
    assert result.gross_total == 10000
    assert result.tax_lines == ()


def test_unknown_zone_gives_zero_tax_with_a_reason_instead_of_an_error():
    result = tax(
        [TaxableLine("shirt", 11900, 1)],
        rates=None,
        inclusive=True,
        address={"country": "BR"},
    )

    assert result.reason == "no_tax_zone"
    assert result.zone_code is None
    assert result.tax_total == 0
    assert result.gross_total == 11900
    assert result.tax_lines == ()


def test_tax_class_without_a_rate_in_the_zone_is_charged_the_standard_rate_with_a_warning():
    result = tax([TaxableLine("gift-card", 1000, 1, tax_class="voucher")])

    assert result.tax_total == 190
    assert result.warnings == (
        "tax class 'voucher' has no rate in zone DE; charged the standard rate",
    )


def test_snapshot_is_json_and_keeps_rates_as_exact_strings():
    result = tax([TaxableLine("book", 1000, 1, tax_class="reduced")], shipping=100)

    snap = json.loads(json.dumps(result.snapshot()))

    assert snap["tax_lines"] == [
        {"name": "VAT 19%", "rate": "0.19", "taxable_amount": 100, "tax_amount": 19},
        {"name": "VAT 7%", "rate": "0.07", "taxable_amount": 1000, "tax_amount": 70},
    ]
    assert (snap["tax_total"], snap["gross_total"], snap["zone"]) == (89, 1189, "DE")
    assert snap["lines"][0]["key"] == "book"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (TaxableLine("x", 100, 1, discount=101), "lines.0.discount"),
        (TaxableLine("x", -1, 1), "lines.0.unit_price"),
        (TaxableLine("x", 100, -2), "lines.0.quantity"),
    ],
)
def test_impossible_lines_are_refused(line, field):
    with pytest.raises(InvalidInput) as caught:
        tax([line])
    assert field in caught.value.fields


def test_currency_and_country_must_be_iso_codes():
    with pytest.raises(InvalidInput, match="currency"):
        tax([TaxableLine("x", 100, 1)], currency="euro")
    with pytest.raises(InvalidInput, match="country"):
        tax([TaxableLine("x", 100, 1)], address={"country": "Germany"})


ZONES = [
    ZoneSpec("DE", "DE"),
    ZoneSpec("DE-HELGOLAND", "DE", postcode_prefix="27498"),
    ZoneSpec("DE-27", "DE", postcode_prefix="27"),
    ZoneSpec("US-CA", "US", region="CA"),
    ZoneSpec("US-CA-900", "US", region="CA", postcode_prefix="900"),
]


def test_postcode_prefix_zone_beats_region_and_country_zones():
    def code(**address):
        zone = pick_zone(ZONES, TaxAddress.of(address))
        return zone.code if zone else None

    assert code(country="DE", postcode="27498") == "DE-HELGOLAND"  # longest prefix wins
    assert code(country="DE", postcode="27472") == "DE-27"
    assert code(country="DE", postcode="10115") == "DE"
    assert code(country="de") == "DE"
    assert code(country="US", region="US-CA", postcode="90001") == "US-CA-900"
    assert code(country="US", region="CA", postcode="94103") == "US-CA"
    assert code(country="US", region="NY") is None
    assert code(country="FR") is None


def test_resolve_zone_takes_the_address_parts_and_normalises_the_postcode():
    zone = resolve_zone("US", "ca", "900-12", zones=ZONES)

    assert zone.code == "US-CA-900"
