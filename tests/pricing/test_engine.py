"""The pricing engine applies its precedence: price list, automatic promotions, voucher, shipping,
tax, gift cards, and order discounts are spread over lines to the minor unit."""

from __future__ import annotations

import pytest

from commerce.errors import InvalidInput
from commerce.pricing import rules, vouchers
from commerce.pricing.engine import allocate, quote
from commerce.pricing.errors import VoucherRejected
from commerce.pricing.quotes import PricingLine
from tests.carts.factories import (
    ADDRESS,
    STAFF,
    make_customer,
    make_gift_card,
    make_promotion,
    make_tax_zone,
    make_variant,
    make_voucher,
    now_plus,
)
from tests.storefront_api.catalog_factories import make_category


def lines(*pairs):
    """PricingLines keyed "0", "1", ... from (variant, quantity) pairs."""
    return [PricingLine(str(i), variant.id, qty) for i, (variant, qty) in enumerate(pairs)]


def test_a_group_price_list_price_beats_the_variant_price(db_session):
    variant = make_variant(2000)
    group = rules.create_customer_group("Wholesale", actor=STAFF)
    rules.set_group_price(group.id, variant.id, 1500, actor=STAFF)
    member, outsider = make_customer(), make_customer()
    rules.set_customer_group(member.id, group.id, actor=STAFF)

    for_member = quote(lines((variant, 2)), currency="EUR", customer_id=member.id)
    for_outsider = quote(lines((variant, 2)), currency="EUR", customer_id=outsider.id)
    for_guest = quote(lines((variant, 2)), currency="EUR")

    assert (for_member.lines[0].unit_price, for_member.lines[0].price_source) == (
        1500,
        "price_list",
    )
    assert for_member.subtotal == 3000
    assert for_outsider.lines[0].unit_price == for_guest.lines[0].unit_price == 2000


def test_the_best_automatic_promotion_applies_then_the_voucher_on_what_is_left(db_session):
    shoes = make_category(name="Shoes")
    boots = make_variant(10000, category=shoes)
    make_promotion(percent="10", scope="categories", category_ids=[shoes.id])  # 10.00 off
    fixed = make_promotion(
        "fixed", amount=1500, scope="products", product_ids=[boots.product_id]
    )  # 15.00 off: the better one
    voucher = make_voucher("TENOFF", percent="10")

    priced = quote(lines((boots, 1)), currency="EUR", voucher_code="tenoff")

    line = priced.lines[0]
    assert [p.promotion_id for p in line.promotions] == [fixed.id]
    assert line.promotion_discount == 1500
    assert line.voucher_discount == 850  # 10 % of the 85.00 left after the promotion
    assert (priced.discount, priced.total) == (2350, 7650)
    assert priced.voucher.voucher_id == voucher.id


def test_combinable_promotions_add_to_the_best_exclusive_one(db_session):
    variant = make_variant(5000)
    make_promotion(percent="10")
    make_promotion("fixed", amount=200, combinable=True)  # 2.00 off each unit, on top

    priced = quote(lines((variant, 2)), currency="EUR")

    assert priced.lines[0].promotion_discount == 1000 + 400
    assert len(priced.promotions) == 2


def test_a_category_promotion_covers_its_subcategories_only(db_session):
    apparel = make_category(name="Apparel")
    shirts = make_category(parent=apparel, name="Shirts")
    mugs = make_category(name="Mugs")
    shirt, mug = make_variant(3000, category=shirts), make_variant(1000, category=mugs)
    make_promotion(percent="20", scope="categories", category_ids=[apparel.id])

    priced = quote(lines((shirt, 1), (mug, 1)), currency="EUR")

    assert [line.promotion_discount for line in priced.lines] == [600, 0]


def test_a_promotion_that_has_ended_or_is_switched_off_does_not_apply(db_session):
    variant = make_variant(1000)
    make_promotion(percent="50", starts_at=now_plus(-10), ends_at=now_plus(-1))
    off = make_promotion(percent="50")
    rules.set_promotion_active(off.id, False, actor=STAFF)

    assert quote(lines((variant, 1)), currency="EUR").discount == 0


def test_a_free_shipping_voucher_takes_shipping_and_its_tax_off(db_session):
    make_tax_zone("DE", "0.19")
    variant = make_variant(1000)
    make_voucher("SHIPFREE", kind="free_shipping")

    paid = quote(lines((variant, 1)), currency="EUR", shipping_amount=495, address=ADDRESS)
    free = quote(
        lines((variant, 1)),
        currency="EUR",
        shipping_amount=495,
        address=ADDRESS,
        voucher_code="SHIPFREE",
    )

    assert (paid.shipping_tax, paid.total) == (94, 1000 + 190 + 495 + 94)
    assert (free.shipping_discount, free.shipping_tax, free.shipping_total) == (495, 0, 0)
    assert free.discount == 0
    assert free.total == 1190


def test_gift_cards_pay_after_tax_and_keep_what_is_left(db_session):
    make_tax_zone("DE", "0.19")
    variant = make_variant(10000)
    small, large = make_gift_card(5000), make_gift_card(10000)

    priced = quote(
        lines((variant, 1)),
        currency="EUR",
        address=ADDRESS,
        gift_card_ids=[small.gift_card.id, large.gift_card.id],
    )

    assert priced.tax == 1900  # on the full 100.00: a gift card is a tender, not a discount
    assert priced.tax_result.lines[0].amount == 10000
    assert priced.total == 11900
    assert [(g.amount, g.balance_after) for g in priced.gift_cards] == [(5000, 0), (6900, 3100)]
    assert priced.amount_due == 0


def test_an_order_discount_is_spread_proportionally_and_sums_exactly(db_session):
    a, b, c = make_variant(1000), make_variant(2000), make_variant(3000)
    make_voucher("TENEUROS", kind="fixed", amount=1000)

    priced = quote(lines((a, 1), (b, 1), (c, 1)), currency="EUR", voucher_code="TENEUROS")

    # floor shares 166 + 333 + 500 = 999; the remaining cent goes to the largest line.
    assert [line.voucher_discount for line in priced.lines] == [166, 333, 501]
    assert priced.voucher.amount == sum(line.voucher_discount for line in priced.lines) == 1000


@pytest.mark.parametrize(
    ("total", "amounts", "shares"),
    [
        (100, [100, 200, 300], [16, 33, 51]),
        (599, [200, 200, 200], [200, 200, 199]),  # the largest line is full: the next one takes it
        (6000, [1000, 2000, 3000], [1000, 2000, 3000]),
        (0, [5, 7], [0, 0]),
        (7, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
    ],
)
def test_allocation_never_loses_or_overshoots_a_minor_unit(total, amounts, shares):
    result = allocate(total, amounts)
    assert result == shares
    assert sum(result) == total
    assert all(0 <= share <= amount for share, amount in zip(result, amounts, strict=True))


def test_allocation_refuses_more_than_the_lines_are_worth():
    with pytest.raises(InvalidInput):
        allocate(11, [5, 5])


def test_a_tax_exempt_group_pays_no_tax(db_session):
    make_tax_zone("DE", "0.19")
    variant = make_variant(10000)
    group = rules.create_customer_group("Diplomats", tax_exempt=True, actor=STAFF)
    customer = make_customer()
    rules.set_customer_group(customer.id, group.id, actor=STAFF)

    priced = quote(lines((variant, 1)), currency="EUR", customer_id=customer.id, address=ADDRESS)

    assert (priced.tax, priced.tax_status, priced.total) == (0, "exempt", 10000)


def test_prices_that_include_tax_show_the_tax_they_contain(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "PRICES_INCLUDE_TAX", True)
    make_tax_zone("DE", "0.19")
    variant = make_variant(11900)

    priced = quote(lines((variant, 1)), currency="EUR", address=ADDRESS)

    assert priced.prices_include_tax
    assert (priced.tax, priced.total, priced.lines[0].total) == (1900, 11900, 11900)


def test_without_an_address_there_is_no_tax_yet(db_session):
    make_tax_zone("DE", "0.19")
    priced = quote(lines((make_variant(1000), 1)), currency="EUR")
    assert (priced.tax, priced.tax_status, priced.total) == (0, "no_address", 1000)


# --- every reason a voucher is refused --------------------------------------------------------


def _refusal(code, **context):
    variant = context.pop("variant", None) or make_variant(1000)
    with pytest.raises(VoucherRejected) as refused:
        quote(lines((variant, 1)), currency="EUR", voucher_code=code, strict=True, **context)
    lenient = quote(lines((variant, 1)), currency="EUR", voucher_code=code, **context)
    assert lenient.voucher is None and lenient.discount == 0
    assert lenient.voucher_rejection.reason == refused.value.reason
    assert refused.value.status == 422
    return refused.value


def test_an_unknown_voucher_is_refused(db_session):
    assert _refusal("NO-SUCH-CODE").reason == "unknown"


def test_an_expired_voucher_is_refused(db_session):
    make_voucher("OLD", starts_at=now_plus(-30), ends_at=now_plus(-1))
    assert _refusal("OLD").reason == "expired"


def test_a_voucher_not_yet_valid_is_refused(db_session):
    make_voucher("SOON", starts_at=now_plus(1))
    assert _refusal("SOON").reason == "not_yet_valid"


def test_a_used_up_voucher_is_refused(db_session):
    make_voucher("ONCE", usage_limit=1)
    vouchers.record_voucher_redemption(
        "ONCE", reference="order:1", amount=100, currency="EUR", actor=STAFF
    )
    assert _refusal("ONCE").reason == "used_up"


def test_a_voucher_the_customer_used_up_is_refused_for_them_only(db_session):
    make_voucher("WELCOME", usage_limit_per_customer=1)
    customer, other = make_customer(), make_customer()
    vouchers.record_voucher_redemption(
        "WELCOME",
        reference="order:7",
        amount=100,
        currency="EUR",
        customer_id=customer.id,
        actor=STAFF,
    )
    assert _refusal("WELCOME", customer_id=customer.id).reason == "customer_limit_reached"
    assert (
        quote(
            lines((make_variant(1000), 1)),
            currency="EUR",
            voucher_code="WELCOME",
            customer_id=other.id,
        ).voucher
        is not None
    )


def test_a_guest_is_limited_by_email(db_session):
    make_voucher("GUEST1", usage_limit_per_customer=1)
    vouchers.record_voucher_redemption(
        "GUEST1",
        reference="order:8",
        amount=100,
        currency="EUR",
        email="Guest@Example.com",
        actor=STAFF,
    )
    refused = _refusal("GUEST1", email="guest@example.com")
    assert refused.reason == "customer_limit_reached"


def test_a_voucher_whose_minimum_is_not_met_is_refused(db_session):
    make_voucher("BIGSPENDER", minimum_subtotal_amount=5000)
    refused = _refusal("BIGSPENDER")
    assert refused.reason == "minimum_not_met"
    assert refused.details["minimum"] == 5000


def test_a_voucher_for_other_products_is_refused(db_session):
    elsewhere = make_variant(1000)
    make_voucher("ONLYTHAT", scope="products", product_ids=[elsewhere.product_id])
    assert _refusal("ONLYTHAT").reason == "not_applicable"


def test_a_voucher_for_a_category_covers_its_subcategories(db_session):
    apparel = make_category(name="Apparel")
    shirts = make_category(parent=apparel, name="Shirts")
    shirt, other = make_variant(2000, category=shirts), make_variant(1000)
    make_voucher("APPAREL", percent="50", scope="categories", category_ids=[apparel.id])

    priced = quote(lines((shirt, 1), (other, 1)), currency="EUR", voucher_code="APPAREL")

    assert [line.voucher_discount for line in priced.lines] == [1000, 0]
