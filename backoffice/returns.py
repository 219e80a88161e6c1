"""Returns: the list support staff work through (filter by status, search by return or order
number or email) and one return's page with the forms that move it on: approve, reject, receive
(restock or write off each unit into a warehouse), resolve (refund or store credit) and close.
Every change is a call to commerce.returns; nothing here writes.

The screens need orders.edit (support), even to read: a return is work on an order, not a report.
Giving money back (refund or store credit) needs payments.refund as well."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from backoffice.catalog import CatalogModelView, as_id, contains, form_choices, show_error
from backoffice.security import current_actor, deny, has_permission
from commerce import db
from commerce.errors import DomainError
from commerce.inventory.models import Warehouse
from commerce.money import format_money
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.returns import resolution, service
from commerce.returns.models import CONDITIONS, RETURN_STATUSES, Return, ReturnLine

STATUS_BADGES = {
    "requested": "warning",
    "approved": "info",
    "rejected": "dark",
    "received": "primary",
    "refunded": "success",
    "closed": "secondary",
}
MONEY_PERMISSION = "payments.refund"


def words(value: str | None) -> str:
    """A code as words ("store_credit" -> "store credit")."""
    return (value or "").replace("_", " ")


def order_url(order_id: int) -> str | None:
    """The order's back-office page, when the orders screens exist."""
    try:
        return url_for("orders.details_view", id=order_id)
    except BuildError:
        return None


def _reference_cell(view: Any, _context: Any, model: Return, _name: str) -> Markup:
    return Markup('<a href="{}" class="return-link">{}</a>').format(
        view.get_url(".details_view", id=model.id), model.reference
    )


def _order_cell(_view: Any, _context: Any, model: Return, _name: str) -> Markup:
    link = order_url(model.order_id)
    if link is None:
        return Markup("#{}").format(model.order.number)
    return Markup('<a href="{}">#{}</a>').format(link, model.order.number)


def _status_cell(_view: Any, _context: Any, model: Return, _name: str) -> Markup:
    return Markup('<span class="badge badge-{}">{}</span>').format(
        STATUS_BADGES.get(model.status, "light"), words(model.status)
    )


# --- forms ---------------------------------------------------------------------------------------


class ApproveForm(FlaskForm):
    note = TextAreaField("Note for the team", validators=[Optional(), Length(max=2000)])


class RejectForm(FlaskForm):
    reason = StringField(
        "Why",
        validators=[DataRequired(), Length(max=500)],
        description="The customer reads this in the email.",
    )


class ReceiveForm(FlaskForm):
    warehouse_id = SelectField("Warehouse", choices=[], validate_choice=False)
    note = TextAreaField("Note for the team", validators=[Optional(), Length(max=2000)])


class ResolveForm(FlaskForm):
    resolution = RadioField(
        "Give back as",
        choices=form_choices(
            [("refund", "Refund to the payment"), ("store_credit", "Store credit")]
        ),
        default="store_credit",
        validators=[DataRequired()],
    )
    reference = StringField(
        "Paid back by",
        validators=[Optional(), Length(max=120)],
        description="For a refund of a bank transfer or cash on delivery: how you paid it back.",
    )


class CloseForm(FlaskForm):
    note = StringField(
        "Why", validators=[DataRequired(), Length(max=2000)], description="Nothing is given back."
    )


# op -> (title, form, statuses it applies to)
OPERATIONS: dict[str, tuple[str, type[FlaskForm], tuple[str, ...]]] = {
    "approve": ("Approve", ApproveForm, ("requested",)),
    "reject": ("Reject", RejectForm, ("requested", "approved")),
    "receive": ("Receive the parcel", ReceiveForm, ("approved",)),
    "resolve": ("Give the value back", ResolveForm, ("received",)),
    "close": ("Close without giving anything back", CloseForm, ("approved", "received")),
}


def _warehouses() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.name)
        .where(Warehouse.is_active)
        .order_by(Warehouse.priority, Warehouse.code)
    )
    return [(str(ident), f"{code} ({name})") for ident, code, name in rows]


def _receipt_field(order_line_id: int, part: str) -> str:
    return f"{part}-{order_line_id}"


# --- view ----------------------------------------------------------------------------------------


class ReturnAdmin(CatalogModelView):
    """Returns: the list (status filter, search) and one page per return with its forms."""

    resource = "orders"
    method_actions = {"index_view": "edit", "details_view": "edit", "operate": "edit"}
    audit_object_type = "return"
    can_view_details = True
    column_list = (
        "reference", "order", "email", "status", "reason", "units", "refund_amount",
        "created_at", "updated_at",
    )  # fmt: skip
    column_labels = {
        "reference": "Return",
        "refund_amount": "Given back",
        "created_at": "Opened",
        "updated_at": "Updated",
    }
    column_sortable_list = ("created_at", "updated_at")
    column_default_sort = ("id", True)
    column_searchable_list = ("customer_note",)  # replaced by search_clause
    column_filters = (
        sqla_filters.FilterEqual(
            Return.status, "Status", options=[(s, words(s)) for s in RETURN_STATUSES]
        ),
        sqla_filters.DateTimeBetweenFilter(Return.created_at, "Opened"),
    )
    column_formatters = {
        "reference": _reference_cell,
        "order": _order_cell,
        "email": lambda _v, _c, m, _n: m.order.email,
        "status": _status_cell,
        "reason": lambda _v, _c, m, _n: words(m.reason),
        "units": lambda _v, _c, m, _n: m.units,
        "refund_amount": lambda _v, _c, m, _n: format_money(m.refund_amount, m.currency),
    }
    details_template = "backoffice/returns/details.html"

    def is_accessible(self) -> bool:
        return has_permission("orders.edit")

    def search_placeholder(self) -> str:
        return "Return or order number, or email"

    def search_clause(self, term: str) -> ColumnElement[bool]:
        """A return number ("R1001" or "1001"), an order number, or part of the order's
        email."""
        digits = term.upper().removeprefix("R").removeprefix("#")
        by_email = select(Order.id).where(contains(Order.email, term))
        if digits.isdigit() and db.is_id(int(digits)):
            by_number = select(Order.id).where(Order.number == int(digits))
            return or_(
                Return.number == int(digits),
                Return.order_id.in_(by_number),
                Return.order_id.in_(by_email),
            )
        return Return.order_id.in_(by_email)

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(Return.order), selectinload(Return.lines))

    # -- one return --

    def _return(self, return_id: int | None) -> Return:
        found = None
        if return_id is not None:
            found = db.session.scalar(
                select(Return)
                .where(Return.id == return_id)
                .options(
                    joinedload(Return.order),
                    selectinload(Return.lines).joinedload(ReturnLine.order_line),
                )
                .execution_options(populate_existing=True)
            )
        if found is None:
            abort(404)
        return found

    def _forms(self, bound: str | None = None) -> dict[str, FlaskForm]:
        forms = {
            op: (form_class() if op == bound else form_class(formdata=None))
            for op, (_title, form_class, _statuses) in OPERATIONS.items()
        }
        forms["receive"].warehouse_id.choices = form_choices(_warehouses())
        return forms

    def _render_return(
        self,
        ret: Return,
        forms: dict[str, FlaskForm],
        receipt: dict[str, str] | None = None,
        line_errors: dict[str, str] | None = None,
    ) -> str:
        may_give_back = has_permission(MONEY_PERMISSION)
        shown = {
            op: (title, forms[op])
            for op, (title, _form, statuses) in OPERATIONS.items()
            if ret.status in statuses and (op != "resolve" or may_give_back)
        }
        value = resolution.return_value(ret.id) if ret.status == "received" else None
        entries = [
            entry
            for entry in timeline.entries(ret.order_id)
            if entry.kind == "return" and entry.data.get("return_id") == ret.id
        ]
        return self.render(
            self.details_template,
            model=ret,
            ret=ret,
            order_link=order_url(ret.order_id),
            operations=shown,
            needs_money_permission=ret.status == "received" and not may_give_back,
            refunds_available=resolution.refunds_available(),
            value=value,
            money=format_money,
            words=words,
            conditions=CONDITIONS,
            receipt=receipt or {},
            line_errors=line_errors or {},
            receipt_field=_receipt_field,
            entries=entries,
            return_url=self.get_url(".index_view"),
        )

    @expose("/details/")
    def details_view(self):
        """The return, its lines, its story, and the forms for its next step."""
        ret = self._return(as_id(request.args.get("id")))
        return self._render_return(ret, self._forms())

    @expose("/<int:return_id>/<op>", methods=("POST",))
    def operate(self, return_id: int, op: str):
        """Apply one step through the service; on an error show the page again with it flashed
        (naming the field) and the form as typed, otherwise flash the result and go back."""
        if op not in OPERATIONS:
            abort(404)
        if op == "resolve" and not has_permission(MONEY_PERMISSION):
            return deny(MONEY_PERMISSION)
        ret = self._return(return_id)
        forms = self._forms(bound=op)
        form = forms[op]
        receipt = {k: v for k, v in request.form.items() if k.split("-")[0] in _RECEIPT_PARTS}
        line_errors: dict[str, str] = {}
        if form.validate():
            try:
                message = self._apply(ret, op, form)
            except DomainError as exc:
                db.session.rollback()
                show_error(exc, form)
                line_errors = _line_errors(exc)
            else:
                flash(message, "success")
                return redirect(self.get_url(".details_view", id=return_id))
        else:
            problems = [
                f"{form[name].label.text}: {'; '.join(errors)}"
                for name, errors in form.errors.items()
                if name in form
            ]
            flash("Check the highlighted field. " + " ".join(problems), "error")
        return self._render_return(self._return(return_id), forms, receipt, line_errors)

    @staticmethod
    def _apply(ret: Return, op: str, form: Any) -> str:
        """Run one step; returns the success message. Raises DomainError."""
        actor = current_actor()
        if op == "approve":
            service.approve_return(ret.id, actor=actor, note=form.note.data)
            return f"Return {ret.reference} approved; the customer is emailed."
        if op == "reject":
            service.reject_return(ret.id, form.reason.data, actor=actor)
            return f"Return {ret.reference} rejected; the customer is emailed."
        if op == "receive":
            lines = {
                line.order_line_id: {
                    "restock": request.form.get(_receipt_field(line.order_line_id, "restock")),
                    "write_off": request.form.get(_receipt_field(line.order_line_id, "write_off")),
                    "condition": request.form.get(_receipt_field(line.order_line_id, "condition")),
                }
                for line in ret.lines
            }
            lines = {
                key: {part: (value or "").strip() or None for part, value in parts.items()}
                for key, parts in lines.items()
            }
            lines = {k: v for k, v in lines.items() if v["restock"] or v["write_off"]}
            warehouse_id = as_id(form.warehouse_id.data) or 0
            done = service.receive_return(
                ret.id, warehouse_id, lines, actor=actor, note=form.note.data
            )
            return (
                f"Return {done.reference} received: "
                f"{sum(line.restocked_quantity for line in done.lines)} restocked, "
                f"{sum(line.written_off_quantity for line in done.lines)} written off."
            )
        if op == "resolve":
            done = resolution.resolve_return(
                ret.id,
                form.resolution.data,
                actor=actor,
                reference=(form.reference.data or "").strip() or None,
            )
            how = "refunded" if done.resolution == "refund" else "given as store credit"
            return (
                f"Return {done.reference}: {format_money(done.refund_amount, done.currency)} {how}."
            )
        service.close_return(ret.id, form.note.data, actor=actor)
        return f"Return {ret.reference} closed."


_RECEIPT_PARTS = ("restock", "write_off", "condition")


def _line_errors(exc: DomainError) -> dict[str, str]:
    """The service's "lines.<order line id>[.part]" errors as {receipt field: problem}."""
    found = {}
    for name, problem in (exc.details.get("fields") or {}).items():
        _lines, _, rest = name.partition(".")
        line_id, _, part = rest.partition(".")
        if _lines == "lines" and line_id.isdigit():
            found[_receipt_field(int(line_id), part or "restock")] = problem
    return found


def return_views() -> list[Any]:
    """The returns screens, ready for `Admin.add_view`."""
    return [
        ReturnAdmin(Return, db.session, name="Returns", category="Orders", endpoint="returns"),
    ]
