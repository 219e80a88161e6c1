"""Inventory screens: warehouses, stock levels (with their receive, adjust, count, safety stock
and transfer forms), the stock movement ledger, and the bulk "Adjust stock…" page the product
list's action leads to. Every write goes through commerce.inventory.service."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.helpers import get_redirect_target
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import ColumnElement, func, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from backoffice.catalog import (
    CatalogModelView,
    LookupFilter,
    contains,
    form_choices,
    int_value,
    parse_ids,
    show_error,
    sku_prefix,
)
from backoffice.security import current_actor
from commerce import db
from commerce.catalog.models import Product, Variant
from commerce.errors import DomainError, InvalidInput
from commerce.inventory import service as inventory
from commerce.inventory.models import (
    BUCKETS,
    MOVEMENT_REASONS,
    StockLevel,
    StockMovement,
    VariantInventory,
    Warehouse,
)

MAX_BULK_ROWS = 500  # variant x warehouse quantity fields one bulk page shows


# --- shared --------------------------------------------------------------------------------------


class InventoryModelView(CatalogModelView):
    """A view of the "inventory" resource (view, adjust, transfer, export): creating and editing
    need "adjust", since the matrix has no create/edit actions for inventory."""

    resource = "inventory"
    method_actions = {"create_view": "adjust", "edit_view": "adjust", "action_view": "adjust"}

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.create_enabled and self.allowed("adjust")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.edit_enabled and self.allowed("adjust")

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return False

    def is_action_allowed(self, name: str) -> bool:
        return False  # no bulk actions on these lists


def _warehouse_options() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Warehouse.id, Warehouse.code).order_by(Warehouse.code))
    return [(str(ident), code) for ident, code in rows]


def _matching_variants(term: str) -> Any:
    """SELECT of the ids of variants whose SKU starts with `term` or whose product's title
    contains it."""
    searched = aliased(Variant, name="searched")
    titled = select(Product.id).where(contains(Product.title, term))
    return union_all(
        select(searched.id).where(sku_prefix(searched.sku, term)),
        select(searched.id).where(searched.product_id.in_(titled)),
    )


# --- warehouses ----------------------------------------------------------------------------------


class WarehouseEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    country = StringField(
        "Country", validators=[DataRequired(), Length(min=2, max=2)], description="ISO code: DE"
    )
    priority = IntegerField(
        "Priority",
        default=100,
        validators=[InputRequired(), NumberRange(min=0)],
        description="Lower ships first.",
    )
    is_active = BooleanField(
        "Active", description="Inactive warehouses keep their stock but never sell from it."
    )


class WarehouseCreateForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])
    name = WarehouseEditForm.name
    country = WarehouseEditForm.country
    priority = WarehouseEditForm.priority


class WarehouseAdmin(InventoryModelView):
    """Warehouses: list, open, edit and (de)activate; never deleted."""

    audit_object_type = "warehouse"
    create_enabled = edit_enabled = True
    can_view_details = False
    column_list = ("code", "name", "country", "priority", "is_active")
    column_labels = {"is_active": "Active"}
    column_sortable_list = ("code", "name", "priority")
    column_default_sort = ("priority", False)
    column_searchable_list = ("code", "name")
    form = WarehouseEditForm

    def get_create_form(self) -> type[FlaskForm]:
        return WarehouseCreateForm

    def get_edit_form(self) -> type[FlaskForm]:
        return WarehouseEditForm

    def create_model(self, form: WarehouseCreateForm) -> Warehouse | bool:
        try:
            return inventory.create_warehouse(
                code=form.code.data,
                name=form.name.data,
                country=form.country.data,
                priority=form.priority.data,
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form)
            return False

    def update_model(self, form: WarehouseEditForm, model: Warehouse) -> bool:
        changes = {
            "name": form.name.data,
            "country": form.country.data,
            "priority": form.priority.data,
            "is_active": bool(form.is_active.data),
        }
        try:
            inventory.update_warehouse(model.id, changes, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form)
            return False
        return True


# --- stock levels --------------------------------------------------------------------------------


class AvailableFilter(sqla_filters.BaseSQLAFilter):
    """Stock levels with nothing available to sell (available <= 0)."""

    def __init__(self) -> None:
        super().__init__(StockLevel.on_hand, "Available", options=[("1", "yes")])

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(StockLevel.available <= 0)

    def operation(self) -> str:
        return "at most 0"


class LowStockFilter(sqla_filters.BaseSQLAFilter):
    """Stock levels of variants at or below their low-stock threshold (availability summed over
    active warehouses, as the low-stock alert counts it)."""

    def __init__(self) -> None:
        super().__init__(StockLevel.variant_id, "Stock", options=[("1", "yes")])

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        levels = aliased(StockLevel, name="totals")
        free = func.greatest(levels.available, 0)
        total = (
            select(func.coalesce(func.sum(free), 0))
            .join(Warehouse, Warehouse.id == levels.warehouse_id)
            .where(levels.variant_id == VariantInventory.variant_id, Warehouse.is_active)
            .scalar_subquery()
        )
        low = select(VariantInventory.variant_id).where(
            VariantInventory.low_stock_threshold.is_not(None),
            total <= VariantInventory.low_stock_threshold,
        )
        return query.filter(StockLevel.variant_id.in_(low))

    def operation(self) -> str:
        return "below low stock threshold"


def _sku_cell(view: Any, _context: Any, model: StockLevel, _name: str) -> Markup:
    return Markup('<a href="{}"><code>{}</code></a>').format(
        view.get_url(".manage", level_id=model.id), model.variant.sku
    )


def _manage_cell(view: Any, _context: Any, model: StockLevel, _name: str) -> Markup:
    if not view.allowed("adjust"):
        return Markup("")
    return Markup('<a class="btn btn-sm btn-outline-primary stock-action" href="{}">{}</a>').format(
        view.get_url(".manage", level_id=model.id), "Receive / adjust…"
    )


class ReceiveForm(FlaskForm):
    quantity = IntegerField("Quantity received", validators=[InputRequired()])
    reference = StringField("Reference", validators=[Optional(), Length(max=120)])


class AdjustForm(FlaskForm):
    delta = IntegerField(
        "Change (+/-)", validators=[InputRequired()], description="-2 for two damaged units."
    )
    note = StringField("Why", validators=[DataRequired(), Length(max=500)])


class CountForm(FlaskForm):
    counted = IntegerField("Counted on the shelf", validators=[InputRequired()])


class SafetyForm(FlaskForm):
    safety_stock = IntegerField("Safety stock", validators=[InputRequired()])


class TransferForm(FlaskForm):
    to_warehouse = SelectField("To warehouse", choices=[], validate_choice=False)
    quantity = IntegerField("Quantity", validators=[InputRequired()])
    reference = StringField("Reference", validators=[Optional(), Length(max=120)])


# operation -> (title, form, matrix action it needs)
OPERATIONS: dict[str, tuple[str, type[FlaskForm], str]] = {
    "receive": ("Receive", ReceiveForm, "adjust"),
    "adjust": ("Adjust", AdjustForm, "adjust"),
    "count": ("Cycle count", CountForm, "adjust"),
    "safety": ("Safety stock", SafetyForm, "adjust"),
    "transfer": ("Transfer", TransferForm, "transfer"),
}
# the service's field names -> the forms'
FIELD_NAMES = {"reason_note": "note", "to_warehouse_id": "to_warehouse"}


class StockLevelAdmin(InventoryModelView):
    """Stock per variant and warehouse: searchable, filterable list; one page per level with the
    forms that change it; the bulk page of the product list's "Adjust stock…" action."""

    can_view_details = False
    method_actions = {"manage": "view", "operate": "adjust", "bulk_adjust": "adjust"}
    column_list = (
        "sku", "product", "warehouse", "on_hand", "allocated", "reserved", "safety_stock",
        "available", "backordered", "updated_at", "manage",
    )  # fmt: skip
    column_labels = {
        "sku": "SKU",
        "safety_stock": "Safety stock",
        "updated_at": "Updated",
        "manage": "",
    }
    column_sortable_list = (
        ("available", StockLevel.available),
        "on_hand",
        "updated_at",
    )
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("variant.sku",)  # replaced by search_clause
    column_filters = (
        LookupFilter(StockLevel.warehouse_id, "Warehouse", _warehouse_options, clean=int_value),
        AvailableFilter(),
        LowStockFilter(),
    )
    column_formatters = {
        "sku": _sku_cell,
        "product": lambda _v, _c, m, _n: m.variant.product.title,
        "warehouse": lambda _v, _c, m, _n: m.warehouse.code,
        "available": lambda _v, _c, m, _n: m.available,
        "manage": _manage_cell,
    }

    def search_placeholder(self) -> str:
        return "SKU or product title"

    def search_clause(self, term: str) -> ColumnElement[bool]:
        return StockLevel.variant_id.in_(_matching_variants(term))

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(
                joinedload(StockLevel.variant).joinedload(Variant.product),
                joinedload(StockLevel.warehouse),
            )
        )

    # -- one level --

    def _level(self, level_id: int) -> StockLevel:
        level = db.session.get(StockLevel, level_id)
        if level is None:
            abort(404)
        return level

    def _forms(self, level: StockLevel, bound: str | None = None) -> dict[str, FlaskForm]:
        """A form per operation; only `bound` reads the request's data."""
        forms = {}
        for op, (_title, form_class, _needs) in OPERATIONS.items():
            forms[op] = form_class() if op == bound else form_class(formdata=None)
        targets = db.session.execute(
            select(Warehouse.id, Warehouse.code)
            .where(Warehouse.id != level.warehouse_id, Warehouse.is_active)
            .order_by(Warehouse.priority, Warehouse.code)
        )
        forms["transfer"].to_warehouse.choices = form_choices(
            (str(ident), code) for ident, code in targets
        )
        return forms

    def _render_level(self, level: StockLevel, forms: dict[str, FlaskForm]) -> str:
        movements = db.session.scalars(
            select(StockMovement)
            .where(
                StockMovement.variant_id == level.variant_id,
                StockMovement.warehouse_id == level.warehouse_id,
            )
            .order_by(StockMovement.id.desc())
            .limit(20)
        ).all()
        shown = {
            op: (title, forms[op])
            for op, (title, _form, needs) in OPERATIONS.items()
            if self.allowed(needs)
        }
        return self.render(
            "backoffice/inventory/stock_level.html",
            level=level,
            operations=shown,
            movements=movements,
            return_url=self.get_url(".index_view"),
        )

    @expose("/<int:level_id>/")
    def manage(self, level_id: int):
        """The stock level, its newest movements and (for staff who may) the forms that change
        it."""
        level = self._level(level_id)
        return self._render_level(level, self._forms(level))

    @expose("/<int:level_id>/<op>", methods=("POST",))
    def operate(self, level_id: int, op: str):
        """Apply one operation through the service; on an error show the page again with it
        (nothing written), otherwise flash the result and go back to the page."""
        if op not in OPERATIONS:
            abort(404)
        self.require(OPERATIONS[op][2])
        level = self._level(level_id)
        forms = self._forms(level, bound=op)
        form = forms[op]
        if form.validate():
            try:
                message = self._apply(level, op, form)
            except DomainError as exc:
                db.session.rollback()
                show_error(exc, form, FIELD_NAMES)
            else:
                flash(message, "success")
                return redirect(self.get_url(".manage", level_id=level_id))
        else:
            flash("Check the highlighted field.", "error")
        level = self._level(level_id)
        return self._render_level(level, forms)

    @staticmethod
    def _apply(level: StockLevel, op: str, form: Any) -> str:
        """Run one operation; returns the success message. Raises DomainError."""
        actor, variant_id, warehouse_id = current_actor(), level.variant_id, level.warehouse_id
        where = f"{level.variant.sku} in {level.warehouse.code}"
        if op == "receive":
            after = inventory.receive_stock(
                variant_id, warehouse_id, form.quantity.data, form.reference.data, actor=actor
            )
            return f"{form.quantity.data} received: {where} now has {after.on_hand} on hand."
        if op == "adjust":
            after = inventory.adjust_stock(
                variant_id, warehouse_id, form.delta.data, form.note.data, actor=actor
            )
            return f"Adjusted by {form.delta.data:+d}: {where} now has {after.on_hand} on hand."
        if op == "count":
            after = inventory.count_stock(variant_id, warehouse_id, form.counted.data, actor=actor)
            return f"Count recorded: {where} now has {after.on_hand} on hand."
        if op == "safety":
            after = inventory.set_safety_stock(
                variant_id, warehouse_id, form.safety_stock.data, actor=actor
            )
            return f"Safety stock of {where} set to {after.safety_stock}."
        target = int_or_invalid(form.to_warehouse.data, "to_warehouse_id")
        source, _target = inventory.transfer_stock(
            variant_id, warehouse_id, target, form.quantity.data, form.reference.data, actor=actor
        )
        return f"{form.quantity.data} transferred: {where} now has {source.on_hand} on hand."

    # -- bulk --

    @expose("/bulk-adjust", methods=("GET", "POST"))
    def bulk_adjust(self):
        """GET: the selected products' variants per active warehouse, a quantity field each.
        POST: receive, count or adjust them all through the service in one transaction: when
        one cannot be applied nothing is, and the errors name the SKU and warehouse."""
        ids = parse_ids(request.values.getlist("id"))
        form = BulkStockForm()
        return_url = get_redirect_target() or self.get_url("products.index_view")
        rows = _bulk_rows(ids)
        errors: dict[str, str] = {}
        if request.method == "POST" and form.validate():
            wanted, errors = _read_quantities(rows, form.mode.data)
            if not wanted and not errors:
                flash("Nothing applied: type a quantity in at least one row.", "error")
            elif not errors:
                try:
                    applied = _apply_bulk(wanted, form)
                except DomainError as exc:
                    db.session.rollback()
                    errors = _bulk_errors(exc, wanted, form)
                else:
                    flash(f"Stock updated for {applied} variant(s) per warehouse.", "success")
                    return redirect(return_url)
            if errors:
                flash("Nothing applied: " + "; ".join(errors.values()), "error")
            rows = _bulk_rows(ids)
        return self.render(
            "backoffice/inventory/bulk_adjust.html",
            form=form,
            ids=ids,
            rows=rows[:MAX_BULK_ROWS],
            truncated=len(rows) > MAX_BULK_ROWS,
            errors=errors,
            return_url=return_url,
        )


def int_or_invalid(value: Any, field: str) -> int:
    """A form value as an int. Raises InvalidInput naming `field`."""
    text = str(value or "").strip()
    if not text.lstrip("-").isdigit():
        raise InvalidInput(f"{field}: choose one", fields={field: "choose one"})
    return int(text)


class BulkStockForm(FlaskForm):
    mode = RadioField(
        "Quantities are",
        choices=form_choices(
            [
                ("receive", "Units received (added)"),
                ("count", "Counted on the shelf (set)"),
                ("adjust", "A correction (+/-), e.g. -2 for two damaged units"),
            ]
        ),
        default="receive",
        validators=[DataRequired()],
    )
    note = StringField(
        "Why",
        validators=[Optional(), Length(max=500)],
        description="Needed for corrections; kept on every stock movement.",
    )


def _bulk_rows(product_ids: list[int]) -> list[Any]:
    """(variant id, SKU, product title, warehouse id, code, on hand) for every variant of the
    products and every active warehouse, by product, SKU and warehouse priority."""
    stmt = (
        select(
            Variant.id.label("variant_id"),
            Variant.sku,
            Product.title,
            Warehouse.id.label("warehouse_id"),
            Warehouse.code,
            func.coalesce(StockLevel.on_hand, 0).label("on_hand"),
        )
        .select_from(Variant)
        .join(Product, Product.id == Variant.product_id)
        .join(Warehouse, Warehouse.is_active.is_(True))
        .outerjoin(
            StockLevel,
            (StockLevel.variant_id == Variant.id) & (StockLevel.warehouse_id == Warehouse.id),
        )
        .where(Variant.product_id.in_(product_ids))
        .order_by(Product.title, Variant.sku, Warehouse.priority, Warehouse.code)
        .limit(MAX_BULK_ROWS + 1)
    )
    return list(db.session.execute(stmt))


def _field(variant_id: int, warehouse_id: int) -> str:
    return f"qty-{variant_id}-{warehouse_id}"


def _read_quantities(rows: list[Any], mode: str) -> tuple[list[tuple[Any, int]], dict[str, str]]:
    """The filled quantity fields as (row, quantity), and {field: problem naming the SKU}."""
    wanted, errors = [], {}
    signed = mode == "adjust"
    for row in rows[:MAX_BULK_ROWS]:
        name = _field(row.variant_id, row.warehouse_id)
        text = (request.form.get(name) or "").strip()
        if not text:
            continue
        digits = text[1:] if signed and text[:1] in "+-" else text
        if not digits.isdigit() or (mode != "count" and int(digits) == 0):
            errors[name] = (
                f"{row.sku} in {row.code}: "
                + {
                    "receive": "must be a whole number above 0",
                    "count": "must be a whole number above 0 or 0",
                    "adjust": "must be a whole number other than 0, e.g. 5 or -2",
                }[mode]
            )
            continue
        wanted.append((row, int(text)))
    return wanted, errors


def _apply_bulk(wanted: list[tuple[Any, int]], form: BulkStockForm) -> int:
    """Apply every quantity through the service in one transaction. Returns how many stock
    levels changed. Raises DomainError (nothing applied then)."""
    changes = [
        inventory.StockChange(row.variant_id, row.warehouse_id, quantity)
        for row, quantity in wanted
    ]
    mode = form.mode.data
    applied = inventory.adjust_stock_many(
        changes,
        mode=mode,
        note=form.note.data,
        reference="bulk adjust" if mode == "receive" else None,
        actor=current_actor(),
    )
    return len(applied)


def _bulk_errors(
    exc: DomainError, wanted: list[tuple[Any, int]], form: BulkStockForm
) -> dict[str, str]:
    """The service's error as {quantity field or "note": problem}, the note's also put on the
    form."""
    errors: dict[str, str] = {}
    fields = exc.details.get("fields") or {}
    for name, problem in fields.items():
        line, _, _rest = name.partition("].")
        index = line.removeprefix("changes[").rstrip("]")
        if name == "note":
            form.note.errors = [problem]
            errors["note"] = f"Why: {problem}"
        elif index.isdigit() and int(index) < len(wanted):
            row = wanted[int(index)][0]
            text = problem if problem.startswith(row.sku) else f"{row.sku} in {row.code}: {problem}"
            errors[_field(row.variant_id, row.warehouse_id)] = text
    return errors or {"": exc.message}


# --- movements -----------------------------------------------------------------------------------


def _lookup(name: str):
    def cell(_view: Any, _context: Any, model: StockMovement, _name: str) -> str:
        ident = model.variant_id if name == "skus" else model.warehouse_id
        return g.get(f"inventory_{name}", {}).get(ident, str(ident))

    return cell


class StockMovementAdmin(InventoryModelView):
    """The stock ledger, read-only: filters, search by SKU or reference, CSV export."""

    export_enabled = True
    can_view_details = False
    column_list = (
        "created_at", "sku", "warehouse", "bucket", "reason", "delta", "balance_after",
        "actor_label", "reference", "note",
    )  # fmt: skip
    column_labels = {
        "created_at": "Time",
        "sku": "SKU",
        "balance_after": "Balance after",
        "actor_label": "Actor",
    }
    column_sortable_list = ("created_at",)
    column_default_sort = ("id", True)
    column_searchable_list = ("reference",)  # replaced by search_clause
    column_filters = (
        LookupFilter(StockMovement.warehouse_id, "Warehouse", _warehouse_options, clean=int_value),
        sqla_filters.FilterEqual(
            StockMovement.reason, "Reason", options=[(r, r) for r in MOVEMENT_REASONS]
        ),
        sqla_filters.FilterEqual(StockMovement.bucket, "Bucket", options=[(b, b) for b in BUCKETS]),
        sqla_filters.DateTimeBetweenFilter(StockMovement.created_at, "Time"),
        sqla_filters.DateTimeGreaterFilter(StockMovement.created_at, "Time"),
        sqla_filters.DateTimeSmallerFilter(StockMovement.created_at, "Time"),
    )
    column_formatters = {
        "sku": _lookup("skus"),
        "warehouse": _lookup("warehouses"),
        "delta": lambda _v, _c, m, _n: f"{m.delta:+d}",
    }
    column_formatters_export = column_formatters
    column_export_list = column_list

    def search_placeholder(self) -> str:
        return "SKU or reference"

    def search_clause(self, term: str) -> ColumnElement[bool]:
        skus = select(Variant.id).where(sku_prefix(Variant.sku, term))
        return or_(StockMovement.variant_id.in_(skus), StockMovement.reference == term)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The page's rows, with the SKUs and warehouse codes they name read in two queries."""
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute and rows:
            variant_ids = {m.variant_id for m in rows}
            skus = select(Variant.id, Variant.sku).where(Variant.id.in_(variant_ids))
            g.inventory_skus = dict(db.session.execute(skus).all())
            codes = select(Warehouse.id, Warehouse.code)
            g.inventory_warehouses = dict(db.session.execute(codes).all())
        return count, rows


def inventory_views() -> list[Any]:
    """Every inventory screen, in menu order, ready for `Admin.add_view`."""
    menu = {"category": "Inventory"}
    return [
        StockLevelAdmin(StockLevel, db.session, name="Stock levels", endpoint="stock_levels",
                        url="/admin/stock", **menu),
        StockMovementAdmin(StockMovement, db.session, name="Stock movements",
                           endpoint="stock_movements", url="/admin/stock-movements", **menu),
        WarehouseAdmin(Warehouse, db.session, name="Warehouses", endpoint="warehouses", **menu),
    ]  # fmt: skip
