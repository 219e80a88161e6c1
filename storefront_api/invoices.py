"""A customer's invoices and credit notes: the list for one of their orders, and each PDF.

    GET /api/v1/account/orders/<number>/invoices   the order's invoice and credit notes
    GET /api/v1/account/invoices/<id>.pdf          one of them as a PDF download

Only the signed-in customer's own: another's order or invoice answers 404, as if it did not exist.
Answers are `Cache-Control: private, no-store` (storefront_api/accounts.py sets it for /account).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for

from commerce.invoicing import service as invoicing
from commerce.invoicing.models import Invoice
from storefront_api import api, openapi
from storefront_api.account_schemas import NOT_FOUND, _op
from storefront_api.auth import current_customer, customer_required


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    """An invoice or credit note as the account API shows it."""
    currency = invoice.currency
    credits = invoice.snapshot.get("credits") or {}
    return {
        "id": invoice.id,
        "kind": invoice.kind,
        "number": invoice.number,
        "issued_at": invoice.issued_at.isoformat(),
        "credits_invoice": credits.get("number"),
        "net": _money(invoice.net_amount, currency),
        "tax": _money(invoice.tax_amount, currency),
        "total": _money(invoice.gross_amount, currency),
        "pdf_url": url_for("api.download_invoice", invoice_id=invoice.id),
    }


@api.get("/account/orders/<int:number>/invoices")
@customer_required
def list_order_invoices(number: int):
    """The invoice and credit notes of one of the customer's orders, oldest first (an empty list
    before the order is invoiced). Raises NotFound (404), also for another customer's order."""
    invoices = invoicing.customer_order_invoices(current_customer().id, number)
    return jsonify({"data": [invoice_data(invoice) for invoice in invoices]})


@api.get("/account/invoices/<int:invoice_id>.pdf")
@customer_required
def download_invoice(invoice_id: int):
    """One of the customer's invoices or credit notes as a PDF download. Raises NotFound (404),
    also for another customer's."""
    invoice = invoicing.customer_invoice(current_customer().id, invoice_id)
    response = Response(invoicing.invoice_pdf(invoice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


INVOICE_SCHEMA = openapi.closed_object(
    ["id", "kind", "number", "issued_at", "credits_invoice", "net", "tax", "total", "pdf_url"],
    {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["invoice", "credit_note"]},
        "number": {
            "type": "string",
            "description": "INV-<year>-<n> for invoices, CN-<year>-<n> for credit notes; "
            "numbered per kind and year without gaps",
        },
        "issued_at": {"type": "string", "format": "date-time"},
        "credits_invoice": {
            "type": ["string", "null"],
            "description": "For a credit note, the number of the invoice it reduces",
        },
        "net": openapi.ref("Money"),
        "tax": openapi.ref("Money"),
        "total": {
            **openapi.ref("Money"),
            "description": "Gross amount in minor units; negative on a credit note",
        },
        "pdf_url": {"type": "string", "description": "Where to download the PDF"},
    },
)
INVOICE_PATHS = {
    "/account/orders/{number}/invoices": {
        "get": _op(
            "listAccountOrderInvoices",
            "The invoice and credit notes of one of the customer's orders",
            {
                "200": openapi.json_response(
                    openapi.closed_object(
                        ["data"], {"data": {"type": "array", "items": openapi.ref("Invoice")}}
                    ),
                    "Oldest first; empty until the order is invoiced (once paid)",
                ),
                "404": NOT_FOUND,
            },
            parameters=[
                {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
        )
    },
    "/account/invoices/{invoice_id}.pdf": {
        "get": _op(
            "downloadAccountInvoice",
            "One of the customer's invoices or credit notes as a PDF",
            {
                "200": {
                    "description": "The PDF, as issued",
                    "content": {
                        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                "404": NOT_FOUND,
            },
            parameters=[
                {
                    "name": "invoice_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
        )
    },
}
openapi.register(INVOICE_PATHS, {"Invoice": INVOICE_SCHEMA})
