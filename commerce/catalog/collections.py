"""Collections: hand-picked lists of products, or rules (tags, price, category) that pick them.

A rule-based collection stores its rules as data and is evaluated as one SQL query when read, so it
is always current; a manual collection keeps its products in order in `collection_products`
(`position`, renumbered 1, 2, ... whenever the order is changed). Either kind can be edited (title,
slug, description, published, a rule-based one's rules); the kind itself never changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from slugify import slugify
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, aliased, mapped_column

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import Category, Product, Variant
from commerce.catalog.service import SLUG_RE
from commerce.db import Base, TimestampMixin
from commerce.errors import Conflict, InvalidInput, NotFound

KINDS = ("manual", "rule")
RULE_KEYS = ("tags_any", "tags_all", "min_price", "max_price", "category_id")
EDITABLE = ("title", "slug", "description", "is_published", "rules")


class Collection(TimestampMixin, Base):
    """A named group of products shown together ("Summer sale", "Gifts under 50 EUR")."""

    __tablename__ = "collections"
    __table_args__ = (CheckConstraint("kind IN ('manual', 'rule')", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    slug: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(
        Text, nullable=False, default="", server_default=text("''")
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    rules: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, default=dict, server_default=text("'{}'")
    )
    is_published: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )


class CollectionProduct(Base):
    """A product hand-picked into a manual collection, at a position."""

    __tablename__ = "collection_products"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    added_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


def _clean_rules(rules: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(rules) - set(RULE_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(f"rules.{key}: unknown rule", fields={f"rules.{key}": "unknown rule"})
    clean: dict[str, Any] = {}
    for key in ("tags_any", "tags_all"):
        if rules.get(key):
            clean[key] = sorted({str(t).strip().lower() for t in rules[key] if str(t).strip()})
    for key in ("min_price", "max_price"):
        if rules.get(key) not in (None, ""):
            try:
                clean[key] = int(rules[key])
            except (TypeError, ValueError):
                raise InvalidInput(
                    f"rules.{key}: must be a whole number of minor units",
                    fields={f"rules.{key}": "must be a whole number"},
                ) from None
            if clean[key] < 0:
                raise InvalidInput(
                    f"rules.{key}: must not be negative",
                    fields={f"rules.{key}": "must not be negative"},
                )
    if "min_price" in clean and "max_price" in clean and clean["min_price"] > clean["max_price"]:
        raise InvalidInput(
            "rules.min_price: must not exceed max_price",
            fields={"rules.min_price": "above max_price"},
        )
    if rules.get("category_id") not in (None, ""):
        raw = str(rules["category_id"]).strip()
        category_id = int(raw) if raw.isdigit() and db.is_id(int(raw)) else None
        if category_id is None or db.session.get(Category, category_id) is None:
            raise InvalidInput(
                "rules.category_id: no such category",
                fields={"rules.category_id": "no such category"},
            )
        clean["category_id"] = category_id
    if not clean:
        raise InvalidInput(
            "rules: a rule-based collection needs at least one rule",
            fields={"rules": "at least one rule"},
        )
    return clean


def create_collection(
    *,
    title: str,
    kind: str,
    actor: Actor,
    rules: Mapping[str, Any] | None = None,
    description: str = "",
    is_published: bool = False,
) -> Collection:
    """Create a manual or rule-based collection. Raises InvalidInput, Conflict."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput("title: is required", fields={"title": "is required"})
    if kind not in KINDS:
        raise InvalidInput("kind: must be manual or rule", fields={"kind": "manual or rule"})
    slug = slugify(title, max_length=200) or "collection"
    if db.session.scalar(select(Collection.id).where(Collection.slug == slug)) is not None:
        raise Conflict(f"title: a collection {slug} exists already", details={"field": "title"})
    collection = Collection(
        title=title,
        slug=slug,
        kind=kind,
        description=description,
        is_published=is_published,
        rules=_clean_rules(rules or {}) if kind == "rule" else {},
    )
    db.session.add(collection)
    db.session.flush()
    audit.record(
        actor,
        "collection.create",
        "collection",
        collection.id,
        {"title": [None, title], "kind": [None, kind], "rules": [None, collection.rules]},
    )
    events.record("collection.changed", collection_id=collection.id)
    db.session.commit()
    return collection


def _edited_values(collection: Collection, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` checked and normalised for `collection`. Raises InvalidInput, Conflict."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        key = unknown[0]
        problem = "cannot be changed" if key in ("kind", "id") else "not a collection field"
        raise InvalidInput(f"{key}: {problem}", fields={key: problem})
    out: dict[str, Any] = {}
    if "title" in changes:
        out["title"] = (changes["title"] or "").strip()
        if not out["title"]:
            raise InvalidInput("title: is required", fields={"title": "is required"})
        if len(out["title"]) > 255:
            problem = "must be at most 255 characters"
            raise InvalidInput(f"title: {problem}", fields={"title": problem})
    if "slug" in changes:
        slug = (changes["slug"] or "").strip().lower()
        if not SLUG_RE.match(slug) or len(slug) > 255:
            problem = "use lowercase letters, digits and single hyphens"
            raise InvalidInput(f"slug: {problem}", fields={"slug": problem})
        taken = select(Collection.id).where(Collection.slug == slug, Collection.id != collection.id)
        if db.session.scalar(taken) is not None:
            raise Conflict(
                f"slug: {slug} is already used by another collection", details={"field": "slug"}
            )
        out["slug"] = slug
    if "description" in changes:
        out["description"] = (changes["description"] or "").strip()
    if "is_published" in changes:
        if not isinstance(changes["is_published"], bool):
            problem = "must be true or false"
            raise InvalidInput(f"is_published: {problem}", fields={"is_published": problem})
        out["is_published"] = changes["is_published"]
    if "rules" in changes:
        if collection.kind != "rule":
            problem = "a manual collection has no rules; its products are picked by hand"
            raise InvalidInput(f"rules: {problem}", fields={"rules": problem})
        if not isinstance(changes["rules"], Mapping):
            raise InvalidInput("rules: must be a set of rules", fields={"rules": "malformed"})
        out["rules"] = _clean_rules(changes["rules"])
    return out


def update_collection(
    collection_id: int, changes: Mapping[str, Any], *, actor: Actor
) -> Collection:
    """Edit a collection's title, slug, description, published flag and (rule-based ones only)
    rules; the kind never changes. Raises NotFound, InvalidInput naming the field (a rule as
    "rules.<key>"), Conflict (slug taken)."""
    collection = db.session.get(Collection, collection_id, with_for_update=True)
    if collection is None:
        raise NotFound(f"Collection {collection_id} does not exist.")
    values = _edited_values(collection, changes)
    before = audit.snapshot(collection, values)
    for name, value in values.items():
        setattr(collection, name, value)
    changed = audit.diff(before, audit.snapshot(collection, values))
    if changed:
        audit.record(actor, "collection.update", "collection", collection.id, changed)
        events.record("collection.changed", collection_id=collection.id)
    db.session.commit()
    return collection


def _member_ids(collection: Collection) -> list[int]:
    return list(
        db.session.scalars(
            select(CollectionProduct.product_id)
            .where(CollectionProduct.collection_id == collection.id)
            .order_by(CollectionProduct.position, CollectionProduct.added_at)
        )
    )


def _renumber(collection: Collection, ordered: Sequence[int]) -> None:
    """Give the members positions 1, 2, ... in the order of `ordered` (all of them)."""
    table = CollectionProduct.__table__
    db.session.execute(
        update(table)
        .where(
            table.c.collection_id == collection.id,
            table.c.product_id == bindparam("member_id"),
        )
        .values(position=bindparam("new_position")),
        [{"member_id": pid, "new_position": n} for n, pid in enumerate(ordered, start=1)],
    )


def reorder_products(collection_id: int, product_ids: Sequence[int], *, actor: Actor) -> None:
    """Put a manual collection's products in the order of `product_ids`, which must name every
    member exactly once. Raises NotFound, InvalidInput (rule-based collection, or `product_ids`
    missing, repeating or adding products: field "product_ids")."""
    collection = _manual(collection_id, lock=True)
    current = _member_ids(collection)
    wanted = list(product_ids)
    problem = None
    if len(set(wanted)) != len(wanted):
        problem = "names a product twice"
    elif set(wanted) - set(current):
        extra = sorted(set(wanted) - set(current))
        problem = "not in the collection: " + ", ".join(map(str, extra))
    elif set(current) - set(wanted):
        missing = sorted(set(current) - set(wanted))
        problem = "leaves out " + ", ".join(map(str, missing))
    if problem:
        raise InvalidInput(f"product_ids: {problem}", fields={"product_ids": problem})
    if wanted != current:
        _renumber(collection, wanted)
        audit.record(
            actor, "collection.reorder", "collection", collection.id, {"order": [current, wanted]}
        )
        events.record("collection.changed", collection_id=collection.id)
    db.session.commit()


def move_product(collection_id: int, product_id: int, position: int, *, actor: Actor) -> int:
    """Move one product of a manual collection to `position` (1 is first); the others keep
    their order around it. Returns its old position. Raises NotFound, InvalidInput (rule-based
    collection, product not in it, position out of range)."""
    collection = _manual(collection_id, lock=True)
    current = _member_ids(collection)
    if product_id not in current:
        problem = "is not in this collection"
        raise InvalidInput(f"product_id: {problem}", fields={"product_id": problem})
    if isinstance(position, bool) or not isinstance(position, int):
        raise InvalidInput("position: must be a number", fields={"position": "not a number"})
    if not 1 <= position <= len(current):
        problem = f"must be between 1 and {len(current)}"
        raise InvalidInput(f"position: {problem}", fields={"position": problem})
    old = current.index(product_id) + 1
    wanted = [pid for pid in current if pid != product_id]
    wanted.insert(position - 1, product_id)
    # Positions are renumbered even when the product stays: gaps left by removals close.
    _renumber(collection, wanted)
    if old != position:
        audit.record(
            actor,
            "collection.move_product",
            "collection",
            collection.id,
            {"product_id": [None, product_id], "position": [old, position]},
        )
        events.record("collection.changed", collection_id=collection.id)
    db.session.commit()
    return old


def _manual(collection_id: int, *, lock: bool = False) -> Collection:
    collection = db.session.get(Collection, collection_id, with_for_update=lock or None)
    if collection is None:
        raise NotFound(f"Collection {collection_id} does not exist.")
    if collection.kind != "manual":
        raise InvalidInput(
            "kind: products of a rule-based collection follow its rules",
            fields={"kind": "rule-based"},
        )
    return collection


def add_products(collection_id: int, product_ids: Sequence[int], *, actor: Actor) -> int:
    """Append products to a manual collection (already present ones stay put). Returns how many
    were added. Raises NotFound, InvalidInput."""
    collection = _manual(collection_id)
    found = set(db.session.scalars(select(Product.id).where(Product.id.in_(product_ids))))
    missing = sorted(set(product_ids) - found)
    if missing:
        raise NotFound(f"Products {', '.join(map(str, missing))} do not exist.")
    last = (
        db.session.scalar(
            select(func.max(CollectionProduct.position)).where(
                CollectionProduct.collection_id == collection.id
            )
        )
        or 0
    )
    rows = [
        {"collection_id": collection.id, "product_id": pid, "position": last + n}
        for n, pid in enumerate(dict.fromkeys(product_ids), start=1)
    ]
    added = len(
        db.session.execute(
            insert(CollectionProduct)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(CollectionProduct.product_id)
        ).all()
    )
    audit.record(
        actor, "collection.add_products", "collection", collection.id, {"added": [None, added]}
    )
    events.record("collection.changed", collection_id=collection.id)
    db.session.commit()
    return added


def remove_products(collection_id: int, product_ids: Sequence[int], *, actor: Actor) -> int:
    """Take products out of a manual collection. Returns how many were removed."""
    collection = _manual(collection_id)
    rows = (
        db.session.query(CollectionProduct)
        .filter(
            CollectionProduct.collection_id == collection.id,
            CollectionProduct.product_id.in_(product_ids),
        )
        .delete(synchronize_session=False)
    )
    audit.record(
        actor, "collection.remove_products", "collection", collection.id, {"removed": [None, rows]}
    )
    events.record("collection.changed", collection_id=collection.id)
    db.session.commit()
    return rows


def members_query(collection: Collection) -> Select:
    """A SELECT of the collection's products (any status; callers add visibility), in order."""
    if collection.kind == "manual":
        return (
            select(Product)
            .join(CollectionProduct, CollectionProduct.product_id == Product.id)
            .where(CollectionProduct.collection_id == collection.id)
            .order_by(CollectionProduct.position)
        )
    rules = collection.rules
    stmt = select(Product)
    if rules.get("tags_any"):
        stmt = stmt.where(Product.tags.overlap(rules["tags_any"]))
    if rules.get("tags_all"):
        stmt = stmt.where(Product.tags.contains(rules["tags_all"]))
    if "min_price" in rules or "max_price" in rules:
        priced = select(Variant.id).where(Variant.product_id == Product.id)
        if "min_price" in rules:
            priced = priced.where(Variant.price_amount >= rules["min_price"])
        if "max_price" in rules:
            priced = priced.where(Variant.price_amount <= rules["max_price"])
        stmt = stmt.where(priced.exists())
    if "category_id" in rules:
        tree = (
            select(Category.id)
            .where(Category.id == rules["category_id"])
            .cte("subtree", recursive=True)
        )
        child = aliased(Category)
        tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
        stmt = stmt.where(Product.category_id.in_(select(tree.c.id)))
    return stmt.order_by(Product.id)


def members(collection_id: int, *, limit: int = 100) -> list[Product]:
    """The first `limit` products of a collection. Raises NotFound."""
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(f"Collection {collection_id} does not exist.")
    return list(db.session.scalars(members_query(collection).limit(limit)))
