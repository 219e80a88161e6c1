"""The back-office's order editing and draft order screens: the edit form shows the new totals and
the payment difference before anything changes, confirming edits the order; draft orders are
listed, created and sent; each behind its permission (orders.edit, orders.create)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commerce import db
from commerce.inventory.models import StockLevel
from commerce.orders.drafts import send_draft_order
from commerce.orders.models import Order
from tests.carts.factories import make_variant
from tests.orders.editing_factories import CLERK, draft, link_tokens, shop


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": client.csrf, **data})


def _refused(response, permission):
    assert response.status_code == 403
    assert f'<code id="missing-permission">{permission}</code>' in response.get_data(as_text=True)


def sent_order(lines) -> Order:
    order = draft(shop(), lines)
    send_draft_order(order.id, actor=CLERK)
    return db.session.get(Order, order.id, populate_existing=True)


def test_support_previews_then_confirms_an_edit(sign_in, db_session, mailbox):
    tee, cap = make_variant(2000, stock=10), make_variant(1000, stock=10)
    order = sent_order({tee.id: 1})
    (line,) = order.lines
    client, _user = sign_in("support")
    page = client.get(f"/admin/orders/details/?id={order.id}").get_data(as_text=True)
    assert 'id="edit-order-link"' in page
    url = f"/admin/orders/{order.id}/edit"
    assert client.get(url).status_code == 200

    preview = _post(client, url, **{f"qty-{line.id}": "2", "add_sku": cap.sku, "add_quantity": "1"})

    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="edit-preview"' in body
    assert "50.00" in body  # the new subtotal: 2 x 20.00 + 10.00
    assert "will owe" in body  # unpaid: a new amount due, no link
    assert db.session.get(Order, order.id, populate_existing=True).subtotal_amount == 2000

    done = _post(
        client,
        url,
        **{f"qty-{line.id}": "2", "add_sku": cap.sku, "add_quantity": "1", "confirm": "yes"},
    )

    assert done.status_code == 302
    order = db.session.get(Order, order.id, populate_existing=True)
    assert order.subtotal_amount == 5000 and len(order.lines) == 2
    held = db.session.scalar(select(StockLevel.allocated).where(StockLevel.variant_id == cap.id))
    assert held == 1


def test_an_unknown_sku_is_flashed_naming_the_field(sign_in, db_session, mailbox):
    order = sent_order({make_variant(2000, stock=10).id: 1})
    client, _user = sign_in("support")
    response = _post(client, f"/admin/orders/{order.id}/edit", add_sku="NOPE-1", add_quantity="1")
    assert response.status_code == 200
    assert "no variant has SKU NOPE-1" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["merchandiser", "manager"])
def test_editing_needs_orders_edit(sign_in, db_session, mailbox, role):
    order = sent_order({make_variant(2000, stock=10).id: 1})
    client, _user = sign_in(role)
    _refused(client.get(f"/admin/orders/{order.id}/edit"), "orders.edit")
    page = client.get(f"/admin/orders/details/?id={order.id}").get_data(as_text=True)
    assert 'id="edit-order-link"' not in page


def test_support_creates_and_sends_a_draft(sign_in, db_session, mailbox):
    method = shop()
    tee = make_variant(2000, stock=10)
    client, _user = sign_in("support")
    assert client.get("/admin/draft_orders/").status_code == 200

    created = _post(
        client,
        "/admin/draft_orders/create",
        email="caller@example.com",
        lines=f"{tee.sku} x 2",
        name="Ada Lovelace",
        line1="Unter den Linden 1",
        postcode="10117",
        city="Berlin",
        country="DE",
        shipping_method_id=str(method),
    )

    assert created.status_code == 302
    order = db.session.scalar(select(Order).where(Order.email == "caller@example.com"))
    assert (order.status, order.channel, order.subtotal_amount) == ("draft", "draft", 4000)
    assert f"#{order.number}" in client.get("/admin/draft_orders/").get_data(as_text=True)

    sent = _post(client, f"/admin/draft_orders/{order.id}/send")

    assert sent.status_code == 302
    assert db.session.get(Order, order.id, populate_existing=True).status == "pending_payment"
    assert len(link_tokens(mailbox, "caller@example.com")) == 1


def test_a_draft_with_an_unknown_sku_is_refused_naming_it(sign_in, db_session):
    shop()
    client, _user = sign_in("support")
    response = _post(
        client, "/admin/draft_orders/create", email="caller@example.com", lines="NOPE-2 x 1"
    )
    assert response.status_code == 200
    assert "no variant has SKU NOPE-2" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["merchandiser", "manager"])
def test_draft_orders_need_orders_create(sign_in, db_session, role):
    order = draft(shop(), {make_variant(2000, stock=10).id: 1})
    client, _user = sign_in(role)
    _refused(client.get("/admin/draft_orders/"), "orders.create")
    _refused(_post(client, f"/admin/draft_orders/{order.id}/send"), "orders.create")
    assert db.session.get(Order, order.id, populate_existing=True).status == "draft"
