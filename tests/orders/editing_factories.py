"""Helpers for order editing, draft and payment link tests: a shop with German tax and the
default shipping methods, orders made as staff make them (a draft sent to the buyer), and a
payment link paid the way a buyer pays it (the link's API, the local Stripe server, a signed
webhook)."""

from __future__ import annotations

import re

from sqlalchemy import select

from commerce import db
from commerce.audit import Actor
from commerce.orders.drafts import create_draft_order, send_draft_order
from commerce.orders.models import Order
from commerce.shipping.models import ShippingMethod
from commerce.shipping.service import load_default_shipping
from tests.carts.factories import ADDRESS, make_tax_zone

CLERK = Actor(kind="staff", id=None, label="support@shop.example")
LINK = re.compile(r"http://shop\.example/api/v1/pay/([A-Za-z0-9_\-]+)")


def shop() -> int:
    """German VAT at 19 % and the default shipping methods; returns the standard method's id."""
    make_tax_zone("DE", "0.19")
    load_default_shipping(CLERK)
    return db.session.scalar(
        select(ShippingMethod.id).where(ShippingMethod.code == "standard").limit(1)
    )


def draft(method_id: int, lines: dict[int, int], email: str = "phone@example.com") -> Order:
    """A draft order for the German address with the standard method."""
    return create_draft_order(
        email=email,
        lines=lines,
        shipping_address=ADDRESS,
        shipping_method_id=method_id,
        actor=CLERK,
    )


def link_tokens(mailbox, to: str, purpose: str | None = None) -> list[str]:
    """The payment link tokens emailed to `to` (for `purpose`, "order edit" or "draft order",
    when given)."""
    tokens = []
    for message in mailbox():
        if message["To"] == to and message["X-Template"] == "payment_link":
            text = message.get_body(("plain",)).get_content()
            if purpose is None or f"({purpose})" in text:
                tokens += LINK.findall(text)
    return tokens


def pay_link(client, stripe_server, gateway, token: str) -> dict:
    """Open the link, pay its PaymentIntent with a test card and deliver the signed webhook.
    Returns the webhook's JSON answer."""
    opened = client.get(f"/api/v1/pay/{token}")
    assert opened.status_code == 200, opened.get_json()
    intent = opened.get_json()["payment_intent"]
    gateway.confirm_payment_intent(intent, "pm_card_visa", idempotency_key=f"confirm-{intent}")
    body, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )
    response = client.post(
        "/api/v1/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    return response.get_json()


def paid_order(client, stripe_server, gateway, mailbox, method_id, lines) -> Order:
    """An order staff drafted, sent, and the buyer paid through its link."""
    order = draft(method_id, lines)
    send_draft_order(order.id, actor=CLERK)
    (token,) = link_tokens(mailbox, order.email)
    assert pay_link(client, stripe_server, gateway, token)["outcome"] == "paid"
    return db.session.get(Order, order.id, populate_existing=True)
