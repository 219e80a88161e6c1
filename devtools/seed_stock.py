"""Demo seed, second half: product types and attributes, warehouses, opening stock, digital files.

Called by `devtools.seed` after the products are copied. Writes with COPY and set-based SQL on the
same connection (so it joins the caller's transaction). The opening stock is written to the ledger
too (one `received` movement per stock level), so the ledger sums match stock from the start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from random import Random

from psycopg import Cursor

from devtools.demo_words import LEAVES, OPTIONS

WAREHOUSES = (
    ("AMS", "Amsterdam fulfilment centre", "NL", 10),
    ("BER", "Berlin store room", "DE", 20),
)
TYPE_NAMES = {
    "apparel": "Apparel", "kids": "Kids apparel", "shoes": "Shoes", "colour": "Homeware",
    "diameter": "Cookware", "bedding": "Bedding", "volume": "Beauty", "book": "Book",
    "none": "Simple product",
}  # fmt: skip
LABELS = {"size": "Size", "colour": "Colour", "volume": "Volume", "format": "Format"}


def _attribute_specs() -> dict[str, tuple[str, list[str]]]:
    """{code: (kind, choices)} for every attribute the word lists use."""
    specs: dict[str, tuple[str, list[str]]] = {"author": ("text", [])}
    materials = sorted({m for leaf in LEAVES for m in leaf.materials})
    specs["material"] = ("choice", materials)
    for leaf in LEAVES:
        for code, values in leaf.attributes.items():
            if all(isinstance(v, bool) for v in values):
                specs[code] = ("boolean", [])
            else:
                known = set(specs.get(code, ("choice", []))[1])
                specs[code] = ("choice", sorted(known | {str(v) for v in values}))
    for axes in OPTIONS.values():
        for code, values in axes.items():
            known = specs.get(code, ("choice", []))[1]
            specs[code] = ("choice", list(dict.fromkeys([*known, *(v[0] for v in values)])))
    return specs


def seed_types(cursor: Cursor, category_ids: dict[tuple[str, ...], int]) -> int:
    """Create the attributes and product types (once) and give untyped products their type.

    Returns how many product types were created."""
    ids: dict[str, int] = {}
    for code, (kind, choices) in _attribute_specs().items():
        row = cursor.execute(
            "INSERT INTO attributes (code, name, kind, choices) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id",
            (code, LABELS.get(code, code.replace("_", " ").capitalize()), kind, choices),
        ).fetchone()
        ids[code] = row[0]
    created, types = 0, {}
    for key, name in TYPE_NAMES.items():
        leaves = [leaf for leaf in LEAVES if leaf.options == key]
        row = cursor.execute("SELECT id FROM product_types WHERE name = %s", (name,)).fetchone()
        if row is None:
            row = cursor.execute(
                "INSERT INTO product_types (name, is_digital) VALUES (%s, false) RETURNING id",
                (name,),
            ).fetchone()
            created += 1
            codes = sorted(
                {c for leaf in leaves for c in leaf.attributes}
                | ({"material"} if any(leaf.materials for leaf in leaves) else set())
                | ({"author"} if key == "book" else set())
            )
            links = [(c, False) for c in codes] + [(c, True) for c in OPTIONS[key]]
            for position, (code, axis) in enumerate(links):
                cursor.execute(
                    "INSERT INTO product_type_attributes (product_type_id, attribute_id,"
                    " position, required, variant_axis) VALUES (%s, %s, %s, false, %s)",
                    (row[0], ids[code], position, axis),
                )
        types[key] = row[0]
    pairs = [
        (category_ids[leaf.path], types[leaf.options])
        for leaf in LEAVES
        if leaf.path in category_ids
    ]
    if pairs:
        cursor.execute(
            "UPDATE products p SET product_type_id = m.type_id"
            " FROM (SELECT unnest(%s::bigint[]) AS category_id, unnest(%s::bigint[]) AS type_id) m"
            " WHERE p.category_id = m.category_id AND p.product_type_id IS NULL",
            ([c for c, _ in pairs], [t for _, t in pairs]),
        )
    return created


def _warehouses(cursor: Cursor) -> list[int]:
    found = []
    for code, name, country, priority in WAREHOUSES:
        row = cursor.execute(
            "INSERT INTO warehouses (code, name, country, priority, is_active)"
            " VALUES (%s, %s, %s, %s, true) ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code"
            " RETURNING id",
            (code, name, country, priority),
        ).fetchone()
        found.append(row[0])
    return found


def seed_stock(
    cursor: Cursor, rng: Random, variant_ids: Sequence[int], digital: Sequence[bool]
) -> int:
    """Opening stock for physical variants in both warehouses, with ledger rows and low-stock
    thresholds. Returns the stock levels written."""
    warehouses = _warehouses(cursor)
    levels = 0
    stock_columns = (
        "COPY stock_levels (variant_id, warehouse_id, on_hand, allocated, reserved,"
        " safety_stock, backordered) FROM STDIN"
    )
    movement_columns = (
        "COPY stock_movements (variant_id, warehouse_id, bucket, reason, delta,"
        " balance_after, actor_kind, actor_label, reference) FROM STDIN"
    )
    policies = (
        "COPY variant_inventories (variant_id, backorder_policy, low_stock_threshold) FROM STDIN"
    )
    # One COPY at a time per connection: the levels first, then their opening movements.
    movements: list[tuple[object, ...]] = []
    with cursor.copy(stock_columns) as stock:
        for variant_id, is_digital in zip(variant_ids, digital, strict=True):
            if is_digital:
                continue
            for index, warehouse_id in enumerate(warehouses):
                if index and rng.random() < 0.35:
                    continue  # not every item is kept in the second warehouse
                on_hand = 0 if rng.random() < 0.06 else int(rng.paretovariate(1.6) * 12)
                stock.write_row(
                    (variant_id, warehouse_id, on_hand, 0, 0, 1 if on_hand > 20 else 0, 0)
                )
                levels += 1
                if on_hand:
                    movements.append(
                        (
                            variant_id,
                            warehouse_id,
                            "on_hand",
                            "received",
                            on_hand,
                            on_hand,
                            "system",
                            "seed",
                            "opening stock",
                        )
                    )
    with cursor.copy(movement_columns) as ledger:
        for row in movements:
            ledger.write_row(row)
    with cursor.copy(policies) as policy:
        for variant_id, is_digital in zip(variant_ids, digital, strict=True):
            if not is_digital:
                allow = rng.random() < 0.03
                policy.write_row((variant_id, "allow" if allow else "deny", rng.choice((3, 5, 10))))
    return levels


def seed_digital_files(
    cursor: Cursor,
    storage: Path,
    variant_ids: Sequence[int],
    digital: Sequence[bool],
    *,
    limit: int = 12,
) -> int:
    """Give the first `limit` e-book variants a small downloadable file. Returns files written."""
    written = 0
    for variant_id, is_digital in zip(variant_ids, digital, strict=True):
        if not is_digital or written >= limit:
            continue
        content = f"%PDF-1.4\n% demo e-book for variant {variant_id}\n".encode()
        relative = Path("digital") / str(variant_id) / f"demo-ebook-{variant_id}.pdf"
        (storage / relative).parent.mkdir(parents=True, exist_ok=True)
        (storage / relative).write_bytes(content)
        cursor.execute(
            "INSERT INTO digital_files (variant_id, filename, storage_path, size_bytes, sha256,"
            " download_limit, expires_after_days) VALUES (%s, %s, %s, %s, %s, 5, 30)",
            (
                variant_id,
                f"ebook-{variant_id}.pdf",
                str(relative),
                len(content),
                hashlib.sha256(content).hexdigest(),
            ),
        )
        written += 1
    return written
