"""Refunds get credit notes: negative amounts against the order's invoice, once per refund, never
more than was invoiced, and a refund in parts credits the invoice exactly."""

from __future__ import annotations

import pytest

from commerce import audit
from commerce.errors import Conflict, InvalidInput
from commerce.invoicing import service as invoicing
from commerce.orders import timeline
from jobs.handlers.invoicing import issue_refund_credit_note
from jobs.registry import routes
from tests.invoicing.factories import CLERK, make_paid_order, pdf_text


def refunded(order_id: int, refund_id: int, amount: int) -> dict:
    return {
        "id": 10 + refund_id,
        "name": "order.refunded",
        "payload": {"order_id": order_id, "refund_id": refund_id, "amount": amount},
    }


def test_a_refund_gets_one_credit_note_against_the_invoice(db_session, invoices_dir):
    order = make_paid_order(lines=((1, 10000, "0.19"),))
    invoice = invoicing.issue_invoice(order.id, actor=CLERK)

    first = issue_refund_credit_note(refunded(order.id, 7, 1190))
    again = issue_refund_credit_note(refunded(order.id, 7, 1190))

    [_invoice, note] = invoicing.order_invoices(order.id)
    assert first == again == f"credit note {note.number}"
    assert note.number == f"CN-{note.year}-000001"
    assert (note.kind, note.credited_invoice_id, note.refund_id) == ("credit_note", invoice.id, 7)
    # 11.90 of 119.00 back: 1.90 of it is the 19% tax.
    assert (note.net_amount, note.tax_amount, note.gross_amount) == (-1000, -190, -1190)
    text = pdf_text((invoices_dir / note.pdf_path).read_bytes())
    for shown in ("CREDIT NOTE", note.number, "Credits invoice", invoice.number, "-11.90 EUR"):
        assert shown in text, shown
    messages = [e.message for e in timeline.entries(order.id) if e.kind == "invoice"]
    assert messages[0] == (
        f"Credit note {note.number} issued (-11.90 EUR) against invoice {invoice.number}"
    )
    [row] = audit.history("invoice", note.id)
    assert row.action == "credit_note.issue" and row.changes["refund_id"] == 7
    handlers = [route.handler for route in routes()["order.refunded"]]
    assert "jobs.handlers.invoicing.issue_refund_credit_note" in handlers


def test_a_refund_before_the_invoice_issues_the_invoice_first(db_session):
    order = make_paid_order(lines=((1, 10000, "0.19"),), payment_status="partially_refunded")

    issue_refund_credit_note(refunded(order.id, 8, 5000))

    invoice, note = invoicing.order_invoices(order.id)
    assert (invoice.kind, invoice.gross_amount) == ("invoice", 11900)
    assert (note.kind, note.gross_amount, note.credited_invoice_id) == (
        "credit_note", -5000, invoice.id,
    )  # fmt: skip
    assert invoice.sequence == note.sequence == 1


def test_lines_and_amounts_credit_the_invoice_exactly_and_never_more(db_session):
    order = make_paid_order(lines=((3, 1000, "0.19"), (1, 500, "0.07")))
    invoice = invoicing.issue_invoice(order.id, actor=CLERK)
    first_line = invoice.snapshot["lines"][0]["line_id"]

    two_units = invoicing.issue_credit_note(
        order.id, lines=[{"line_id": first_line, "quantity": 2}], reason="returned", actor=CLERK
    )
    assert (two_units.net_amount, two_units.tax_amount, two_units.gross_amount) == (
        -2000, -380, -2380,
    )  # fmt: skip
    assert two_units.snapshot["reason"] == "returned"

    with pytest.raises(InvalidInput, match="only 1 left to credit"):
        invoicing.issue_credit_note(
            order.id, lines=[{"line_id": first_line, "quantity": 2}], actor=CLERK
        )
    with pytest.raises(Conflict, match=r"Only 17\.25 EUR of invoice INV-"):
        invoicing.issue_credit_note(order.id, amount=1726, actor=CLERK)
    with pytest.raises(InvalidInput, match="either an amount or lines"):
        invoicing.issue_credit_note(order.id, actor=CLERK)

    rest = invoicing.issue_credit_note(order.id, amount=1725, actor=CLERK)
    # What is left: one unit at 19% (11.90, tax 1.90) and the 7% line (5.35, tax 0.35).
    assert (rest.net_amount, rest.tax_amount, rest.gross_amount) == (-1500, -225, -1725)
    notes = invoicing.order_invoices(order.id)[1:]
    assert sum(n.gross_amount for n in notes) == -invoice.gross_amount
    assert sum(n.tax_amount for n in notes) == -invoice.tax_amount
    assert [n.sequence for n in notes] == [1, 2]
    with pytest.raises(Conflict, match=r"Only 0\.00 EUR"):
        invoicing.issue_credit_note(order.id, amount=1, actor=CLERK)


def test_an_amount_spreads_over_the_tax_rates_in_proportion(db_session):
    order = make_paid_order(lines=((1, 10000, "0.19"), (1, 10000, "0.07")))  # 119.00 + 107.00
    invoicing.issue_invoice(order.id, actor=CLERK)

    note = invoicing.issue_credit_note(order.id, amount=2260, actor=CLERK)

    rows = {r["rate"]: (r["net"], r["tax"], r["gross"]) for r in note.snapshot["tax_breakdown"]}
    assert rows == {"0.19": (-1000, -190, -1190), "0.07": (-1000, -70, -1070)}
