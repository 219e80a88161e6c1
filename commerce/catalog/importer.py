"""Catalog import: products, variants and stock counts from a CSV or XLSX file, upserted by SKU.

`parse` reads the file, `plan` validates every row without writing and says what would be created,
updated, left unchanged or rejected, `apply` writes the accepted product groups through the catalog
and inventory services (so audit rows, events and every rule of theirs still apply). Rows with the
same handle (or, when it is blank, the same title) form one product; a product with any bad row is
rejected whole, and each product group is written in its own savepoint so a failure while writing
leaves no half product. See docs/catalog-import.md for the columns.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from commerce import audit, db
from commerce.audit import Actor
from commerce.catalog import importer_batch
from commerce.catalog import service as catalog
from commerce.catalog.importer_rows import PRODUCT_COLUMNS, CellError, Row, money, parse, whole
from commerce.catalog.models import Brand, Category, Product, Variant
from commerce.catalog.types import ProductType
from commerce.db import utcnow
from commerce.errors import Conflict, DomainError, InvalidInput
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel, Warehouse

__all__ = ["Plan", "Result", "Row", "apply", "parse", "plan"]

# Service field -> the file column a user fixes.
_COLUMN_OF = {
    "slug": "handle",
    "price_amount": "price",
    "compare_at_amount": "compare_at",
    "cost_amount": "cost",
    "category_id": "category",
    "brand_id": "brand",
    "product_type_id": "product_type",
    "option_values": "options",
    "counted": "stock",
}
BATCH_SIZE = 250  # product groups written per statement batch (and per commit) in `apply`
_TEXT_PRODUCT_FIELDS = ("title", "status", "description", "seo_title", "seo_description")


@dataclasses.dataclass(slots=True)
class RowError:
    """What is wrong with one cell (row None: the file as a whole)."""

    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.field}: {self.message}" if self.field else self.message
        if not self.field:
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, {self.field}: {self.message}"


@dataclasses.dataclass(slots=True)
class VariantPlan:
    row: int
    sku: str
    action: str  # create | update | unchanged | rejected
    variant_id: int | None = None
    values: dict[str, Any] = dataclasses.field(default_factory=dict)  # create: all; update: changes
    before: dict[str, Any] = dataclasses.field(default_factory=dict)  # update: the old values
    stock: dict[int, int] = dataclasses.field(default_factory=dict)  # warehouse id -> counted


@dataclasses.dataclass(slots=True)
class ProductPlan:
    key: str
    rows: list[int]
    action: str  # create | update | unchanged | rejected
    product_id: int | None = None
    title: str = ""
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    before: dict[str, Any] = dataclasses.field(default_factory=dict)  # update: the old values
    variants: list[VariantPlan] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(slots=True)
class Plan:
    """What an import would do; nothing has been written."""

    products: list[ProductPlan]
    errors: list[RowError]
    total_rows: int

    def counts(self) -> dict[str, dict[str, int]]:
        """{"products": {"create": n, ...}, "variants": {...}}."""
        out: dict[str, dict[str, int]] = {
            "products": defaultdict(int),
            "variants": defaultdict(int),
        }
        for product in self.products:
            out["products"][product.action] += 1
            for variant in product.variants:
                out["variants"][variant.action] += 1
        return {k: dict(v) for k, v in out.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (for plan.json and the preview page)."""
        return {
            "total_rows": self.total_rows,
            "counts": self.counts(),
            "products": [
                {
                    "key": p.key,
                    "title": p.title,
                    "action": p.action,
                    "product_id": p.product_id,
                    "rows": p.rows,
                    "variants": [
                        {"row": v.row, "sku": v.sku, "action": v.action, "variant_id": v.variant_id}
                        for v in p.variants
                    ],
                }
                for p in self.products
            ],
            "errors": [dataclasses.asdict(e) | {"text": str(e)} for e in self.errors],
        }


@dataclasses.dataclass(slots=True)
class Result:
    """What an applied import did."""

    counts: dict[str, dict[str, int]]
    stock_counts: int
    errors: list[RowError]

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "stock_counts": self.stock_counts,
            "errors": [dataclasses.asdict(e) | {"text": str(e)} for e in self.errors],
        }


def _column(field: str) -> str:
    if field.startswith("attributes."):
        return "attr:" + field.split(".", 1)[1]
    if field.startswith("options."):
        return "option:" + field.split(".", 1)[1]
    return _COLUMN_OF.get(field, field)


def _domain_errors(row: int | None, exc: DomainError) -> list[RowError]:
    fields = getattr(exc, "fields", None) or {}
    if fields:
        return [RowError(row, _column(f), problem) for f, problem in fields.items()]
    field = exc.details.get("field", "")
    message = exc.message
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2 :]
    return [RowError(row, _column(field) if field else "", message)]


# --- planning ------------------------------------------------------------------------------------


class _Refs:
    """Everything the rows refer to, loaded in a handful of queries."""

    def __init__(self, rows: list[Row]) -> None:
        s = db.session

        def wanted(column: str) -> set[str]:
            return {r.get(column) for r in rows if r.get(column)}

        # Loaded as objects and held here, so the services' reference checks find them in the
        # session's (weak-referencing) identity map instead of querying once per row.
        self.held: list[Any] = [
            *s.scalars(select(Category).where(Category.slug.in_(wanted("category")))),
            *s.scalars(select(Brand).where(Brand.slug.in_(wanted("brand")))),
        ]
        self.categories = {c.slug: c.id for c in self.held if isinstance(c, Category)}
        self.brands = {b.slug: b.id for b in self.held if isinstance(b, Brand)}
        self.types = {
            t.name: t
            for t in s.scalars(
                select(ProductType).where(ProductType.name.in_(wanted("product_type")))
            )
        }
        skus = {r.get("sku").upper() for r in rows if r.get("sku")}
        self.variants = {
            v.sku.upper(): v
            for v in s.scalars(select(Variant).where(func.upper(Variant.sku).in_(skus)))
        }
        product_ids = {v.product_id for v in self.variants.values()}
        handles = wanted("handle")
        self.products = {
            p.id: p
            for p in s.scalars(
                select(Product)
                .where(Product.id.in_(product_ids) | Product.slug.in_(handles))
                .options(selectinload(Product.variants), selectinload(Product.product_type))
            )
        }
        self.by_slug = {p.slug: p for p in self.products.values()}
        self.slug_owners = {slug: p.id for slug, p in self.by_slug.items()}
        codes = {c.split(":", 1)[1] for c in (rows[0].values if rows else {}) if c[:6] == "stock:"}
        self.warehouses = dict(
            s.execute(select(Warehouse.code, Warehouse.id).where(Warehouse.code.in_(codes))).all()
        )
        self.missing_warehouses = sorted(codes - set(self.warehouses))
        variant_ids = [v.id for v in self.variants.values()]
        self.on_hand = {
            (vid, wid): on_hand
            for vid, wid, on_hand in s.execute(
                select(StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand).where(
                    StockLevel.variant_id.in_(variant_ids)
                )
            )
        }


def _group_key(row: Row) -> str:
    if row.get("handle"):
        return "handle:" + row.get("handle").lower()
    return "title:" + row.get("title").strip().lower()


def _product_cells(rows: list[Row], errors: list[RowError]) -> dict[str, str]:
    """The product columns of a group: the first non-blank value of each; a later row that gives a
    different one is an error."""
    cells: dict[str, tuple[str, int]] = {}
    for row in rows:
        for column, value in row.values.items():
            is_product = column in PRODUCT_COLUMNS or column.startswith("attr:")
            if not is_product or not value:
                continue
            if column not in cells:
                cells[column] = (value, row.number)
            elif cells[column][0] != value:
                errors.append(
                    RowError(
                        row.number, column, f"differs from row {cells[column][1]} of this product"
                    )
                )
    return {column: value for column, (value, _) in cells.items()}


def _plan_product(
    key: str, rows: list[Row], refs: _Refs, seen_skus: dict[str, int]
) -> tuple[ProductPlan, list[RowError]]:
    errors: list[RowError] = []
    first = rows[0].number
    cells = _product_cells(rows, errors)
    # Which product: the one the file's existing SKUs belong to, else the one with the handle.
    owners = {
        refs.variants[r.get("sku").upper()].product_id
        for r in rows
        if r.get("sku").upper() in refs.variants
    }
    product = refs.by_slug.get(cells.get("handle", "").lower())
    if len(owners) > 1:
        errors.append(RowError(first, "sku", "these SKUs belong to different existing products"))
    elif owners:
        owner = refs.products[owners.pop()]
        if product is not None and product.id != owner.id:
            errors.append(
                RowError(first, "handle", f"{product.slug} is another product than its SKUs'")
            )
        product = owner
    plan = ProductPlan(key, [r.number for r in rows], "create", title=cells.get("title", ""))

    values: dict[str, Any] = {f: cells[f] for f in _TEXT_PRODUCT_FIELDS if f in cells}
    if cells.get("handle") and (product is None or cells["handle"].lower() != product.slug):
        values["slug"] = cells["handle"]
    if "tags" in cells:
        values["tags"] = cells["tags"].split(",")
    for column, refs_map, field in (
        ("category", refs.categories, "category_id"),
        ("brand", refs.brands, "brand_id"),
    ):
        if column in cells:
            if cells[column] in refs_map:
                values[field] = refs_map[cells[column]]
            else:
                errors.append(RowError(first, column, f"no such {column} ({cells[column]})"))
    ptype = product.product_type if product is not None else None
    if "product_type" in cells:
        ptype = refs.types.get(cells["product_type"])
        if ptype is None:
            errors.append(
                RowError(first, "product_type", f"no such type ({cells['product_type']})")
            )
        else:
            values["product_type_id"] = ptype.id
    attrs = {c.split(":", 1)[1]: v for c, v in cells.items() if c.startswith("attr:")}
    if attrs or product is None or "product_type_id" in values:
        values["attributes"] = {**(product.attributes if product else {}), **attrs}
    if product is None and not values.get("title"):
        errors.append(RowError(first, "title", "is required"))
    if not errors:
        try:
            clean = catalog.validate_product_values(values, product, slug_owners=refs.slug_owners)
        except (InvalidInput, Conflict) as exc:
            errors.extend(_domain_errors(first, exc))
            clean = {}
        if product is not None:
            before = audit.snapshot(product, clean.keys())
            plan.product_id = product.id
            plan.title = product.title
            plan.values = {k: v for k, v in clean.items() if audit.diff({k: before[k]}, {k: v})}
            plan.before = {k: before[k] for k in plan.values}
            plan.action = "update" if plan.values else "unchanged"
        else:
            plan.values = clean

    shell = Product(product_type=ptype)  # never added: stands for a product not yet written
    combos: dict[str, int] = {}
    for row in rows:
        variant_plan, row_errors = _plan_variant(row, product, shell, refs, seen_skus)
        errors.extend(row_errors)
        plan.variants.append(variant_plan)
        options = variant_plan.values.get("option_values")
        if variant_plan.action == "rejected" or not options:
            continue
        combo = json.dumps(options, sort_keys=True)
        if combo in combos:
            label = " / ".join(str(v) for v in options.values())
            errors.append(
                RowError(row.number, "options", f"{label} is also on row {combos[combo]}")
            )
        combos.setdefault(combo, row.number)

    if errors:
        plan.action = "rejected"
        bad_rows = sorted({e.row for e in errors if e.row is not None})
        for variant in plan.variants:
            variant.action = "rejected"
        for number in plan.rows:
            if number not in bad_rows:
                errors.append(
                    RowError(number, "", f"not imported: row {bad_rows[0]} of this product is bad")
                )
    elif plan.action == "unchanged" and any(v.action != "unchanged" for v in plan.variants):
        plan.action = "update"
    return plan, errors


def _plan_variant(
    row: Row, product: Product | None, shell: Product, refs: _Refs, seen_skus: dict[str, int]
) -> tuple[VariantPlan, list[RowError]]:
    errors: list[RowError] = []
    sku = row.get("sku")
    plan = VariantPlan(row.number, sku, "create")
    if not sku:
        errors.append(RowError(row.number, "sku", "is required"))
    elif not catalog.SKU_RE.match(sku):
        errors.append(
            RowError(row.number, "sku", "use 1-64 letters, digits, dots, dashes or underscores")
        )
    elif sku.upper() in seen_skus:
        errors.append(RowError(row.number, "sku", f"{sku} is also on row {seen_skus[sku.upper()]}"))
    else:
        seen_skus[sku.upper()] = row.number
    variant = refs.variants.get(sku.upper())
    values: dict[str, Any] = {}
    for column, field in (("price", "price_amount"), ("compare_at", "compare_at_amount")):
        try:
            amount = money(row.get(column))
        except CellError as exc:
            errors.append(RowError(row.number, column, str(exc)))
            continue
        if amount is not None:
            values[field] = amount
    try:
        if (cost := money(row.get("cost"))) is not None:
            values["cost_amount"] = cost
    except CellError as exc:
        errors.append(RowError(row.number, "cost", str(exc)))
    try:
        if (weight := whole(row.get("weight_grams"))) is not None:
            values["weight_grams"] = weight
    except CellError as exc:
        errors.append(RowError(row.number, "weight_grams", str(exc)))
    if variant is None and "price_amount" not in values and not row.get("price"):
        errors.append(RowError(row.number, "price", "is required for a new SKU"))
    for column in ("barcode", "currency"):
        if row.get(column):
            values[column] = row.get(column)
    options = {c.split(":", 1)[1]: v for c, v in row.values.items() if c[:7] == "option:" and v}
    if options or variant is None:
        values["option_values"] = options
    for column, text in row.values.items():
        if column[:6] != "stock:" or not text:
            continue
        code = column.split(":", 1)[1]
        try:
            counted = whole(text)
        except CellError as exc:
            errors.append(RowError(row.number, column, str(exc)))
            continue
        if code not in refs.warehouses:
            errors.append(RowError(row.number, column, f"no such warehouse ({code})"))
            continue
        wid = refs.warehouses[code]
        if variant is None or refs.on_hand.get((variant.id, wid)) != counted:
            plan.stock[wid] = counted
    if not errors:
        same_type = product is not None and product.product_type is shell.product_type
        target = product if same_type else shell
        try:
            # The SKU was checked above against the file and the database in one query.
            clean = catalog.validate_variant_values(values, target, variant)
        except (InvalidInput, Conflict) as exc:
            errors.extend(_domain_errors(row.number, exc))
            clean = {}
        if variant is not None:
            before = audit.snapshot(variant, clean.keys())
            plan.variant_id = variant.id
            plan.values = {k: v for k, v in clean.items() if audit.diff({k: before[k]}, {k: v})}
            if variant.sku != sku:
                plan.values["sku"] = sku
            plan.before = {k: before.get(k, getattr(variant, k)) for k in plan.values}
            plan.action = "update" if plan.values or plan.stock else "unchanged"
        else:
            plan.values = {"sku": sku, **clean}
    if errors:
        plan.action = "rejected"
    return plan, errors


def plan(rows: list[Row]) -> Plan:
    """Validate every row without writing and say what importing them would do. Each product
    group is create, update, unchanged or rejected (with row-numbered errors); so is each SKU."""
    refs = _Refs(rows)
    groups: dict[str, list[Row]] = {}
    errors: list[RowError] = []
    for row in rows:
        if not row.get("handle") and not row.get("title"):
            errors.append(RowError(row.number, "title", "is required (or give a handle)"))
            continue
        groups.setdefault(_group_key(row), []).append(row)
    seen_skus: dict[str, int] = {}
    products: list[ProductPlan] = []
    for key, group_rows in groups.items():
        product_plan, group_errors = _plan_product(key, group_rows, refs, seen_skus)
        products.append(product_plan)
        errors.extend(group_errors)
    errors.sort(key=lambda e: (e.row or 0, e.field == ""))
    db.session.rollback()  # planning only reads; leave no transaction open
    return Plan(products, errors, len(rows))


# --- applying ------------------------------------------------------------------------------------


def _write_group(product_plan: ProductPlan, actor: Actor, at: list[int]) -> int:
    """Write one product group through the services; `at[0]` follows the row being written.
    Returns stock counts written."""
    product_id = product_plan.product_id
    if product_plan.action == "create" and product_id is None:
        values = dict(product_plan.values)
        product_id = catalog.create_product(actor=actor, title=values.pop("title"), **values).id
    elif product_plan.values:
        catalog.update_product(product_id, product_plan.values, actor=actor)
    assert product_id is not None
    counts = 0
    for variant_plan in product_plan.variants:
        at[0] = variant_plan.row
        variant_id = variant_plan.variant_id
        if variant_plan.action == "create":
            values = dict(variant_plan.values)
            variant_id = catalog.create_variant(
                product_id,
                sku=values.pop("sku"),
                price_amount=values.pop("price_amount"),
                actor=actor,
                **values,
            ).id
        elif variant_plan.values:
            catalog.update_variant(variant_id, variant_plan.values, actor=actor)
        assert variant_id is not None
        for warehouse_id, counted in variant_plan.stock.items():
            inventory.count_stock(variant_id, warehouse_id, counted, actor=actor)
            counts += 1
    return counts


def _write_one(product_plan: ProductPlan, actor: Actor, errors: list[RowError]) -> int | None:
    """Write one product group through the per-call services in its own savepoint. Returns its
    stock counts, or None when it failed (its errors appended, nothing of it written)."""
    outer = db.session()
    connection = outer.connection()
    registry = db.session.registry
    group_tx = connection.begin_nested()
    # The services commit per call; on this session a commit only releases a savepoint, so the
    # group stays one unit that the outer savepoint keeps or undoes whole.
    group = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    registry.set(group)
    at = [product_plan.rows[0]]
    try:
        counts = _write_group(product_plan, actor, at)
    except DomainError as exc:
        group.close()
        group_tx.rollback()
        errors.extend(_domain_errors(at[0], exc))
        return None
    else:
        group.close()
        group_tx.commit()
        return counts
    finally:
        registry.set(outer)


def apply(
    plan: Plan, actor: Actor, *, progress: Callable[[int, int], None] | None = None
) -> Result:
    """Write the plan's accepted product groups and commit, BATCH_SIZE groups per transaction.
    Returns what was done.

    Each batch is written in bulk (commerce.catalog.importer_batch) inside a savepoint. When the
    database refuses it (a SKU or slug taken since planning, a count below what is now
    allocated), the savepoint is undone and the batch's groups are written again one by one
    through the per-call services, so the group at fault is rejected whole, with its row named,
    and the others are written."""
    counts: dict[str, dict[str, int]] = {"products": defaultdict(int), "variants": defaultdict(int)}
    errors = [e for e in plan.errors]
    stock_counts = done = 0
    reference = f"import {utcnow():%Y-%m-%d %H:%M}"
    pending = [p for p in plan.products if p.action in ("create", "update")]
    for product_plan in plan.products:
        if product_plan.action not in ("create", "update"):
            _count(counts, product_plan, product_plan.action)
            done += len(product_plan.rows)
    for start in range(0, len(pending), BATCH_SIZE):
        batch = pending[start : start + BATCH_SIZE]
        savepoint = db.session.begin_nested()
        try:
            stock_counts += importer_batch.write_batch(batch, actor, reference=reference)
        except (DomainError, IntegrityError, psycopg.IntegrityError):
            savepoint.rollback()
            for product_plan in batch:
                written = _write_one(product_plan, actor, errors)
                stock_counts += written or 0
                _count(counts, product_plan, "rejected" if written is None else None)
        else:
            savepoint.commit()
            for product_plan in batch:
                _count(counts, product_plan, None)
        # Keep transactions (and the locks and outbox rows they hold) short on big files.
        db.session.commit()
        done += sum(len(p.rows) for p in batch)
        if progress is not None:
            progress(done, plan.total_rows)
    db.session.commit()
    if progress is not None and not pending:
        progress(done, plan.total_rows)
    errors.sort(key=lambda e: (e.row or 0, e.field == ""))
    return Result({k: dict(v) for k, v in counts.items()}, stock_counts, errors)


def _count(
    counts: dict[str, dict[str, int]], product_plan: ProductPlan, action: str | None
) -> None:
    counts["products"][action or product_plan.action] += 1
    for variant_plan in product_plan.variants:
        counts["variants"]["rejected" if action == "rejected" else variant_plan.action] += 1


def errors_csv(errors: list[RowError]) -> str:
    """The per-row error report as CSV text (row, column, problem)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "problem"])
    for error in errors:
        writer.writerow([error.row if error.row is not None else "", error.field, error.message])
    return out.getvalue()
