"""Catalog use cases: products, variants and their bulk edits. Each call is one transaction.

Every write records an audit row per changed object (with the before/after diff) and a
`product.created` / `product.updated` event, which search indexing and caches subscribe to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import nh3
from slugify import slugify
from sqlalchemy import func, select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog import slugs
from commerce.catalog.attributes import validate_attributes, validate_options
from commerce.catalog.models import PRODUCT_STATUSES, Brand, Category, Product, Variant
from commerce.catalog.types import ProductType
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, NotFound

PRODUCT_FIELDS = (
    "title", "slug", "description", "status", "category_id", "brand_id", "product_type_id",
    "tags", "attributes", "seo_title", "seo_description", "published_at",
)  # fmt: skip
VARIANT_FIELDS = (
    "sku", "barcode", "option_values", "price_amount", "compare_at_amount", "cost_amount",
    "currency", "weight_grams", "length_mm", "width_mm", "height_mm", "tax_class",
    "shipping_class", "is_digital", "gift_card_value_amount",
)  # fmt: skip
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_TAGS = 50


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", fields={field: problem})


# --- lookups -------------------------------------------------------------------------------------


def get_product(product_id: int) -> Product:
    """The product with `product_id`. Raises NotFound."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"Product {product_id} does not exist.")
    return product


def get_variant(variant_id: int) -> Variant:
    """The variant with `variant_id`. Raises NotFound."""
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"Variant {variant_id} does not exist.")
    return variant


def _check_ref(model: type, ident: int | None, field: str) -> None:
    if ident is not None and db.session.get(model, ident) is None:
        raise _invalid(field, f"no such {model.__name__.lower()} ({ident})")


# --- values --------------------------------------------------------------------------------------


def unique_slug(text: str, *, taken_by: int | None = None) -> str:
    """A product slug made from `text`, with -2, -3 ... appended until no other product has it."""
    return slugs.unique_slug(Product, text, fallback="product", except_id=taken_by)


def clean_description(html: str | None) -> str:
    """Rich-text description with scripts, styles, event handlers and unknown tags removed."""
    return nh3.clean(html or "", link_rel="noopener noreferrer nofollow").strip()


def _clean_tags(tags: Iterable[str]) -> list[str]:
    clean = sorted({t.strip().lower() for t in tags if t and t.strip()})
    if len(clean) > MAX_TAGS:
        raise _invalid("tags", f"at most {MAX_TAGS} tags")
    if any(len(t) > 60 for t in clean):
        raise _invalid("tags", "each tag at most 60 characters")
    return clean


def validate_product_values(
    values: dict[str, Any],
    product: Product | None,
    *,
    slug_owners: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Validate and normalise product fields (for create and update). Raises InvalidInput, and
    Conflict for a slug another product has. A caller that has already loaded the products
    owning the slugs in question (an import) passes them as `slug_owners` {slug: product id},
    which the slug check then reads instead of the database."""
    out = dict(values)
    if "title" in out:
        out["title"] = (out["title"] or "").strip()
        if not out["title"]:
            raise _invalid("title", "is required")
        if len(out["title"]) > 255:
            raise _invalid("title", "must be at most 255 characters")
    if out.get("slug"):
        out["slug"] = out["slug"].strip().lower()
        if not SLUG_RE.match(out["slug"]) or len(out["slug"]) > 255:
            raise _invalid("slug", "use lowercase letters, digits and single hyphens")
        if slug_owners is not None:
            owner = slug_owners.get(out["slug"])
        else:
            owner = db.session.scalar(select(Product.id).where(Product.slug == out["slug"]))
        if owner is not None and (product is None or owner != product.id):
            raise Conflict(
                f"slug: {out['slug']} is already used by another product", details={"field": "slug"}
            )
    if "status" in out and out["status"] not in PRODUCT_STATUSES:
        raise _invalid("status", f"must be one of {', '.join(PRODUCT_STATUSES)}")
    if "description" in out:
        out["description"] = clean_description(out["description"])
    if "tags" in out:
        out["tags"] = _clean_tags(out["tags"] or [])
    for field, limit in (("seo_title", 255), ("seo_description", 320)):
        if out.get(field) and len(out[field]) > limit:
            raise _invalid(field, f"must be at most {limit} characters")
    _check_ref(Category, out.get("category_id"), "category_id")
    _check_ref(Brand, out.get("brand_id"), "brand_id")
    _check_ref(ProductType, out.get("product_type_id"), "product_type_id")
    type_id = out.get("product_type_id", product.product_type_id if product else None)
    if "attributes" in out or "product_type_id" in out:
        raw = out.get("attributes", product.attributes if product else {}) or {}
        ptype = db.session.get(ProductType, type_id) if type_id else None
        out["attributes"] = validate_attributes(ptype, raw)
    return out


# --- products ------------------------------------------------------------------------------------


def create_product(*, title: str, actor: Actor, **values: Any) -> Product:
    """Create a product (draft unless `status` says otherwise). Raises InvalidInput, Conflict."""
    unknown = set(values) - set(PRODUCT_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], "is not a product field")
    clean = validate_product_values({"title": title, **values}, None)
    clean.setdefault("slug", None)
    clean["slug"] = clean["slug"] or unique_slug(clean["title"])
    clean.setdefault("attributes", {})
    if clean.get("status") == "active" and not clean.get("published_at"):
        clean["published_at"] = utcnow()
    product = Product(**clean)
    db.session.add(product)
    db.session.flush()
    audit.record(
        actor,
        "product.create",
        "product",
        product.id,
        audit.diff({}, audit.snapshot(product, PRODUCT_FIELDS)),
    )
    events.record("product.created", product_id=product.id)
    db.session.commit()
    return product


def update_product(product_id: int, changes: Mapping[str, Any], *, actor: Actor) -> Product:
    """Change product fields. Raises NotFound, InvalidInput, Conflict."""
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], "is not a product field")
    product = get_product(product_id)
    values = dict(changes)
    if "slug" in values and not values["slug"]:
        values["slug"] = unique_slug(values.get("title") or product.title, taken_by=product.id)
    clean = validate_product_values(values, product)
    _apply(product, clean, actor)
    db.session.commit()
    return product


def _apply(product: Product, clean: Mapping[str, Any], actor: Actor) -> bool:
    before = audit.snapshot(product, PRODUCT_FIELDS)
    for name, value in clean.items():
        setattr(product, name, value)
    if product.status == "active" and product.published_at is None:
        product.published_at = utcnow()
    changed = audit.diff(before, audit.snapshot(product, PRODUCT_FIELDS))
    if changed:
        audit.record(actor, "product.update", "product", product.id, changed)
        events.record("product.updated", product_id=product.id, fields=sorted(changed))
    return bool(changed)


def _products(product_ids: Sequence[int]) -> list[Product]:
    ids = sorted(set(product_ids))
    if not ids:
        raise _invalid("product_ids", "select at least one product")
    # Lock in id order so two bulk edits over overlapping selections cannot deadlock.
    found = list(
        db.session.scalars(
            select(Product).where(Product.id.in_(ids)).order_by(Product.id).with_for_update()
        )
    )
    missing = set(ids) - {p.id for p in found}
    if missing:
        raise NotFound(f"Products {', '.join(map(str, sorted(missing)))} do not exist.")
    return found


def set_status(product_ids: Sequence[int], status: str, *, actor: Actor) -> int:
    """Publish ("active"), unpublish ("draft") or archive products in one go. Returns how many
    changed. Raises InvalidInput, NotFound; nothing changes unless every product can."""
    if status not in PRODUCT_STATUSES:
        raise _invalid("status", f"must be one of {', '.join(PRODUCT_STATUSES)}")
    changed = sum(_apply(p, {"status": status}, actor) for p in _products(product_ids))
    db.session.commit()
    return changed


def set_category(product_ids: Sequence[int], category_id: int | None, *, actor: Actor) -> int:
    """Move products into a category (None: no category). Returns how many changed."""
    _check_ref(Category, category_id, "category_id")
    changed = sum(_apply(p, {"category_id": category_id}, actor) for p in _products(product_ids))
    db.session.commit()
    return changed


def set_tags(
    product_ids: Sequence[int], tags: Iterable[str], *, mode: str = "add", actor: Actor
) -> int:
    """Add, remove or replace tags on products. Raises InvalidInput. Returns how many changed."""
    if mode not in ("add", "remove", "replace"):
        raise _invalid("mode", "must be add, remove or replace")
    given = set(_clean_tags(tags))
    changed = 0
    for product in _products(product_ids):
        current = set(product.tags or [])
        new = current | given if mode == "add" else current - given if mode == "remove" else given
        changed += _apply(product, {"tags": sorted(new)}, actor)
    db.session.commit()
    return changed


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def change_prices(
    product_ids: Sequence[int],
    *,
    percent: Decimal | str | None = None,
    amount: int | None = None,
    actor: Actor,
) -> int:
    """Change every variant price of the products by `percent` (e.g. "-10") or by `amount` minor
    units. Prices round half up to the minor unit. Raises InvalidInput naming the SKU that would go
    below zero; then nothing changes. Returns how many variants changed."""
    if (percent is None) == (amount is None):
        raise _invalid("percent", "give either a percentage or an amount")
    factor = None
    if percent is not None:
        try:
            factor = 1 + Decimal(str(percent)) / 100
        except ArithmeticError:
            raise _invalid("percent", "must be a number") from None
    products = _products(product_ids)
    variants = list(
        db.session.scalars(
            select(Variant)
            .where(Variant.product_id.in_([p.id for p in products]))
            .order_by(Variant.id)
            .with_for_update()
        )
    )
    changed = 0
    for variant in variants:
        old = variant.price_amount
        new = _round(old * factor) if factor is not None else old + int(amount or 0)
        if new < 0:
            raise InvalidInput(
                f"price: {variant.sku} would cost less than zero ({new})",
                fields={f"variants.{variant.sku}.price_amount": "below zero"},
            )
        if new != old:
            variant.price_amount = new
            audit.record(
                actor, "variant.update", "variant", variant.id, {"price_amount": [old, new]}
            )
            changed += 1
    for product in products:
        events.record("product.updated", product_id=product.id, fields=["price"])
    db.session.commit()
    return changed


# --- variants ------------------------------------------------------------------------------------


def validate_variant_values(
    values: dict[str, Any], product: Product, variant: Variant | None
) -> dict[str, Any]:
    """Validate and normalise variant fields for `product` (`variant` None when creating).

    Raises InvalidInput naming the field, Conflict for a taken SKU or option combination."""
    out = dict(values)
    if "sku" in out:
        out["sku"] = (out["sku"] or "").strip()
        if not SKU_RE.match(out["sku"]):
            raise _invalid("sku", "use 1-64 letters, digits, dots, dashes or underscores")
        clash = select(Variant.id).where(func.upper(Variant.sku) == out["sku"].upper())
        if variant is not None:
            clash = clash.where(Variant.id != variant.id)
        if db.session.scalar(clash) is not None:
            raise Conflict(
                f"sku: {out['sku']} is already used by another variant", details={"field": "sku"}
            )
    for field in (
        "price_amount",
        "compare_at_amount",
        "cost_amount",
        "weight_grams",
        "length_mm",
        "width_mm",
        "height_mm",
    ):
        if out.get(field) is not None:
            try:
                out[field] = int(out[field])
            except (TypeError, ValueError):
                raise _invalid(field, "must be a whole number") from None
            if out[field] < 0:
                raise _invalid(field, "must not be negative")
    if "option_values" in out:
        out["option_values"] = validate_options(product.product_type, out["option_values"] or {})
        _check_combination_free(product, out["option_values"], variant)
    if "currency" in out:
        out["currency"] = (out["currency"] or "").upper()
        if not re.fullmatch(r"[A-Z]{3}", out["currency"]):
            raise _invalid("currency", "must be a three-letter ISO code")
    _check_gift_card_value(out, variant)
    return out


def _check_gift_card_value(out: dict[str, Any], variant: Variant | None) -> None:
    """A gift card variant has a positive value and is digital (nothing to ship)."""
    if out.get("gift_card_value_amount") is not None:
        try:
            out["gift_card_value_amount"] = int(out["gift_card_value_amount"])
        except (TypeError, ValueError):
            raise _invalid("gift_card_value_amount", "must be a whole number") from None
        if out["gift_card_value_amount"] < 1:
            raise _invalid("gift_card_value_amount", "must be above 0")
    value = out.get("gift_card_value_amount", variant.gift_card_value_amount if variant else None)
    if value is None:
        return
    if not out.get("is_digital", variant.is_digital if variant else False):
        field = "is_digital" if "is_digital" in out else "gift_card_value_amount"
        raise _invalid(field, "a gift card variant must be digital")


def _check_combination_free(product: Product, options: dict, variant: Variant | None) -> None:
    if not options:
        return
    for other in product.variants:
        if other is not variant and other.option_values == options:
            label = " / ".join(str(v) for v in options.values())
            raise Conflict(
                f"options: {product.title} already has a {label} variant ({other.sku})",
                details={"field": "option_values"},
            )


def create_variant(
    product_id: int, *, sku: str, price_amount: int, actor: Actor, **values: Any
) -> Variant:
    """Add a variant to a product. Raises NotFound, InvalidInput, Conflict."""
    unknown = set(values) - set(VARIANT_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], "is not a variant field")
    product = get_product(product_id)
    if price_amount is None:
        raise _invalid("price_amount", "is required")
    clean = validate_variant_values(
        {"sku": sku, "price_amount": price_amount, **values}, product, None
    )
    variant = Variant(product=product, **clean)
    db.session.add(variant)
    db.session.flush()
    audit.record(
        actor,
        "variant.create",
        "variant",
        variant.id,
        audit.diff({}, audit.snapshot(variant, VARIANT_FIELDS)),
    )
    events.record("product.updated", product_id=product.id, fields=["variants"])
    db.session.commit()
    return variant


def update_variant(variant_id: int, changes: Mapping[str, Any], *, actor: Actor) -> Variant:
    """Change variant fields. Raises NotFound, InvalidInput, Conflict."""
    unknown = set(changes) - set(VARIANT_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], "is not a variant field")
    variant = get_variant(variant_id)
    clean = validate_variant_values(dict(changes), variant.product, variant)
    before = audit.snapshot(variant, VARIANT_FIELDS)
    for name, value in clean.items():
        setattr(variant, name, value)
    changed = audit.diff(before, audit.snapshot(variant, VARIANT_FIELDS))
    if changed:
        audit.record(actor, "variant.update", "variant", variant.id, changed)
        events.record("product.updated", product_id=variant.product_id, fields=["variants"])
    db.session.commit()
    return variant


def _sku_part(value: Any) -> str:
    return slugify(str(value), separator="", lowercase=False).upper()[:12] or "X"


def generate_variants(
    product_id: int,
    axes: Mapping[str, Sequence[Any]],
    *,
    price_amount: int,
    actor: Actor,
    sku_prefix: str | None = None,
) -> list[Variant]:
    """Create a variant for every combination of the chosen axis values, skipping combinations the
    product already has. SKUs read PREFIX-VALUE-VALUE. Returns the new variants.

    Raises NotFound, InvalidInput (an axis the product type lacks, a value outside its choices,
    a missing axis), Conflict (a generated SKU already taken by another product)."""
    product = get_product(product_id)
    ptype = product.product_type
    if ptype is None or not ptype.variant_axes:
        raise _invalid("axes", "the product's type has no variant options")
    codes = [a.code for a in ptype.variant_axes]
    missing = [c for c in codes if not axes.get(c)]
    if missing:
        raise InvalidInput(
            f"axes.{missing[0]}: choose at least one value",
            fields={f"axes.{c}": "choose at least one value" for c in missing},
        )
    extra = set(axes) - set(codes)
    if extra:
        code = sorted(extra)[0]
        raise _invalid(f"axes.{code}", "is not a variant option of this product type")
    combos: list[dict[str, Any]] = [{}]
    for code in codes:
        combos = [{**combo, code: value} for combo in combos for value in axes[code]]
    existing = [v.option_values for v in product.variants]
    prefix = (sku_prefix or _sku_part(product.slug)[:20]).upper()
    created: list[Variant] = []
    for combo in combos:
        options = validate_options(ptype, combo)
        if options in existing:
            continue
        sku = "-".join([prefix, *(_sku_part(options[c]) for c in codes)])
        clean = validate_variant_values(
            {"sku": sku, "price_amount": price_amount, "option_values": options}, product, None
        )
        variant = Variant(product=product, **clean)
        db.session.add(variant)
        existing.append(options)
        created.append(variant)
    db.session.flush()
    for variant in created:
        audit.record(
            actor,
            "variant.create",
            "variant",
            variant.id,
            audit.diff({}, audit.snapshot(variant, VARIANT_FIELDS)),
        )
    if created:
        events.record("product.updated", product_id=product.id, fields=["variants"])
    db.session.commit()
    return created
