"""A customer's personal-data rights in the back-office: the data-export archive (built by a job,
with its progress on the customer's page and a private download, `customers.export`) and
erasure (`customers.erase`) behind a page that says what will happen and asks for the customer's
email to be typed in. Mixed into CustomerAdmin (backoffice/customers.py)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, send_file
from flask_admin import expose
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from backoffice.base import show_domain_error
from backoffice.security import current_actor
from commerce import db
from commerce.customers import data_exports, privacy
from commerce.customers.addresses import list_addresses
from commerce.customers.data_exports import CustomerDataExport
from commerce.customers.models import Customer
from commerce.customers.notes import CustomerNote
from commerce.errors import DomainError
from commerce.orders.models import Order
from jobs import customer_exports

WORKING = ("queued", "running")


class EraseForm(FlaskForm):
    confirm_email = StringField("Type the customer's email to confirm")


def _typed_email_matches(typed: str | None, customer: Customer) -> bool:
    return bool(typed) and typed.strip().casefold() == customer.email.casefold()


class CustomerPrivacyMixin:
    """Data export and erasure pages of the customer view (needs get_one, get_url, render,
    allowed, order_url and _back from CustomerAdmin)."""

    privacy_actions = {"start_export": "export", "download_export": "export", "erase": "erase"}

    def privacy_context(self, customer: Customer) -> dict[str, Any]:
        """The customer page's data-export rows (with job progress) and what the user may do."""
        rows = []
        for export in data_exports.list_exports(customer.id):
            working = export.status in WORKING
            rows.append(
                {
                    "export": export,
                    "progress": customer_exports.progress_of(export.id) if working else None,
                    "downloadable": data_exports.is_downloadable(export),
                }
            )
        return {
            "exports": rows,
            "export_running": any(row["export"].status in WORKING for row in rows),
            "may_edit": self.allowed("edit"),
            "may_export": self.allowed("export"),
            "may_erase": self.allowed("erase"),
        }

    def _customer_or_404(self, customer_id: int) -> Customer:
        customer = self.get_one(customer_id)
        if customer is None:
            abort(404)
        return customer

    @expose("/<int:customer_id>/exports", methods=("POST",))
    def start_export(self, customer_id: int):
        """Queue the customer's data-export archive; its progress shows on the customer's page."""
        self._customer_or_404(customer_id)
        try:
            export = customer_exports.start_customer_export(customer_id, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(exc)
            return self._back(customer_id)
        flash(
            f"Data export #{export.id} is being built; this page shows its progress and then a "
            "download link.",
            "info",
        )
        return self._back(customer_id)

    @expose("/<int:customer_id>/exports/<int:export_id>/download")
    def download_export(self, customer_id: int, export_id: int):
        """Send the archive (the download is recorded in the customer's history)."""
        try:
            path = data_exports.open_for_download(export_id, customer_id, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(exc)
            return self._back(customer_id)
        export = db.session.get(CustomerDataExport, export_id)
        return send_file(
            path,
            mimetype="application/zip",
            as_attachment=True,
            download_name=export.download_name,
            max_age=0,
        )

    def _erase_page(self, customer: Customer, form: EraseForm, status: int = 200):
        open_orders = db.session.execute(
            select(Order.id, Order.number)
            .where(Order.customer_id == customer.id, Order.status.in_(privacy.OPEN_ORDER_STATUSES))
            .order_by(Order.number)
        ).all()
        order_count = db.session.scalar(
            select(func.count()).where(Order.customer_id == customer.id)
        )
        note_count = db.session.scalar(
            select(func.count()).where(CustomerNote.customer_id == customer.id)
        )
        context = {
            "customer": customer,
            "form": form,
            "address_count": len(list_addresses(customer.id)),
            "note_count": note_count,
            "order_count": order_count,
            "open_orders": [(row.number, self.order_url(row.id)) for row in open_orders],
            "placeholder": privacy.placeholder_email(customer.id),
        }
        return self.render("backoffice/customers/erase.html", **context), status

    @expose("/<int:customer_id>/erase", methods=("GET", "POST"))
    def erase(self, customer_id: int):
        """GET: what erasure does to this customer, and the confirmation form. POST: erase them
        (privacy.erase_customer) once their email is typed in exactly; open orders refuse it."""
        customer = self._customer_or_404(customer_id)
        form = EraseForm()
        if request.method == "GET" or customer.erased_at is not None:
            if customer.erased_at is not None:
                flash("This customer has already been erased.", "info")
                return self._back(customer_id)
            return self._erase_page(customer, form)
        if not _typed_email_matches(form.confirm_email.data, customer):
            form.confirm_email.errors = ["does not match the customer's email; nothing was erased"]
            flash("The email typed does not match the customer's; nothing was erased.", "error")
            return self._erase_page(customer, form, 400)
        try:
            privacy.erase_customer(customer_id, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(exc)
            return self._back(customer_id)
        flash(
            f"Customer #{customer_id} erased: their personal data is gone; their orders and "
            "invoices are kept.",
            "success",
        )
        return self._back(customer_id)
