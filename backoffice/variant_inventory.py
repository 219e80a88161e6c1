"""A variant's inventory settings on its page: backorder policy and low-stock threshold, and the
safety stock of each warehouse that holds it. Mixed into VariantAdmin; the forms need the
"inventory.adjust" permission and every write goes through commerce.inventory.service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, Optional

from backoffice.catalog import form_choices, show_error
from backoffice.security import current_actor, deny, has_permission
from commerce import db
from commerce.catalog.models import Variant
from commerce.errors import DomainError
from commerce.inventory import service as inventory
from commerce.inventory.models import VariantInventory, Warehouse

ADJUST = "inventory.adjust"
POLICY_LABELS = {
    "deny": "Refuse: sell only what is on the shelf",
    "allow": "Allow: keep selling when stock runs out (backorders)",
}


class InventoryPolicyForm(FlaskForm):
    backorder_policy = SelectField(
        "Backorders", choices=form_choices(POLICY_LABELS.items()), default="deny"
    )
    low_stock_threshold = IntegerField(
        "Low-stock threshold",
        validators=[Optional()],
        description="Alert (in the hourly low-stock email) when the units available over all "
        "warehouses fall to this; empty for no alerts.",
    )


class SafetyStockForm(FlaskForm):
    safety_stock = IntegerField("Safety stock", validators=[InputRequired()])


def current_policy(variant_id: int) -> tuple[str, int | None]:
    """(backorder policy, low-stock threshold) of a variant; a variant without settings denies
    backorders and has no threshold."""
    settings = db.session.get(VariantInventory, variant_id)
    if settings is None:
        return "deny", None
    return settings.backorder_policy, settings.low_stock_threshold


class VariantInventoryMixin:
    """Mixed into VariantAdmin: the inventory settings forms of the variant's page and the two
    POST handlers behind them."""

    def inventory_context(self, variant: Variant, page: Mapping[str, Any]) -> dict[str, Any]:
        """What the variant's page needs to show (and, with inventory.adjust, edit) its inventory
        settings. `page` is the page's context so far: its `stock_levels`, and the forms of a
        failed POST (`policy_form`, `safety_forms`), which are shown again as typed."""
        policy, threshold = current_policy(variant.id)
        bound_safety = page.get("safety_forms") or {}
        safety_forms = {
            level.warehouse_id: bound_safety.get(level.warehouse_id)
            or SafetyStockForm(formdata=None, data={"safety_stock": level.safety_stock})
            for level in page.get("stock_levels") or ()
        }
        return {
            "may_adjust_stock": has_permission(ADJUST),
            "policy_text": POLICY_LABELS.get(policy, policy),
            "low_stock_threshold": threshold,
            "policy_form": page.get("policy_form")
            or InventoryPolicyForm(
                formdata=None,
                data={"backorder_policy": policy, "low_stock_threshold": threshold},
            ),
            "safety_forms": safety_forms,
            "page_url": page.get("page_url") or request.url,
        }

    def _variant(self, variant_id: int) -> Variant:
        variant = db.session.get(Variant, variant_id)
        if variant is None:
            abort(404)
        return variant

    def _back(self, variant_id: int):
        details = self.get_url(".details_view", id=variant_id)  # type: ignore[attr-defined]
        return redirect(get_redirect_target() or details)

    def _render_again(self, variant_id: int, **bound: Any) -> str:
        """The variant's details page with the forms of a failed POST (nothing was written)."""
        db.session.rollback()
        variant = self._variant(variant_id)
        return self.render(  # type: ignore[attr-defined]
            self.details_template,  # type: ignore[attr-defined]
            model=variant,
            details_columns=self._details_columns,  # type: ignore[attr-defined]
            get_value=self.get_detail_value,  # type: ignore[attr-defined]
            return_url=self.get_url(".index_view"),  # type: ignore[attr-defined]
            page_url=get_redirect_target() or request.url,
            **bound,
        )

    @expose("/<int:variant_id>/inventory-policy", methods=("POST",))
    def inventory_policy(self, variant_id: int):
        """Set the variant's backorder policy and low-stock threshold through the service; on an
        error show the page again with the form as typed and the field named."""
        if not has_permission(ADJUST):
            return deny(ADJUST)
        variant = self._variant(variant_id)
        form = InventoryPolicyForm()
        if form.validate():
            try:
                inventory.set_inventory_policy(
                    variant.id,
                    form.backorder_policy.data,
                    form.low_stock_threshold.data,
                    actor=current_actor(),
                )
            except DomainError as exc:
                show_error(exc, form)
            else:
                flash(f"Inventory policy of {variant.sku} saved.", "success")
                return self._back(variant_id)
        else:
            flash("Check the highlighted field of the inventory policy.", "error")
        return self._render_again(variant_id, policy_form=form)

    @expose("/<int:variant_id>/safety-stock/<int:warehouse_id>", methods=("POST",))
    def safety_stock(self, variant_id: int, warehouse_id: int):
        """Set the units of the variant kept back from sale in one warehouse through the
        service; on an error show the page again with the field named."""
        if not has_permission(ADJUST):
            return deny(ADJUST)
        variant = self._variant(variant_id)
        warehouse = db.session.get(Warehouse, warehouse_id)
        if warehouse is None:
            abort(404)
        form = SafetyStockForm()
        if form.validate():
            try:
                level = inventory.set_safety_stock(
                    variant.id, warehouse.id, form.safety_stock.data, actor=current_actor()
                )
            except DomainError as exc:
                show_error(exc, form)
            else:
                flash(
                    f"Safety stock of {variant.sku} in {warehouse.code} set to "
                    f"{level.safety_stock}.",
                    "success",
                )
                return self._back(variant_id)
        else:
            flash(f"Safety stock in {warehouse.code}: type a whole number.", "error")
        return self._render_again(variant_id, safety_forms={warehouse_id: form})
