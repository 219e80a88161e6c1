"""Collections: hand-picked in order, or picked by rules on tags, price and category."""

import pytest

from commerce.catalog import categories, collections
from commerce.catalog import service as catalog
from commerce.errors import InvalidInput
from tests.catalog.factories import make_product
from tests.factories import SYSTEM


def _priced(title, price, **values):
    product = make_product(title=title, **values)
    catalog.create_variant(
        product.id, sku=f"{title.upper().replace(' ', '')}-1", price_amount=price, actor=SYSTEM
    )
    return product


def test_manual_collection_keeps_its_order_and_ignores_duplicates(db_session):
    a, b, c = make_product(title="A"), make_product(title="B"), make_product(title="C")
    picks = collections.create_collection(title="Staff picks", kind="manual", actor=SYSTEM)
    assert collections.add_products(picks.id, [c.id, a.id], actor=SYSTEM) == 2
    assert collections.add_products(picks.id, [a.id, b.id], actor=SYSTEM) == 1
    assert [p.title for p in collections.members(picks.id)] == ["C", "A", "B"]
    collections.remove_products(picks.id, [a.id], actor=SYSTEM)
    assert [p.title for p in collections.members(picks.id)] == ["C", "B"]


def test_rule_collection_picks_by_tag_price_and_subcategory(db_session):
    gifts = categories.create_category(name="Gifts", actor=SYSTEM)
    small = categories.create_category(name="Small gifts", parent_id=gifts.id, actor=SYSTEM)
    inside = _priced("Mug", 1200, tags=["gift-idea"], category_id=small.id)
    _priced("Dear Mug", 9000, tags=["gift-idea"], category_id=small.id)
    _priced("Untagged Mug", 1200, category_id=small.id)
    _priced("Elsewhere", 1200, tags=["gift-idea"])
    rule = collections.create_collection(
        title="Gifts under 50",
        kind="rule",
        actor=SYSTEM,
        rules={"tags_any": ["Gift-Idea"], "max_price": 5000, "category_id": gifts.id},
    )
    assert [p.id for p in collections.members(rule.id)] == [inside.id]


def test_bad_rules_are_named(db_session):
    with pytest.raises(InvalidInput, match=r"rules\.min_price: must not exceed max_price"):
        collections.create_collection(
            title="Odd", kind="rule", actor=SYSTEM, rules={"min_price": 500, "max_price": 100}
        )
    with pytest.raises(InvalidInput, match=r"rules\.colour: unknown rule"):
        collections.create_collection(
            title="Odd", kind="rule", actor=SYSTEM, rules={"colour": "red"}
        )
    rule = collections.create_collection(
        title="Tagged", kind="rule", actor=SYSTEM, rules={"tags_all": ["x"]}
    )
    with pytest.raises(InvalidInput, match="rule-based"):
        collections.add_products(rule.id, [1], actor=SYSTEM)
