"""/api/v1/account/...returns: a signed-in customer asks to return units of one of their orders,
lists their returns and reads one. The views read the JSON body and the bearer token, call
commerce.returns and answer `{"data": ...}`; errors use the API's one envelope. Answers are
`Cache-Control: private, no-store` (accounts.py sets it for everything under /account)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from commerce.errors import InvalidInput
from commerce.returns import queries, service
from storefront_api import api, openapi
from storefront_api.auth import actor, current_customer, customer_required
from storefront_api.return_schemas import RETURN_PATHS, RETURN_SCHEMAS
from storefront_api.text_input import json_body

openapi.register(RETURN_PATHS, RETURN_SCHEMAS)


def _lines(order_id: int, raw: Any) -> dict[Any, Any]:
    """The body's `lines` list as the service's {order_line_id: {"quantity", "reason"}}. Raises
    InvalidInput naming `lines` or `lines[i]`."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(
            "lines: choose at least one unit to return",
            fields={"lines": "choose at least one unit to return"},
        )
    by_sku = any(isinstance(item, dict) and "sku" in item for item in raw)
    skus = queries.line_ids_by_sku(order_id) if by_sku else {}
    lines: dict[Any, Any] = {}
    for index, item in enumerate(raw):
        field = f"lines[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{field}: must be an object", fields={field: "must be an object"})
        key = item.get("order_line_id")
        if key is None and isinstance(item.get("sku"), str):
            ids = skus.get(item["sku"], [])
            if len(ids) != 1:
                problem = (
                    "is not a SKU of this order"
                    if not ids
                    else "names several lines; send order_line_id"
                )
                raise InvalidInput(f"{field}.sku: {problem}", fields={f"{field}.sku": problem})
            key = ids[0]
        if key is None or isinstance(key, bool) or not isinstance(key, int | str):
            problem = "send order_line_id or sku"
            raise InvalidInput(f"{field}: {problem}", fields={field: problem})
        if key in lines:
            problem = "names a line twice"
            raise InvalidInput(f"{field}: {problem}", fields={field: problem})
        lines[key] = {"quantity": item.get("quantity"), "reason": item.get("reason")}
    return lines


@api.post("/account/orders/<int:number>/returns")
@customer_required
def open_account_return(number: int):
    """Ask to return units of one of the customer's orders (201). Raises NotFound (404, also for
    another customer's order), InvalidInput (400) naming `reason`, `note` or the line."""
    customer = current_customer()
    order_id = queries.customer_order_id(customer.id, number)
    body = json_body()
    ret = service.open_return(
        order_id,
        _lines(order_id, body.get("lines")),
        body.get("reason"),
        actor=actor(),
        customer_id=customer.id,
        note=body.get("note"),
    )
    return jsonify({"data": queries.customer_return(customer.id, ret.id)}), 201


@api.get("/account/returns")
@customer_required
def list_account_returns():
    """The customer's returns, newest first."""
    return jsonify({"data": queries.customer_returns(current_customer().id)})


@api.get("/account/returns/<int:return_id>")
@customer_required
def get_account_return(return_id: int):
    """One of the customer's returns. Raises NotFound (404), also for another customer's."""
    return jsonify({"data": queries.customer_return(current_customer().id, return_id)})
