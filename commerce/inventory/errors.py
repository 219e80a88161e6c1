"""Inventory's own error kinds (the generic ones live in commerce.errors)."""

from __future__ import annotations

from typing import Any

from commerce.errors import Conflict


class OutOfStock(Conflict):
    """Some lines asked for more than is available.

    `details["lines"]` holds one entry per short line: its position in the request (`line`), the
    `variant_id`, `sku`, the quantity `requested` and the quantity `available`.
    """

    code = "out_of_stock"

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        parts = [
            f"line {item['line'] + 1} ({item['sku']}): {item['requested']} requested, "
            f"{item['available']} available"
            for item in lines
        ]
        super().__init__("Not enough stock: " + "; ".join(parts) + ".", details={"lines": lines})
        self.lines = lines


class ReservationNotActive(Conflict):
    """The reservation `reference` was released, has expired or already became an order."""

    code = "reservation_not_active"

    def __init__(self, reference: str, status: str) -> None:
        super().__init__(
            f"reference: the reservation {reference} is {status}; reserve the stock again.",
            details={"reference": reference, "status": status},
        )
