"""Products: the list merchandisers live in (search, filters, variant count and price range), the
edit page with the product type's typed attributes, its variants and a variant generator; bulk
actions come from product_bulk.py, "Export this list…" from product_export.py. The list's search
and custom filters are commerce.catalog.product_list's, which the export applies too. Every write
goes through commerce.catalog.service."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.helpers import get_redirect_target
from markupsafe import Markup
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from backoffice.catalog import (
    CatalogModelView,
    LookupFilter,
    as_id,
    category_choices,
    category_paths,
    format_money,
    int_value,
    show_error,
    to_minor,
    values_cell,
)
from backoffice.product_bulk import ProductBulkMixin
from backoffice.product_export import ProductExportMixin, exported_as
from backoffice.product_forms import (
    ATTRIBUTE_PREFIX,
    BRAND_LOADER,
    CATEGORY_LOADER,
    FIELD_NAMES,
    PRODUCT_TYPE_LOADER,
    STATUS_CHOICES,
    ProductForm,
    form_values,
    initial_attribute,
    initial_values,
    product_form_class,
    type_key,
    type_switched,
)
from backoffice.security import current_actor
from commerce import db
from commerce.catalog import product_list
from commerce.catalog import service as catalog
from commerce.catalog.models import DEFAULT_CURRENCY, Brand, Product, Variant
from commerce.catalog.types import ProductType
from commerce.errors import DomainError

STATUS_BADGES = {"draft": "secondary", "active": "success", "archived": "dark"}


# --- list ----------------------------------------------------------------------------------------


class CategoryFilter(LookupFilter):
    """Products in a category or any of its subcategories."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(product_list.condition("category", "in", value))

    def operation(self) -> str:
        return "in (with subcategories)"


class TagFilter(sqla_filters.BaseSQLAFilter):
    """Products carrying a tag (the GIN index on tags answers it)."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(product_list.condition("tag", "has", value))

    def operation(self) -> str:
        return "has"


def _options(model: type, label: Callable[[Any], str] = str) -> Callable[[], list]:
    def read() -> list[tuple[str, str]]:
        rows = db.session.scalars(select(model).order_by(model.name))
        return [(str(row.id), label(row)) for row in rows]

    return read


def variant_summaries(product_ids: Sequence[int]) -> dict[int, Any]:
    """{product_id: (variants, min price, max price, currencies)} for a page, in one query."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        select(
            Variant.product_id,
            func.count().label("variants"),
            func.min(Variant.price_amount).label("low"),
            func.max(Variant.price_amount).label("high"),
            func.min(Variant.currency).label("currency"),
            func.count(func.distinct(Variant.currency)).label("currencies"),
        )
        .where(Variant.product_id.in_(product_ids))
        .group_by(Variant.product_id)
    )
    return {row.product_id: row for row in rows}


def _summary(model: Product) -> Any:
    return getattr(g, "product_summaries", {}).get(model.id)


def _variants_cell(_view: Any, _context: Any, model: Product, _name: str) -> str:
    summary = _summary(model)
    return str(summary.variants if summary else 0)


def _price_cell(_view: Any, _context: Any, model: Product, _name: str) -> str:
    summary = _summary(model)
    if summary is None:
        return ""
    if summary.currencies > 1:
        return "several currencies"
    low = format_money(summary.low, summary.currency)
    if summary.low == summary.high:
        return low
    return f"{low} \N{EN DASH} {format_money(summary.high, summary.currency)}"


def _title_link(view: Any, _context: Any, model: Product, _name: str) -> Markup:
    target = ".edit_view" if view.can_edit else ".details_view"
    return Markup('<a href="{}">{}</a>').format(view.get_url(target, id=model.id), model.title)


def _status_badge(_view: Any, _context: Any, model: Product, _name: str) -> Markup:
    return Markup('<span class="badge badge-{}">{}</span>').format(
        STATUS_BADGES.get(model.status, "light"), model.status
    )


def _category_cell(_view: Any, _context: Any, model: Product, _name: str) -> str:
    return category_paths().get(model.category_id, "") if model.category_id else ""


def _tags_cell(_view: Any, _context: Any, model: Product, _name: str) -> str:
    return ", ".join(model.tags or ())


def stock_reader() -> Callable[[int], list] | None:
    """commerce.inventory.service.stock_for_variant when the inventory context exists."""
    try:
        module = importlib.import_module("commerce.inventory.service")
    except ImportError:
        return None
    return getattr(module, "stock_for_variant", None)


# --- view ----------------------------------------------------------------------------------------


class ProductAdmin(ProductExportMixin, ProductBulkMixin, CatalogModelView):
    """Products: list, create, edit (typed attributes, variants, generator), details, export and
    bulk edits; never deleted (archived instead)."""

    audit_object_type = "product"
    create_enabled = edit_enabled = export_enabled = True
    delete_enabled = False
    method_actions = {"generate_variants": "edit", "bulk": "edit", "action_view": "edit"}

    column_list = (
        "title", "status", "category", "brand", "product_type", "variants", "price", "updated_at",
    )  # fmt: skip
    column_labels = {
        "product_type": "Type",
        "updated_at": "Updated",
        "created_at": "Created",
        "published_at": "Published",
        "seo_title": "SEO title",
        "seo_description": "SEO description",
    }
    column_sortable_list = ("title", "status", "updated_at")
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("title", "slug")
    # Each filter names the product_list filter it is, for "Export this list…"; the created and
    # updated filters are Flask-Admin's own, which product_export.py knows.
    column_filters = (
        exported_as(
            sqla_filters.FilterEqual(Product.status, "Status", options=STATUS_CHOICES),
            "status",
            "equals",
        ),
        exported_as(
            CategoryFilter(Product.category_id, "Category", category_choices, clean=int_value),
            "category",
            "in",
        ),
        exported_as(
            LookupFilter(Product.brand_id, "Brand", _options(Brand), clean=int_value),
            "brand",
            "equals",
        ),
        exported_as(
            LookupFilter(Product.product_type_id, "Type", _options(ProductType), clean=int_value),
            "product_type",
            "equals",
        ),
        exported_as(TagFilter(Product.tags, "Tag"), "tag", "has"),
        "created_at",
        "updated_at",
    )
    column_auto_select_related = False
    column_formatters = {
        "title": _title_link,
        "status": _status_badge,
        "category": _category_cell,
        "variants": _variants_cell,
        "price": _price_cell,
    }
    column_details_list = (
        "id", "title", "slug", "status", "category", "brand", "product_type", "tags",
        "attributes", "description", "seo_title", "seo_description", "published_at",
        "created_at", "updated_at",
    )  # fmt: skip
    column_formatters_detail = {
        "category": _category_cell,
        "tags": _tags_cell,
        "attributes": values_cell,
    }
    column_export_list = (
        "id", "title", "slug", "status", "category", "brand", "product_type", "tags",
        "published_at", "created_at", "updated_at",
    )  # fmt: skip
    column_formatters_export = {"category": _category_cell, "tags": _tags_cell}
    form_ajax_refs = {
        "product_type": PRODUCT_TYPE_LOADER,
        "category": CATEGORY_LOADER,
        "brand": BRAND_LOADER,
    }
    form = ProductForm
    create_template = "backoffice/catalog/product_create.html"
    list_template = "backoffice/catalog/product_list.html"
    edit_template = "backoffice/catalog/product_edit.html"
    details_template = "backoffice/catalog/product_details.html"

    # -- list --

    def search_placeholder(self) -> str:
        return "Title, slug or SKU"

    def search_clause(self, term: str) -> ColumnElement[bool]:
        """Title or slug contains the term, or a variant's SKU starts with it; a whole SKU finds
        just its product (commerce.catalog.product_list.search_term)."""
        return product_list.search_term(term)

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(selectinload(Product.brand), selectinload(Product.product_type))
        )

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The page of products, plus their variant counts and price ranges (one more query for
        the whole page, read by the column formatters)."""
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute:
            g.product_summaries = variant_summaries([p.id for p in rows])
        return count, rows

    # -- forms --

    def get_create_form(self) -> type[ProductForm]:
        return ProductForm

    def get_edit_form(self) -> type[ProductForm]:
        return ProductForm

    def _chosen_type(self, default: ProductType | None) -> ProductType | None:
        """The product type the form is for: the one submitted, else ?product_type=, else
        `default` (the product's)."""
        if request.method == "POST" and "product_type" in request.form:
            raw = request.form["product_type"]
        elif "product_type" in request.args:
            raw = request.args["product_type"]
        else:
            return default
        ident = as_id(raw)
        return db.session.get(ProductType, ident) if ident is not None else None

    def create_form(self, obj: Any = None) -> ProductForm:
        ptype = self._chosen_type(None)
        initial = {"status": "draft", "product_type": ptype, "attributes_of": type_key(ptype)}
        return product_form_class(ptype)(data=initial)

    def edit_form(self, obj: Product | None = None) -> ProductForm:
        ptype = self._chosen_type(obj.product_type if obj is not None else None)
        initial = initial_values(obj) if obj is not None else {}
        initial["attributes_of"] = type_key(ptype)
        if obj is not None and ptype is not None:
            for link in ptype.product_attributes:
                value = (obj.attributes or {}).get(link.attribute.code)
                initial[ATTRIBUTE_PREFIX + link.attribute.code] = initial_attribute(
                    link.attribute, value
                )
        return product_form_class(ptype)(data=initial)

    def _show_error(self, exc: DomainError, form: ProductForm) -> None:
        db.session.rollback()
        show_error(exc, form, FIELD_NAMES, {"attributes.": ATTRIBUTE_PREFIX})

    def create_model(self, form: ProductForm) -> Product | bool:
        if type_switched(form):
            return False
        values = form_values(form)
        values["slug"] = values["slug"] or None
        title = values.pop("title")
        try:
            return catalog.create_product(title=title, actor=current_actor(), **values)
        except DomainError as exc:
            self._show_error(exc, form)
            return False

    def update_model(self, form: ProductForm, model: Product) -> bool:
        if type_switched(form):
            return False
        try:
            catalog.update_product(model.id, form_values(form), actor=current_actor())
        except DomainError as exc:
            self._show_error(exc, form)
            return False
        return True

    def delete_model(self, model: Product) -> bool:
        flash(_ARCHIVE_INSTEAD, "warning")
        return False

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        """Products are never deleted here: say so and go back."""
        flash(_ARCHIVE_INSTEAD, "warning")
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    # -- pages --

    def render(self, template: str, **kwargs: Any) -> str:
        model = kwargs.get("model")
        if model is not None and template in (self.edit_template, self.details_template):
            kwargs.update(self._product_page(model))
        if template == self.create_template:
            kwargs["product_types"] = db.session.scalars(
                select(ProductType).order_by(ProductType.name)
            ).all()
            kwargs["chosen_type"] = self._chosen_type(None)
        return super().render(template, **kwargs)

    def _product_page(self, product: Product) -> dict[str, Any]:
        """What the edit and details pages show besides the form: variants with stock, and the
        variant generator's axes."""
        read_stock = stock_reader()
        ptype = product.product_type
        axes = ptype.variant_axes if ptype is not None else []
        rows = []
        for variant in product.variants:
            options = variant.option_values or {}
            ordered = [options[a.code] for a in axes if a.code in options] or options.values()
            rows.append(
                {
                    "variant": variant,
                    "options": " / ".join(str(v) for v in ordered),
                    "price": format_money(variant.price_amount, variant.currency),
                    "compare_at": format_money(variant.compare_at_amount, variant.currency),
                    "cost": format_money(variant.cost_amount, variant.currency),
                    "stock": read_stock(variant.id) if read_stock else None,
                }
            )
        return {
            "variant_rows": rows,
            "show_stock": read_stock is not None,
            "axes": axes,
            "currency": DEFAULT_CURRENCY,
        }

    @expose("/<int:product_id>/generate-variants", methods=("POST",))
    def generate_variants(self, product_id: int):
        """Create the variants for the chosen axis values (service generate_variants) and go
        back to the product's edit page with how many were made."""
        product = self.get_one(product_id)
        if product is None:
            abort(404)
        axes = product.product_type.variant_axes if product.product_type else []
        chosen = {a.code: request.form.getlist(f"axis-{a.code}") for a in axes}
        back = redirect(
            self.get_url(".edit_view", id=product_id, url=get_redirect_target() or None)
        )
        try:
            price = to_minor(request.form.get("price"), DEFAULT_CURRENCY, "price")
            if price is None:
                flash("Give the new variants a price.", "error")
                return back
            created = catalog.generate_variants(
                product_id,
                chosen,
                price_amount=price,
                sku_prefix=(request.form.get("sku_prefix") or "").strip() or None,
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return back
        if created:
            flash(f"{len(created)} variants created.", "success")
        else:
            flash("No variants created: the product has every chosen combination.", "info")
        return back


_ARCHIVE_INSTEAD = (
    "Products are not deleted, so orders and reports keep them: archive them instead "
    "(select them in the list, then With selected → Archive)."
)
