"""place_order at the service level: tax-inclusive shops, tax-exempt buyers and gift cards paying
it all still give orders whose amounts add up (the database's CHECKs hold them to it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce import db
from commerce.carts import service as carts
from commerce.carts.models import Cart
from commerce.carts.reading import read_cart
from commerce.catalog import service as catalog
from commerce.checkout.service import CartChanged, place_order, start_checkout
from commerce.errors import Conflict
from commerce.events import OutboxEvent
from commerce.inventory.models import StockLevel
from commerce.orders.models import Order
from commerce.pricing import rules
from commerce.pricing.errors import VoucherRejected
from commerce.pricing.models import Voucher, VoucherRedemption
from commerce.shipping.models import ShippingMethod
from commerce.shipping.service import load_default_shipping
from tests.carts.factories import (
    ADDRESS,
    SHOPPER,
    STAFF,
    make_customer,
    make_gift_card,
    make_promotion,
    make_tax_zone,
    make_variant,
    make_voucher,
    now_plus,
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


def _stock(variant_id: int) -> tuple[int, int, int]:
    level = db.session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id)
        .execution_options(populate_existing=True)
    )
    return level.on_hand, level.allocated, level.reserved


def test_a_voucher_a_promotion_and_gift_cards_land_on_the_order_as_the_cart_showed_them(
    db_session,
):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    shirt, mug = make_variant(4000, stock=5), make_variant(1500, stock=5)
    promotion = make_promotion(percent="10")
    voucher = make_voucher(kind="fixed", amount=500)
    cart = ready_cart(shirt, quantity=2)
    carts.add_item(cart.id, mug.id, 1, actor=SHOPPER)
    carts.set_voucher(cart.id, voucher.code.lower(), actor=SHOPPER)
    first, second = make_gift_card(1000), make_gift_card(500)
    carts.add_gift_card(cart.id, second.code, actor=SHOPPER)
    carts.add_gift_card(cart.id, first.code, actor=SHOPPER)
    shown = read_cart(cart.id).quote  # without shipping: the order adds the chosen method

    order = place_order(cart.id, idempotency_key="k", payment_method="stripe", actor=SHOPPER).order

    assert [(line.sku, line.quantity) for line in order.lines] == [(shirt.sku, 2), (mug.sku, 1)]
    assert [line.discount_amount for line in order.lines] == [line.discount for line in shown.lines]
    assert order.subtotal_amount == 9500 and order.discount_amount == shown.discount
    kinds = [adjustment["kind"] for adjustment in order.adjustments]
    assert kinds == ["promotion", "voucher", "gift_card", "gift_card"]
    # Gift cards pay in the order they were added.
    assert [a["amount"] for a in order.adjustments if a["kind"] == "gift_card"] == [500, 1000]
    assert order.gift_card_amount == 1500 and order.amount_due == order.total_amount - 1500
    assert order.adjustments[0]["promotion_id"] == promotion.id
    redemption = db_session.scalar(
        select(VoucherRedemption).where(VoucherRedemption.order_id == order.id)
    )
    assert (redemption.voucher_id, redemption.amount) == (voucher.id, 500)
    assert db_session.get(Voucher, voucher.id, populate_existing=True).times_used == 1
    assert _stock(shirt.id) == (5, 2, 0) and _stock(mug.id) == (5, 1, 0)
    assert ledger_mismatches(db_session) == []


def test_a_product_taken_off_sale_refuses_the_order_naming_the_line(db_session):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    kept, gone = make_variant(1000, stock=3), make_variant(2000, stock=3, title="Old Lamp")
    cart = ready_cart(kept)
    carts.add_item(cart.id, gone.id, 1, actor=SHOPPER)
    read_cart(cart.id)
    catalog.set_status([gone.product_id], "archived", actor=STAFF)

    with pytest.raises(CartChanged) as refused:
        place_order(cart.id, idempotency_key="k", payment_method="bank_transfer", actor=SHOPPER)

    [notice] = refused.value.details["notices"]
    assert notice["code"] == "line_removed" and notice["sku"] == gone.sku
    assert "Old Lamp is no longer for sale" in notice["message"]
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0
    assert db_session.get(Cart, cart.id, populate_existing=True).status == "open"
    assert _stock(kept.id) == (3, 0, 0)


def test_a_voucher_that_expired_since_it_was_added_refuses_the_order(db_session):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    variant = make_variant(3000, stock=3)
    voucher = make_voucher(ends_at=now_plus(1))
    cart = ready_cart(variant)
    carts.set_voucher(cart.id, voucher.code, actor=SHOPPER)
    read_cart(cart.id)
    db_session.get(Voucher, voucher.id).ends_at = now_plus(-0.01)
    db_session.commit()

    with pytest.raises(VoucherRejected) as refused:
        place_order(cart.id, idempotency_key="k", payment_method="bank_transfer", actor=SHOPPER)

    assert refused.value.details["reason"] == "expired"
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0
    assert _stock(variant.id) == (3, 0, 0)


def test_an_ordered_cart_names_its_order_to_a_new_key(db_session):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    cart = ready_cart(make_variant(1000, stock=3))
    order = place_order(cart.id, idempotency_key="k1", payment_method="stripe", actor=SHOPPER).order

    again = place_order(cart.id, idempotency_key="k1", payment_method="stripe", actor=SHOPPER)
    with pytest.raises(Conflict) as refused:
        place_order(cart.id, idempotency_key="k2", payment_method="stripe", actor=SHOPPER)

    assert (again.created, again.order.id) == (False, order.id)
    assert refused.value.details == {"order_number": order.number}
    assert f"order #{order.number}" in str(refused.value)
