"""Pricing's own error kinds: a voucher or gift card that cannot be used, and why."""

from __future__ import annotations

from typing import Any

from commerce.errors import Conflict, DomainError

VOUCHER_REASONS = {
    "unknown": "There is no voucher with this code.",
    "expired": "This voucher has expired.",
    "not_yet_valid": "This voucher is not valid yet.",
    "used_up": "This voucher has been used as often as it may be.",
    "customer_limit_reached": "You have already used this voucher as often as you may.",
    "minimum_not_met": "The order does not reach this voucher's minimum.",
    "not_applicable": "This voucher does not apply to the items in the cart.",
}

GIFT_CARD_REASONS = {
    "unknown": "There is no gift card with this code.",
    "expired": "This gift card has expired.",
    "disabled": "This gift card has been disabled.",
    "empty": "This gift card has no balance left.",
    "wrong_currency": "This gift card is in another currency than the cart.",
}


class VoucherRejected(DomainError):
    """A voucher cannot be used. `reason` is one of VOUCHER_REASONS; `details` carry it, the code
    and `fields.voucher_code` for forms."""

    code = "voucher_rejected"
    status = 422

    def __init__(self, reason: str, voucher_code: str, *, extra: dict[str, Any] | None = None):
        message = VOUCHER_REASONS[reason]
        super().__init__(
            message,
            details={
                "reason": reason,
                "voucher_code": voucher_code,
                "fields": {"code": message},
                **(extra or {}),
            },
        )
        self.reason = reason


class GiftCardRejected(DomainError):
    """A gift card cannot be added or spent. `reason` is one of GIFT_CARD_REASONS."""

    code = "gift_card_rejected"
    status = 422

    def __init__(self, reason: str, *, extra: dict[str, Any] | None = None):
        message = GIFT_CARD_REASONS[reason]
        super().__init__(
            message, details={"reason": reason, "fields": {"code": message}, **(extra or {})}
        )
        self.reason = reason


class InsufficientBalance(Conflict):
    """A gift card holds less than a redemption asked for (another checkout spent it first)."""

    code = "gift_card_insufficient_balance"

    def __init__(self, gift_card_id: int, last4: str, requested: int, balance: int) -> None:
        super().__init__(
            f"Gift card …{last4} holds {balance}, less than the {requested} asked for.",
            details={
                "gift_card_id": gift_card_id,
                "last4": last4,
                "requested": requested,
                "balance": balance,
            },
        )
