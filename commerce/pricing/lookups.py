"""What a quote reads from the database: the lines' variants, the customer's group and price list,
running promotions, vouchers with their uses, gift cards, and the category tree. No writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import DateTime, Select, Table, bindparam, column, func, or_, select, table
from sqlalchemy.orm import aliased

from commerce import db
from commerce.catalog.models import Category, Product, Variant
from commerce.errors import NotFound
from commerce.pricing.errors import GiftCardRejected, VoucherRejected
from commerce.pricing.models import (
    CustomerGroup,
    GiftCard,
    PriceListPrice,
    Promotion,
    Voucher,
    VoucherRedemption,
)
from commerce.pricing.quotes import PricingLine
from commerce.tax.models import DEFAULT_TAX_CLASS

# customers.customer_group_id is pricing's column on the customers context's table (migration
# 0012); read through a lightweight table so the Customer model need not know about it.
CUSTOMERS: Table = table("customers", column("id"), column("customer_group_id"))


def normalise_voucher_code(code: str | None) -> str:
    """A voucher code as stored: stripped and upper case."""
    return (code or "").strip().upper()


def in_window(starts_at: dt.datetime | None, ends_at: dt.datetime | None, now: dt.datetime) -> str:
    """ "ok", "not_yet_valid" or "expired" for a validity window at `now`."""
    if starts_at is not None and now < starts_at:
        return "not_yet_valid"
    if ends_at is not None and now >= ends_at:
        return "expired"
    return "ok"


@dataclasses.dataclass(frozen=True, slots=True)
class Item:
    key: str
    variant_id: int
    product_id: int
    category_id: int | None
    sku: str
    title: str
    quantity: int
    price: int
    currency: str
    tax_class: str
    is_digital: bool


def variant_title(product_title: str, option_values: Mapping[str, str] | None) -> str:
    """ "Oxford Shirt (M, Blue)": the product's title with the variant's option values."""
    options = ", ".join(str(v) for v in (option_values or {}).values())
    return f"{product_title} ({options})" if options else product_title


# What an Item is read from: the variant and its product, as plain columns (no entity loading).
ITEM_COLUMNS = (
    Variant.id.label("variant_id"),
    Variant.product_id,
    Product.category_id,
    Variant.sku,
    Product.title.label("product_title"),
    Variant.option_values,
    Variant.price_amount,
    Variant.currency,
    Variant.tax_class,
    Variant.is_digital,
)


def item_of(key: str, quantity: int, row: Any) -> Item:
    """The Item of a line (`key`, `quantity`) from a row holding ITEM_COLUMNS."""
    return Item(
        key=key,
        variant_id=row.variant_id,
        product_id=row.product_id,
        category_id=row.category_id,
        sku=row.sku,
        title=variant_title(row.product_title, row.option_values),
        quantity=quantity,
        price=row.price_amount,
        currency=row.currency,
        tax_class=row.tax_class or DEFAULT_TAX_CLASS,
        is_digital=row.is_digital,
    )


def load_items(lines: Sequence[PricingLine | Item]) -> list[Item]:
    """The lines with their variants read (an Item a caller already read is kept as it is), in
    the lines' order. Raises NotFound naming a line whose variant does not exist."""
    ids = [line.variant_id for line in lines if not isinstance(line, Item)]
    found: dict[int, Any] = {}
    if ids:
        rows = db.session.execute(
            select(*ITEM_COLUMNS)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.id.in_(ids))
        )
        found = {row.variant_id: row for row in rows}
    items = []
    for line in lines:
        if isinstance(line, Item):
            items.append(line)
            continue
        if line.variant_id not in found:
            raise NotFound(
                f"line {line.key}: variant {line.variant_id} does not exist.",
                details={"line": line.key, "variant_id": line.variant_id},
            )
        items.append(item_of(line.key, line.quantity, found[line.variant_id]))
    return items


def _ancestors_statement() -> Select[Any]:
    parent = aliased(Category)
    up = (
        select(Category.id.label("start"), Category.id, Category.parent_id)
        .where(Category.id.in_(bindparam("category_ids", expanding=True)))
        .cte("up", recursive=True)
    )
    # UNION (not UNION ALL) ends the walk even if a bad edit ever made the tree a cycle.
    up = up.union(
        select(up.c.start, parent.id, parent.parent_id).join(parent, parent.id == up.c.parent_id)
    )
    return select(up.c.start, up.c.id)


_ANCESTORS = _ancestors_statement()


def category_ancestors(category_ids: Iterable[int]) -> dict[int, set[int]]:
    """{category_id: the ids of it and every category above it}, one recursive query."""
    ids = sorted({cid for cid in category_ids if cid is not None})
    if not ids:
        return {}
    found: dict[int, set[int]] = defaultdict(set)
    for start, category_id in db.session.execute(_ANCESTORS, {"category_ids": ids}):
        found[start].add(category_id)
    return dict(found)


def customer_group(customer_id: int | None) -> CustomerGroup | None:
    """The group `customer_id` belongs to, None for guests and customers in no group."""
    if customer_id is None:
        return None
    group_id = db.session.scalar(
        select(CUSTOMERS.c.customer_group_id).where(CUSTOMERS.c.id == customer_id)
    )
    return db.session.get(CustomerGroup, group_id) if group_id is not None else None


def price_list_prices(
    group: CustomerGroup | None, variant_ids: list[int], currency: str
) -> dict[int, int]:
    """{variant_id: price} from the group's price list in `currency` ({} for no group)."""
    if group is None:
        return {}
    rows = db.session.execute(
        select(PriceListPrice.variant_id, PriceListPrice.price_amount).where(
            PriceListPrice.customer_group_id == group.id,
            PriceListPrice.variant_id.in_(variant_ids),
            PriceListPrice.currency == currency,
        )
    )
    return {variant_id: price for variant_id, price in rows}


_NOW = bindparam("now", type_=DateTime(timezone=True))
_RUNNING_PROMOTIONS = (
    select(Promotion)
    .where(
        Promotion.is_active,
        or_(Promotion.starts_at.is_(None), Promotion.starts_at <= _NOW),
        or_(Promotion.ends_at.is_(None), Promotion.ends_at > _NOW),
        or_(Promotion.currency.is_(None), Promotion.currency == bindparam("currency")),
    )
    .order_by(Promotion.id)
)


def running_promotions(currency: str, now: dt.datetime) -> list[Promotion]:
    """Active promotions running at `now` that can apply in `currency`, by id."""
    return list(db.session.scalars(_RUNNING_PROMOTIONS, {"now": now, "currency": currency}))


def covers(
    scope: str,
    category_ids: Sequence[int],
    product_ids: Sequence[int],
    item: Any,
    ancestors: Mapping[int, set[int]],
) -> bool:
    """Whether a promotion's or voucher's scope covers a line's product."""
    if scope in ("all", "order"):
        return True
    if scope == "products":
        return item.product_id in product_ids
    line_categories = ancestors.get(item.category_id, set()) if item.category_id else set()
    return bool(line_categories.intersection(category_ids))


def redemptions_by(voucher_id: int, customer_id: int | None, email: str | None) -> int:
    """How often a customer (by id) or a guest (by email, any case) redeemed the voucher."""
    if customer_id is not None:
        who = VoucherRedemption.customer_id == customer_id
    elif email:
        who = func.lower(VoucherRedemption.email) == email.strip().lower()
    else:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(VoucherRedemption)
            .where(VoucherRedemption.voucher_id == voucher_id, who)
        )
        or 0
    )


def check_voucher_usable(
    voucher: Voucher | None,
    code: str,
    *,
    now: dt.datetime,
    customer_id: int | None,
    email: str | None,
) -> Voucher:
    """The voucher if its window and usage limits allow one more use now. Raises VoucherRejected
    (unknown, not_yet_valid, expired, used_up, customer_limit_reached)."""
    if voucher is None:
        raise VoucherRejected("unknown", code)
    window = in_window(voucher.starts_at, voucher.ends_at, now)
    if window != "ok":
        raise VoucherRejected(window, voucher.code)
    if voucher.usage_limit is not None and voucher.times_used >= voucher.usage_limit:
        raise VoucherRejected("used_up", voucher.code)
    limit = voucher.usage_limit_per_customer
    if limit is not None and redemptions_by(voucher.id, customer_id, email) >= limit:
        raise VoucherRejected("customer_limit_reached", voucher.code)
    return voucher


def find_voucher(code: str) -> Voucher | None:
    """The voucher with `code` (any case, surrounding spaces ignored), or None."""
    return db.session.scalar(select(Voucher).where(Voucher.code == normalise_voucher_code(code)))


def gift_card_problem(card: GiftCard, currency: str, now: dt.datetime) -> str | None:
    """Why `card` cannot pay in `currency` at `now` (a GIFT_CARD_REASONS key), None when it can."""
    if not card.is_active:
        return "disabled"
    if card.expires_at is not None and card.expires_at <= now:
        return "expired"
    if card.currency != currency:
        return "wrong_currency"
    if card.balance_amount <= 0:
        return "empty"
    return None


def check_gift_card(card: GiftCard | None, currency: str, now: dt.datetime) -> GiftCard:
    """The card if it can pay in `currency` now. Raises GiftCardRejected (unknown, disabled,
    expired, wrong_currency, empty)."""
    if card is None:
        raise GiftCardRejected("unknown")
    reason = gift_card_problem(card, currency, now)
    if reason is not None:
        raise GiftCardRejected(reason, extra={"last4": card.last4})
    return card
