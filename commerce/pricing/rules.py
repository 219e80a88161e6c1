"""Staff use cases for prices: customer groups, their price lists and automatic promotions.

Each is one transaction that validates, writes, records an audit row and an event, and commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import Category, Product, Variant
from commerce.errors import Conflict, NotFound
from commerce.pricing.lookups import CUSTOMERS
from commerce.pricing.models import (
    PROMOTION_KINDS,
    PROMOTION_SCOPES,
    CustomerGroup,
    PriceListPrice,
    Promotion,
)
from commerce.pricing.validation import (
    currency_code,
    id_list,
    percent_value,
    problem,
    text_value,
    whole_number,
    window,
)

PROMOTION_FIELDS = (
    "name", "kind", "percent", "amount", "currency", "scope", "category_ids", "product_ids",
    "combinable", "is_active", "starts_at", "ends_at",
)  # fmt: skip


def create_customer_group(name: str, *, tax_exempt: bool = False, actor: Actor) -> CustomerGroup:
    """Create a customer group. Raises InvalidInput (name), Conflict (the name is taken)."""
    name = text_value(name, "name", max_length=120)
    if db.session.scalar(select(CustomerGroup.id).where(CustomerGroup.name == name)):
        raise Conflict(
            f"name: a customer group '{name}' exists", details={"fields": {"name": name}}
        )
    group = CustomerGroup(name=name, tax_exempt=bool(tax_exempt))
    db.session.add(group)
    db.session.flush()
    audit.record(
        actor,
        "customer_group.create",
        "customer_group",
        group.id,
        {"name": [None, name], "tax_exempt": [None, group.tax_exempt]},
    )
    events.record("customer_group.created", customer_group_id=group.id)
    db.session.commit()
    return group


def set_customer_group(customer_id: int, customer_group_id: int | None, *, actor: Actor) -> None:
    """Put a customer in a group (None: in none); their prices and tax follow at once. Raises
    NotFound (customer or group)."""
    if customer_group_id is not None and db.session.get(CustomerGroup, customer_group_id) is None:
        raise NotFound(
            f"customer_group_id: no customer group {customer_group_id}",
            details={"field": "customer_group_id"},
        )
    row = db.session.execute(
        select(CUSTOMERS.c.id, CUSTOMERS.c.customer_group_id)
        .where(CUSTOMERS.c.id == customer_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"customer_id: no customer {customer_id}", details={"field": "customer_id"})
    before = row.customer_group_id
    db.session.execute(
        update(CUSTOMERS)
        .where(CUSTOMERS.c.id == customer_id)
        .values(customer_group_id=customer_group_id)
    )
    if before != customer_group_id:
        audit.record(
            actor,
            "customer.set_group",
            "customer",
            customer_id,
            {"customer_group_id": [before, customer_group_id]},
        )
        events.record(
            "customer.group_changed", customer_id=customer_id, customer_group_id=customer_group_id
        )
    db.session.commit()


def set_group_price(
    customer_group_id: int, variant_id: int, price_amount: int, *, actor: Actor
) -> PriceListPrice:
    """Set a group's price for a variant (in the variant's currency), replacing any earlier one.
    Raises NotFound (group or variant), InvalidInput (price)."""
    whole_number(price_amount, "price_amount")
    if db.session.get(CustomerGroup, customer_group_id) is None:
        raise NotFound(f"no customer group {customer_group_id}", details={"field": "group"})
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"variant_id: no variant {variant_id}", details={"field": "variant_id"})
    entry = db.session.scalar(
        select(PriceListPrice)
        .where(
            PriceListPrice.customer_group_id == customer_group_id,
            PriceListPrice.variant_id == variant_id,
        )
        .with_for_update()
    )
    before = entry.price_amount if entry else None
    if entry is None:
        entry = PriceListPrice(customer_group_id=customer_group_id, variant_id=variant_id)
        db.session.add(entry)
    entry.price_amount, entry.currency = price_amount, variant.currency
    db.session.flush()
    audit.record(
        actor,
        "price_list.set",
        "customer_group",
        customer_group_id,
        {f"variant:{variant.sku}": [before, price_amount]},
    )
    events.record("price_list.changed", customer_group_id=customer_group_id, variant_id=variant_id)
    db.session.commit()
    return entry


def remove_group_price(customer_group_id: int, variant_id: int, *, actor: Actor) -> bool:
    """Drop a group's price for a variant (members pay the variant's price again). Returns whether
    there was one. Raises nothing for a price that is not there."""
    entry = db.session.scalar(
        select(PriceListPrice).where(
            PriceListPrice.customer_group_id == customer_group_id,
            PriceListPrice.variant_id == variant_id,
        )
    )
    if entry is None:
        return False
    audit.record(
        actor,
        "price_list.remove",
        "customer_group",
        customer_group_id,
        {f"variant:{variant_id}": [entry.price_amount, None]},
    )
    db.session.delete(entry)
    events.record("price_list.changed", customer_group_id=customer_group_id, variant_id=variant_id)
    db.session.commit()
    return True


def check_targets(scope: str, category_ids: list[int], product_ids: list[int], whole: str) -> None:
    """A scope's targets exist and fit it (`whole` is the scope meaning everything). Raises
    InvalidInput naming category_ids / product_ids."""
    if scope == whole:
        if category_ids or product_ids:
            raise problem("scope", f"'{whole}' takes no categories or products")
        return
    field, model, ids = (
        ("category_ids", Category, category_ids)
        if scope == "categories"
        else ("product_ids", Product, product_ids)
    )
    other = product_ids if scope == "categories" else category_ids
    if not ids:
        raise problem(field, f"name at least one for scope '{scope}'")
    if other:
        raise problem("scope", f"'{scope}' takes only {field}")
    found = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise problem(field, f"no such ids: {', '.join(map(str, missing))}")


def create_promotion(
    name: str,
    kind: str,
    *,
    percent: Decimal | str | int | None = None,
    amount: int | None = None,
    currency: str | None = None,
    scope: str = "all",
    category_ids: Sequence[int] = (),
    product_ids: Sequence[int] = (),
    combinable: bool = False,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    actor: Actor,
) -> Promotion:
    """Create an automatic promotion: `percent` off (kind "percentage") or `amount` off each unit
    in `currency` (kind "fixed"), for everything, some categories (with their subcategories) or
    some products, between `starts_at` and `ends_at`. Raises InvalidInput naming the field."""
    values: dict[str, Any] = {"name": text_value(name, "name", max_length=120)}
    if kind not in PROMOTION_KINDS:
        raise problem("kind", f"must be one of {', '.join(PROMOTION_KINDS)}")
    if scope not in PROMOTION_SCOPES:
        raise problem("scope", f"must be one of {', '.join(PROMOTION_SCOPES)}")
    if kind == "percentage":
        if amount is not None:
            raise problem("amount", "a percentage promotion takes a percent, not an amount")
        values.update(percent=percent_value(percent), amount=None)
        values["currency"] = currency_code(currency) if currency else None
    else:
        if percent is not None:
            raise problem("percent", "a fixed promotion takes an amount, not a percent")
        values.update(
            percent=None,
            amount=whole_number(amount, "amount", minimum=1),
            currency=currency_code(currency),
        )
    categories, products = (
        id_list(category_ids, "category_ids"),
        id_list(product_ids, "product_ids"),
    )
    check_targets(scope, categories, products, "all")
    values["starts_at"], values["ends_at"] = window(starts_at, ends_at)
    promotion = Promotion(
        kind=kind,
        scope=scope,
        category_ids=categories,
        product_ids=products,
        combinable=bool(combinable),
        is_active=True,
        **values,
    )
    db.session.add(promotion)
    db.session.flush()
    audit.record(
        actor,
        "promotion.create",
        "promotion",
        promotion.id,
        audit.diff({}, audit.snapshot(promotion, PROMOTION_FIELDS)),
    )
    events.record("promotion.created", promotion_id=promotion.id)
    db.session.commit()
    return promotion


def set_promotion_active(promotion_id: int, active: bool, *, actor: Actor) -> Promotion:
    """Switch a promotion on or off. Raises NotFound."""
    promotion = db.session.get(Promotion, promotion_id, with_for_update=True)
    if promotion is None:
        raise NotFound(f"no promotion {promotion_id}", details={"promotion_id": promotion_id})
    if promotion.is_active != bool(active):
        audit.record(
            actor,
            "promotion.update",
            "promotion",
            promotion.id,
            {"is_active": [promotion.is_active, bool(active)]},
        )
        promotion.is_active = bool(active)
        events.record("promotion.updated", promotion_id=promotion.id)
    db.session.commit()
    return promotion
