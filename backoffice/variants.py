"""Variants: the list of everything sellable (search by SKU, barcode or product; filters by type,
currency, digital, price), create and edit through commerce.catalog.service, and on each
variant's page its stock per warehouse, inventory settings (variant_inventory.py) and stock
movement history (when the inventory context exists) plus its audit history."""

from __future__ import annotations

import importlib
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model.fields import AjaxSelectField
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import ColumnElement, select, union_all
from sqlalchemy.orm import aliased, selectinload
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from backoffice.catalog import (
    CatalogModelView,
    LookupFilter,
    SafeAjaxLoader,
    as_id,
    contains,
    form_choices,
    format_money,
    int_value,
    major_units,
    minor_units_sql,
    show_error,
    sku_prefix,
    to_minor,
    values_cell,
)
from backoffice.products import stock_reader
from backoffice.security import current_actor
from backoffice.variant_inventory import VariantInventoryMixin
from commerce import db
from commerce.catalog import service as catalog
from commerce.catalog.models import DEFAULT_CURRENCY, Product, Variant
from commerce.catalog.types import Attribute, ProductType
from commerce.errors import DomainError

OPTION_PREFIX = "opt__"
MOVEMENTS_SHOWN = 50
FIELD_NAMES = {
    "price_amount": "price",
    "compare_at_amount": "compare_at",
    "cost_amount": "cost",
    "product_id": "product",
}

PRODUCT_LOADER = SafeAjaxLoader(
    "product",
    Product,
    fields=("title", "slug"),
    order_by=Product.title,
    placeholder="Type part of a product title",
    minimum_input_length=2,
)
# Created before VariantForm so that it is the create form's first field.
_PRODUCT_FIELD = AjaxSelectField(PRODUCT_LOADER, "Product", validators=[DataRequired()])


def _whole(label: str, description: str = "") -> IntegerField:
    return IntegerField(
        label, validators=[Optional(), NumberRange(min=0)], description=description or None
    )


class VariantForm(FlaskForm):
    """A variant's own fields; `variant_form_class` adds one select per variant option."""

    sku = StringField("SKU", validators=[DataRequired(), Length(max=64)])
    barcode = StringField("Barcode", validators=[Optional(), Length(max=64)])
    price = StringField("Price", validators=[DataRequired(), Length(max=20)])
    compare_at = StringField(
        "Compare-at price",
        validators=[Length(max=20)],
        description='The struck-out "was" price shown beside the price; empty for none.',
    )
    cost = StringField(
        "Cost", validators=[Length(max=20)], description="What the shop paid, for margins."
    )
    currency = StringField(
        "Currency", default=DEFAULT_CURRENCY, validators=[DataRequired(), Length(min=3, max=3)]
    )
    weight_grams = _whole("Weight (g)")
    length_mm = _whole("Length (mm)")
    width_mm = _whole("Width (mm)")
    height_mm = _whole("Height (mm)")
    tax_class = StringField(
        "Tax class", default="standard", validators=[DataRequired(), Length(max=40)]
    )
    shipping_class = StringField(
        "Shipping class", default="standard", validators=[DataRequired(), Length(max=40)]
    )
    is_digital = BooleanField("Digital (nothing to ship)")


class VariantCreateForm(VariantForm):
    product = _PRODUCT_FIELD


def option_field(attribute: Attribute) -> SelectField:
    """A select of one variant option's values (checked by the service)."""
    choices = form_choices([("", "-"), *((c, c) for c in attribute.choices)])
    return SelectField(attribute.name + " *", choices=choices, validate_choice=False)


def variant_form_class(base: type[VariantForm], ptype: ProductType | None) -> type[VariantForm]:
    """`base` plus a select "opt__<code>" per variant axis of `ptype`."""
    axes = ptype.variant_axes if ptype is not None else []
    fields = {OPTION_PREFIX + a.code: option_field(a) for a in axes}
    return type(base.__name__, (base,), fields)


# --- list ----------------------------------------------------------------------------------------


class ProductTypeFilter(LookupFilter):
    """Variants of products of one type."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        of_type = select(Product.id).where(Product.product_type_id == value)
        return query.filter(Variant.product_id.in_(of_type))


class PriceFilter(sqla_filters.BaseSQLAFilter):
    """Price at least / at most a value typed in major units (19.99), in each row's currency."""

    def __init__(self, name: str, *, at_least: bool) -> None:
        super().__init__(Variant.price_amount, name)
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
        bound = minor_units_sql(value, Variant.currency)
        if self.at_least:
            return query.filter(Variant.price_amount >= bound)
        return query.filter(Variant.price_amount <= bound)

    def operation(self) -> str:
        return "at least" if self.at_least else "at most"


def _type_options() -> list[tuple[str, str]]:
    rows = db.session.scalars(select(ProductType).order_by(ProductType.name))
    return [(str(t.id), t.name) for t in rows]


def _money(field: str):
    def cell(_view: Any, _context: Any, model: Variant, _name: str) -> str:
        return format_money(getattr(model, field), model.currency)

    return cell


def _sku_link(view: Any, _context: Any, model: Variant, _name: str) -> Markup:
    target = ".edit_view" if view.can_edit else ".details_view"
    return Markup('<a href="{}"><code>{}</code></a>').format(
        view.get_url(target, id=model.id), model.sku
    )


def _product_link(view: Any, _context: Any, model: Variant, _name: str) -> Markup:
    target = "products.edit_view" if view.can_edit else "products.details_view"
    return Markup('<a href="{}">{}</a>').format(
        view.get_url(target, id=model.product_id), model.product.title
    )


def _options_cell(_view: Any, _context: Any, model: Variant, _name: str) -> str:
    return " / ".join(str(v) for v in (model.option_values or {}).values())


def movement_history(variant_id: int) -> list[Any] | None:
    """The variant's newest stock movements with their warehouse code (None when there is no
    inventory context)."""
    try:
        models = importlib.import_module("commerce.inventory.models")
        movement, warehouse = models.StockMovement, models.Warehouse
    except (ImportError, AttributeError):
        return None
    stmt = (
        select(movement, warehouse.code.label("warehouse_code"))
        .join(warehouse, warehouse.id == movement.warehouse_id)
        .where(movement.variant_id == variant_id)
        .order_by(movement.id.desc())
        .limit(MOVEMENTS_SHOWN)
    )
    return list(db.session.execute(stmt))


# --- view ----------------------------------------------------------------------------------------


class VariantAdmin(VariantInventoryMixin, CatalogModelView):
    """Variants: list, create (for a product chosen by autocomplete), edit, details with stock,
    inventory settings (variant_inventory.py) and movements, export; never deleted here."""

    audit_object_type = "variant"
    create_enabled = edit_enabled = export_enabled = True
    delete_enabled = False
    # The inventory forms check "inventory.adjust" themselves; seeing the variant is enough here.
    method_actions = {"inventory_policy": "view", "safety_stock": "view"}

    column_list = (
        "sku", "product", "options", "price_amount", "compare_at_amount", "cost_amount",
        "currency", "updated_at",
    )  # fmt: skip
    column_labels = {
        "sku": "SKU",
        "price_amount": "Price",
        "compare_at_amount": "Compare-at",
        "cost_amount": "Cost",
        "updated_at": "Updated",
        "option_values": "Options",
        "is_digital": "Digital",
        "weight_grams": "Weight (g)",
    }
    column_sortable_list = ("sku", "price_amount", "updated_at")
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("sku", "barcode")
    column_filters = (
        ProductTypeFilter(Variant.product_id, "Product type", _type_options, clean=int_value),
        sqla_filters.FilterEqual(Variant.currency, "Currency"),
        sqla_filters.BooleanEqualFilter(Variant.is_digital, "Digital"),
        PriceFilter("Price", at_least=True),
        PriceFilter("Price", at_least=False),
    )
    column_auto_select_related = False
    column_formatters = {
        "sku": _sku_link,
        "product": _product_link,
        "options": _options_cell,
        "price_amount": _money("price_amount"),
        "compare_at_amount": _money("compare_at_amount"),
        "cost_amount": _money("cost_amount"),
    }
    column_details_list = (
        "id", "sku", "barcode", "product", "option_values", "price_amount", "compare_at_amount",
        "cost_amount", "currency", "weight_grams", "length_mm", "width_mm", "height_mm",
        "tax_class", "shipping_class", "is_digital", "created_at", "updated_at",
    )  # fmt: skip
    column_formatters_detail = {
        "option_values": values_cell,
        "price_amount": _money("price_amount"),
        "compare_at_amount": _money("compare_at_amount"),
        "cost_amount": _money("cost_amount"),
    }
    column_export_list = (
        "id", "sku", "barcode", "product", "option_values", "price_amount", "compare_at_amount",
        "cost_amount", "currency", "is_digital", "updated_at",
    )  # fmt: skip
    column_formatters_export = {
        "product": lambda _v, _c, m, _n: m.product.title,
        "option_values": values_cell,
    }
    form_ajax_refs = {"product": PRODUCT_LOADER}
    form = VariantForm
    edit_template = "backoffice/catalog/variant_edit.html"
    details_template = "backoffice/catalog/variant_details.html"

    def search_placeholder(self) -> str:
        return "SKU, barcode or product title"

    def search_clause(self, term: str) -> ColumnElement[bool]:
        """SKU starts with the term, the barcode is the term, or the product's title contains
        it (as `id IN (... UNION ALL ...)`, so that each part can use its own plan)."""
        searched = aliased(Variant, name="searched")
        titled = select(Product.id).where(contains(Product.title, term))
        return Variant.id.in_(
            union_all(
                select(searched.id).where(sku_prefix(searched.sku, term)),
                select(searched.id).where(searched.barcode == term),
                select(searched.id).where(searched.product_id.in_(titled)),
            )
        )

    def get_query(self) -> Any:
        return super().get_query().options(selectinload(Variant.product))

    # -- forms --

    def get_create_form(self) -> type[VariantForm]:
        return VariantCreateForm

    def get_edit_form(self) -> type[VariantForm]:
        return VariantForm

    @staticmethod
    def _chosen_product() -> Product | None:
        raw = request.form.get("product") if request.method == "POST" else None
        ident = as_id(raw if raw is not None else request.args.get("product_id"))
        return db.session.get(Product, ident) if ident is not None else None

    def create_form(self, obj: Any = None) -> VariantForm:
        product = self._chosen_product()
        ptype = product.product_type if product is not None else None
        form_class = variant_form_class(VariantCreateForm, ptype)
        return form_class(data={"product": product, "is_digital": bool(ptype and ptype.is_digital)})

    def edit_form(self, obj: Variant | None = None) -> VariantForm:
        ptype = obj.product.product_type if obj is not None else None
        initial: dict[str, Any] = {}
        if obj is not None:
            initial = {
                "sku": obj.sku,
                "barcode": obj.barcode,
                "price": major_units(obj.price_amount, obj.currency),
                "compare_at": major_units(obj.compare_at_amount, obj.currency),
                "cost": major_units(obj.cost_amount, obj.currency),
                "currency": obj.currency,
                "weight_grams": obj.weight_grams,
                "length_mm": obj.length_mm,
                "width_mm": obj.width_mm,
                "height_mm": obj.height_mm,
                "tax_class": obj.tax_class,
                "shipping_class": obj.shipping_class,
                "is_digital": obj.is_digital,
            }
            for code, value in (obj.option_values or {}).items():
                initial[OPTION_PREFIX + code] = str(value)
        return variant_form_class(VariantForm, ptype)(data=initial)

    @staticmethod
    def _values(form: VariantForm, ptype: ProductType | None) -> dict[str, Any]:
        """The form as the service's variant fields. Raises InvalidInput for a bad price."""
        currency = (form.currency.data or "").strip().upper()
        values = {
            "sku": form.sku.data,
            "barcode": (form.barcode.data or "").strip() or None,
            "price_amount": to_minor(form.price.data, currency, "price_amount"),
            "compare_at_amount": to_minor(form.compare_at.data, currency, "compare_at_amount"),
            "cost_amount": to_minor(form.cost.data, currency, "cost_amount"),
            "currency": currency,
            "weight_grams": form.weight_grams.data,
            "length_mm": form.length_mm.data,
            "width_mm": form.width_mm.data,
            "height_mm": form.height_mm.data,
            "tax_class": form.tax_class.data.strip(),
            "shipping_class": form.shipping_class.data.strip(),
            "is_digital": bool(form.is_digital.data),
        }
        axes = ptype.variant_axes if ptype is not None else []
        if axes:
            values["option_values"] = {
                a.code: form[OPTION_PREFIX + a.code].data
                for a in axes
                if form[OPTION_PREFIX + a.code].data
            }
        return values

    def _show_error(self, exc: DomainError, form: VariantForm) -> None:
        db.session.rollback()
        show_error(exc, form, FIELD_NAMES, {"options.": OPTION_PREFIX})

    def create_model(self, form: VariantCreateForm) -> Variant | bool:
        product = form.product.data
        try:
            values = self._values(form, product.product_type)
            sku, price = values.pop("sku"), values.pop("price_amount")
            return catalog.create_variant(
                product.id, sku=sku, price_amount=price, actor=current_actor(), **values
            )
        except DomainError as exc:
            self._show_error(exc, form)
            return False

    def update_model(self, form: VariantForm, model: Variant) -> bool:
        try:
            values = self._values(form, model.product.product_type)
            catalog.update_variant(model.id, values, actor=current_actor())
        except DomainError as exc:
            self._show_error(exc, form)
            return False
        return True

    # -- pages --

    def render(self, template: str, **kwargs: Any) -> str:
        model = kwargs.get("model")
        if model is not None and template in (self.edit_template, self.details_template):
            read_stock = stock_reader()
            kwargs["stock_levels"] = read_stock(model.id) if read_stock else None
            kwargs["movements"] = movement_history(model.id)
            if kwargs["stock_levels"] is not None:
                kwargs.update(self.inventory_context(model, kwargs))
        return super().render(template, **kwargs)
