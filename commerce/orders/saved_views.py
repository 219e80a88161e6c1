"""Saved list views: a staff member's named filter/search/sort of a back-office list (the list's
query string), shown to them as quick links. Each belongs to one person and one list; saving a
name they already use replaces its query. Audited like every other write.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from commerce import audit, db
from commerce.audit import Actor
from commerce.db import Base, utcnow
from commerce.errors import Conflict, InvalidInput, NotFound

__all__ = ["SavedView", "delete_view", "list_query", "save_view", "views_of"]

MAX_NAME = 80
MAX_QUERY = 2000
MAX_PER_LIST = 50
LISTS = ("orders",)
# The query-string arguments that decide which rows a list shows and in which order.
LIST_ARGS = ("search", "sort", "desc", "page_size")


class SavedView(Base):
    """One saved view of one list by one staff member."""

    __tablename__ = "saved_views"
    __table_args__ = (
        Index(
            "uq_saved_views_staff_user_id_list_name",
            "staff_user_id",
            "list",
            text("lower(name)"),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False
    )
    list: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(MAX_NAME), nullable=False)
    query: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


def list_query(query: str) -> str:
    """Only the list arguments of a query string (filters `flt...`, search, sort, desc, page
    size), in their order, URL-encoded: what a saved view keeps."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.startswith("flt") or k in LIST_ARGS]
    return urlencode(kept)


def views_of(staff_user_id: int, list_name: str) -> list[SavedView]:
    """A staff member's saved views of one list, by name."""
    return list(
        db.session.scalars(
            select(SavedView)
            .where(SavedView.staff_user_id == staff_user_id, SavedView.list == list_name)
            .order_by(func.lower(SavedView.name), SavedView.id)
        )
    )


def save_view(
    staff_user_id: int, list_name: str, name: str, query: str, *, actor: Actor
) -> SavedView:
    """Save (or, for a name the staff member already uses on this list, replace) a view of
    `list_name` with `query`'s list arguments. Raises InvalidInput (no name, too long, unknown
    list), Conflict (too many views)."""
    label = " ".join((name or "").split())
    if list_name not in LISTS:
        raise InvalidInput("list: unknown list", fields={"list": "unknown list"})
    if not label:
        raise InvalidInput("name: is required", fields={"name": "is required"})
    if not label.isprintable():
        problem = "must not contain control characters"
        raise InvalidInput(f"name: {problem}", fields={"name": problem})
    if len(label) > MAX_NAME:
        problem = f"at most {MAX_NAME} characters"
        raise InvalidInput(f"name: {problem}", fields={"name": problem})
    kept = list_query(query or "")
    if len(kept) > MAX_QUERY:
        problem = "this list's filters are too long to save; remove some first"
        raise InvalidInput(f"query: {problem}", fields={"query": problem})
    existing = db.session.scalar(
        select(SavedView)
        .where(
            SavedView.staff_user_id == staff_user_id,
            SavedView.list == list_name,
            func.lower(SavedView.name) == label.lower(),
        )
        .with_for_update()
    )
    if existing is not None:
        before = existing.query
        existing.name, existing.query, existing.updated_at = label, kept, utcnow()
        db.session.flush()
        audit.record(
            actor, "saved_view.update", "saved_view", existing.id, {"query": [before, kept]}
        )
        db.session.commit()
        return existing
    count = db.session.scalar(
        select(func.count())
        .select_from(SavedView)
        .where(SavedView.staff_user_id == staff_user_id, SavedView.list == list_name)
    )
    if count >= MAX_PER_LIST:
        raise Conflict(
            f"You have {count} saved views of this list, the most there can be; delete one first."
        )
    view = SavedView(staff_user_id=staff_user_id, list=list_name, name=label, query=kept)
    db.session.add(view)
    try:
        db.session.flush()
    except IntegrityError:
        # The same name saved at the same moment from another tab: the unique index refused it.
        db.session.rollback()
        raise Conflict(
            f'A view named "{label}" was just saved; save again to replace it.'
        ) from None
    audit.record(
        actor,
        "saved_view.create",
        "saved_view",
        view.id,
        {"list": [None, list_name], "name": [None, label], "query": [None, kept]},
    )
    db.session.commit()
    return view


def delete_view(view_id: int, *, staff_user_id: int, actor: Actor) -> None:
    """Delete one of the staff member's own saved views. Raises NotFound (absent, or someone
    else's: the two read the same)."""
    view = db.session.scalar(
        select(SavedView)
        .where(SavedView.id == view_id, SavedView.staff_user_id == staff_user_id)
        .with_for_update()
    )
    if view is None:
        raise NotFound("That saved view does not exist (it may have been deleted).")
    audit.record(
        actor,
        "saved_view.delete",
        "saved_view",
        view.id,
        {"name": [view.name, None], "query": [view.query, None]},
    )
    db.session.delete(view)
    db.session.commit()
