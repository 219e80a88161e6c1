"""GET /api/v1/products and /api/v1/products/<slug>: filters, sorts, cursors, checks, caching."""

from __future__ import annotations

import base64
import json
import sys

import pytest
from sqlalchemy import insert, select, text

from commerce import db
from commerce.catalog import queries
from commerce.catalog.models import Product, Variant
from commerce.db import Base
from jobs.handlers.catalog import refresh_storefront_cache
from tests.storefront_api.catalog_factories import (
    days_from_now,
    make_brand,
    make_category,
    make_product,
)


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["slug"] for item in response.get_json()["data"]]


def walk(client, url: str) -> list[dict]:
    """Every product of a list, following next_cursor page by page."""
    seen, cursor = [], None
    for _ in range(100):
        joiner = "&" if "?" in url else "?"
        page = client.get(url + (f"{joiner}cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        seen.extend(body["data"])
        cursor = body["page"]["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


@pytest.fixture
def no_inventory(monkeypatch):
    """Run as if the inventory context did not exist yet (every variant counts as in stock)."""
    monkeypatch.setattr(queries, "_inventory_availability", lambda: None)
    monkeypatch.setattr(queries, "_stock_levels", lambda: None)


# --- visibility and filters ----------------------------------------------------------------------


def test_only_active_published_products_are_listed(client):
    make_product(slug="on-sale")
    make_product(slug="never-scheduled", published_at=None)
    make_product(slug="a-draft", status="draft")
    make_product(slug="archived", status="archived")
    make_product(slug="coming-soon", published_at=days_from_now(1))

    assert sorted(slugs(client.get("/api/v1/products"))) == ["never-scheduled", "on-sale"]
    for hidden in ("a-draft", "archived", "coming-soon"):
        assert client.get(f"/api/v1/products/{hidden}").status_code == 404


def test_category_filter_includes_every_subcategory(client):
    apparel = make_category(slug="apparel")
    men = make_category(parent=apparel, slug="men")
    shirts = make_category(parent=men, slug="shirts")
    home = make_category(slug="home")
    make_product(slug="oxford-shirt", category=shirts)
    make_product(slug="men-generic", category=men)
    make_product(slug="lamp", category=home)
    make_product(slug="uncategorised")

    assert sorted(slugs(client.get("/api/v1/products?category=apparel"))) == [
        "men-generic",
        "oxford-shirt",
    ]
    assert slugs(client.get("/api/v1/products?category=shirts")) == ["oxford-shirt"]


def test_unknown_category_matches_nothing(client):
    make_product()
    response = client.get("/api/v1/products?category=no-such-category")
    assert slugs(response) == []
    assert response.get_json()["page"]["next_cursor"] is None


def test_brand_filter_takes_any_of_several_brands(client):
    fjell, lumen, other = make_brand(slug="fjell"), make_brand(slug="lumen"), make_brand()
    make_product(slug="parka", brand=fjell)
    make_product(slug="lamp", brand=lumen)
    make_product(slug="mug", brand=other)

    assert slugs(client.get("/api/v1/products?brand=fjell")) == ["parka"]
    assert sorted(slugs(client.get("/api/v1/products?brand=fjell&brand=lumen"))) == [
        "lamp",
        "parka",
    ]


def test_attribute_values_of_one_code_are_or_and_codes_are_and(client):
    make_product(slug="linen-slim", attributes={"material": "Linen", "fit": "Slim"})
    make_product(slug="wool-slim", attributes={"material": "Wool", "fit": "Slim"})
    make_product(slug="linen-relaxed", attributes={"material": "Linen", "fit": "Relaxed"})
    make_product(slug="cotton-slim", attributes={"material": "Cotton", "fit": "Slim"})

    either = client.get("/api/v1/products?attr.material=Linen&attr.material=Wool")
    assert sorted(slugs(either)) == ["linen-relaxed", "linen-slim", "wool-slim"]
    both = client.get("/api/v1/products?attr.material=Linen&attr.material=Wool&attr.fit=Slim")
    assert sorted(slugs(both)) == ["linen-slim", "wool-slim"]


def test_attribute_filter_matches_numbers_booleans_and_list_values(client):
    make_product(slug="speaker", attributes={"battery_hours": 20, "waterproof": True})
    make_product(slug="headphones", attributes={"battery_hours": 30, "waterproof": False})
    make_product(slug="vase", attributes={"colours": ["red", "blue"]})
    make_product(slug="sign", attributes={"battery_hours": "20 or so"})

    assert slugs(client.get("/api/v1/products?attr.battery_hours=20")) == ["speaker"]
    assert slugs(client.get("/api/v1/products?attr.waterproof=true")) == ["speaker"]
    assert slugs(client.get("/api/v1/products?attr.colours=blue")) == ["vase"]
    assert slugs(client.get("/api/v1/products?attr.colours=green")) == []


def test_price_range_matches_when_any_variant_is_in_it(client):
    make_product(slug="small-or-large", variants=[1000, 5000])
    make_product(slug="middling", variants=[3000])

    assert slugs(client.get("/api/v1/products?min_price=4000&max_price=6000")) == ["small-or-large"]
    assert slugs(client.get("/api/v1/products?min_price=2000&max_price=3500")) == ["middling"]
    assert sorted(slugs(client.get("/api/v1/products?max_price=1000"))) == ["small-or-large"]
    assert slugs(client.get("/api/v1/products?min_price=5001")) == []


def test_tag_filter_takes_any_of_several_tags(client):
    make_product(slug="gift", tags=["gift-idea", "new"])
    make_product(slug="vegan", tags=["vegan"])
    make_product(slug="plain")

    assert slugs(client.get("/api/v1/products?tag=gift-idea")) == ["gift"]
    assert sorted(slugs(client.get("/api/v1/products?tag=vegan&tag=new"))) == ["gift", "vegan"]


def test_q_matches_part_of_the_title_ignoring_case_and_wildcards(client):
    make_product(slug="mug", title="Stoneware Mug")
    make_product(slug="bowl", title="Stoneware Bowl")
    make_product(slug="cotton", title="100% Cotton Tee")
    make_product(slug="cotton-blend", title="100 Cotton Blend")

    assert sorted(slugs(client.get("/api/v1/products?q=stoneware"))) == ["bowl", "mug"]
    assert slugs(client.get("/api/v1/products?q=100%25")) == ["cotton"]


@pytest.mark.parametrize("sort", queries.SORTS)
def test_filters_combine_the_same_way_under_every_sort(client, sort):
    shoes = make_category(slug="shoes")
    runners = make_category(parent=shoes, slug="runners")
    stride = make_brand(slug="stride")
    make_product(slug="match", category=runners, brand=stride, variants=[9000, 12000],
                 attributes={"drop_mm": 8}, tags=["new"])  # fmt: skip
    make_product(slug="too-cheap", category=runners, brand=stride, variants=[3000],
                 attributes={"drop_mm": 8}, tags=["new"])  # fmt: skip
    make_product(slug="other-brand", category=runners, variants=[11000],
                 attributes={"drop_mm": 8}, tags=["new"])  # fmt: skip
    make_product(slug="other-drop", category=runners, brand=stride, variants=[11000],
                 attributes={"drop_mm": 4}, tags=["new"])  # fmt: skip
    make_product(slug="elsewhere", brand=stride, variants=[11000], attributes={"drop_mm": 8},
                 tags=["new"])  # fmt: skip

    query = "category=shoes&brand=stride&attr.drop_mm=8&min_price=10000&max_price=20000&tag=new"
    assert slugs(client.get(f"/api/v1/products?{query}&sort={sort}")) == ["match"]


# --- sorting and pagination ----------------------------------------------------------------------


def test_each_sort_order(client):
    make_product(slug="b", title="Banana", created_at=days_from_now(-3), variants=[500, 4000])
    make_product(slug="a", title="Apple", created_at=days_from_now(-1), variants=[2500])
    make_product(slug="c", title="Cherry", created_at=days_from_now(-2), variants=[1500, 900])

    assert slugs(client.get("/api/v1/products")) == ["a", "c", "b"]
    assert slugs(client.get("/api/v1/products?sort=newest")) == ["a", "c", "b"]
    assert slugs(client.get("/api/v1/products?sort=price_asc")) == ["b", "c", "a"]
    assert slugs(client.get("/api/v1/products?sort=price_desc")) == ["a", "c", "b"]
    assert slugs(client.get("/api/v1/products?sort=title")) == ["a", "b", "c"]


@pytest.mark.parametrize("sort", queries.SORTS)
def test_keyset_pagination_visits_every_product_once_even_with_tied_keys(client, sort):
    same_day = days_from_now(-2)
    expected = []
    for _ in range(7):  # seven with identical sort keys...
        expected.append(make_product(title="Same", created_at=same_day, variants=[1000, 2000]))
    for i in range(4):  # ...and four with distinct ones around them
        expected.append(
            make_product(
                title=f"Title {i}", created_at=days_from_now(-i - 1), variants=[500 + 1000 * i]
            )
        )
    make_product(status="draft", title="Same", created_at=same_day, variants=[1000])

    seen = walk(client, f"/api/v1/products?sort={sort}&limit=3")

    ids = [item["id"] for item in seen]
    assert len(ids) == len(set(ids)), "a product appeared on two pages"
    assert sorted(ids) == sorted(p.id for p in expected)
    whole = client.get(f"/api/v1/products?sort={sort}&limit=100").get_json()["data"]
    assert ids == [item["id"] for item in whole]


@pytest.mark.parametrize("window", [1, 3, 1000])
@pytest.mark.parametrize("sort", ["price_asc", "price_desc"])
def test_filtered_price_sorts_page_correctly_however_far_the_matches_lie(
    client, monkeypatch, sort, window
):
    # Matching products sit at both ends of the price order, with others between them, so a small
    # window of the price order finds few of them and the page must be ranked instead.
    monkeypatch.setattr(queries, "PRICE_WINDOW", window)
    wanted = make_category(slug="wanted")
    matching = [
        make_product(category=wanted, variants=[price, price + 5000])
        for price in (100, 100, 200, 9000, 9100, 9100, 9900)
    ]
    for price in range(300, 8000, 700):
        make_product(variants=[price])

    seen = walk(client, f"/api/v1/products?category=wanted&sort={sort}&limit=2")

    expected = sorted(matching, key=lambda p: (p.variants[0].price_amount, p.id))
    if sort == "price_desc":
        expected.reverse()
    assert [item["id"] for item in seen] == [p.id for p in expected]


def test_pages_follow_the_order_of_the_whole_list(client):
    for i in range(5):
        make_product(slug=f"p{i}", created_at=days_from_now(-i))
    first = client.get("/api/v1/products?limit=2").get_json()
    assert [p["slug"] for p in first["data"]] == ["p0", "p1"]
    assert first["page"] == {"next_cursor": first["page"]["next_cursor"], "limit": 2}
    second = client.get(f"/api/v1/products?limit=2&cursor={first['page']['next_cursor']}")
    assert slugs(second) == ["p2", "p3"]


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        _cursor("just a string"),
        _cursor({"s": "newest", "k": "yesterday", "id": 1}),
        _cursor({"s": "newest", "k": "2026-01-01T00:00:00", "id": 1}),  # no time zone
        _cursor({"s": "price_asc", "k": 100, "id": 1}),  # made for another sort
        _cursor({"s": "newest", "k": "2026-01-01T00:00:00+00:00", "id": "1"}),
        _cursor({"s": "newest", "k": "2026-01-01T00:00:00+00:00", "id": 1, "x": 0}),
    ],
)
def test_tampered_cursor_is_a_400_naming_the_cursor(client, cursor):
    make_product()
    response = client.get(f"/api/v1/products?cursor={cursor}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["details"]["fields"]) == {"cursor"}


def test_a_cursor_of_a_price_sort_is_refused_for_another_sort(client):
    for price in (100, 200, 300):
        make_product(variants=[price])
    cursor = client.get("/api/v1/products?sort=price_asc&limit=1").get_json()["page"]["next_cursor"]
    assert client.get(f"/api/v1/products?sort=price_asc&cursor={cursor}").status_code == 200
    refused = client.get(f"/api/v1/products?sort=title&cursor={cursor}")
    assert refused.status_code == 400
    assert "cursor" in refused.get_json()["error"]["details"]["fields"]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("limit=0", "limit", "must be between 1 and 100"),
        ("limit=101", "limit", "must be between 1 and 100"),
        ("limit=ten", "limit", "whole number"),
        ("sort=cheapest", "sort", "must be one of newest, price_asc, price_desc, title"),
        ("min_price=12.50", "min_price", "whole number"),
        ("max_price=-1", "max_price", "whole number"),
        ("min_price=500&max_price=100", "min_price", "must not be greater than max_price"),
        ("in_stock=maybe", "in_stock", "true or false"),
        ("attr.material=", "attr.material", "must not be empty"),
        ("q=" + "x" * 201, "q", "at most 200"),
        ("&".join(f"brand=b{i}" for i in range(21)), "brand", "at most 20 values"),
        ("&".join(f"attr.colour=c{i}" for i in range(21)), "attr.colour", "at most 20 values"),
        ("&".join(f"attr.a{i}=x" for i in range(11)), "attr.", "at most 10 attributes"),
    ],
)
def test_invalid_parameters_are_400s_naming_the_field(client, query, field, message):
    response = client.get(f"/api/v1/products?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert message in error["details"]["fields"][field]
    assert (
        "Cache-Control" not in response.headers or "public" not in response.headers["Cache-Control"]
    )


def test_every_unreadable_parameter_is_named_at_once(client):
    response = client.get("/api/v1/products?limit=x&min_price=y&in_stock=z")
    assert set(response.get_json()["error"]["details"]["fields"]) == {
        "limit",
        "min_price",
        "in_stock",
    }


# --- the list's items and the product detail ------------------------------------------------------


def test_list_items_carry_price_range_brand_category_and_variant_count(client, no_inventory):
    brand = make_brand(slug="fjell", name="Fjell")
    category = make_category(slug="jackets", name="Jackets")
    make_product(
        slug="parka", title="Parka", brand=brand, category=category, tags=["new"],
        variants=[24900, 19900, 22900],
    )  # fmt: skip

    (item,) = client.get("/api/v1/products").get_json()["data"]
    assert item == {
        "id": item["id"],
        "slug": "parka",
        "title": "Parka",
        "brand": {"slug": "fjell", "name": "Fjell"},
        "category": {"slug": "jackets", "name": "Jackets"},
        "tags": ["new"],
        "price": {
            "min": {"amount": 19900, "currency": "EUR"},
            "max": {"amount": 24900, "currency": "EUR"},
        },
        "variant_count": 3,
        "in_stock": True,
    }


def test_detail_has_variants_breadcrumb_and_price_range(client, no_inventory):
    apparel = make_category(slug="apparel", name="Apparel")
    men = make_category(parent=apparel, slug="men", name="Men")
    shirts = make_category(parent=men, slug="shirts", name="Shirts")
    product = make_product(
        slug="oxford-shirt",
        title="Oxford Shirt",
        category=shirts,
        brand=make_brand(slug="oakridge", name="Oakridge"),
        attributes={"material": "Cotton", "fit": "Slim"},
        tags=["new"],
        variants=[
            {"sku": "OX-S", "price": 4900, "option_values": {"size": "S"}},
            {
                "sku": "OX-M",
                "price": 5900,
                "compare_at_amount": 6900,
                "option_values": {"size": "M"},
            },
        ],
    )

    response = client.get("/api/v1/products/oxford-shirt")
    assert response.status_code == 200
    body = response.get_json()["data"]
    assert body["id"] == product.id
    assert body["title"] == "Oxford Shirt"
    assert body["description"] == product.description
    assert body["brand"] == {"slug": "oakridge", "name": "Oakridge"}
    assert body["breadcrumb"] == [
        {"slug": "apparel", "name": "Apparel"},
        {"slug": "men", "name": "Men"},
        {"slug": "shirts", "name": "Shirts"},
    ]
    assert body["attributes"] == {"material": "Cotton", "fit": "Slim"}
    assert body["tags"] == ["new"]
    assert body["price"] == {
        "min": {"amount": 4900, "currency": "EUR"},
        "max": {"amount": 5900, "currency": "EUR"},
    }
    assert [v["sku"] for v in body["variants"]] == ["OX-S", "OX-M"]
    small, medium = body["variants"]
    assert small["option_values"] == {"size": "S"}
    assert small["compare_at"] is None
    assert medium["price"] == {"amount": 5900, "currency": "EUR"}
    assert medium["compare_at"] == {"amount": 6900, "currency": "EUR"}
    assert small["available"] is None and small["in_stock"] is True
    assert body["in_stock"] is True
    assert body["media"] == []
    assert body["seo"] == {"title": None, "description": None}


def test_detail_shows_seo_fields_when_the_catalog_has_them(client):
    if not hasattr(Product, "seo_title"):
        pytest.skip("the catalog has no SEO fields yet")
    make_product(slug="parka", seo_title="Warm parka", seo_description="For cold winters.")
    body = client.get("/api/v1/products/parka").get_json()["data"]
    assert body["seo"] == {"title": "Warm parka", "description": "For cold winters."}


def test_unknown_slug_is_a_404_envelope(client):
    response = client.get("/api/v1/products/no-such-product")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert "no-such-product" in error["message"]


def test_a_slug_with_a_nul_character_is_a_404_envelope(client):
    response = client.get("/api/v1/products/oxford%00shirt")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


# --- availability --------------------------------------------------------------------------------


def test_without_an_inventory_service_every_variant_counts_as_in_stock(client, monkeypatch):
    queries._inventory_availability.cache_clear()
    monkeypatch.setitem(sys.modules, "commerce.inventory.service", None)  # import fails
    monkeypatch.setattr(queries, "_stock_levels", lambda: None)  # no stock_levels table
    try:
        make_product(slug="parka", variants=[100, 200])
        detail = client.get("/api/v1/products/parka").get_json()["data"]
        listed = client.get("/api/v1/products").get_json()["data"][0]
        in_stock_only = client.get("/api/v1/products?in_stock=true")
    finally:
        queries._inventory_availability.cache_clear()
    assert [(v["available"], v["in_stock"]) for v in detail["variants"]] == [
        (None, True),
        (None, True),
    ]
    assert detail["in_stock"] is True and listed["in_stock"] is True
    assert slugs(in_stock_only) == ["parka"]  # the filter has nothing to go by, so it is ignored


def test_detail_takes_each_variants_units_from_the_inventory_service(client, monkeypatch):
    parka = make_product(slug="parka", variants=[100, 200, 300])
    small, medium, large = parka.variants
    counts = {small.id: 0, medium.id: 3}  # large is not reported at all
    asked = []

    def availability(variant_ids):
        asked.append(sorted(variant_ids))
        return {vid: counts[vid] for vid in variant_ids if vid in counts}

    monkeypatch.setattr(queries, "_inventory_availability", lambda: availability)

    detail = client.get("/api/v1/products/parka").get_json()["data"]
    assert [(v["available"], v["in_stock"]) for v in detail["variants"]] == [
        (0, False),
        (3, True),
        (0, False),
    ]
    assert detail["in_stock"] is True
    assert asked == [sorted([small.id, medium.id, large.id])]  # one call for the product


def _stock_tables():
    pytest.importorskip(
        "commerce.inventory.models", reason="the inventory context is not built yet"
    )
    levels, warehouses = (
        Base.metadata.tables.get("stock_levels"),
        Base.metadata.tables.get("warehouses"),
    )
    if levels is None or warehouses is None:
        pytest.skip("commerce.inventory.models has no stock_levels/warehouses table yet")
    if db.session.scalar(text("SELECT to_regclass('stock_levels')")) is None:
        pytest.skip("the inventory migration (stock_levels) is not applied yet")
    return levels, warehouses


def test_in_stock_filter_keeps_products_with_a_unit_available(client):
    levels, warehouses = _stock_tables()
    stocked = make_product(slug="stocked", variants=[100, 200])
    for slug in ("all-committed", "below-safety-stock", "only-in-closed-warehouse", "unstocked"):
        make_product(slug=slug, variants=[100])
    main, closed = (
        db.session.execute(
            insert(warehouses)
            .values(code=code, name=code.title(), country="DE", is_active=active)
            .returning(warehouses.c.id)
        ).scalar_one()
        for code, active in (("main", True), ("closed", False))
    )
    variant = dict(
        db.session.execute(select(Product.slug, Variant.id).join(Product.variants)).all()
    )
    rows = [  # variant, warehouse, on_hand, allocated, reserved, safety_stock
        (stocked.variants[1].id, main, 5, 1, 1, 0),
        (variant["all-committed"], main, 4, 2, 2, 0),
        (variant["below-safety-stock"], main, 3, 0, 0, 3),
        (variant["only-in-closed-warehouse"], closed, 9, 0, 0, 0),
    ]
    for variant_id, warehouse_id, on_hand, allocated, reserved, safety in rows:
        db.session.execute(
            insert(levels).values(
                variant_id=variant_id,
                warehouse_id=warehouse_id,
                on_hand=on_hand,
                allocated=allocated,
                reserved=reserved,
                safety_stock=safety,
            )
        )
    db.session.commit()

    assert slugs(client.get("/api/v1/products?in_stock=true")) == ["stocked"]
    listed = client.get("/api/v1/products?in_stock=false").get_json()["data"]
    assert {p["slug"]: p["in_stock"] for p in listed} == {
        "stocked": True,
        "all-committed": False,
        "below-safety-stock": False,
        "only-in-closed-warehouse": False,
        "unstocked": False,
    }
    # The product page, which asks the inventory service, agrees with the list.
    detail = client.get("/api/v1/products/stocked").get_json()["data"]
    assert [(v["available"], v["in_stock"]) for v in detail["variants"]] == [(0, False), (3, True)]
    closed = client.get("/api/v1/products/only-in-closed-warehouse").get_json()["data"]
    assert closed["in_stock"] is False


# --- caching -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/products", "/api/v1/products/parka"])
def test_catalog_reads_are_cacheable_and_revalidate_with_304(client, url):
    make_product(slug="parka", title="Parka")

    first = client.get(url)
    assert first.status_code == 200
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=60" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag

    make_product(slug="parka-2", title="Another Parka")
    db.session.execute(text("UPDATE products SET title = 'Parka, renamed' WHERE slug = 'parka'"))
    db.session.commit()
    # Served from the shared cache until the change's event reaches its handler ...
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    refresh_storefront_cache({"name": "product.updated", "payload": {}})
    # ... which makes every cached catalog read stale at once.
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_catalog_reads_still_answer_when_redis_is_down(app, client, monkeypatch):
    from commerce.kv import connect

    make_product(slug="lamp", title="Lamp")
    monkeypatch.setitem(app.extensions, "commerce_redis", connect("redis://127.0.0.1:1/0"))
    response = client.get("/api/v1/products/lamp")
    assert response.status_code == 200
    assert response.get_json()["data"]["title"] == "Lamp"


def test_catalog_changes_through_services_invalidate_via_their_events():
    from jobs.registry import routes

    table = routes()
    for name in ("product.created", "product.updated", "category.changed"):
        assert any(r.handler.endswith("refresh_storefront_cache") for r in table[name]), name
