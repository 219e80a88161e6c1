"""Categories (a tree: create, rename, move through commerce.catalog.categories) and brands
(reference data with Flask-Admin's own create/edit/delete)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_admin.form import Select2Widget
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import IntegerField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from backoffice.catalog import (
    PATH_SEPARATOR,
    CatalogModelView,
    as_id,
    category_choices,
    category_paths,
    category_tree,
    form_choices,
    show_error,
)
from backoffice.security import current_actor
from commerce import db
from commerce.catalog import categories
from commerce.catalog.models import Brand, Category, Product
from commerce.catalog.slugs import unique_slug
from commerce.errors import DomainError

TOP_LEVEL = "(top level)"


# --- categories ----------------------------------------------------------------------------------


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    parent = SelectField(
        "Parent",
        choices=[],
        widget=Select2Widget(),
        description="Moving a category moves its whole subtree with it.",
    )


class CategoryCreateForm(CategoryForm):
    slug = StringField(
        "Slug",
        validators=[Optional(), Length(max=160)],
        description="The category's address in the shop. Leave empty to make one from the name.",
    )
    position = IntegerField(
        "Position",
        default=0,
        validators=[Optional(), NumberRange(min=0)],
        description="Orders a category among its siblings, lowest first.",
    )


def product_counts() -> dict[int, int]:
    """{category id: products in it or any subcategory}, from one grouped query per request."""
    if "catalog_category_counts" not in g:
        direct = dict(
            db.session.execute(
                select(Product.category_id, func.count())
                .where(Product.category_id.is_not(None))
                .group_by(Product.category_id)
            ).all()
        )
        children: dict[int | None, list[int]] = {}
        for ident, (parent, _name) in category_tree().items():
            children.setdefault(parent, []).append(ident)
        totals: dict[int, int] = {}

        def total(ident: int, seen: frozenset[int] = frozenset()) -> int:
            if ident not in totals:
                kids = [k for k in children.get(ident, []) if k not in seen]
                totals[ident] = direct.get(ident, 0) + sum(total(k, seen | {ident}) for k in kids)
            return totals[ident]

        for ident in category_tree():
            total(ident)
        g.catalog_category_counts = totals
    return g.catalog_category_counts


def _path_link(view: Any, _context: Any, model: Category, _name: str) -> Markup:
    target = ".edit_view" if view.can_edit else ".details_view"
    path = category_paths().get(model.id, model.name)
    parents, _, own = path.rpartition(PATH_SEPARATOR)
    return Markup('<span class="text-muted">{}</span><a href="{}">{}</a>').format(
        parents + PATH_SEPARATOR if parents else "", view.get_url(target, id=model.id), own
    )


def _count_cell(_view: Any, _context: Any, model: Category, _name: str) -> str:
    return f"{product_counts().get(model.id, 0):,}"


class CategoryAdmin(CatalogModelView):
    """The category tree: list by path with product counts, create, rename and move; categories
    are not deleted here."""

    audit_object_type = "category"
    create_enabled = edit_enabled = True
    delete_enabled = False

    column_list = ("name", "slug", "products", "position")
    column_labels = {"name": "Category", "products": "Products (with subcategories)"}
    column_searchable_list = ("name", "slug")
    column_sortable_list = ("name", "slug", "position")
    column_formatters = {"name": _path_link, "products": _count_cell}
    column_formatters_detail = {"products": _count_cell}
    column_details_list = ("id", "name", "slug", "parent", "position", "products", "created_at")
    form = CategoryForm

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Categories in tree order (by path) unless sorted by a column; the tree holds hundreds,
        so the page is cut from all matching rows."""
        if not execute or sort_column is not None:
            return super().get_list(
                page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
            )
        _count, rows = super().get_list(None, None, False, search, filters, page_size=0)
        paths = category_paths()
        rows = sorted(rows, key=lambda c: paths.get(c.id, c.name).lower())
        size = page_size or self.page_size
        start = (page or 0) * size
        return len(rows), rows[start : start + size]

    def get_create_form(self) -> type[CategoryForm]:
        return CategoryCreateForm

    def get_edit_form(self) -> type[CategoryForm]:
        return CategoryForm

    def create_form(self, obj: Any = None) -> CategoryForm:
        form = CategoryCreateForm()
        form.parent.choices = form_choices(category_choices(blank=TOP_LEVEL))
        return form

    def edit_form(self, obj: Category | None = None) -> CategoryForm:
        initial = {"name": obj.name, "parent": str(obj.parent_id or "")} if obj else {}
        form = CategoryForm(data=initial)
        form.parent.choices = form_choices(category_choices(blank=TOP_LEVEL))
        return form

    def create_model(self, form: CategoryCreateForm) -> Category | bool:
        try:
            return categories.create_category(
                name=form.name.data,
                parent_id=as_id(form.parent.data),
                slug=(form.slug.data or "").strip() or None,
                position=form.position.data or 0,
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form, {"parent_id": "parent"})
            return False

    def update_model(self, form: CategoryForm, model: Category) -> bool:
        """Move first (the step that can be refused), then rename."""
        parent_id = as_id(form.parent.data)
        name = form.name.data.strip()
        try:
            if parent_id != model.parent_id:
                categories.move_category(model.id, parent_id, actor=current_actor())
            if name != model.name:
                categories.rename_category(model.id, name, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form, {"parent_id": "parent"})
            return False
        return True


# --- brands --------------------------------------------------------------------------------------


class UniqueBrand:
    """Refuse a value another brand already has in `column` (case-insensitive)."""

    def __init__(self, column: Any, message: str) -> None:
        self.column = column
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        value = (field.data or "").strip()
        if not value:
            return
        stmt = select(Brand.id).where(func.lower(self.column) == value.lower())
        if getattr(form, "editing_id", None) is not None:
            stmt = stmt.where(Brand.id != form.editing_id)
        if db.session.scalar(stmt.limit(1)) is not None:
            raise ValidationError(self.message)


class BrandForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired(),
            Length(max=120),
            UniqueBrand(Brand.name, "Another brand has this name already."),
        ],
    )
    slug = StringField(
        "Slug",
        validators=[
            Optional(),
            Length(max=160),
            UniqueBrand(Brand.slug, "Another brand uses this slug already."),
        ],
        description="The brand's address in the shop. Leave empty to make one from the name.",
    )


class BrandAdmin(CatalogModelView):
    """Reference data: Flask-Admin's own create/edit/delete, for staff holding catalog.create,
    .edit and .delete respectively."""

    create_enabled = edit_enabled = delete_enabled = True
    column_list = ("name", "slug")
    column_searchable_list = ("name", "slug")
    column_sortable_list = ("name", "slug")
    column_default_sort = "name"
    form = BrandForm

    def get_create_form(self) -> type[BrandForm]:
        return BrandForm

    def get_edit_form(self) -> type[BrandForm]:
        return BrandForm

    def edit_form(self, obj: Brand | None = None) -> BrandForm:
        form = super().edit_form(obj)
        form.editing_id = obj.id if obj is not None else None
        return form

    def on_model_change(self, form: BrandForm, model: Brand, is_created: bool) -> None:
        model.name = model.name.strip()
        model.slug = (model.slug or "").strip().lower() or unique_slug(
            Brand, model.name, fallback="brand", max_length=150, except_id=model.id
        )
