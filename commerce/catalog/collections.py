"""Collections: hand-picked lists of products, or rules (tags, price, category) that pick them.

A rule-based collection stores its rules as data and is evaluated as one SQL query when read, so it
is always current; a manual collection keeps its products in order in `collection_products`.
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
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, aliased, mapped_column

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import Category, Product, Variant
from commerce.db import Base, TimestampMixin
from commerce.errors import Conflict, InvalidInput, NotFound

KINDS = ("manual", "rule")
RULE_KEYS = ("tags_any", "tags_all", "min_price", "max_price", "category_id")


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
    if rules.get("category_id") is not None:
        if db.session.get(Category, int(rules["category_id"])) is None:
            raise InvalidInput(
                "rules.category_id: no such category",
                fields={"rules.category_id": "no such category"},
            )
        clean["category_id"] = int(rules["category_id"])
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


def _manual(collection_id: int) -> Collection:
    collection = db.session.get(Collection, collection_id)
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
