"""What the pricing engine takes and gives: the lines to price and the priced Quote.

How a Quote's amounts come about is written once, in commerce/pricing/engine.py.
"""

from __future__ import annotations

import dataclasses

from commerce.pricing.errors import VoucherRejected
from commerce.tax.engine import TaxResult


@dataclasses.dataclass(frozen=True, slots=True)
class PricingLine:
    """One line to price: `key` names it in the result (a cart line id, say)."""

    key: str
    variant_id: int
    quantity: int


@dataclasses.dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """A promotion and what it took off (one line, or the whole quote)."""

    promotion_id: int
    name: str
    amount: int


@dataclasses.dataclass(frozen=True, slots=True)
class QuoteLine:
    """One priced line. `discount` = `promotion_discount` + `voucher_discount`; `amount` is what
    is taxed (subtotal - discount); `total` is what the shopper pays for the line (with tax)."""

    key: str
    variant_id: int
    product_id: int
    sku: str
    title: str
    quantity: int
    base_unit_price: int
    unit_price: int
    price_source: str  # "price_list" | "variant"
    subtotal: int
    promotion_discount: int
    voucher_discount: int
    promotions: tuple[AppliedPromotion, ...]
    tax_class: str
    tax: int
    total: int
    is_digital: bool

    @property
    def discount(self) -> int:
        """Promotions plus the line's voucher share."""
        return self.promotion_discount + self.voucher_discount

    @property
    def amount(self) -> int:
        """What is taxed: subtotal - discount."""
        return self.subtotal - self.discount


@dataclasses.dataclass(frozen=True, slots=True)
class AppliedVoucher:
    """The cart's voucher and what it took off the items and off shipping."""

    voucher_id: int
    code: str
    kind: str
    amount: int
    shipping_discount: int


@dataclasses.dataclass(frozen=True, slots=True)
class GiftCardApplication:
    """What one gift card pays of this quote, and the balance it would keep."""

    gift_card_id: int
    last4: str
    amount: int
    balance_before: int
    balance_after: int


@dataclasses.dataclass(frozen=True, slots=True)
class GiftCardProblem:
    """A gift card on the cart that cannot pay now, and why (a GIFT_CARD_REASONS key)."""

    gift_card_id: int
    last4: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class Quote:
    """Everything a cart costs, line by line (see the module docstring for how it adds up)."""

    currency: str
    prices_include_tax: bool
    customer_group_id: int | None
    lines: tuple[QuoteLine, ...]
    promotions: tuple[AppliedPromotion, ...]
    voucher: AppliedVoucher | None
    voucher_rejection: VoucherRejected | None
    shipping: int
    shipping_discount: int
    shipping_tax: int
    shipping_total: int
    tax_status: str  # "calculated" | "exempt" | "no_tax_zone" | "no_address"
    tax_result: TaxResult | None
    gift_cards: tuple[GiftCardApplication, ...]
    gift_card_problems: tuple[GiftCardProblem, ...]

    @property
    def subtotal(self) -> int:
        """Sum of unit price * quantity over the lines (before discounts)."""
        return sum(line.subtotal for line in self.lines)

    @property
    def promotion_discount(self) -> int:
        """What automatic promotions took off."""
        return sum(line.promotion_discount for line in self.lines)

    @property
    def voucher_discount(self) -> int:
        """What the voucher took off the items."""
        return sum(line.voucher_discount for line in self.lines)

    @property
    def discount(self) -> int:
        """Promotions plus voucher, over all lines."""
        return sum(line.discount for line in self.lines)

    @property
    def shipping_charged(self) -> int:
        """Shipping after a free-shipping voucher, before tax (an order's shipping_amount)."""
        return self.shipping - self.shipping_discount

    @property
    def tax(self) -> int:
        """Tax on the lines and on shipping (contained in the prices when they include tax)."""
        return sum(line.tax for line in self.lines) + self.shipping_tax

    @property
    def total(self) -> int:
        """What the order costs: lines and shipping with tax."""
        return sum(line.total for line in self.lines) + self.shipping_total

    @property
    def gift_card_total(self) -> int:
        """What the gift cards pay."""
        return sum(item.amount for item in self.gift_cards)

    @property
    def amount_due(self) -> int:
        """What is left for the payment method: total - gift cards."""
        return self.total - self.gift_card_total
