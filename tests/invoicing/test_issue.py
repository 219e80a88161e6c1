"""A paid order gets one invoice: numbered, with the amounts the buyer paid, a PDF a person can
read, a timeline entry and an audit row; the order.paid handler issues it however often it runs."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from commerce import audit
from commerce.errors import Conflict
from commerce.events import OutboxEvent
from commerce.invoicing import numbering, storage
from commerce.invoicing import service as invoicing
from commerce.invoicing.models import Invoice
from commerce.orders import timeline
from jobs.handlers.invoicing import issue_paid_order_invoice
from jobs.registry import routes
from tests.invoicing.factories import CLERK, make_paid_order, pdf_text


def _count(session, **where) -> int:
    stmt = select(func.count()).select_from(Invoice)
    for name, value in where.items():
        stmt = stmt.where(getattr(Invoice, name) == value)
    return session.scalar(stmt)


def test_a_paid_order_gets_an_invoice_whose_pdf_shows_what_was_sold(db_session, invoices_dir):
    order = make_paid_order(
        lines=((2, 1000, "0.19"), (1, 500, "0.07")), discounts=(200,), shipping=490
    )
    invoice = invoicing.issue_invoice(order.id, actor=CLERK)

    year = invoice.issued_at.year
    assert invoice.number == f"INV-{year}-000001"
    # 2 x 10.00 - 2.00 at 19% (3.42), 5.00 at 7% (0.35), shipping 4.90 at 19% (0.931 -> 0.93)
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (2790, 470, 3260)
    assert invoice.gross_amount == order.total_amount
    breakdown = [(r["name"], r["net"], r["tax"]) for r in invoice.snapshot["tax_breakdown"]]
    assert breakdown == [("VAT 19%", 2290, 435), ("VAT 7%", 500, 35)]

    pdf = (invoices_dir / invoice.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert hashlib.sha256(pdf).hexdigest() == invoice.pdf_sha256
    text = pdf_text(pdf)
    for shown in (
        "INVOICE",
        invoice.number,
        f"#{order.number}",
        "Oakridge Supply GmbH",
        "Torstrasse 1",
        "VAT ID: DE123456789",
        order.billing_address["name"],
        "10117 Berlin",
        "Product",
        "SKU INV-SKU-",
        "19%",
        "7%",
        "18.00",  # the discounted line's net
        "3.42",
        "27.90 EUR",  # net total
        "4.70 EUR",  # tax total
        "32.60 EUR",  # total
        "Tax is added to the prices shown.",
    ):
        assert shown in text, shown

    [entry] = [e for e in timeline.entries(order.id) if e.kind == "invoice"]
    assert entry.message == f"Invoice {invoice.number} issued (32.60 EUR)"
    assert entry.actor_label == CLERK.label
    [row] = audit.history("invoice", invoice.id)
    assert row.action == "invoice.issue" and row.changes["number"] == invoice.number
    issued = db_session.scalar(select(OutboxEvent).where(OutboxEvent.name == "invoice.issued"))
    assert issued.payload == {
        "invoice_id": invoice.id,
        "order_id": order.id,
        "kind": "invoice",
        "number": invoice.number,
    }


def test_prices_including_tax_are_invoiced_with_the_tax_taken_out(db_session, invoices_dir):
    order = make_paid_order(lines=((1, 11900, "0.19"),), inclusive=True, shipping=595)
    invoice = invoicing.issue_invoice(order.id, actor=CLERK)

    # 119.00 and 5.95 shipping, both with 19% inside: 19.00 + 0.95 tax.
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (10500, 1995, 12495)
    assert invoice.gross_amount == order.total_amount
    [item, shipping] = invoice.snapshot["lines"]
    assert (item["unit_price"], item["net"], item["tax"], item["gross"]) == (
        11900, 10000, 1900, 11900,
    )  # fmt: skip
    assert (shipping["title"], shipping["net"], shipping["tax"]) == ("Shipping (Standard)", 500, 95)
    text = pdf_text((invoices_dir / invoice.pdf_path).read_bytes())
    assert "Prices include tax." in text
    assert "105.00 EUR" in text and "19.95 EUR" in text and "124.95 EUR" in text


def test_gift_cards_show_as_paid_without_lowering_the_invoice(db_session, invoices_dir):
    order = make_paid_order(lines=((1, 5000, "0.19"),), gift_card=2000)
    invoice = invoicing.issue_invoice(order.id, actor=CLERK)

    assert invoice.gross_amount == 5950
    text = pdf_text((invoices_dir / invoice.pdf_path).read_bytes())
    assert "Paid with gift card" in text and "-20.00 EUR" in text and "39.50 EUR" in text


def test_an_order_is_invoiced_once(db_session):
    order = make_paid_order()
    first = invoicing.issue_invoice(order.id, actor=CLERK)
    again = invoicing.issue_invoice(order.id, actor=CLERK)

    assert again.id == first.id and again.number == first.number
    assert _count(db_session, order_id=order.id) == 1
    assert numbering.last_number("invoice", first.year) == 1


def test_an_unpaid_order_is_not_invoiced(db_session):
    order = make_paid_order(status="pending_payment", payment_status="pending")
    with pytest.raises(Conflict, match="is not paid"):
        invoicing.issue_invoice(order.id, actor=CLERK)
    assert _count(db_session) == 0


def test_an_issue_that_fails_gives_its_number_back(db_session, monkeypatch):
    first, second = make_paid_order(), make_paid_order()

    def disk_full(relative: str, content: bytes):
        raise OSError("No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(storage, "write_pdf", disk_full)
        with pytest.raises(OSError, match="No space left"):
            invoicing.issue_invoice(first.id, actor=CLERK)
    assert _count(db_session) == 0
    assert timeline.entries(first.id) == []

    retried = invoicing.issue_invoice(first.id, actor=CLERK)
    other = invoicing.issue_invoice(second.id, actor=CLERK)
    assert (retried.sequence, other.sequence) == (1, 2)


def test_the_order_paid_handler_issues_one_invoice_however_often_it_runs(db_session):
    order = make_paid_order()
    event = {"id": 1, "name": "order.paid", "payload": {"order_id": order.id, "amount": 2975}}

    first = issue_paid_order_invoice(event)
    again = issue_paid_order_invoice(event)

    [invoice] = invoicing.order_invoices(order.id)
    assert first == again == f"invoice {invoice.number}"
    assert len([e for e in timeline.entries(order.id) if e.kind == "invoice"]) == 1
    handlers = [route.handler for route in routes()["order.paid"]]
    assert "jobs.handlers.invoicing.issue_paid_order_invoice" in handlers


def test_the_order_paid_handler_skips_an_order_that_is_not_paid_or_gone(db_session):
    order = make_paid_order(status="pending_payment", payment_status="pending")
    assert issue_paid_order_invoice(
        {"id": 2, "name": "order.paid", "payload": {"order_id": order.id}}
    ).startswith("skipped: Order #")
    assert issue_paid_order_invoice(
        {"id": 3, "name": "order.paid", "payload": {"order_id": 987654321}}
    ) == ("skipped: order no longer exists")
    assert invoicing.order_invoices(order.id) == []
