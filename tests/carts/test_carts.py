"""Carts: guest carts behind a hashed token, one open cart per customer, lines checked against what
is available, merging at sign-in, and every read re-checking and re-pricing the lines."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from commerce.carts import service as carts
from commerce.carts.errors import VariantUnavailable
from commerce.carts.models import Cart, CartLine
from commerce.carts.reading import price_cart, read_cart
from commerce.errors import InvalidInput, NotFound
from commerce.events import OutboxEvent
from commerce.inventory import service as inventory
from commerce.inventory.errors import OutOfStock
from commerce.pricing import rules
from commerce.pricing.errors import GiftCardRejected, VoucherRejected
from tests.carts.factories import (
    ADDRESS,
    SHOPPER,
    STAFF,
    make_customer,
    make_gift_card,
    make_tax_zone,
    make_variant,
    make_voucher,
    now_plus,
)


def guest_cart():
    cart, token = carts.create_guest_cart(actor=SHOPPER)
    return cart.id, token


def test_a_guest_cart_is_found_by_its_token_which_is_stored_only_hashed(db_session):
    cart, token = carts.create_guest_cart(actor=SHOPPER)

    assert len(token) >= 40
    assert carts.get_cart_for_token(token).id == cart.id
    stored = db_session.execute(
        text("SELECT token_hash FROM carts WHERE id = :id"), {"id": cart.id}
    )
    assert stored.scalar() not in (token, None)
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "short"):
        with pytest.raises(NotFound):
            carts.get_cart_for_token(wrong)
    assert carts.cart_reference(cart) == f"cart:{cart.id}"


def test_a_customer_has_one_open_cart(db_session):
    customer = make_customer()
    first = carts.get_cart_for_customer(customer.id, actor=SHOPPER)
    assert carts.get_cart_for_customer(customer.id, actor=SHOPPER).id == first.id
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(Cart(customer_id=customer.id, currency="EUR", status="open"))
        db_session.flush()


def test_adding_a_variant_twice_adds_to_its_line(db_session):
    cart_id, _ = guest_cart()
    variant = make_variant(1500, stock=5)

    carts.add_item(cart_id, variant.id, 2, actor=SHOPPER)
    line = carts.add_item(cart_id, variant.id, 1, actor=SHOPPER)

    assert line.quantity == 3
    view = read_cart(cart_id)
    assert [(item.priced.sku, item.priced.quantity, item.available) for item in view.lines] == [
        (variant.sku, 3, 5)
    ]
    assert view.quote.subtotal == 4500


def test_more_than_is_available_is_refused_naming_the_line_and_what_is_available(db_session):
    cart_id, _ = guest_cart()
    variant = make_variant(1500, stock=3, sku="MUG-BLUE")
    carts.add_item(cart_id, variant.id, 2, actor=SHOPPER)

    with pytest.raises(OutOfStock) as refused:
        carts.add_item(cart_id, variant.id, 2, actor=SHOPPER)

    assert refused.value.status == 409
    assert "MUG-BLUE" in refused.value.message and "3 available" in refused.value.message
    [short] = refused.value.details["lines"]
    assert (short["sku"], short["requested"], short["available"]) == ("MUG-BLUE", 4, 3)
    assert short["line_id"] is not None
    line = db_session.scalar(select(CartLine).where(CartLine.cart_id == cart_id))
    db_session.refresh(line)
    assert line.quantity == 2  # nothing changed


def test_digital_and_backorderable_variants_have_no_stock_limit(db_session):
    cart_id, _ = guest_cart()
    ebook = make_variant(900, stock=None, is_digital=True)
    preorder = make_variant(4000, stock=None)
    inventory.set_inventory_policy(preorder.id, "allow", None, actor=STAFF)

    carts.add_item(cart_id, ebook.id, 50, actor=SHOPPER)
    carts.add_item(cart_id, preorder.id, 7, actor=SHOPPER)

    assert [line.available for line in read_cart(cart_id).lines] == [None, None]


def test_an_unknown_or_unpublished_variant_cannot_be_added(db_session):
    cart_id, _ = guest_cart()
    draft = make_variant(1000, status="draft")
    future = make_variant(1000, published_at=now_plus(3))

    for variant_id in (999_999, draft.id, future.id):
        with pytest.raises(VariantUnavailable) as refused:
            carts.add_item(cart_id, variant_id, 1, actor=SHOPPER)
        assert refused.value.status == 422
        assert "variant_id" in refused.value.details["fields"]
    with pytest.raises(InvalidInput):
        carts.add_item(cart_id, "7", 1, actor=SHOPPER)
    with pytest.raises(InvalidInput):
        carts.add_item(cart_id, draft.id, 0, actor=SHOPPER)


def test_an_id_too_large_for_the_database_is_invalid_input_naming_its_field(db_session):
    cart_id, _ = guest_cart()

    with pytest.raises(InvalidInput) as refused:
        carts.add_item(cart_id, 2**63, 1, actor=SHOPPER)
    assert refused.value.fields == {"variant_id": "must be an id"}
    with pytest.raises(InvalidInput) as refused:
        carts.set_shipping_method(cart_id, 2**63, actor=SHOPPER)
    assert refused.value.fields == {"shipping_method_id": "must be an id"}


def test_a_line_can_be_changed_and_removed_and_zero_removes_it(db_session):
    cart_id, _ = guest_cart()
    a, b = make_variant(1000, stock=5), make_variant(2000, stock=5)
    line_a = carts.add_item(cart_id, a.id, 1, actor=SHOPPER)
    line_b = carts.add_item(cart_id, b.id, 1, actor=SHOPPER)

    carts.set_quantity(cart_id, line_a.id, 4, actor=SHOPPER)
    with pytest.raises(OutOfStock):
        carts.set_quantity(cart_id, line_a.id, 6, actor=SHOPPER)
    carts.set_quantity(cart_id, line_b.id, 0, actor=SHOPPER)
    assert [(line.priced.sku, line.priced.quantity) for line in read_cart(cart_id).lines] == [
        (a.sku, 4)
    ]
    carts.remove_item(cart_id, line_a.id, actor=SHOPPER)
    assert read_cart(cart_id).lines == ()
    with pytest.raises(NotFound):
        carts.remove_item(cart_id, line_a.id, actor=SHOPPER)


def test_a_line_of_another_cart_is_not_found(db_session):
    mine, _ = guest_cart()
    theirs, _ = guest_cart()
    line = carts.add_item(theirs, make_variant().id, 1, actor=SHOPPER)
    with pytest.raises(NotFound):
        carts.set_quantity(mine, line.id, 2, actor=SHOPPER)


def test_merging_adds_quantities_capped_by_what_is_available_and_closes_the_guest_cart(db_session):
    customer = make_customer()
    scarce = make_variant(1000, stock=4, sku="SCARCE")
    plenty = make_variant(500, stock=50, sku="PLENTY")
    gone = make_variant(700, stock=5, sku="GONE")
    mine = carts.get_cart_for_customer(customer.id, actor=SHOPPER)
    carts.add_item(mine.id, scarce.id, 3, actor=SHOPPER)
    guest_id, token = guest_cart()
    carts.add_item(guest_id, scarce.id, 3, actor=SHOPPER)
    carts.add_item(guest_id, plenty.id, 2, actor=SHOPPER)
    carts.add_item(guest_id, gone.id, 1, actor=SHOPPER)
    carts.set_email(guest_id, "ada@example.com", actor=SHOPPER)
    gone.product.status = "archived"
    db_session.commit()

    result = carts.merge_guest_cart(token, customer.id, actor=SHOPPER)

    assert result.cart.id == mine.id
    assert result.capped == (
        {"sku": "SCARCE", "variant_id": scarce.id, "requested": 6, "available": 4, "quantity": 4},
    )
    assert result.dropped == ({"sku": "GONE", "variant_id": gone.id},)
    view = read_cart(mine.id)
    assert sorted((line.priced.sku, line.priced.quantity) for line in view.lines) == [
        ("PLENTY", 2),
        ("SCARCE", 4),
    ]
    assert view.cart.email == "ada@example.com"
    with pytest.raises(NotFound):
        carts.get_cart_for_token(token)
    assert db_session.get(Cart, guest_id).status == "merged"


def test_a_read_shows_a_changed_price_once_and_prices_the_new_one(db_session):
    cart_id, _ = guest_cart()
    variant = make_variant(1000, stock=5)
    carts.add_item(cart_id, variant.id, 2, actor=SHOPPER)
    variant.price_amount = 1250
    db_session.commit()

    first = read_cart(cart_id)
    second = read_cart(cart_id)

    [notice] = first.notices
    assert (notice.code, notice.sku, dict(notice.details)) == (
        "price_changed",
        variant.sku,
        {"old": 1000, "new": 1250},
    )
    assert "10.00 EUR" in notice.message and "12.50 EUR" in notice.message
    assert first.quote.subtotal == second.quote.subtotal == 2500
    assert second.notices == ()


def test_a_read_removes_a_line_whose_product_was_unpublished(db_session):
    cart_id, _ = guest_cart()
    kept, withdrawn = make_variant(1000), make_variant(2000, title="Limited Poster")
    carts.add_item(cart_id, kept.id, 1, actor=SHOPPER)
    carts.add_item(cart_id, withdrawn.id, 1, actor=SHOPPER)
    withdrawn.product.status = "draft"
    db_session.commit()

    preview = price_cart(cart_id)  # writes nothing
    assert [n.code for n in preview.notices] == ["line_removed"]
    view = read_cart(cart_id)

    [notice] = view.notices
    assert notice.code == "line_removed" and "Limited Poster" in notice.message
    assert [line.priced.sku for line in view.lines] == [kept.sku]
    assert view.quote.total == 1000
    assert read_cart(cart_id).notices == ()
    assert db_session.scalars(
        select(CartLine.variant_id).where(CartLine.cart_id == cart_id)
    ).all() == [kept.id]


def test_a_read_flags_a_line_when_stock_fell_below_its_quantity(db_session):
    cart_id, _ = guest_cart()
    variant = make_variant(1000, stock=5)
    carts.add_item(cart_id, variant.id, 4, actor=SHOPPER)
    level = inventory.stock_for_variant(variant.id)[0]
    inventory.adjust_stock(variant.id, level.warehouse_id, -3, "damaged", actor=STAFF)

    [notice] = read_cart(cart_id).notices
    assert notice.code == "insufficient_stock"
    assert dict(notice.details) == {"requested": 4, "available": 2}


def test_a_customer_in_a_group_sees_the_group_price(db_session):
    customer = make_customer()
    variant = make_variant(2000)
    group = rules.create_customer_group("Trade", actor=STAFF)
    rules.set_group_price(group.id, variant.id, 1600, actor=STAFF)
    rules.set_customer_group(customer.id, group.id, actor=STAFF)
    cart = carts.get_cart_for_customer(customer.id, actor=SHOPPER)

    carts.add_item(cart.id, variant.id, 1, actor=SHOPPER)
    view = read_cart(cart.id)

    assert view.notices == ()
    assert view.lines[0].priced.unit_price == 1600


def test_a_voucher_is_checked_when_it_is_set_and_on_every_read(db_session):
    cart_id, _ = guest_cart()
    variant = make_variant(3000, stock=5)
    line = carts.add_item(cart_id, variant.id, 2, actor=SHOPPER)
    make_voucher("BIG50", kind="fixed", amount=1000, minimum_subtotal_amount=5000)

    with pytest.raises(VoucherRejected) as refused:
        carts.set_voucher(cart_id, "nope", actor=SHOPPER)
    assert refused.value.reason == "unknown"
    carts.set_voucher(cart_id, "big50", actor=SHOPPER)
    assert read_cart(cart_id).quote.discount == 1000

    carts.set_quantity(cart_id, line.id, 1, actor=SHOPPER)
    view = read_cart(cart_id)
    assert view.quote.discount == 0
    [notice] = view.notices
    assert (notice.code, notice.details["reason"]) == ("voucher_not_applied", "minimum_not_met")
    carts.remove_voucher(cart_id, actor=SHOPPER)
    assert read_cart(cart_id).notices == ()


def test_gift_cards_are_checked_when_added_and_pay_after_tax(db_session):
    make_tax_zone("DE", "0.19")
    cart_id, _ = guest_cart()
    carts.add_item(cart_id, make_variant(10000).id, 1, actor=SHOPPER)
    carts.set_addresses(cart_id, shipping_address=ADDRESS, billing_address=None, actor=SHOPPER)
    issued = make_gift_card(5000)

    with pytest.raises(GiftCardRejected):
        carts.add_gift_card(cart_id, "AAAA-BBBB-CCCC-DDDD", actor=SHOPPER)
    carts.add_gift_card(cart_id, issued.code, actor=SHOPPER)
    carts.add_gift_card(cart_id, issued.code.lower(), actor=SHOPPER)  # once is enough

    quote = read_cart(cart_id).quote
    assert (quote.tax, quote.total, quote.gift_card_total, quote.amount_due) == (
        1900,
        11900,
        5000,
        6900,
    )
    carts.remove_gift_card(cart_id, issued.gift_card.id, actor=SHOPPER)
    assert read_cart(cart_id).quote.amount_due == 11900


def test_addresses_and_email_are_validated_field_by_field(db_session):
    cart_id, _ = guest_cart()
    bad = {**ADDRESS, "country": "Germany", "line1": "", "colour": "blue"}

    with pytest.raises(InvalidInput) as refused:
        carts.set_addresses(cart_id, shipping_address=bad, billing_address=ADDRESS, actor=SHOPPER)
    assert set(refused.value.fields) == {
        "shipping_address.country",
        "shipping_address.line1",
        "shipping_address.colour",
    }
    with pytest.raises(InvalidInput) as refused:
        carts.set_email(cart_id, "not-an-email", actor=SHOPPER)
    assert "email" in refused.value.fields

    cart = carts.set_addresses(
        cart_id,
        shipping_address={**ADDRESS, "country": "de"},
        billing_address=None,
        actor=SHOPPER,
    )
    assert cart.shipping_address["country"] == "DE"
    assert carts.set_email(cart_id, "Ada@Example.COM", actor=SHOPPER).email == "Ada@example.com"
    assert carts.set_shipping_method(cart_id, 3, actor=SHOPPER).shipping_method_id == 3


def test_a_converted_cart_is_closed(db_session):
    cart_id, token = guest_cart()
    held = db_session.get(Cart, cart_id)
    carts.mark_cart_converted(cart_id, order_id=None, actor=SHOPPER)
    assert (held.status, held.closed_at is not None) == ("converted", True)  # the session agrees
    with pytest.raises(NotFound):
        carts.get_cart_for_token(token)
    with pytest.raises(NotFound):
        carts.add_item(cart_id, make_variant().id, 1, actor=SHOPPER)
    status, closed_at = db_session.execute(
        select(Cart.status, Cart.closed_at).where(Cart.id == cart_id)
    ).one()
    assert status == "converted" and closed_at is not None
    [payload] = db_session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.name == "cart.converted")
    )
    assert payload == {"cart_id": cart_id, "order_id": None, "actor_kind": SHOPPER.kind}
    with pytest.raises(NotFound):  # only an open cart converts, once
        carts.mark_cart_converted(cart_id, order_id=None, actor=SHOPPER)
