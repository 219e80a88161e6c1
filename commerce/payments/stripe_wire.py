"""Stripe's v1 wire format: form-decoded parameters, error bodies, ids and money in messages.

Shared by the emulator's endpoints. Errors follow Stripe's `{"error": {...}}` body with `type` and
`message` always present and `code`, `param`, `doc_url` only when they apply, as Stripe sends them.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

_ALPHANUM = string.ascii_letters + string.digits
SUPPORT = "See https://stripe.com/docs or we can help at https://support.stripe.com/."

# Currencies without minor units, and Stripe's minimum charge per currency (minor units).
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
     "xaf", "xof", "xpf"}
)  # fmt: skip
MINIMUM_CHARGE = {
    "usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "nzd": 50, "sgd": 50,
    "jpy": 50, "sek": 300, "nok": 300, "dkk": 250, "pln": 200, "czk": 1500, "huf": 17500,
    "hkd": 400, "mxn": 1000, "brl": 50, "inr": 50,
}  # fmt: skip
MAXIMUM_CHARGE = 99_999_999
_SYMBOLS = {"usd": "$", "cad": "$", "aud": "$", "nzd": "$", "sgd": "$", "eur": "€", "gbp": "£"}


class StripeApiError(Exception):
    """An error answered in Stripe's shape. `saved` says whether an idempotent replay returns it:
    Stripe keeps the result once an endpoint has started executing, not for rejected input."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        saved: bool = True,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.saved = saved
        self.error: dict[str, Any] = {"message": message, "type": type}
        if code:
            self.error["code"] = code
            self.error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.error["param"] = param
        self.error.update(extra)


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeApiError:
    """A parameter was rejected before the endpoint ran (so no idempotent result is saved)."""
    return StripeApiError(400, message, code=code, param=param, saved=False)


def missing(kind: str, object_id: str, param: str, status: int = 404) -> StripeApiError:
    return StripeApiError(
        status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


@dataclass
class Response:
    """What the HTTP layer writes back: a status, a JSON-able body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking object id such as `pi_3MtwBwLkdIwHu7ix28a3tqPa`."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHANUM) for _ in range(length))


def format_amount(amount: int, currency: str) -> str:
    """Money as Stripe writes it in messages: `$10.00`, `¥500`, `10.00 SEK`."""
    value = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding into nested dicts: `metadata[a]=1&expand[0]=x` ->
    `{"metadata": {"a": "1"}, "expand": {"0": "x"}}`; `name[]` appends. Lists stay dicts with
    numeric keys until a parameter that expects a list reads them (see `as_list`)."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", name)
        if not match:
            raise invalid(f"Invalid parameter name: {name}", name)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in parts[:-1]:
            key = part if part else str(len(node))
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise invalid(f"Invalid hash for parameter: {name}", name)
            node = child
        last = parts[-1] if parts[-1] else str(len(node))
        if isinstance(node.get(last), dict):
            raise invalid(f"Invalid string for parameter: {name}", name)
        node[last] = value
    return root


def as_list(value: Any, param: str) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise invalid(f"Invalid array for parameter: {param}", param)


def reject_unknown(params: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")


def read_string(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {name}", name)
    return value


def read_integer(params: Mapping[str, Any], name: str, *, required: bool = False) -> int | None:
    value = read_string(params, name)
    if value is None:
        if required:
            raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
        return None
    if not re.fullmatch(r"-?\d+", value):
        raise invalid(f"Invalid integer: {value}", name, "parameter_invalid_integer")
    return int(value)


def read_boolean(params: Mapping[str, Any], name: str) -> bool | None:
    value = read_string(params, name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise invalid(f"Invalid boolean: {value}", name, "parameter_invalid_boolean")
    return value == "true"


def read_choice(params: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    value = read_string(params, name)
    if value is not None and value not in choices:
        raise invalid(
            f"Invalid {name}: must be one of {', '.join(choices[:-1])}, or {choices[-1]}", name
        )
    return value


def read_metadata(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid hash for parameter: metadata", "metadata")
    result = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid(f"Invalid string: metadata[{key}]", f"metadata[{key}]")
        if len(key) > 40:
            raise invalid("Metadata keys can have up to 40 characters.", f"metadata[{key}]")
        if len(item) > 500:
            raise invalid("Metadata values can have up to 500 characters.", f"metadata[{key}]")
        if item != "":  # an empty value unsets the key
            result[key] = item
    if len(result) > 50:
        raise invalid("Metadata can have up to 50 keys.", "metadata")
    return result


def mask_key(key: str) -> str:
    return key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else "****"
