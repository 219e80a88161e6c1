"""GET /api/v1/shipping/methods: what a shop page shows for "shipping to ..."."""

from __future__ import annotations

import pytest

from commerce.shipping.service import load_default_shipping
from tests.factories import SYSTEM
from tests.storefront_api.test_openapi import assert_valid, schema_for

URL = "/api/v1/shipping/methods"


@pytest.fixture
def defaults(db_session) -> None:
    load_default_shipping(SYSTEM)


@pytest.fixture
def doc(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def test_methods_for_germany_show_free_standard_from_50_euro(client, defaults, doc):
    below = client.get(f"{URL}?country=DE&postcode=10115&subtotal=4999&weight=800")
    at = client.get(f"{URL}?country=de&subtotal=5000")

    assert below.status_code == 200 and at.status_code == 200
    assert_valid(doc, schema_for(doc, "/shipping/methods", 200), below.get_json())
    assert below.get_json()["zone"] == "DE"
    assert [(m["code"], m["price"]) for m in below.get_json()["methods"]] == [
        ("standard", {"amount": 490, "currency": "EUR"}),
        ("express", {"amount": 990, "currency": "EUR"}),
    ]
    assert at.get_json()["methods"][0]["price"]["amount"] == 0


def test_a_heavy_parcel_abroad_is_priced_by_weight(client, defaults):
    body = client.get(f"{URL}?country=FR&weight=4200").get_json()

    assert body["zone"] == "EU"
    assert {m["code"]: m["price"]["amount"] for m in body["methods"]} == {
        "standard": 1490,
        "express": 3490,
    }
    assert body["methods"][0]["min_days"] == 3 and body["methods"][0]["max_days"] == 6


def test_no_zone_means_no_methods(client, db_session, doc):
    response = client.get(f"{URL}?country=JP")

    assert response.get_json() == {"zone": None, "methods": []}
    assert_valid(doc, schema_for(doc, "/shipping/methods", 200), response.get_json())


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("", {"country"}),
        ("?country=Germany", {"country"}),
        ("?country=DE&weight=heavy&subtotal=-1", {"weight", "subtotal"}),
        ("?country=DE&currency=euro", {"currency"}),
    ],
)
def test_unreadable_parameters_are_named(client, db_session, doc, query, fields):
    response = client.get(URL + query)

    assert response.status_code == 400
    assert set(response.get_json()["error"]["details"]["fields"]) == fields
    assert_valid(doc, schema_for(doc, "/shipping/methods", 400), response.get_json())
