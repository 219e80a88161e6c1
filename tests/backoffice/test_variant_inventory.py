"""A variant's page edits its inventory settings: backorder policy, low-stock threshold and the
safety stock per warehouse, through commerce.inventory.service, only with inventory.adjust."""

from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel, VariantInventory
from tests.inventory.factories import CLERK, make_variant, make_warehouse


def _variant_with_stock():
    """(variant id, SKU, warehouse id, warehouse code): 8 units in one warehouse."""
    variant, warehouse = make_variant(), make_warehouse()
    inventory.receive_stock(variant.id, warehouse.id, 8, "PO-1", actor=CLERK)
    return variant.id, variant.sku, warehouse.id, warehouse.code


def _settings(db_session, variant_id):
    db_session.expire_all()
    return db_session.get(VariantInventory, variant_id)


def _audit(db_session, action):
    stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db_session.scalars(stmt))


def test_merchandiser_sets_backorders_and_low_stock_threshold_on_the_variant_page(
    sign_in, db_session
):
    client, user = sign_in("merchandiser")
    variant_id, sku, _wh, _code = _variant_with_stock()
    page = client.get(f"/admin/variants/edit/?id={variant_id}").get_data(as_text=True)
    assert 'id="inventory-policy"' in page and "Save inventory policy" in page

    response = client.post(
        f"/admin/variants/{variant_id}/inventory-policy",
        data={"backorder_policy": "allow", "low_stock_threshold": "3",
              "url": f"/admin/variants/edit/?id={variant_id}", "csrf_token": client.csrf},
    )  # fmt: skip

    assert response.status_code == 302
    assert response.location.endswith(f"/admin/variants/edit/?id={variant_id}")
    settings = _settings(db_session, variant_id)
    assert (settings.backorder_policy, settings.low_stock_threshold) == ("allow", 3)
    [entry] = _audit(db_session, "variant_inventory.update")
    assert entry.actor_id == user.id and entry.changes["low_stock_threshold"] == [None, 3]
    page = client.get(response.location).get_data(as_text=True)
    assert f"Inventory policy of {sku} saved." in page
    assert '<option selected value="allow">' in page

    # An empty threshold switches the alerts off.
    client.post(
        f"/admin/variants/{variant_id}/inventory-policy",
        data={"backorder_policy": "allow", "low_stock_threshold": "", "csrf_token": client.csrf},
    )
    assert _settings(db_session, variant_id).low_stock_threshold is None


def test_a_bad_threshold_is_named_and_the_form_keeps_what_was_typed(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    variant_id, _sku, _wh, _code = _variant_with_stock()

    response = client.post(
        f"/admin/variants/{variant_id}/inventory-policy",
        data={"backorder_policy": "allow", "low_stock_threshold": "-2", "csrf_token": client.csrf},
    )

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "low_stock_threshold: must be at least 0" in body
    assert 'value="-2"' in body and "is-invalid" in body
    assert _settings(db_session, variant_id) is None
    assert _audit(db_session, "variant_inventory.update") == []

    unknown = client.post(
        f"/admin/variants/{variant_id}/inventory-policy",
        data={
            "backorder_policy": "sometimes",
            "low_stock_threshold": "",
            "csrf_token": client.csrf,
        },
    )
    assert unknown.status_code == 200
    body = unknown.get_data(as_text=True)
    assert "Check the highlighted field" in body and "Not a valid choice" in body
    assert _settings(db_session, variant_id) is None


def test_safety_stock_is_set_per_warehouse_from_the_variant_page(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    variant_id, sku, warehouse_id, code = _variant_with_stock()
    page = client.get(f"/admin/variants/details/?id={variant_id}").get_data(as_text=True)
    assert f'id="safety-{warehouse_id}"' in page

    response = client.post(
        f"/admin/variants/{variant_id}/safety-stock/{warehouse_id}",
        data={"safety_stock": "2", "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    db_session.expire_all()
    level = db_session.scalar(select(StockLevel).where(StockLevel.variant_id == variant_id))
    assert (level.safety_stock, level.available) == (2, 6)
    [entry] = _audit(db_session, "stock.set_safety_stock")
    assert entry.changes == {"safety_stock": [0, 2]}
    page = client.get(response.location).get_data(as_text=True)
    assert f"Safety stock of {sku} in {code} set to 2." in page

    refused = client.post(
        f"/admin/variants/{variant_id}/safety-stock/{warehouse_id}",
        data={"safety_stock": "-1", "csrf_token": client.csrf},
    )
    assert refused.status_code == 200
    assert "safety_stock: must be at least 0" in refused.get_data(as_text=True)
    db_session.expire_all()
    level = db_session.scalar(select(StockLevel).where(StockLevel.variant_id == variant_id))
    assert level.safety_stock == 2


def test_staff_without_inventory_adjust_see_the_policy_but_cannot_change_it(sign_in, db_session):
    client, _user = sign_in("manager")
    variant_id, _sku, warehouse_id, _code = _variant_with_stock()
    inventory.set_inventory_policy(variant_id, "allow", 4, actor=CLERK)

    page = client.get(f"/admin/variants/details/?id={variant_id}").get_data(as_text=True)
    assert "keep selling when stock runs out" in page
    assert "Save inventory policy" not in page and f'id="safety-{warehouse_id}"' not in page

    for url, data in {
        f"/admin/variants/{variant_id}/inventory-policy": {"backorder_policy": "deny"},
        f"/admin/variants/{variant_id}/safety-stock/{warehouse_id}": {"safety_stock": "5"},
    }.items():
        response = client.post(url, data={**data, "csrf_token": client.csrf})
        assert response.status_code == 403, url
        assert "inventory.adjust" in response.get_data(as_text=True)
    assert _settings(db_session, variant_id).backorder_policy == "allow"


def test_the_policy_form_needs_a_csrf_token(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    variant_id, _sku, _wh, _code = _variant_with_stock()
    response = client.post(
        f"/admin/variants/{variant_id}/inventory-policy",
        data={"backorder_policy": "allow", "low_stock_threshold": "1"},
    )
    assert response.status_code == 400
    assert _settings(db_session, variant_id) is None
