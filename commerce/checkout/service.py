"""Checkout: hold a cart's stock, then turn the cart into a placed order, once per key.

`start_checkout` reserves the cart's units for CHECKOUT_HOLD_SECONDS (the scheduled
`expire_stock_reservations` job gives back what is not bought in time).

`place_order` is one transaction that, in this order:
1. claims the Idempotency-Key (a row in checkout_requests; a second request with the same key
   waits on it and then answers with the first one's order — the same key never makes two orders,
   and a key reused for another cart or payment method is refused);
2. locks the cart and prices it with the pricing engine (strictly: a voucher that no longer applies
   is refused; if any price changed or a line left the catalog since the shopper last read the
   cart, the order is refused with `cart_changed` so nobody pays a price they were not shown);
3. quotes the chosen shipping method for the address (digital-only carts need none);
4. writes the order with its snapshots (names, SKUs, prices, discounts, tax lines, addresses,
   shipping method), records the voucher's use and spends the gift cards (both within their
   limits, under concurrency), reserves the units again under the cart's reference and turns the
   reservation into the order's allocation (the last unit cannot be sold twice), closes the cart;
5. records the audit row and `order.placed` (and `order.paid` when gift cards paid it all).
Any refusal rolls all of it back. Payment starts after the commit (commerce.payments.service).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.carts import service as carts
from commerce.carts.models import Cart, CartGiftCard, CartLine
from commerce.carts.reading import CartView, price_cart
from commerce.catalog.models import Product, Variant
from commerce.checkout.models import CheckoutRequest
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.inventory import service as inventory
from commerce.inventory.models import StockReservation
from commerce.orders import timeline
from commerce.orders.models import PAYMENT_METHODS, Order, OrderLine
from commerce.pricing import engine as pricing
from commerce.pricing.gift_cards import redeem_gift_card_by_id
from commerce.pricing.lookups import ITEM_COLUMNS, Item, item_of
from commerce.pricing.models import Voucher
from commerce.pricing.quotes import Quote
from commerce.pricing.vouchers import record_voucher_redemption
from commerce.shipping.engine import ShippingItem, get_quote

__all__ = ["CartChanged", "Hold", "PlacedOrder", "place_order", "start_checkout"]

MAX_KEY_LENGTH = 255


class CartChanged(Conflict):
    """The cart's prices or lines changed since the shopper last read it (409 cart_changed)."""

    code = "cart_changed"


@dataclasses.dataclass(frozen=True, slots=True)
class Hold:
    """Stock held for a started checkout."""

    reference: str
    expires_at: dt.datetime
    lines: tuple[tuple[int, int], ...]  # (variant_id, quantity)


@dataclasses.dataclass(frozen=True, slots=True)
class PlacedOrder:
    """The order a checkout request made; `created` is False when the key had made it before."""

    order: Order
    created: bool


def _hold_seconds() -> int:
    return int(current_app.config.get("CHECKOUT_HOLD_SECONDS") or 900)


@dataclasses.dataclass(frozen=True, slots=True)
class _Line:
    """A cart line as checkout reads it, with its variant (as pricing reads it) and whether the
    variant's product is on sale now."""

    id: int
    variant_id: int
    quantity: int
    unit_price_amount: int
    on_sale: bool
    is_digital: bool
    weight_grams: int | None
    shipping_class: str
    option_values: dict[str, str]
    item: Item


@dataclasses.dataclass(frozen=True, slots=True)
class _OpenCart:
    """A locked open cart with its lines (in line id order), voucher code and gift cards (in the
    order added), read once for the whole placement."""

    id: int
    customer_id: int | None
    currency: str
    email: str | None
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    shipping_method_id: int | None
    voucher_code: str | None
    gift_card_ids: tuple[int, ...]
    lines: tuple[_Line, ...]


# Placement's own statements are built once (not per request) and take their values as
# parameters.
_LOCK_CART = (
    select(
        Cart.id,
        Cart.status,
        Cart.customer_id,
        Cart.currency,
        Cart.email,
        Cart.shipping_address,
        Cart.billing_address,
        Cart.shipping_method_id,
        Cart.voucher_id,
    )
    .where(Cart.id == bindparam("cart_id"))
    .with_for_update()
)
_CART_LINES = (
    select(
        CartLine.id.label("line_id"),
        CartLine.quantity,
        CartLine.unit_price_amount,
        *ITEM_COLUMNS,
        Variant.weight_grams,
        Variant.shipping_class,
        carts.visible_product().label("on_sale"),
        select(func.array_agg(aggregate_order_by(CartGiftCard.gift_card_id, CartGiftCard.added_at)))
        .where(CartGiftCard.cart_id == bindparam("cart_id"))
        .scalar_subquery()
        .label("gift_card_ids"),
        select(Voucher.code)
        .where(Voucher.id == bindparam("voucher_id"))
        .scalar_subquery()
        .label("voucher_code"),
    )
    .join(Variant, Variant.id == CartLine.variant_id)
    .join(Product, Product.id == Variant.product_id)
    .where(CartLine.cart_id == bindparam("cart_id"))
    .order_by(CartLine.id)
)


def _open_cart(cart_id: int) -> _OpenCart:
    """Lock the open cart and read it with its lines, variants, voucher code and gift cards, in
    two statements. Raises NotFound (no such open cart), Conflict (the cart was ordered)."""
    cart = db.session.execute(_LOCK_CART, {"cart_id": cart_id}).first()
    if cart is None:
        raise NotFound("No such cart.")
    if cart.status == "converted":
        number = db.session.scalar(
            select(Order.number).where(Order.cart_reference == carts.cart_reference(cart.id))
        )
        raise Conflict(
            f"This cart was already ordered (order #{number}).",
            details={"order_number": number},
        )
    if cart.status != "open":
        raise NotFound("No such cart.")
    # Read after the lock is held (a statement of its own, so it sees every change committed
    # before): whatever changes a cart's lines, voucher or gift cards locks the cart first.
    rows = db.session.execute(
        _CART_LINES, {"cart_id": cart.id, "voucher_id": cart.voucher_id}
    ).all()
    lines = tuple(
        _Line(
            id=row.line_id,
            variant_id=row.variant_id,
            quantity=row.quantity,
            unit_price_amount=row.unit_price_amount,
            on_sale=bool(row.on_sale),
            is_digital=row.is_digital,
            weight_grams=row.weight_grams,
            shipping_class=row.shipping_class,
            option_values=dict(row.option_values or {}),
            item=item_of(str(row.line_id), row.quantity, row),
        )
        for row in rows
    )
    return _OpenCart(
        id=cart.id,
        customer_id=cart.customer_id,
        currency=cart.currency,
        email=cart.email,
        shipping_address=cart.shipping_address,
        billing_address=cart.billing_address,
        shipping_method_id=cart.shipping_method_id,
        voucher_code=rows[0].voucher_code if rows else None,
        gift_card_ids=tuple(rows[0].gift_card_ids or ()) if rows else (),
        lines=lines,
    )


def _lines(cart: _OpenCart) -> list[tuple[int, int]]:
    """The (variant_id, quantity) pairs whose stock checkout holds: every line but digital ones
    (files and license keys are not shelf stock). Raises InvalidInput for an empty cart."""
    if not cart.lines:
        raise InvalidInput("lines: the cart is empty", fields={"lines": "the cart is empty"})
    return [(line.variant_id, line.quantity) for line in cart.lines if not line.is_digital]


def start_checkout(cart_id: int, *, actor: Actor) -> Hold:
    """Reserve every unit in the cart for CHECKOUT_HOLD_SECONDS (again: the hold is renewed and
    follows the cart's current lines). Raises NotFound, Conflict (the cart was ordered),
    InvalidInput (empty cart), OutOfStock (409 naming each short line and what is available)."""
    cart = _open_cart(cart_id)
    lines = _lines(cart)
    reference = carts.cart_reference(cart.id)
    if not lines:  # digital goods only: nothing on a shelf to hold
        return Hold(reference, utcnow() + dt.timedelta(seconds=_hold_seconds()), ())
    held = inventory.reserve_stock(lines, reference, _hold_seconds(), actor=actor)
    expires = min((r.expires_at for r in held), default=utcnow())
    return Hold(reference, expires, tuple(lines))


def _fingerprint(scope: str, payment_method: str) -> str:
    return hashlib.sha256(f"{scope}|{payment_method}".encode()).hexdigest()


def _check_request(idempotency_key: str, payment_method: str) -> str:
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        problem = f"send a unique key of 1-{MAX_KEY_LENGTH} printable characters per order"
        raise InvalidInput(f"Idempotency-Key: {problem}", fields={"Idempotency-Key": problem})
    if payment_method not in PAYMENT_METHODS:
        problem = f"must be one of {', '.join(PAYMENT_METHODS)}"
        raise InvalidInput(f"payment_method: {problem}", fields={"payment_method": problem})
    return key


_CLAIM = (
    insert(CheckoutRequest)
    .values(scope=bindparam("scope"), key=bindparam("key"), fingerprint=bindparam("fingerprint"))
    .on_conflict_do_nothing(index_elements=["scope", "key"])
    .returning(CheckoutRequest.id)
)
_SET_ORDER = (
    update(CheckoutRequest)
    .where(CheckoutRequest.id == bindparam("request_id"))
    .values(order_id=bindparam("order_id"))
    .execution_options(synchronize_session=False)
)


def _claim(scope: str, key: str, fingerprint: str) -> int | CheckoutRequest:
    """Insert the key's row and return its id, or (after any transaction holding it has
    finished) return the row that was there."""
    claimed = db.session.scalar(_CLAIM, {"scope": scope, "key": key, "fingerprint": fingerprint})
    if claimed is not None:
        return claimed
    existing = db.session.scalar(
        select(CheckoutRequest).where(CheckoutRequest.scope == scope, CheckoutRequest.key == key)
    )
    assert existing is not None
    return existing


def _refuse_changes(view: CartView) -> None:
    changes = [n for n in view.notices if n.code in ("price_changed", "line_removed")]
    if changes:
        raise CartChanged(
            "The cart changed since it was last read: " + " ".join(n.message for n in changes),
            details={
                "notices": [
                    {"code": n.code, "message": n.message, "sku": n.sku, "line_id": n.line_id}
                    for n in changes
                ]
            },
        )


def _shipping(cart: _OpenCart) -> tuple[Callable[[int], int] | None, dict[str, Any]]:
    """The shipping price for the pricing engine to call with the items' amount after discounts
    (None when nothing ships), and the dict that will hold the chosen method's snapshot once it
    was called. Raises InvalidInput naming shipping_address or shipping_method."""
    items = [
        ShippingItem(
            weight_grams=line.weight_grams or 0,
            quantity=line.quantity,
            is_digital=line.is_digital,
            shipping_class=line.shipping_class,
        )
        for line in cart.lines
    ]
    chosen: dict[str, Any] = {}
    if all(item.is_digital for item in items):
        return None, chosen
    if not cart.shipping_address:
        problem = "is required: the cart holds goods to ship"
        raise InvalidInput(f"shipping_address: {problem}", fields={"shipping_address": problem})
    if cart.shipping_method_id is None:
        problem = "choose one of the methods offered for the address"
        raise InvalidInput(f"shipping_method: {problem}", fields={"shipping_method": problem})
    method_id, address = cart.shipping_method_id, cart.shipping_address

    def price(items_amount: int) -> int:
        quoted = get_quote(method_id, address, items, items_amount, cart.currency)
        chosen.update(quoted.snapshot())
        return quoted.amount

    return price, chosen


def _price(cart: _OpenCart, shipping: Callable[[int], int] | None) -> Quote:
    """The cart priced strictly, as commerce.carts.reading.price_cart(strict=True) prices it, when
    nothing changed since the shopper last read it. Raises CartChanged (a line left the catalog,
    or a price differs from the one shown), and as pricing.quote (VoucherRejected, ...).

    Checkout prices the lines it already read with the locked cart; only when one of them is off
    sale or priced differently does it ask price_cart, whose notices name what changed."""
    if all(line.on_sale for line in cart.lines):
        quote = pricing.quote(
            [line.item for line in cart.lines],
            currency=cart.currency,
            customer_id=cart.customer_id,
            email=cart.email,
            voucher_code=cart.voucher_code,
            gift_card_ids=cart.gift_card_ids,
            shipping_amount=shipping,
            address=pricing.tax_address(
                cart.shipping_address,
                cart.billing_address,
                ships_goods=any(not line.is_digital for line in cart.lines),
            ),
            strict=True,
        )
        shown = [line.unit_price_amount for line in cart.lines]
        if [priced.unit_price for priced in quote.lines] == shown:
            return quote
    view = price_cart(cart.id, shipping_amount=shipping, strict=True)
    _refuse_changes(view)
    return view.quote


def place_order(
    cart_id: int,
    *,
    idempotency_key: str,
    payment_method: str,
    actor: Actor,
    channel: str = "web",
    scope: str | None = None,
) -> PlacedOrder:
    """Place the cart's order (see the module docstring), or return the order the same
    Idempotency-Key placed before. Raises NotFound (no such open cart), InvalidInput (missing
    email, address or shipping method; a bad key or payment method), Conflict (the key was used
    for another request, or the cart was ordered with another key), CartChanged, OutOfStock,
    VoucherRejected, GiftCardRejected / InsufficientBalance.

    Keys are scoped to whose they are: a guest cart ("cart:<id>", the default) or a signed-in
    customer ("customer:<id>", whose next request comes from a fresh cart once this one is
    ordered)."""
    key = _check_request(idempotency_key, payment_method)
    scope = scope or f"cart:{cart_id}"
    fingerprint = _fingerprint(scope, payment_method)
    try:
        existing = _claim(scope, key, fingerprint)
        if isinstance(existing, CheckoutRequest):
            if existing.fingerprint != fingerprint:
                raise Conflict(
                    "This Idempotency-Key was already used for another request; send a new key.",
                    details={"field": "Idempotency-Key"},
                )
            order = db.session.get(Order, existing.order_id)
            assert order is not None  # the key's row commits with its order
            db.session.commit()
            return PlacedOrder(order, created=False)
        order = _place(cart_id, existing, payment_method, actor, channel)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return PlacedOrder(order, created=True)


def _place(cart_id: int, request_id: int, payment_method: str, actor: Actor, channel: str) -> Order:
    cart = _open_cart(cart_id)
    lines = _lines(cart)
    if not cart.email:
        raise InvalidInput("email: is required to place an order", fields={"email": "is required"})
    shipping, chosen = _shipping(cart)
    quote = _price(cart, shipping)
    method = chosen or None
    now = utcnow()
    paid_in_full = quote.amount_due == 0
    tax_by_key = {item.key: item for item in quote.tax_result.lines} if quote.tax_result else {}
    # A tax-exempt buyer with tax-inclusive prices pays lines and shipping net: the tax taken
    # out shows on the order as a discount (and an adjustment saying so), so that its totals add
    # up like any other order's (see commerce/orders/models.py).
    exempt_off = {
        line.key: line.subtotal - line.discount - line.total
        for line in quote.lines
        if quote.prices_include_tax and line.subtotal - line.discount > line.total
    }
    shipping_amount_charged = (
        quote.shipping_total if quote.prices_include_tax else quote.shipping_charged
    )
    options = {line.variant_id: line.option_values for line in cart.lines}
    order = Order(
        customer_id=cart.customer_id,
        email=cart.email,
        status="paid" if paid_in_full else "pending_payment",
        payment_status="paid" if paid_in_full else "pending",
        payment_method=None if paid_in_full else payment_method,
        channel=channel if channel in ("web", "app") else "web",
        currency=quote.currency,
        prices_include_tax=quote.prices_include_tax,
        subtotal_amount=quote.subtotal,
        discount_amount=quote.discount + sum(exempt_off.values()),
        shipping_amount=shipping_amount_charged,
        tax_amount=quote.tax,
        total_amount=quote.total,
        gift_card_amount=quote.gift_card_total,
        shipping_country=(cart.shipping_address or {}).get("country") if method else None,
        shipping_address=cart.shipping_address if method else None,
        billing_address=cart.billing_address or cart.shipping_address,
        shipping_method=method,
        tax_lines=quote.tax_result.snapshot()["tax_lines"] if quote.tax_result else [],
        adjustments=_adjustments(quote, sum(exempt_off.values())),
        cart_reference=carts.cart_reference(cart.id),
        placed_at=now,
        lines=[
            OrderLine(
                variant_id=line.variant_id,
                sku=line.sku,
                title=line.title,
                quantity=line.quantity,
                unit_price_amount=line.unit_price,
                discount_amount=line.discount + exempt_off.get(line.key, 0),
                tax_amount=line.tax,
                total_amount=line.total,
                tax_included=quote.prices_include_tax,
                tax_rate=tax_by_key[line.key].rate if line.key in tax_by_key else None,
                tax_class=line.tax_class,
                option_values=dict(options[line.variant_id]),
                is_digital=line.is_digital,
            )
            for line in quote.lines
        ],
    )
    db.session.add(order)
    db.session.flush()
    db.session.execute(_SET_ORDER, {"request_id": request_id, "order_id": order.id})
    reference = f"order:{order.number}"
    if quote.voucher is not None:
        record_voucher_redemption(
            quote.voucher.code,
            reference=reference,
            amount=quote.voucher.amount + quote.voucher.shipping_discount,
            currency=quote.currency,
            customer_id=cart.customer_id,
            email=cart.email,
            order_id=order.id,
            actor=actor,
            commit=False,
        )
    for card in quote.gift_cards:
        redeem_gift_card_by_id(
            card.gift_card_id,
            card.amount,
            reference,
            actor=actor,
            currency=quote.currency,
            commit=False,
        )
    _allocate(carts.cart_reference(cart.id), lines, reference, actor)
    carts.mark_cart_converted(cart.id, order_id=order.id, actor=actor, commit=False)
    audit.record(
        actor,
        "order.place",
        "order",
        order.id,
        {
            "number": [None, order.number],
            "total_amount": [None, order.total_amount],
            "payment_method": [None, order.payment_method],
        },
    )
    timeline.record(
        order.id,
        "status",
        f"Order placed ({order.channel}), {order.payment_method or 'gift card'}",
        actor=actor,
        after=order.status,
    )
    events.record("order.placed", order_id=order.id)
    if paid_in_full:
        events.record("order.paid", order_id=order.id, payment_id=None, amount=0)
    return order


_HELD = select(StockReservation.variant_id, StockReservation.quantity).where(
    StockReservation.reference == bindparam("hold"),
    StockReservation.status == "active",
    StockReservation.expires_at > bindparam("now"),
)


def _allocate(hold: str, lines: list[tuple[int, int]], reference: str, actor: Actor) -> None:
    """Allocate the cart's units to the order: its checkout hold when it holds exactly these
    lines, else straight from the shelf (a stale hold is given back first). Raises OutOfStock."""
    if not lines:
        return
    held: dict[int, int] = {}
    for variant_id, quantity in db.session.execute(_HELD, {"hold": hold, "now": utcnow()}):
        held[variant_id] = held.get(variant_id, 0) + quantity
    wanted: dict[int, int] = {}
    for variant_id, quantity in lines:
        wanted[variant_id] = wanted.get(variant_id, 0) + quantity
    if held == wanted:
        inventory.allocate_reservation(hold, reference, actor=actor, commit=False)
        return
    if held:
        inventory.release_reservation(hold, actor=actor, commit=False)
    # Any refusal rolls back the whole placement, so the allocation needs no savepoint of its own.
    inventory.allocate_stock(lines, reference, actor=actor, commit=False, savepoint=False)


def _adjustments(quote: Any, tax_exemption: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"kind": "promotion", "promotion_id": p.promotion_id, "name": p.name, "amount": p.amount}
        for p in quote.promotions
    ]
    if quote.voucher is not None:
        out.append(
            {
                "kind": "voucher",
                "voucher_id": quote.voucher.voucher_id,
                "code": quote.voucher.code,
                "type": quote.voucher.kind,
                "amount": quote.voucher.amount,
                "shipping_discount": quote.voucher.shipping_discount,
            }
        )
    if tax_exemption:
        out.append({"kind": "tax_exemption", "amount": tax_exemption})
    out += [
        {"kind": "gift_card", "gift_card_id": g.gift_card_id, "last4": g.last4, "amount": g.amount}
        for g in quote.gift_cards
    ]
    return out


def order_count_for_cart(cart_id: int) -> int:
    """How many orders a cart became (0 or 1; for tests and support)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.cart_reference == carts.cart_reference(cart_id))
        )
        or 0
    )
