"""The pricing engine: the one place that turns lines into prices, discounts, tax and amount due.

Precedence. Every quote applies these steps in this order, and nothing else prices a cart:

1. Unit price. The customer group's price-list price for the variant, when the customer belongs to
   a group and the group's price list has the variant in the cart's currency; else the variant's
   own price. A line's amount is unit price * quantity (its `subtotal`).
2. Automatic promotions, per line, each computed on the line's amount from step 1:
       percentage   round_half_up(amount * percent / 100)  (half a minor unit goes up)
       fixed        its amount off each unit: amount_off * quantity
   A line gets the single best non-combinable promotion that covers it (the largest discount;
   on a tie the lowest id) plus every combinable one; combinable promotions add up, they do not
   compound. The sum is capped at the line's amount. A promotion covers a line by product, by
   category (a promotion on a category covers its subcategories) or covers everything.
3. Voucher (one per cart), on the amounts left after step 2 of the lines it covers (all, or those
   of its categories with their subcategories, or its products). Its minimum subtotal compares
   with the whole cart's amount after step 2. percentage: round_half_up(covered * percent / 100);
   fixed: min(amount, covered); free_shipping: nothing off the items, see step 4. The discount is
   spread over the covered lines by the allocation rule below, so every line carries its share.
4. Shipping: the amount the shipping context quoted (an input here; none yet counts as 0). A
   free-shipping voucher takes all of it off.
5. Tax: commerce.tax.engine.calculate on every line's amount after steps 2-3 and on shipping after
   step 4, per line, rounded half up there; prices include tax when the app's PRICES_INCLUDE_TAX
   is true (default false); a customer group marked tax exempt pays none. Without an address there
   is no tax yet (`tax_status` "no_address").
6. Gift cards, last, as a tender: in the order they were added, each pays min(its balance, what is
   still due) of the total after tax. They never lower a taxable amount; a card worth more than is
   due keeps the rest of its balance.

Allocation rule for an order-level discount D over lines of amounts a_i (after promotions),
S = sum(a_i): line i gets floor(D * a_i / S); the remainder (fewer minor units than there are
lines) goes one unit at a time to the largest line (highest amount, then earliest in the cart),
moving on to the next largest only when a line has no amount left to discount. The shares add up
to D exactly and no line is discounted below zero.

Totals obey, to the minor unit:
    discount   = sum(line.discount)  (= promotions + voucher)
    total      = sum(line.total) + shipping_total
               = subtotal - discount + shipping - shipping_discount + tax   (prices without tax)
    amount_due = total - sum(gift card applications)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from commerce import db
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.pricing.errors import VoucherRejected
from commerce.pricing.lookups import (
    Item,
    category_ancestors,
    check_voucher_usable,
    covers,
    customer_group,
    find_voucher,
    gift_card_problem,
    load_items,
    normalise_voucher_code,
    price_list_prices,
    running_promotions,
)
from commerce.pricing.models import GiftCard, Promotion, Voucher
from commerce.pricing.quotes import (
    AppliedPromotion,
    AppliedVoucher,
    GiftCardApplication,
    GiftCardProblem,
    PricingLine,
    Quote,
    QuoteLine,
)
from commerce.tax.engine import TaxableLine, TaxResult, calculate, round_half_up
from commerce.tax.models import DEFAULT_TAX_CLASS

HUNDRED = Decimal(100)


# --- pure helpers ----------------------------------------------------------------------------


def allocate(total: int, amounts: Sequence[int]) -> list[int]:
    """Spread `total` over lines of `amounts` by the allocation rule in the module docstring.
    Raises InvalidInput when `total` is negative or exceeds the amounts' sum."""
    whole = sum(amounts)
    if total < 0 or total > whole:
        problem = f"must be between 0 and {whole}"
        raise InvalidInput(f"total: {problem}", fields={"total": problem})
    if total == 0:
        return [0] * len(amounts)
    shares = [total * amount // whole for amount in amounts]
    remainder = total - sum(shares)
    by_size = sorted(range(len(amounts)), key=lambda i: (-amounts[i], i))
    for i in by_size:
        if remainder == 0:
            break
        room = min(amounts[i] - shares[i], remainder)
        shares[i] += room
        remainder -= room
    return shares


def percent_of(amount: int, percent: Decimal) -> int:
    """`percent` % of `amount`, rounded half up to the minor unit."""
    return round_half_up(Decimal(amount) * Decimal(percent) / HUNDRED)


def tax_address(
    shipping_address: Mapping[str, Any] | None,
    billing_address: Mapping[str, Any] | None,
    *,
    ships_goods: bool,
) -> Mapping[str, Any] | None:
    """The address tax is due at: where goods are shipped, or for an all-digital order where the
    buyer lives (billing), each falling back on the other. None when neither is known."""
    if ships_goods:
        return shipping_address or billing_address
    return billing_address or shipping_address


def prices_include_tax() -> bool:
    """The app's PRICES_INCLUDE_TAX setting (False outside an app or when unset)."""
    return bool(current_app.config.get("PRICES_INCLUDE_TAX", False)) if has_app_context() else False


def _promotion_discount(promotion: Promotion, amount: int, quantity: int) -> int:
    if promotion.kind == "percentage":
        return percent_of(amount, Decimal(promotion.percent or 0))
    return min((promotion.amount or 0) * quantity, amount)


def _apply_promotions(
    items: Sequence[Item],
    unit_prices: Mapping[str, int],
    promotions: Sequence[Promotion],
    ancestors: Mapping[int, set[int]],
) -> dict[str, tuple[int, tuple[AppliedPromotion, ...]]]:
    result = {}
    for item in items:
        amount = unit_prices[item.key] * item.quantity
        best: tuple[int, Promotion] | None = None
        applied: list[tuple[int, Promotion]] = []
        for promotion in promotions:
            ids = (promotion.category_ids, promotion.product_ids)
            if not covers(promotion.scope, *ids, item, ancestors):
                continue
            off = _promotion_discount(promotion, amount, item.quantity)
            if off <= 0:
                continue
            if promotion.combinable:
                applied.append((off, promotion))
            elif best is None or off > best[0]:
                best = (off, promotion)
        if best is not None:
            applied.insert(0, best)
        # Cap the sum at the line's amount, taking what does not fit from the last ones applied.
        left = amount
        taken = []
        for off, promotion in applied:
            off = min(off, left)
            left -= off
            if off:
                taken.append(AppliedPromotion(promotion.id, promotion.name, off))
        result[item.key] = (amount - left, tuple(taken))
    return result


def _apply_voucher(
    voucher: Voucher,
    items: Sequence[Item],
    after_promotions: Mapping[str, int],
    ancestors: Mapping[int, set[int]],
    currency: str,
) -> dict[str, int]:
    """{line key: voucher discount}. Raises VoucherRejected (not_applicable, minimum_not_met)."""
    covered = [
        item
        for item in items
        if covers(voucher.scope, voucher.category_ids, voucher.product_ids, item, ancestors)
        and after_promotions[item.key] > 0
    ]
    if voucher.currency != currency or not covered:
        raise VoucherRejected("not_applicable", voucher.code)
    subtotal = sum(after_promotions.values())
    minimum = voucher.minimum_subtotal_amount
    if minimum is not None and subtotal < minimum:
        raise VoucherRejected(
            "minimum_not_met",
            voucher.code,
            extra={"minimum": minimum, "subtotal": subtotal, "currency": currency},
        )
    amounts = [after_promotions[item.key] for item in covered]
    base = sum(amounts)
    if voucher.kind == "percentage":
        total = percent_of(base, Decimal(voucher.percent or 0))
    elif voucher.kind == "fixed":
        total = min(voucher.amount or 0, base)
    else:
        total = 0
    shares = allocate(total, amounts)
    return {item.key: share for item, share in zip(covered, shares, strict=True)}


def _gift_cards(
    gift_card_ids: Sequence[int], currency: str, due: int, now: dt.datetime
) -> tuple[list[GiftCardApplication], list[GiftCardProblem]]:
    if not gift_card_ids:
        return [], []
    cards = {
        card.id: card
        for card in db.session.scalars(select(GiftCard).where(GiftCard.id.in_(gift_card_ids)))
    }
    applied, problems = [], []
    for gift_card_id in dict.fromkeys(gift_card_ids):
        card = cards.get(gift_card_id)
        if card is None:
            continue
        reason = gift_card_problem(card, currency, now)
        if reason is not None:
            problems.append(GiftCardProblem(card.id, card.last4, reason))
            continue
        pays = min(card.balance_amount, due)
        due -= pays
        applied.append(
            GiftCardApplication(
                card.id, card.last4, pays, card.balance_amount, card.balance_amount - pays
            )
        )
    return applied, problems


def _check_shipping(amount: object) -> None:
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or amount < 0
    ):
        problem = "must be a whole number of minor units, zero or more"
        raise InvalidInput(f"shipping_amount: {problem}", fields={"shipping_amount": problem})


def quote(
    lines: Sequence[PricingLine | Item],
    *,
    currency: str,
    customer_id: int | None = None,
    email: str | None = None,
    voucher_code: str | None = None,
    gift_card_ids: Sequence[int] = (),
    shipping_amount: int | Callable[[int], int] | None = None,
    shipping_tax_class: str = DEFAULT_TAX_CLASS,
    address: Mapping[str, Any] | None = None,
    strict: bool = False,
    now: dt.datetime | None = None,
) -> Quote:
    """Price `lines` for a customer (or a guest) by the precedence in the module docstring. No
    writes. Raises NotFound (a line's variant does not exist), InvalidInput (bad amounts or
    address); with `strict`, VoucherRejected when the voucher cannot be used (otherwise the quote
    carries the rejection in `voucher_rejection` and applies no voucher).

    `shipping_amount` is what the shipping context quoted (None: not chosen yet, counted as 0),
    or a function the engine calls with the items' amount after steps 2-3 (what a free-over
    threshold compares with) that returns it, so checkout prices a cart once; `address` is where
    tax is due (see tax_address), None for no tax yet. A line may be an Item its caller already
    read (lookups.item_of; checkout reads them with the locked cart), whose variant is not read
    again."""
    now = now or utcnow()
    if not callable(shipping_amount):
        _check_shipping(shipping_amount)
    items = load_items(lines)
    group = customer_group(customer_id)
    listed = price_list_prices(group, [item.variant_id for item in items], currency)
    unit_prices = {item.key: listed.get(item.variant_id, item.price) for item in items}
    ancestors = category_ancestors(item.category_id for item in items if item.category_id)

    # Step 2: automatic promotions.
    promoted = _apply_promotions(items, unit_prices, running_promotions(currency, now), ancestors)
    after_promotions = {
        item.key: unit_prices[item.key] * item.quantity - promoted[item.key][0] for item in items
    }

    # Step 3: the voucher.
    voucher_shares: dict[str, int] = {}
    applied_voucher: AppliedVoucher | None = None
    rejection: VoucherRejected | None = None
    shipping = 0 if callable(shipping_amount) else shipping_amount or 0
    shipping_discount = 0
    voucher = None
    if voucher_code:
        try:
            voucher = check_voucher_usable(
                find_voucher(voucher_code),
                normalise_voucher_code(voucher_code),
                now=now,
                customer_id=customer_id,
                email=email,
            )
            voucher_shares = _apply_voucher(voucher, items, after_promotions, ancestors, currency)
        except VoucherRejected as exc:
            if strict:
                raise
            rejection, voucher = exc, None

    # Step 4: shipping, and a free-shipping voucher takes it off.
    if callable(shipping_amount):
        shipping = shipping_amount(sum(after_promotions.values()) - sum(voucher_shares.values()))
        _check_shipping(shipping)
    if voucher is not None:
        if voucher.kind == "free_shipping":
            shipping_discount = shipping
        applied_voucher = AppliedVoucher(
            voucher.id, voucher.code, voucher.kind, sum(voucher_shares.values()), shipping_discount
        )

    # Step 5: tax on what is left.
    include_tax = prices_include_tax()
    taxable = [
        TaxableLine(
            key=item.key,
            unit_price=unit_prices[item.key],
            quantity=item.quantity,
            tax_class=item.tax_class,
            discount=promoted[item.key][0] + voucher_shares.get(item.key, 0),
        )
        for item in items
    ]
    tax_result: TaxResult | None = None
    tax_status = "no_address"
    if address:
        tax_result = calculate(
            taxable,
            shipping_amount=shipping - shipping_discount,
            shipping_tax_class=shipping_tax_class,
            address=address,
            prices_include_tax=include_tax,
            currency=currency,
            exempt=bool(group and group.tax_exempt),
        )
        tax_status = tax_result.reason or "calculated"
    taxed = {line.key: line for line in tax_result.lines} if tax_result else {}

    quote_lines = []
    for item, line in zip(items, taxable, strict=True):
        line_tax = taxed.get(item.key)
        quote_lines.append(
            QuoteLine(
                key=item.key,
                variant_id=item.variant_id,
                product_id=item.product_id,
                sku=item.sku,
                title=item.title,
                quantity=item.quantity,
                base_unit_price=item.price,
                unit_price=unit_prices[item.key],
                price_source="price_list" if item.variant_id in listed else "variant",
                subtotal=unit_prices[item.key] * item.quantity,
                promotion_discount=promoted[item.key][0],
                voucher_discount=voucher_shares.get(item.key, 0),
                promotions=promoted[item.key][1],
                tax_class=item.tax_class,
                tax=line_tax.tax if line_tax else 0,
                total=line_tax.gross if line_tax else line.amount,
                is_digital=item.is_digital,
            )
        )
    shipping_tax = tax_result.shipping.tax if tax_result else 0
    shipping_total = tax_result.shipping.gross if tax_result else shipping - shipping_discount

    by_promotion: dict[int, AppliedPromotion] = {}
    for quote_line in quote_lines:
        for promo in quote_line.promotions:
            seen = by_promotion.get(promo.promotion_id)
            total = promo.amount + (seen.amount if seen else 0)
            by_promotion[promo.promotion_id] = AppliedPromotion(
                promo.promotion_id, promo.name, total
            )

    # Step 6: gift cards pay what is due after tax.
    total_due = sum(line.total for line in quote_lines) + shipping_total
    applications, problems = _gift_cards(list(gift_card_ids), currency, total_due, now)
    return Quote(
        currency=currency,
        prices_include_tax=include_tax,
        customer_group_id=group.id if group else None,
        lines=tuple(quote_lines),
        promotions=tuple(by_promotion[k] for k in sorted(by_promotion)),
        voucher=applied_voucher,
        voucher_rejection=rejection,
        shipping=shipping,
        shipping_discount=shipping_discount,
        shipping_tax=shipping_tax,
        shipping_total=shipping_total,
        tax_status=tax_status,
        tax_result=tax_result,
        gift_cards=tuple(applications),
        gift_card_problems=tuple(problems),
    )
