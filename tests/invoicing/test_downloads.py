"""Downloads: a customer lists and downloads the invoices of their own orders (another's answer
404); staff with orders.view download any from the back-office, others are sent to sign in or
refused. A lost file is drawn again from the snapshot, byte for byte."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from commerce.invoicing import service as invoicing
from commerce.invoicing.models import Invoice
from commerce.staff import permissions
from tests.customers.factories import register
from tests.invoicing.factories import CLERK, make_paid_order, pdf_text
from tests.storefront_api.test_accounts import check_documented

PREFIX = "/api/v1"


@pytest.fixture
def doc(client) -> dict[str, Any]:
    return client.get(f"{PREFIX}/openapi.json").get_json()


@pytest.fixture
def shop(db_session):
    """Two customers, each with an invoiced and credited order."""
    people = {}
    for name in ("ada", "bob"):
        grant = register()
        order = make_paid_order(customer_id=grant.customer.id)
        invoice = invoicing.issue_invoice(order.id, actor=CLERK)
        note = invoicing.issue_credit_note(order.id, amount=500, actor=CLERK)
        people[name] = {"token": grant.token.raw, "order": order, "docs": [invoice, note]}
    return people


def _get(client, url: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(PREFIX + url, headers=headers)


def test_a_customer_lists_and_downloads_their_invoices(client, doc, shop, invoices_dir):
    ada = shop["ada"]
    invoice, note = ada["docs"]

    listing = _get(client, f"/account/orders/{ada['order'].number}/invoices", ada["token"])
    assert listing.status_code == 200
    check_documented(doc, "GET", f"/account/orders/{ada['order'].number}/invoices", listing)
    assert listing.headers["Cache-Control"] == "private, no-store"
    rows = listing.get_json()["data"]
    assert [(r["kind"], r["number"], r["total"]["amount"]) for r in rows] == [
        ("invoice", invoice.number, 2975),
        ("credit_note", note.number, -500),
    ]
    assert rows[1]["credits_invoice"] == invoice.number

    download = _get(client, rows[0]["pdf_url"].removeprefix(PREFIX), ada["token"])
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.data == (invoices_dir / invoice.pdf_path).read_bytes()
    assert invoice.number in pdf_text(download.data) and "29.75 EUR" in pdf_text(download.data)


def test_another_customers_invoices_are_not_found(client, doc, shop):
    ada, bob = shop["ada"], shop["bob"]
    for url in (
        f"/account/orders/{bob['order'].number}/invoices",
        *(f"/account/invoices/{d.id}.pdf" for d in bob["docs"]),
        "/account/invoices/987654321.pdf",
        f"/account/orders/{2**63}/invoices",  # past bigint: no order, not a 500
        f"/account/invoices/{2**64}.pdf",
    ):
        response = _get(client, url, ada["token"])
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
        check_documented(doc, "GET", url, response)
    anonymous = _get(client, f"/account/invoices/{ada['docs'][0].id}.pdf")
    assert anonymous.status_code == 401
    check_documented(doc, "GET", f"/account/invoices/{ada['docs'][0].id}.pdf", anonymous)


def test_an_order_not_invoiced_yet_lists_no_invoices(client, db_session):
    grant = register()
    order = make_paid_order(
        customer_id=grant.customer.id, status="pending_payment", payment_status="pending"
    )
    response = _get(client, f"/account/orders/{order.number}/invoices", grant.token.raw)
    assert (response.status_code, response.get_json()) == (200, {"data": []})


def test_staff_with_orders_view_download_any_invoice(sign_in, shop, invoices_dir):
    invoice = shop["bob"]["docs"][0]
    client, _support = sign_in("support")

    response = client.get(f"/admin/invoices/{invoice.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == (invoices_dir / invoice.pdf_path).read_bytes()
    listing = client.get("/admin/invoices/").get_data(as_text=True)
    assert f'href="/admin/invoices/{invoice.id}.pdf"' in listing and invoice.number in listing
    assert client.get("/admin/invoices/987654321.pdf").status_code == 404
    details = client.get(f"/admin/invoices/details/?id={invoice.id}").get_data(as_text=True)
    assert invoice.number in details and "29.75 EUR" in details and invoice.pdf_sha256 in details
    assert "invoice.issue" in details  # the audit row
    assert client.get(f"/admin/invoices/edit/?id={invoice.id}").status_code == 302  # no editing


def test_the_back_office_download_needs_sign_in_and_orders_view(client, sign_in, shop, monkeypatch):
    url = f"/admin/invoices/{shop['ada']['docs'][0].id}.pdf"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]

    monkeypatch.setitem(permissions.MATRIX["merchandiser"], "orders", ())
    signed_in, _user = sign_in("merchandiser")
    refused = signed_in.get(url)
    assert refused.status_code == 403
    assert '<code id="missing-permission">orders.view</code>' in refused.get_data(as_text=True)


def test_a_lost_pdf_is_drawn_again_identically(client, shop, invoices_dir):
    ada = shop["ada"]
    invoice = ada["docs"][0]
    stored = invoices_dir / invoice.pdf_path
    stored.unlink()

    response = _get(client, f"/account/invoices/{invoice.id}.pdf", ada["token"])

    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == invoice.pdf_sha256
    assert stored.read_bytes() == response.data


def test_an_altered_pdf_is_never_handed_out(db_session, shop, invoices_dir):
    invoice = shop["ada"]["docs"][0]
    stored = invoices_dir / invoice.pdf_path
    stored.write_bytes(b"%PDF-1.4 forged")

    content = invoicing.invoice_pdf(invoice)  # drawn again from the snapshot, and stored again
    assert hashlib.sha256(content).hexdigest() == invoice.pdf_sha256
    assert stored.read_bytes() == content

    # A digest the snapshot cannot reproduce (the file was lost and the snapshot is not what was
    # drawn): the download is refused rather than handing out a different document.
    stray = Invoice(
        number=invoice.number,
        pdf_path="elsewhere/missing.pdf",
        pdf_sha256="0" * 64,
        snapshot=invoice.snapshot,
    )
    with pytest.raises(invoicing.InvoiceFileDamaged, match="restore it from a backup"):
        invoicing.invoice_pdf(stray)
