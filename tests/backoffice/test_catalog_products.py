"""Merchandisers create, find and edit products in the back-office; writes go through the catalog
service, so each is audited, and the service's errors land on the form's fields."""

import re

from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.catalog import service as catalog
from commerce.catalog.models import Brand, Product, Variant
from tests.catalog.factories import make_product, make_tshirt_type
from tests.factories import SYSTEM


def _form(client, ptype, n, **overrides):
    data = {
        "title": "Organic Tee",
        "slug": "",
        "status": "draft",
        "product_type": str(ptype.id),
        "category": "",
        "brand": "",
        "tags": "Summer, gift ideas",
        "description": "<p>Soft.</p><script>alert(1)</script>",
        "seo_title": "",
        "seo_description": "",
        "published_at": "",
        "attributes_of": str(ptype.id),
        f"attr__material{n}": "Cotton",
        f"attr__organic{n}": "y",
        f"attr__launch{n}": "2026-03-01",
        f"attr__weight{n}": "180",
        f"attr__features{n}": ["Pocket", "Slim"],
        "csrf_token": client.csrf,
    }
    data.update(overrides)
    return data


def _entries(db_session, object_type, object_id):
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)
    )
    return list(db_session.scalars(stmt))


def _field_errors(body: str, field: str) -> str:
    """The HTML from a field's input to the end of its form group (where its errors render)."""
    start = body.index(f'name="{field}"')
    return body[start : body.index("</div>", body.index("</div>", start) + 1)]


def test_merchandiser_creates_a_product_with_typed_attributes(sign_in, db_session):
    client, user = sign_in("merchandiser")
    ptype, n = make_tshirt_type()
    page = client.get(f"/admin/products/new/?product_type={ptype.id}").get_data(as_text=True)
    for code in ("material", "organic", "launch", "weight", "features"):
        assert f'name="attr__{code}{n}"' in page
    assert f'name="attr__size{n}"' not in page  # variant options live on variants

    response = client.post("/admin/products/new/", data=_form(client, ptype, n))

    assert response.status_code == 302
    product = db_session.scalar(select(Product).where(Product.title == "Organic Tee"))
    assert product.slug == "organic-tee"
    assert product.attributes == {
        f"material{n}": "Cotton",
        f"organic{n}": True,
        f"launch{n}": "2026-03-01",
        f"weight{n}": 180,
        f"features{n}": ["Pocket", "Slim"],
    }
    assert product.tags == ["gift ideas", "summer"]
    assert "<script>" not in product.description and "Soft." in product.description
    [entry] = _entries(db_session, "product", product.id)
    assert (entry.action, entry.actor_id) == ("product.create", user.id)


def test_a_bad_attribute_value_shows_on_its_field_and_nothing_is_saved(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    ptype, n = make_tshirt_type()
    response = client.post(
        "/admin/products/new/",
        data=_form(client, ptype, n, **{f"attr__weight{n}": "heavy", f"attr__material{n}": ""}),
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "must be a number" in _field_errors(body, f"attr__weight{n}")
    assert "is required" in _field_errors(body, f"attr__material{n}")
    assert db_session.scalar(select(Product).where(Product.title == "Organic Tee")) is None


def test_choosing_a_type_with_attributes_shows_them_before_saving(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    ptype, n = make_tshirt_type()
    data = {"title": "Plain Tee", "status": "draft", "product_type": str(ptype.id)}
    response = client.post(
        "/admin/products/new/", data={**data, "attributes_of": "", "csrf_token": client.csrf}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "fill them in, then save again" in body
    assert f'name="attr__material{n}"' in body
    assert db_session.scalar(select(Product).where(Product.title == "Plain Tee")) is None


def test_editing_records_the_diff_and_shows_the_history(sign_in, db_session):
    client, user = sign_in("merchandiser")
    ptype, n = make_tshirt_type()
    product = make_product(
        title="Linen Tee", product_type_id=ptype.id, attributes={f"material{n}": "Cotton"}
    )
    page = client.get(f"/admin/products/edit/?id={product.id}").get_data(as_text=True)
    assert 'value="Linen Tee"' in page
    assert '<option selected value="Cotton">' in page

    response = client.post(
        f"/admin/products/edit/?id={product.id}",
        data=_form(
            client,
            ptype,
            n,
            title="Linen Tee v2",
            slug=product.slug,
            tags="",
            description="",
            **{
                f"attr__material{n}": "Linen",
                f"attr__organic{n}": "",
                f"attr__launch{n}": "",
                f"attr__weight{n}": "",
                f"attr__features{n}": [],
            },
        ),
    )

    assert response.status_code == 302
    entry = _entries(db_session, "product", product.id)[-1]
    assert (entry.action, entry.actor_id) == ("product.update", user.id)
    assert entry.changes["title"] == ["Linen Tee", "Linen Tee v2"]
    assert entry.changes["attributes"][1][f"material{n}"] == "Linen"
    page = client.get(f"/admin/products/edit/?id={product.id}").get_data(as_text=True)
    assert "product.update" in page and "Linen Tee v2" in page


def test_a_slug_taken_by_another_product_is_shown_on_the_slug_field(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    make_product(title="First", slug="taken-slug")
    response = client.post(
        "/admin/products/new/",
        data={
            "title": "Second",
            "slug": "taken-slug",
            "status": "draft",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 200
    assert "already used by another product" in _field_errors(
        response.get_data(as_text=True), "slug"
    )


def _with_variant(title, sku, price, **values):
    product = make_product(title=title, **values)
    catalog.create_variant(product.id, sku=sku, price_amount=price, actor=SYSTEM)
    return product


def test_list_finds_products_by_sku_and_filters_by_status(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    _with_variant("Findable Hoodie", "HOOD-RED-L", 4999, status="active")
    _with_variant("Hidden Scarf", "SCARF-01", 1999)
    found = client.get("/admin/products/?search=hood-red").get_data(as_text=True)
    assert "Findable Hoodie" in found and "Hidden Scarf" not in found
    whole_sku = client.get("/admin/products/?search=scarf-01").get_data(as_text=True)
    assert "Hidden Scarf" in whole_sku and "Findable Hoodie" not in whole_sku

    active = client.get("/admin/products/?flt0_status_equals=active").get_data(as_text=True)
    assert "Findable Hoodie" in active and "Hidden Scarf" not in active
    drafts = client.get("/admin/products/?flt0_status_equals=draft").get_data(as_text=True)
    assert "Hidden Scarf" in drafts and "Findable Hoodie" not in drafts


def test_list_filters_by_tag_and_brand(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    brand = Brand(name="Tagged Brand", slug="tagged-brand")
    db_session.add(brand)
    db_session.flush()
    make_product(title="Summer Hat", tags=["summer"], brand_id=brand.id)
    make_product(title="Winter Hat", tags=["winter"])
    tagged = client.get("/admin/products/?flt0_tag_has=Summer").get_data(as_text=True)
    assert "Summer Hat" in tagged and "Winter Hat" not in tagged
    branded = client.get(f"/admin/products/?flt0_brand_equals={brand.id}").get_data(as_text=True)
    assert "Summer Hat" in branded and "Winter Hat" not in branded
    assert '"Tagged Brand"' in branded  # the brand filter's options, read per request


def test_list_shows_variant_count_and_price_range(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product = _with_variant("Two Sizes Tee", "TWO-S", 1500)
    catalog.create_variant(product.id, sku="TWO-L", price_amount=2250, actor=SYSTEM)
    body = client.get("/admin/products/?search=two+sizes").get_data(as_text=True)
    row = body[body.index("Two Sizes Tee") :]
    row = row[: row.index("</tr>")]
    assert re.search(r">\s*2\s*<", row)
    assert "15.00 EUR \N{EN DASH} 22.50 EUR" in row


def test_generate_variants_from_the_edit_page_creates_the_matrix(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    ptype, n = make_tshirt_type()
    product = make_product(
        title="Matrix Tee", product_type_id=ptype.id, attributes={f"material{n}": "Cotton"}
    )
    page = client.get(f"/admin/products/edit/?id={product.id}").get_data(as_text=True)
    assert 'id="generate-variants"' in page and f'name="axis-size{n}"' in page

    response = client.post(
        f"/admin/products/{product.id}/generate-variants",
        data={
            f"axis-size{n}": ["S", "M"],
            f"axis-colour{n}": ["Black", "White"],
            "price": "19.99",
            "sku_prefix": "MTX",
            "csrf_token": client.csrf,
        },
    )

    assert response.status_code == 302
    assert f"/admin/products/edit/?id={product.id}" in response.location
    variants = db_session.scalars(select(Variant).where(Variant.product_id == product.id)).all()
    assert sorted(v.sku for v in variants) == [
        "MTX-M-BLACK", "MTX-M-WHITE", "MTX-S-BLACK", "MTX-S-WHITE",
    ]  # fmt: skip
    assert {v.price_amount for v in variants} == {1999}
    assert len(_entries(db_session, "variant", variants[0].id)) == 1
    page = client.get(response.location).get_data(as_text=True)
    assert "4 variants created" in page and "MTX-S-WHITE" in page


def test_products_are_archived_not_deleted(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product = make_product(title="Keep Me")
    listing = client.get("/admin/products/").get_data(as_text=True)
    assert "/admin/products/delete/" not in listing
    response = client.post(
        "/admin/products/delete/",
        data={"id": str(product.id), "csrf_token": client.csrf},
        follow_redirects=True,
    )
    assert "archive them instead" in response.get_data(as_text=True)
    assert db_session.get(Product, product.id) is not None


def test_list_of_60_products_has_a_second_page(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    for i in range(60):
        make_product(title=f"Paged Product {i:02d}")
    first = client.get("/admin/products/?search=paged").get_data(as_text=True)
    second = client.get("/admin/products/?search=paged&page=1").get_data(as_text=True)
    assert first.count("Paged Product") == 50
    assert second.count("Paged Product") == 10
    assert "page=1" in first  # the pager links to page 2


def test_unknown_or_malformed_ids_do_not_break_the_edit_page(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    for ident in ("abc", "999999999"):
        response = client.get(f"/admin/products/edit/?id={ident}")
        assert response.status_code == 302
