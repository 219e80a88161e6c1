"""Merchandisers curate collections, product images and digital goods in the back-office; every
write goes through the catalog services (audited), support only looks, and forms need CSRF."""

import io
import re

from PIL import Image
from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.catalog.collections import Collection, CollectionProduct
from commerce.catalog.digital import DigitalFile, LicenseKey
from commerce.catalog.media import ProductMedia
from tests.catalog.factories import make_product
from tests.inventory.factories import make_variant


class _Ids:
    """A row's id and slug read once, so that a request's rollback cannot detach them."""

    def __init__(self, row):
        self.id, self.slug = row.id, getattr(row, "slug", None)


def _png(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(buffer, "PNG")
    return buffer.getvalue()


def _members(db_session, collection_id):
    stmt = (
        select(CollectionProduct.product_id)
        .where(CollectionProduct.collection_id == collection_id)
        .order_by(CollectionProduct.position)
    )
    return list(db_session.scalars(stmt))


def _collection(db_session, title):
    return db_session.scalar(select(Collection).where(Collection.title == title))


def _create(client, **fields):
    data = {"title": "", "kind": "manual", "description": "", "category": ""}
    data.update(fields, csrf_token=client.csrf)
    return client.post("/admin/collections/new/", data=data)


def _images(db_session, product_id):
    stmt = (
        select(ProductMedia)
        .where(ProductMedia.product_id == product_id)
        .order_by(ProductMedia.position)
    )
    return list(db_session.scalars(stmt))


def _upload(client, product_id, content, name="photo.png", alt=""):
    return client.post(
        f"/admin/product-media/product/{product_id}/upload",
        data={"file": (io.BytesIO(content), name), "alt": alt, "csrf_token": client.csrf},
        content_type="multipart/form-data",
    )


def test_merchandiser_builds_a_manual_collection(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    first, second, third = (make_product(title=f"Gift {n}") for n in range(3))

    form = client.get("/admin/collections/new/").get_data(as_text=True)
    assert 'name="tags_any"' in form and 'name="csrf_token"' in form

    response = _create(client, title="Gift Ideas", kind="manual")
    assert response.status_code == 302
    collection = _collection(db_session, "Gift Ideas")
    assert collection.kind == "manual"

    response = client.post(
        f"/admin/collections/{collection.id}/add",
        data={"products": f"{first.id}, {second.slug} {third.id}", "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    assert _members(db_session, collection.id) == [first.id, second.id, third.id]

    page = client.get(f"/admin/collections/details/?id={collection.id}").get_data(as_text=True)
    assert "Gift 1" in page and 'id="add-products"' in page

    listing = client.get("/admin/collections/").get_data(as_text=True)
    assert "Gift Ideas" in listing

    response = client.post(
        f"/admin/collections/{collection.id}/remove/{second.id}",
        data={"csrf_token": client.csrf},
    )
    assert response.status_code == 302
    assert _members(db_session, collection.id) == [first.id, third.id]


def test_adding_an_unknown_product_shows_the_error_and_adds_nothing(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product = _Ids(make_product())
    _create(client, title="Staff Picks")
    collection = _collection(db_session, "Staff Picks")

    response = client.post(
        f"/admin/collections/{collection.id}/add",
        data={"products": f"{product.id}, no-such-slug", "csrf_token": client.csrf},
    )

    assert response.status_code == 200
    assert "no product no-such-slug" in response.get_data(as_text=True)
    assert _members(db_session, collection.id) == []


def test_a_rule_collection_lists_the_products_its_rules_pick(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    cheap = make_product(title="Cheap Mug", tags=["mugs"])
    make_variant(product=cheap, price_amount=800)
    dear = make_product(title="Dear Mug", tags=["mugs"])
    make_variant(product=dear, price_amount=5000)
    make_product(title="Plain Plate", tags=["plates"])

    response = _create(client, title="Mugs Under 10", kind="rule", tags_any="Mugs", max_price="10")
    assert response.status_code == 302
    collection = _collection(db_session, "Mugs Under 10")
    assert collection.rules == {"tags_any": ["mugs"], "max_price": 1000}

    page = client.get(f"/admin/collections/details/?id={collection.id}").get_data(as_text=True)
    assert "Cheap Mug" in page
    assert "Dear Mug" not in page and "Plain Plate" not in page
    assert 'id="add-products"' not in page

    listing = client.get("/admin/collections/").get_data(as_text=True)
    assert "Mugs Under 10" in listing


def test_a_rule_collection_without_rules_is_refused_on_the_form(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    response = _create(client, title="Empty Rules", kind="rule", min_price="1.234")
    assert response.status_code == 200
    assert "at most 2 decimals" in response.get_data(as_text=True)
    response = _create(client, title="Empty Rules", kind="rule")
    assert response.status_code == 200
    assert "at least one rule" in response.get_data(as_text=True)
    assert _collection(db_session, "Empty Rules") is None


def _audit(db_session, action):
    stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db_session.scalars(stmt))


def _edit(client, collection_id, **fields):
    data = {"title": "", "slug": "", "description": "", "category": ""}
    data.update(fields, csrf_token=client.csrf)
    return client.post(f"/admin/collections/edit/?id={collection_id}", data=data)


def test_merchandiser_edits_a_collection_and_the_change_is_audited(sign_in, db_session):
    client, user = sign_in("merchandiser")
    _create(client, title="Summer Sale")
    collection = _Ids(_collection(db_session, "Summer Sale"))
    form = client.get(f"/admin/collections/edit/?id={collection.id}").get_data(as_text=True)
    assert 'value="summer-sale"' in form and 'name="tags_any"' not in form  # manual: no rules

    response = _edit(
        client, collection.id, title="Summer Deals", slug="summer-deals",
        description="Hot prices.", is_published="y",
    )  # fmt: skip

    assert response.status_code == 302
    db_session.expire_all()
    edited = _collection(db_session, "Summer Deals")
    assert (edited.slug, edited.description, edited.is_published) == (
        "summer-deals", "Hot prices.", True,
    )  # fmt: skip
    [entry] = _audit(db_session, "collection.update")
    assert entry.actor_id == user.id
    assert entry.changes["slug"] == ["summer-sale", "summer-deals"]
    page = client.get(f"/admin/collections/details/?id={collection.id}").get_data(as_text=True)
    assert "collection.update" in page  # the history panel

    # Unpublishing is unticking the box.
    _edit(client, collection.id, title="Summer Deals", slug="summer-deals")
    db_session.expire_all()
    assert _collection(db_session, "Summer Deals").is_published is False


def test_editing_rules_refuses_a_bad_rule_naming_its_field(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    _create(client, title="Mugs", kind="rule", tags_any="mugs")
    collection = _Ids(_collection(db_session, "Mugs"))
    form = client.get(f"/admin/collections/edit/?id={collection.id}").get_data(as_text=True)
    assert 'name="tags_any"' in form and 'value="mugs"' in form

    response = _edit(
        client, collection.id, title="Mugs", slug="mugs", tags_any="mugs",
        min_price="20", max_price="10",
    )  # fmt: skip

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "rules.min_price: must not exceed max_price" in body and "above max_price" in body
    db_session.expire_all()
    assert _collection(db_session, "Mugs").rules == {"tags_any": ["mugs"]}
    assert _audit(db_session, "collection.update") == []

    response = _edit(
        client, collection.id, title="Mugs", slug="mugs", tags_any="mugs", max_price="10"
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert _collection(db_session, "Mugs").rules == {"tags_any": ["mugs"], "max_price": 1000}


def test_a_taken_slug_is_named_on_the_edit_form(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    _create(client, title="First")
    _create(client, title="Second")
    second = _Ids(_collection(db_session, "Second"))
    response = _edit(client, second.id, title="Second", slug="first")
    assert response.status_code == 200
    assert "slug: first is already used by another collection" in response.get_data(as_text=True)
    db_session.expire_all()
    assert _collection(db_session, "Second").slug == "second"


def test_merchandiser_moves_products_of_a_manual_collection(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    first, second, third = (_Ids(make_product(title=f"Pick {n}")) for n in range(3))
    _create(client, title="Ordered Picks")
    collection = _Ids(_collection(db_session, "Ordered Picks"))
    client.post(
        f"/admin/collections/{collection.id}/add",
        data={"products": f"{first.id} {second.id} {third.id}", "csrf_token": client.csrf},
    )
    page = client.get(f"/admin/collections/details/?id={collection.id}").get_data(as_text=True)
    assert page.count('class="d-inline move-form"') == 3 and 'aria-label="Move up"' in page

    move = f"/admin/collections/{collection.id}/move/{third.id}"
    response = client.post(move, data={"position": "1", "csrf_token": client.csrf})
    assert response.status_code == 302
    assert _members(db_session, collection.id) == [third.id, first.id, second.id]
    client.post(move, data={"position": "2", "csrf_token": client.csrf})
    assert _members(db_session, collection.id) == [first.id, third.id, second.id]
    assert [e.changes["position"] for e in _audit(db_session, "collection.move_product")] == [
        [3, 1],
        [1, 2],
    ]

    response = client.post(move, data={"position": "9", "csrf_token": client.csrf})
    page = client.get(response.location).get_data(as_text=True)
    assert "position: must be between 1 and 3" in page
    assert _members(db_session, collection.id) == [first.id, third.id, second.id]
    assert client.post(move, data={"position": "1"}).status_code == 400  # no CSRF token


def test_merchandiser_uploads_reorders_and_describes_product_images(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product = make_product(title="Framed Print")

    assert _upload(client, product.id, _png(), alt="Front").status_code == 302
    assert _upload(client, product.id, _png((0, 0, 200)), alt="Back").status_code == 302
    front, back = _images(db_session, product.id)
    assert (front.alt, front.width, front.height) == ("Front", 8, 6)

    page = client.get(f"/admin/products/edit/?id={product.id}").get_data(as_text=True)
    assert 'id="product-media"' in page and front.url() in page

    response = client.post(
        f"/admin/product-media/{back.id}/move/up", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert [m.id for m in _images(db_session, product.id)] == [back.id, front.id]

    response = client.post(
        f"/admin/product-media/{front.id}/alt",
        data={"alt": "Front view", "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(ProductMedia, front.id).alt == "Front view"

    response = client.post(
        f"/admin/product-media/{back.id}/remove", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 302
    assert [m.id for m in _images(db_session, product.id)] == [front.id]


def test_a_file_that_is_not_an_image_is_refused(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product = _Ids(make_product())

    response = _upload(client, product.id, b"%PDF-1.4 not an image", name="fake.png")

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is not an image" in page
    assert _images(db_session, product.id) == []


def test_merchandiser_adds_files_and_license_keys_to_a_digital_variant(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    variant = make_variant(is_digital=True)

    page = client.get(f"/admin/variants/edit/?id={variant.id}").get_data(as_text=True)
    assert 'id="upload-digital-file"' in page

    response = client.post(
        f"/admin/digital/{variant.id}/files",
        data={
            "file": (io.BytesIO(b"PDF bytes"), "Guide Book.pdf"),
            "download_limit": "3",
            "expires_after_days": "",
            "csrf_token": client.csrf,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [file] = db_session.scalars(select(DigitalFile).where(DigitalFile.variant_id == variant.id))
    assert (file.filename, file.size_bytes, file.download_limit, file.expires_after_days) == (
        "Guide_Book.pdf",
        9,
        3,
        None,
    )

    response = client.post(
        f"/admin/digital/{variant.id}/keys",
        data={"keys": "AAA-1\nBBB-2\n\nAAA-1\n", "csrf_token": client.csrf},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "2 added, 1 duplicates" in body
    assert re.search(r'id="available-keys">2<', body)
    assert "Guide_Book.pdf" in body
    keys = db_session.scalars(select(LicenseKey.key).where(LicenseKey.variant_id == variant.id))
    assert sorted(keys) == ["AAA-1", "BBB-2"]


def test_the_digital_panel_shows_only_on_digital_variants(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    variant = _Ids(make_variant())
    page = client.get(f"/admin/variants/edit/?id={variant.id}").get_data(as_text=True)
    assert 'id="digital-goods"' not in page
    response = client.post(
        f"/admin/digital/{variant.id}/keys", data={"keys": "K-1", "csrf_token": client.csrf}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is not a digital variant" in page


def test_support_may_look_but_not_change(sign_in, db_session):
    client, _user = sign_in("support")
    product = _Ids(make_product())
    variant = _Ids(make_variant(is_digital=True))
    collection_id = _seed_collection(db_session)
    page = client.get(f"/admin/collections/details/?id={collection_id}").get_data(as_text=True)
    assert "Seeded" in page and 'id="add-products"' not in page
    assert client.get(f"/admin/products/details/?id={product.id}").status_code == 200
    assert client.get("/admin/collections/new/").status_code == 403

    posts = {
        "/admin/collections/new/": {"title": "Nope", "kind": "manual"},
        f"/admin/collections/{collection_id}/add": {"products": str(product.id)},
        f"/admin/collections/{collection_id}/remove/{product.id}": {},
        f"/admin/collections/{collection_id}/move/{product.id}": {"position": "1"},
        f"/admin/collections/edit/?id={collection_id}": {"title": "Renamed", "slug": "renamed"},
        f"/admin/product-media/product/{product.id}/upload": {"alt": "x"},
        f"/admin/digital/{variant.id}/keys": {"keys": "K-1"},
        f"/admin/digital/{variant.id}/files": {},
    }
    for url, data in posts.items():
        response = client.post(url, data={**data, "csrf_token": client.csrf})
        assert response.status_code == 403, url
    assert _collection(db_session, "Nope") is None
    assert _collection(db_session, "Renamed") is None
    assert _images(db_session, product.id) == []
    assert db_session.scalar(select(LicenseKey).where(LicenseKey.variant_id == variant.id)) is None


def _seed_collection(db_session):
    from commerce.catalog import collections
    from tests.factories import SYSTEM

    return collections.create_collection(title="Seeded", kind="manual", actor=SYSTEM).id


def test_forms_without_csrf_token_are_refused(sign_in, db_session):
    client, _user = sign_in("merchandiser")
    product = _Ids(make_product())
    variant = _Ids(make_variant(is_digital=True))
    collection_id = _seed_collection(db_session)

    assert client.post("/admin/collections/new/", data={"title": "No Token"}).status_code == 400
    response = client.post(
        f"/admin/collections/{collection_id}/add", data={"products": str(product.id)}
    )
    assert response.status_code == 400
    response = client.post(
        f"/admin/product-media/product/{product.id}/upload",
        data={"file": (io.BytesIO(_png()), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    response = client.post(f"/admin/digital/{variant.id}/keys", data={"keys": "K-1"})
    assert response.status_code == 400
    assert _collection(db_session, "No Token") is None
    assert _members(db_session, collection_id) == []
    assert _images(db_session, product.id) == []
