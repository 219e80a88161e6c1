"""The fast write path of a catalog import: many validated product groups in a few statements.

`importer.apply` hands this module batches of product groups that `importer.plan` has already
validated against the database. Each batch is written with one multi-row statement per kind of
change (new products, changed products, new variants, changed variants, stock counts, audit rows,
outbox events), so an import costs a few round trips per few hundred rows instead of dozens per
row. The rules are still the catalog's: values come from `service.validate_*_values`, slugs from
the shared slug helper's scheme, stock from the inventory service, and the database's unique
constraints catch whatever changed between planning and writing (the caller then retries the
batch one group at a time through the per-call services, which name the row at fault).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb
from slugify import slugify
from sqlalchemy import or_, select, update

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import DEFAULT_CURRENCY, Product, Variant
from commerce.catalog.service import PRODUCT_FIELDS, VARIANT_FIELDS
from commerce.db import utcnow
from commerce.inventory.counts import Count, count_stock_many

if TYPE_CHECKING:
    from commerce.catalog.importer import ProductPlan

# Every column a new row may be given, with the value the model would default it to, so each
# multi-row INSERT has one shape (a must for RETURNING rows in parameter order).
_PRODUCT_DEFAULTS: dict[str, Any] = dict.fromkeys(PRODUCT_FIELDS) | {
    "description": "",
    "status": "draft",
    "tags": [],
    "attributes": {},
}
_VARIANT_DEFAULTS: dict[str, Any] = dict.fromkeys(VARIANT_FIELDS) | {
    "option_values": {},
    "currency": DEFAULT_CURRENCY,
    "tax_class": "standard",
    "shipping_class": "standard",
    "is_digital": False,
}


def _new_slugs(groups: Sequence[ProductPlan]) -> list[str]:
    """A free slug for each new product: its handle, else one made from its title with -2, -3
    ... appended past every slug taken in the database or earlier in this batch."""
    bases = [
        g.values.get("slug") or slugify(g.values["title"], max_length=200, word_boundary=True)
        for g in groups
    ]
    generated = {
        base or "product" for g, base in zip(groups, bases, strict=True) if not g.values.get("slug")
    }
    taken: set[str] = {g.values["slug"] for g in groups if g.values.get("slug")}
    if generated:
        ordered = sorted(generated)
        taken |= set(
            db.session.scalars(
                select(Product.slug).where(
                    or_(Product.slug.in_(ordered), *(Product.slug.like(f"{b}-%") for b in ordered))
                )
            )
        )
    out: list[str] = []
    for group, base in zip(groups, bases, strict=True):
        if group.values.get("slug"):
            out.append(group.values["slug"])
            continue
        slug, n = base or "product", 2
        while slug in taken:
            slug, n = f"{base or 'product'}-{n}", n + 1
        taken.add(slug)
        out.append(slug)
    return out


def _copy(table: str, ids: list[int], rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    db.copy_rows(
        table,
        ["id", *columns],
        (
            (new_id, *(Jsonb(row[c]) if isinstance(row[c], dict) else row[c] for c in columns))
            for new_id, row in zip(ids, rows, strict=True)
        ),
    )


def write_batch(groups: Sequence[ProductPlan], actor: Actor, *, reference: str) -> int:
    """Write planned product groups (create or update, with their variants and stock counts) in
    the current transaction, with an audit row per changed object and a product.created or
    product.updated event per product. Returns the number of stock counts written. Raises
    IntegrityError when a unique constraint refuses a row (a SKU or slug taken since planning)
    and DomainError from the inventory service; the caller's savepoint then undoes the batch."""
    s = db.session
    now = utcnow()
    audits: list[tuple[str, str, object, dict[str, Any]]] = []
    changed_products: dict[int, set[str]] = {}
    # Ids of the rows written here, by plan object, leaving the plans untouched: when the batch is
    # undone the caller writes the same plans again one by one.
    product_id: dict[int, int] = {id(g): g.product_id for g in groups if g.product_id}
    variant_id: dict[int, int] = {
        id(v): v.variant_id for g in groups for v in g.variants if v.variant_id
    }

    new = [g for g in groups if g.product_id is None]
    if new:
        rows = []
        for group, slug in zip(new, _new_slugs(new), strict=True):
            row = _PRODUCT_DEFAULTS | group.values | {"slug": slug}
            if row["status"] == "active" and not row["published_at"]:
                row["published_at"] = now
            rows.append(row)
        ids = db.reserve_ids("products", len(rows))
        _copy("products", ids, rows)
        for group, new_id, row in zip(new, ids, rows, strict=True):
            product_id[id(group)] = new_id
            audits.append(("product.create", "product", new_id, audit.diff({}, row)))
    created = {product_id[id(g)] for g in new}

    updates = [g for g in groups if g.product_id is not None and g.values]
    if updates:
        s.execute(update(Product), [{"id": g.product_id, **g.values} for g in updates])
        activated = [g.product_id for g in updates if g.values.get("status") == "active"]
        if activated:
            s.execute(
                update(Product)
                .where(Product.id.in_(activated), Product.published_at.is_(None))
                .values(published_at=now)
                .execution_options(synchronize_session=False)
            )
        for group in updates:
            assert group.product_id is not None
            changes = audit.diff(group.before, group.values)
            audits.append(("product.update", "product", group.product_id, changes))
            changed_products[group.product_id] = set(changes)

    new_variants = [(g, v) for g in groups for v in g.variants if v.action == "create"]
    if new_variants:
        rows = [
            _VARIANT_DEFAULTS | v.values | {"product_id": product_id[id(g)]}
            for g, v in new_variants
        ]
        ids = db.reserve_ids("variants", len(rows))
        _copy("variants", ids, rows)
        for (group, variant), new_id, row in zip(new_variants, ids, rows, strict=True):
            variant_id[id(variant)] = new_id
            row.pop("product_id")
            audits.append(("variant.create", "variant", new_id, audit.diff({}, row)))
            changed_products.setdefault(product_id[id(group)], set()).add("variants")

    variant_updates = [(g, v) for g in groups for v in g.variants if v.action == "update"]
    if changed := [(g, v) for g, v in variant_updates if v.values]:
        s.execute(update(Variant), [{"id": v.variant_id, **v.values} for _, v in changed])
        for group, variant in changed:
            changes = audit.diff(variant.before, variant.values)
            audits.append(("variant.update", "variant", variant.variant_id, changes))
            changed_products.setdefault(product_id[id(group)], set()).add("variants")

    counts = [
        Count(variant_id[id(v)], warehouse_id, counted)
        for g in groups
        for v in g.variants
        if v.action in ("create", "update")
        for warehouse_id, counted in v.stock.items()
    ]
    if counts:
        count_stock_many(counts, actor=actor, reference=reference, commit=False)

    audit.record_many(actor, audits)
    events.record_many(
        [("product.created", {"product_id": pid}) for pid in sorted(created)]
        + [
            ("product.updated", {"product_id": pid, "fields": sorted(fields)})
            for pid, fields in sorted(changed_products.items())
            if pid not in created
        ]
    )
    return len(counts)
