"""Abandoned-cart reminders: one email per cart left for ABANDONED_CART_AFTER_HOURS, only to owners
who agreed to marketing email, never for fresh, empty or checked-out carts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from commerce.carts import service as carts
from commerce.carts.models import Cart
from commerce.db import utcnow
from commerce.errors import InvalidInput
from jobs.handlers.carts import send_abandoned_cart_reminder, send_abandoned_cart_reminders
from jobs.schedule import SCHEDULE
from tests.carts.factories import SHOPPER, make_customer, make_variant

PREFIX = "/api/v1"


def left(db_session, cart_id: int, hours: float) -> None:
    """Make the cart look untouched for `hours`."""
    db_session.execute(
        update(Cart)
        .where(Cart.id == cart_id)
        .values(updated_at=utcnow() - dt.timedelta(hours=hours))
    )
    db_session.commit()


def customer_cart(*, accepts_marketing: bool, lines=((1200, 2),)):
    customer = make_customer(accepts_marketing=accepts_marketing)
    cart = carts.get_cart_for_customer(customer.id, actor=SHOPPER)
    for price, quantity in lines:
        carts.add_item(cart.id, make_variant(price).id, quantity, actor=SHOPPER)
    return customer, cart


def guest_cart(*, email: str | None = "guest@example.com", consent: bool = False, lines=1):
    cart, _token = carts.create_guest_cart(actor=SHOPPER)
    for _ in range(lines):
        carts.add_item(cart.id, make_variant(1500).id, 1, actor=SHOPPER)
    if email:
        carts.set_email(cart.id, email, marketing_consent=consent, actor=SHOPPER)
    return cart


def reminders(mailbox) -> list:
    return [m for m in mailbox() if m["X-Template"] == "abandoned_cart"]


def reminded_at(db_session, cart_id: int):
    return db_session.scalar(select(Cart.reminded_at).where(Cart.id == cart_id))


def test_a_consenting_customer_is_reminded_once_with_the_lines_and_a_link(db_session, mailbox):
    customer, cart = customer_cart(accepts_marketing=True, lines=((1200, 2), (350, 1)))
    left(db_session, cart.id, hours=5)

    assert send_abandoned_cart_reminders() == "sent 1 reminder(s) of 1 abandoned cart(s)"
    assert send_abandoned_cart_reminders() == "sent 0 reminder(s) of 0 abandoned cart(s)"
    left(db_session, cart.id, hours=6)  # left again after the reminder: still only one
    assert send_abandoned_cart_reminders() == "sent 0 reminder(s) of 0 abandoned cart(s)"

    (message,) = reminders(mailbox)
    assert message["To"] == customer.email
    assert message["Subject"] == "You left something in your cart at Shop"
    text = message.get_body(("plain",)).get_content()
    titles = [line.variant.product.title for line in cart.lines]
    assert f"2 x {titles[0]}: 12.00 EUR each, 24.00 EUR" in text
    assert f"1 x {titles[1]}: 3.50 EUR each, 3.50 EUR" in text
    assert "Subtotal: 27.50 EUR" in text
    assert "http://shop.example/cart" in text
    assert "turn off marketing email in your account settings" in text
    html = message.get_body(("html",)).get_content()
    assert 'href="http://shop.example/cart"' in html and "27.50" in html
    assert reminded_at(db_session, cart.id) is not None


def test_the_link_goes_to_the_storefront_and_the_delay_is_a_setting(
    app, db_session, mailbox, monkeypatch
):
    monkeypatch.setitem(app.config, "STOREFRONT_URL", "https://www.shop.example/")
    monkeypatch.setitem(app.config, "ABANDONED_CART_AFTER_HOURS", 1)
    _, cart = customer_cart(accepts_marketing=True)
    left(db_session, cart.id, hours=2)

    assert send_abandoned_cart_reminder(cart.id) == "sent"
    (message,) = reminders(mailbox)
    assert "https://www.shop.example/cart" in message.get_body(("plain",)).get_content()


def test_no_reminder_without_consent(db_session, mailbox):
    _, refused = customer_cart(accepts_marketing=False)
    silent_guest = guest_cart(consent=False)
    for cart in (refused, silent_guest):
        left(db_session, cart.id, hours=5)

    assert send_abandoned_cart_reminders() == "sent 0 reminder(s) of 0 abandoned cart(s)"
    assert send_abandoned_cart_reminder(refused.id) == "skipped: not due a reminder"
    assert reminders(mailbox) == []
    assert reminded_at(db_session, refused.id) is None


def test_a_guest_who_agreed_with_their_email_is_reminded_at_that_email(db_session, mailbox):
    cart = guest_cart(email="Ada@Example.COM", consent=True)
    left(db_session, cart.id, hours=5)

    assert send_abandoned_cart_reminder(cart.id) == "sent"
    (message,) = reminders(mailbox)
    assert message["To"] == "Ada@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "the only reminder we send about this cart" in text


def test_fresh_empty_converted_and_long_forgotten_carts_are_not_reminded(db_session, mailbox):
    _, fresh = customer_cart(accepts_marketing=True)
    left(db_session, fresh.id, hours=3)
    empty = carts.get_cart_for_customer(make_customer(accepts_marketing=True).id, actor=SHOPPER)
    left(db_session, empty.id, hours=5)
    _, converted = customer_cart(accepts_marketing=True)
    carts.mark_cart_converted(converted.id, actor=SHOPPER)
    left(db_session, converted.id, hours=5)
    _, forgotten = customer_cart(accepts_marketing=True)
    left(db_session, forgotten.id, hours=24 * 30)
    no_email = guest_cart(email=None)
    left(db_session, no_email.id, hours=5)

    assert send_abandoned_cart_reminders() == "sent 0 reminder(s) of 0 abandoned cart(s)"
    assert reminders(mailbox) == []

    left(db_session, fresh.id, hours=4.1)  # once it is old enough, it is reminded
    assert send_abandoned_cart_reminders() == "sent 1 reminder(s) of 1 abandoned cart(s)"


def test_a_reminder_sent_but_not_marked_is_not_sent_again(db_session, mailbox):
    cart = guest_cart(consent=True)
    left(db_session, cart.id, hours=5)
    assert send_abandoned_cart_reminder(cart.id) == "sent"
    # As if the run stopped between the email and marking the cart:
    db_session.execute(update(Cart).where(Cart.id == cart.id).values(reminded_at=None))
    left(db_session, cart.id, hours=5)

    assert send_abandoned_cart_reminder(cart.id) == "skipped: already sent"
    assert len(reminders(mailbox)) == 1
    assert reminded_at(db_session, cart.id) is not None


def test_consent_is_given_with_the_email_through_the_api_and_not_carried_over(client, db_session):
    token = client.post(f"{PREFIX}/carts").get_json()["token"]
    cart_id = carts.get_cart_for_token(token).id

    agreed = client.put(
        f"{PREFIX}/carts/{token}/email",
        json={"email": "ada@example.com", "marketing_consent": True},
    )
    assert agreed.status_code == 200
    assert db_session.scalar(select(Cart.marketing_consent).where(Cart.id == cart_id)) is True

    changed = client.put(f"{PREFIX}/carts/{token}/email", json={"email": "other@example.com"})
    assert changed.status_code == 200
    assert db_session.scalar(select(Cart.marketing_consent).where(Cart.id == cart_id)) is False

    bad = client.put(
        f"{PREFIX}/carts/{token}/email", json={"email": "ada@example.com", "marketing_consent": 1}
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"]["details"]["fields"] == {
        "marketing_consent": "must be true or false"
    }


def test_the_service_names_a_bad_consent_value(db_session):
    cart, _ = carts.create_guest_cart(actor=SHOPPER)
    with pytest.raises(InvalidInput) as refused:
        carts.set_email(cart.id, "ada@example.com", marketing_consent="yes", actor=SHOPPER)
    assert refused.value.fields == {"marketing_consent": "must be true or false"}


def test_reminders_run_every_fifteen_minutes_on_the_mail_queue():
    (entry,) = [e for e in SCHEDULE if e.func.endswith("send_abandoned_cart_reminders")]
    assert (entry.interval, entry.queue) == (900, "mail")
