"""Catalog → Export: start an export job, watch it, download the file; only with catalog.export."""

import csv
import datetime as dt
import html
import io
import re

import pytest
from openpyxl import load_workbook
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select, update

from commerce import db
from commerce.catalog import categories, product_types
from commerce.catalog import service as catalog
from commerce.catalog.models import Brand, Product, Variant
from commerce.kv import get_redis
from devtools import seed
from jobs import exports
from tests.factories import SYSTEM
from tests.jobs.test_events import run_worker


@pytest.fixture
def exports_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


@pytest.mark.committed
def test_manager_exports_active_products_and_downloads_the_file(app, sign_in, exports_dir):
    seed.seed_demo(products=12, customers=3, orders=5, progress=lambda _line: None)
    client, _manager = sign_in("manager")
    assert "Start export" in client.get("/admin/catalog-export/").get_data(as_text=True)
    started = client.post(
        "/admin/catalog-export/start",
        data={"status": "active", "format": "csv", "csrf_token": client.csrf},
    )
    assert started.status_code == 302
    status_url = started.headers["Location"]
    waiting = client.get(status_url).get_data(as_text=True)
    assert "Queued" in waiting and 'http-equiv="refresh"' in waiting

    run_worker(app, queues=("reports",))
    ready = client.get(status_url).get_data(as_text=True)
    assert "Ready:" in ready
    download = re.search(r'href="([^"]+/download)"', ready).group(1)
    response = client.get(download)
    assert response.status_code == 200
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("handle,title,status") and len(lines) > 1
    assert all(",active," in line for line in lines[1:] if line.count(",") > 3)


def test_support_cannot_export(sign_in, exports_dir):
    client, _user = sign_in("support")
    assert client.get("/admin/catalog-export/").status_code == 403
    response = client.post(
        "/admin/catalog-export/start", data={"format": "csv", "csrf_token": client.csrf}
    )
    assert response.status_code == 403


def test_export_form_needs_csrf_and_a_known_format(sign_in, exports_dir):
    client, _user = sign_in("manager")
    assert client.post("/admin/catalog-export/start", data={"format": "csv"}).status_code == 400
    bad = client.post(
        "/admin/catalog-export/start", data={"format": "pdf", "csrf_token": client.csrf}
    )
    assert bad.status_code == 400
    assert "format: must be csv or xlsx" in bad.get_data(as_text=True)


# --- "Export this list…" from the product list ------------------------------------------------


@pytest.fixture
def shop(db_session):
    """Products across statuses, brands, categories (with a subcategory), types, tags and
    creation times; some with two variants, one with none; several share updated_at (one
    transaction), so the list's order rests on its tiebreak."""
    apparel = categories.create_category(name="Apparel", actor=SYSTEM)
    shirts = categories.create_category(name="Shirts", parent_id=apparel.id, actor=SYSTEM)
    mugs = categories.create_category(name="Mugs", actor=SYSTEM)
    acme, other = Brand(name="Acme", slug="acme"), Brand(name="Other", slug="other")
    db_session.add_all([acme, other])
    db_session.flush()
    ptype = product_types.create_product_type(name="Plain", attributes=[], actor=SYSTEM)
    specs = [
        ("Linen Shirt", "active", shirts.id, acme.id, ptype.id, ["summer"], 2),
        ("Cotton Shirt", "draft", shirts.id, other.id, None, ["basics"], 1),
        ("Apparel Gift Card", "draft", apparel.id, acme.id, ptype.id, ["summer", "gift"], 1),
        ("Blue Mug", "active", mugs.id, acme.id, None, ["gift"], 2),
        ("Red Mug", "archived", mugs.id, None, None, [], 1),
        ("Bare Shirt", "draft", shirts.id, acme.id, None, ["summer"], 0),
        ("Loose Item", "active", None, None, None, [], 1),
    ]
    ids = {}
    for n, (title, status, category, brand, type_id, tags, variants) in enumerate(specs):
        product = catalog.create_product(
            title=title, status=status, category_id=category, brand_id=brand,
            product_type_id=type_id, tags=tags, actor=SYSTEM,
        )  # fmt: skip
        for v in range(variants):
            catalog.create_variant(
                product.id, sku=f"EXP-{n}-{v}", price_amount=1000 + n, actor=SYSTEM
            )
        ids[title] = product.id
    # Creation times a month apart, so the date filters pick some products and not others.
    for n, ident in enumerate(ids.values()):
        db_session.execute(
            update(Product)
            .where(Product.id == ident)
            .values(created_at=dt.datetime(2025, 1 + n, 1, tzinfo=dt.UTC))
        )
    db_session.flush()
    return ids


def _listed(client, query):
    """The product ids the list shows for `query`, in its order (one page is enough here)."""
    page = client.get(f"/admin/products/?{query}").get_data(as_text=True)
    assert "Invalid Filter" not in page
    found = re.findall(r'href="/admin/products/(?:edit|details)/\?id=(\d+)[^"]*"', page)
    return list(dict.fromkeys(int(i) for i in found))  # the title and the row's edit icon


def _export_from_list(client, query, fmt="csv"):
    """Follow the list's "Export this list…" link, start the export, run its job here (on the
    test's transaction) and return the file's rows as dicts, in order."""
    page = client.get(f"/admin/products/?{query}").get_data(as_text=True)
    link = html.unescape(re.search(r'id="export-this-list" href="([^"]+)"', page).group(1))
    form = client.get(link).get_data(as_text=True)
    assert 'id="export-list"' in form
    state = html.unescape(re.search(r'name="list_state" value="([^"]*)"', form).group(1))
    started = client.post(
        "/admin/catalog-export/start",
        data={"list_state": state, "format": fmt, "csrf_token": client.csrf},
    )
    assert started.status_code == 302
    export_id = started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = Job.fetch(f"export-{export_id}", connection=get_redis())
    job.func(*job.args)
    content = exports.export_path(export_id, fmt).read_bytes()
    if fmt == "xlsx":
        values = list(load_workbook(io.BytesIO(content), read_only=True).active.values)
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _products_of(rows, db_session):
    """The distinct product ids of an export's rows, in the file's order."""
    by_slug = dict(db_session.execute(select(Product.slug, Product.id)).all())
    return list(dict.fromkeys(by_slug[row["handle"]] for row in rows))


LIST_STATES = [
    "",  # the default: newest update first, ties by id
    "flt0_status_equals=draft",
    "flt0_category_in_with_subcategories={apparel}&sort=0",
    "flt0_brand_equals={acme}&flt1_tag_has=Summer&sort=0&desc=1",
    "flt0_type_equals={ptype}",
    "flt0_created_greater_than=2025-02-15+00:00:00&flt1_created_smaller_than=2025-06-15+00:00:00",
    "flt0_created_between=2025-01-01+00:00:00+to+2025-03-01+00:00:00&sort=1",
    "flt0_created_not_between=2025-01-01+00:00:00+to+2025-03-01+00:00:00",
    "flt0_updated_empty=0&sort=7&desc=1",
    "search=shirt",
    "search=mug+blu",
    "search=EXP-3-1",
    "flt0_status_equals=active&flt1_status_equals=draft",
]


@pytest.mark.parametrize("query", LIST_STATES)
def test_an_export_started_from_the_list_holds_exactly_its_products_in_its_order(
    sign_in, db_session, exports_dir, shop, query
):
    client, _user = sign_in("merchandiser")
    product = db_session.get(Product, shop["Linen Shirt"])
    query = query.format(
        apparel=product.category.parent_id, acme=product.brand_id, ptype=product.product_type_id
    )
    with_variants = set(db_session.scalars(select(Variant.product_id)))
    listed = [ident for ident in _listed(client, query) if ident in with_variants]

    rows = _export_from_list(client, query)

    assert _products_of(rows, db_session) == listed
    assert len(rows) == db_session.scalar(
        select(func.count()).select_from(Variant).where(Variant.product_id.in_(listed or [0]))
    )


def test_the_export_page_says_what_the_list_shows_and_an_xlsx_holds_the_same(
    sign_in, db_session, exports_dir, shop
):
    client, _user = sign_in("manager")
    acme = db_session.get(Product, shop["Linen Shirt"]).brand_id
    query = f"flt0_brand_equals={acme}&flt1_tag_has=summer&search=shirt&sort=0&desc=1"

    page = client.get(f"/admin/catalog-export/?list=products&{query}").get_data(as_text=True)

    assert "Brand equals Acme" in page and "Tag has summer" in page
    assert "Search: shirt" in page and "Sorted by Title, descending" in page
    # Linen Shirt (2 variants) and Bare Shirt, which has none and so no row.
    assert "<strong>1 product</strong>, 2 rows" in page
    assert "Back to the product list" in page and f"flt0_brand_equals={acme}" in page
    rows = _export_from_list(client, query, fmt="xlsx")
    assert [row["sku"] for row in rows] == ["EXP-0-0", "EXP-0-1"]


def test_a_bad_list_filter_is_named_and_starts_nothing(sign_in, db_session, exports_dir, shop):
    client, _user = sign_in("merchandiser")
    page = client.get(
        "/admin/catalog-export/?list=products&flt0_created_greater_than=yesterday"
    ).get_data(as_text=True)
    assert "Created greater than: &#39;yesterday&#39; is not a value this filter reads" in page
    assert 'id="export-list"' not in page

    response = client.post(
        "/admin/catalog-export/start",
        data={"list_state": "flt0_brand_equals=acme", "format": "csv", "csrf_token": client.csrf},
    )
    assert response.status_code == 400
    assert "Brand equals: &#39;acme&#39; is not a value" in response.get_data(as_text=True)
    assert not Queue("reports", connection=get_redis()).job_ids


def test_the_list_offers_its_export_only_to_staff_who_may_export(sign_in, db_session):
    client, _user = sign_in("support")
    page = client.get("/admin/products/?flt0_status_equals=draft").get_data(as_text=True)
    assert 'id="export-this-list"' not in page
    assert client.get("/admin/catalog-export/?list=products").status_code == 403
    response = client.post(
        "/admin/catalog-export/start",
        data={"list_state": "", "format": "csv", "csrf_token": client.csrf},
    )
    assert response.status_code == 403


@pytest.mark.committed
def test_a_worker_exports_the_filtered_list_and_the_download_holds_its_products(
    app, sign_in, exports_dir
):
    seed.seed_demo(products=12, customers=3, orders=5, progress=lambda _line: None)
    client, _manager = sign_in("manager")
    query = "flt0_status_equals=active&sort=0"
    listed = _listed(client, query)
    page = client.get(f"/admin/catalog-export/?list=products&{query}").get_data(as_text=True)
    state = html.unescape(re.search(r'name="list_state" value="([^"]*)"', page).group(1))
    started = client.post(
        "/admin/catalog-export/start",
        data={"list_state": state, "format": "csv", "csrf_token": client.csrf},
    )
    assert started.status_code == 302

    run_worker(app, queues=("reports",))

    ready = client.get(started.headers["Location"]).get_data(as_text=True)
    download = re.search(r'href="([^"]+/download)"', ready).group(1)
    content = client.get(download).data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    with_variants = set(db.session.scalars(select(Variant.product_id)))
    assert rows and {row["status"] for row in rows} == {"active"}
    assert _products_of(rows, db.session) == [i for i in listed if i in with_variants]
