"""Inventory screens: stock levels and their forms, movements, warehouses, permissions and the
product list's bulk "Adjust stock…" page. Every change goes through commerce.inventory.service."""

from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel, StockMovement, Warehouse
from tests.inventory.factories import CLERK, make_variant, make_warehouse


def _level(db_session, variant_id, warehouse_id):
    db_session.expire_all()
    return db_session.scalar(
        select(StockLevel).where(
            StockLevel.variant_id == variant_id, StockLevel.warehouse_id == warehouse_id
        )
    )


def _movements(db_session, variant_id):
    stmt = select(StockMovement).where(StockMovement.variant_id == variant_id)
    return list(db_session.scalars(stmt.order_by(StockMovement.id)))


def _audit(db_session, action):
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


class Row:
    """Plain values of a row, which stay readable after a request has closed the session."""

    def __init__(self, model, *names):
        for name in ("id", *names):
            setattr(self, name, getattr(model, name))


def _stocked(on_hand=10):
    """A variant with `on_hand` units in a new warehouse, and a second warehouse (as Rows)."""
    variant = make_variant()
    source, target = make_warehouse(), make_warehouse()
    level = inventory.receive_stock(variant.id, source.id, on_hand, "PO-1", actor=CLERK)
    return (
        Row(variant, "sku", "product_id"),
        Row(source, "code"),
        Row(target, "code"),
        Row(level),
    )


def test_merchandiser_receives_adjusts_counts_and_transfers_stock(sign_in, db_session):
    client, user = sign_in("merchandiser")
    variant, source, target, level = _stocked(10)
    page = client.get(f"/admin/stock/{level.id}/").get_data(as_text=True)
    assert variant.sku in page and 'id="transfer-form"' in page

    def post(op, **data):
        return client.post(
            f"/admin/stock/{level.id}/{op}", data={**data, "csrf_token": client.csrf}
        )

    response = post("receive", quantity="5", reference="PO-2")
    assert response.status_code == 302
    assert _level(db_session, variant.id, source.id).on_hand == 15
    assert "5 received" in client.get(response.location).get_data(as_text=True)

    assert post("adjust", delta="-3", note="damaged").status_code == 302
    assert _level(db_session, variant.id, source.id).on_hand == 12

    assert post("count", counted="11").status_code == 302
    assert _level(db_session, variant.id, source.id).on_hand == 11

    assert post("safety", safety_stock="2").status_code == 302
    assert _level(db_session, variant.id, source.id).safety_stock == 2

    response = post("transfer", to_warehouse=str(target.id), quantity="4")
    assert response.status_code == 302
    assert _level(db_session, variant.id, source.id).on_hand == 7
    assert _level(db_session, variant.id, target.id).on_hand == 4

    rows = [
        (m.warehouse_id, m.reason, m.delta, m.balance_after)
        for m in _movements(db_session, variant.id)
    ]
    assert rows == [
        (source.id, "received", 10, 10),
        (source.id, "received", 5, 15),
        (source.id, "adjusted", -3, 12),
        (source.id, "counted", -1, 11),
        (source.id, "transferred", -4, 7),
        (target.id, "transferred", 4, 4),
    ]
    assert all(m.actor_id == user.id for m in _movements(db_session, variant.id)[1:])
    for action in ("stock.receive", "stock.adjust", "stock.count", "stock.set_safety_stock"):
        assert [e.actor_id for e in _audit(db_session, action)][-1] == user.id
    [transfer] = _audit(db_session, "stock.transfer")
    assert transfer.actor_id == user.id


def test_a_transfer_above_what_is_available_shows_the_error_and_changes_nothing(
    sign_in, db_session
):
    client, _user = sign_in("merchandiser")
    variant, source, target, level = _stocked(3)

    response = client.post(
        f"/admin/stock/{level.id}/transfer",
        data={"to_warehouse": str(target.id), "quantity": "5", "csrf_token": client.csrf},
    )

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"only 3 available in {source.code}" in body
    assert _level(db_session, variant.id, source.id).on_hand == 3
    assert _level(db_session, variant.id, target.id) is None
    assert [m.reason for m in _movements(db_session, variant.id)] == ["received"]
    assert _audit(db_session, "stock.transfer") == []


def test_support_sees_the_lists_but_no_actions_and_every_post_is_refused(sign_in, db_session):
    client, _user = sign_in("support")
    variant, source, target, level = _stocked(10)

    stock_list = client.get("/admin/stock/")
    assert stock_list.status_code == 200
    body = stock_list.get_data(as_text=True)
    assert variant.sku in body and "stock-action" not in body
    page = client.get(f"/admin/stock/{level.id}/").get_data(as_text=True)
    assert "stock-form" not in page
    movements = client.get("/admin/stock-movements/").get_data(as_text=True)
    assert variant.sku in movements and "export/csv" not in movements
    assert client.get("/admin/stock-movements/export/csv/").status_code == 403
    warehouses = client.get("/admin/warehouses/").get_data(as_text=True)
    assert source.code in warehouses and "/admin/warehouses/new/" not in warehouses

    posts = {
        f"/admin/stock/{level.id}/receive": {"quantity": "1"},
        f"/admin/stock/{level.id}/adjust": {"delta": "1", "note": "x"},
        f"/admin/stock/{level.id}/count": {"counted": "1"},
        f"/admin/stock/{level.id}/safety": {"safety_stock": "1"},
        f"/admin/stock/{level.id}/transfer": {"to_warehouse": str(target.id), "quantity": "1"},
        "/admin/stock/bulk-adjust": {"id": str(variant.product_id), "qty": "1"},
        "/admin/warehouses/new/": {"code": "X1", "name": "X", "country": "DE", "priority": "1"},
        f"/admin/warehouses/edit/?id={source.id}": {"name": "X", "country": "DE", "priority": "1"},
    }
    for url, data in posts.items():
        response = client.post(url, data={**data, "csrf_token": client.csrf})
        assert response.status_code == 403, url
    assert _level(db_session, variant.id, source.id).on_hand == 10
    assert len(_movements(db_session, variant.id)) == 1


def test_a_form_without_csrf_token_is_refused(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    variant, source, _target, level = _stocked(10)

    response = client.post(f"/admin/stock/{level.id}/receive", data={"quantity": "5"})

    assert response.status_code == 400
    assert _level(db_session, variant.id, source.id).on_hand == 10


def test_the_movement_list_filters_by_reason_and_searches_by_sku(sign_in, db_session):
    client, _user = sign_in("manager")
    variant, source, _target, _stock = _stocked(10)
    inventory.adjust_stock(variant.id, source.id, -2, "broken-jar", actor=CLERK)
    other = Row(make_variant(), "sku")
    inventory.receive_stock(other.id, source.id, 1, "PO-OTHER", actor=CLERK)

    everything = client.get("/admin/stock-movements/").get_data(as_text=True)
    assert "broken-jar" in everything and "PO-1" in everything

    filtered = client.get("/admin/stock-movements/?flt0_reason_equals=adjusted")
    body = filtered.get_data(as_text=True)
    assert filtered.status_code == 200
    assert "broken-jar" in body and "PO-1" not in body and "PO-OTHER" not in body

    later = client.get("/admin/stock-movements/?flt0_time_greater_than=2999-01-01+00:00:00")
    assert later.status_code == 200 and "broken-jar" not in later.get_data(as_text=True)

    searched = client.get(f"/admin/stock-movements/?search={other.sku}").get_data(as_text=True)
    assert "PO-OTHER" in searched and "broken-jar" not in searched

    export = client.get("/admin/stock-movements/export/csv/")
    assert export.status_code == 200
    assert other.sku in export.get_data(as_text=True)


def test_the_stock_list_searches_filters_and_sorts_by_available(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    variant, source, _target, _stock = _stocked(10)
    empty = Row(make_variant(), "sku")
    inventory.receive_stock(empty.id, source.id, 1, actor=CLERK)
    inventory.count_stock(empty.id, source.id, 0, actor=CLERK)

    listing = client.get("/admin/stock/").get_data(as_text=True)
    assert "stock-action" in listing and variant.sku in listing and empty.sku in listing

    body = client.get(f"/admin/stock/?search={variant.sku}").get_data(as_text=True)
    assert variant.sku in body and empty.sku not in body

    body = client.get("/admin/stock/?flt0_available_at_most_0=1").get_data(as_text=True)
    assert empty.sku in body and variant.sku not in body

    inventory.set_inventory_policy(variant.id, "deny", 10, actor=CLERK)
    body = client.get("/admin/stock/?flt0_stock_below_low_stock_threshold=1").get_data(as_text=True)
    assert variant.sku in body and empty.sku not in body

    body = client.get("/admin/stock/?sort=0&desc=1").get_data(as_text=True)
    assert body.index(variant.sku) < body.index(empty.sku)


def test_warehouses_are_created_and_deactivated_through_the_service(sign_in, db_session):
    client, user = sign_in("merchandiser")
    assert client.get("/admin/warehouses/new/").status_code == 200

    response = client.post(
        "/admin/warehouses/new/",
        data={"code": "ber1", "name": "Berlin", "country": "de", "priority": "5",
              "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 302
    created = db_session.scalar(select(Warehouse).where(Warehouse.code == "BER1"))
    assert created.country == "DE" and created.is_active
    warehouse = Row(created)
    assert client.get(f"/admin/warehouses/edit/?id={warehouse.id}").status_code == 200

    response = client.post(
        f"/admin/warehouses/edit/?id={warehouse.id}",
        data={"name": "Berlin", "country": "DE", "priority": "5", "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Warehouse, warehouse.id).is_active is False
    [entry] = _audit(db_session, "warehouse.update")
    assert entry.actor_id == user.id and entry.changes["is_active"] == [True, False]

    response = client.post(
        "/admin/warehouses/new/",
        data={"code": "BER1", "name": "Again", "country": "DE", "priority": "5",
              "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 200
    assert "warehouse BER1 already exists" in response.get_data(as_text=True)
    assert client.post(
        "/admin/warehouses/delete/", data={"id": warehouse.id, "csrf_token": client.csrf}
    ).status_code in (403, 404)


def test_bulk_adjust_receives_or_counts_stock_for_the_selected_products(sign_in, db_session):
    client, user = sign_in("merchandiser")
    first, source, second_wh, _stock = _stocked(10)
    sibling = Row(make_variant(product_id=first.product_id), "sku")
    assert "Adjust stock…" in client.get("/admin/products/").get_data(as_text=True)

    response = client.post(
        "/admin/products/action/",
        data={"action": "adjust_stock", "rowid": [str(first.product_id)],
              "url": "/admin/products/", "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 302
    assert urlparse(response.location).path == "/admin/stock/bulk-adjust"
    assert parse_qs(urlparse(response.location).query)["id"] == [str(first.product_id)]
    page = client.get(response.location).get_data(as_text=True)
    assert first.sku in page and sibling.sku in page and second_wh.code in page

    response = client.post(
        "/admin/stock/bulk-adjust",
        data={"id": str(first.product_id), "mode": "receive", "url": "/admin/products/",
              f"qty-{first.id}-{source.id}": "5", f"qty-{sibling.id}-{second_wh.id}": "3",
              "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 302 and response.location.endswith("/admin/products/")
    assert _level(db_session, first.id, source.id).on_hand == 15
    assert _level(db_session, sibling.id, second_wh.id).on_hand == 3
    assert _movements(db_session, sibling.id)[0].actor_id == user.id

    response = client.post(
        "/admin/stock/bulk-adjust",
        data={"id": str(first.product_id), "mode": "count",
              f"qty-{first.id}-{source.id}": "12", f"qty-{sibling.id}-{second_wh.id}": "-1",
              "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 200
    assert f"{sibling.sku} in {second_wh.code}" in response.get_data(as_text=True)
    assert _level(db_session, first.id, source.id).on_hand == 15  # nothing applied

    response = client.post(
        "/admin/stock/bulk-adjust",
        data={"id": str(first.product_id), "mode": "count",
              f"qty-{first.id}-{source.id}": "12", "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 302
    assert _level(db_session, first.id, source.id).on_hand == 12
    assert _movements(db_session, first.id)[-1].reason == "counted"


def test_bulk_adjust_is_all_or_nothing_and_names_the_line_that_fails(sign_in, db_session):
    client, user = sign_in("merchandiser")
    first, source, second_wh, _stock = _stocked(10)
    sibling = Row(make_variant(product_id=first.product_id), "sku")
    inventory.receive_stock(sibling.id, second_wh.id, 2, "PO-2", actor=CLERK)
    movements = len(_movements(db_session, first.id)) + len(_movements(db_session, sibling.id))
    page = client.get(f"/admin/stock/bulk-adjust?id={first.product_id}").get_data(as_text=True)
    assert "A correction (+/-)" in page

    response = client.post(
        "/admin/stock/bulk-adjust",
        data={"id": str(first.product_id), "mode": "adjust", "note": "damaged in transit",
              f"qty-{first.id}-{source.id}": "-4", f"qty-{sibling.id}-{second_wh.id}": "-3",
              "csrf_token": client.csrf},
    )  # fmt: skip

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Nothing applied" in body
    assert f"{sibling.sku} in {second_wh.code}: would leave -1 on hand (on hand now: 2)" in body
    assert _level(db_session, first.id, source.id).on_hand == 10
    assert _level(db_session, sibling.id, second_wh.id).on_hand == 2
    assert len(_movements(db_session, first.id)) + len(_movements(db_session, sibling.id)) == (
        movements
    )
    assert _audit(db_session, "stock.adjust") == []

    response = client.post(
        "/admin/stock/bulk-adjust",
        data={"id": str(first.product_id), "mode": "adjust", "note": "",
              f"qty-{first.id}-{source.id}": "-4", "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Why: is required" in response.get_data(as_text=True)
    assert _level(db_session, first.id, source.id).on_hand == 10

    response = client.post(
        "/admin/stock/bulk-adjust",
        data={"id": str(first.product_id), "mode": "adjust", "note": "damaged in transit",
              "url": "/admin/products/", f"qty-{first.id}-{source.id}": "-4",
              f"qty-{sibling.id}-{second_wh.id}": "+1", "csrf_token": client.csrf},
    )  # fmt: skip
    assert response.status_code == 302
    assert _level(db_session, first.id, source.id).on_hand == 6
    assert _level(db_session, sibling.id, second_wh.id).on_hand == 3
    adjusted = _movements(db_session, first.id)[-1]
    assert (adjusted.reason, adjusted.delta, adjusted.note, adjusted.actor_id) == (
        "adjusted", -4, "damaged in transit", user.id,
    )  # fmt: skip
    assert len(_audit(db_session, "stock.adjust")) == 2
