"""Verification and password reset emails: from the outbox through a real RQ worker to the
mailbox, with links that work once."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from commerce.customers import accounts
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from jobs.cli import relay_loop
from jobs.handlers.customers import send_password_reset_email, send_verification_email
from jobs.registry import routes
from tests.customers.factories import ANONYMOUS, register
from tests.jobs.test_events import run_worker

LINK = re.compile(r"https?://\S+")


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    [link] = LINK.findall(text)
    return link


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def event_message(session, name: str) -> dict:
    event = session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id.desc())
    ).first()
    return event.as_message()


def test_customer_events_are_routed_to_the_mail_queue():
    table = routes()
    for name in ("customer.registered", "customer.verification_requested"):
        assert [r.handler for r in table[name]] == [
            "jobs.handlers.customers.send_verification_email"
        ]
    [reset] = table["customer.password_reset_requested"]
    assert (reset.handler, reset.queue) == (
        "jobs.handlers.customers.send_password_reset_email",
        "mail",
    )


@pytest.mark.committed
def test_registration_email_arrives_through_the_worker_and_verifies_once(app, db_session, mailbox):
    customer = register(email="newbie@example.com", first_name="Nia").customer
    assert mailbox() == []
    assert relay_loop(once=True) == 1
    run_worker(app)

    [message] = mailbox()
    assert message["To"] == "newbie@example.com"
    assert message["Subject"] == "Confirm your email address for Shop"
    assert "Hello Nia" in message.get_body(("plain",)).get_content()
    link = link_in(message)
    assert link.startswith("http://shop.example/account/verify-email?token=")
    assert token_of(link) in message.get_body(("html",)).get_content()
    # The raw token lives only in the email: not in the outbox.
    payloads = [str(e.payload) for e in db_session.scalars(select(OutboxEvent))]
    assert all(token_of(link) not in payload for payload in payloads)

    verified = accounts.verify_email(token_of(link), actor=ANONYMOUS)
    assert verified.id == customer.id and verified.email_verified_at is not None
    with pytest.raises(InvalidInput):
        accounts.verify_email(token_of(link), actor=ANONYMOUS)


@pytest.mark.committed
def test_reset_email_arrives_and_its_link_sets_the_password(app, db_session, mailbox):
    register(email="forgot@example.com")
    relay_loop(once=True)
    run_worker(app)  # the verification email
    accounts.request_password_reset("forgot@example.com", ip=None)
    accounts.request_password_reset("nobody-here@example.com", ip=None)
    relay_loop(once=True)
    run_worker(app)

    [reset] = [m for m in mailbox() if "Reset" in m["Subject"]]
    assert reset["To"] == "forgot@example.com"
    link = link_in(reset)
    assert link.startswith("http://shop.example/account/reset-password?token=")
    accounts.reset_password(token_of(link), "remembered it now", ip=None)
    assert accounts.sign_in("forgot@example.com", "remembered it now", ip=None)
    assert len(mailbox()) == 2  # nothing went to the unknown address


def test_a_handler_run_twice_sends_once_and_the_first_link_still_works(app, db_session, mailbox):
    register(email="twice@example.com")
    accounts.request_password_reset("twice@example.com", ip=None)
    message = event_message(db_session, "customer.password_reset_requested")

    assert send_password_reset_email(message) == "sent"
    assert send_password_reset_email(message) == "skipped: already sent"
    [email] = mailbox()
    accounts.reset_password(token_of(link_in(email)), "still works fine", ip=None)


def test_storefront_url_setting_builds_the_links(app, db_session, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "STOREFRONT_URL", "https://www.shop.example/")
    register(email="links@example.com")
    send_verification_email(event_message(db_session, "customer.registered"))
    [email] = mailbox()
    assert link_in(email).startswith("https://www.shop.example/account/verify-email?token=")


def test_no_verification_email_once_verified_or_erased(app, db_session, mailbox):
    grant = register(email="done@example.com")
    message = event_message(db_session, "customer.registered")
    accounts.request_verification_email(grant.customer.id, actor=ANONYMOUS)
    send_verification_email(message)
    accounts.verify_email(token_of(link_in(mailbox()[0])), actor=ANONYMOUS)
    again = event_message(db_session, "customer.verification_requested")
    assert send_verification_email(again) == "skipped: email already verified"
    gone = {**message, "id": 424242, "payload": {"customer_id": 999_999}}
    assert send_verification_email(gone) == "skipped: customer no longer exists"
    assert len(mailbox()) == 1
