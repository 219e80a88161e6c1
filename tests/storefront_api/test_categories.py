"""GET /api/v1/categories, and the category queries behind the storefront's category filter."""

from __future__ import annotations

import pytest

from commerce.catalog import queries
from commerce.errors import NotFound
from tests.storefront_api.catalog_factories import days_from_now, make_category, make_product


def test_tree_is_nested_in_position_order_with_counts_including_subcategories(client):
    apparel = make_category(slug="apparel", name="Apparel", position=0)
    men = make_category(parent=apparel, slug="men", name="Men", position=1)
    women = make_category(parent=apparel, slug="women", name="Women", position=0)
    shirts = make_category(parent=men, slug="shirts", name="Shirts")
    home = make_category(slug="home", name="Home", position=1)
    make_product(category=shirts)
    make_product(category=shirts)
    make_product(category=men)
    make_product(category=women)
    # Not visible, so not counted.
    make_product(category=shirts, status="draft")
    make_product(category=women, status="archived")
    make_product(category=men, published_at=days_from_now(2))

    response = client.get("/api/v1/categories")

    assert response.status_code == 200
    tree = response.get_json()["data"]

    def shape(nodes):
        return [(n["slug"], n["name"], n["product_count"], shape(n["children"])) for n in nodes]

    assert shape(tree) == [
        (
            "apparel",
            "Apparel",
            4,
            [
                ("women", "Women", 1, []),
                ("men", "Men", 3, [("shirts", "Shirts", 2, [])]),
            ],
        ),
        ("home", "Home", 0, []),
    ]
    assert tree[1]["id"] == home.id


def test_tree_counts_agree_with_the_category_filter(client):
    root = make_category(slug="root")
    child = make_category(parent=root, slug="child")
    grandchild = make_category(parent=child, slug="grandchild")
    for category in (root, child, grandchild, grandchild):
        make_product(category=category)

    (node,) = client.get("/api/v1/categories").get_json()["data"]
    listed = client.get("/api/v1/products?category=root").get_json()["data"]
    assert node["product_count"] == len(listed) == 4


def test_tree_answers_304_to_its_own_etag(client):
    make_category(slug="only")
    first = client.get("/api/v1/categories")
    assert "max-age=60" in first.headers["Cache-Control"]
    assert (
        client.get(
            "/api/v1/categories", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )


def test_descendant_ids_by_id_or_slug_include_the_category_itself(db_session):
    root = make_category(slug="root")
    child = make_category(parent=root)
    grandchild = make_category(parent=child)
    make_category()  # elsewhere

    expected = sorted([root.id, child.id, grandchild.id])
    assert sorted(queries.category_descendant_ids(root.id)) == expected
    assert sorted(queries.category_descendant_ids("root")) == expected
    assert queries.category_descendant_ids(grandchild.id) == [grandchild.id]


def test_descendant_ids_of_an_unknown_category_raise_not_found(db_session):
    with pytest.raises(NotFound):
        queries.category_descendant_ids("no-such-category")
