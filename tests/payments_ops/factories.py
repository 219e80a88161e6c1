"""Orders paid by card through the local Stripe server, offline, or partly by gift card; stock
allocated to them; reads of what the tests assert."""

from __future__ import annotations

from sqlalchemy import func, select

from commerce import db
from commerce.audit import Actor, AuditEntry
from commerce.events import OutboxEvent
from commerce.inventory import service as inventory
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.orders.service import mark_paid_offline, order_reference
from commerce.payments.gateway import StripeGateway
from commerce.payments.models import Payment
from commerce.payments.service import apply_stripe_webhook, start_stripe_payment
from commerce.payments.stripe_server import StripeTestServer
from commerce.pricing.gift_cards import issue_gift_card, redeem_gift_card_by_id
from commerce.pricing.models import GiftCard
from tests.checkout.factories import make_order
from tests.inventory.factories import make_variant, make_warehouse

CLERK = Actor(kind="staff", id=7, label="clerk@shop.example")


def deliver(server: StripeTestServer, gateway: StripeGateway, event) -> str:
    """Post one recorded event (or the newest of a type) to our webhook service, signed."""
    if isinstance(event, str) and "." in event:
        event = server.last_event(event)
    body, signature = server.signed_event(event)
    return apply_stripe_webhook(body, signature, gateway=gateway, secret=server.webhook_secret)


def pay_by_card(
    order: Order, gateway: StripeGateway, server: StripeTestServer, card: str = "pm_card_visa"
) -> Payment:
    """Collect the order's amount due through Stripe and apply the webhook."""
    started = start_stripe_payment(order.id, gateway)
    gateway.confirm_payment_intent(
        started.provider_reference, card, idempotency_key=f"confirm-{started.payment_id}"
    )
    if gateway.retrieve_payment_intent(started.provider_reference).status == "succeeded":
        assert deliver(server, gateway, "payment_intent.succeeded") == "paid"
    payment = db.session.get(Payment, started.payment_id, populate_existing=True)
    assert payment is not None
    return payment


def card_order(
    gateway: StripeGateway,
    server: StripeTestServer,
    *,
    lines=((2, 2500),),
    shipping: int = 0,
    gift_card: int = 0,
    card: str = "pm_card_visa",
    **overrides,
) -> Order:
    """An order of `lines` (+ `shipping`), `gift_card` of it paid by a gift card, the rest paid
    by `card` through Stripe."""
    order = make_order(lines=lines, **overrides)
    if shipping:
        order.shipping_amount = shipping
        order.total_amount += shipping
        db.session.commit()
    if gift_card:
        card_row = issue_gift_card(gift_card + 1000, order.currency, actor=CLERK).gift_card
        redeem_gift_card_by_id(card_row.id, gift_card, order_reference(order), actor=CLERK)
        order.gift_card_amount = gift_card
        order.adjustments = [
            {"kind": "gift_card", "gift_card_id": card_row.id, "last4": "0000", "amount": gift_card}
        ]
        db.session.commit()
    pay_by_card(order, gateway, server, card)
    return reload(order)


def offline_order(*, lines=((2, 2500),)) -> Order:
    """An order paid by bank transfer (recorded by staff)."""
    order = make_order(lines=lines, payment_method="bank_transfer")
    return mark_paid_offline(order.id, reference="bank in 1", actor=CLERK)


def stocked(order: Order, units: int, *, on_hand: int = 10, ship: int = 0):
    """A variant with `on_hand` units in a warehouse, `units` allocated to the order (and `ship`
    of them shipped). Returns (variant, warehouse)."""
    warehouse = make_warehouse()
    variant = make_variant()
    inventory.receive_stock(variant.id, warehouse.id, on_hand, actor=CLERK)
    inventory.allocate_stock([(variant.id, units)], order_reference(order), actor=CLERK)
    if ship:
        inventory.ship_stock(order_reference(order), [(variant.id, ship)], actor=CLERK)
    return variant, warehouse


def reload(obj):
    return db.session.get(type(obj), obj.id, populate_existing=True)


def gift_card_balance(gift_card_id: int) -> int:
    return db.session.get(GiftCard, gift_card_id, populate_existing=True).balance_amount


def outbox(name: str) -> list[dict]:
    return [
        e.payload
        for e in db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id)
        )
    ]


def audit_actions(order_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "order", AuditEntry.object_id == str(order_id))
            .order_by(AuditEntry.id)
        )
    )


def timeline_of(order_id: int, kind: str) -> list[str]:
    """The order's timeline messages of `kind`, oldest first."""
    return [e.message for e in reversed(timeline.entries(order_id)) if e.kind == kind]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
