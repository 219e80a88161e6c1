"""The cart API: guest carts by token and the signed-in customer's cart. Every answer is checked
against the served OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.catalog.models import Variant
from tests.carts.factories import (
    ADDRESS,
    make_gift_card,
    make_tax_zone,
    make_variant,
    make_voucher,
    now_plus,
)
from tests.storefront_api.test_openapi import assert_valid, schema_for

PREFIX = "/api/v1"


@pytest.fixture
def doc(client) -> dict[str, Any]:
    return client.get(f"{PREFIX}/openapi.json").get_json()


@pytest.fixture
def call(client, doc):
    """call(method, path, status, json=None, path_template=None, headers=None) -> body: make the
    request, assert the status and validate the body against the documented schema."""

    def do(method, path, status, *, template, json=None, headers=None, data=None):
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        elif json is not None:
            kwargs["json"] = json
        response = client.open(PREFIX + path, method=method.upper(), **kwargs)
        assert response.status_code == status, response.get_json()
        body = response.get_json()
        assert_valid(doc, schema_for(doc, template, status, method.lower()), body)
        if status < 300:
            assert response.headers["Cache-Control"] == "private, no-store"
        return body

    return do


@pytest.fixture
def guest(call):
    """A new guest cart: (token, first body)."""
    body = call("post", "/carts", 201, template="/carts")
    return body["token"], body


def test_a_guest_cart_is_created_empty_with_a_token_and_read_back(call, guest):
    token, created = guest
    assert created["data"]["lines"] == [] and created["data"]["status"] == "open"
    assert created["data"]["totals"]["amount_due"] == {"amount": 0, "currency": "EUR"}
    read = call("get", f"/carts/{token}", 200, template="/carts/{token}")
    assert read["data"]["id"] == created["data"]["id"]


def test_an_unknown_token_is_404(call):
    body = call("get", "/carts/" + "x" * 43, 404, template="/carts/{token}")
    assert body["error"]["code"] == "not_found"
    call(
        "post",
        "/carts/" + "y" * 43 + "/lines",
        404,
        template="/carts/{token}/lines",
        json={"variant_id": 1},
    )


def test_lines_are_added_changed_and_removed(db_session, call, guest):
    token, _ = guest
    variant = make_variant(1250, stock=5, sku="TEE-RED-M")
    lines = f"/carts/{token}/lines"

    body = call(
        "post",
        lines,
        200,
        template="/carts/{token}/lines",
        json={"variant_id": variant.id, "quantity": 2},
    )
    [line] = body["data"]["lines"]
    assert (line["sku"], line["quantity"], line["available"]) == ("TEE-RED-M", 2, 5)
    assert line["unit_price"] == {"amount": 1250, "currency": "EUR"}
    assert body["data"]["totals"]["subtotal"]["amount"] == 2500

    template = "/carts/{token}/lines/{line_id}"
    body = call("patch", f"{lines}/{line['id']}", 200, template=template, json={"quantity": 5})
    assert body["data"]["lines"][0]["quantity"] == 5
    body = call("delete", f"{lines}/{line['id']}", 200, template=template)
    assert body["data"]["lines"] == []
    call("delete", f"{lines}/{line['id']}", 404, template=template)


def test_too_many_units_is_409_naming_the_line_and_what_is_available(db_session, call, guest):
    token, _ = guest
    variant = make_variant(1000, stock=2, sku="LAMP-OAK")

    body = call(
        "post",
        f"/carts/{token}/lines",
        409,
        template="/carts/{token}/lines",
        json={"variant_id": variant.id, "quantity": 3},
    )

    assert body["error"]["code"] == "out_of_stock"
    assert "LAMP-OAK" in body["error"]["message"]
    [short] = body["error"]["details"]["lines"]
    assert (short["sku"], short["requested"], short["available"]) == ("LAMP-OAK", 3, 2)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ('{"variant_id": ', "body"),
        ("[1, 2]", "body"),
        ('{"variant_id": "seven"}', "variant_id"),
        ('{"variant_id": 1, "quantity": "two"}', "quantity"),
        ('{"variant_id": 1, "quantity": true}', "quantity"),
        ('{"variant_id": 1, "quantity": 0}', "quantity"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(db_session, call, guest, payload, field):
    token, _ = guest
    body = call("post", f"/carts/{token}/lines", 400, template="/carts/{token}/lines", data=payload)
    assert body["error"]["code"] == "invalid_input"
    assert field in body["error"]["details"]["fields"]


def test_a_variant_not_on_sale_is_422(db_session, call, guest):
    token, _ = guest
    draft = make_variant(1000, status="draft")
    for variant_id in (draft.id, 987_654):
        body = call(
            "post",
            f"/carts/{token}/lines",
            422,
            template="/carts/{token}/lines",
            json={"variant_id": variant_id},
        )
        assert body["error"]["code"] == "variant_unavailable"
        assert "variant_id" in body["error"]["details"]["fields"]


def test_a_line_of_another_cart_is_404(db_session, call, guest):
    token, _ = guest
    other = call("post", "/carts", 201, template="/carts")["token"]
    body = call(
        "post",
        f"/carts/{other}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": make_variant().id},
    )
    line_id = body["data"]["lines"][0]["id"]
    call(
        "patch",
        f"/carts/{token}/lines/{line_id}",
        404,
        template="/carts/{token}/lines/{line_id}",
        json={"quantity": 2},
    )


def test_a_voucher_is_applied_or_refused_with_its_reason(db_session, call, guest):
    token, _ = guest
    call(
        "post",
        f"/carts/{token}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": make_variant(2000).id},
    )
    make_voucher("TEN", percent="10")
    make_voucher("LATER", starts_at=now_plus(2))
    voucher = f"/carts/{token}/voucher"

    refused = call("put", voucher, 422, template="/carts/{token}/voucher", json={"code": "LATER"})
    assert refused["error"]["code"] == "voucher_rejected"
    assert refused["error"]["details"]["reason"] == "not_yet_valid"
    unknown = call("put", voucher, 422, template="/carts/{token}/voucher", json={"code": "NOPE"})
    assert unknown["error"]["details"]["reason"] == "unknown"
    call("put", voucher, 400, template="/carts/{token}/voucher", json={"code": 10})

    body = call("put", voucher, 200, template="/carts/{token}/voucher", json={"code": "ten"})
    assert body["data"]["voucher"]["code"] == "TEN" and body["data"]["voucher"]["applied"]
    assert body["data"]["totals"]["discount"]["amount"] == 200
    assert body["data"]["lines"][0]["discount"]["amount"] == 200
    body = call("delete", voucher, 200, template="/carts/{token}/voucher")
    assert body["data"]["voucher"] is None


def test_gift_cards_email_and_addresses(db_session, call, guest):
    make_tax_zone("DE", "0.19")
    token, _ = guest
    call(
        "post",
        f"/carts/{token}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": make_variant(10000).id},
    )

    bad = call(
        "put",
        f"/carts/{token}/addresses",
        400,
        template="/carts/{token}/addresses",
        json={"shipping_address": {**ADDRESS, "country": "XX1"}},
    )
    assert "shipping_address.country" in bad["error"]["details"]["fields"]
    body = call(
        "put",
        f"/carts/{token}/addresses",
        200,
        template="/carts/{token}/addresses",
        json={"shipping_address": ADDRESS},
    )
    assert body["data"]["shipping_address"]["city"] == "Berlin"
    assert body["data"]["billing_address"] is None
    assert (body["data"]["tax_status"], body["data"]["totals"]["tax"]["amount"]) == (
        "calculated",
        1900,
    )

    call(
        "put", f"/carts/{token}/email", 400, template="/carts/{token}/email", json={"email": "nope"}
    )
    body = call(
        "put",
        f"/carts/{token}/email",
        200,
        template="/carts/{token}/email",
        json={"email": "ada@example.com"},
    )
    assert body["data"]["email"] == "ada@example.com"

    issued = make_gift_card(5000)
    refused = call(
        "post",
        f"/carts/{token}/gift-cards",
        422,
        template="/carts/{token}/gift-cards",
        json={"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"},
    )
    assert refused["error"]["details"]["reason"] == "unknown"
    body = call(
        "post",
        f"/carts/{token}/gift-cards",
        200,
        template="/carts/{token}/gift-cards",
        json={"code": issued.code},
    )
    [card] = body["data"]["gift_cards"]
    assert card["last4"] == issued.code[-4:] and card["applied"]["amount"] == 5000
    assert body["data"]["totals"]["amount_due"]["amount"] == 6900
    body = call(
        "delete",
        f"/carts/{token}/gift-cards/{issued.gift_card.id}",
        200,
        template="/carts/{token}/gift-cards/{gift_card_id}",
    )
    assert body["data"]["gift_cards"] == []


def test_a_changed_price_is_noticed_on_the_next_read(db_session, call, guest):
    token, _ = guest
    variant = make_variant(1000)
    call(
        "post",
        f"/carts/{token}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": variant.id},
    )
    # The request closed the test's session: change the price through a fresh load.
    db_session.get(Variant, variant.id).price_amount = 900
    db_session.commit()

    body = call("get", f"/carts/{token}", 200, template="/carts/{token}")

    [notice] = body["data"]["notices"]
    assert (notice["code"], notice["sku"], notice["details"]) == (
        "price_changed",
        variant.sku,
        {"old": 1000, "new": 900},
    )
    assert body["data"]["totals"]["total"]["amount"] == 900


# --- the signed-in customer's cart ----------------------------------------------------------


@pytest.fixture
def signed_in(db_session):
    """(headers, customer) of a registered, signed-in customer."""
    factories = pytest.importorskip("tests.customers.factories")
    pytest.importorskip("storefront_api.auth")
    grant = factories.register()
    return {"Authorization": f"Bearer {grant.token.raw}"}, grant.customer


def test_the_customer_cart_needs_a_sign_in(db_session, call):
    body = call("get", "/cart", 401, template="/cart")
    assert body["error"]["code"] == "unauthenticated"


def test_a_customer_fills_their_own_cart(db_session, call, signed_in):
    headers, _ = signed_in
    variant = make_variant(1500, stock=4)

    first = call("get", "/cart", 200, template="/cart", headers=headers)
    body = call(
        "post",
        "/cart/lines",
        200,
        template="/cart/lines",
        headers=headers,
        json={"variant_id": variant.id, "quantity": 2},
    )
    assert body["data"]["id"] == first["data"]["id"]
    line_id = body["data"]["lines"][0]["id"]
    body = call(
        "patch",
        f"/cart/lines/{line_id}",
        409,
        template="/cart/lines/{line_id}",
        headers=headers,
        json={"quantity": 5},
    )
    assert body["error"]["details"]["lines"][0]["available"] == 4
    call(
        "put",
        "/cart/email",
        200,
        template="/cart/email",
        headers=headers,
        json={"email": "grace@example.com"},
    )
    call(
        "put",
        "/cart/addresses",
        200,
        template="/cart/addresses",
        headers=headers,
        json={"billing_address": ADDRESS},
    )
    make_voucher("MINE")
    call(
        "put",
        "/cart/voucher",
        200,
        template="/cart/voucher",
        headers=headers,
        json={"code": "MINE"},
    )
    call("delete", "/cart/voucher", 200, template="/cart/voucher", headers=headers)
    issued = make_gift_card(100)
    call(
        "post",
        "/cart/gift-cards",
        200,
        template="/cart/gift-cards",
        headers=headers,
        json={"code": issued.code},
    )
    call(
        "delete",
        f"/cart/gift-cards/{issued.gift_card.id}",
        200,
        template="/cart/gift-cards/{gift_card_id}",
        headers=headers,
    )
    body = call(
        "delete", f"/cart/lines/{line_id}", 200, template="/cart/lines/{line_id}", headers=headers
    )
    assert body["data"]["lines"] == []


def test_signing_in_merges_the_guest_cart_capped_by_stock(db_session, call, signed_in, guest):
    headers, _ = signed_in
    token, _ = guest
    variant = make_variant(1000, stock=3, sku="LAST-THREE")
    call(
        "post",
        "/cart/lines",
        200,
        template="/cart/lines",
        headers=headers,
        json={"variant_id": variant.id, "quantity": 2},
    )
    call(
        "post",
        f"/carts/{token}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": variant.id, "quantity": 2},
    )

    body = call(
        "post",
        "/cart/merge",
        200,
        template="/cart/merge",
        headers=headers,
        json={"guest_token": token},
    )

    assert body["capped"] == [
        {
            "sku": "LAST-THREE",
            "variant_id": variant.id,
            "requested": 4,
            "available": 3,
            "quantity": 3,
        }
    ]
    assert body["data"]["lines"][0]["quantity"] == 3
    call("get", f"/carts/{token}", 404, template="/carts/{token}")
    call(
        "post",
        "/cart/merge",
        404,
        template="/cart/merge",
        headers=headers,
        json={"guest_token": token},
    )
    call("post", "/cart/merge", 400, template="/cart/merge", headers=headers, json={})
