"""Bulk actions of the order list: each goes through a confirmation page listing the selection
before anything happens; export streams the selected orders as CSV, hold puts each on hold with
one reason (reporting, by number, those that may not), the fulfilment ones say so when the
fulfilment module is absent. Each needs its permission."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from backoffice import order_hooks
from commerce.audit import AuditEntry
from commerce.orders import timeline
from commerce.orders.models import Order
from tests.checkout.factories import make_order


def _action(client, name, orders):
    return client.post(
        "/admin/orders/action/",
        data={
            "action": name,
            "rowid": [str(o.id) for o in orders],
            "url": "/admin/orders/",
            "csrf_token": client.csrf,
        },
    )


def _confirm_page(client, name, orders) -> str:
    """Run the bulk action from the list; returns the confirmation page's URL (checked)."""
    response = _action(client, name, orders)
    assert response.status_code == 302
    target = urlparse(response.location)
    assert target.path == f"/admin/orders/bulk/{name}"
    assert parse_qs(target.query)["id"] == [str(o.id) for o in orders]
    return response.location


def _status(db_session, order) -> str:
    return db_session.get(Order, order.id, populate_existing=True).status


def _refused(response, permission):
    assert response.status_code == 403
    assert f'<code id="missing-permission">{permission}</code>' in response.get_data(as_text=True)


def test_export_confirms_then_streams_exactly_the_selected_orders(sign_in, db_session):
    client, user = sign_in("manager")  # managers hold orders.export
    first = make_order(email="first@export.example", lines=((2, 1250),))
    second = make_order(email="=cmd@export.example", shipping_address={"name": "Ada"})
    left_out = make_order(email="left@export.example")
    listing = client.get("/admin/orders/").get_data(as_text=True)
    assert "Export as CSV…" in listing

    url = _confirm_page(client, "export", [first, second])
    page = client.get(url).get_data(as_text=True)
    assert "2 orders selected" in page and f"#{first.number}" in page
    assert f"#{left_out.number}" not in page

    response = client.post(
        "/admin/orders/bulk/export",
        data={"id": [first.id, second.id], "csrf_token": client.csrf},
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(int(r["number"]) for r in rows) == sorted([first.number, second.number])
    by_number = {int(r["number"]): r for r in rows}
    assert by_number[first.number]["total"] == "25.00"
    assert by_number[first.number]["items"] == f"2 x {first.lines[0].sku}"
    assert by_number[second.number]["email"] == "'=cmd@export.example"  # no formula
    assert by_number[second.number]["shipping_name"] == "Ada"
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "order.export"))
    assert entry.actor_id == user.id
    assert sorted(entry.changes["numbers"][1]) == sorted([first.number, second.number])


def test_export_is_refused_without_orders_export(sign_in):
    client, _user = sign_in("support")
    order = make_order()
    assert "Export as CSV…" not in client.get("/admin/orders/").get_data(as_text=True)
    _refused(_action(client, "export", [order]), "orders.export")
    _refused(client.get(f"/admin/orders/bulk/export?id={order.id}"), "orders.export")
    _refused(
        client.post("/admin/orders/bulk/export", data={"id": order.id, "csrf_token": client.csrf}),
        "orders.export",
    )


def test_bulk_hold_asks_for_a_reason_and_reports_the_orders_it_could_not_hold(sign_in, db_session):
    client, user = sign_in("support")
    paid = make_order(status="paid", payment_status="paid")
    pending = make_order()
    cancelled = make_order(status="cancelled", payment_status="voided")
    url = _confirm_page(client, "hold", [paid, pending, cancelled])
    assert "3 orders selected" in client.get(url).get_data(as_text=True)
    ids = [paid.id, pending.id, cancelled.id]

    missing = client.post(
        "/admin/orders/bulk/hold", data={"id": ids, "reason": "", "csrf_token": client.csrf}
    )
    assert missing.status_code == 200
    assert "Reason: is required" in missing.get_data(as_text=True)
    assert _status(db_session, paid) == "paid"

    response = client.post(
        "/admin/orders/bulk/hold",
        data={
            "id": ids,
            "reason": "Address check",
            "url": "/admin/orders/",
            "csrf_token": client.csrf,
        },
        follow_redirects=True,
    )

    body = response.get_data(as_text=True)
    assert "2 orders put on hold." in body
    assert f"Order #{cancelled.number}: an order that is cancelled cannot become on hold." in body
    assert [_status(db_session, o) for o in (paid, pending, cancelled)] == [
        "on_hold",
        "on_hold",
        "cancelled",
    ]
    entry = timeline.entries(paid.id)[0]
    assert entry.message.endswith("Address check") and entry.actor_id == user.id
    audited = db_session.scalars(
        select(AuditEntry.object_id).where(AuditEntry.action == "order.status")
    ).all()
    assert sorted(audited) == sorted([str(paid.id), str(pending.id)])


def test_bulk_hold_is_refused_without_orders_edit(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    order = make_order(status="paid", payment_status="paid")
    _refused(_action(client, "hold", [order]), "orders.edit")
    _refused(
        client.post(
            "/admin/orders/bulk/hold",
            data={"id": order.id, "reason": "x", "csrf_token": client.csrf},
        ),
        "orders.edit",
    )
    assert _status(db_session, order) == "paid"


def test_fulfilment_actions_say_they_are_not_available_without_the_module(
    sign_in, db_session, monkeypatch
):
    client, _user = sign_in("support")
    order = make_order(status="paid", payment_status="paid")
    monkeypatch.setattr(order_hooks, "function", lambda *_args, **_kwargs: None)
    for kind in ("fulfil", "documents", "pick_list"):
        page = client.get(_confirm_page(client, kind, [order])).get_data(as_text=True)
        assert "is not available: the fulfilment module is not installed yet" in page, kind
        response = client.post(
            f"/admin/orders/bulk/{kind}", data={"id": order.id, "csrf_token": client.csrf}
        )
        assert response.status_code == 200
    assert _status(db_session, order) == "paid"


def test_bulk_mark_fulfilled_reports_orders_that_cannot_ship(sign_in, db_session):
    pytest.importorskip("commerce.fulfilment.service")
    client, _user = sign_in("support")
    unpaid = make_order()
    cancelled = make_order(status="cancelled", payment_status="voided")
    page = client.get(_confirm_page(client, "fulfil", [unpaid, cancelled])).get_data(as_text=True)
    assert "Ship every unit left (2 orders)" in page

    response = client.post(
        "/admin/orders/bulk/fulfil",
        data={"id": [unpaid.id, cancelled.id], "url": "/admin/orders/", "csrf_token": client.csrf},
        follow_redirects=True,
    )

    body = response.get_data(as_text=True)
    assert f"Order #{cancelled.number}: cannot ship a cancelled order." in body
    assert f"Order #{unpaid.number}: cannot ship an order that is not paid." in body
    assert [_status(db_session, o) for o in (unpaid, cancelled)] == [
        "pending_payment",
        "cancelled",
    ]


def test_fulfilment_actions_are_refused_without_orders_fulfil(sign_in):
    client, _user = sign_in("manager")
    order = make_order(status="paid", payment_status="paid")
    for kind in ("fulfil", "documents", "pick_list"):
        _refused(_action(client, kind, [order]), "orders.fulfil")
        _refused(client.get(f"/admin/orders/bulk/{kind}?id={order.id}"), "orders.fulfil")


def test_pick_list_lists_what_to_pick_and_leaves_out_unpaid_orders(sign_in):
    pytest.importorskip("commerce.fulfilment.picking")
    client, _user = sign_in("support")
    unpaid = make_order()
    client.get(_confirm_page(client, "pick_list", [unpaid]))

    response = client.post(
        "/admin/orders/bulk/pick_list", data={"id": unpaid.id, "csrf_token": client.csrf}
    )

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Pick list" in body and f"#{unpaid.number}: order is pending payment" in body


def test_printing_documents_of_orders_without_shipments_says_so(sign_in):
    pytest.importorskip("commerce.fulfilment.documents")
    client, _user = sign_in("support")
    order = make_order(status="paid", payment_status="paid")
    page = client.get(_confirm_page(client, "documents", [order])).get_data(as_text=True)
    assert "Packing slips" in page and "Shipping labels" in page

    response = client.post(
        "/admin/orders/bulk/documents",
        data={"id": order.id, "kind": "labels", "csrf_token": client.csrf},
    )

    assert response.status_code == 200
    assert "none of the selected orders has a shipment yet" in response.get_data(as_text=True)
