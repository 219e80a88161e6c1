"""Issued invoices are immutable: the database itself refuses to change their number, amounts or
snapshot, to delete one, or to turn a counter back (which would hand out a number twice)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from commerce.invoicing import service as invoicing
from commerce.invoicing.models import Invoice
from tests.invoicing.factories import CLERK, make_paid_order


@contextlib.contextmanager
def refused(session, message: str) -> Iterator[None]:
    """The block's statements are refused by the database with `message` (in a savepoint, which
    rolls back so the test's transaction goes on)."""
    with pytest.raises(DBAPIError, match=message), session.begin_nested():
        yield


@pytest.fixture
def invoice(db_session) -> Invoice:
    return invoicing.issue_invoice(make_paid_order().id, actor=CLERK)


@pytest.mark.parametrize(
    "change",
    [
        "gross_amount = gross_amount + 100, net_amount = net_amount + 100",
        "tax_amount = 0, net_amount = gross_amount",
        "sequence = sequence + 100",
        "year = year + 1",
        "snapshot = jsonb_set(snapshot, '{buyer,name}', '\"Somebody Else\"')",
        "issued_at = issued_at - interval '1 day'",
        "pdf_sha256 = repeat('0', 64)",
    ],
)
def test_the_database_refuses_to_change_an_issued_invoice(db_session, invoice, change):
    update = text(f"UPDATE invoices SET {change} WHERE id = :id")  # noqa: S608  (test input)
    with refused(db_session, "is issued and cannot be changed"):
        db_session.execute(update, {"id": invoice.id})
    row = db_session.execute(
        text("SELECT number, gross_amount, snapshot FROM invoices WHERE id = :id"),
        {"id": invoice.id},
    ).one()
    assert (row.number, row.gross_amount) == (invoice.number, invoice.gross_amount)
    assert row.snapshot["buyer"]["name"] == invoice.snapshot["buyer"]["name"]


def test_the_database_refuses_to_delete_an_issued_invoice(db_session, invoice):
    with refused(db_session, "is issued and cannot be deleted"):
        db_session.execute(text("DELETE FROM invoices WHERE id = :id"), {"id": invoice.id})
    with refused(db_session, "cannot be deleted"):
        db_session.delete(invoice)
        db_session.flush()
    assert db_session.get(Invoice, invoice.id, populate_existing=True).number == invoice.number


def test_only_the_pdf_location_may_change(db_session, invoice):
    path = invoice.pdf_path
    db_session.execute(
        text("UPDATE invoices SET pdf_path = 'archive/' || pdf_path WHERE id = :id"),
        {"id": invoice.id},
    )
    moved = db_session.get(Invoice, invoice.id, populate_existing=True)
    assert moved.pdf_path == f"archive/{path}"


def test_a_counter_never_goes_back(db_session, invoice):
    for statement in (
        "UPDATE invoice_counters SET last = last - 1",
        "DELETE FROM invoice_counters",
    ):
        with refused(db_session, "only count forward"):
            db_session.execute(text(statement))
    again = invoicing.issue_invoice(make_paid_order().id, actor=CLERK)
    assert again.sequence == invoice.sequence + 1
