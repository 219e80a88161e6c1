"""Use cases for the category tree: create, rename, move a subtree, breadcrumbs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import aliased

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog import slugs
from commerce.catalog.models import Category
from commerce.errors import Conflict, InvalidInput, NotFound

FIELDS = ("name", "slug", "parent_id", "position")


def get_category(category_id: int) -> Category:
    """The category with `category_id`. Raises NotFound."""
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound(f"Category {category_id} does not exist.")
    return category


def ancestors(category_id: int) -> list[Category]:
    """The path from the root to the category, inclusive (for breadcrumbs), in one query."""
    tree = (
        select(Category.id, Category.parent_id, literal(0).label("depth"))
        .where(Category.id == category_id)
        .cte("up", recursive=True)
    )
    parent = aliased(Category)
    tree = tree.union_all(
        select(parent.id, parent.parent_id, (tree.c.depth + 1)).where(parent.id == tree.c.parent_id)
    )
    rows = db.session.execute(select(tree.c.id, tree.c.depth)).all()
    by_id = {
        c.id: c
        for c in db.session.scalars(select(Category).where(Category.id.in_([r.id for r in rows])))
    }
    return [by_id[r.id] for r in sorted(rows, key=lambda r: -r.depth)]


def _unique_slug(name: str) -> str:
    return slugs.unique_slug(Category, name, fallback="category", max_length=150)


def create_category(
    *,
    name: str,
    actor: Actor,
    parent_id: int | None = None,
    slug: str | None = None,
    position: int = 0,
) -> Category:
    """Create a category under `parent_id` (None: a root). Raises InvalidInput, NotFound,
    Conflict."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: is required", fields={"name": "is required"})
    if parent_id is not None:
        get_category(parent_id)
    if slug and db.session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        raise Conflict(f"slug: {slug} is already used", details={"field": "slug"})
    category = Category(
        name=name, parent_id=parent_id, slug=slug or _unique_slug(name), position=position
    )
    db.session.add(category)
    db.session.flush()
    audit.record(
        actor,
        "category.create",
        "category",
        category.id,
        audit.diff({}, audit.snapshot(category, FIELDS)),
    )
    events.record("category.changed", category_id=category.id)
    db.session.commit()
    return category


def move_category(category_id: int, new_parent_id: int | None, *, actor: Actor) -> Category:
    """Move a category (and its whole subtree) under another parent. Raises NotFound, InvalidInput
    when the new parent is the category itself or inside its subtree."""
    category = get_category(category_id)
    if new_parent_id is not None:
        get_category(new_parent_id)
        if any(c.id == category.id for c in ancestors(new_parent_id)):
            raise InvalidInput(
                "parent_id: a category cannot move under itself or its own subcategory",
                fields={"parent_id": "inside its own subtree"},
            )
    return _update(category, {"parent_id": new_parent_id}, actor)


def rename_category(category_id: int, name: str, *, actor: Actor) -> Category:
    """Rename a category (its slug stays, so links keep working). Raises NotFound, InvalidInput."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: is required", fields={"name": "is required"})
    return _update(get_category(category_id), {"name": name}, actor)


def _update(category: Category, values: dict[str, Any], actor: Actor) -> Category:
    before = audit.snapshot(category, FIELDS)
    for key, value in values.items():
        setattr(category, key, value)
    changed = audit.diff(before, audit.snapshot(category, FIELDS))
    if changed:
        audit.record(actor, "category.update", "category", category.id, changed)
        events.record("category.changed", category_id=category.id)
    db.session.commit()
    return category
