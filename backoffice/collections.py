"""Collections: the list (with product counts), the create and edit forms (manual, or rules on
tags, price and category) and a details page listing the members, where a manual collection's
products are added, removed and moved up or down. Every write goes through
commerce.catalog.collections."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, or_, select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from backoffice.catalog import (
    CatalogModelView,
    as_id,
    category_choices,
    category_paths,
    form_choices,
    format_money,
    major_units,
    show_error,
    split_list,
    to_minor,
)
from backoffice.security import current_actor
from commerce import db
from commerce.catalog import collections as service
from commerce.catalog.collections import Collection, CollectionProduct
from commerce.catalog.models import DEFAULT_CURRENCY, Product
from commerce.errors import DomainError, InvalidInput

MEMBERS_SHOWN = 100
MAX_ADDED = 200  # products one "add products" submission may name
# the service's field names -> the form's
FIELD_NAMES = {
    "rules.tags_any": "tags_any",
    "rules.tags_all": "tags_all",
    "rules.min_price": "min_price",
    "rules.max_price": "max_price",
    "rules.category_id": "category",
    "rules": "tags_any",
}


class CollectionForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=255)])
    kind = SelectField(
        "Kind",
        choices=form_choices([("manual", "Manual (hand-picked)"), ("rule", "Rule-based")]),
        default="manual",
    )
    description = TextAreaField("Description")
    is_published = BooleanField("Published")
    tags_any = StringField("Tags (any of)", description="Rule: comma-separated; one is enough.")
    tags_all = StringField("Tags (all of)", description="Rule: comma-separated; all needed.")
    min_price = StringField(
        f"Min price ({DEFAULT_CURRENCY})", description="Rule: a variant costs at least this."
    )
    max_price = StringField(
        f"Max price ({DEFAULT_CURRENCY})", description="Rule: a variant costs at most this."
    )
    category = SelectField(
        "Category", choices=[], validate_choice=False, description="Rule: or its subcategories."
    )


class CollectionEditForm(FlaskForm):
    """The edit form: the kind is fixed once created; the rule fields are dropped for manual
    collections (see CollectionAdmin.edit_form)."""

    title = CollectionForm.title
    slug = StringField(
        "Slug",
        validators=[DataRequired(), Length(max=255)],
        description="The collection's address in the shop: lowercase letters, digits, hyphens.",
    )
    description = CollectionForm.description
    is_published = CollectionForm.is_published
    tags_any = CollectionForm.tags_any
    tags_all = CollectionForm.tags_all
    min_price = CollectionForm.min_price
    max_price = CollectionForm.max_price
    category = CollectionForm.category


RULE_FIELDS = ("tags_any", "tags_all", "min_price", "max_price", "category")


class AddProductsForm(FlaskForm):
    products = StringField("Products", validators=[DataRequired(), Length(max=5000)])


def _rules(form: CollectionForm) -> dict[str, Any]:
    """The form's rule fields as the service's rules. Raises InvalidInput for a bad price."""
    rules: dict[str, Any] = {}
    if split_list(form.tags_any.data):
        rules["tags_any"] = split_list(form.tags_any.data)
    if split_list(form.tags_all.data):
        rules["tags_all"] = split_list(form.tags_all.data)
    for key in ("min_price", "max_price"):
        amount = to_minor(form[key].data, DEFAULT_CURRENCY, key)
        if amount is not None:
            rules[key] = amount
    category = as_id(form.category.data)
    if category is not None:
        rules["category_id"] = category
    return rules


def resolve_products(text: str) -> list[int]:
    """Comma- or space-separated product ids or slugs as product ids, in the order given.
    Raises InvalidInput naming the ones that match no product."""
    items = [i for i in text.replace(",", " ").split() if i]
    if not items:
        raise InvalidInput("products: name at least one", fields={"products": "name one"})
    if len(items) > MAX_ADDED:
        raise InvalidInput(
            f"products: at most {MAX_ADDED} at a time", fields={"products": "too many"}
        )
    ids = {i: as_id(i) for i in items}
    rows = db.session.execute(
        select(Product.id, Product.slug).where(
            or_(
                Product.id.in_([v for v in ids.values() if v is not None]),
                Product.slug.in_(items),
            )
        )
    ).all()
    by_id = {r.id: r.id for r in rows}
    by_slug = {r.slug: r.id for r in rows}
    found, missing = [], []
    for item in items:
        ident = by_id.get(ids[item]) if ids[item] is not None else None
        ident = ident or by_slug.get(item)
        if ident is None:
            missing.append(item)
        else:
            found.append(ident)
    if missing:
        problem = "no product " + ", ".join(missing)
        raise InvalidInput(f"products: {problem}", fields={"products": problem})
    return list(dict.fromkeys(found))


def product_counts(collections: list[Collection]) -> dict[int, int]:
    """{collection id: number of products} for a page of collections."""
    manual = [c.id for c in collections if c.kind == "manual"]
    counts: dict[int, int] = {}
    if manual:
        counts.update(
            db.session.execute(
                select(CollectionProduct.collection_id, func.count())
                .where(CollectionProduct.collection_id.in_(manual))
                .group_by(CollectionProduct.collection_id)
            ).all()
        )
    for collection in collections:
        if collection.kind == "rule":
            members = service.members_query(collection).order_by(None).subquery()
            counts[collection.id] = db.session.scalar(select(func.count()).select_from(members))
    return counts


def _title_link(view: Any, _context: Any, model: Collection, _name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        view.get_url(".details_view", id=model.id), model.title
    )


def _count_cell(_view: Any, _context: Any, model: Collection, _name: str) -> str:
    return str(g.get("collection_counts", {}).get(model.id, 0))


def _rules_cell(_view: Any, _context: Any, model: Collection, _name: str) -> str:
    return describe_rules(model.rules or {})


def describe_rules(rules: dict[str, Any]) -> str:
    """A rule set in words: "tags any of: gift; price at least 10.00 EUR"."""
    parts = []
    if rules.get("tags_any"):
        parts.append("tags any of: " + ", ".join(rules["tags_any"]))
    if rules.get("tags_all"):
        parts.append("tags all of: " + ", ".join(rules["tags_all"]))
    if "min_price" in rules:
        parts.append("price at least " + format_money(rules["min_price"], DEFAULT_CURRENCY))
    if "max_price" in rules:
        parts.append("price at most " + format_money(rules["max_price"], DEFAULT_CURRENCY))
    if "category_id" in rules:
        path = category_paths().get(rules["category_id"], str(rules["category_id"]))
        parts.append("in " + path)
    return "; ".join(parts)


class CollectionAdmin(CatalogModelView):
    """Collections: list, create, edit, details with members; manual ones get products added,
    removed and reordered there. Never deleted here (unpublish instead)."""

    audit_object_type = "collection"
    create_enabled = edit_enabled = True
    delete_enabled = False
    method_actions = {"add_products": "edit", "remove_product": "edit", "move_product": "edit"}

    column_list = ("title", "kind", "is_published", "products", "updated_at")
    column_labels = {"is_published": "Published", "updated_at": "Updated"}
    column_sortable_list = ("title", "kind", "is_published", "updated_at")
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("title", "slug")
    column_filters = ("kind", "is_published")
    column_formatters = {"title": _title_link, "products": _count_cell}
    column_details_list = (
        "id", "title", "slug", "kind", "rules", "description", "is_published", "created_at",
        "updated_at",
    )  # fmt: skip
    column_formatters_detail = {"rules": _rules_cell}
    form = CollectionForm
    details_template = "backoffice/catalog/collection_details.html"

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute:
            g.collection_counts = product_counts(list(rows))
        return count, rows

    def get_create_form(self) -> type[CollectionForm]:
        return CollectionForm

    def create_form(self, obj: Any = None) -> CollectionForm:
        form = CollectionForm()
        form.category.choices = form_choices(category_choices(blank="-"))
        return form

    def create_model(self, form: CollectionForm) -> Collection | bool:
        try:
            rules = _rules(form) if form.kind.data == "rule" else None
            return service.create_collection(
                title=form.title.data,
                kind=form.kind.data,
                rules=rules,
                description=form.description.data or "",
                is_published=bool(form.is_published.data),
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form, FIELD_NAMES)
            return False

    def get_edit_form(self) -> type[CollectionEditForm]:
        return CollectionEditForm

    def edit_form(self, obj: Collection | None = None) -> CollectionEditForm:
        initial: dict[str, Any] = {}
        if obj is not None:
            rules = obj.rules or {}
            initial = {
                "title": obj.title,
                "slug": obj.slug,
                "description": obj.description,
                "is_published": obj.is_published,
                "tags_any": ", ".join(rules.get("tags_any", ())),
                "tags_all": ", ".join(rules.get("tags_all", ())),
                "min_price": major_units(rules.get("min_price"), DEFAULT_CURRENCY),
                "max_price": major_units(rules.get("max_price"), DEFAULT_CURRENCY),
                "category": str(rules["category_id"]) if "category_id" in rules else "",
            }
        form = CollectionEditForm(data=initial)
        if obj is not None and obj.kind != "rule":
            for name in RULE_FIELDS:
                delattr(form, name)
        else:
            form.category.choices = form_choices(category_choices(blank="-"))
        return form

    def update_model(self, form: CollectionEditForm, model: Collection) -> bool:
        changes: dict[str, Any] = {
            "title": form.title.data,
            "slug": form.slug.data,
            "description": form.description.data or "",
            "is_published": bool(form.is_published.data),
        }
        try:
            if model.kind == "rule":
                changes["rules"] = _rules(form)
            service.update_collection(model.id, changes, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            show_error(exc, form, FIELD_NAMES)
            return False
        return True

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # -- details --

    def render(self, template: str, **kwargs: Any) -> str:
        model = kwargs.get("model")
        if model is not None and template == self.details_template:
            kwargs["members"] = service.members(model.id, limit=MEMBERS_SHOWN)
            kwargs["members_limit"] = MEMBERS_SHOWN
            kwargs["add_form"] = kwargs.get("add_form") or AddProductsForm(formdata=None)
            kwargs["may_edit"] = self.allowed("edit")
            kwargs["rules_text"] = describe_rules(model.rules or {})
        return super().render(template, **kwargs)

    def _collection(self, collection_id: int) -> Collection:
        collection = db.session.get(Collection, collection_id)
        if collection is None:
            abort(404)
        return collection

    def _back(self, collection_id: int):
        return redirect(self.get_url(".details_view", id=collection_id))

    @expose("/<int:collection_id>/add", methods=("POST",))
    def add_products(self, collection_id: int):
        """Append the named products (ids or slugs) to a manual collection."""
        self._collection(collection_id)
        form = AddProductsForm()
        if form.validate():
            try:
                ids = resolve_products(form.products.data)
                added = service.add_products(collection_id, ids, actor=current_actor())
            except DomainError as exc:
                db.session.rollback()
                show_error(exc, form)
            else:
                skipped = len(ids) - added
                note = f" ({skipped} already in it)" if skipped else ""
                flash(f"{added} product(s) added{note}.", "success")
                return self._back(collection_id)
        else:
            flash("Name the products to add: ids or slugs, separated by commas.", "error")
        return self.render(
            self.details_template,
            model=self._collection(collection_id),
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=self.get_url(".index_view"),
            add_form=form,
        )

    @expose("/<int:collection_id>/remove/<int:product_id>", methods=("POST",))
    def remove_product(self, collection_id: int, product_id: int):
        self._collection(collection_id)
        if not FlaskForm().validate():
            abort(400)
        try:
            removed = service.remove_products(collection_id, [product_id], actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash("Product removed." if removed else "The product was not in it.", "success")
        return self._back(collection_id)

    @expose("/<int:collection_id>/move/<int:product_id>", methods=("POST",))
    def move_product(self, collection_id: int, product_id: int):
        """Move a product of a manual collection to the position its button carries (up, down,
        to the top) and go back to the collection."""
        self._collection(collection_id)
        if not FlaskForm().validate():
            abort(400)
        position = as_id(request.form.get("position"))
        try:
            if position is None:
                raise InvalidInput("position: choose one", fields={"position": "choose one"})
            service.move_product(collection_id, product_id, position, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"Product moved to position {position}.", "success")
        return self._back(collection_id)


def collection_views() -> list[Any]:
    return [
        CollectionAdmin(
            Collection, db.session, name="Collections", endpoint="collections", category="Catalog"
        )
    ]
