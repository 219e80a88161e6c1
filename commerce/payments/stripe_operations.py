"""The emulator's payment operations after a charge: manual capture, refund outcomes, disputes.

Part of `StripeEmulator` (a mixin over its state and lock), in Stripe's wire format:

- `capture_method=manual`: confirming authorises only (`requires_capture`, the charge uncaptured,
  `payment_intent.amount_capturable_updated`); `POST /v1/payment_intents/{id}/capture` with an
  optional `amount_to_capture` takes the money (`charge.captured`, `payment_intent.succeeded`);
  cancelling releases the authorisation.
- Refund outcomes, chosen by the test card that paid, as Stripe's test cards do:
  `pm_card_pendingRefund` refunds start `pending`; `pm_card_refundFail` refunds start `succeeded`
  and later fail. "Later" is `settle_refund()`, which emits `refund.updated`,
  `charge.refund.updated` (and `refund.failed`). `GET /v1/refunds?payment_intent=...` lists them.
- `pm_card_createDispute`: the charge succeeds and is disputed at once (`charge.dispute.created`,
  reason fraudulent). `GET /v1/disputes/{id}`; `POST /v1/disputes/{id}` with
  `evidence[uncategorized_text]=winning_evidence` (or `losing_evidence`) closes it won (or lost),
  as in Stripe's test mode; `POST /v1/disputes/{id}/close` accepts it (lost). Closing emits
  `charge.dispute.closed`. A disputed charge cannot be refunded (`charge_disputed`).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from commerce.payments.stripe_wire import (
    StripeApiError,
    format_amount,
    invalid,
    missing,
    new_id,
    read_integer,
    read_metadata,
    read_string,
    reject_unknown,
)

# test token -> what happens after the charge succeeds
BEHAVIOURS = {
    "pm_card_pendingRefund": "refund_pending",
    "pm_card_refundFail": "refund_fail",
    "pm_card_createDispute": "dispute",
}
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
DISPUTE_CLOSED = ("won", "lost", "warning_closed", "prevented")


class PaymentOperationsMixin:
    """Capture, refund outcomes and disputes over the emulator's state (see the module)."""

    _intents: dict[str, dict[str, Any]]
    _charges: dict[str, dict[str, Any]]
    _refunds: dict[str, dict[str, Any]]
    _disputes: dict[str, dict[str, Any]]
    _charge_behaviours: dict[str, str]

    # provided by StripeEmulator
    def _emit(self, type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        raise NotImplementedError

    def _view(self, obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _intent(self, intent_id: str) -> dict[str, Any]:
        raise NotImplementedError

    # -- manual capture ----------------------------------------------------------------------------

    def _authorised(self, intent: dict[str, Any], charge: dict[str, Any]) -> None:
        """A manual-capture confirmation: the card is authorised, nothing is taken yet."""
        intent.update(
            status="requires_capture", amount_capturable=intent["amount"], last_payment_error=None
        )
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.amount_capturable_updated", intent)

    def _capture(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"amount_to_capture", "metadata", "expand"})
        intent = self._intent(intent_id)
        if intent["status"] != "requires_capture":
            raise StripeApiError(
                400,
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be captured: requires_capture.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(intent),
            )
        amount = read_integer(params, "amount_to_capture")
        capturable = intent["amount_capturable"]
        if amount is None:
            amount = capturable
        if amount < 1:
            raise invalid("Invalid positive integer", "amount_to_capture")
        if amount > capturable:
            raise invalid(
                f"The amount to capture ({format_amount(amount, intent['currency'])}) must be "
                "less than or equal to the amount capturable "
                f"({format_amount(capturable, intent['currency'])}).",
                "amount_to_capture",
                "amount_too_large",
            )
        intent["metadata"].update(read_metadata(params.get("metadata")))
        charge = self._charges[intent["latest_charge"]]
        charge.update(captured=True, amount_captured=amount)
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self._emit("charge.captured", charge)
        self._emit("payment_intent.succeeded", intent)
        self._after_charge(charge)
        return self._view(intent, params)

    # -- refunds -----------------------------------------------------------------------------------

    def _refund_refusal(self, charge: dict[str, Any]) -> StripeApiError | None:
        if charge.get("disputed"):
            return StripeApiError(
                400,
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        return None

    def _initial_refund_status(self, charge: dict[str, Any]) -> str:
        pending = self._charge_behaviours.get(charge["id"]) == "refund_pending"
        return "pending" if pending else "succeeded"

    def _list_refunds(self, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"payment_intent", "charge", "limit", "starting_after", "expand"})
        limit = read_integer(params, "limit") or 10
        if not 1 <= limit <= 100:
            raise invalid("Invalid limit: must be between 1 and 100", "limit")
        intent_id, charge_id = read_string(params, "payment_intent"), read_string(params, "charge")
        if intent_id is not None and intent_id not in self._intents:
            raise missing("payment_intent", intent_id, "payment_intent", 400)
        newest_first = [
            r
            for r in reversed(self._refunds.values())
            if intent_id in (None, r["payment_intent"]) and charge_id in (None, r["charge"])
        ]
        after = read_string(params, "starting_after")
        if after:
            ids = [r["id"] for r in newest_first]
            if after not in ids:
                raise missing("refund", after, "starting_after", 400)
            newest_first = newest_first[ids.index(after) + 1 :]
        return {
            "object": "list",
            "data": copy.deepcopy(newest_first[:limit]),
            "has_more": len(newest_first) > limit,
            "url": "/v1/refunds",
        }

    def settle_refund(
        self, refund_id: str, *, status: str | None = None, failure_reason: str | None = None
    ) -> dict[str, Any]:
        """What Stripe does later to a refund: a pending one succeeds (or fails), one paid by
        `pm_card_refundFail` fails. `status` forces "succeeded" or "failed"; `failure_reason`
        defaults to Stripe's "expired_or_canceled_card". Emits refund.updated and
        charge.refund.updated (and refund.failed). Returns the refund; KeyError if unknown."""
        with self._lock:  # type: ignore[attr-defined]
            refund = self._refunds[refund_id]
            charge = self._charges[refund["charge"]]
            if status is None:
                failing = self._charge_behaviours.get(charge["id"]) == "refund_fail"
                status = "failed" if failing else "succeeded"
            if status not in ("succeeded", "failed"):
                raise ValueError("status must be 'succeeded' or 'failed'")
            if refund["status"] == status or refund["status"] in ("failed", "canceled"):
                return copy.deepcopy(refund)
            previous = {"status": refund["status"]}
            refund["status"] = status
            refund.pop("pending_reason", None)
            if status == "failed":
                refund["failure_reason"] = failure_reason or "expired_or_canceled_card"
                refund["failure_balance_transaction"] = new_id("txn")
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
            self._emit("refund.updated", refund, previous)
            self._emit("charge.refund.updated", refund, previous)
            if status == "failed":
                self._emit("refund.failed", refund)
            return copy.deepcopy(refund)

    # -- disputes ----------------------------------------------------------------------------------

    def _after_charge(self, charge: dict[str, Any]) -> None:
        """What a test card does once its charge is captured (a dispute for createDispute)."""
        if self._charge_behaviours.get(charge["id"]) != "dispute" or charge.get("disputed"):
            return
        now = int(time.time())
        dispute = {
            "id": new_id("dp"),
            "object": "dispute",
            "amount": charge["amount_captured"],
            "balance_transactions": [],
            "charge": charge["id"],
            "created": now,
            "currency": charge["currency"],
            "evidence": {"uncategorized_text": None},
            "evidence_details": {
                "due_by": now + 7 * 24 * 3600,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": "fraudulent",
            "status": "needs_response",
        }
        self._disputes[dispute["id"]] = dispute
        charge["disputed"] = True
        self._emit("charge.dispute.created", dispute)

    def _dispute(self, dispute_id: str) -> dict[str, Any]:
        try:
            return self._disputes[dispute_id]
        except KeyError:
            raise missing("dispute", dispute_id, "dispute") from None

    def _retrieve_dispute(self, dispute_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        return self._view(self._dispute(dispute_id), params)

    def _update_dispute(self, dispute_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"evidence", "metadata", "submit", "expand"})
        dispute = self._dispute(dispute_id)
        if dispute["status"] in DISPUTE_CLOSED:
            raise StripeApiError(
                400, f"This dispute is already closed ({dispute['status']}).", param="evidence"
            )
        evidence = params.get("evidence") or {}
        if not isinstance(evidence, dict):
            raise invalid("Invalid hash for parameter: evidence", "evidence")
        reject_unknown(evidence, {"uncategorized_text"}, "evidence")
        text = read_string(evidence, "uncategorized_text")
        dispute["metadata"].update(read_metadata(params.get("metadata")))
        previous = {"status": dispute["status"]}
        if text is not None:
            dispute["evidence"]["uncategorized_text"] = text
            dispute["evidence_details"].update(has_evidence=True)
            dispute["evidence_details"]["submission_count"] += 1
        outcome = {"winning_evidence": "won", "losing_evidence": "lost"}.get(text or "")
        if outcome:
            self._close(dispute, outcome, previous)
        elif text is not None:
            dispute["status"] = "under_review"
            self._emit("charge.dispute.updated", dispute, previous)
        return self._view(dispute, params)

    def _close_dispute(self, dispute_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        dispute = self._dispute(dispute_id)
        if dispute["status"] not in DISPUTE_CLOSED:
            self._close(dispute, "lost", {"status": dispute["status"]})
        return self._view(dispute, params)

    def _close(self, dispute: dict[str, Any], outcome: str, previous: dict[str, Any]) -> None:
        dispute["status"] = outcome
        self._emit("charge.dispute.closed", dispute, previous)
