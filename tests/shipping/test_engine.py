"""Quoting: which zone an address falls in, what each kind of method charges, and what checkout
is refused."""

from __future__ import annotations

import pytest

from commerce.errors import InvalidInput
from commerce.shipping.engine import ShippingItem, get_quote, quote_shipping, resolve_zone
from tests.shipping.conftest import make_method, make_zone

SHIRT = {"weight_grams": 250, "quantity": 1, "is_digital": False, "shipping_class": "standard"}
EBOOK = {"weight_grams": None, "quantity": 1, "is_digital": True, "shipping_class": "standard"}


def parcel(grams: int) -> list[ShippingItem]:
    return [ShippingItem(grams, 1)]


def amounts(address, items, subtotal=1000, currency="EUR") -> dict[str, int]:
    return {q.code: q.amount for q in quote_shipping(address, items, subtotal, currency)}


def refusal(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    assert set(excinfo.value.fields) == {"shipping_method"}
    return excinfo.value.fields["shipping_method"]


@pytest.mark.parametrize(
    ("address", "zone"),
    [
        ({"country": "DE", "postcode": "10115"}, "DE"),
        ({"country": "de"}, "DE"),
        ({"country": "DE", "postcode": "27498"}, "DE-ISLANDS"),
        ({"country": "DE", "postcode": "27 498"}, "DE-ISLANDS"),
        ({"country": "DE", "postcode": "18565"}, "DE-ISLANDS"),
        ({"country": "FR", "postcode": "75001"}, "EU"),
        ({"country": "AT"}, "EU"),
        ({"country": "US", "region": "CA", "postcode": "94105"}, "US"),
        ({"country": "US", "region": "AK", "postcode": "99501"}, "US-NONCONTIGUOUS"),
        ({"country": "US", "state": "US-HI"}, "US-NONCONTIGUOUS"),
        ({"country": "JP", "postcode": "100-0001"}, "WORLD"),
    ],
)
def test_the_most_specific_zone_containing_the_address_wins(zones, address, zone):
    assert resolve_zone(address).code == zone
    assert quote_shipping(address, [SHIRT], 1000, "EUR").zone_code == zone


def test_the_longest_matching_postcode_prefix_wins(zones):
    make_zone("DE-NORTH", countries=["DE"], postcode_prefixes=["2"])

    assert resolve_zone({"country": "DE", "postcode": "27498"}).code == "DE-ISLANDS"
    assert resolve_zone({"country": "DE", "postcode": "20095"}).code == "DE-NORTH"


def test_without_a_rest_of_the_world_zone_far_countries_get_no_quotes(db_session):
    de = make_zone("DE", countries=["DE"])
    make_method(de)

    quotes = quote_shipping({"country": "JP"}, [SHIRT], 1000, "EUR")

    assert quotes == [] and quotes.requires_shipping and quotes.zone_code is None


def test_only_the_chosen_zones_methods_are_offered(zones):
    make_method(zones["EU"], "express", amount=1990)

    assert amounts({"country": "DE"}, [SHIRT]) == {"standard": 490}
    assert amounts({"country": "FR"}, [SHIRT]) == {"standard": 490, "express": 1990}


def test_flat_costs_the_same_for_any_cart(db_session):
    zone = make_zone("DE", countries=["DE"])
    make_method(zone, "standard", kind="flat", amount=590)

    assert amounts({"country": "DE"}, parcel(1)) == {"standard": 590}
    assert amounts({"country": "DE"}, parcel(30000), subtotal=99999) == {"standard": 590}


def test_by_weight_uses_the_bracket_up_to_and_including_its_limit(db_session):
    zone = make_zone("DE", countries=["DE"])
    make_method(
        zone,
        "parcel",
        kind="by_weight",
        rates=[{"up_to": 1000, "amount": 500}, {"up_to": 5000, "amount": 900}],
    )

    def price(grams: int) -> dict[str, int]:
        return amounts({"country": "DE"}, parcel(grams))

    assert price(0) == {"parcel": 500}
    assert price(1000) == {"parcel": 500}
    assert price(1001) == {"parcel": 900}
    assert price(5000) == {"parcel": 900}
    assert price(5001) == {}


def test_weight_is_summed_over_quantities_and_skips_digital_items(db_session):
    zone = make_zone("DE", countries=["DE"])
    make_method(
        zone,
        "parcel",
        kind="by_weight",
        rates=[{"up_to": 1000, "amount": 500}, {"up_to": None, "amount": 900}],
    )
    four_shirts = {**SHIRT, "quantity": 4}  # 1000 g
    no_weight = {"weight_grams": None, "quantity": 3}

    assert amounts({"country": "DE"}, [four_shirts, EBOOK, no_weight]) == {"parcel": 500}
    assert amounts({"country": "DE"}, [four_shirts, {**SHIRT, "weight_grams": 1}]) == {
        "parcel": 900
    }


def test_by_price_brackets_go_by_the_subtotal(db_session):
    zone = make_zone("DE", countries=["DE"])
    make_method(
        zone,
        "standard",
        kind="by_price",
        rates=[
            {"up_to": 1999, "amount": 590},
            {"up_to": 4999, "amount": 390},
            {"up_to": None, "amount": 0},
        ],
    )

    def price(subtotal: int) -> int:
        return amounts({"country": "DE"}, [SHIRT], subtotal=subtotal)["standard"]

    assert [price(s) for s in (0, 1999, 2000, 4999, 5000, 250000)] == [590, 590, 390, 390, 0, 0]


def test_free_over_is_free_from_exactly_the_threshold(db_session):
    zone = make_zone("DE", countries=["DE"])
    make_method(zone, "standard", kind="free_over", amount=490, free_over_amount=5000)

    assert amounts({"country": "DE"}, [SHIRT], subtotal=4999) == {"standard": 490}
    assert amounts({"country": "DE"}, [SHIRT], subtotal=5000) == {"standard": 0}
    assert amounts({"country": "DE"}, [SHIRT], subtotal=5001) == {"standard": 0}


def test_quotes_are_cheapest_first_with_delivery_days_and_carrier(db_session):
    zone = make_zone("DE", countries=["DE"])
    make_method(zone, "express", amount=990, min_days=1, max_days=1, carrier_service="next-day")
    make_method(zone, "standard", amount=490, min_days=2, max_days=3)

    quotes = quote_shipping({"country": "DE"}, [SHIRT], 1000, "EUR")

    assert [(q.code, q.amount, q.currency, q.min_days, q.max_days) for q in quotes] == [
        ("standard", 490, "EUR", 2, 3),
        ("express", 990, "EUR", 1, 1),
    ]
    assert (quotes[1].carrier, quotes[1].service, quotes[1].zone_code) == (
        "table",
        "next-day",
        "DE",
    )


def test_inactive_other_currency_overweight_and_refused_classes_are_not_offered(db_session):
    zone = make_zone("DE", countries=["DE"])
    make_method(zone, "standard")
    make_method(zone, "paused", active=False)
    make_method(zone, "dollars", currency="USD")
    make_method(zone, "letter", max_weight_grams=500)
    make_method(zone, "small-only", shipping_classes=["standard"])

    assert set(amounts({"country": "DE"}, parcel(400))) == {"standard", "letter", "small-only"}
    assert set(amounts({"country": "DE"}, parcel(501))) == {"standard", "small-only"}
    bulky = [{"weight_grams": 400, "quantity": 1, "shipping_class": "bulky"}]
    assert set(amounts({"country": "DE"}, bulky)) == {"standard", "letter"}
    assert set(amounts({"country": "DE"}, parcel(400), currency="USD")) == {"dollars"}


def test_a_digital_only_cart_needs_no_shipping(zones):
    quotes = quote_shipping({"country": "DE"}, [EBOOK, {**EBOOK, "quantity": 3}], 2500, "EUR")

    assert quotes == []
    assert quotes.requires_shipping is False
    with pytest.raises(InvalidInput) as excinfo:
        get_quote(zones["DE"].methods[0].id, {"country": "DE"}, [EBOOK], 2500, "EUR")
    assert refusal(excinfo) == "nothing in this order needs shipping"


def test_a_mixed_cart_ships_its_physical_items(zones):
    quotes = quote_shipping({"country": "DE"}, [EBOOK, SHIRT], 2500, "EUR")

    assert quotes.requires_shipping is True
    assert [q.code for q in quotes] == ["standard"]


def test_get_quote_reprices_the_chosen_method(db_session):
    zone = make_zone("DE", countries=["DE"])
    method = make_method(zone, kind="free_over", amount=490, free_over_amount=5000)

    below = get_quote(method.id, {"country": "DE"}, [SHIRT], 4999, "EUR")
    at = get_quote(method.id, {"country": "DE"}, [SHIRT], 5000, "EUR")

    assert (below.method_id, below.amount, at.amount) == (method.id, 490, 0)


def test_a_method_of_another_zone_is_refused_naming_the_field(zones):
    eu_standard = zones["EU"].methods[0]

    with pytest.raises(InvalidInput) as excinfo:
        get_quote(eu_standard.id, {"country": "DE", "postcode": "10115"}, [SHIRT], 1000, "EUR")

    assert refusal(excinfo) == "Standard does not deliver to this address"
    assert get_quote(eu_standard.id, {"country": "FR"}, [SHIRT], 1000, "EUR").zone_code == "EU"


def test_a_method_that_does_not_take_the_parcel_is_refused_saying_why(db_session):
    zone = make_zone("DE", countries=["DE"])
    letter = make_method(zone, "letter", max_weight_grams=500)
    paused = make_method(zone, "paused", active=False)

    with pytest.raises(InvalidInput) as heavy:
        get_quote(letter.id, {"country": "DE"}, parcel(501), 1000, "EUR")
    with pytest.raises(InvalidInput) as inactive:
        get_quote(paused.id, {"country": "DE"}, parcel(100), 1000, "EUR")
    with pytest.raises(InvalidInput) as unknown:
        get_quote(letter.id + 999, {"country": "DE"}, parcel(100), 1000, "EUR")
    with pytest.raises(InvalidInput) as currency:
        get_quote(letter.id, {"country": "DE"}, parcel(100), 1000, "USD")

    assert refusal(heavy) == "Letter takes parcels up to 500 g"
    assert refusal(inactive) == "Paused is not available at the moment"
    assert refusal(unknown) == "no such shipping method"
    assert refusal(currency) == "Letter is not offered in USD"


@pytest.mark.parametrize(
    ("address", "items", "subtotal", "currency", "field"),
    [
        ({"country": "Germany"}, [SHIRT], 0, "EUR", "country"),
        ({}, [SHIRT], 0, "EUR", "country"),
        ({"country": "DE"}, [{**SHIRT, "quantity": -1}], 0, "EUR", "items.0.quantity"),
        (
            {"country": "DE"},
            [SHIRT, {**SHIRT, "weight_grams": -5}],
            0,
            "EUR",
            "items.1.weight_grams",
        ),
        ({"country": "DE"}, [SHIRT], -1, "EUR", "subtotal_amount"),
        ({"country": "DE"}, [SHIRT], 0, "euro", "currency"),
    ],
)
def test_bad_input_is_refused_naming_the_field(zones, address, items, subtotal, currency, field):
    with pytest.raises(InvalidInput) as excinfo:
        quote_shipping(address, items, subtotal, currency)
    assert field in excinfo.value.fields
