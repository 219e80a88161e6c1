"""Invoice numbers without gaps: the next sequence of a (kind, year) is taken from its counter
row inside the transaction that inserts the document.

    INSERT INTO invoice_counters (kind, year, last) VALUES (:kind, :year, 1)
    ON CONFLICT (kind, year) DO UPDATE SET last = invoice_counters.last + 1
    RETURNING last

The statement makes the year's row on first use and otherwise increments it; either way the row
stays locked until the transaction ends. A second issuer of the same kind and year waits on that
lock, then reads the committed value. So numbers are handed out strictly one after another, and a
transaction that rolls back (a PDF that could not be written, a refused insert) gives its number
back with it: the next issuer takes the same one. A PostgreSQL sequence would be faster but burns
a value on every rollback, which a gap-free numbering cannot afford.

The price is that issues of one kind and year take turns from the moment they take a number until
they commit, so the issuing services take it as late as they can.
"""

from __future__ import annotations

from sqlalchemy import text

from commerce import db

_NEXT = text(
    "INSERT INTO invoice_counters (kind, year, last) VALUES (:kind, :year, 1) "
    "ON CONFLICT (kind, year) DO UPDATE SET last = invoice_counters.last + 1 "
    "RETURNING last"
)


def take_number(kind: str, year: int) -> int:
    """Take the next sequence of `kind` in `year` in the current transaction, locking the counter
    until it ends (the caller inserts the document and commits, or rolls back and the number is
    not used). Returns the sequence (1 for the year's first)."""
    return int(db.session.execute(_NEXT, {"kind": kind, "year": year}).scalar_one())


def last_number(kind: str, year: int) -> int:
    """The last sequence taken for `kind` in `year` (0 before the first)."""
    value = db.session.execute(
        text("SELECT last FROM invoice_counters WHERE kind = :kind AND year = :year"),
        {"kind": kind, "year": year},
    ).scalar()
    return int(value or 0)
