"""Stripe's v1 API for PaymentIntents, charges, refunds and events, kept in memory.

The wire behaviour follows Stripe's: form-encoded parameters (`metadata[key]=value`), JSON objects
in Stripe's shapes, errors as `{"error": {"type", "message", "code"?, "param"?}}` (absent fields are
left out, as Stripe does), `Idempotency-Key` replay and conflicts, and Bearer authentication. The
HTTP layer and webhook delivery live in `stripe_server`; this module is pure state, guarded by one
lock, so every request is atomic.

Test payment methods: `pm_card_visa`, `pm_card_mastercard` and `pm_card_amex` succeed;
`pm_card_chargeDeclined`, `pm_card_chargeDeclinedInsufficientFunds`,
`pm_card_chargeDeclinedExpiredCard` and `pm_card_chargeDeclinedIncorrectCvc` are declined;
`pm_card_pendingRefund`, `pm_card_refundFail` and `pm_card_createDispute` succeed, then behave as
`stripe_operations` describes (with manual capture and disputes).
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from commerce.payments.stripe_operations import (
    BEHAVIOURS,
    CAPTURE_METHODS,
    PaymentOperationsMixin,
)
from commerce.payments.stripe_wire import (
    MAXIMUM_CHARGE,
    MINIMUM_CHARGE,
    SUPPORT,
    Response,
    StripeApiError,
    as_list,
    decode_form,
    format_amount,
    invalid,
    mask_key,
    missing,
    new_id,
    read_boolean,
    read_choice,
    read_integer,
    read_metadata,
    read_string,
    reject_unknown,
)

DEFAULT_API_VERSION = "2026-10-28.endive"  # what stripe==16.1.0 sends
IDEMPOTENCY_TTL = 24 * 3600

# token -> (brand, last4, decline as (code, decline_code, message) or None)
TEST_PAYMENT_METHODS: dict[str, tuple[str, str, tuple[str, str, str] | None]] = {
    "pm_card_visa": ("visa", "4242", None),
    "pm_card_mastercard": ("mastercard", "4444", None),
    "pm_card_amex": ("amex", "8431", None),
    "pm_card_chargeDeclined": (
        "visa", "0002", ("card_declined", "generic_decline", "Your card was declined."),
    ),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "visa", "9995",
        ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ),
    "pm_card_chargeDeclinedExpiredCard": (
        "visa", "0069", ("expired_card", "expired_card", "Your card has expired."),
    ),
    "pm_card_chargeDeclinedIncorrectCvc": (
        "visa", "0127",
        ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    ),
    "pm_card_pendingRefund": ("visa", "7726", None),
    "pm_card_refundFail": ("visa", "5126", None),
    "pm_card_createDispute": ("visa", "0259", None),
}  # fmt: skip

CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@dataclass
class _Saved:
    path: str
    params: dict[str, Any]
    response: Response
    request_id: str
    at: float


class StripeEmulator(PaymentOperationsMixin):
    """Stripe's PaymentIntent, charge, refund, dispute and event endpoints over in-memory state.

    `handle()` takes one HTTP request and returns a `Response`; `on_event` is called (under the
    lock, so it must be quick) with each event as it is recorded."""

    def __init__(
        self,
        *,
        api_key: str,
        api_version: str | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.api_key = api_key
        self.api_version = api_version or DEFAULT_API_VERSION
        self._on_event = on_event
        self._lock = threading.RLock()
        self.reset()
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., dict[str, Any]]]] = [
            ("POST", re.compile(r"/v1/payment_intents"), self._create_payment_intent),
            ("GET", re.compile(r"/v1/payment_intents/([^/]+)"), self._retrieve_payment_intent),
            ("POST", re.compile(r"/v1/payment_intents/([^/]+)/confirm"), self._confirm),
            ("POST", re.compile(r"/v1/payment_intents/([^/]+)/cancel"), self._cancel),
            ("POST", re.compile(r"/v1/payment_intents/([^/]+)/capture"), self._capture),
            ("GET", re.compile(r"/v1/charges/([^/]+)"), self._retrieve_charge),
            ("POST", re.compile(r"/v1/refunds"), self._create_refund),
            ("GET", re.compile(r"/v1/refunds"), self._list_refunds),
            ("GET", re.compile(r"/v1/refunds/([^/]+)"), self._retrieve_refund),
            ("GET", re.compile(r"/v1/disputes/([^/]+)"), self._retrieve_dispute),
            ("POST", re.compile(r"/v1/disputes/([^/]+)"), self._update_dispute),
            ("POST", re.compile(r"/v1/disputes/([^/]+)/close"), self._close_dispute),
            ("GET", re.compile(r"/v1/events"), self._list_events),
            ("GET", re.compile(r"/v1/events/([^/]+)"), self._retrieve_event),
        ]

    def reset(self) -> None:
        """Forget every object, event and idempotency key."""
        with self._lock:
            self._intents: dict[str, dict[str, Any]] = {}
            self._charges: dict[str, dict[str, Any]] = {}
            self._refunds: dict[str, dict[str, Any]] = {}
            self._methods: dict[str, dict[str, Any]] = {}
            self._declines: dict[str, tuple[str, str, str] | None] = {}
            self._disputes: dict[str, dict[str, Any]] = {}
            self._method_behaviours: dict[str, str] = {}
            self._charge_behaviours: dict[str, str] = {}
            self._events: list[dict[str, Any]] = []
            self._saved: dict[str, _Saved] = {}
            self._request: dict[str, Any] = {"id": None, "idempotency_key": None}

    # -- read access for tests and the server ----------------------------------------------------

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Recorded events, oldest first, optionally of one type."""
        with self._lock:
            return [copy.deepcopy(e) for e in self._events if type in (None, e["type"])]

    def event(self, event_id: str) -> dict[str, Any]:
        """One recorded event; KeyError if unknown."""
        with self._lock:
            for event in self._events:
                if event["id"] == event_id:
                    return copy.deepcopy(event)
        raise KeyError(event_id)

    def payment_intents(self) -> list[dict[str, Any]]:
        """Every PaymentIntent, oldest first."""
        with self._lock:
            return [copy.deepcopy(pi) for pi in self._intents.values()]

    # -- HTTP entry point --------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """Answer one request as Stripe would."""
        headers = {k.lower(): v for k, v in headers.items()}
        request_id = new_id("req", 14)
        version = headers.get("stripe-version") or self.api_version
        extra = {"Request-Id": request_id, "Stripe-Version": version}
        key = headers.get("idempotency-key") if method == "POST" else None
        if key:
            extra["Idempotency-Key"] = key
        with self._lock:
            events_before = len(self._events)
            try:
                self._authenticate(headers.get("authorization"))
                handler, args = self._route(method, path)
                params = decode_form(query)
                if body:
                    params.update(decode_form(body.decode("utf-8", "replace")))
                if key:
                    replay = self._replay(key, path, params)
                    if replay:
                        replay.headers.update(extra)
                        return replay
                self._request = {"id": request_id, "idempotency_key": key}
                response = Response(200, handler(*args, params))
                saved = True
            except StripeApiError as exc:
                response = Response(exc.status, {"error": exc.error})
                # Once something has happened (every change records an event), a retry must
                # get this answer back rather than do it again.
                saved = exc.saved or len(self._events) != events_before
            except Exception as exc:  # a bug here must still answer in Stripe's shape
                response = Response(
                    500, {"error": {"type": "api_error", "message": f"Internal error: {exc!r}"}}
                )
                saved = len(self._events) != events_before
            response.headers.update(extra)
            if key and saved:
                self._saved[key] = _Saved(path, params, response, request_id, time.time())
            return response

    def _authenticate(self, header: str | None) -> None:
        if not header:
            raise StripeApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). " + SUPPORT,
                saved=False,
            )
        scheme, _, credentials = header.partition(" ")
        key = credentials.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key).decode().partition(":")[0]
            except ValueError:
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if not secrets.compare_digest(key.encode(), self.api_key.encode()):
            raise StripeApiError(401, f"Invalid API Key provided: {mask_key(key)}", saved=False)

    def _route(self, method: str, path: str) -> tuple[Callable[..., dict[str, Any]], tuple]:
        for verb, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and verb == method:
                return handler, match.groups()
        raise StripeApiError(
            404, f"Unrecognized request URL ({method}: {path}). {SUPPORT}", saved=False
        )

    def _replay(self, key: str, path: str, params: dict[str, Any]) -> Response | None:
        if len(key) > 255:
            raise invalid("Idempotency-Key must be no longer than 255 characters.")
        saved = self._saved.get(key)
        if saved is None or saved.at < time.time() - IDEMPOTENCY_TTL:
            return None
        if saved.path != path:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{path}' vs '{saved.path}'). Try using a key other than "
                f"'{key}' if you meant to execute a different request.",
                type="idempotency_error",
                saved=False,
            )
        if saved.params != params:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
                saved=False,
            )
        return Response(
            saved.response.status,
            copy.deepcopy(saved.response.body),
            {
                **saved.response.headers,
                "Idempotent-Replayed": "true",
                "Original-Request": saved.request_id,
            },
        )

    # -- events ------------------------------------------------------------------------------------

    def _emit(self, type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": self.api_version,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": dict(self._request),
            "type": type,
        }
        self._events.append(event)
        if self._on_event:
            self._on_event(copy.deepcopy(event))

    def _list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"type", "limit", "starting_after"})
        limit = read_integer(params, "limit") or 10
        if not 1 <= limit <= 100:
            raise invalid("Invalid limit: must be between 1 and 100", "limit")
        wanted = read_string(params, "type")
        newest_first = [e for e in reversed(self._events) if wanted in (None, e["type"])]
        after = read_string(params, "starting_after")
        if after:
            ids = [e["id"] for e in newest_first]
            if after not in ids:
                raise missing("event", after, "starting_after", 400)
            newest_first = newest_first[ids.index(after) + 1 :]
        return {
            "object": "list",
            "data": copy.deepcopy(newest_first[:limit]),
            "has_more": len(newest_first) > limit,
            "url": "/v1/events",
        }

    def _retrieve_event(self, event_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, set())
        try:
            return self.event(event_id)
        except KeyError:
            raise missing("event", event_id, "id") from None

    # -- objects -----------------------------------------------------------------------------------

    def _view(self, obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """A copy of `obj` with the fields named in `expand[]` replaced by their objects."""
        view = copy.deepcopy(obj)
        for name in as_list(params.get("expand"), "expand"):
            value = view.get(name)
            stores = (self._intents, self._charges, self._refunds, self._methods, self._disputes)
            found = next((s[value] for s in stores if isinstance(value, str) and value in s), None)
            if name not in view or (value is not None and found is None):
                raise invalid(f"This property cannot be expanded ({name}).", "expand")
            if found is not None:
                view[name] = copy.deepcopy(found)
        return view

    def _intent(self, intent_id: str) -> dict[str, Any]:
        try:
            return self._intents[intent_id]
        except KeyError:
            raise missing("payment_intent", intent_id, "intent") from None

    def _create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(
            params,
            {
                "amount", "currency", "metadata", "automatic_payment_methods", "description",
                "receipt_email", "payment_method", "payment_method_types", "confirm",
                "return_url", "expand", "capture_method",
            },
        )  # fmt: skip
        amount = read_integer(params, "amount", required=True)
        currency = read_string(params, "currency")
        if currency is None:
            raise invalid("Missing required param: currency.", "currency", "parameter_missing")
        currency = currency.lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise invalid(f"Invalid currency: {currency}.", "currency")
        assert amount is not None
        if amount < 1:
            raise invalid("Invalid positive integer", "amount", "parameter_invalid_integer")
        minimum = MINIMUM_CHARGE.get(currency, 1)
        if amount < minimum:
            raise invalid(
                f"Amount must be at least {format_amount(minimum, currency)} {currency}",
                "amount",
                "amount_too_small",
            )
        if amount > MAXIMUM_CHARGE:
            raise invalid(
                f"Amount must be no more than {format_amount(MAXIMUM_CHARGE, currency)}",
                "amount",
                "amount_too_large",
            )
        automatic = params.get("automatic_payment_methods")
        enabled = None
        if automatic not in (None, ""):
            if not isinstance(automatic, dict):
                raise invalid(
                    "Invalid hash for parameter: automatic_payment_methods",
                    "automatic_payment_methods",
                )
            reject_unknown(automatic, {"enabled", "allow_redirects"}, "automatic_payment_methods")
            enabled = read_boolean(automatic, "enabled")
            if enabled is None:
                raise invalid(
                    "Missing required param: automatic_payment_methods[enabled].",
                    "automatic_payment_methods[enabled]",
                    "parameter_missing",
                )
        types = as_list(params.get("payment_method_types"), "payment_method_types")
        if types and enabled:
            raise invalid(
                "You may only specify one of these parameters: automatic_payment_methods, "
                "payment_method_types.",
                "automatic_payment_methods",
            )
        if any(t != "card" for t in types):
            raise invalid(
                "This test server only supports the payment method type card.",
                "payment_method_types",
            )
        confirm = read_boolean(params, "confirm")
        capture_method = read_choice(params, "capture_method", CAPTURE_METHODS)
        metadata = read_metadata(params.get("metadata"))
        if confirm and not read_string(params, "payment_method"):
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Pass `payment_method` (for example pm_card_visa).",
                "payment_method",
                "parameter_missing",
            )
        method = self._payment_method(read_string(params, "payment_method"))
        intent_id = new_id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": (
                {"allow_redirects": "always", "enabled": True} if enabled else None
            ),
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method or "automatic_async",
            "client_secret": f"{intent_id}_secret_{new_id('x', 25)[2:]}",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": currency,
            "customer": None,
            "description": read_string(params, "description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": method["id"] if method else None,
            "payment_method_configuration_details": None,
            "payment_method_options": {
                "card": {
                    "installments": None,
                    "mandate_options": None,
                    "network": None,
                    "request_three_d_secure": "automatic",
                }
            },
            "payment_method_types": ["card"],
            "processing": None,
            "receipt_email": read_string(params, "receipt_email"),
            "review": None,
            "setup_future_usage": None,
            "shipping": None,
            "source": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "requires_confirmation" if method else "requires_payment_method",
            "transfer_data": None,
            "transfer_group": None,
        }
        self._intents[intent_id] = intent
        self._emit("payment_intent.created", intent)
        if confirm and method is not None:
            self._run_confirmation(intent, method)
        return self._view(intent, params)

    def _retrieve_payment_intent(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"client_secret", "expand"})
        return self._view(self._intent(intent_id), params)

    def _retrieve_charge(self, charge_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        if charge_id not in self._charges:
            raise missing("charge", charge_id, "id")
        return self._view(self._charges[charge_id], params)

    def _retrieve_refund(self, refund_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        if refund_id not in self._refunds:
            raise missing("refund", refund_id, "refund")
        return self._view(self._refunds[refund_id], params)

    def _payment_method(self, token: str | None) -> dict[str, Any] | None:
        """The PaymentMethod for a test token (a fresh `pm_...` each time, as Stripe makes) or for
        an id this server made."""
        if token is None:
            return None
        if token in self._methods:
            return self._methods[token]
        if token not in TEST_PAYMENT_METHODS:
            raise StripeApiError(
                400,
                f"No such PaymentMethod: '{token}'",
                code="resource_missing",
                param="payment_method",
                saved=False,
            )
        brand, last4, _ = TEST_PAYMENT_METHODS[token]
        method = {
            "id": new_id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": dict.fromkeys(
                    ("city", "country", "line1", "line2", "postal_code", "state")
                ),
                "email": None,
                "name": None,
                "phone": None,
            },
            "card": {
                "brand": brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "unchecked",
                },
                "country": "US",
                "exp_month": 12,
                "exp_year": time.gmtime().tm_year + 3,
                "fingerprint": new_id("fp", 16)[3:],
                "funding": "credit",
                "last4": last4,
            },
            "created": int(time.time()),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": "card",
        }
        self._methods[method["id"]] = method
        self._declines[method["id"]] = TEST_PAYMENT_METHODS[token][2]
        if token in BEHAVIOURS:
            self._method_behaviours[method["id"]] = BEHAVIOURS[token]
        return method

    def _confirm(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"payment_method", "receipt_email", "return_url", "expand"})
        intent = self._intent(intent_id)
        if intent["status"] not in CONFIRMABLE:
            raise self._unexpected_state(intent, "confirm", CONFIRMABLE)
        method = self._payment_method(read_string(params, "payment_method"))
        if method is None and intent["payment_method"]:
            method = self._methods[intent["payment_method"]]
        if method is None:
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Pass `payment_method` (for example pm_card_visa).",
                "payment_method",
                "parameter_missing",
            )
        receipt_email = read_string(params, "receipt_email")
        if receipt_email:
            intent["receipt_email"] = receipt_email
        self._run_confirmation(intent, method)
        return self._view(intent, params)

    def _unexpected_state(
        self, intent: dict[str, Any], action: str, allowed: tuple[str, ...]
    ) -> StripeApiError:
        return StripeApiError(
            400,
            f"You cannot {action} this PaymentIntent because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
            f"be {action}ed: {', '.join(allowed)}.",
            code="payment_intent_unexpected_state",
            payment_intent=copy.deepcopy(intent),
        )

    def _run_confirmation(self, intent: dict[str, Any], method: dict[str, Any]) -> None:
        """Charge the card: succeed, or decline with a 402 card_error as Stripe does."""
        decline = self._declines[method["id"]]
        manual = intent["capture_method"] == "manual"
        charge = self._new_charge(intent, method, decline, captured=not manual)
        intent["latest_charge"] = charge["id"]
        if method["id"] in self._method_behaviours:
            self._charge_behaviours[charge["id"]] = self._method_behaviours[method["id"]]
        if decline is None and manual:
            intent["payment_method"] = method["id"]
            self._authorised(intent, charge)
            return
        if decline is None:
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                payment_method=method["id"],
                last_payment_error=None,
            )
            self._emit("charge.succeeded", charge)
            self._emit("payment_intent.succeeded", intent)
            self._after_charge(charge)
            return
        code, decline_code, message = decline
        error = {
            "charge": charge["id"],
            "code": code,
            "decline_code": decline_code,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "message": message,
            "payment_method": copy.deepcopy(method),
            "type": "card_error",
        }
        intent.update(status="requires_payment_method", payment_method=None)
        intent["last_payment_error"] = error
        self._emit("charge.failed", charge)
        self._emit("payment_intent.payment_failed", intent)
        raise StripeApiError(
            402,
            message,
            type="card_error",
            code=code,
            charge=charge["id"],
            decline_code=decline_code,
            payment_intent=copy.deepcopy(intent),
            payment_method=copy.deepcopy(method),
        )

    def _new_charge(
        self,
        intent: dict[str, Any],
        method: dict[str, Any],
        decline: tuple[str, str, str] | None,
        *,
        captured: bool = True,
    ) -> dict[str, Any]:
        paid = decline is None
        outcome = (
            {
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            }
            if paid
            else {
                "network_status": "declined_by_network",
                "reason": decline[1],
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            }
        )
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if paid and captured else 0,
            "amount_refunded": 0,
            "balance_transaction": new_id("txn") if paid else None,
            "billing_details": copy.deepcopy(method["billing_details"]),
            "captured": paid and captured,
            "created": int(time.time()),
            "currency": intent["currency"],
            "customer": None,
            "description": intent["description"],
            "disputed": False,
            "failure_code": None if paid else decline[0],
            "failure_message": None if paid else decline[2],
            "livemode": False,
            "metadata": copy.deepcopy(intent["metadata"]),
            "outcome": outcome,
            "paid": paid,
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": {"card": copy.deepcopy(method["card"]), "type": "card"},
            "receipt_email": intent["receipt_email"],
            "refunded": False,
            "status": "succeeded" if paid else "failed",
        }
        self._charges[charge["id"]] = charge
        return charge

    def _cancel(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"cancellation_reason", "expand"})
        reason = read_choice(params, "cancellation_reason", CANCELLATION_REASONS)
        intent = self._intent(intent_id)
        if intent["status"] not in CANCELABLE:
            raise self._unexpected_state(intent, "cancel", CANCELABLE)
        intent.update(
            status="canceled",
            canceled_at=int(time.time()),
            cancellation_reason=reason,
            amount_capturable=0,
        )
        self._emit("payment_intent.canceled", intent)
        return self._view(intent, params)

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(
            params, {"payment_intent", "charge", "amount", "reason", "metadata", "expand"}
        )
        amount = read_integer(params, "amount")
        if amount is not None and amount < 1:
            raise invalid("Invalid positive integer", "amount", "parameter_invalid_integer")
        reason = read_choice(params, "reason", REFUND_REASONS)
        metadata = read_metadata(params.get("metadata"))
        intent_id, charge_id = read_string(params, "payment_intent"), read_string(params, "charge")
        if intent_id is None and charge_id is None:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                "payment_intent",
                "parameter_missing",
            )
        if charge_id is not None:
            charge = self._charges.get(charge_id)
            if charge is None:
                raise missing("charge", charge_id, "charge", 400)
            if intent_id is not None and intent_id != charge["payment_intent"]:
                raise invalid("The charge does not belong to this PaymentIntent.", "charge")
        else:
            assert intent_id is not None
            if intent_id not in self._intents:
                raise missing("payment_intent", intent_id, "payment_intent", 400)
            intent = self._intents[intent_id]
            charge = self._charges.get(intent["latest_charge"] or "")
            if intent["status"] != "succeeded" or charge is None:
                raise StripeApiError(
                    400,
                    f"This PaymentIntent ({intent_id}) does not have a successful charge to "
                    "refund.",
                    param="payment_intent",
                )
        if not charge["captured"]:
            raise StripeApiError(
                400, f"Charge {charge['id']} has not been captured.", param="charge"
            )
        refusal = self._refund_refusal(charge)
        if refusal is not None:
            raise refusal
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeApiError(
                400,
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise StripeApiError(
                400,
                f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than "
                f"unrefunded amount on charge ({format_amount(remaining, charge['currency'])})",
                param="amount",
            )
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "destination_details": {"card": {"reference_status": "pending", "type": "refund"}},
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": self._initial_refund_status(charge),
            "transfer_reversal": None,
        }
        if refund["status"] == "pending":
            refund["pending_reason"] = "processing"
        self._refunds[refund["id"]] = refund
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
        self._emit("refund.created", refund)
        self._emit("charge.refunded", charge, previous)
        return self._view(refund, params)
