"""Reading a cart: every read checks and prices every line again, and says what changed.

`price_cart` writes nothing: it leaves out lines whose product is no longer on sale, prices the
rest with commerce.pricing.engine.quote and lists notices:

    line_removed          the product was unpublished or archived; the line is out of the quote
    price_changed         the unit price differs from the one the shopper was last shown
    insufficient_stock    the line wants more than is available now (checkout would refuse it)
    voucher_not_applied   the cart's voucher does not apply now (with the reason)
    gift_card_not_applied a gift card on the cart cannot pay now (with the reason)

`read_cart` does the same and then makes it so: removes the lines no longer on sale and records
the prices shown, so a notice appears once. Checkout calls `price_cart(..., strict=True)` inside
its own transaction; shopper reads call `read_cart`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from commerce import db
from commerce.carts.models import Cart, CartLine
from commerce.carts.service import stock_limits, visible_product
from commerce.catalog.models import Product, Variant
from commerce.errors import NotFound
from commerce.pricing.engine import quote, tax_address
from commerce.pricing.errors import GIFT_CARD_REASONS
from commerce.pricing.lookups import variant_title
from commerce.pricing.quotes import PricingLine, Quote, QuoteLine
from commerce.tax.models import DEFAULT_TAX_CLASS


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    """Something the shopper should know about their cart (see the module docstring's codes)."""

    code: str
    message: str
    line_id: int | None = None
    sku: str | None = None
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class CartLineView:
    """A priced line of the cart with what is available of it (None: no limit)."""

    line_id: int
    available: int | None
    priced: QuoteLine


@dataclasses.dataclass(frozen=True, slots=True)
class CartView:
    """A cart as read: its priced lines, the quote and the notices."""

    cart: Cart
    lines: tuple[CartLineView, ...]
    quote: Quote
    notices: tuple[Notice, ...]
    removed_line_ids: tuple[int, ...]
    price_updates: Mapping[int, int]


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency}"


def _load(cart_id: int) -> Cart:
    cart = db.session.scalar(
        select(Cart)
        .where(Cart.id == cart_id)
        .options(
            selectinload(Cart.lines), selectinload(Cart.gift_cards), selectinload(Cart.voucher)
        )
        .execution_options(populate_existing=True)
    )
    if cart is None or cart.status != "open":
        raise NotFound("No such cart.")
    return cart


def price_cart(
    cart: Cart | int,
    *,
    shipping_amount: int | Callable[[int], int] | None = None,
    shipping_tax_class: str = DEFAULT_TAX_CLASS,
    strict: bool = False,
) -> CartView:
    """Check and price every line of an open cart, with notices; writes nothing. Raises NotFound
    (no open cart), and with `strict` VoucherRejected (422) when the cart's voucher no longer
    applies (see commerce.pricing.engine.quote for the rest). `cart` is a Cart or its id."""
    cart = _load(cart if isinstance(cart, int) else cart.id)
    ids = [line.variant_id for line in cart.lines]
    rows = db.session.execute(
        select(Variant, Product.title, visible_product())
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids))
    ).all()
    found = {variant.id: (variant, title, on_sale) for variant, title, on_sale in rows}
    notices: list[Notice] = []
    kept: list[CartLine] = []
    removed: list[int] = []
    for line in cart.lines:
        variant, title, on_sale = found[line.variant_id]
        if on_sale:
            kept.append(line)
            continue
        removed.append(line.id)
        notices.append(
            Notice(
                "line_removed",
                f"{variant_title(title, variant.option_values)} is no longer for sale and was "
                "removed from the cart.",
                line.id,
                variant.sku,
            )
        )
    limits = stock_limits(found[line.variant_id][0] for line in kept)
    priced = quote(
        [PricingLine(str(line.id), line.variant_id, line.quantity) for line in kept],
        currency=cart.currency,
        customer_id=cart.customer_id,
        email=cart.email,
        voucher_code=cart.voucher.code if cart.voucher else None,
        gift_card_ids=[item.gift_card_id for item in cart.gift_cards],
        shipping_amount=shipping_amount,
        shipping_tax_class=shipping_tax_class,
        address=tax_address(
            cart.shipping_address,
            cart.billing_address,
            ships_goods=any(not found[line.variant_id][0].is_digital for line in kept),
        ),
        strict=strict,
    )
    views = []
    updates: dict[int, int] = {}
    for line, priced_line in zip(kept, priced.lines, strict=True):
        available = limits[line.variant_id]
        views.append(CartLineView(line.id, available, priced_line))
        if priced_line.unit_price != line.unit_price_amount:
            updates[line.id] = priced_line.unit_price
            notices.append(
                Notice(
                    "price_changed",
                    f"The price of {priced_line.title} changed from "
                    f"{_money(line.unit_price_amount, cart.currency)} to "
                    f"{_money(priced_line.unit_price, cart.currency)}.",
                    line.id,
                    priced_line.sku,
                    {"old": line.unit_price_amount, "new": priced_line.unit_price},
                )
            )
        if available is not None and line.quantity > available:
            notices.append(
                Notice(
                    "insufficient_stock",
                    f"Only {available} of {priced_line.title} are available; "
                    f"the cart holds {line.quantity}.",
                    line.id,
                    priced_line.sku,
                    {"requested": line.quantity, "available": available},
                )
            )
    if priced.voucher_rejection is not None:
        rejection = priced.voucher_rejection
        notices.append(
            Notice(
                "voucher_not_applied",
                rejection.message,
                details={
                    "reason": rejection.reason,
                    "code": cart.voucher.code if cart.voucher else None,
                },
            )
        )
    for problem in priced.gift_card_problems:
        notices.append(
            Notice(
                "gift_card_not_applied",
                f"Gift card …{problem.last4}: {GIFT_CARD_REASONS[problem.reason]}",
                details={"reason": problem.reason, "gift_card_id": problem.gift_card_id},
            )
        )
    return CartView(cart, tuple(views), priced, tuple(notices), tuple(removed), updates)


def read_cart(
    cart: Cart | int,
    *,
    shipping_amount: int | Callable[[int], int] | None = None,
    shipping_tax_class: str = DEFAULT_TAX_CLASS,
) -> CartView:
    """Check and price every line of an open cart (see price_cart), then remove the lines no
    longer on sale and remember the prices shown, so each notice is given once; commits. Raises
    NotFound (no open cart). `cart` is a Cart or its id."""
    view = price_cart(cart, shipping_amount=shipping_amount, shipping_tax_class=shipping_tax_class)
    if view.removed_line_ids or view.price_updates:
        # Plain statements: a concurrent read doing the same leaves the same result.
        if view.removed_line_ids:
            db.session.execute(
                delete(CartLine).where(CartLine.id.in_(view.removed_line_ids)),
                execution_options={"synchronize_session": False},
            )
        for line_id, price in view.price_updates.items():
            db.session.execute(
                update(CartLine).where(CartLine.id == line_id).values(unit_price_amount=price),
                execution_options={"synchronize_session": False},
            )
        db.session.commit()
        for line in view.cart.lines:
            db.session.expire(line)
        db.session.expire(view.cart, ["lines"])  # reloaded without the removed lines when read
    return view
