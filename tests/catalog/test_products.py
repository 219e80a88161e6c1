"""Products: slugs, sanitised descriptions, status changes and bulk edits, all audited."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.catalog import categories
from commerce.catalog import service as catalog
from commerce.errors import Conflict, InvalidInput
from commerce.events import OutboxEvent
from tests.catalog.factories import make_product
from tests.factories import SYSTEM


def test_slug_is_generated_unique_and_editable(db_session):
    a = make_product(title="Linen Shirt")
    b = make_product(title="Linen Shirt")
    assert (a.slug, b.slug) == ("linen-shirt", "linen-shirt-2")
    catalog.update_product(b.id, {"slug": "linen-shirt-blue"}, actor=SYSTEM)
    assert b.slug == "linen-shirt-blue"
    with pytest.raises(Conflict, match="slug: linen-shirt is already used"):
        catalog.update_product(b.id, {"slug": "linen-shirt"}, actor=SYSTEM)
    with pytest.raises(InvalidInput) as error:
        catalog.update_product(b.id, {"slug": "Not A Slug!"}, actor=SYSTEM)
    assert "slug" in error.value.fields


def test_description_is_sanitised(db_session):
    product = make_product(
        description='<p onclick="x()">Soft <b>cotton</b></p>'
        '<script>alert(1)</script><a href="https://x.example">x</a>'
    )
    assert "<script" not in product.description and "onclick" not in product.description
    assert "<b>cotton</b>" in product.description
    assert 'rel="noopener noreferrer nofollow"' in product.description


def test_publishing_sets_the_publish_date_and_is_audited(db_session):
    product = make_product()
    assert product.status == "draft" and product.published_at is None
    assert catalog.set_status([product.id], "active", actor=SYSTEM) == 1
    assert product.published_at is not None
    entry = db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.object_type == "product",
            AuditEntry.object_id == str(product.id),
            AuditEntry.action == "product.update",
        )
    )
    assert entry.changes["status"] == ["draft", "active"]
    event = db_session.scalar(
        select(OutboxEvent)
        .where(OutboxEvent.name == "product.updated")
        .order_by(OutboxEvent.id.desc())
    )
    assert event.payload["product_id"] == product.id


def test_bulk_price_change_by_percent_rounds_half_up_and_leaves_audit_rows(db_session):
    product = make_product()
    v1 = catalog.create_variant(product.id, sku="PCT-1", price_amount=1999, actor=SYSTEM)
    v2 = catalog.create_variant(product.id, sku="PCT-2", price_amount=1005, actor=SYSTEM)
    assert catalog.change_prices([product.id], percent=Decimal("-10"), actor=SYSTEM) == 2
    assert (v1.price_amount, v2.price_amount) == (1799, 905)  # 1799.1 -> 1799, 904.5 -> 905
    rows = db_session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "variant", AuditEntry.action == "variant.update"
        )
    ).all()
    assert sorted(r.changes["price_amount"] for r in rows) == [[1005, 905], [1999, 1799]]


def test_price_change_below_zero_names_the_sku_and_changes_nothing(db_session):
    product = make_product()
    cheap = catalog.create_variant(product.id, sku="CHEAP-1", price_amount=300, actor=SYSTEM)
    dear = catalog.create_variant(product.id, sku="DEAR-1", price_amount=3000, actor=SYSTEM)
    with pytest.raises(InvalidInput, match="CHEAP-1"):
        catalog.change_prices([product.id], amount=-500, actor=SYSTEM)
    db_session.rollback()
    assert (
        db_session.get(type(cheap), cheap.id).price_amount,
        db_session.get(type(dear), dear.id).price_amount,
    ) == (300, 3000)


def test_bulk_category_and_tags(db_session):
    shoes = categories.create_category(name="Shoes", actor=SYSTEM)
    a, b = make_product(tags=["sale"]), make_product()
    assert catalog.set_category([a.id, b.id], shoes.id, actor=SYSTEM) == 2
    assert catalog.set_tags([a.id, b.id], ["New", "sale"], mode="add", actor=SYSTEM) == 2
    assert (a.tags, b.tags) == (["new", "sale"], ["new", "sale"])
    catalog.set_tags([a.id], ["sale"], mode="remove", actor=SYSTEM)
    assert a.tags == ["new"]
    with pytest.raises(InvalidInput, match="category_id"):
        catalog.set_category([a.id], 987654, actor=SYSTEM)


def test_duplicate_sku_is_refused_naming_the_field(db_session):
    product = make_product()
    catalog.create_variant(product.id, sku="DUP-1", price_amount=100, actor=SYSTEM)
    with pytest.raises(Conflict, match="sku: dup-1 is already used"):
        catalog.create_variant(product.id, sku="dup-1", price_amount=100, actor=SYSTEM)
    with pytest.raises(InvalidInput, match="price_amount: must not be negative"):
        catalog.create_variant(product.id, sku="NEG-1", price_amount=-1, actor=SYSTEM)


def test_moving_a_category_under_its_own_subtree_is_refused(db_session):
    root = categories.create_category(name="Apparel", actor=SYSTEM)
    men = categories.create_category(name="Men", parent_id=root.id, actor=SYSTEM)
    tees = categories.create_category(name="T-shirts", parent_id=men.id, actor=SYSTEM)
    assert [c.name for c in categories.ancestors(tees.id)] == ["Apparel", "Men", "T-shirts"]
    with pytest.raises(InvalidInput, match="subcategory"):
        categories.move_category(root.id, tees.id, actor=SYSTEM)
    other = categories.create_category(name="Outlet", actor=SYSTEM)
    categories.move_category(men.id, other.id, actor=SYSTEM)  # the subtree moves with it
    assert [c.name for c in categories.ancestors(tees.id)] == ["Outlet", "Men", "T-shirts"]
