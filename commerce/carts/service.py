"""Cart use cases: create, find, change lines, merge at sign-in, and set what checkout needs.

Every change locks the cart's row first (SELECT ... FOR UPDATE), so two requests on one cart take
turns, checks the rules, writes and commits once. Lines are checked against what is available to
sell now (commerce.inventory availability); digital variants and variants whose backorder policy
is "allow" have no limit. Stock is not held here: checkout reserves it under `cart_reference`.

Shopper edits of a cart are not audited (a cart is the shopper's scratch pad, and the audit trail
is for business records); merging and converting a cart record events.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import DateTime, bindparam, func, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.carts.addresses import clean_address, clean_email
from commerce.carts.errors import VariantUnavailable
from commerce.carts.models import Cart, CartGiftCard, CartLine
from commerce.catalog.models import Product, Variant
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.inventory.errors import OutOfStock
from commerce.inventory.ledger import unit_of_work
from commerce.inventory.models import VariantInventory
from commerce.inventory.queries import availability
from commerce.pricing import engine, lookups
from commerce.pricing.errors import VoucherRejected
from commerce.pricing.gift_cards import usable_gift_card
from commerce.pricing.quotes import PricingLine
from commerce.pricing.validation import currency_code, whole_number

MAX_QUANTITY = 999
MAX_LINES = 100
MAX_GIFT_CARDS = 5
DEFAULT_CURRENCY = "EUR"


def hash_token(token: str) -> str:
    """The sha256 (hex) of a raw cart token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def cart_reference(cart: Cart | int) -> str:
    """The stable reference of a cart ("cart:<id>"), used for its checkout's stock reservation."""
    return f"cart:{cart if isinstance(cart, int) else cart.id}"


def _shop_currency() -> str:
    if has_app_context():
        return str(current_app.config.get("SHOP_CURRENCY") or DEFAULT_CURRENCY)
    return DEFAULT_CURRENCY


# --- finding carts -------------------------------------------------------------------------------


def create_guest_cart(*, actor: Actor, currency: str | None = None) -> tuple[Cart, str]:
    """Create an empty guest cart. Returns it and its raw token, which is shown this once (only its
    sha256 is stored). Raises InvalidInput (currency)."""
    del actor  # guest carts are not audited; the parameter keeps every service's shape
    token = secrets.token_urlsafe(32)
    cart = Cart(
        token_hash=hash_token(token),
        status="open",
        currency=currency_code(currency) if currency else _shop_currency(),
    )
    db.session.add(cart)
    db.session.commit()
    return cart, token


def _not_found() -> NotFound:
    return NotFound("No such cart.")


_CART_ID_FOR_TOKEN = select(Cart.id).where(Cart.token_hash == bindparam("token_hash"))


def cart_id_for_token(token: str) -> int:
    """The id of the guest cart of `token` whatever its state (open, merged or ordered), for a
    retried order request that must find what its key placed. Raises NotFound."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise _not_found()
    cart_id = db.session.scalar(_CART_ID_FOR_TOKEN, {"token_hash": hash_token(token)})
    if cart_id is None:
        raise _not_found()
    return cart_id


def get_cart_for_token(token: str) -> Cart:
    """The open guest cart whose token is `token`. Raises NotFound (unknown token, or a cart that
    was merged or checked out)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise _not_found()
    cart = db.session.scalar(select(Cart).where(Cart.token_hash == hash_token(token)))
    if cart is None or cart.status != "open":
        raise _not_found()
    return cart


def cart_by_id(cart_id: int) -> Cart:
    """The open cart `cart_id`. Raises NotFound (no such cart, or it is closed)."""
    cart = db.session.get(Cart, cart_id) if isinstance(cart_id, int) else None
    if cart is None or cart.status != "open":
        raise _not_found()
    return cart


def find_cart_for_customer(customer_id: int) -> Cart | None:
    """The customer's open cart, or None."""
    return db.session.scalar(
        select(Cart).where(Cart.customer_id == customer_id, Cart.status == "open")
    )


def get_cart_for_customer(customer_id: int, *, actor: Actor) -> Cart:
    """The customer's open cart, created empty when they have none (two parallel first requests
    get the same cart). Raises NotFound (no such customer)."""
    del actor
    cart = find_cart_for_customer(customer_id)
    if cart is not None:
        return cart
    customers = lookups.CUSTOMERS
    if db.session.scalar(select(customers.c.id).where(customers.c.id == customer_id)) is None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    db.session.execute(
        insert(Cart)
        .values(customer_id=customer_id, status="open", currency=_shop_currency())
        .on_conflict_do_nothing(index_elements=["customer_id"], index_where=Cart.status == "open")
    )
    db.session.commit()
    cart = find_cart_for_customer(customer_id)
    assert cart is not None
    return cart


def _lock(s: Session | Any, cart_id: int) -> Cart:
    """The open cart `cart_id`, locked, with its lines. Raises NotFound."""
    cart = s.scalar(
        select(Cart)
        .where(Cart.id == cart_id)
        .with_for_update()
        .options(selectinload(Cart.lines), selectinload(Cart.gift_cards))
        .execution_options(populate_existing=True)
    )
    if cart is None or cart.status != "open":
        raise _not_found()
    return cart


def _touch(cart: Cart) -> None:
    cart.updated_at = utcnow()


# --- lines ---------------------------------------------------------------------------------------


def visible_product() -> Any:
    """The condition a product must meet for its variants to be sold (active and published)."""
    return (Product.status == "active") & or_(
        Product.published_at.is_(None), Product.published_at <= func.statement_timestamp()
    )


def _sellable(variant_id: Any) -> Variant:
    if not db.is_id(variant_id):
        raise InvalidInput("variant_id: must be an id", fields={"variant_id": "must be an id"})
    row = db.session.execute(
        select(Variant, visible_product())
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id == variant_id)
    ).first()
    if row is None:
        raise VariantUnavailable(variant_id, f"variant {variant_id} does not exist")
    variant, on_sale = row
    if not on_sale:
        raise VariantUnavailable(variant_id, f"{variant.sku} is not on sale")
    return variant


def stock_limits(variants: Iterable[Variant]) -> dict[int, int | None]:
    """{variant_id: units a cart may hold}, None for no limit (digital, or backorders allowed)."""
    variants = list(variants)
    tracked = [v.id for v in variants if not v.is_digital]
    allow = set(
        db.session.scalars(
            select(VariantInventory.variant_id).where(
                VariantInventory.variant_id.in_(tracked),
                VariantInventory.backorder_policy == "allow",
            )
        )
    )
    counts = availability([vid for vid in tracked if vid not in allow]) if tracked else {}
    return {
        v.id: None if v.is_digital or v.id in allow else int(counts.get(v.id, 0)) for v in variants
    }


def _check_stock(cart: Cart, line: CartLine | None, variant: Variant, quantity: int) -> None:
    limit = stock_limits([variant])[variant.id]
    if limit is not None and quantity > limit:
        position = cart.lines.index(line) if line is not None else len(cart.lines)
        raise OutOfStock(
            [
                {
                    "line": position,
                    "line_id": line.id if line is not None else None,
                    "variant_id": variant.id,
                    "sku": variant.sku,
                    "requested": quantity,
                    "available": limit,
                }
            ]
        )


def _quantity(value: Any, *, minimum: int) -> int:
    quantity = whole_number(value, "quantity", minimum=minimum)
    assert quantity is not None
    if quantity > MAX_QUANTITY:
        raise InvalidInput(
            f"quantity: must be at most {MAX_QUANTITY}",
            fields={"quantity": f"must be at most {MAX_QUANTITY}"},
        )
    return quantity


def add_item(cart_id: int, variant_id: int, quantity: int, *, actor: Actor) -> CartLine:
    """Put `quantity` of a variant in the cart (added to a line already holding it). Raises
    NotFound (cart), InvalidInput, VariantUnavailable (422: unknown, not on sale, other currency),
    OutOfStock (409: naming the line's SKU and what is available), Conflict (too many lines)."""
    del actor
    quantity = _quantity(quantity, minimum=1)
    variant = _sellable(variant_id)
    cart = _lock(db.session, cart_id)
    line = next((item for item in cart.lines if item.variant_id == variant.id), None)
    if not cart.lines:
        cart.currency = variant.currency  # an empty cart takes its first line's currency
    elif variant.currency != cart.currency:
        raise VariantUnavailable(
            variant.id,
            f"{variant.sku} is priced in {variant.currency}, this cart in {cart.currency}",
        )
    if line is None and len(cart.lines) >= MAX_LINES:
        raise Conflict(f"A cart holds at most {MAX_LINES} lines.")
    total = quantity + (line.quantity if line else 0)
    if total > MAX_QUANTITY:
        raise InvalidInput(
            f"quantity: a line holds at most {MAX_QUANTITY}",
            fields={"quantity": f"a line holds at most {MAX_QUANTITY}"},
        )
    _check_stock(cart, line, variant, total)
    unit_price = _unit_price(cart, variant)
    if line is None:
        line = CartLine(variant_id=variant.id, quantity=total, unit_price_amount=unit_price)
        cart.lines.append(line)
    else:
        line.quantity = total
        line.unit_price_amount = unit_price
    _touch(cart)
    db.session.commit()
    return line


def _unit_price(cart: Cart, variant: Variant) -> int:
    """The unit price the shopper sees for the variant now (their group's price list first)."""
    group = lookups.customer_group(cart.customer_id)
    listed = lookups.price_list_prices(group, [variant.id], cart.currency)
    return listed.get(variant.id, variant.price_amount)


def _line(cart: Cart, line_id: Any) -> CartLine:
    line = next((item for item in cart.lines if item.id == line_id), None)
    if line is None:
        raise NotFound(f"The cart has no line {line_id}.", details={"line_id": line_id})
    return line


def set_quantity(cart_id: int, line_id: int, quantity: int, *, actor: Actor) -> CartLine | None:
    """Set a line's quantity; 0 removes the line (returns None then). Raises NotFound (cart or
    line), InvalidInput, OutOfStock (409, naming the line's SKU and what is available)."""
    quantity = _quantity(quantity, minimum=0)
    cart = _lock(db.session, cart_id)
    line = _line(cart, line_id)
    if quantity == 0:
        return remove_item(cart_id, line_id, actor=actor)
    variant = db.session.get(Variant, line.variant_id)
    assert variant is not None  # a deleted variant takes its lines with it
    if quantity > line.quantity:  # less of something is always fine
        _check_stock(cart, line, variant, quantity)
    line.quantity = quantity
    _touch(cart)
    db.session.commit()
    return line


def remove_item(cart_id: int, line_id: int, *, actor: Actor) -> None:
    """Take a line out of the cart. Raises NotFound (cart or line)."""
    del actor
    cart = _lock(db.session, cart_id)
    cart.lines.remove(_line(cart, line_id))
    _touch(cart)
    db.session.commit()


# --- what checkout needs -------------------------------------------------------------------------


def set_email(cart_id: int, email: str, *, actor: Actor, marketing_consent: bool = False) -> Cart:
    """Set the email the order confirmation goes to, and whether its owner agrees to marketing
    email (a guest cart's abandoned-cart reminder needs that yes; each new email states it again,
    so consent never carries over to another address). Raises NotFound, InvalidInput."""
    del actor
    email = clean_email(email)
    if not isinstance(marketing_consent, bool):
        raise InvalidInput(
            "marketing_consent: must be true or false",
            fields={"marketing_consent": "must be true or false"},
        )
    cart = _lock(db.session, cart_id)
    cart.email = email
    cart.marketing_consent = marketing_consent
    _touch(cart)
    db.session.commit()
    return cart


def forget_customer_details(customer_id: int, *, actor: Actor) -> int:
    """Clear the email, addresses and marketing consent of every cart of a customer (open or
    closed), for their erasure; audited without personal data. Returns how many carts held any
    (0 when run again, or for an unknown customer). Raises nothing else."""
    cart_ids = list(
        db.session.scalars(
            select(Cart.id)
            .where(
                Cart.customer_id == customer_id,
                or_(
                    Cart.email.is_not(None),
                    Cart.shipping_address.is_not(None),
                    Cart.billing_address.is_not(None),
                    Cart.marketing_consent,
                ),
            )
            .order_by(Cart.id)
            .with_for_update()
        )
    )
    if not cart_ids:
        db.session.commit()
        return 0
    db.session.execute(
        update(Cart)
        .where(Cart.id.in_(cart_ids))
        # SQL NULL, not a JSON null: nothing of the address is left.
        .values(
            email=None, shipping_address=null(), billing_address=null(), marketing_consent=False
        ),
        execution_options={"synchronize_session": "fetch"},
    )
    audit.record(
        actor,
        "cart.forget_details",
        "customer",
        customer_id,
        {"carts_cleared": [None, len(cart_ids)]},
    )
    events.record("cart.details_forgotten", customer_id=customer_id, cart_ids=cart_ids)
    db.session.commit()
    return len(cart_ids)


def set_addresses(
    cart_id: int,
    *,
    shipping_address: Mapping[str, Any] | None,
    billing_address: Mapping[str, Any] | None,
    actor: Actor,
) -> Cart:
    """Set (or clear, with None) the shipping and billing address snapshots. Raises NotFound,
    InvalidInput naming each bad field as "shipping_address.<field>" / "billing_address.<field>"."""
    del actor
    problems: dict[str, str] = {}
    cleaned: dict[str, dict[str, Any] | None] = {}
    for field, value in (
        ("shipping_address", shipping_address),
        ("billing_address", billing_address),
    ):
        if value is None:
            cleaned[field] = None
            continue
        try:
            cleaned[field] = clean_address(value, field)
        except InvalidInput as exc:
            problems.update(exc.fields)
    if problems:
        raise InvalidInput("Some fields of the addresses are not valid.", fields=problems)
    cart = _lock(db.session, cart_id)
    cart.shipping_address = cleaned["shipping_address"]
    cart.billing_address = cleaned["billing_address"]
    _touch(cart)
    db.session.commit()
    return cart


def set_shipping_method(cart_id: int, shipping_method_id: int | None, *, actor: Actor) -> Cart:
    """Record the shipping method chosen (an id of the shipping context's; None clears it).
    Raises NotFound, InvalidInput. Whether the method serves the address is shipping's to say."""
    del actor
    whole_number(shipping_method_id, "shipping_method_id", minimum=1, optional=True)
    if shipping_method_id is not None and not db.is_id(shipping_method_id):
        raise InvalidInput(
            "shipping_method_id: must be an id", fields={"shipping_method_id": "must be an id"}
        )
    cart = _lock(db.session, cart_id)
    cart.shipping_method_id = shipping_method_id
    _touch(cart)
    db.session.commit()
    return cart


def pricing_lines(cart: Cart) -> list[PricingLine]:
    """The cart's lines as the pricing engine takes them (keyed by line id)."""
    return [PricingLine(str(line.id), line.variant_id, line.quantity) for line in cart.lines]


def set_voucher(cart_id: int, code: str, *, actor: Actor) -> Cart:
    """Put a voucher on the cart (replacing any other: one per cart) once it applies to the cart
    as it is now. Raises NotFound, InvalidInput, VoucherRejected (422, with the reason: unknown,
    expired, not_yet_valid, used_up, customer_limit_reached, minimum_not_met, not_applicable)."""
    del actor
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("code: is required", fields={"code": "is required"})
    cart = _lock(db.session, cart_id)
    engine.quote(
        pricing_lines(cart),
        currency=cart.currency,
        customer_id=cart.customer_id,
        email=cart.email,
        voucher_code=code,
        strict=True,
    )
    voucher = lookups.find_voucher(code)
    if voucher is None:  # pragma: no cover - quote(strict=True) refused it already
        raise VoucherRejected("unknown", code)
    cart.voucher_id = voucher.id
    _touch(cart)
    db.session.commit()
    return cart


def remove_voucher(cart_id: int, *, actor: Actor) -> Cart:
    """Take the voucher off the cart (nothing happens without one). Raises NotFound."""
    del actor
    cart = _lock(db.session, cart_id)
    cart.voucher_id = None
    _touch(cart)
    db.session.commit()
    return cart


def add_gift_card(cart_id: int, code: str, *, actor: Actor) -> CartGiftCard:
    """Add a gift card to pay with (adding one twice changes nothing). Raises NotFound,
    InvalidInput, GiftCardRejected (422: unknown, disabled, expired, wrong_currency, empty),
    Conflict (MAX_GIFT_CARDS reached)."""
    del actor
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("code: is required", fields={"code": "is required"})
    cart = _lock(db.session, cart_id)
    card = usable_gift_card(code, cart.currency)
    held = next((item for item in cart.gift_cards if item.gift_card_id == card.id), None)
    if held is not None:
        return held
    if len(cart.gift_cards) >= MAX_GIFT_CARDS:
        raise Conflict(f"A cart takes at most {MAX_GIFT_CARDS} gift cards.")
    held = CartGiftCard(cart_id=cart.id, gift_card_id=card.id)
    cart.gift_cards.append(held)
    _touch(cart)
    db.session.commit()
    return held


def remove_gift_card(cart_id: int, gift_card_id: int, *, actor: Actor) -> None:
    """Take a gift card off the cart. Raises NotFound (cart, or a card not on it)."""
    del actor
    cart = _lock(db.session, cart_id)
    held = next((item for item in cart.gift_cards if item.gift_card_id == gift_card_id), None)
    if held is None:
        raise NotFound(f"The cart has no gift card {gift_card_id}.")
    cart.gift_cards.remove(held)
    _touch(cart)
    db.session.commit()


# --- merge and close -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class MergeResult:
    """The customer's cart after a merge, and the lines whose quantity was capped (each with its
    `sku`, `variant_id`, `requested` (the two carts' sum), `available` and the `quantity` kept) or
    dropped because the variant is no longer on sale (`dropped`: sku, variant_id)."""

    cart: Cart
    capped: tuple[dict[str, Any], ...]
    dropped: tuple[dict[str, Any], ...]


def merge_guest_cart(guest_token: str, customer_id: int, *, actor: Actor) -> MergeResult:
    """Fold a guest cart into the customer's open cart at sign-in: quantities of one variant add
    up, capped by what is available (reported in `capped`); variants no longer on sale are left
    out (`dropped`); email, addresses, voucher and gift cards move over where the customer's cart
    has none; the guest cart is closed ("merged"). Raises NotFound (token, customer)."""
    guest = get_cart_for_token(guest_token)
    target = get_cart_for_customer(customer_id, actor=actor)
    with unit_of_work() as s:
        # Lock both carts in id order, so two merges never wait on each other in a circle.
        first, second = sorted((guest.id, target.id))
        locked = {first: _lock(s, first), second: _lock(s, second)}
        guest, target = locked[guest.id], locked[target.id]
        capped: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        variants = {
            v.id: (v, on_sale)
            for v, on_sale in s.execute(
                select(Variant, visible_product())
                .join(Product, Product.id == Variant.product_id)
                .where(Variant.id.in_([line.variant_id for line in guest.lines]))
            )
        }
        limits = stock_limits(v for v, _ in variants.values())
        mine = {line.variant_id: line for line in target.lines}
        for line in guest.lines:
            variant, on_sale = variants[line.variant_id]
            if not on_sale or (target.lines and variant.currency != target.currency):
                dropped.append({"sku": variant.sku, "variant_id": variant.id})
                continue
            held = mine.get(variant.id)
            requested = line.quantity + (held.quantity if held else 0)
            quantity = min(requested, MAX_QUANTITY)
            limit = limits[variant.id]
            if limit is not None and quantity > limit:
                quantity = max(limit, held.quantity if held else 0)
            if quantity < requested:
                capped.append(
                    {
                        "sku": variant.sku,
                        "variant_id": variant.id,
                        "requested": requested,
                        "available": limit,
                        "quantity": quantity,
                    }
                )
            if held is not None:
                held.quantity = quantity
            elif quantity > 0 and len(target.lines) < MAX_LINES:
                if not target.lines:
                    target.currency = variant.currency
                new = CartLine(
                    variant_id=variant.id,
                    quantity=quantity,
                    unit_price_amount=line.unit_price_amount,
                )
                target.lines.append(new)
                mine[variant.id] = new
        target.email = target.email or guest.email
        target.shipping_address = target.shipping_address or guest.shipping_address
        target.billing_address = target.billing_address or guest.billing_address
        target.voucher_id = target.voucher_id or guest.voucher_id
        if not target.gift_cards:
            for held_card in guest.gift_cards:
                target.gift_cards.append(
                    CartGiftCard(cart_id=target.id, gift_card_id=held_card.gift_card_id)
                )
        guest.status, guest.closed_at = "merged", utcnow()
        _touch(target)
        events.record(
            "cart.merged",
            cart_id=target.id,
            guest_cart_id=guest.id,
            customer_id=customer_id,
            actor_kind=actor.kind,
        )
    return MergeResult(target, tuple(capped), tuple(dropped))


_NOW = bindparam("now", type_=DateTime(timezone=True))
_CONVERT = (
    Cart.__table__.update()
    .where(Cart.__table__.c.id == bindparam("cart_id"), Cart.__table__.c.status == "open")
    .values(status="converted", closed_at=_NOW, updated_at=_NOW)
    .returning(Cart.__table__.c.id)
)


def mark_cart_converted(
    cart_id: int,
    *,
    order_id: int | None = None,
    actor: Actor,
    session: Session | None = None,
    commit: bool = True,
) -> None:
    """Close an open cart that checkout turned into an order (its token stops working; the
    customer gets a fresh cart on their next visit) and record `cart.converted`. Raises NotFound
    (no open cart)."""
    now = utcnow()
    with unit_of_work(session, commit=commit, savepoint=False) as s:
        # One conditional UPDATE locks the row and checks that the cart is still open at once.
        closed = s.scalar(_CONVERT, {"cart_id": cart_id, "now": now})
        if closed is None:
            raise _not_found()
        loaded = s.identity_map.get(identity_key(Cart, closed))
        if loaded is not None:  # a Cart this session holds says what the row now says
            for name, value in (("status", "converted"), ("closed_at", now), ("updated_at", now)):
                set_committed_value(loaded, name, value)
        events.record("cart.converted", cart_id=closed, order_id=order_id, actor_kind=actor.kind)
