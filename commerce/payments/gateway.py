"""Our adapter around the `stripe` library: PaymentIntents (with manual capture), refunds,
disputes and webhook verification.

Callers pass amounts in minor units and an idempotency key they have already stored (so a retry
after a crash sends the same key and Stripe replays the first answer instead of charging twice).
Stripe's exceptions become our domain errors:

- a declined card -> `PaymentDeclined` (402), with Stripe's decline code;
- an unknown object -> `NotFound`; a refused parameter (a refund above what is left) ->
  `InvalidInput` naming the parameter;
- an idempotency key reused with other parameters -> `Conflict`;
- a bad signature or a body that is not an event -> `InvalidInput`;
- a rejected API key, rate limit, outage or network failure -> `PaymentError` (502).

Nothing here does I/O until a method is called; keys and secrets are never logged or put into
error messages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import stripe

from commerce.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PaymentDeclined,
    PaymentError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentIntentInfo:
    """What we keep of a PaymentIntent. `client_secret` goes to the storefront only, never to logs.
    `decline_code`/`failure_message` describe the last failed attempt, if any."""

    id: str
    client_secret: str | None
    status: str
    amount: int
    amount_received: int
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    latest_charge: str | None = None
    decline_code: str | None = None
    failure_message: str | None = None
    amount_capturable: int = 0
    capture_method: str | None = None


@dataclass(frozen=True)
class RefundInfo:
    """A refund as Stripe reports it; `status` is "succeeded", "pending", "requires_action",
    "failed" or "canceled", and `failure_reason` says why a failed one failed."""

    id: str
    status: str
    amount: int
    payment_intent: str | None = None
    currency: str | None = None
    charge: str | None = None
    failure_reason: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DisputeInfo:
    """A dispute (chargeback) as Stripe reports it: `status` is one of Stripe's
    (needs_response, under_review, won, lost, warning_*...), `reason` why the customer's bank
    disputes the charge."""

    id: str
    status: str
    amount: int
    currency: str
    reason: str
    payment_intent: str | None = None
    charge: str | None = None


class StripeGateway:
    """Stripe PaymentIntents and refunds through the official client.

    `api_base` points the client elsewhere (our local test server); None means api.stripe.com.
    Retried requests reuse the caller's idempotency key, so retries never double-charge."""

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        max_network_retries: int = 2,
        timeout: float = 30,
    ) -> None:
        if not api_key:
            raise PaymentError("Payments are not configured: STRIPE_SECRET_KEY is empty.")
        self._api_key = api_key
        self.api_base = api_base.rstrip("/") if api_base else None
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": self.api_base} if self.api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def __repr__(self) -> str:  # never show the key
        return f"StripeGateway(api_base={self.api_base or stripe.DEFAULT_API_BASE!r})"

    def create_payment_intent(
        self,
        amount: int,
        currency: str,
        *,
        idempotency_key: str,
        metadata: Mapping[str, str | int],
        receipt_email: str | None = None,
        description: str | None = None,
        capture_method: str | None = None,
    ) -> PaymentIntentInfo:
        """Create a PaymentIntent for `amount` minor units, paid with whatever methods the
        Stripe dashboard enables; `capture_method="manual"` only authorises the card (capture it
        later with capture_payment_intent). Raises InvalidInput, Conflict, PaymentError."""
        _check_amount(amount)
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            raise InvalidInput(
                "Currency must be a three-letter ISO code.", fields={"currency": str(currency)}
            )
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": {str(k): str(v) for k, v in metadata.items()},
            "automatic_payment_methods": {"enabled": True},
        }
        if receipt_email:
            params["receipt_email"] = receipt_email
        if description:
            params["description"] = description
        if capture_method:
            params["capture_method"] = capture_method
        with _translated("create a payment"):
            intent = self._client.v1.payment_intents.create(
                params, options=_options(idempotency_key)
            )
        return _intent_info(intent)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        """Re-read a PaymentIntent (the truth after any webhook). Raises NotFound, PaymentError."""
        with _translated("read the payment"):
            intent = self._client.v1.payment_intents.retrieve(payment_intent_id)
        return _intent_info(intent)

    def confirm_payment_intent(
        self, payment_intent_id: str, payment_method: str, *, idempotency_key: str
    ) -> PaymentIntentInfo:
        """Confirm server-side with a saved or test payment method (`pm_...`); storefronts
        normally confirm in the browser with the client secret instead.
        Raises PaymentDeclined, InvalidInput, NotFound, Conflict, PaymentError."""
        with _translated("confirm the payment"):
            intent = self._client.v1.payment_intents.confirm(
                payment_intent_id,
                {"payment_method": payment_method},
                options=_options(idempotency_key),
            )
        return _intent_info(intent)

    def cancel_payment_intent(
        self, payment_intent_id: str, idempotency_key: str, *, reason: str | None = None
    ) -> PaymentIntentInfo:
        """Cancel an unpaid PaymentIntent (`reason`: duplicate, fraudulent,
        requested_by_customer or abandoned). Raises InvalidInput (already paid or canceled),
        NotFound, Conflict, PaymentError."""
        params = {"cancellation_reason": reason} if reason else {}
        with _translated("cancel the payment"):
            intent = self._client.v1.payment_intents.cancel(
                payment_intent_id,
                params,  # type: ignore[arg-type]
                options=_options(idempotency_key),
            )
        return _intent_info(intent)

    def capture_payment_intent(
        self, payment_intent_id: str, amount: int | None, *, idempotency_key: str
    ) -> PaymentIntentInfo:
        """Capture an authorised PaymentIntent (`requires_capture`): `amount` minor units, or
        all that was authorised when None; the rest of the authorisation is released.
        Raises InvalidInput (not authorised, more than authorised), NotFound, Conflict,
        PaymentError."""
        params: dict[str, Any] = {}
        if amount is not None:
            _check_amount(amount)
            params["amount_to_capture"] = amount
        with _translated("capture the payment"):
            intent = self._client.v1.payment_intents.capture(
                payment_intent_id, params, options=_options(idempotency_key)
            )
        return _intent_info(intent)

    def refund(
        self,
        payment_intent_id: str,
        amount: int | None,
        *,
        idempotency_key: str,
        reason: str | None = None,
        metadata: Mapping[str, str | int] | None = None,
    ) -> RefundInfo:
        """Refund `amount` minor units of a paid PaymentIntent (None: all that is left).
        Raises InvalidInput (more than is left, not paid, disputed), NotFound, Conflict,
        PaymentError."""
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount is not None:
            _check_amount(amount)
            params["amount"] = amount
        if reason:
            params["reason"] = reason
        if metadata:
            params["metadata"] = {str(k): str(v) for k, v in metadata.items()}
        with _translated("refund the payment"):
            refund = self._client.v1.refunds.create(params, options=_options(idempotency_key))
        return _refund_info(refund)

    def retrieve_refund(self, refund_id: str) -> RefundInfo:
        """Re-read a refund (the truth after any webhook). Raises NotFound, PaymentError."""
        with _translated("read the refund"):
            refund = self._client.v1.refunds.retrieve(refund_id)
        return _refund_info(refund)

    def list_refunds(self, payment_intent_id: str) -> list[RefundInfo]:
        """Every refund of a PaymentIntent, newest first. Raises NotFound, PaymentError."""
        found: list[RefundInfo] = []
        params: dict[str, Any] = {"payment_intent": payment_intent_id, "limit": 100}
        with _translated("list the refunds"):
            while True:
                page = self._client.v1.refunds.list(params)
                found += [_refund_info(refund) for refund in page.data]
                if not page.has_more or not page.data:
                    return found
                params["starting_after"] = page.data[-1].id

    def retrieve_dispute(self, dispute_id: str) -> DisputeInfo:
        """Re-read a dispute (the truth after any webhook). Raises NotFound, PaymentError."""
        with _translated("read the dispute"):
            dispute = self._client.v1.disputes.retrieve(dispute_id)
        data = dispute.to_dict()
        return DisputeInfo(
            id=data["id"],
            status=data["status"],
            amount=data["amount"],
            currency=data["currency"],
            reason=data.get("reason") or "general",
            payment_intent=_id_of(data.get("payment_intent")),
            charge=_id_of(data.get("charge")),
        )

    def parse_webhook(self, payload: bytes, sig_header: str | None, secret: str) -> stripe.Event:
        """Verify a webhook on its raw body and return the event. Raises InvalidInput when the
        signature, its timestamp or the body is wrong; PaymentError when no secret is set."""
        if not secret:
            raise PaymentError("Webhooks are not configured: STRIPE_WEBHOOK_SECRET is empty.")
        if not sig_header:
            raise InvalidInput(
                "The webhook has no Stripe-Signature header.",
                fields={"Stripe-Signature": "missing"},
            )
        try:
            return stripe.Webhook.construct_event(
                payload, sig_header, secret, api_key=self._api_key
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidInput(
                "The webhook signature could not be verified.",
                fields={"Stripe-Signature": exc.user_message or "does not match"},
            ) from None
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput(
                "The webhook body is not a Stripe event.", fields={"body": "not an event"}
            ) from None


def gateway_from_config(config: Mapping[str, Any]) -> StripeGateway:
    """Build the gateway from STRIPE_SECRET_KEY and the optional STRIPE_API_BASE (our local test
    server in development and tests). Raises PaymentError when no key is configured."""
    return StripeGateway(
        config.get("STRIPE_SECRET_KEY") or "", api_base=config.get("STRIPE_API_BASE") or None
    )


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(
            "Amount must be a positive whole number of minor units.",
            fields={"amount": str(amount)},
        )


def _options(idempotency_key: str) -> stripe.RequestOptions:
    if not idempotency_key:
        # Stripe-python would make one up, and a retry after a crash would then charge twice.
        raise InvalidInput(
            "An idempotency key is required for every payment call.",
            fields={"idempotency_key": "missing"},
        )
    return {"idempotency_key": idempotency_key}


def _id_of(value: Any) -> str | None:
    """An id, whether Stripe sent the id or (expanded) the object."""
    if value is None or isinstance(value, str):
        return value
    return value["id"] if isinstance(value, Mapping) else value.id


def _refund_info(refund: stripe.Refund) -> RefundInfo:
    data = refund.to_dict()
    return RefundInfo(
        id=data["id"],
        status=data.get("status") or "pending",
        amount=data["amount"],
        payment_intent=_id_of(data.get("payment_intent")),
        currency=data.get("currency"),
        charge=_id_of(data.get("charge")),
        failure_reason=data.get("failure_reason"),
        metadata=dict(data.get("metadata") or {}),
    )


def _intent_info(intent: stripe.PaymentIntent) -> PaymentIntentInfo:
    data = intent.to_dict()
    error = data.get("last_payment_error") or {}
    return PaymentIntentInfo(
        id=data["id"],
        client_secret=data.get("client_secret"),
        status=data["status"],
        amount=data["amount"],
        amount_received=data.get("amount_received") or 0,
        currency=data["currency"],
        metadata=dict(data.get("metadata") or {}),
        latest_charge=_id_of(data.get("latest_charge")),
        decline_code=error.get("decline_code") or error.get("code"),
        failure_message=error.get("message"),
        amount_capturable=data.get("amount_capturable") or 0,
        capture_method=data.get("capture_method"),
    )


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn stripe's exceptions raised inside the block into our domain errors."""
    try:
        yield
    except stripe.StripeError as exc:
        _raise_domain_error(exc, action)


def _raise_domain_error(exc: stripe.StripeError, action: str) -> NoReturn:
    details: dict[str, Any] = {"provider_code": exc.code, "request_id": exc.request_id}
    error = exc.error
    message = (error.message if error else None) or f"Stripe could not {action}."
    log.warning(
        "stripe refused to %s: %s (code=%s, status=%s, request=%s)",
        action,
        type(exc).__name__,
        exc.code,
        exc.http_status,
        exc.request_id,
    )
    domain: DomainError
    if isinstance(exc, stripe.CardError):
        decline_code = error.decline_code if error else None
        intent = error.payment_intent if error else None
        details.update(decline_code=decline_code or exc.code, payment_intent=_id_of(intent))
        domain = PaymentDeclined(message, details=details)
    elif isinstance(exc, stripe.IdempotencyError):
        domain = Conflict(
            "This payment request was already sent with different details; it was not repeated.",
            details=details,
        )
    elif isinstance(exc, stripe.InvalidRequestError) and exc.code == "resource_missing":
        domain = NotFound(message, details=details)
    elif isinstance(exc, stripe.InvalidRequestError):
        domain = InvalidInput(message, fields={exc.param or "payment": message})
    elif isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        # Stripe's message echoes part of the key; ours does not.
        domain = PaymentError(
            "The payment provider rejected our API key: check STRIPE_SECRET_KEY.",
            details=details,
        )
    elif isinstance(exc, stripe.APIConnectionError):
        domain = PaymentError(
            "The payment provider could not be reached; try again (repeating is safe).",
            details=details,
        )
    else:
        domain = PaymentError(
            f"The payment provider could not {action} right now; try again.", details=details
        )
    raise domain from None
