"""Personal data: the export holds everything about the customer, an erasure request is recorded
once, and erasure anonymises the person while their orders stay."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commerce import audit
from commerce.audit import Actor
from commerce.customers import accounts, addresses, privacy, tokens
from commerce.customers.models import Customer, CustomerAddress, CustomerToken, ErasureRequest
from commerce.errors import Conflict, InvalidCredentials, InvalidInput, NotFound, Unauthenticated
from commerce.events import OutboxEvent
from commerce.notifications.models import EmailMessage
from commerce.orders.models import Order
from tests.customers.factories import ANONYMOUS, PASSWORD, make_order, register
from tests.customers.test_addresses import HOME

STAFF = Actor(kind="staff", id=1, label="dpo@shop.example", ip="10.0.0.1")


def test_export_holds_profile_consent_addresses_orders_and_events(db_session):
    grant = register(email="export@example.com", first_name="Exa", accepts_marketing=True)
    customer = grant.customer
    accounts.update_profile(customer.id, {"accepts_marketing": False}, actor=ANONYMOUS)
    addresses.create_address(customer.id, HOME, actor=ANONYMOUS)
    order = make_order(customer.id, lines=((2, 1000), (1, 500)), email="export@example.com")
    make_order(None)  # someone else's

    data = privacy.export_customer_data(customer.id)

    assert data["profile"]["email"] == "export@example.com"
    assert data["profile"]["first_name"] == "Exa"
    assert data["profile"]["has_password"] is True
    assert data["consent"]["accepts_marketing"] is False
    assert [h["accepts_marketing"] for h in data["consent"]["history"]] == [True, False]
    assert [a["line1"] for a in data["addresses"]] == ["Unter den Linden 1"]
    [exported] = data["orders"]
    assert exported["number"] == order.number
    assert [(line["quantity"], line["unit_price"]["amount"]) for line in exported["lines"]] == [
        (2, 1000),
        (1, 500),
    ]
    assert [e["action"] for e in data["account_events"]] == [
        "customer.register",
        "customer.update",
        "customer.address_create",
    ]
    assert data["erasure_requests"] == []


def test_an_erasure_request_needs_the_password_and_is_recorded_once(db_session):
    customer = register().customer
    with pytest.raises(InvalidInput) as caught:
        privacy.request_erasure(customer.id, password="wrong", actor=ANONYMOUS)
    assert caught.value.fields == {"password": "is not correct"}

    first = privacy.request_erasure(customer.id, password=PASSWORD, actor=ANONYMOUS)
    again = privacy.request_erasure(customer.id, password=PASSWORD, actor=ANONYMOUS)
    assert first.id == again.id and first.status == "pending"
    assert db_session.scalars(select(ErasureRequest)).all() == [first]
    [event] = db_session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "customer.erasure_requested")
    ).all()
    assert event.payload == {"customer_id": customer.id, "erasure_request_id": first.id}
    assert audit.history("customer", customer.id)[0].action == "customer.erasure_request"


def test_erasure_anonymises_the_person_and_keeps_their_orders(db_session):
    grant = register(
        email="forget.me@example.com",
        first_name="Forget",
        last_name="Me",
        phone="+49 30 9999999",
        accepts_marketing=True,
    )
    customer = grant.customer
    addresses.create_address(customer.id, HOME, actor=ANONYMOUS)
    order = make_order(
        customer.id,
        email="forget.me@example.com",
        shipping_address={**HOME, "country": "DE", "phone": "+49 30 9999999"},
        billing_address={**HOME, "country": "DE", "phone": "+49 30 9999999"},
    )
    db_session.add(
        EmailMessage(
            template="verify_email", to_address=customer.email, subject="Hi", status="sent"
        )
    )
    db_session.commit()
    request = privacy.request_erasure(customer.id, password=PASSWORD, actor=ANONYMOUS)

    privacy.erase_customer(customer.id, actor=STAFF)

    erased = db_session.get(Customer, customer.id)
    assert erased.email == f"erased-{customer.id}@erased.invalid"
    assert (erased.first_name, erased.last_name, erased.phone) == ("Erased", "Customer", None)
    assert erased.password_hash is None and erased.accepts_marketing is False
    assert erased.erased_at is not None
    assert db_session.scalars(select(CustomerAddress)).all() == []
    assert db_session.scalars(select(CustomerToken)).all() == []
    with pytest.raises(Unauthenticated):
        tokens.authenticate(grant.token.raw)
    with pytest.raises(InvalidCredentials):
        accounts.sign_in("forget.me@example.com", PASSWORD, ip=None)

    kept = db_session.get(Order, order.id)
    assert (kept.customer_id, kept.total_amount, len(kept.lines)) == (customer.id, 2500, 1)
    assert kept.email == erased.email
    assert kept.shipping_address == {"country": "DE", "postcode": "10117"}
    # Only what decided the tax stays on the order (the invoice keeps its own addressee).
    assert set(kept.billing_address) <= {"country", "region", "postcode"}
    assert db_session.scalar(select(EmailMessage.to_address)) == erased.email
    assert db_session.get(ErasureRequest, request.id).status == "completed"

    entry = audit.history("customer", customer.id)[0]
    assert (entry.action, entry.actor_label) == ("customer.erase", "dpo@shop.example")
    assert entry.changes["orders_anonymised"] == [None, 1]
    everything = " ".join(str(e.changes) for e in audit.history("customer", customer.id))
    assert "forget.me" not in everything and "Forget" not in everything
    assert "9999999" not in everything
    with pytest.raises(NotFound):
        privacy.export_customer_data(customer.id)


def test_erasing_twice_changes_nothing_more(db_session):
    customer = register().customer
    privacy.erase_customer(customer.id, actor=STAFF)
    privacy.erase_customer(customer.id, actor=STAFF)
    actions = [e.action for e in audit.history("customer", customer.id)]
    assert actions.count("customer.erase") == 1


def test_erasure_waits_for_open_orders(db_session):
    customer = register(email="busy@example.com").customer
    open_order = make_order(customer.id, status="paid")
    with pytest.raises(Conflict) as caught:
        privacy.erase_customer(customer.id, actor=STAFF)
    assert caught.value.details == {"open_orders": [open_order.number]}
    db_session.rollback()
    assert db_session.get(Customer, customer.id).email == "busy@example.com"


def test_erasing_an_unknown_customer_is_not_found(db_session):
    with pytest.raises(NotFound):
        privacy.erase_customer(987654, actor=STAFF)
