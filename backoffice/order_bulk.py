"""Bulk actions of the order list. Each goes through a confirmation page that lists the selection
(and asks for what it needs: a reason, a document kind) before anything happens:

- Export as CSV (orders.export): the selected orders, streamed as they are read (the export is
  audited first: the file holds personal data).
- Put on hold (orders.edit): commerce.orders.service.hold_order for each, with one reason.
- Mark fulfilled (orders.fulfil): commerce.fulfilment's create_shipment of every unit left.
- Print packing slips or labels (orders.fulfil): commerce.fulfilment's print_documents of the
  orders' shipments, as one file.
- Pick list (orders.fulfil): commerce.fulfilment's pick_list, as a printable page.

The fulfilment ones say they are not available while commerce.fulfilment is absent. Orders are
changed one by one, each by its own service call: one that may not change is reported by number
with why, and the others still change. Mixed into OrderAdmin."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, abort, flash, redirect, request, send_file, stream_with_context
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, StringField
from wtforms.validators import Length

from backoffice import order_hooks
from backoffice.catalog import form_choices, parse_ids, show_error
from backoffice.security import current_actor, deny, has_permission
from commerce import db
from commerce.db import utcnow
from commerce.errors import DomainError, InvalidInput
from commerce.orders import order_list
from commerce.orders import service as orders
from commerce.orders.models import Order

PREVIEW_ORDERS = 50
LIVE_SHIPMENTS = ("pending", "label_ready", "shipped", "delivered")


class BulkConfirmForm(FlaskForm):
    """Nothing to ask but "go ahead" (and its CSRF token)."""


class BulkHoldForm(FlaskForm):
    reason = StringField("Reason", validators=[Length(max=500)])


class BulkDocumentsForm(FlaskForm):
    kind = RadioField(
        "Print",
        choices=form_choices([("packing_slips", "Packing slips"), ("labels", "Shipping labels")]),
        default="packing_slips",
    )


@dataclasses.dataclass(frozen=True, slots=True)
class BulkKind:
    """One bulk action's confirmation page: title, permission, form, button, and the hook it
    needs (None: always available)."""

    title: str
    permission: str
    form: type[FlaskForm]
    button: str
    hook: Callable[[], Any] | None = None


BULK: dict[str, BulkKind] = {
    "export": BulkKind("Export orders as CSV", "orders.export", BulkConfirmForm, "Download CSV"),
    "hold": BulkKind("Put orders on hold", "orders.edit", BulkHoldForm, "Put on hold"),
    "fulfil": BulkKind(
        "Mark orders fulfilled",
        "orders.fulfil",
        BulkConfirmForm,
        "Ship every unit left",
        order_hooks.create_shipment,
    ),
    "documents": BulkKind(
        "Print packing slips or labels",
        "orders.fulfil",
        BulkDocumentsForm,
        "Print",
        order_hooks.print_documents,
    ),
    "pick_list": BulkKind(
        "Pick list",
        "orders.fulfil",
        BulkConfirmForm,
        "Show the pick list",
        lambda: order_hooks.function(
            ("commerce.fulfilment.picking", "commerce.fulfilment"), "pick_list"
        ),
    ),
}


def _csv_cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: text that would start a formula gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(order_ids: list[int]) -> Iterator[str]:
    """The CSV of the orders, a line at a time (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(order_list.EXPORT_COLUMNS)
    for row in order_list.export_rows(order_ids):
        writer.writerow([_csv_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
    yield buffer.getvalue()


class OrderBulkMixin:
    """Mixed into OrderAdmin: the list's bulk actions and their confirmation page."""

    method_actions = {"bulk": "view", "action_view": "view"}
    action_permissions = {
        "export": "export",
        "hold": "edit",
        "fulfil": "fulfil",
        "documents": "fulfil",
        "pick_list": "fulfil",
    }

    @expose("/action/", methods=("POST",))
    def action_view(self):
        """Flask-Admin's bulk action, refused with the 403 page (naming the permission) when the
        user may not run the action asked for."""
        name = request.form.get("action", "")
        if name in self.action_permissions and not self.is_action_allowed(name):  # type: ignore[attr-defined]
            return deny(f"orders.{self.action_permissions[name]}")
        return self.handle_action()  # type: ignore[attr-defined]

    def _to_bulk_page(self, kind: str, ids: list[str]):
        return redirect(
            self.get_url(".bulk", kind=kind, id=parse_ids(ids), url=get_redirect_target())  # type: ignore[attr-defined]
        )

    @action("export", "Export as CSV…")
    def action_export(self, ids: list[str]):
        return self._to_bulk_page("export", ids)

    @action("hold", "Put on hold…")
    def action_hold(self, ids: list[str]):
        return self._to_bulk_page("hold", ids)

    @action("fulfil", "Mark fulfilled…")
    def action_fulfil(self, ids: list[str]):
        return self._to_bulk_page("fulfil", ids)

    @action("documents", "Print packing slips or labels…")
    def action_documents(self, ids: list[str]):
        return self._to_bulk_page("documents", ids)

    @action("pick_list", "Pick list…")
    def action_pick_list(self, ids: list[str]):
        return self._to_bulk_page("pick_list", ids)

    @expose("/bulk/<kind>", methods=("GET", "POST"))
    def bulk(self, kind: str):
        """GET: the selection and what the action will do. POST: do it (or show the page again
        with what is wrong)."""
        spec = BULK.get(kind)
        if spec is None:
            abort(404)
        if not has_permission(spec.permission):
            return deny(spec.permission)
        ids = parse_ids(request.values.getlist("id"))
        form = spec.form()
        hook = spec.hook() if spec.hook is not None else None
        available = spec.hook is None or hook is not None
        return_url = get_redirect_target() or self.get_url(".index_view")  # type: ignore[attr-defined]
        if request.method == "POST" and available and form.validate():
            handler = getattr(self, f"_bulk_{kind}")
            try:
                response = handler(ids, form, hook)
            except DomainError as exc:
                db.session.rollback()
                show_error(exc, form)
            else:
                return response if response is not None else redirect(return_url)
        selected = db.session.scalars(
            select(Order).where(Order.id.in_(ids)).order_by(Order.number).limit(PREVIEW_ORDERS)
        ).all()
        return self.render(  # type: ignore[attr-defined]
            "backoffice/orders/bulk.html",
            spec=spec,
            kind=kind,
            form=form,
            ids=ids,
            selected=selected,
            available=available,
            return_url=return_url,
        )

    # -- the actions --

    def _bulk_export(self, ids: list[int], _form: Any, _hook: Any) -> Response:
        exported = order_list.record_export(ids, actor=current_actor())
        name = f"orders-{utcnow():%Y%m%d-%H%M%S}.csv"
        return Response(
            stream_with_context(csv_lines(exported)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _each(self, ids: list[int], call: Callable[[Order], Any], done: str) -> None:
        """Run `call` for each selected order; flash how many were `done` and, by number, why
        the others were not."""
        changed, refused = 0, []
        for order in db.session.scalars(
            select(Order).where(Order.id.in_(ids)).order_by(Order.number)
        ).all():
            try:
                call(order)
            except InvalidInput:
                db.session.rollback()
                if not changed and not refused:
                    raise  # the form's own problem (no reason): show it on the form
                refused.append(f"#{order.number}: invalid input")
            except DomainError as exc:
                db.session.rollback()
                message = exc.message
                prefix = f"Order #{order.number}: "
                refused.append(message if message.startswith(prefix) else prefix + message)
            else:
                changed += 1
        if changed:
            flash(f"{changed} order{'' if changed == 1 else 's'} {done}.", "success")
        if refused:
            flash("Not changed: " + " ".join(refused), "error")

    def _bulk_hold(self, ids: list[int], form: BulkHoldForm, _hook: Any) -> None:
        reason = form.reason.data or ""
        if not reason.strip():
            raise InvalidInput("reason: is required", fields={"reason": "is required"})
        actor = current_actor()
        self._each(
            ids, lambda o: orders.hold_order(o.id, reason=reason, actor=actor), "put on hold"
        )

    def _bulk_fulfil(self, ids: list[int], _form: Any, create_shipment: Any) -> None:
        actor = current_actor()
        self._each(ids, lambda o: create_shipment(o.id, actor=actor), "shipped (every unit left)")

    def _bulk_documents(self, ids: list[int], form: BulkDocumentsForm, print_documents: Any):
        shipments = order_hooks.function(
            ("commerce.fulfilment.service", "commerce.fulfilment"), "shipments_of"
        )
        shipment_ids = [
            shipment.id
            for order in db.session.scalars(
                select(Order).where(Order.id.in_(ids)).order_by(Order.number)
            ).all()
            for shipment in (shipments(order.id) if shipments else [])
            if shipment.status in LIVE_SHIPMENTS
        ]
        if not shipment_ids:
            problem = "none of the selected orders has a shipment yet; mark them fulfilled first"
            raise InvalidInput(f"kind: {problem}", fields={"kind": problem})
        path = print_documents(shipment_ids, form.kind.data)
        return send_file(path, as_attachment=True, download_name=path.name)

    def _bulk_pick_list(self, ids: list[int], _form: Any, pick_list: Any) -> str:
        picks = pick_list(ids)
        return self.render("backoffice/orders/pick_list.html", picks=picks)  # type: ignore[attr-defined]
