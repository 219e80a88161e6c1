"""Abandoned carts: which carts get the one reminder email, what it shows, and marking them sent.

A cart is abandoned when it is open, holds lines, was not touched (`updated_at`) for
ABANDONED_CART_AFTER_HOURS (default 4) and was never reminded, and its owner agreed to marketing
email:
- a customer's cart: the customer's `accepts_marketing` (an erased customer never has it). The
  reminder goes to the customer's own address, the one they gave that consent for.
- a guest cart: the cart's `marketing_consent`, an explicit yes sent with its email (PUT
  .../email {"email": ..., "marketing_consent": true}); the reminder goes to that email.
Carts left longer ago than REMIND_WITHIN are not reminded at all, so the first run after a deploy
does not write to everyone who ever left a cart. jobs/handlers/carts.py sends the email (dedupe
key "abandoned_cart:<cart id>") and then marks the cart, so each cart is reminded once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import current_app
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from commerce import db, events
from commerce.audit import Actor
from commerce.carts.models import Cart, CartLine
from commerce.catalog.models import Variant
from commerce.customers.models import Customer
from commerce.db import utcnow

DEFAULT_AFTER_HOURS = 4
REMIND_WITHIN = dt.timedelta(days=7)
BATCH = 500


@dataclasses.dataclass(frozen=True, slots=True)
class ReminderLine:
    """A line as the reminder shows it, at the unit price the shopper was last shown."""

    title: str
    quantity: int
    unit_price: int
    total: int


@dataclasses.dataclass(frozen=True, slots=True)
class Reminder:
    """What the reminder of one cart says, and to whom (`consent`: "customer" or "guest")."""

    cart_id: int
    email: str
    name: str | None
    currency: str
    lines: tuple[ReminderLine, ...]
    subtotal: int
    consent: str


def after_hours() -> int:
    """How long a cart must be left before it counts as abandoned (ABANDONED_CART_AFTER_HOURS)."""
    return int(current_app.config.get("ABANDONED_CART_AFTER_HOURS") or DEFAULT_AFTER_HOURS)


def _due(now: dt.datetime) -> list:
    """The conditions of an abandoned cart due a reminder (see the module docstring)."""
    return [
        Cart.status == "open",
        Cart.reminded_at.is_(None),
        Cart.updated_at <= now - dt.timedelta(hours=after_hours()),
        Cart.updated_at > now - REMIND_WITHIN,
        exists(select(CartLine.id).where(CartLine.cart_id == Cart.id)),
        or_(
            and_(Cart.customer_id.is_not(None), Customer.accepts_marketing),
            and_(Cart.customer_id.is_(None), Cart.marketing_consent, Cart.email.is_not(None)),
        ),
    ]


def abandoned_cart_ids(*, now: dt.datetime | None = None, limit: int = BATCH) -> list[int]:
    """Ids of the carts due a reminder now, longest left first (at most `limit`)."""
    stmt = (
        select(Cart.id)
        .outerjoin(Customer, Customer.id == Cart.customer_id)
        .where(*_due(now or utcnow()))
        .order_by(Cart.updated_at, Cart.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _title(variant: Variant) -> str:
    options = " / ".join(str(value) for value in (variant.option_values or {}).values())
    return f"{variant.product.title} ({options})" if options else variant.product.title


def reminder(cart_id: int, *, now: dt.datetime | None = None) -> Reminder | None:
    """The reminder of cart `cart_id`, or None when it is not due one (any more): checked out,
    emptied, touched again, reminded, or consent withdrawn since it was found."""
    row = db.session.execute(
        select(Cart, Customer)
        .outerjoin(Customer, Customer.id == Cart.customer_id)
        .where(Cart.id == cart_id, *_due(now or utcnow()))
        .options(selectinload(Cart.lines).selectinload(CartLine.variant))
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    cart, customer = row
    lines = tuple(
        ReminderLine(
            title=_title(line.variant),
            quantity=line.quantity,
            unit_price=line.unit_price_amount,
            total=line.quantity * line.unit_price_amount,
        )
        for line in cart.lines
    )
    email = customer.email if customer is not None else cart.email
    assert email is not None  # _due() requires a guest cart's email; customers always have one
    return Reminder(
        cart_id=cart.id,
        email=email,
        name=customer.first_name if customer is not None else None,
        currency=cart.currency,
        lines=lines,
        subtotal=sum(line.total for line in lines),
        consent="customer" if customer is not None else "guest",
    )


def mark_reminded(cart_id: int, *, actor: Actor) -> bool:
    """Record that the cart's reminder went out (once; a second call changes nothing). Returns
    whether this call marked it. Raises nothing for an unknown cart (False)."""
    cart = db.session.scalar(
        select(Cart)
        .where(Cart.id == cart_id, Cart.reminded_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if cart is None:
        db.session.commit()
        return False
    cart.reminded_at = utcnow()
    events.record("cart.reminded", cart_id=cart.id, actor_kind=actor.kind)
    db.session.commit()
    return True
