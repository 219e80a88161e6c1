"""Text no field can hold, refused where the API reads a request.

PostgreSQL cannot store a NUL character, and a lone UTF-16 surrogate (which a JSON `\\ud800`
escape decodes to) cannot be encoded as UTF-8 for a query or a hash. Either would fail deep in a
service as a 500, so the API's body (`json_body`) and query readers refuse them first with the
usual 400 (`invalid_input`) naming each field.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from commerce.errors import InvalidInput

PROBLEM = "must not contain NUL characters or unpaired surrogates"
MESSAGE = "Some fields contain characters that cannot be stored."


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unstorable_fields(value: Any, field: str = "body") -> dict[str, str]:
    """{field: problem} for every string in the JSON value `value` that cannot be stored, named by
    its path (`shipping_address.line1`, `tags[2]`); a bad object key names its object."""
    problems: dict[str, str] = {}
    if isinstance(value, str):
        if _unstorable(value):
            problems[field] = PROBLEM
    elif isinstance(value, dict):
        for key, item in value.items():
            if _unstorable(key):
                problems[field] = PROBLEM
                continue
            problems.update(unstorable_fields(item, key if field == "body" else f"{field}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.update(unstorable_fields(item, f"{field}[{index}]"))
    return problems


def check_body(body: Any) -> None:
    """Raise InvalidInput naming every field of the JSON body that cannot be stored."""
    if problems := unstorable_fields(body):
        raise InvalidInput(MESSAGE, fields=problems)


def check_args(args: MultiDict) -> None:
    """Raise InvalidInput naming every query parameter whose name or value cannot be stored."""
    problems = {
        name if not _unstorable(name) else "query": PROBLEM
        for name, value in args.items(multi=True)
        if _unstorable(name) or _unstorable(value)
    }
    if problems:
        raise InvalidInput(MESSAGE, fields=problems)


def json_body() -> dict[str, Any]:
    """The request's JSON object, checked by `check_body`. Raises InvalidInput naming `body` when
    it is not an object, or each field holding text no field can store."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            "The request body must be a JSON object.", fields={"body": "must be a JSON object"}
        )
    check_body(body)
    return body
