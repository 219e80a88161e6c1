"""Gift cards sold as products: a paid order issues one card per unit, the buyer gets the codes by
email (stored hashed, never twice), and a code pays a later cart."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from commerce.catalog import service as catalog
from commerce.errors import Conflict, InvalidInput
from commerce.events import OutboxEvent
from commerce.orders import gift_cards as sold_cards
from commerce.orders.models import Order
from commerce.pricing.gift_cards import find_gift_card, ledger_balance, redeem_gift_card
from commerce.pricing.models import GiftCard, GiftCardTransaction
from jobs.handlers.orders import deliver_gift_cards
from tests.carts.factories import STAFF, make_variant
from tests.checkout.factories import make_order

PREFIX = "/api/v1"
CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def gift_card_variant(value: int = 5000, **fields):
    """A 50.00 EUR gift card sold at its value: digital, no stock kept."""
    return make_variant(
        value,
        stock=None,
        is_digital=True,
        gift_card_value_amount=value,
        title="Gift card",
        **fields,
    )


def guest_cart(client, lines: list[tuple[int, int]], email: str = "ada@example.com") -> str:
    token = client.post(f"{PREFIX}/carts").get_json()["token"]
    for variant_id, quantity in lines:
        response = client.post(
            f"{PREFIX}/carts/{token}/lines", json={"variant_id": variant_id, "quantity": quantity}
        )
        assert response.status_code == 200, response.get_json()
    assert client.put(f"{PREFIX}/carts/{token}/email", json={"email": email}).status_code == 200
    return token


def place(client, token: str, key: str, method: str = "stripe") -> dict:
    response = client.post(
        f"{PREFIX}/carts/{token}/orders",
        json={"payment_method": method},
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def paid_event(db_session, order_id: int) -> dict:
    events = db_session.scalars(select(OutboxEvent).where(OutboxEvent.name == "order.paid"))
    (event,) = [e for e in events if e.payload["order_id"] == order_id]
    return event.as_message()


def codes_in(message) -> list[str]:
    return CODE.findall(message.get_body(("plain",)).get_content())


def test_two_gift_cards_bought_arrive_by_email_once_and_pay_a_later_cart(
    client, db_session, stripe_server, gateway, mailbox
):
    card_variant = gift_card_variant(5000)
    token = guest_cart(client, [(card_variant.id, 2)])
    methods = client.get(f"{PREFIX}/carts/{token}/shipping-methods").get_json()
    assert methods["requires_shipping"] is False

    placed = place(client, token, "gift-cards-1")
    gateway.confirm_payment_intent(
        placed["payment"]["payment_intent_id"], "pm_card_visa", idempotency_key="confirm"
    )
    body, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )
    hook = client.post(
        f"{PREFIX}/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
    )
    assert hook.get_json()["outcome"] == "paid"
    order = db_session.scalar(select(Order).where(Order.number == placed["order"]["number"]))
    assert order.shipping_method is None  # digital: nothing to ship

    event = paid_event(db_session, order.id)
    assert deliver_gift_cards(event) == "sent 2 gift card(s)"
    assert deliver_gift_cards(event) == "skipped: already sent"

    cards = db_session.scalars(select(GiftCard).order_by(GiftCard.id)).all()
    assert [(c.initial_amount, c.balance_amount, c.currency) for c in cards] == [
        (5000, 5000, "EUR"),
        (5000, 5000, "EUR"),
    ]
    line_id = order.lines[0].id
    references = db_session.scalars(
        select(GiftCardTransaction.reference)
        .where(GiftCardTransaction.kind == "issued")
        .order_by(GiftCardTransaction.id)
    ).all()
    assert references == [f"order-line:{line_id}:1", f"order-line:{line_id}:2"]

    (message,) = [m for m in mailbox() if m["X-Template"] == "gift_card_delivery"]
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == f"Your gift cards from order #{order.number}"
    codes = codes_in(message)
    assert len(set(codes)) == 2
    assert "50.00" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert all(code in html for code in codes)
    # Stored hashed: only the last four characters are kept in the clear.
    assert {c.last4 for c in cards} == {code[-4:] for code in codes}
    assert all(code.replace("-", "") not in (c.code_hash, c.note) for c in cards for code in codes)

    # A later cart for 80.00 is paid with both: 50.00 from the first card, 30.00 from the second.
    shirt = make_variant(8000, is_digital=True, stock=None)
    later = guest_cart(client, [(shirt.id, 1)], email="friend@example.com")
    for code in codes:
        added = client.post(f"{PREFIX}/carts/{later}/gift-cards", json={"code": code})
        assert added.status_code == 200, added.get_json()
    second = place(client, later, "gift-cards-2")["order"]
    assert second["status"] == "paid" and second["total"]["amount"] == 8000
    db_session.expire_all()
    first_card, second_card = (find_gift_card(code) for code in codes)
    assert (first_card.balance_amount, second_card.balance_amount) == (0, 2000)
    assert ledger_balance(second_card.id) == 2000


def test_a_retry_before_the_email_went_out_replaces_the_codes_and_issues_no_more(db_session):
    variant = gift_card_variant(2500)
    order = make_order(
        lines=((3, 2500),), variant_0=variant, digital_0=True, status="paid", payment_status="paid"
    )

    first = sold_cards.issue_sold_gift_cards(order.id, actor=STAFF)
    again = sold_cards.issue_sold_gift_cards(order.id, actor=STAFF)

    assert [s.gift_card.id for s in first] == [s.gift_card.id for s in again]
    assert len(first) == 3 and all(s.gift_card.initial_amount == 2500 for s in first)
    assert db_session.scalar(select(func.count()).select_from(GiftCard)) == 3
    assert all(find_gift_card(s.code) is None for s in first)  # never sent: no longer valid
    assert [find_gift_card(s.code).id for s in again] == [s.gift_card.id for s in again]
    issued = db_session.scalar(select(func.count()).where(GiftCardTransaction.kind == "issued"))
    assert issued == 3


def test_a_card_already_spent_keeps_its_code(db_session):
    variant = gift_card_variant(2500)
    order = make_order(
        lines=((1, 2500),), variant_0=variant, digital_0=True, status="paid", payment_status="paid"
    )
    (first,) = sold_cards.issue_sold_gift_cards(order.id, actor=STAFF)
    redeem_gift_card(first.code, 1000, "order:elsewhere", actor=STAFF)

    (again,) = sold_cards.issue_sold_gift_cards(order.id, actor=STAFF)
    assert again.code is None and again.gift_card.id == first.gift_card.id
    assert find_gift_card(first.code).balance_amount == 1500


def test_an_unpaid_order_issues_no_gift_cards(db_session, mailbox):
    variant = gift_card_variant(2500)
    order = make_order(lines=((1, 2500),), variant_0=variant, digital_0=True)
    with pytest.raises(Conflict, match="not paid"):
        sold_cards.issue_sold_gift_cards(order.id, actor=STAFF)
    assert db_session.scalar(select(func.count()).select_from(GiftCard)) == 0

    plain = make_order(status="paid", payment_status="paid")
    event = {"id": 1, "name": "order.paid", "payload": {"order_id": plain.id}}
    assert deliver_gift_cards(event) == "skipped: no gift cards bought"
    assert mailbox() == []


def test_a_gift_card_variant_must_be_digital_with_a_positive_value(db_session):
    product = make_variant(1000).product
    with pytest.raises(InvalidInput) as refused:
        catalog.create_variant(
            product.id, sku="GC-PHYS", price_amount=1000, gift_card_value_amount=1000, actor=STAFF
        )
    assert refused.value.fields == {"gift_card_value_amount": "a gift card variant must be digital"}
    with pytest.raises(InvalidInput) as zero:
        catalog.create_variant(
            product.id,
            sku="GC-ZERO",
            price_amount=1000,
            is_digital=True,
            gift_card_value_amount=0,
            actor=STAFF,
        )
    assert "gift_card_value_amount" in zero.value.fields

    card = catalog.create_variant(
        product.id,
        sku="GC-25",
        price_amount=2500,
        is_digital=True,
        gift_card_value_amount="2500",
        actor=STAFF,
    )
    assert card.gift_card_value_amount == 2500
    with pytest.raises(InvalidInput) as undigital:
        catalog.update_variant(card.id, {"is_digital": False}, actor=STAFF)
    assert undigital.value.fields == {"is_digital": "a gift card variant must be digital"}

    # The database refuses it too, whatever writes the row.
    card.is_digital = False
    with pytest.raises(IntegrityError, match="ck_variants_gift_card_is_digital"):
        db_session.flush()
    db_session.rollback()
