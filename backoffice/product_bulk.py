"""Bulk actions of the product list: publish, unpublish and archive straight from the list (after
the browser's confirmation); prices, category and tags through a confirmation page that shows
the selection and asks for the value. Each applies through commerce.catalog.service, all or
nothing."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from backoffice.catalog import (
    category_choices,
    exponent,
    form_choices,
    parse_ids,
    show_error,
    split_list,
    to_minor,
)
from backoffice.security import current_actor, has_permission
from commerce import db
from commerce.catalog import service as catalog
from commerce.catalog.models import Product, Variant
from commerce.errors import DomainError, InvalidInput

PREVIEW_TITLES = 20


class PriceForm(FlaskForm):
    mode = RadioField(
        "Change by",
        choices=form_choices([("percent", "Percentage"), ("amount", "Amount")]),
        default="percent",
        validators=[DataRequired()],
    )
    value = StringField(
        "Value",
        validators=[DataRequired(), Length(max=20)],
        description="Negative lowers prices: -10 with Percentage takes 10% off every variant, "
        "-2.50 with Amount takes 2.50 off. Prices round half up to the cent.",
    )


class CategoryForm(FlaskForm):
    category = SelectField("Move to category", choices=[])


class TagsForm(FlaskForm):
    mode = RadioField(
        "Change",
        choices=form_choices(
            [
                ("add", "Add these tags"),
                ("remove", "Remove these tags"),
                ("replace", "Replace all tags with these"),
            ]
        ),
        default="add",
        validators=[DataRequired()],
    )
    tags = StringField("Tags", description="Comma-separated, e.g. summer, sale")


# kind -> the form field its value is typed in
BULK_INPUTS = {"price": "value", "category": "category", "tags": "tags"}
BULK_PAGES: dict[str, tuple[str, type[FlaskForm]]] = {
    "price": ("Change prices", PriceForm),
    "category": ("Set category", CategoryForm),
    "tags": ("Change tags", TagsForm),
}


class ProductBulkMixin:
    """Mixed into ProductAdmin: the list's bulk actions and their confirmation page."""

    def _set_status(self, ids: list[str], status: str, done: str) -> None:
        selected = parse_ids(ids)
        try:
            changed = catalog.set_status(selected, status, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return
        unchanged = len(selected) - changed
        note = f" ({unchanged} already were)" if unchanged else ""
        flash(f"{changed} products updated: {done}{note}.", "success")

    @action(
        "publish",
        "Publish",
        "Publish the selected products? Active products are on sale in the shop right away.",
    )
    def action_publish(self, ids: list[str]) -> None:
        self._set_status(ids, "active", "published")

    @action(
        "unpublish",
        "Unpublish",
        "Unpublish the selected products? They go back to draft and leave the shop.",
    )
    def action_unpublish(self, ids: list[str]) -> None:
        self._set_status(ids, "draft", "unpublished")

    @action(
        "archive",
        "Archive",
        "Archive the selected products? They leave the shop; orders and reports keep them.",
    )
    def action_archive(self, ids: list[str]) -> None:
        self._set_status(ids, "archived", "archived")

    def _to_bulk_page(self, kind: str, ids: list[str]):
        return redirect(
            self.get_url(  # type: ignore[attr-defined]
                ".bulk", kind=kind, id=parse_ids(ids), url=get_redirect_target()
            )
        )

    @action("change_prices", "Change prices…")
    def action_change_prices(self, ids: list[str]):
        return self._to_bulk_page("price", ids)

    @action("set_category", "Set category…")
    def action_set_category(self, ids: list[str]):
        return self._to_bulk_page("category", ids)

    @action("change_tags", "Add or remove tags…")
    def action_change_tags(self, ids: list[str]):
        return self._to_bulk_page("tags", ids)

    @action("adjust_stock", "Adjust stock…")
    def action_adjust_stock(self, ids: list[str]):
        # The page belongs to the inventory screens (backoffice.inventory), under their permission.
        return redirect(
            url_for("stock_levels.bulk_adjust", id=parse_ids(ids), url=get_redirect_target())
        )

    def is_action_allowed(self, name: str) -> bool:
        allowed = super().is_action_allowed(name)  # type: ignore[misc]
        return allowed and (name != "adjust_stock" or has_permission("inventory.adjust"))

    @expose("/bulk/<kind>", methods=("GET", "POST"))
    def bulk(self, kind: str):
        """GET: the selection and the form of one bulk edit. POST: apply it through the service
        and go back to the list, or show the page again with what is wrong (nothing changed)."""
        if kind not in BULK_PAGES:
            abort(404)
        title, form_class = BULK_PAGES[kind]
        ids = parse_ids(request.values.getlist("id"))
        form = form_class()
        if isinstance(form, CategoryForm):
            form.category.choices = form_choices(category_choices(blank="(no category)"))
        return_url = get_redirect_target() or self.get_url(".index_view")  # type: ignore[attr-defined]
        if request.method == "POST" and form.validate():
            try:
                message = self._apply(kind, ids, form)
            except DomainError as exc:
                db.session.rollback()
                show_error(
                    exc, form, {"percent": "value", "amount": "value", "category_id": "category"}
                )
                # A variant's problem (a price below zero) has no field of its own on this page.
                if not any(field.errors for field in form):
                    form[BULK_INPUTS[kind]].errors = [exc.message.partition(": ")[2] or exc.message]
            else:
                flash(message, "success")
                return redirect(return_url)
        titles = db.session.scalars(
            select(Product.title)
            .where(Product.id.in_(ids))
            .order_by(Product.id)
            .limit(PREVIEW_TITLES)
        ).all()
        return self.render(  # type: ignore[attr-defined]
            "backoffice/catalog/bulk.html",
            title=title,
            kind=kind,
            form=form,
            ids=ids,
            titles=titles,
            return_url=return_url,
        )

    def _apply(self, kind: str, ids: list[int], form: Any) -> str:
        """Run one bulk edit; returns the success message. Raises DomainError."""
        actor = current_actor()
        if kind == "price":
            value = form.value.data.strip().rstrip("%").strip()
            if form.mode.data == "percent":
                changed = catalog.change_prices(ids, percent=value, actor=actor)
            else:
                amount = to_minor(value, _selection_currency(ids), "value")
                changed = catalog.change_prices(ids, amount=amount, actor=actor)
            return f"{len(ids)} products updated: {changed} variant prices changed."
        if kind == "category":
            category_id = int(form.category.data) if form.category.data else None
            changed = catalog.set_category(ids, category_id, actor=actor)
        else:
            changed = catalog.set_tags(
                ids, split_list(form.tags.data), mode=form.mode.data, actor=actor
            )
        return f"{changed} products updated."


def _selection_currency(ids: list[int]) -> str | None:
    """The currency whose minor unit an amount typed for the selection's variants is in. Raises
    InvalidInput when they mix currencies with different decimals."""
    currencies = db.session.scalars(
        select(func.distinct(Variant.currency)).where(Variant.product_id.in_(ids))
    ).all()
    if len({exponent(c) for c in currencies}) > 1:
        problem = "the selection mixes currencies with different decimals; change them apart"
        raise InvalidInput(f"value: {problem}", fields={"value": problem})
    return currencies[0] if currencies else None
