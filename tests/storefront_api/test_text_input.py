"""Text no field can hold (a NUL character, an unpaired surrogate) is a 400 naming the field, in
bodies and query strings alike, never a 500 from the database or a hash."""

from __future__ import annotations

import json

from storefront_api.text_input import PROBLEM, unstorable_fields

PREFIX = "/api/v1"


def refused_fields(response) -> dict[str, str]:
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    return error["details"]["fields"]


def test_every_unstorable_string_is_named_by_its_path():
    body = {"name": "ok", "note": "a\x00b", "address": {"lines": ["ok", "\ud800"]}, "\x00": 1}

    assert unstorable_fields(body) == {
        "note": PROBLEM,
        "address.lines[1]": PROBLEM,
        "body": PROBLEM,
    }
    assert unstorable_fields({"name": "Zoë 😀", "lines": ["ok"], "count": 3}) == {}


def test_a_nul_in_a_registration_is_a_400_naming_the_field(client):
    response = client.post(
        f"{PREFIX}/account/register",
        json={
            "email": "nul@example.com",
            "password": "a long and winding road",
            "first_name": "Ada\x00",
            "country": "DE",
        },
    )

    assert refused_fields(response) == {"first_name": PROBLEM}


def test_an_unpaired_surrogate_in_a_sign_in_is_a_400_naming_the_field(client):
    # json.dumps writes the lone surrogate as the escape \ud800, as a client's JSON would.
    body = json.dumps({"email": "ada@example.com", "password": "\ud800"})

    response = client.post(f"{PREFIX}/account/sign-in", data=body, content_type="application/json")

    assert refused_fields(response) == {"password": PROBLEM}


def test_a_nul_in_a_cart_body_is_a_400_naming_the_field_however_deep(client):
    token = client.post(f"{PREFIX}/carts").get_json()["token"]

    voucher = client.put(f"{PREFIX}/carts/{token}/voucher", json={"code": "SAVE\x0010"})
    address = client.put(
        f"{PREFIX}/carts/{token}/addresses",
        json={"shipping_address": {"name": "Ada", "line1": "Unter den Linden\x00 1"}},
    )

    assert refused_fields(voucher) == {"code": PROBLEM}
    assert refused_fields(address) == {"shipping_address.line1": PROBLEM}


def test_a_nul_in_the_product_list_query_is_a_400_naming_the_parameter(client):
    response = client.get(f"{PREFIX}/products?q=shirt%00&tag=new")

    assert refused_fields(response) == {"q": PROBLEM}
