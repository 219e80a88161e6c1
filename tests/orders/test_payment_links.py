"""Payment links: emailed with a token only the email holds, opened through the API to get one
Stripe PaymentIntent however often the buyer opens it, marked paid by the signed webhook, 404 when
unknown and 410 once expired; documented in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from commerce import db
from commerce.errors import InvalidInput
from commerce.orders.edit_models import PaymentLink
from commerce.orders.models import Order
from commerce.payments.links import create_payment_link
from commerce.payments.models import Payment
from tests.carts.factories import make_variant
from tests.orders.editing_factories import CLERK, draft, link_tokens, pay_link, shop


def test_a_link_is_emailed_and_only_its_hash_is_stored(db_session, mailbox):
    order = draft(shop(), {make_variant(2000, stock=5).id: 1})

    link = create_payment_link(order.id, 1234, actor=CLERK)

    (token,) = link_tokens(mailbox, order.email)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    (message,) = [m for m in mailbox() if m["X-Template"] == "payment_link"]
    assert message["Subject"] == f"Payment for order #{order.number}: 12.34 EUR"


def test_a_link_needs_a_positive_amount(db_session):
    order = draft(shop(), {make_variant(2000, stock=5).id: 1})
    with pytest.raises(InvalidInput) as caught:
        create_payment_link(order.id, 0, actor=CLERK)
    assert "amount" in caught.value.fields


def test_opening_a_link_twice_gives_one_payment_intent(client, db_session, mailbox, stripe_server):
    order = draft(shop(), {make_variant(2000, stock=5).id: 1})
    create_payment_link(order.id, 1234, actor=CLERK)
    (token,) = link_tokens(mailbox, order.email)

    first = client.get(f"/api/v1/pay/{token}")
    again = client.get(f"/api/v1/pay/{token}")

    assert first.status_code == again.status_code == 200
    body = first.get_json()
    assert (body["amount"], body["currency"], body["status"]) == (1234, "EUR", "open")
    assert body["client_secret"].startswith(body["payment_intent"])
    assert again.get_json()["payment_intent"] == body["payment_intent"]
    assert first.headers["Cache-Control"] == "private, no-store"
    link = db.session.scalar(select(PaymentLink).where(PaymentLink.order_id == order.id))
    payments = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).all()
    assert [(p.amount, p.idempotency_key) for p in payments] == [(1234, f"payment-link-{link.id}")]
    assert link.payment_id == payments[0].id
    assert link.provider_reference == payments[0].provider_reference == body["payment_intent"]


def test_a_paid_link_says_so_and_a_replayed_webhook_changes_nothing(
    client, db_session, mailbox, stripe_server, gateway
):
    order = draft(shop(), {make_variant(2000, stock=5).id: 1})
    create_payment_link(order.id, 1234, actor=CLERK)
    (token,) = link_tokens(mailbox, order.email)

    assert pay_link(client, stripe_server, gateway, token)["outcome"] == "paid"

    body = client.get(f"/api/v1/pay/{token}").get_json()
    assert (body["status"], body["client_secret"]) == ("paid", None)
    link = db.session.scalar(select(PaymentLink).where(PaymentLink.order_id == order.id))
    assert link.status == "paid" and link.paid_at is not None
    event = stripe_server.last_event("payment_intent.succeeded")
    body, signature = stripe_server.signed_event(event)
    replay = client.post(
        "/api/v1/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    assert replay.get_json()["outcome"] == "duplicate"
    succeeded = select(func.count()).where(
        Payment.order_id == order.id, Payment.status == "succeeded"
    )
    assert db.session.scalar(succeeded) == 1


def test_unknown_and_expired_links(client, db_session, mailbox):
    order = draft(shop(), {make_variant(2000, stock=5).id: 1})
    link = create_payment_link(order.id, 1234, actor=CLERK)
    (token,) = link_tokens(mailbox, order.email)
    link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()

    unknown = client.get("/api/v1/pay/not-a-token")
    expired = client.get(f"/api/v1/pay/{token}")

    assert unknown.status_code == 404
    assert expired.status_code == 410
    assert expired.get_json()["error"]["code"] == "link_expired"
    assert db.session.get(PaymentLink, link.id, populate_existing=True).status == "expired"
    assert db.session.get(Order, order.id).status == "draft"


def test_the_route_is_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert set(doc["paths"]["/pay/{token}"]["get"]["responses"]) >= {"200", "404", "410"}
    assert "PaymentLink" in doc["components"]["schemas"]


def test_only_the_newest_link_stays_open_and_money_received_otherwise_closes_it(
    db_session, mailbox
):
    from commerce.orders.service import mark_paid_offline
    from tests.checkout.factories import make_order

    order = make_order(payment_method="bank_transfer", lines=((1, 4000),))
    first = create_payment_link(order.id, 4000, actor=CLERK)
    second = create_payment_link(order.id, 4000, actor=CLERK)
    statuses = dict(db_session.execute(select(PaymentLink.id, PaymentLink.status)).all())
    assert statuses == {first.id: "expired", second.id: "open"}

    mark_paid_offline(order.id, reference="bank 4711", actor=CLERK)

    assert db_session.get(PaymentLink, second.id, populate_existing=True).status == "expired"
