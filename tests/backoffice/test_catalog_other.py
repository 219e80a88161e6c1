"""Who may do what on the catalog screens, and the variant, category, brand, product type and
attribute screens."""

import pytest
from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.catalog import categories, product_types
from commerce.catalog import service as catalog
from commerce.catalog.models import Brand, Category, Product, Variant
from commerce.catalog.types import Attribute, ProductType
from tests.catalog.factories import make_product, make_tshirt_type
from tests.factories import SYSTEM

SEP = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "


def _last_entry(db_session, object_type, object_id):
    return db_session.scalar(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id.desc())
    )


# --- permissions ---------------------------------------------------------------------------------


def test_support_can_look_but_not_change_anything(sign_in, db_session):
    client, _user = sign_in("support")
    product = make_product(title="Look Only")
    variant = catalog.create_variant(product.id, sku="LOOK-1", price_amount=100, actor=SYSTEM)
    pid, vid = product.id, variant.id

    listing = client.get("/admin/products/").get_data(as_text=True)
    assert "Look Only" in listing
    assert "/admin/products/new/" not in listing  # no Create button
    assert "modelActions.execute" not in listing  # no bulk actions
    assert f"/admin/products/edit/?id={pid}" not in listing
    details = client.get(f"/admin/products/details/?id={pid}").get_data(as_text=True)
    assert "LOOK-1" in details and "generate-variants" not in details
    for page in ("/admin/variants/", "/admin/categories/", "/admin/brands/"):
        assert client.get(page).status_code == 200, page

    token = {"csrf_token": client.csrf}
    refused = [
        client.get("/admin/products/new/"),
        client.post("/admin/products/new/", data={"title": "Sneaky", **token}),
        client.post(f"/admin/products/edit/?id={pid}", data={"title": "Renamed", **token}),
        client.post("/admin/products/action/", data={"action": "publish", "rowid": pid, **token}),
        client.get(f"/admin/products/bulk/price?id={pid}"),
        client.post("/admin/products/bulk/price", data={"id": pid, "value": "-50", **token}),
        client.post(f"/admin/products/{pid}/generate-variants", data={"price": "1", **token}),
        client.post(f"/admin/variants/edit/?id={vid}", data={"sku": "X", "price": "0", **token}),
        client.post("/admin/brands/new/", data={"name": "Sneaky Brand", **token}),
        client.post("/admin/categories/new/", data={"name": "Sneaky", **token}),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    product = db_session.get(Product, pid)
    assert (product.title, product.status) == ("Look Only", "draft")
    assert db_session.get(Variant, vid).price_amount == 100
    assert db_session.scalar(select(Brand).where(Brand.name == "Sneaky Brand")) is None


def test_a_manager_can_export_products_but_not_edit_them(sign_in, db_session):
    client, _user = sign_in("manager")
    product = make_product(title="Exported Tee", tags=["b", "a"])
    pid = product.id
    listing = client.get("/admin/products/").get_data(as_text=True)
    assert "/admin/products/export/csv/" in listing

    export = client.get("/admin/products/export/csv/")

    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "Exported Tee" in export.get_data(as_text=True)
    assert client.get(f"/admin/products/edit/?id={pid}").status_code == 403
    response = client.post(
        f"/admin/products/edit/?id={pid}", data={"title": "Edited", "csrf_token": client.csrf}
    )
    assert response.status_code == 403
    assert db_session.get(Product, pid).title == "Exported Tee"


def test_support_cannot_export(sign_in, db_session):
    client, _user = sign_in("support")
    assert client.get("/admin/products/export/csv/").status_code == 403


def test_product_form_without_csrf_token_is_refused(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    response = client.post("/admin/products/new/", data={"title": "No Token", "status": "draft"})
    assert response.status_code == 400
    assert db_session.scalar(select(Product).where(Product.title == "No Token")) is None


def test_menu_shows_the_catalog_before_settings(sign_in):
    client, _user = sign_in("admin")
    home = client.get("/admin/").get_data(as_text=True)
    assert home.index('href="/admin/products/"') < home.index('href="/admin/staff/"')


# --- categories ----------------------------------------------------------------------------------


def _tree():
    apparel = categories.create_category(name="Apparel", actor=SYSTEM)
    men = categories.create_category(name="Men", parent_id=apparel.id, actor=SYSTEM)
    tees = categories.create_category(name="Tees", parent_id=men.id, actor=SYSTEM)
    return apparel.id, men.id, tees.id


def test_category_list_shows_paths_and_counts_with_subcategories(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    _apparel, men, tees = _tree()
    make_product(title="In Tees", category_id=tees)
    make_product(title="In Men", category_id=men)

    body = client.get("/admin/categories/?search=tees").get_data(as_text=True)

    assert "Apparel" + SEP + "Men" + SEP in body
    listing = client.get("/admin/categories/").get_data(as_text=True)
    rows = {
        name: listing[listing.index(f">{name}</a>") :].split("</tr>")[0]
        for name in ("Apparel", "Men", "Tees")
    }
    assert ">2<" in rows["Apparel"].replace(" ", "").replace("\n", "")
    assert ">2<" in rows["Men"].replace(" ", "").replace("\n", "")
    assert ">1<" in rows["Tees"].replace(" ", "").replace("\n", "")


def test_moving_a_category_under_its_own_subtree_shows_the_error(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    apparel, _men, tees = _tree()

    response = client.post(
        f"/admin/categories/edit/?id={apparel}",
        data={"name": "Apparel", "parent": str(tees), "csrf_token": client.csrf},
    )

    assert response.status_code == 200
    assert "cannot move under itself or its own subcategory" in response.get_data(as_text=True)
    assert db_session.get(Category, apparel).parent_id is None


def test_categories_are_created_renamed_and_moved_through_the_service(sign_in, db_session):
    client, user = sign_in("merchandiser")
    apparel, men, _tees = _tree()
    response = client.post(
        "/admin/categories/new/",
        data={"name": "Women", "parent": str(apparel), "slug": "", "position": "2", **{
            "csrf_token": client.csrf
        }},
    )  # fmt: skip
    assert response.status_code == 302
    women = db_session.scalar(select(Category).where(Category.name == "Women"))
    assert (women.parent_id, women.slug, women.position) == (apparel, "women", 2)

    response = client.post(
        f"/admin/categories/edit/?id={men}",
        data={"name": "Menswear", "parent": "", "csrf_token": client.csrf},
    )

    assert response.status_code == 302
    men_row = db_session.get(Category, men)
    assert (men_row.name, men_row.parent_id) == ("Menswear", None)
    assert _last_entry(db_session, "category", men).changes == {"name": ["Men", "Menswear"]}
    assert _last_entry(db_session, "category", men).actor_id == user.id


# --- variants ------------------------------------------------------------------------------------


def test_variant_edit_goes_through_the_service_with_an_audit_row(sign_in, db_session):
    client, user = sign_in("merchandiser")
    product = make_product(title="Variant Tee")
    variant = catalog.create_variant(product.id, sku="VT-1", price_amount=1999, actor=SYSTEM)
    vid = variant.id
    page = client.get(f"/admin/variants/edit/?id={vid}").get_data(as_text=True)
    assert 'value="19.99"' in page

    response = client.post(
        f"/admin/variants/edit/?id={vid}",
        data={
            "sku": "VT-1",
            "price": "24.50",
            "compare_at": "29.99",
            "cost": "",
            "currency": "EUR",
            "weight_grams": "200",
            "tax_class": "standard",
            "shipping_class": "standard",
            "csrf_token": client.csrf,
        },
    )

    assert response.status_code == 302
    variant = db_session.get(Variant, vid)
    assert (variant.price_amount, variant.compare_at_amount, variant.weight_grams) == (
        2450,
        2999,
        200,
    )
    entry = _last_entry(db_session, "variant", vid)
    assert entry.action == "variant.update" and entry.actor_id == user.id
    assert entry.changes["price_amount"] == [1999, 2450]


def test_variant_price_with_too_many_decimals_is_refused_on_its_field(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product = make_product(title="Decimals Tee")
    vid = catalog.create_variant(product.id, sku="DEC-1", price_amount=1000, actor=SYSTEM).id
    response = client.post(
        f"/admin/variants/edit/?id={vid}",
        data={
            "sku": "DEC-1",
            "price": "9.999",
            "currency": "EUR",
            "tax_class": "standard",
            "shipping_class": "standard",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 200
    assert "at most 2 decimals in EUR" in response.get_data(as_text=True)
    assert db_session.get(Variant, vid).price_amount == 1000


def test_a_variant_is_created_for_a_product_with_its_options(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    ptype, n = make_tshirt_type()
    product = make_product(
        title="Optioned Tee", product_type_id=ptype.id, attributes={f"material{n}": "Cotton"}
    )
    pid = product.id
    page = client.get(f"/admin/variants/new/?product_id={pid}").get_data(as_text=True)
    assert f'name="opt__size{n}"' in page and "Optioned Tee" in page

    response = client.post(
        "/admin/variants/new/",
        data={
            "product": str(pid),
            "sku": "OPT-S-BLACK",
            "price": "12.00",
            "currency": "EUR",
            "tax_class": "standard",
            "shipping_class": "standard",
            f"opt__size{n}": "S",
            f"opt__colour{n}": "Black",
            "csrf_token": client.csrf,
        },
    )

    assert response.status_code == 302
    variant = db_session.scalar(select(Variant).where(Variant.sku == "OPT-S-BLACK"))
    assert variant.product_id == pid and variant.price_amount == 1200
    assert variant.option_values == {f"size{n}": "S", f"colour{n}": "Black"}


def test_variant_list_searches_sku_and_product_title(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    red = make_product(title="Crimson Hoodie")
    catalog.create_variant(red.id, sku="HD-RED", price_amount=4000, actor=SYSTEM)
    blue = make_product(title="Navy Scarf")
    catalog.create_variant(blue.id, sku="SC-NAVY", price_amount=1500, actor=SYSTEM)
    by_sku = client.get("/admin/variants/?search=hd-r").get_data(as_text=True)
    assert "HD-RED" in by_sku and "SC-NAVY" not in by_sku
    by_title = client.get("/admin/variants/?search=navy").get_data(as_text=True)
    assert "SC-NAVY" in by_title and "HD-RED" not in by_title
    cheap = client.get("/admin/variants/?flt0_price_at_most=20").get_data(as_text=True)
    assert "SC-NAVY" in cheap and "HD-RED" not in cheap


def test_variant_page_shows_stock_movements_newest_first(sign_in, db_session):
    inventory = pytest.importorskip("commerce.inventory.service")
    if not hasattr(inventory, "receive_stock") or not hasattr(inventory, "create_warehouse"):
        pytest.skip("the inventory context has no receive_stock / create_warehouse")
    client, _user = sign_in("merchandiser")
    product = make_product(title="Stocked Tee")
    vid = catalog.create_variant(product.id, sku="STK-1", price_amount=1000, actor=SYSTEM).id
    warehouse = inventory.create_warehouse(
        code="BER", name="Berlin", country="DE", priority=1, actor=SYSTEM
    )
    inventory.receive_stock(vid, warehouse.id, 5, "PO-1", actor=SYSTEM)
    inventory.receive_stock(vid, warehouse.id, 7, "PO-2", actor=SYSTEM)

    page = client.get(f"/admin/variants/edit/?id={vid}").get_data(as_text=True)

    assert 'id="stock-movements"' in page and 'id="variant-stock"' in page
    assert page.index("PO-2") < page.index("PO-1")
    assert "+7" in page and ">12<" in page.replace(" ", "")
    product_page = client.get(f"/admin/products/edit/?id={product.id}").get_data(as_text=True)
    assert "<code>BER</code>: 12 / 12" in product_page


# --- brands, product types, attributes -----------------------------------------------------------


def test_brands_are_reference_data_with_unique_names(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    response = client.post(
        "/admin/brands/new/", data={"name": "Acme Wear", "slug": "", "csrf_token": client.csrf}
    )
    assert response.status_code == 302
    assert db_session.scalar(select(Brand.slug).where(Brand.name == "Acme Wear")) == "acme-wear"

    again = client.post(
        "/admin/brands/new/", data={"name": "acme wear", "slug": "", "csrf_token": client.csrf}
    )

    assert again.status_code == 200
    assert "Another brand has this name already." in again.get_data(as_text=True)
    assert db_session.query(Brand).filter(Brand.name.ilike("acme wear")).count() == 1


def test_attributes_and_product_types_are_created_through_the_service(sign_in, db_session):
    client, user = sign_in("merchandiser")
    response = client.post(
        "/admin/attributes/new/",
        data={
            "code": "fit",
            "name": "Fit",
            "kind": "choice",
            "unit": "",
            "choices": "Slim, Regular",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 302
    assert db_session.scalar(select(Attribute).where(Attribute.code == "fit")).choices == [
        "Slim",
        "Regular",
    ]
    product_types.create_attribute(code="fabric", name="Fabric", kind="text", actor=SYSTEM)

    response = client.post(
        "/admin/product_types/new/",
        data={
            "name": "Jeans",
            "attributes": ["fabric"],
            "required": ["fabric"],
            "variant_options": ["fit"],
            "csrf_token": client.csrf,
        },
    )

    assert response.status_code == 302
    ptype = db_session.scalar(select(ProductType).where(ProductType.name == "Jeans"))
    links = {
        (link.attribute.code, link.required, link.variant_axis) for link in ptype.attribute_links
    }
    assert links == {("fabric", True, False), ("fit", False, True)}
    assert _last_entry(db_session, "product_type", ptype.id).actor_id == user.id
    listing = client.get("/admin/product_types/").get_data(as_text=True)
    assert "cannot be edited yet" in listing
    assert client.get(f"/admin/product_types/edit/?id={ptype.id}").status_code == 302


def test_service_errors_show_on_the_attribute_and_type_forms(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product_types.create_attribute(code="note", name="Note", kind="text", actor=SYSTEM)
    bad_code = client.post(
        "/admin/attributes/new/",
        data={"code": "Bad Code", "name": "X", "kind": "text", "csrf_token": client.csrf},
    )
    assert bad_code.status_code == 200
    assert "lowercase letters, digits and underscores" in bad_code.get_data(as_text=True)
    bad_axis = client.post(
        "/admin/product_types/new/",
        data={"name": "Notes", "variant_options": ["note"], "csrf_token": client.csrf},
    )
    assert bad_axis.status_code == 200
    assert "only single-choice attributes can make variants" in bad_axis.get_data(as_text=True)
    assert db_session.scalar(select(ProductType).where(ProductType.name == "Notes")) is None


def test_ajax_lookups_answer_with_category_paths_and_survive_bad_ids(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    _apparel, _men, tees = _tree()
    found = client.get("/admin/products/ajax/lookup/?name=category&query=tee").get_json()
    assert found == [[tees, "Apparel" + SEP + "Men" + SEP + "Tees"]]
    response = client.post(
        "/admin/products/new/",
        data={"title": "Odd Ids", "status": "draft", "category": "x1", "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    assert db_session.scalar(select(Product.category_id).where(Product.title == "Odd Ids")) is None
    ptype, _n = make_tshirt_type()
    assert client.get(f"/admin/products/new/?product_type={ptype.id}x").status_code == 200


def test_every_catalog_page_opens_for_a_merchandiser(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    ptype, n = make_tshirt_type()
    apparel, _men, tees = _tree()
    product = make_product(
        title="Page Tee",
        product_type_id=ptype.id,
        category_id=tees,
        attributes={f"material{n}": "Cotton"},
    )
    variant = catalog.create_variant(
        product.id,
        sku="PAGE-S-BLACK",
        price_amount=999,
        option_values={f"size{n}": "S", f"colour{n}": "Black"},
        actor=SYSTEM,
    )
    brand = db_session.scalar(select(Brand.id).limit(1))
    attribute = db_session.scalar(select(Attribute.id).limit(1))
    pages = [
        "/admin/products/",
        "/admin/products/new/",
        f"/admin/products/details/?id={product.id}",
        f"/admin/products/?flt0_category_in_with_subcategories={apparel}",
        "/admin/products/?flt0_tag_has=none&flt1_created_greater_than=2020-01-01+00:00:00",
        "/admin/variants/",
        "/admin/variants/new/",
        f"/admin/variants/details/?id={variant.id}",
        f"/admin/variants/?flt0_product_type_equals={ptype.id}&flt1_digital_equals=0",
        "/admin/categories/",
        "/admin/categories/new/",
        f"/admin/categories/edit/?id={tees}",
        f"/admin/categories/details/?id={tees}",
        "/admin/brands/",
        "/admin/brands/new/",
        "/admin/product_types/",
        "/admin/product_types/new/",
        f"/admin/product_types/details/?id={ptype.id}",
        "/admin/attributes/",
        "/admin/attributes/new/",
        f"/admin/attributes/details/?id={attribute}",
        "/admin/products/ajax/lookup/?name=brand&query=",
        "/admin/variants/ajax/lookup/?name=product&query=page&limit=100000",
    ]
    if brand is not None:
        pages.append(f"/admin/brands/edit/?id={brand}")
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    category_filtered = client.get(pages[3]).get_data(as_text=True)
    assert "Page Tee" in category_filtered  # subcategories' products count
    details = client.get(pages[2]).get_data(as_text=True)
    assert f"material{n}: Cotton" in details and "PAGE-S-BLACK" in details
