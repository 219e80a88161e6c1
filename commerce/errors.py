"""Domain errors. Each kind carries a stable `code` and the HTTP status a face should answer
with."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the business was not met. Faces turn it into a flash message or a JSON envelope."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The body of the API's error envelope."""
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(DomainError):
    """Input failed validation. `fields` maps a field (or row) name to what is wrong with it."""

    code = "invalid_input"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, details={"fields": fields or {}})
        self.fields = fields or {}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(DomainError):
    """The actor lacks `permission` (e.g. "staff.edit")."""

    code = "permission_denied"
    status = 403

    def __init__(self, permission: str) -> None:
        super().__init__(
            f"You need the '{permission}' permission to do this.",
            details={"permission": permission},
        )
        self.permission = permission


class InvalidCredentials(DomainError):
    """Unknown email or wrong password: one message for both, so accounts cannot be discovered."""

    code = "invalid_credentials"
    status = 401

    def __init__(self) -> None:
        super().__init__("Email or password is incorrect.")


class AccountLocked(DomainError):
    """Too many failed sign-ins; `retry_after` seconds until the next try is allowed."""

    code = "account_locked"
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"Too many failed sign-ins. Try again in {minutes} "
            f"minute{'' if minutes == 1 else 's'}.",
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after


class PaymentError(DomainError):
    """The payment provider failed, refused our credentials or could not be reached. The message
    is safe to show staff; `details` carries the provider's code and request id, never a key."""

    code = "payment_error"
    status = 502


class PaymentDeclined(PaymentError):
    """The customer's bank or card declined the payment; `details["decline_code"]` says why."""

    code = "payment_declined"
    status = 402
