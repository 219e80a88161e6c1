"""Issuing invoices and credit notes, and reading them back.

`issue_invoice` issues a paid order's one invoice (a second call returns it); `issue_credit_note`
takes back part or all of it, for a refund or by staff decision. Both lock the order's row first
(so two issues for one order take turns), build the snapshot, then take the number
(numbering.py: the counter stays locked until commit, so that happens last), draw and store the
PDF, insert the row with a timeline entry, an audit row and an `invoice.issued` event, and commit
once. Anything that fails before the commit rolls the number back with the rest.

Locks are always taken in the order: order row, invoice counter, credit note counter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, DomainError, InvalidInput, NotFound
from commerce.invoicing import documents, numbering, storage
from commerce.invoicing.models import Invoice, format_number
from commerce.invoicing.pdf import render_pdf
from commerce.money import format_money
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.orders.service import lock_order

__all__ = [
    "InvoiceFileDamaged",
    "customer_invoice",
    "customer_order_invoices",
    "get_invoice",
    "invoice_of_order",
    "invoice_pdf",
    "issue_credit_note",
    "issue_invoice",
    "order_invoices",
]

# Money was taken for these: they are invoiced (and may be credited).
INVOICEABLE = ("paid", "partially_refunded", "refunded")
MAX_REASON = 500


class InvoiceFileDamaged(DomainError):
    """The stored PDF is missing or altered and cannot be drawn again identically."""

    code = "invoice_file_damaged"
    status = 500


def _when(issued_at: dt.datetime | None) -> dt.datetime:
    if issued_at is None:
        return utcnow()
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    return issued_at.astimezone(dt.UTC)


def invoice_of_order(order_id: int) -> Invoice | None:
    """The order's invoice, or None before it is issued."""
    return db.session.scalar(
        select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == "invoice")
    )


def _issue(
    order: Order,
    document: dict[str, Any],
    *,
    actor: Actor,
    when: dt.datetime,
    credited: Invoice | None = None,
    refund_id: int | None = None,
) -> Invoice:
    """Number, draw, store and insert one document in the current transaction (the caller
    commits)."""
    kind = document["kind"]
    sequence = numbering.take_number(kind, when.year)
    number = format_number(kind, when.year, sequence)
    document = {**document, "number": number, "issued_at": when.isoformat()}
    content = render_pdf(document)
    relative = f"{when.year}/{number}.pdf"
    storage.write_pdf(relative, content)
    totals = document["totals"]
    invoice = Invoice(
        kind=kind,
        order_id=order.id,
        credited_invoice_id=credited.id if credited else None,
        refund_id=refund_id,
        year=when.year,
        sequence=sequence,
        issued_at=when,
        currency=document["currency"],
        net_amount=totals["net"],
        tax_amount=totals["tax"],
        gross_amount=totals["gross"],
        snapshot=document,
        pdf_path=relative,
        pdf_sha256=hashlib.sha256(content).hexdigest(),
    )
    db.session.add(invoice)
    db.session.flush()
    amount = format_money(totals["gross"], document["currency"])
    if credited is None:
        message = f"Invoice {number} issued ({amount})"
    else:
        message = f"Credit note {number} issued ({amount}) against invoice {credited.number}"
    timeline.record(
        order.id,
        "invoice",
        message,
        actor=actor,
        invoice_id=invoice.id,
        number=number,
        document=kind,
    )
    audit.record(
        actor,
        f"{kind}.issue",
        "invoice",
        invoice.id,
        {
            "number": number,
            "order_id": order.id,
            "gross": totals["gross"],
            "tax": totals["tax"],
            **({"credits": credited.number} if credited else {}),
            **({"refund_id": refund_id} if refund_id is not None else {}),
        },
    )
    events.record(
        "invoice.issued", invoice_id=invoice.id, order_id=order.id, kind=kind, number=number
    )
    return invoice


def _issue_invoice_locked(order: Order, *, actor: Actor, when: dt.datetime) -> Invoice:
    existing = invoice_of_order(order.id)
    if existing is not None:
        return existing
    if order.payment_status not in INVOICEABLE:
        raise Conflict(
            f"Order #{order.number} is not paid; it is invoiced once it is.",
            details={"payment_status": order.payment_status},
        )
    return _issue(order, documents.invoice_document(order), actor=actor, when=when)


def issue_invoice(order_id: int, *, actor: Actor, issued_at: dt.datetime | None = None) -> Invoice:
    """Issue the invoice of a paid order, numbered INV-<year>-<n>, with its PDF, a timeline
    entry, an audit row and an `invoice.issued` event (once per order: a second call returns the
    invoice issued, unchanged). `issued_at` defaults to now. Raises NotFound, Conflict (the order
    is not paid, or its amounts do not add up), OSError (INVOICES_DIR cannot be written; nothing
    is issued and no number is used)."""
    when = _when(issued_at)
    try:
        order = lock_order(order_id)
        invoice = _issue_invoice_locked(order, actor=actor, when=when)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return invoice


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise InvalidInput(
            f"reason: at most {MAX_REASON} characters", fields={"reason": "too long"}
        )
    return text or None


def issue_credit_note(
    order_id: int,
    *,
    actor: Actor,
    refund_id: int | None = None,
    amount: int | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
    reason: str | None = None,
    issued_at: dt.datetime | None = None,
) -> Invoice:
    """Issue a credit note (CN-<year>-<n>, negative amounts) against the order's invoice, taking
    back a gross `amount` in minor units or `lines` ([{"line_id", "quantity"}]), with its PDF, a
    timeline entry, an audit row and an `invoice.issued` event. The invoice is issued first if it
    was not yet. With `refund_id` it is once per refund: a second call returns the credit note
    issued. Raises NotFound, InvalidInput (neither or both of amount and lines, a bad line,
    quantity, amount or reason), Conflict (the order is not paid, or more than is left to credit),
    OSError (INVOICES_DIR cannot be written; nothing is issued)."""
    when = _when(issued_at)
    try:
        why = _reason(reason)
        order = lock_order(order_id)
        if refund_id is not None:
            existing = db.session.scalar(select(Invoice).where(Invoice.refund_id == refund_id))
            if existing is not None:
                if existing.order_id != order.id:
                    raise Conflict(
                        f"Refund {refund_id} was credited on another order's credit note.",
                        details={"credit_note": existing.number},
                    )
                db.session.commit()
                return existing
        invoice = _issue_invoice_locked(order, actor=actor, when=when)
        credited = [
            note.snapshot
            for note in db.session.scalars(
                select(Invoice)
                .where(Invoice.credited_invoice_id == invoice.id)
                .order_by(Invoice.id)
            )
        ]
        document = documents.credit_note_document(
            invoice.snapshot, credited, amount=amount, lines=lines, reason=why
        )
        note = _issue(
            order, document, actor=actor, when=when, credited=invoice, refund_id=refund_id
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return note


# --- Reads ------------------------------------------------------------------------------------


def get_invoice(invoice_id: int) -> Invoice:
    """The invoice or credit note `invoice_id`. Raises NotFound."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    return invoice


def order_invoices(order_id: int) -> list[Invoice]:
    """The order's invoice and credit notes, in the order they were issued."""
    return list(
        db.session.scalars(select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id))
    )


def _customer_order(customer_id: int, number: int) -> Order:
    # Numbers past PostgreSQL's bigint are no order of anyone's, not a query to run.
    order = (
        db.session.scalar(
            select(Order).where(
                Order.number == number, Order.customer_id == customer_id, Order.status != "draft"
            )
        )
        if db.is_id(number)
        else None
    )
    if order is None:
        raise NotFound(f"Order #{number} was not found.")
    return order


def customer_order_invoices(customer_id: int, number: int) -> list[Invoice]:
    """The invoice and credit notes of the customer's order `number`. Raises NotFound, also for
    another customer's order."""
    return order_invoices(_customer_order(customer_id, number).id)


def customer_invoice(customer_id: int, invoice_id: int) -> Invoice:
    """One of the customer's invoices or credit notes. Raises NotFound, also for another
    customer's."""
    invoice = (
        db.session.scalar(
            select(Invoice)
            .join(Order, Order.id == Invoice.order_id)
            .where(Invoice.id == invoice_id, Order.customer_id == customer_id)
        )
        if db.is_id(invoice_id)
        else None
    )
    if invoice is None:
        raise NotFound(f"Invoice {invoice_id} was not found.")
    return invoice


def invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF of `invoice`, as issued: the stored file when its SHA-256 matches, else drawn
    again from the snapshot (and stored again) when that gives the same digest; a demo-seed
    invoice is drawn from its order. Raises InvoiceFileDamaged when neither does."""
    if invoice.snapshot.get("seeded"):
        # The demo seed writes invoice rows without drawing 20,000 PDFs: their PDF is drawn from
        # the order (whose snapshot never changes) when someone asks for it. No real invoice has
        # this marker.
        order = db.session.get(Order, invoice.order_id)
        assert order is not None
        document = documents.invoice_document(order)
        return render_pdf(
            {**document, "number": invoice.number, "issued_at": invoice.issued_at.isoformat()}
        )
    content = storage.read_pdf(invoice.pdf_path)
    if content is not None and hashlib.sha256(content).hexdigest() == invoice.pdf_sha256:
        return content
    redrawn = render_pdf(invoice.snapshot)
    if hashlib.sha256(redrawn).hexdigest() != invoice.pdf_sha256:
        raise InvoiceFileDamaged(
            f"The PDF of {invoice.number} is missing or damaged; restore it from a backup.",
            details={"number": invoice.number},
        )
    storage.write_pdf(invoice.pdf_path, redrawn)
    return redrawn
