"""Gift cards sold as products: a paid order issues one card per unit of a gift-card variant.

A variant with `gift_card_value_amount` set is a gift card (always digital: nothing to ship). Once
its order is paid, unit n of order line L gets a card of that value in the order's currency, issued
under the reference "order-line:<L>:<n>"; a unique index on issue references keeps it to one card
per unit however often this runs. The value is read from the variant when the order is paid (the
order line does not snapshot it).

Codes are stored hashed and shown once, so they go to the buyer by email straight after issuing
(jobs/handlers/orders.py). A run that finds a unit's card issued already gives it a new code: the
handler calls this only while the email carrying the codes has not gone out, so the code replaced
never reached anyone and the buyer never holds a dead one. A card already spent from proves its code
arrived; it keeps its code (and is listed without one).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from commerce import db
from commerce.audit import Actor
from commerce.catalog.models import Variant
from commerce.errors import Conflict, NotFound
from commerce.orders.models import Order, OrderLine
from commerce.pricing.gift_cards import issue_gift_card, issued_gift_card, renew_gift_card_code
from commerce.pricing.models import GiftCard

PAID_STATUSES = ("paid", "partially_refunded")


@dataclasses.dataclass(frozen=True, slots=True)
class SoldGiftCard:
    """A card bought in an order: the line's title, the card, and its code (None when the card
    was spent from already, so its code is with its owner)."""

    title: str
    gift_card: GiftCard
    code: str | None


def unit_reference(order_line_id: int, unit: int) -> str:
    """The issue reference of the card for unit `unit` (1-based) of an order line."""
    return f"order-line:{order_line_id}:{unit}"


def gift_card_lines(order_id: int) -> list[tuple[OrderLine, int]]:
    """The order's lines that bought gift cards, each with the value of one card."""
    rows = db.session.execute(
        select(OrderLine, Variant.gift_card_value_amount)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .where(OrderLine.order_id == order_id, Variant.gift_card_value_amount.is_not(None))
        .order_by(OrderLine.id)
    )
    return [(line, int(value)) for line, value in rows]


def issue_sold_gift_cards(order_id: int, *, actor: Actor) -> list[SoldGiftCard]:
    """Issue the gift cards a paid order bought, one per unit (see the module docstring), and
    commit; cards issued by an earlier run get new codes instead. Returns them with their codes.
    Raises NotFound (order), Conflict (the order is not paid)."""
    order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    if order.payment_status not in PAID_STATUSES:
        raise Conflict(
            f"Order #{order.number} is not paid; its gift cards are issued once it is.",
            details={"payment_status": order.payment_status},
        )
    sold: list[SoldGiftCard] = []
    for line, value in gift_card_lines(order.id):
        for unit in range(1, line.quantity + 1):
            reference = unit_reference(line.id, unit)
            card = issued_gift_card(reference)
            if card is None:
                issued = issue_gift_card(
                    value,
                    order.currency,
                    note=f"Sold in order #{order.number}",
                    reference=reference,
                    actor=actor,
                    commit=False,
                )
            elif card.balance_amount < card.initial_amount:
                sold.append(SoldGiftCard(line.title, card, None))
                continue
            else:
                issued = renew_gift_card_code(
                    card.id,
                    reason="the email with its code was not sent",
                    actor=actor,
                    commit=False,
                )
            sold.append(SoldGiftCard(line.title, issued.gift_card, issued.code))
    db.session.commit()
    return sold
