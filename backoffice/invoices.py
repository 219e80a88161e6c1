"""Orders → Invoices: issued invoices and credit notes, read-only, and their PDFs.

`/admin/invoices/<id>.pdf` (endpoint `invoices.download_pdf`; link to it with
`url_for("invoices.download_pdf", invoice_id=...)`) sends a document's PDF as issued to staff
holding `orders.view`; anyone else is sent to sign in or shown the 403 page. Invoices are never
edited or deleted: corrections are credit notes (commerce/invoicing/service.py).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, url_for
from flask_admin import expose
from markupsafe import Markup

from backoffice.base import ReadOnlyModelView
from commerce.errors import NotFound
from commerce.invoicing import service as invoicing
from commerce.money import format_money


def _number_link(_view: Any, _context: Any, model: Any, _name: str) -> Markup:
    url = url_for("invoices.download_pdf", invoice_id=model.id)
    return Markup('<a href="{}" title="Download the PDF">{}</a>').format(url, model.number)


def _money(_view: Any, _context: Any, model: Any, name: str) -> str:
    return format_money(getattr(model, name), model.currency)


class InvoiceAdmin(ReadOnlyModelView):
    """Every issued invoice and credit note, newest first, each number linking to its PDF."""

    resource = "orders"
    method_actions = {"download_pdf": "view"}
    column_list = (
        "number",
        "kind",
        "order",
        "issued_at",
        "net_amount",
        "tax_amount",
        "gross_amount",
    )
    column_details_list = (
        "number",
        "kind",
        "order",
        "credited_invoice",
        "refund_id",
        "issued_at",
        "currency",
        "net_amount",
        "tax_amount",
        "gross_amount",
        "pdf_sha256",
    )
    column_labels = {
        "net_amount": "Net",
        "tax_amount": "Tax",
        "gross_amount": "Total",
        "credited_invoice": "Credits invoice",
        "pdf_sha256": "PDF SHA-256",
    }
    column_searchable_list = ("number",)
    column_filters = ("kind", "issued_at", "year", "currency")
    column_sortable_list = ("number", "issued_at", "gross_amount")
    column_default_sort = ("id", True)
    column_formatters = {
        "number": _number_link,
        "net_amount": _money,
        "tax_amount": _money,
        "gross_amount": _money,
    }
    column_formatters_detail = column_formatters
    audit_object_type = "invoice"

    @expose("/<int:invoice_id>.pdf")
    def download_pdf(self, invoice_id: int):
        """The PDF of one invoice or credit note, as issued (404 when there is none)."""
        try:
            invoice = invoicing.get_invoice(invoice_id)
        except NotFound:
            abort(404)
        response = Response(invoicing.invoice_pdf(invoice), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
