"""The product form: the product's own fields, one typed field per attribute of its product type,
and the translation between the form and commerce.catalog.service's product fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash
from flask_admin.form import DateTimeField, Select2Widget
from flask_admin.model.fields import AjaxSelectField
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import DateInput, NumberInput

from backoffice.catalog import SafeAjaxLoader, category_label, form_choices, split_list
from commerce.catalog.models import PRODUCT_STATUSES, Brand, Category, Product
from commerce.catalog.types import Attribute, ProductType

STATUS_CHOICES = [(s, s.capitalize()) for s in PRODUCT_STATUSES]
ATTRIBUTE_PREFIX = "attr__"
# Service field names -> the form's.
FIELD_NAMES = {
    "category_id": "category",
    "brand_id": "brand",
    "product_type_id": "product_type",
}

PRODUCT_TYPE_LOADER = SafeAjaxLoader(
    "product_type", ProductType, fields=("name",), order_by=ProductType.name,
    placeholder="No type",
)  # fmt: skip
CATEGORY_LOADER = SafeAjaxLoader(
    "category", Category, fields=("name", "slug"), order_by=Category.name,
    label=category_label, placeholder="No category",
)  # fmt: skip
BRAND_LOADER = SafeAjaxLoader(
    "brand", Brand, fields=("name",), order_by=Brand.name, placeholder="No brand"
)


# --- forms ---------------------------------------------------------------------------------------


class ProductForm(FlaskForm):
    """The product's own fields; `product_form_class` adds one field per typed attribute."""

    title = StringField("Title", validators=[DataRequired(), Length(max=255)])
    slug = StringField(
        "Slug",
        validators=[Optional(), Length(max=255)],
        description="The product's address in the shop. Leave empty to make one from the title.",
    )
    status = SelectField("Status", choices=form_choices(STATUS_CHOICES), default="draft")
    product_type = AjaxSelectField(
        PRODUCT_TYPE_LOADER,
        "Product type",
        allow_blank=True,
        description="Decides which attributes the product has and which options make variants.",
    )
    category = AjaxSelectField(CATEGORY_LOADER, "Category", allow_blank=True)
    brand = AjaxSelectField(BRAND_LOADER, "Brand", allow_blank=True)
    tags = StringField("Tags", description="Comma-separated, e.g. summer, gift ideas")
    description = TextAreaField(
        "Description",
        render_kw={"rows": 8},
        description="HTML is allowed; scripts, styles and unknown tags are removed on save.",
    )
    seo_title = StringField("SEO title", validators=[Optional(), Length(max=255)])
    seo_description = TextAreaField(
        "SEO description", validators=[Optional(), Length(max=320)], render_kw={"rows": 2}
    )
    published_at = DateTimeField(
        "Publish date (UTC)",
        validators=[Optional()],
        description="Set when the product is first published, unless you set it.",
    )
    # The product type whose attribute fields this form shows (see type_switched).
    attributes_of = HiddenField()


def attribute_field(attribute: Attribute, required: bool) -> Field:
    """A typed form field for one product attribute. Values are checked by the service, so the
    fields accept anything and its errors come back under the field."""
    label = attribute.name + (f" ({attribute.unit})" if attribute.unit else "")
    label += " *" if required else ""
    note = {"description": "Required." if required else ""}
    values = [(c, c) for c in attribute.choices]
    if attribute.kind == "choice":
        choices = form_choices([("", "-"), *values])
        return SelectField(label, choices=choices, validate_choice=False, **note)
    if attribute.kind == "multichoice":
        return SelectMultipleField(
            label,
            choices=form_choices(values),
            validate_choice=False,
            widget=Select2Widget(multiple=True),
            **note,
        )
    if attribute.kind == "boolean":
        return BooleanField(label, **note)
    if attribute.kind == "number":
        return StringField(label, widget=NumberInput(step="any"), **note)
    if attribute.kind == "date":
        return StringField(label, widget=DateInput(), **note)
    return StringField(label, **note)


def product_form_class(ptype: ProductType | None) -> type[ProductForm]:
    """ProductForm plus a field "attr__<code>" per product-level attribute of `ptype`."""
    links = ptype.product_attributes if ptype is not None else []
    fields = {
        ATTRIBUTE_PREFIX + link.attribute.code: attribute_field(link.attribute, link.required)
        for link in links
    }
    return type("ProductForm", (ProductForm,), fields)


def initial_attribute(attribute: Attribute, value: Any) -> Any:
    """A stored attribute value as its form field's initial data."""
    if value is None:
        return [] if attribute.kind == "multichoice" else None
    if attribute.kind == "multichoice":
        return list(value)
    if attribute.kind == "boolean":
        return bool(value)
    return str(value)


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A naive date-time typed in the form, read as UTC."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def type_key(ptype: ProductType | None) -> str:
    """The `attributes_of` value for a form showing `ptype`'s attributes."""
    return str(ptype.id) if ptype is not None else ""


def initial_values(product: Product) -> dict[str, Any]:
    """The edit form's initial data for `product` (attribute fields apart)."""
    published = product.published_at
    return {
        "title": product.title,
        "slug": product.slug,
        "status": product.status,
        "product_type": product.product_type,
        "category": product.category,
        "brand": product.brand,
        "tags": ", ".join(product.tags or ()),
        "description": product.description,
        "seo_title": product.seo_title,
        "seo_description": product.seo_description,
        "published_at": published.astimezone(dt.UTC).replace(tzinfo=None) if published else None,
    }


def form_values(form: ProductForm) -> dict[str, Any]:
    """The submitted form as commerce.catalog.service product fields (the service validates)."""
    ptype = form.product_type.data
    return {
        "title": form.title.data,
        "slug": (form.slug.data or "").strip(),
        "status": form.status.data,
        "product_type_id": ptype.id if ptype else None,
        "category_id": form.category.data.id if form.category.data else None,
        "brand_id": form.brand.data.id if form.brand.data else None,
        "tags": split_list(form.tags.data),
        "description": form.description.data or "",
        "seo_title": (form.seo_title.data or "").strip() or None,
        "seo_description": (form.seo_description.data or "").strip() or None,
        "published_at": utc(form.published_at.data),
        "attributes": {
            link.attribute.code: form[ATTRIBUTE_PREFIX + link.attribute.code].data
            for link in (ptype.product_attributes if ptype else [])
        },
    }


def type_switched(form: ProductForm) -> bool:
    """Whether the form was shown for another product type than the one now chosen, which
    has attributes to fill in: the form then shows them instead of saving."""
    ptype = form.product_type.data
    if form.attributes_of.data == type_key(ptype):
        return False
    form.attributes_of.data = type_key(ptype)
    if ptype is None or not ptype.product_attributes:
        return False
    flash(f"{ptype.name} products have attributes: fill them in, then save again.", "info")
    return True
