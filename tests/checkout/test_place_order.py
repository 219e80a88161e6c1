"""place_order at the service level: tax-inclusive shops, tax-exempt buyers and gift cards paying
it all still give orders whose amounts add up (the database's CHECKs hold them to it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commerce import db
from commerce.carts import service as carts
from commerce.carts.reading import read_cart
from commerce.checkout.service import place_order, start_checkout
from commerce.events import OutboxEvent
from commerce.inventory.models import StockLevel
from commerce.pricing import rules
from commerce.shipping.models import ShippingMethod
from commerce.shipping.service import load_default_shipping
from tests.carts.factories import (
    ADDRESS,
    SHOPPER,
    STAFF,
    make_customer,
    make_gift_card,
    make_tax_zone,
    make_variant,
)
from tests.inventory.factories import ledger_mismatches


@pytest.fixture
def inclusive(app):
    app.config["PRICES_INCLUDE_TAX"] = True
    yield
    app.config["PRICES_INCLUDE_TAX"] = False


def ready_cart(variant, *, customer=None, quantity=1):
    """A cart with the line, email, German address and the cheapest method, read once."""
    if customer is not None:
        cart = carts.get_cart_for_customer(customer.id, actor=SHOPPER)
    else:
        cart, _ = carts.create_guest_cart(actor=SHOPPER)
    carts.add_item(cart.id, variant.id, quantity, actor=SHOPPER)
    carts.set_email(cart.id, "buyer@example.com", actor=SHOPPER)
    carts.set_addresses(cart.id, shipping_address=ADDRESS, billing_address=None, actor=SHOPPER)
    method = db.session.scalar(
        select(ShippingMethod).where(ShippingMethod.code == "standard").limit(1)
    )
    carts.set_shipping_method(cart.id, method.id, actor=SHOPPER)
    read_cart(cart.id)
    return cart


def test_tax_inclusive_prices_keep_the_price_and_show_the_tax_inside(db_session, inclusive):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    variant = make_variant(11900, stock=3)

    order = place_order(
        ready_cart(variant).id, idempotency_key="k", payment_method="bank_transfer", actor=SHOPPER
    ).order

    assert order.prices_include_tax and order.subtotal_amount == 11900
    line = order.lines[0]
    assert (line.tax_included, line.tax_amount, line.total_amount) == (True, 1900, 11900)
    assert order.total_amount == 11900 + order.shipping_amount
    assert order.tax_amount == 1900 + round(order.shipping_amount * 19 / 119)


def test_a_tax_exempt_buyer_pays_net_prices_and_the_order_says_why(db_session, inclusive):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    variant = make_variant(11900, stock=3)
    group = rules.create_customer_group("Embassies", tax_exempt=True, actor=STAFF)
    customer = make_customer()
    rules.set_customer_group(customer.id, group.id, actor=STAFF)

    order = place_order(
        ready_cart(variant, customer=customer).id,
        idempotency_key="k",
        payment_method="bank_transfer",
        actor=SHOPPER,
    ).order

    line = order.lines[0]
    assert (line.unit_price_amount, line.discount_amount, line.tax_amount) == (11900, 1900, 0)
    assert line.total_amount == 10000 and order.tax_amount == 0
    assert {"kind": "tax_exemption", "amount": 1900} in order.adjustments


def test_gift_cards_paying_everything_make_a_paid_order(db_session):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    variant = make_variant(1000, stock=3)
    cart = ready_cart(variant)
    card = make_gift_card(10000)
    carts.add_gift_card(cart.id, card.code, actor=SHOPPER)
    read_cart(cart.id)

    order = place_order(cart.id, idempotency_key="k", payment_method="stripe", actor=SHOPPER).order

    assert (order.status, order.payment_status, order.payment_method) == ("paid", "paid", None)
    assert order.gift_card_amount == order.total_amount and order.amount_due == 0
    names = set(db_session.scalars(select(OutboxEvent.name)))
    assert {"order.placed", "order.paid"} <= names


def test_a_hold_for_other_quantities_is_given_back_and_the_order_allocated_afresh(db_session):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    variant = make_variant(1000, stock=5)
    cart = ready_cart(variant, quantity=2)
    start_checkout(cart.id, actor=SHOPPER)
    line = cart.lines[0]
    carts.set_quantity(cart.id, line.id, 3, actor=SHOPPER)
    read_cart(cart.id)

    place_order(cart.id, idempotency_key="k", payment_method="bank_transfer", actor=SHOPPER)

    level = db_session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == variant.id)
        .execution_options(populate_existing=True)
    )
    assert (level.on_hand, level.allocated, level.reserved) == (5, 3, 0)
    assert ledger_mismatches(db_session) == []
