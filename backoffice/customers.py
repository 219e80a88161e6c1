"""Customers: the list support searches (email, name, phone; group, country, marketing consent,
has orders, created date; sorted and paged by the database) and a customer's page: profile,
addresses, orders, order figures and lifetime value, group, staff notes and history. Data
exports and erasure come from customer_privacy.py. Every write goes through a service:
commerce.pricing.rules (group), commerce.customers.notes, data_exports and privacy.

Accounts are opened by customers themselves, so the list has no create, edit or delete."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model import filters as base_filters
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import exists, func, select
from werkzeug.routing import BuildError
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from backoffice.base import SecuredModelView, show_domain_error
from backoffice.catalog import LookupFilter, as_id, int_value
from backoffice.customer_privacy import CustomerPrivacyMixin
from backoffice.security import current_actor
from commerce import db
from commerce.customers import geo, lifetime, notes
from commerce.customers.addresses import list_addresses
from commerce.customers.models import Customer, ErasureRequest
from commerce.errors import DomainError
from commerce.money import format_money
from commerce.orders.models import Order
from commerce.pricing import rules
from commerce.pricing.models import CustomerGroup

RECENT_ORDERS = 20
NOT_PLACED = lifetime.NOT_PLACED


class GroupForm(FlaskForm):
    customer_group_id = SelectField("Customer group", choices=[])


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Add a note",
        validators=[Length(max=notes.MAX_NOTE_LENGTH)],
        description="Staff see notes here; the customer's data export includes them.",
    )


# --- list ----------------------------------------------------------------------------------------


def group_names() -> dict[int, str]:
    """{id: name} of every customer group, read once per request (there are a handful)."""
    if "customer_group_names" not in g:
        rows = db.session.execute(select(CustomerGroup.id, CustomerGroup.name)).all()
        g.customer_group_names = {row.id: row.name for row in rows}
    return g.customer_group_names


def _group_options() -> list[tuple[str, str]]:
    return [(str(i), name) for i, name in sorted(group_names().items(), key=lambda kv: kv[1])]


def _has_orders() -> Any:
    return exists().where(Order.customer_id == Customer.id, Order.status.not_in(NOT_PLACED))


class HasOrdersFilter(sqla_filters.BaseSQLAFilter, base_filters.BaseBooleanFilter):
    """Customers who have (yes) or have not (no) placed an order."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(_has_orders() if value == "1" else ~_has_orders())

    def operation(self) -> str:
        return "is"


def order_url(order_id: int) -> str:
    """The back-office page of an order (the orders screen's details view)."""
    try:
        return url_for("orders.details_view", id=order_id)
    except BuildError:
        return f"/admin/orders/details/?id={order_id}"


def _name_link(view: Any, _context: Any, model: Customer, _name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        view.get_url(".details_view", id=model.id), model.full_name
    )


def _group_cell(_view: Any, _context: Any, model: Customer, _name: str) -> str:
    return group_names().get(model.customer_group_id, "") if model.customer_group_id else ""


def _orders_cell(_view: Any, _context: Any, model: Customer, _name: str) -> str:
    return str(getattr(g, "customer_order_counts", {}).get(model.id, 0))


def _email_cell(_view: Any, _context: Any, model: Customer, _name: str) -> Markup:
    if model.erased_at is not None:
        return Markup('<span class="badge badge-dark">erased</span>')
    return Markup("{}").format(model.email)


def order_counts(customer_ids: list[int]) -> dict[int, int]:
    """{customer_id: placed orders} for a page of customers, in one query."""
    if not customer_ids:
        return {}
    rows = db.session.execute(
        select(Order.customer_id, func.count())
        .where(Order.customer_id.in_(customer_ids), Order.status.not_in(NOT_PLACED))
        .group_by(Order.customer_id)
    )
    return {customer_id: count for customer_id, count in rows}


# --- view ----------------------------------------------------------------------------------------


class CustomerAdmin(CustomerPrivacyMixin, SecuredModelView):
    """Customers: list and the customer's page, with group, notes, data export and erasure."""

    resource = "customers"
    audit_object_type = "customer"
    named_filter_urls = True
    method_actions = {
        "set_group": "edit",
        "add_note": "edit",
        **CustomerPrivacyMixin.privacy_actions,
    }

    column_list = (
        "name", "email", "phone", "country", "group", "accepts_marketing", "orders", "created_at",
    )  # fmt: skip
    column_labels = {
        "accepts_marketing": "Marketing",
        "created_at": "Created",
    }
    column_sortable_list = (
        ("name", ("last_name", "first_name")), "email", "country", "created_at",
    )  # fmt: skip
    column_default_sort = ("id", True)  # newest first, by the primary key's index
    column_searchable_list = ("email", "first_name", "last_name", "phone")
    column_filters = (
        LookupFilter(Customer.customer_group_id, "Group", _group_options, clean=int_value),
        sqla_filters.FilterEqual(
            Customer.country,
            "Country",
            options=[(code, code) for code in sorted(geo.COUNTRIES)],
        ),
        sqla_filters.BooleanEqualFilter(Customer.accepts_marketing, "Marketing consent"),
        HasOrdersFilter(Customer.id, "Has orders"),
        "created_at",
    )
    column_formatters = {
        "name": _name_link,
        "email": _email_cell,
        "group": _group_cell,
        "orders": _orders_cell,
    }
    column_auto_select_related = False
    details_template = "backoffice/customers/details.html"
    order_url = staticmethod(order_url)

    def search_placeholder(self) -> str:
        return "Email, name or phone"

    def get_one(self, id: Any) -> Customer | None:
        ident = as_id(id)
        return None if ident is None else db.session.get(Customer, ident)

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, LookupFilter) and has_request_context():
                    item["options"] = flt.get_options(self)
        return groups

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The page of customers, plus their order counts (one more query for the page)."""
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute:
            g.customer_order_counts = order_counts([c.id for c in rows])
        return count, rows

    # -- the customer's page --

    def render(self, template: str, **kwargs: Any) -> str:
        model = kwargs.get("model")
        if model is not None and template == self.details_template:
            kwargs.update(self._customer_page(model))
        return super().render(template, **kwargs)

    def _customer_page(self, customer: Customer) -> dict[str, Any]:
        """Everything the customer's page shows besides the profile itself."""
        stats = lifetime.order_stats(customer.id)
        orders = db.session.scalars(
            select(Order)
            .where(Order.customer_id == customer.id, Order.status.not_in(NOT_PLACED))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(RECENT_ORDERS)
        ).all()
        group_form = GroupForm(customer_group_id=str(customer.customer_group_id or ""))
        group_form.customer_group_id.choices = [("", "(no group)"), *_group_options()]
        pending_erasure = db.session.scalar(
            select(ErasureRequest).where(
                ErasureRequest.customer_id == customer.id, ErasureRequest.status == "pending"
            )
        )
        return {
            "customer": customer,
            "group_name": group_names().get(customer.customer_group_id or 0),
            "addresses": list_addresses(customer.id),
            "stats": stats,
            "lifetime_value": [format_money(a, c) for c, a in stats.lifetime_value.items()],
            "refunded": [format_money(a, c) for c, a in stats.refunded.items()],
            "orders": [
                {
                    "order": order,
                    "url": order_url(order.id),
                    "total": format_money(order.total_amount, order.currency),
                }
                for order in orders
            ],
            "notes": notes.list_notes(customer.id),
            "group_form": group_form,
            "note_form": NoteForm(),
            "pending_erasure": pending_erasure,
            **self.privacy_context(customer),
        }

    def _back(self, customer_id: int):
        return redirect(self.get_url(".details_view", id=customer_id))

    @expose("/<int:customer_id>/group", methods=("POST",))
    def set_group(self, customer_id: int):
        """Put the customer in the chosen group (pricing.rules.set_customer_group, audited)."""
        if self.get_one(customer_id) is None:
            abort(404)
        form = GroupForm()
        form.customer_group_id.choices = [("", "(no group)"), *_group_options()]
        if not form.validate():
            flash("Choose one of the customer groups.", "error")
            return self._back(customer_id)
        group_id = as_id(form.customer_group_id.data)
        try:
            rules.set_customer_group(customer_id, group_id, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(exc)
            return self._back(customer_id)
        name = group_names().get(group_id or 0)
        flash(f"Customer group set to {name}." if name else "Customer removed from its group.")
        return self._back(customer_id)

    @expose("/<int:customer_id>/notes", methods=("POST",))
    def add_note(self, customer_id: int):
        """Add a staff note (commerce.customers.notes.add_note, audited without its text)."""
        if self.get_one(customer_id) is None:
            abort(404)
        try:  # the service checks the text (required, length) and names the field
            notes.add_note(customer_id, request.form.get("body"), actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(exc)
            return self._back(customer_id)
        flash("Note added.", "success")
        return self._back(customer_id)
