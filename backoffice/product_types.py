"""Product types and their typed attributes: lists, details and create through
commerce.catalog.product_types. Neither can be edited yet (the pages say so)."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.form import Select2Widget
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from backoffice.catalog import CatalogModelView, form_choices, show_error, split_list
from backoffice.security import current_actor
from commerce import db
from commerce.catalog import product_types
from commerce.catalog.types import ATTRIBUTE_KINDS, Attribute, ProductType
from commerce.errors import DomainError

READONLY_LIST = "backoffice/catalog/readonly_list.html"


# --- attributes ----------------------------------------------------------------------------------


class AttributeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=60)],
        description="How imports and the API name it: lowercase letters, digits and "
        "underscores, e.g. material or screen_size.",
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField(
        "Kind", choices=form_choices((k, k) for k in ATTRIBUTE_KINDS), default="text"
    )
    unit = StringField(
        "Unit", validators=[Optional(), Length(max=20)], description='Numbers only: "cm", "g".'
    )
    choices = StringField(
        "Choices",
        description="Choice and multichoice only: the values, comma-separated (S, M, L).",
    )


def _choices_cell(_view: Any, _context: Any, model: Attribute, _name: str) -> str:
    return ", ".join(model.choices or ())


class AttributeAdmin(CatalogModelView):
    """Typed attributes: list, details and create (no edit yet)."""

    audit_object_type = "attribute"
    create_enabled = True
    list_template = READONLY_LIST
    readonly_note = (
        "Attributes cannot be edited yet: products store their values, so a change needs a "
        "migration of those values. Create a new attribute instead."
    )
    column_list = ("code", "name", "kind", "unit", "choices", "created_at")
    column_labels = {"created_at": "Created"}
    column_searchable_list = ("code", "name")
    column_filters = (
        sqla_filters.FilterEqual(Attribute.kind, "Kind", options=[(k, k) for k in ATTRIBUTE_KINDS]),
    )
    column_sortable_list = ("code", "name", "kind", "created_at")
    column_default_sort = "code"
    column_formatters = {"choices": _choices_cell}
    column_formatters_detail = {"choices": _choices_cell}
    form = AttributeForm

    def get_create_form(self) -> type[AttributeForm]:
        return AttributeForm

    def create_model(self, form: AttributeForm) -> Attribute | bool:
        try:
            return product_types.create_attribute(
                code=form.code.data,
                name=form.name.data,
                kind=form.kind.data,
                unit=(form.unit.data or "").strip() or None,
                choices=split_list(form.choices.data),
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form)
            return False


# --- product types -------------------------------------------------------------------------------


def _multi(label: str, description: str) -> SelectMultipleField:
    return SelectMultipleField(
        label, choices=[], widget=Select2Widget(multiple=True), description=description
    )


class ProductTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    is_digital = BooleanField("Digital (its products are downloads or keys: nothing to ship)")
    attributes = _multi("Attributes", "What products of this type describe, in this order.")
    required = _multi("Required", "Attributes a product of this type must fill in.")
    variant_options = _multi(
        "Variant options",
        "Single-choice attributes whose values make variants (size, colour). They need not be "
        "listed under Attributes too.",
    )


def _attributes_cell(_view: Any, _context: Any, model: ProductType, _name: str) -> Markup:
    items = []
    for link in model.attribute_links:
        marks = " ".join(
            mark
            for flag, mark in ((link.required, "required"), (link.variant_axis, "variants"))
            if flag
        )
        items.append(
            Markup("<code>{}</code>{}").format(
                link.attribute.code,
                Markup(' <span class="badge badge-light">{}</span>').format(marks) if marks else "",
            )
        )
    return Markup(", ").join(items)


class ProductTypeAdmin(CatalogModelView):
    """Product types: list, details and create from existing attributes (no edit yet)."""

    audit_object_type = "product_type"
    create_enabled = True
    list_template = READONLY_LIST
    readonly_note = (
        "Product types cannot be edited yet: their products' attributes and variants depend on "
        "them. Create a new type and move products to it instead."
    )
    column_list = ("name", "is_digital", "attributes", "created_at")
    column_labels = {"is_digital": "Digital", "created_at": "Created"}
    column_searchable_list = ("name",)
    column_filters = ("is_digital",)
    column_sortable_list = ("name", "created_at")
    column_default_sort = "name"
    column_formatters = {"attributes": _attributes_cell}
    column_formatters_detail = {"attributes": _attributes_cell}
    column_details_list = ("id", "name", "is_digital", "attributes", "created_at", "updated_at")
    form = ProductTypeForm

    def get_create_form(self) -> type[ProductTypeForm]:
        return ProductTypeForm

    def create_form(self, obj: Any = None) -> ProductTypeForm:
        form = ProductTypeForm()
        choices = form_choices(
            (a.code, f"{a.name} ({a.code}, {a.kind})")
            for a in db.session.scalars(select(Attribute).order_by(Attribute.name))
        )
        for field in (form.attributes, form.required, form.variant_options):
            field.choices = choices
        return form

    def create_model(self, form: ProductTypeForm) -> ProductType | bool:
        chosen = list(form.attributes.data or [])
        required = set(form.required.data or [])
        variant = set(form.variant_options.data or [])
        extra = [
            code
            for code in (choice.value for choice in form.attributes.choices)
            if (code in required or code in variant) and code not in chosen
        ]
        links = [
            {"code": code, "required": code in required, "variant_axis": code in variant}
            for code in dict.fromkeys(chosen + extra)
        ]
        try:
            return product_types.create_product_type(
                name=form.name.data,
                is_digital=bool(form.is_digital.data),
                attributes=links,
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            field = next(iter(exc.details.get("fields") or {}), "")
            code = field.removeprefix("attributes.")
            target = "variant_options" if code in variant else "attributes"
            show_error(exc, form, {field: target} if field.startswith("attributes.") else {})
            return False
