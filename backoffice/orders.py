"""Orders: the list support staff live in (search by number, email, name or SKU; filters by
status, payment, fulfilment, placed date, country, total, channel and payment method; saved views
per staff member) and the order page (lines, totals, addresses, payments, the timeline, the
customer and the panels of contexts that exist). Actions on the page come from order_actions.py,
bulk actions from order_bulk.py, panels and hooks into refunds, fulfilment, returns and invoices
from order_hooks.py. Nothing here writes: every change is a call to a service.

The list reuses the catalog lists' machinery (CatalogModelView: lazily read filter options,
integer ids, search through `search_clause` with the count in the page's query)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import Length

from backoffice import order_hooks
from backoffice.catalog import CatalogModelView, minor_units_sql, show_error
from backoffice.order_actions import OrderActionsMixin
from backoffice.order_bulk import OrderBulkMixin
from backoffice.order_editing import DraftOrdersView, OrderEditMixin
from backoffice.security import current_actor
from commerce import db
from commerce.errors import DomainError
from commerce.money import format_money
from commerce.orders import order_list, saved_views, states, timeline
from commerce.orders.models import (
    CHANNELS,
    FULFILMENT_STATUSES,
    ORDER_STATUSES,
    PAYMENT_METHODS,
    PAYMENT_STATUSES,
    Order,
)
from commerce.payments.models import Payment

LIST_NAME = "orders"
STATUS_BADGES = {
    "draft": "light",
    "pending_payment": "warning",
    "paid": "info",
    "partially_fulfilled": "primary",
    "fulfilled": "success",
    "delivered": "success",
    "cancelled": "dark",
    "on_hold": "danger",
}


def words(value: str | None) -> str:
    """A code as words ("pending_payment" -> "pending payment")."""
    return (value or "").replace("_", " ")


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, words(v)) for v in values]


# --- list filters --------------------------------------------------------------------------------


class CountryFilter(sqla_filters.FilterEqual):
    """Shipping country, typed as its two-letter code in any case."""

    def clean(self, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise ValueError(value)
        return code


class PlacedAfter(sqla_filters.DateTimeGreaterFilter):
    def operation(self) -> str:
        return "after"


class PlacedBefore(sqla_filters.DateTimeSmallerFilter):
    def operation(self) -> str:
        return "before"


class TotalFilter(sqla_filters.BaseSQLAFilter):
    """Order total at least / at most an amount typed in major units (49.99), in each order's
    currency."""

    def __init__(self, name: str, *, at_least: bool) -> None:
        super().__init__(Order.total_amount, name)
        self.at_least = at_least

    def clean(self, value: str) -> Decimal:
        try:
            amount = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(value) from None
        if not amount.is_finite():
            raise ValueError(value)
        return amount

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        bound = minor_units_sql(value, Order.currency)
        if self.at_least:
            return query.filter(Order.total_amount >= bound)
        return query.filter(Order.total_amount <= bound)

    def operation(self) -> str:
        return "at least" if self.at_least else "at most"


# --- list cells ----------------------------------------------------------------------------------


def _number_link(view: Any, _context: Any, model: Order, _name: str) -> Markup:
    return Markup('<a href="{}" class="order-link">#{}</a>').format(
        view.get_url(".details_view", id=model.id), model.number
    )


def badge(status: str) -> Markup:
    """A status as a coloured badge."""
    return Markup('<span class="badge badge-{}">{}</span>').format(
        STATUS_BADGES.get(status, "light"), words(status)
    )


def _status_cell(_view: Any, _context: Any, model: Order, _name: str) -> Markup:
    return badge(model.status)


def _words_cell(_view: Any, _context: Any, model: Order, name: str) -> str:
    return words(getattr(model, name))


def customer_name(order: Order) -> str:
    """Who the order is for: the shipping name, else the customer's, else the billing name."""
    for address in (order.shipping_address, order.billing_address):
        if address and address.get("name"):
            return str(address["name"])
    if order.customer is not None:
        return f"{order.customer.first_name} {order.customer.last_name}".strip()
    return ""


def _customer_cell(_view: Any, _context: Any, model: Order, _name: str) -> str:
    return customer_name(model)


def _money(field: str):
    def cell(_view: Any, _context: Any, model: Order, _name: str) -> str:
        return format_money(getattr(model, field), model.currency)

    return cell


class SaveViewForm(FlaskForm):
    name = StringField("Save this view as", validators=[Length(max=saved_views.MAX_NAME)])


# --- view ----------------------------------------------------------------------------------------


class OrderAdmin(OrderActionsMixin, OrderEditMixin, OrderBulkMixin, CatalogModelView):
    """Orders: list with search, filters, saved views and bulk actions; the order page with its
    actions. Orders are never created, edited or deleted here (services do that)."""

    resource = "orders"
    audit_object_type = "order"
    create_enabled = edit_enabled = delete_enabled = export_enabled = False
    method_actions = {
        **OrderActionsMixin.method_actions,
        **OrderBulkMixin.method_actions,
        **OrderEditMixin.method_actions,
        "save_view": "view",
        "delete_saved_view": "view",
    }
    action_permissions = OrderBulkMixin.action_permissions

    column_list = (
        "number", "placed_at", "customer", "email", "status", "payment_status",
        "fulfilment_status", "shipping_country", "channel", "payment_method", "total_amount",
    )  # fmt: skip
    column_labels = {
        "number": "Order",
        "placed_at": "Placed",
        "payment_status": "Payment",
        "fulfilment_status": "Fulfilment",
        "shipping_country": "Country",
        "payment_method": "Method",
        "total_amount": "Total",
    }
    column_sortable_list = (
        "number", "placed_at", "email", "status", "payment_status", "fulfilment_status",
        "shipping_country", "total_amount",
    )  # fmt: skip
    column_default_sort = ("placed_at", True)
    column_searchable_list = ("email",)  # the search itself is search_clause's
    column_filters = (
        sqla_filters.FilterEqual(Order.status, "Status", options=_choices(ORDER_STATUSES)),
        sqla_filters.FilterNotEqual(Order.status, "Status", options=_choices(ORDER_STATUSES)),
        sqla_filters.FilterEqual(
            Order.payment_status, "Payment", options=_choices(PAYMENT_STATUSES)
        ),
        sqla_filters.FilterEqual(
            Order.fulfilment_status, "Fulfilment", options=_choices(FULFILMENT_STATUSES)
        ),
        PlacedAfter(Order.placed_at, "Placed"),
        PlacedBefore(Order.placed_at, "Placed"),
        sqla_filters.DateTimeBetweenFilter(Order.placed_at, "Placed"),
        CountryFilter(Order.shipping_country, "Shipping country"),
        TotalFilter("Total", at_least=True),
        TotalFilter("Total", at_least=False),
        sqla_filters.FilterEqual(Order.channel, "Channel", options=_choices(CHANNELS)),
        sqla_filters.FilterEqual(
            Order.payment_method, "Payment method", options=_choices(PAYMENT_METHODS)
        ),
    )
    column_auto_select_related = False
    column_formatters = {
        "number": _number_link,
        "customer": _customer_cell,
        "status": _status_cell,
        "payment_status": _words_cell,
        "fulfilment_status": _words_cell,
        "payment_method": _words_cell,
        "total_amount": _money("total_amount"),
    }
    list_template = "backoffice/orders/order_list.html"
    details_template = "backoffice/orders/order_details.html"

    # -- list --

    def search_placeholder(self) -> str:
        return "Order number, email, name or SKU"

    def search_clause(self, term: str) -> ColumnElement[bool]:
        """See commerce.orders.order_list.search_term."""
        return order_list.search_term(term)

    def get_query(self) -> Any:
        return super().get_query().options(selectinload(Order.customer))

    def _apply_sorting(self, query: Any, joins: Any, sort_column: Any, sort_desc: Any) -> Any:
        # Orders placed in the same instant keep one order from page to page.
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        tiebreak = Order.id.desc() if sort_desc or sort_column is None else Order.id
        return query.order_by(tiebreak), joins

    def _list_query_string(self) -> str:
        return saved_views.list_query(request.query_string.decode("utf-8", "replace"))

    def render(self, template: str, **kwargs: Any) -> str:
        if template == self.list_template:
            query = self._list_query_string()
            kwargs.update(
                saved_views=saved_views.views_of(current_user.id, LIST_NAME),
                save_view_form=g.get("save_view_form") or SaveViewForm(formdata=None),
                save_view_url=url_for(".save_view") + (f"?{query}" if query else ""),
                current_list_query=query,
            )
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(self.order_page(model, kwargs))
        return super().render(template, **kwargs)

    # -- saved views --

    def saved_view_url(self, view: saved_views.SavedView) -> str:
        """The list as a saved view shows it."""
        return self.get_url(".index_view") + (f"?{view.query}" if view.query else "")

    @expose("/saved-views/", methods=("POST",))
    def save_view(self):
        """Save the list's filters, search and sort (this request's query string) under the name
        typed; on an error show the list again with the name as typed and the problem."""
        form = SaveViewForm()
        if form.validate():
            try:
                view = saved_views.save_view(
                    current_user.id,
                    LIST_NAME,
                    form.name.data or "",
                    request.query_string.decode("utf-8", "replace"),
                    actor=current_actor(),
                )
            except DomainError as exc:
                db.session.rollback()
                show_error(exc, form)
            else:
                flash(f'Saved view "{view.name}" saved.', "success")
                return redirect(self.saved_view_url(view))
        else:
            flash("Saved view name: " + "; ".join(form.name.errors), "error")
        g.save_view_form = form
        return self.index_view()

    @expose("/saved-views/<int:view_id>/delete", methods=("POST",))
    def delete_saved_view(self, view_id: int):
        """Delete one of the signed-in staff member's own saved views."""
        form = FlaskForm()
        if form.validate():
            try:
                saved_views.delete_view(
                    view_id, staff_user_id=current_user.id, actor=current_actor()
                )
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            else:
                flash("Saved view deleted.", "success")
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    # -- the order page --

    def order_page(self, order: Order, page: dict[str, Any]) -> dict[str, Any]:
        """What the order page shows besides Flask-Admin's own: lines, totals, payments, panels,
        timeline, customer, and the action forms the user may use (those of a failed POST, from
        `page`, shown again as typed)."""
        cur = order.currency
        lines = [
            {
                "sku": line.sku,
                "title": line.title,
                "options": " / ".join(
                    f"{k}: {v}" for k, v in sorted((line.option_values or {}).items())
                ),
                "quantity": line.quantity,
                "unit_price": format_money(line.unit_price_amount, cur),
                "discount": format_money(line.discount_amount, cur) if line.discount_amount else "",
                "tax": format_money(line.tax_amount, cur)
                + (" incl." if line.tax_included and line.tax_amount else ""),
                "total": format_money(line.total_amount, cur),
            }
            for line in order.lines
        ]
        payments = db.session.scalars(
            select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
        ).all()
        summary = (
            order_list.customer_summary(order.customer_id)
            if order.customer_id is not None
            else None
        )
        context = {
            "order_lines": lines,
            "totals": self._totals(order),
            "adjustments": [a for a in order.adjustments or [] if a.get("kind") != "gift_card"],
            "payments": payments,
            "panels": order_hooks.panels_for(order),
            "timeline": timeline.entries(order.id),
            "customer_name": (
                f"{order.customer.first_name} {order.customer.last_name}".strip()
                if order.customer is not None
                else customer_name(order)
            ),
            "customer_url": order_hooks.customer_url(order.customer_id)
            if order.customer_id
            else None,
            "customer_summary": summary,
            "badge": badge,
            "words": words,
            "money": lambda amount: format_money(amount, cur),
            "page_url": page.get("page_url")
            or (request.url if request.method == "GET" else None)
            or self.get_url(".details_view", id=order.id),
        }
        context.update(self.action_context(order, page))
        return context

    @staticmethod
    def _totals(order: Order) -> list[tuple[str, str, str]]:
        """(label, amount, css id) rows of the order's totals, in the order they add up."""
        cur = order.currency
        rows = [("Subtotal", format_money(order.subtotal_amount, cur), "subtotal")]
        if order.discount_amount:
            rows.append(("Discount", "-" + format_money(order.discount_amount, cur), "discount"))
        rows.append(("Shipping", format_money(order.shipping_amount, cur), "shipping"))
        tax_label = "Tax (included)" if order.prices_include_tax else "Tax"
        rows.append((tax_label, format_money(order.tax_amount, cur), "tax"))
        rows.append(("Total", format_money(order.total_amount, cur), "total"))
        if order.gift_card_amount:
            rows.append(
                ("Gift cards", "-" + format_money(order.gift_card_amount, cur), "gift-cards")
            )
        rows.append(("Amount due", format_money(order.amount_due, cur), "amount-due"))
        return rows

    def may_hold(self, order: Order) -> bool:
        """Whether the order's status lets it go on hold (the service decides in the end)."""
        return states.allowed(order.status, "on_hold")


def order_views() -> list[Any]:
    """The order screens, in menu order, ready for `Admin.add_view`."""
    return [
        OrderAdmin(Order, db.session, name="Orders", category="Orders", endpoint="orders"),
        DraftOrdersView(name="Draft orders", category="Orders", endpoint="draft_orders"),
    ]
