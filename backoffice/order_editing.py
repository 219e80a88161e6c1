"""Back-office screens for order editing (orders.edit) and draft orders (orders.create).

Edit order (/admin/orders/<id>/edit, mixed into OrderAdmin): a form with each line's quantity, a
"remove" box per line and a SKU to add; posting it shows the new totals and the payment difference
(commerce.orders.editing.preview_edit, nothing written); confirming it edits the order through
edit_order. Draft orders (/admin/draft-orders/): the drafts, a form to create one (email, lines as
"SKU x quantity" per row, the shipping address and method) and a button to send one. Views only
translate the forms into service calls; a domain error is flashed and the form shown again.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from backoffice.base import SecuredView, show_domain_error
from backoffice.security import current_actor
from commerce import db
from commerce.catalog.models import Variant
from commerce.errors import DomainError, InvalidInput
from commerce.money import format_money
from commerce.orders import drafts, editing
from commerce.orders.models import Order
from commerce.shipping.models import ShippingMethod

EDITABLE = ("pending_payment", "paid", "on_hold")
_ROW = re.compile(r"^\s*(\S+)\s+[xX]\s+(\d+)\s*$")  # "SKU x quantity"


class EditOrderForm(FlaskForm):
    """CSRF plus the SKU to add; line quantities come as qty-<line id> / remove-<line id>."""

    add_sku = StringField("Add SKU", validators=[Length(max=64)])
    add_quantity = IntegerField("Quantity", validators=[Optional()], default=1)
    confirm = HiddenField()


class DraftForm(FlaskForm):
    email = StringField("Buyer's email", validators=[Length(max=254)])
    lines = TextAreaField(
        "Lines", validators=[Length(max=5000)], description='One per row: "SKU x quantity".'
    )
    name = StringField("Name", validators=[Length(max=120)])
    line1 = StringField("Street", validators=[Length(max=200)])
    postcode = StringField("Postcode", validators=[Length(max=20)])
    city = StringField("City", validators=[Length(max=120)])
    country = StringField("Country (ISO code)", validators=[Length(max=2)])
    shipping_method_id = SelectField("Shipping method", coerce=int, validate_choice=False)


class SendForm(FlaskForm):
    """A button with its CSRF token."""


def variant_by_sku(sku: str, field: str) -> int:
    """The variant id of `sku` (case-insensitive). Raises InvalidInput naming `field`."""
    variant_id = db.session.scalar(
        select(Variant.id).where(func.upper(Variant.sku) == sku.strip().upper())
    )
    if variant_id is None:
        raise InvalidInput(f"{field}: no variant has SKU {sku.strip()}", fields={field: "unknown"})
    return variant_id


def _whole(value: str, field: str) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        raise InvalidInput(f"{field}: a whole number", fields={field: "not a whole number"})
    return int(text)


class OrderEditMixin:
    """The order page's "Edit order" form and confirmation; OrderAdmin mixes it in."""

    method_actions = {"edit_order": "edit"}

    def _edit_request(self, order: Order, form: EditOrderForm) -> dict[str, Any]:
        """The service's arguments from the posted form. Raises InvalidInput naming the field."""
        quantities: dict[int, int] = {}
        remove: list[int] = []
        for line in order.lines:
            if request.form.get(f"remove-{line.id}"):
                remove.append(line.id)
                continue
            raw = request.form.get(f"qty-{line.id}")
            if raw is not None:
                quantity = _whole(raw, f"qty-{line.id}")
                if quantity == 0:
                    remove.append(line.id)
                elif quantity != line.quantity:
                    quantities[line.id] = quantity
        add: dict[int, int] = {}
        if (form.add_sku.data or "").strip():
            add[variant_by_sku(form.add_sku.data, "add_sku")] = form.add_quantity.data or 1
        return {"add": add, "remove": remove, "quantities": quantities}

    @expose("/<int:order_id>/edit", methods=("GET", "POST"))
    def edit_order(self, order_id: int):
        """GET: the edit form. POST: the new totals and payment difference to confirm. POST
        confirmed: edit the order through the service and go back to its page."""
        order = db.session.get(Order, order_id)
        if order is None:
            abort(404)
        form = EditOrderForm() if request.method == "POST" else EditOrderForm(formdata=None)
        preview = None
        if request.method == "POST" and form.validate():
            try:
                wanted = self._edit_request(order, form)
                if form.confirm.data == "yes":
                    result = editing.edit_order(order.id, **wanted, actor=current_actor())
                    flash(self._done(result), "success")
                    return redirect(self.get_url(".details_view", id=order.id))  # type: ignore[attr-defined]
                preview = editing.preview_edit(order.id, **wanted)
            except DomainError as exc:
                db.session.rollback()
                show_domain_error(exc, form)
            order = db.session.get(Order, order_id, populate_existing=True) or order
        return self.render(  # type: ignore[attr-defined]
            "backoffice/orders/edit.html",
            order=order,
            form=form,
            preview=preview,
            posted=request.form if request.method == "POST" else {},
            money=lambda amount: format_money(amount, order.currency),
            editable=order.status in EDITABLE and order.fulfilment_status == "unfulfilled",
            action_url=self.get_url(".edit_order", order_id=order.id),  # type: ignore[attr-defined]
            back_url=self.get_url(".details_view", id=order.id),  # type: ignore[attr-defined]
        )

    @staticmethod
    def _done(result: Any) -> str:
        cur = result.order.currency
        due = format_money(result.new_amount_due, cur)
        text = f"Order #{result.order.number} edited; amount due {due}."
        if result.settlement == "payment_link":
            text += f" A payment link for {format_money(result.difference, cur)} was emailed."
        elif result.settlement == "refunded":
            text += f" {format_money(-result.difference, cur)} was refunded."
        elif result.settlement == "refund_pending":
            text += f" Pay {format_money(-result.difference, cur)} back to the buyer."
        if result.voucher_dropped:
            text += f" Voucher {result.voucher_dropped} no longer applies and was removed."
        return text


class DraftOrdersView(SecuredView):
    """Orders → Draft orders: drafts for phone and email sales (orders.create)."""

    resource = "orders"
    method_actions = {"index": "create", "create": "create", "send": "create"}

    def is_accessible(self) -> bool:
        return self.allowed("create")

    def _methods(self) -> list[tuple[int, str]]:
        rows = db.session.execute(
            select(ShippingMethod.id, ShippingMethod.name, ShippingMethod.code).order_by(
                ShippingMethod.zone_id, ShippingMethod.id
            )
        ).all()
        return [(0, "—")] + [(row.id, f"{row.name} ({row.code}, #{row.id})") for row in rows]

    def _page(self, form: DraftForm) -> str:
        form.shipping_method_id.choices = self._methods()
        drafts_ = db.session.scalars(
            select(Order).where(Order.status == "draft").order_by(Order.id.desc()).limit(200)
        ).all()
        return self.render(
            "backoffice/orders/drafts.html",
            form=form,
            drafts=drafts_,
            send_form=SendForm(formdata=None),
            money=format_money,
        )

    @expose("/")
    def index(self):
        """The drafts and the form to create one."""
        return self._page(DraftForm(formdata=None))

    @expose("/create", methods=("POST",))
    def create(self):
        """Create a draft through the service; its order page shows it."""
        form = DraftForm()
        form.shipping_method_id.choices = self._methods()
        if form.validate():
            try:
                order = drafts.create_draft_order(
                    email=form.email.data or "",
                    lines=self._lines(form.lines.data or ""),
                    shipping_address=self._address(form),
                    shipping_method_id=form.shipping_method_id.data or None,
                    actor=current_actor(),
                )
            except DomainError as exc:
                db.session.rollback()
                show_domain_error(exc, form)
            else:
                flash(f"Draft order #{order.number} created.", "success")
                return redirect(url_for("orders.details_view", id=order.id))
        return self._page(form)

    @expose("/<int:order_id>/send", methods=("POST",))
    def send(self, order_id: int):
        """Send the draft: allocate its stock and email the buyer a payment link."""
        form = SendForm()
        if form.validate():
            try:
                order, link = drafts.send_draft_order(order_id, actor=current_actor())
            except DomainError as exc:
                db.session.rollback()
                show_domain_error(exc)
            else:
                flash(
                    f"Order #{order.number} sent to {order.email}"
                    + (" with a payment link." if link else "."),
                    "success",
                )
        else:
            flash("The form expired; send again.", "error")
        return redirect(url_for(".index"))

    @staticmethod
    def _lines(text: str) -> dict[int, int]:
        lines: dict[int, int] = {}
        for row in text.splitlines():
            if not row.strip():
                continue
            match = _ROW.match(row)
            sku, quantity = (match.group(1), int(match.group(2))) if match else (row, 1)
            variant_id = variant_by_sku(sku, "lines")
            lines[variant_id] = lines.get(variant_id, 0) + quantity
        return lines

    @staticmethod
    def _address(form: DraftForm) -> dict[str, str] | None:
        values = {
            "name": (form.name.data or "").strip(),
            "line1": (form.line1.data or "").strip(),
            "postcode": (form.postcode.data or "").strip(),
            "city": (form.city.data or "").strip(),
            "country": (form.country.data or "").strip().upper(),
        }
        return values if values["country"] else None
