"""Erasing a customer clears the email and addresses their carts hold (customer.erased)."""

from __future__ import annotations

from sqlalchemy import select

from commerce.audit import Actor, AuditEntry
from commerce.carts import service as carts
from commerce.carts.models import Cart
from commerce.customers import privacy
from commerce.events import OutboxEvent
from jobs.handlers.carts import forget_erased_customer_carts
from jobs.registry import routes
from tests.carts.factories import ADDRESS, SHOPPER, make_customer, make_variant

DPO = Actor(kind="staff", id=1, label="dpo@shop.example")


def filled_cart(customer_id: int) -> Cart:
    cart = carts.get_cart_for_customer(customer_id, actor=SHOPPER)
    carts.add_item(cart.id, make_variant(1000).id, 1, actor=SHOPPER)
    carts.set_email(cart.id, "grace@example.com", marketing_consent=True, actor=SHOPPER)
    carts.set_addresses(cart.id, shipping_address=ADDRESS, billing_address=ADDRESS, actor=SHOPPER)
    return cart


def details(db_session, cart_id: int) -> tuple:
    row = db_session.execute(
        select(Cart.email, Cart.shipping_address, Cart.billing_address, Cart.marketing_consent)
        .where(Cart.id == cart_id)
        .execution_options(populate_existing=True)
    ).one()
    return tuple(row)


def test_an_erased_customers_carts_lose_their_email_and_addresses(db_session):
    customer = make_customer(accepts_marketing=True)
    old = filled_cart(customer.id)
    carts.mark_cart_converted(old.id, actor=SHOPPER)
    current = filled_cart(customer.id)
    someone_else = filled_cart(make_customer().id)

    privacy.erase_customer(customer.id, actor=DPO)
    event = db_session.scalar(
        select(OutboxEvent).where(OutboxEvent.name == "customer.erased")
    ).as_message()

    assert forget_erased_customer_carts(event) == f"cleared 2 cart(s) of customer {customer.id}"
    assert forget_erased_customer_carts(event) == f"cleared 0 cart(s) of customer {customer.id}"

    for cart in (old, current):
        assert details(db_session, cart.id) == (None, None, None, False)
    # SQL NULL, not a JSON null left behind.
    assert db_session.scalar(
        select(Cart.id).where(Cart.id == current.id, Cart.shipping_address.is_(None))
    )
    email, shipping, billing, consent = details(db_session, someone_else.id)
    assert (email, shipping["line1"], billing["line1"], consent) == (
        "grace@example.com",
        ADDRESS["line1"],
        ADDRESS["line1"],
        True,
    )
    assert [line.quantity for line in carts.cart_by_id(current.id).lines] == [1]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "cart.forget_details"))
    assert entry.changes == {"carts_cleared": [None, 2]}
    assert "grace" not in str(entry.changes)


def test_the_handler_subscribes_to_customer_erased():
    handlers = [route.handler for route in routes()["customer.erased"]]
    assert "jobs.handlers.carts.forget_erased_customer_carts" in handlers
