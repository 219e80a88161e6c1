"""Collections: hand-picked in order, or picked by rules on tags, price and category."""

import pytest
from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.catalog import categories, collections
from commerce.catalog import service as catalog
from commerce.errors import Conflict, InvalidInput, NotFound
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


def _audit(db_session, action):
    stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db_session.scalars(stmt))


def test_editing_a_collection_changes_its_fields_and_records_what_changed(db_session):
    picks = collections.create_collection(title="Staff picks", kind="manual", actor=SYSTEM)

    collections.update_collection(
        picks.id,
        {"title": "Team picks", "slug": "team-picks", "description": "Ours.", "is_published": True},
        actor=SYSTEM,
    )

    db_session.expire_all()
    edited = db_session.get(collections.Collection, picks.id)
    assert (edited.title, edited.slug, edited.description, edited.is_published) == (
        "Team picks", "team-picks", "Ours.", True,
    )  # fmt: skip
    [entry] = _audit(db_session, "collection.update")
    assert entry.changes == {
        "description": ["", "Ours."],
        "is_published": [False, True],
        "slug": ["staff-picks", "team-picks"],
        "title": ["Staff picks", "Team picks"],
    }
    # Saving the same values again records nothing.
    collections.update_collection(picks.id, {"title": "Team picks"}, actor=SYSTEM)
    assert len(_audit(db_session, "collection.update")) == 1


def test_a_rule_collections_rules_are_edited_and_bad_ones_are_named(db_session):
    rule = collections.create_collection(
        title="Cheap", kind="rule", actor=SYSTEM, rules={"max_price": 1000}
    )
    collections.update_collection(
        rule.id, {"rules": {"tags_all": ["Gift"], "max_price": 2000}}, actor=SYSTEM
    )
    db_session.expire_all()
    assert db_session.get(collections.Collection, rule.id).rules == {
        "tags_all": ["gift"],
        "max_price": 2000,
    }
    [entry] = _audit(db_session, "collection.update")
    assert entry.changes["rules"] == [
        {"max_price": 1000},
        {"tags_all": ["gift"], "max_price": 2000},
    ]

    bad = [
        ({"min_price": -1}, "rules.min_price"),
        ({"category_id": "shoes"}, "rules.category_id"),
        ({"category_id": 999999}, "rules.category_id"),
        ({"colour": "red"}, "rules.colour"),
        ({}, "rules"),
    ]
    for rules, field in bad:
        with pytest.raises(InvalidInput) as caught:
            collections.update_collection(rule.id, {"rules": rules}, actor=SYSTEM)
        assert field in caught.value.fields, rules
    db_session.expire_all()
    assert db_session.get(collections.Collection, rule.id).rules["max_price"] == 2000
    assert len(_audit(db_session, "collection.update")) == 1


def test_edits_that_break_the_rules_are_refused_naming_the_field(db_session):
    picks = collections.create_collection(title="Picks", kind="manual", actor=SYSTEM)
    other = collections.create_collection(title="Other", kind="manual", actor=SYSTEM)
    cases = [
        ({"title": "  "}, "title"),
        ({"slug": "Not A Slug!"}, "slug"),
        ({"kind": "rule"}, "kind"),
        ({"rules": {"max_price": 100}}, "rules"),
        ({"is_published": "yes"}, "is_published"),
    ]
    for changes, field in cases:
        with pytest.raises(InvalidInput) as caught:
            collections.update_collection(picks.id, changes, actor=SYSTEM)
        assert field in caught.value.fields, changes
    with pytest.raises(Conflict, match="slug: other is already used"):
        collections.update_collection(picks.id, {"slug": other.slug}, actor=SYSTEM)
    with pytest.raises(NotFound):
        collections.update_collection(999999, {"title": "X"}, actor=SYSTEM)
    assert _audit(db_session, "collection.update") == []


def test_a_manual_collection_is_reordered_and_each_move_is_audited(db_session):
    a, b, c, d = (make_product(title=t) for t in "ABCD")
    picks = collections.create_collection(title="Ordered", kind="manual", actor=SYSTEM)
    collections.add_products(picks.id, [a.id, b.id, c.id, d.id], actor=SYSTEM)
    collections.remove_products(picks.id, [b.id], actor=SYSTEM)  # leaves a gap in positions

    assert collections.move_product(picks.id, d.id, 1, actor=SYSTEM) == 3
    assert [p.title for p in collections.members(picks.id)] == ["D", "A", "C"]
    collections.move_product(picks.id, d.id, 3, actor=SYSTEM)
    assert [p.title for p in collections.members(picks.id)] == ["A", "C", "D"]
    moves = _audit(db_session, "collection.move_product")
    assert [m.changes["position"] for m in moves] == [[3, 1], [1, 3]]

    collections.reorder_products(picks.id, [c.id, d.id, a.id], actor=SYSTEM)
    assert [p.title for p in collections.members(picks.id)] == ["C", "D", "A"]
    [entry] = _audit(db_session, "collection.reorder")
    assert entry.changes == {"order": [[a.id, c.id, d.id], [c.id, d.id, a.id]]}


def test_bad_reorders_are_refused_and_change_nothing(db_session):
    a, b = make_product(title="A"), make_product(title="B")
    stranger = make_product(title="Stranger")
    picks = collections.create_collection(title="Two", kind="manual", actor=SYSTEM)
    collections.add_products(picks.id, [a.id, b.id], actor=SYSTEM)
    cases = [
        (lambda: collections.move_product(picks.id, a.id, 3, actor=SYSTEM), "position"),
        (lambda: collections.move_product(picks.id, a.id, 0, actor=SYSTEM), "position"),
        (lambda: collections.move_product(picks.id, stranger.id, 1, actor=SYSTEM), "product_id"),
        (lambda: collections.reorder_products(picks.id, [b.id], actor=SYSTEM), "product_ids"),
        (
            lambda: collections.reorder_products(picks.id, [b.id, a.id, a.id], actor=SYSTEM),
            "product_ids",
        ),
        (
            lambda: collections.reorder_products(picks.id, [b.id, a.id, stranger.id], actor=SYSTEM),
            "product_ids",
        ),
    ]
    for call, field in cases:
        with pytest.raises(InvalidInput) as caught:
            call()
        assert field in caught.value.fields
    assert [p.title for p in collections.members(picks.id)] == ["A", "B"]
    rule = collections.create_collection(
        title="Rule", kind="rule", actor=SYSTEM, rules={"tags_any": ["x"]}
    )
    with pytest.raises(InvalidInput, match="rule-based"):
        collections.reorder_products(rule.id, [], actor=SYSTEM)
