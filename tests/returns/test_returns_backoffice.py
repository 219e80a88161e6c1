"""The returns screens: support staff find a return (status filter, search by order number or
email), approve it, receive the parcel and give store credit from its page; errors are flashed
naming the field; merchandisers and managers (no orders.edit) get 403."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commerce.inventory.models import StockLevel
from commerce.pricing.models import GiftCard
from commerce.returns import service
from commerce.returns.models import Return
from tests.inventory.factories import ledger_mismatches, make_warehouse
from tests.returns.factories import SUPPORT, shipped_order


def _return(order, quantity=2):
    return service.open_return(
        order.id, {order.lines[0].id: quantity}, "damaged", actor=SUPPORT, note="Cracked lid"
    )


def _fresh(db_session, return_id):
    db_session.expire_all()
    return db_session.get(Return, return_id)


def test_support_finds_approves_receives_and_credits_a_return(sign_in, db_session):
    client, user = sign_in("support")
    order = shipped_order(lines=((2, 1500),))
    other = shipped_order()
    ret = _return(order)
    _return(other, 1)
    line = order.lines[0]
    warehouse = make_warehouse()

    listing = client.get("/admin/returns/")
    assert listing.status_code == 200
    assert ret.reference in listing.get_data(as_text=True)
    found = client.get(f"/admin/returns/?search={order.number}").get_data(as_text=True)
    assert ret.reference in found and f"#{other.number}" not in found
    by_email = client.get(f"/admin/returns/?search={order.email}").get_data(as_text=True)
    assert ret.reference in by_email and f"#{other.number}" not in by_email
    requested = client.get("/admin/returns/?flt0_status_equals=requested").get_data(as_text=True)
    assert ret.reference in requested
    approved = client.get("/admin/returns/?flt0_status_equals=approved").get_data(as_text=True)
    assert ret.reference not in approved

    page = client.get(f"/admin/returns/details/?id={ret.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Cracked lid" in text and line.sku in text and 'id="approve-form"' in text

    def post(op, **data):
        return client.post(
            f"/admin/returns/{ret.id}/{op}", data={**data, "csrf_token": client.csrf}
        )

    assert post("approve", note="Photo checked").status_code == 302
    assert _fresh(db_session, ret.id).status == "approved"
    assert client.post(f"/admin/returns/{ret.id}/approve", data={}).status_code == 400  # CSRF

    too_many = post(
        "receive",
        warehouse_id=str(warehouse.id),
        **{f"restock-{line.id}": "2", f"write_off-{line.id}": "1"},
    )
    assert too_many.status_code == 200
    body = too_many.get_data(as_text=True)
    assert f"lines.{line.id}: 3 units of {line.sku} received, but the return is for 2" in body
    assert _fresh(db_session, ret.id).status == "approved"

    received = post(
        "receive",
        warehouse_id=str(warehouse.id),
        **{f"restock-{line.id}": "1", f"write_off-{line.id}": "1", f"condition-{line.id}": "used"},
    )
    assert received.status_code == 302
    assert "1 restocked, 1 written off" in client.get(received.location).get_data(as_text=True)
    level = db_session.scalar(
        select(StockLevel).where(
            StockLevel.variant_id == line.variant_id, StockLevel.warehouse_id == warehouse.id
        )
    )
    assert level.on_hand == 1
    assert ledger_mismatches(db_session) == []

    assert "30.00 EUR" in client.get(f"/admin/returns/details/?id={ret.id}").get_data(as_text=True)
    credited = post("resolve", resolution="store_credit")
    assert credited.status_code == 302
    done = _fresh(db_session, ret.id)
    assert (done.status, done.refund_amount, done.resolved_by_label) == (
        "refunded",
        3000,
        user.email,
    )
    assert db_session.get(GiftCard, done.gift_card_id).initial_amount == 3000
    final = client.get(f"/admin/returns/details/?id={ret.id}").get_data(as_text=True)
    assert "30.00 EUR</strong> given back as store credit" in final
    assert 'id="resolve-form"' not in final


def test_a_reject_without_a_reason_is_flashed_naming_the_field(sign_in, db_session):
    client, _user = sign_in("support")
    ret = _return(shipped_order())
    response = client.post(
        f"/admin/returns/{ret.id}/reject", data={"reason": "", "csrf_token": client.csrf}
    )
    assert response.status_code == 200
    assert "Why: This field is required." in response.get_data(as_text=True)
    assert _fresh(db_session, ret.id).status == "requested"


@pytest.mark.parametrize("role", ["merchandiser", "manager"])
def test_staff_without_orders_edit_are_refused(sign_in, db_session, role):
    client, _user = sign_in(role)
    ret = _return(shipped_order())
    assert client.get("/admin/returns/").status_code == 403
    assert client.get(f"/admin/returns/details/?id={ret.id}").status_code == 403
    response = client.post(f"/admin/returns/{ret.id}/approve", data={"csrf_token": client.csrf})
    assert response.status_code == 403
    assert _fresh(db_session, ret.id).status == "requested"
