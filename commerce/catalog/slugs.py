"""Unique, readable slugs ("linen-shirt", "linen-shirt-2") for any table with `id` and `slug`."""

from __future__ import annotations

from typing import Any

from slugify import slugify
from sqlalchemy import select

from commerce import db


def unique_slug(
    model: Any, text: str, *, fallback: str, max_length: int = 200, except_id: int | None = None
) -> str:
    """A slug of `text` that no other row of `model` has, with -2, -3 ... appended when needed."""
    base = slugify(text, max_length=max_length, word_boundary=True) or fallback
    stmt = select(model.slug).where((model.slug == base) | model.slug.like(f"{base}-%"))
    if except_id is not None:
        stmt = stmt.where(model.id != except_id)
    taken = set(db.session.scalars(stmt))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
