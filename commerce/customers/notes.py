"""Staff notes on a customer: short free text support leaves for each other ("prefers phone
calls", "sent a replacement for #100234").

A note is personal data about the customer, so it goes with them: the data export includes their
notes and erasure deletes them. Audit rows (which outlive erasure) name the note by id and length,
never by its text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.customers.models import Customer
from commerce.db import Base
from commerce.errors import InvalidInput, NotFound

MAX_NOTE_LENGTH = 2000


class CustomerNote(Base):
    """A note staff wrote on a customer's page; never edited (add another instead)."""

    __tablename__ = "customer_notes"
    __table_args__ = (
        CheckConstraint(
            f"char_length(btrim(body)) BETWEEN 1 AND {MAX_NOTE_LENGTH}", name="body_length"
        ),
        Index("ix_customer_notes_customer_id_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
    )
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # The staff member who wrote it; NULL when written by the system (staff are never deleted).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # Kept so the note still says who wrote it if the staff account is renamed.
    author_label: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


def clean_body(value: Any) -> str:
    """A note's text, trimmed. Raises InvalidInput naming `body` when empty or too long."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput("body: write something first", fields={"body": "is required"})
    if len(text) > MAX_NOTE_LENGTH:
        problem = f"at most {MAX_NOTE_LENGTH} characters"
        raise InvalidInput(f"body: {problem}", fields={"body": problem})
    return text


def add_note(customer_id: int, body: Any, *, actor: Actor) -> CustomerNote:
    """Add a staff note to the customer (`customer.note_added`). Raises NotFound (no such
    customer, or erased), InvalidInput naming `body`."""
    text = clean_body(body)
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.erased_at is not None:
        raise NotFound(f"customer_id: no customer {customer_id}", details={"field": "customer_id"})
    note = CustomerNote(
        customer_id=customer_id,
        body=text,
        author_id=actor.id if actor.kind == "staff" else None,
        author_label=actor.label or actor.kind,
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        actor,
        "customer.note_add",
        "customer",
        customer_id,
        {"note_id": [None, note.id], "note_length": [None, len(text)]},
    )
    events.record("customer.note_added", customer_id=customer_id, note_id=note.id)
    db.session.commit()
    return note


def list_notes(customer_id: int, *, limit: int = 100) -> list[CustomerNote]:
    """The customer's notes, newest first."""
    stmt = (
        select(CustomerNote)
        .where(CustomerNote.customer_id == customer_id)
        .order_by(CustomerNote.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def note_data(note: CustomerNote) -> dict[str, Any]:
    """A note as JSON-safe data (for the customer's data export)."""
    return {
        "id": note.id,
        "body": note.body,
        "author": note.author_label,
        "created_at": note.created_at.isoformat(),
    }
