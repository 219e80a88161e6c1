"""Carts' own error kinds (stock shortages are inventory's OutOfStock; voucher and gift card
refusals are pricing's)."""

from __future__ import annotations

from commerce.errors import DomainError


class VariantUnavailable(DomainError):
    """The variant asked for does not exist, is not on sale or cannot join this cart."""

    code = "variant_unavailable"
    status = 422

    def __init__(self, variant_id: object, problem: str, field: str = "variant_id") -> None:
        super().__init__(
            f"{field}: {problem}", details={"variant_id": variant_id, "fields": {field: problem}}
        )
