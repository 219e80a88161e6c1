"""The order page's actions, each a POST form with CSRF behind its permission, each one call to a
service: add a note, hold and release (orders.edit), cancel with a reason after a confirmation
page (orders.cancel), mark an offline payment received (payments.mark_paid), and, when those
contexts exist, refund after a confirmation page (payments.refund), capture an authorised card
payment or void it after a confirmation page (payments.capture), and ship what is left
(orders.fulfil). A domain error is flashed (naming the
field) and the page is shown again with the form as typed. Mixed into OrderAdmin."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from backoffice import order_hooks
from backoffice.catalog import show_error, to_minor
from backoffice.security import current_actor, deny, has_permission
from commerce import db
from commerce.errors import DomainError
from commerce.money import format_money
from commerce.orders import service as orders
from commerce.orders.models import Order

OFFLINE_METHODS = ("bank_transfer", "cash_on_delivery")


class NoteForm(FlaskForm):
    note = TextAreaField("Note", validators=[Length(max=orders.MAX_NOTE)])


class HoldForm(FlaskForm):
    reason = StringField(
        "Reason", validators=[Length(max=500)], description="e.g. fraud check, address question"
    )


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Length(max=500)])
    restock = BooleanField("Put the units back in stock", default=True)
    confirm = HiddenField()


class MarkPaidForm(FlaskForm):
    reference = StringField(
        "Payment reference",
        validators=[Length(max=500)],
        description="The bank transfer's reference or the courier's receipt number.",
    )


class RefundForm(FlaskForm):
    amount = StringField(
        "Amount", validators=[Length(max=20)], description="Empty: everything still refundable."
    )
    reason = StringField("Reason", validators=[Length(max=500)])
    reference = StringField(
        "Paid back by",
        validators=[Length(max=120)],
        description="For a bank transfer or cash payment: how the money went back.",
    )
    restock = BooleanField("Put the units back in stock")
    # One key per form drawn: submitting it twice makes one refund.
    idempotency_key = HiddenField()
    confirm = HiddenField()


class CaptureForm(FlaskForm):
    amount = StringField(
        "Amount", validators=[Length(max=20)], description="Empty: the whole authorisation."
    )


class VoidForm(FlaskForm):
    confirm = HiddenField()


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token (a button)."""


# form key on the page -> its class
PAGE_FORMS: dict[str, type[FlaskForm]] = {
    "note_form": NoteForm,
    "hold_form": HoldForm,
    "mark_paid_form": MarkPaidForm,
    "refund_form": RefundForm,
    "capture_form": CaptureForm,
    "button_form": ConfirmForm,
}


class OrderActionsMixin:
    """The order page's action handlers; OrderAdmin mixes it in."""

    # Actions whose permission is of another resource are checked inside the handler.
    method_actions = {
        "add_note": "edit",
        "hold": "edit",
        "release": "edit",
        "cancel": "cancel",
        "fulfil": "fulfil",
        "mark_paid": "view",
        "refund": "view",
        "capture": "view",
        "void": "view",
    }

    # -- the page --

    def action_context(self, order: Order, page: dict[str, Any]) -> dict[str, Any]:
        """The action forms (as typed after a failed POST, else empty) and which the user may
        use on this order now."""
        forms = {key: page.get(key) or cls(formdata=None) for key, cls in PAGE_FORMS.items()}
        if not forms["refund_form"].idempotency_key.data:
            forms["refund_form"].idempotency_key.data = uuid.uuid4().hex
        offline_unpaid = order.payment_method in OFFLINE_METHODS and order.payment_status not in (
            "paid",
            "partially_refunded",
            "refunded",
        )
        refund = order_hooks.refund_order()
        authorised = order.payment_status == "authorized" and has_permission("payments.capture")
        return {
            **forms,
            "may_note": has_permission("orders.edit"),
            "may_hold": has_permission("orders.edit") and self.may_hold(order),  # type: ignore[attr-defined]
            "may_release": has_permission("orders.edit") and order.status == "on_hold",
            "may_cancel": has_permission("orders.cancel")
            and order.status not in ("cancelled", "fulfilled", "delivered"),
            "may_mark_paid": has_permission("payments.mark_paid") and offline_unpaid,
            "may_refund": refund is not None
            and has_permission("payments.refund")
            and order.payment_status in ("paid", "partially_refunded"),
            "may_capture": authorised
            and order_hooks.payment_operation("capture_payment") is not None,
            "may_void": authorised and order_hooks.payment_operation("void_payment") is not None,
            "may_fulfil": order_hooks.create_shipment() is not None
            and has_permission("orders.fulfil")
            and order.status in ("paid", "partially_fulfilled"),
        }

    def _order(self, order_id: int) -> Order:
        order = db.session.get(Order, order_id)
        if order is None:
            abort(404)
        return order

    def _confirm_page(
        self, order_id: int, form: FlaskForm, *, kind: str, title: str, endpoint: str,
        button: str, **extra: Any,
    ):  # fmt: skip
        """The confirmation page of a destructive action (`title` and `button` may name the
        order's {number}); its form posts back to `endpoint`."""
        order = self._order(order_id)
        return self.render(  # type: ignore[attr-defined]
            "backoffice/orders/confirm.html",
            order=order,
            form=form,
            kind=kind,
            title=title.format(number=order.number),
            action_url=self.get_url(endpoint, order_id=order.id),  # type: ignore[attr-defined]
            back_url=self.get_url(".details_view", id=order.id),  # type: ignore[attr-defined]
            button=button.format(number=order.number),
            **extra,
        )

    def _back(self, order_id: int):
        page = self.get_url(".details_view", id=order_id)  # type: ignore[attr-defined]
        return redirect(get_redirect_target() or page)

    def _render_page(self, order_id: int, **bound: Any) -> str:
        """The order page again with the forms of a failed POST (nothing was written)."""
        db.session.rollback()
        order = self._order(order_id)
        return self.render(  # type: ignore[attr-defined]
            self.details_template,  # type: ignore[attr-defined]
            model=order,
            details_columns=self._details_columns,  # type: ignore[attr-defined]
            get_value=self.get_detail_value,  # type: ignore[attr-defined]
            return_url=self.get_url(".index_view"),  # type: ignore[attr-defined]
            page_url=get_redirect_target() or None,
            **bound,
        )

    def _run(self, order_id: int, key: str, form: FlaskForm, call, done: str):
        """Validate `form`, then `call(order)`; on success flash `done` and go back to the page,
        on an error show the page again with `form` (under `key`) and the error."""
        order = self._order(order_id)
        if form.validate():
            try:
                call(order)
            except DomainError as exc:
                db.session.rollback()
                show_error(exc, form)
            else:
                flash(done.format(number=order.number), "success")
                return self._back(order_id)
        else:
            flash_invalid(form)
        return self._render_page(order_id, **{key: form})

    # -- orders.edit --

    @expose("/<int:order_id>/note", methods=("POST",))
    def add_note(self, order_id: int):
        """Add a staff note to the order's timeline."""
        form = NoteForm()
        return self._run(
            order_id,
            "note_form",
            form,
            lambda o: orders.add_note(o.id, form.note.data or "", actor=current_actor()),
            "Note added to order #{number}.",
        )

    @expose("/<int:order_id>/hold", methods=("POST",))
    def hold(self, order_id: int):
        """Put the order on hold with a reason."""
        form = HoldForm()
        return self._run(
            order_id,
            "hold_form",
            form,
            lambda o: orders.hold_order(o.id, reason=form.reason.data or "", actor=current_actor()),
            "Order #{number} is on hold.",
        )

    @expose("/<int:order_id>/release", methods=("POST",))
    def release(self, order_id: int):
        """Release the order's hold."""
        return self._run(
            order_id,
            "button_form",
            ConfirmForm(),
            lambda o: orders.release_hold(o.id, actor=current_actor()),
            "The hold on order #{number} is released.",
        )

    # -- orders.cancel --

    @expose("/<int:order_id>/cancel", methods=("GET", "POST"))
    def cancel(self, order_id: int):
        """GET: what cancelling does, and the reason. POST without the confirmation: the same
        page (nothing changes). POST confirmed: cancel through the service."""
        order = self._order(order_id)
        form = CancelForm() if request.method == "POST" else CancelForm(formdata=None)
        confirmed = request.method == "POST" and form.confirm.data == "yes"
        if confirmed and form.validate():
            try:
                orders.cancel_order(
                    order.id,
                    reason=form.reason.data or "",
                    restock=bool(form.restock.data),
                    actor=current_actor(),
                )
            except DomainError as exc:
                db.session.rollback()
                show_error(exc, form)
            else:
                flash(f"Order #{order.number} is cancelled.", "success")
                return self._back(order_id)
        return self._confirm_page(
            order_id,
            form,
            kind="cancel",
            title="Cancel order #{number}?",
            endpoint=".cancel",
            button="Yes, cancel order #{number}",
        )

    # -- payments --

    @expose("/<int:order_id>/mark-paid", methods=("POST",))
    def mark_paid(self, order_id: int):
        """Record that the offline payment (bank transfer, cash on delivery) arrived."""
        if not has_permission("payments.mark_paid"):
            return deny("payments.mark_paid")
        form = MarkPaidForm()
        return self._run(
            order_id,
            "mark_paid_form",
            form,
            lambda o: orders.mark_paid_offline(
                o.id, reference=form.reference.data or "", actor=current_actor()
            ),
            "Order #{number} is marked as paid.",
        )

    @expose("/<int:order_id>/refund", methods=("POST",))
    def refund(self, order_id: int):
        """Refund all or part of the order (commerce.payments.refunds), after a confirmation
        page that repeats the amount. Absent refunds: 404."""
        if not has_permission("payments.refund"):
            return deny("payments.refund")
        refund_order = order_hooks.refund_order()
        if refund_order is None:
            abort(404)
        order = self._order(order_id)
        form = RefundForm()
        if not form.validate():
            flash_invalid(form)
            return self._render_page(order_id, refund_form=form)
        try:
            amount = to_minor(form.amount.data, order.currency, "amount")
            if form.confirm.data == "yes":
                refund = refund_order(
                    order.id,
                    amount=amount,
                    reason=form.reason.data or "",
                    restock=bool(form.restock.data),
                    reference=(form.reference.data or "").strip() or None,
                    idempotency_key=form.idempotency_key.data or None,
                    actor=current_actor(),
                )
                status = getattr(refund, "status", "")
                flash(
                    f"Refund of {format_money(refund.amount, refund.currency)} for order "
                    f"#{order.number}: {status}.",
                    "success" if status != "failed" else "error",
                )
                return self._back(order_id)
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form)
            return self._render_page(order_id, refund_form=form)
        return self._confirm_page(
            order_id,
            form,
            kind="refund",
            title="Refund order #{number}?",
            endpoint=".refund",
            button="Yes, refund order #{number}",
            amount_text=form.amount.data or "everything still refundable",
        )

    @expose("/<int:order_id>/capture", methods=("POST",))
    def capture(self, order_id: int):
        """Capture the order's authorised card payment, all or `amount`
        (commerce.payments.captures). Absent captures: 404."""
        if not has_permission("payments.capture"):
            return deny("payments.capture")
        capture_payment = order_hooks.payment_operation("capture_payment")
        if capture_payment is None:
            abort(404)
        form = CaptureForm()

        def call(o: Order) -> None:
            amount = to_minor(form.amount.data, o.currency, "amount")
            capture_payment(o.id, amount=amount, actor=current_actor())

        return self._run(
            order_id, "capture_form", form, call, "Payment of order #{number} captured."
        )

    @expose("/<int:order_id>/void", methods=("GET", "POST"))
    def void(self, order_id: int):
        """GET (or POST unconfirmed): what voiding does. POST confirmed: void the order's
        authorised card payment (commerce.payments.captures). Absent captures: 404."""
        if not has_permission("payments.capture"):
            return deny("payments.capture")
        void_payment = order_hooks.payment_operation("void_payment")
        if void_payment is None:
            abort(404)
        order = self._order(order_id)
        form = VoidForm() if request.method == "POST" else VoidForm(formdata=None)
        if request.method == "POST" and form.confirm.data == "yes" and form.validate():
            try:
                void_payment(order.id, actor=current_actor())
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            else:
                flash(f"The card payment of order #{order.number} is voided.", "success")
                return self._back(order_id)
        return self._confirm_page(
            order_id,
            form,
            kind="void",
            title="Void the card payment of order #{number}?",
            endpoint=".void",
            button="Yes, void the payment",
        )

    # -- orders.fulfil --

    @expose("/<int:order_id>/fulfil", methods=("POST",))
    def fulfil(self, order_id: int):
        """Ship every unit left (commerce.fulfilment.create_shipment). Absent fulfilment: 404."""
        create_shipment = order_hooks.create_shipment()
        if create_shipment is None:
            abort(404)
        return self._run(
            order_id,
            "button_form",
            ConfirmForm(),
            lambda o: create_shipment(o.id, actor=current_actor()),
            "Order #{number}: a shipment of every unit left is created.",
        )


def flash_invalid(form: FlaskForm) -> None:
    """Flash what is wrong with a form that did not validate, naming each field."""
    problems = [
        f"{form[name].label.text}: {'; '.join(map(str, errors))}"
        for name, errors in form.errors.items()
        if name in form
    ]
    flash(" ".join(problems) or "The form expired; try again.", "error")
