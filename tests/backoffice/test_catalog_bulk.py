"""Bulk edits of the product list: status changes after the browser's confirmation; prices,
category and tags through a confirmation page. All or nothing, audited per object."""

from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.catalog import categories
from commerce.catalog import service as catalog
from commerce.catalog.models import Product, Variant
from tests.catalog.factories import make_product
from tests.factories import SYSTEM


def _entries(db_session, object_type, object_id):
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)
    )
    return list(db_session.scalars(stmt))


def _priced(title, *prices):
    """A product with one variant per price; returns (product id, [variant ids])."""
    product = make_product(title=title)
    variants = [
        catalog.create_variant(
            product.id, sku=f"{product.slug[:20].upper()}-{i}", price_amount=p, actor=SYSTEM
        )
        for i, p in enumerate(prices, 1)
    ]
    return product.id, [v.id for v in variants]


def _action(client, name, ids):
    return client.post(
        "/admin/products/action/",
        data={
            "action": name,
            "rowid": [str(i) for i in ids],
            "url": "/admin/products/",
            "csrf_token": client.csrf,
        },
    )


def test_bulk_publish_asks_for_confirmation_then_publishes_with_audit_rows(sign_in, db_session):
    client, user = sign_in("merchandiser")
    a, b = make_product(title="Bulk A"), make_product(title="Bulk B")
    ids = [a.id, b.id]
    listing = client.get("/admin/products/").get_data(as_text=True)
    # Flask-Admin asks the browser to confirm with this text before posting the action.
    assert "Publish the selected products?" in listing

    response = _action(client, "publish", ids)

    assert response.status_code == 302
    for ident in ids:
        assert db_session.get(Product, ident).status == "active"
        entry = _entries(db_session, "product", ident)[-1]
        assert entry.action == "product.update" and entry.actor_id == user.id
        assert entry.changes["status"] == ["draft", "active"]
    page = client.get("/admin/products/").get_data(as_text=True)
    assert "2 products updated: published." in page


def test_bulk_price_change_by_percent_confirms_then_updates_every_variant(sign_in, db_session):
    client, user = sign_in("merchandiser")
    first, first_variants = _priced("Percent One", 1000, 2599)
    second, second_variants = _priced("Percent Two", 5000)

    response = _action(client, "change_prices", [first, second])

    assert response.status_code == 302
    page_url = response.location
    assert urlparse(page_url).path == "/admin/products/bulk/price"
    assert parse_qs(urlparse(page_url).query)["id"] == [str(first), str(second)]
    page = client.get(page_url).get_data(as_text=True)
    assert "2 products selected" in page
    assert "Percent One" in page and "Percent Two" in page
    assert db_session.get(Variant, first_variants[0]).price_amount == 1000  # nothing yet

    response = client.post(
        "/admin/products/bulk/price",
        data={
            "id": [str(first), str(second)],
            "mode": "percent",
            "value": "-10",
            "url": "/admin/products/",
            "csrf_token": client.csrf,
        },
    )

    assert response.status_code == 302 and response.location.endswith("/admin/products/")
    prices = [db_session.get(Variant, v).price_amount for v in first_variants + second_variants]
    assert prices == [900, 2339, 4500]  # 2599 * 0.9 = 2339.1 rounds to 2339
    for variant_id, (old, new) in zip(
        first_variants + second_variants, [(1000, 900), (2599, 2339), (5000, 4500)], strict=True
    ):
        [entry] = _entries(db_session, "variant", variant_id)[1:]
        assert entry.changes == {"price_amount": [old, new]} and entry.actor_id == user.id
    assert "2 products updated: 3 variant prices changed." in client.get(
        "/admin/products/"
    ).get_data(as_text=True)


def test_a_price_going_below_zero_names_the_sku_and_changes_nothing(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product, (dear, cheap) = _priced("Below Zero", 5000, 1000)
    cheap_sku = db_session.get(Variant, cheap).sku

    response = client.post(
        "/admin/products/bulk/price",
        data={"id": [str(product)], "mode": "amount", "value": "-20.00", "csrf_token": client.csrf},
    )

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert cheap_sku in body and "less than zero" in body
    assert 'class="form-control is-invalid" id="value"' in body  # shown again, on the value
    db_session.expire_all()
    assert db_session.get(Variant, dear).price_amount == 5000  # the first variant too
    assert db_session.get(Variant, cheap).price_amount == 1000
    assert len(_entries(db_session, "variant", dear)) == 1  # only its creation


def test_bulk_set_category_moves_the_products(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    shoes = categories.create_category(name="Shoes", actor=SYSTEM)
    boots = categories.create_category(name="Boots", parent_id=shoes.id, actor=SYSTEM)
    a, b = make_product(title="Cat A"), make_product(title="Cat B")

    page = client.get(f"/admin/products/bulk/category?id={a.id}&id={b.id}").get_data(as_text=True)
    assert "Shoes \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} Boots" in page

    response = client.post(
        "/admin/products/bulk/category",
        data={"id": [str(a.id), str(b.id)], "category": str(boots.id), "csrf_token": client.csrf},
    )

    assert response.status_code == 302
    assert {db_session.get(Product, p).category_id for p in (a.id, b.id)} == {boots.id}
    assert _entries(db_session, "product", a.id)[-1].changes == {"category_id": [None, boots.id]}


def test_bulk_tags_are_added_and_removed(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    a = make_product(title="Tag A", tags=["old"])
    b = make_product(title="Tag B")

    def tags(mode, text):
        return client.post(
            "/admin/products/bulk/tags",
            data={
                "id": [str(a.id), str(b.id)],
                "mode": mode,
                "tags": text,
                "csrf_token": client.csrf,
            },
        )

    assert tags("add", "Summer, sale").status_code == 302
    assert db_session.get(Product, a.id).tags == ["old", "sale", "summer"]
    assert db_session.get(Product, b.id).tags == ["sale", "summer"]
    assert tags("remove", "sale").status_code == 302
    assert db_session.get(Product, a.id).tags == ["old", "summer"]
    assert db_session.get(Product, b.id).tags == ["summer"]


def test_the_selection_must_be_product_ids(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    assert client.get("/admin/products/bulk/price?id=1&id=drop+table").status_code == 400
    assert client.get("/admin/products/bulk/price").status_code == 400
    assert client.get("/admin/products/bulk/delete-everything?id=1").status_code == 404


def test_bulk_forms_without_csrf_token_are_refused(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product, (variant,) = _priced("No Token", 1000)
    response = client.post(
        "/admin/products/bulk/price", data={"id": [str(product)], "mode": "percent", "value": "50"}
    )
    assert response.status_code == 400
    response = client.post(
        "/admin/products/action/", data={"action": "publish", "rowid": [product]}
    )
    assert response.status_code == 400
    assert db_session.get(Variant, variant).price_amount == 1000
    assert db_session.get(Product, product).status == "draft"
