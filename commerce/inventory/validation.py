"""Input checks shared by the inventory services: each raises InvalidInput or NotFound naming the
field or line at fault, before anything is written."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from commerce.catalog.models import Variant
from commerce.errors import InvalidInput, NotFound
from commerce.inventory.models import VariantInventory, Warehouse


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One validated request line: its position in the request, the variant and the quantity."""

    index: int
    variant_id: int
    quantity: int


def whole_number(value: Any, field: str, *, minimum: int | None) -> int:
    """`value` as an int of at least `minimum` (any int when None). Raises InvalidInput naming
    `field`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: must be a whole number", fields={field: "must be a number"})
    if minimum is not None and value < minimum:
        problem = "must be above 0" if minimum == 1 else f"must be at least {minimum}"
        raise InvalidInput(f"{field}: {problem}", fields={field: problem})
    return value


def required_text(value: str | None, field: str, *, max_length: int) -> str:
    """`value` stripped, non-empty and at most `max_length` long. Raises InvalidInput."""
    text = (value or "").strip()
    problem = None
    if not text:
        problem = "is required"
    elif len(text) > max_length:
        problem = f"must be at most {max_length} characters"
    if problem:
        raise InvalidInput(f"{field}: {problem}", fields={field: problem})
    return text


def optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    """`value` stripped, or None when blank. Raises InvalidInput when too long."""
    if value is None or not value.strip():
        return None
    return required_text(value, field, max_length=max_length)


def get_warehouse(s: Session, warehouse_id: int, field: str = "warehouse_id") -> Warehouse:
    """The warehouse `warehouse_id`. Raises NotFound naming `field`."""
    warehouse = s.get(Warehouse, warehouse_id) if isinstance(warehouse_id, int) else None
    if warehouse is None:
        raise NotFound(
            f"{field}: warehouse {warehouse_id} does not exist.", details={"field": field}
        )
    return warehouse


def get_variant(s: Session, variant_id: int, field: str = "variant_id") -> Variant:
    """The variant `variant_id`. Raises NotFound naming `field`."""
    variant = s.get(Variant, variant_id) if isinstance(variant_id, int) else None
    if variant is None:
        raise NotFound(f"{field}: variant {variant_id} does not exist.", details={"field": field})
    return variant


def normalise_lines(lines: Sequence[tuple[int, int]]) -> list[Line]:
    """Validate (variant_id, quantity) pairs; repeated variants are summed. Returns lines in
    variant id order (the lock order). Raises InvalidInput naming the line."""
    if not lines:
        raise InvalidInput("lines: at least one line is required", fields={"lines": "is empty"})
    merged: dict[int, Line] = {}
    for index, pair in enumerate(lines):
        try:
            variant_id, quantity = pair
        except (TypeError, ValueError):
            field = f"lines[{index}]"
            raise InvalidInput(
                f"{field}: must be (variant_id, quantity)", fields={field: "malformed"}
            ) from None
        whole_number(variant_id, f"lines[{index}].variant_id", minimum=1)
        whole_number(quantity, f"lines[{index}].quantity", minimum=1)
        seen = merged.get(variant_id)
        merged[variant_id] = Line(
            seen.index if seen else index, variant_id, quantity + (seen.quantity if seen else 0)
        )
    return [merged[variant_id] for variant_id in sorted(merged)]


_VARIANTS_OF = (
    select(Variant.id, Variant.sku, func.coalesce(VariantInventory.backorder_policy, "deny"))
    .outerjoin(VariantInventory, VariantInventory.variant_id == Variant.id)
    .where(Variant.id.in_(bindparam("variant_ids", expanding=True)))
)


def variants_of(s: Session, lines: Sequence[Line]) -> dict[int, tuple[str, str]]:
    """{variant_id: (sku, backorder_policy)} for the lines. Raises InvalidInput naming a line
    whose variant does not exist."""
    ids = [line.variant_id for line in lines]
    found = {row[0]: (row[1], row[2]) for row in s.execute(_VARIANTS_OF, {"variant_ids": ids})}
    for line in lines:
        if line.variant_id not in found:
            field = f"lines[{line.index}].variant_id"
            raise InvalidInput(
                f"{field}: variant {line.variant_id} does not exist",
                fields={field: "no such variant"},
            )
    return found
