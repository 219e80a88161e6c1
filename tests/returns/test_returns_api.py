"""The returns API as a storefront client uses it: a signed-in customer asks to return units of
their own order, lists their returns and reads one; others' orders and returns answer 404. Every
response is validated against the served OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.returns import service
from tests.customers.factories import register
from tests.returns.factories import SUPPORT, shipped_order
from tests.storefront_api.test_accounts import check_documented

PREFIX = "/api/v1"


@pytest.fixture
def doc(client) -> dict[str, Any]:
    return client.get(f"{PREFIX}/openapi.json").get_json()


@pytest.fixture
def api(client, doc):
    """api(method, url, status, token=None, json=None) -> response, checked against the doc."""

    def call(method: str, url: str, status: int, *, token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.open(PREFIX + url, method=method, headers=headers, **kwargs)
        assert response.status_code == status, response.get_json()
        check_documented(doc, method, url, response)
        return response

    return call


@pytest.fixture
def ada(db_session):
    """A customer with a shipped order of 2 + 1 units, and her access token."""
    grant = register()
    order = shipped_order(lines=((2, 2500), (1, 900)), customer_id=grant.customer.id)
    return grant.customer, grant.token.raw, order


def test_a_customer_returns_units_of_her_order_and_follows_the_return(api, ada, db_session):
    _customer, token, order = ada
    first, second = order.lines
    detail = api("GET", f"/account/orders/{order.number}", 200, token=token).get_json()["data"]
    assert [line["id"] for line in detail["lines"]] == [first.id, second.id]

    body = {
        "reason": "size_or_fit",
        "note": "Too small",
        "lines": [
            {"order_line_id": first.id, "quantity": 2},
            {"sku": second.sku, "quantity": 1, "reason": "damaged"},
        ],
    }
    created = api("POST", f"/account/orders/{order.number}/returns", 201, token=token, json=body)
    assert created.headers["Cache-Control"] == "private, no-store"
    data = created.get_json()["data"]
    assert (data["status"], data["order_number"], data["note"]) == (
        "requested",
        order.number,
        "Too small",
    )
    assert data["reference"] == f"R{data['number']}"
    assert [(x["sku"], x["quantity"], x["reason"]) for x in data["lines"]] == [
        (first.sku, 2, "size_or_fit"),
        (second.sku, 1, "damaged"),
    ]
    assert data["refund"] is None

    service.reject_return(data["id"], "Worn and washed", actor=SUPPORT)
    listed = api("GET", "/account/returns", 200, token=token).get_json()["data"]
    assert [(r["id"], r["status"]) for r in listed] == [(data["id"], "rejected")]
    one = api("GET", f"/account/returns/{data['id']}", 200, token=token).get_json()["data"]
    assert one["rejection_reason"] == "Worn and washed"
    assert one["rejected_at"] is not None


def test_another_customers_order_and_return_answer_404(api, ada):
    _customer, token, order = ada
    bob = register()
    body = {"reason": "damaged", "lines": [{"order_line_id": order.lines[0].id, "quantity": 1}]}
    api("POST", f"/account/orders/{order.number}/returns", 404, token=bob.token.raw, json=body)
    api("POST", "/account/orders/999999999/returns", 404, token=token, json=body)

    mine = api("POST", f"/account/orders/{order.number}/returns", 201, token=token, json=body)
    return_id = mine.get_json()["data"]["id"]
    api("GET", f"/account/returns/{return_id}", 404, token=bob.token.raw)
    assert api("GET", "/account/returns", 200, token=bob.token.raw).get_json()["data"] == []
    api("GET", "/account/returns", 401)
    api("POST", f"/account/orders/{order.number}/returns", 401, json=body)


def test_more_than_was_shipped_is_refused_naming_the_line(api, db_session):
    grant = register()
    order = shipped_order(lines=((3, 1000),), shipped=(1,), customer_id=grant.customer.id)
    line_id, sku = order.lines[0].id, order.lines[0].sku
    url = f"/account/orders/{order.number}/returns"

    body = {"reason": "damaged", "lines": [{"order_line_id": line_id, "quantity": 2}]}
    refused = api("POST", url, 400, token=grant.token.raw, json=body).get_json()["error"]
    assert refused["code"] == "invalid_input"
    assert refused["details"]["fields"] == {
        f"lines.{line_id}": f"only 1 of {sku} can be returned (1 shipped)"
    }
    assert sku in refused["message"]

    bad = {"reason": "whim", "lines": [{"sku": "NOPE", "quantity": 1}]}
    fields = api("POST", url, 400, token=grant.token.raw, json=bad).get_json()["error"]["details"]
    assert fields["fields"] == {"lines[0].sku": "is not a SKU of this order"}
    empty = api("POST", url, 400, token=grant.token.raw, json={"reason": "damaged", "lines": []})
    assert empty.get_json()["error"]["details"]["fields"] == {
        "lines": "choose at least one unit to return"
    }

    body["lines"][0]["quantity"] = 1
    api("POST", url, 201, token=grant.token.raw, json=body)
