"""One error envelope for the API, and the app-wide error handlers.

Under /api/ every error, including routing 404/405 and unexpected 500s, answers

    {"error": {"code": ..., "message": ..., "details": {...}}}

Elsewhere errors render the back-office's error page
(which names a missing permission), or Flask's default when the back-office is not mounted.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException, InternalServerError

from commerce.errors import DomainError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """Whether the current request should be answered in JSON (API paths, or JSON-only clients)."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(code: str, message: str, status: int, details: dict | None = None) -> Response:
    """The API's error envelope as a response."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


def _code_for(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def _html(status: int, title: str, message: str, permission: str | None = None):
    try:
        return render_template(
            "errors/http.html", status=status, title=title, message=message, permission=permission
        ), status
    except TemplateNotFound:
        return None


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for DomainError, HTTPException and unexpected exceptions."""

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        if wants_json():
            return error_response(exc.code, exc.message, exc.status, exc.details)
        page = _html(
            exc.status,
            exc.code.replace("_", " ").capitalize(),
            exc.message,
            exc.details.get("permission"),
        )
        return page or (exc.message, exc.status)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if wants_json():
            response = error_response(_code_for(exc), exc.description or exc.name, exc.code or 500)
            if exc.code == 405 and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        permission = getattr(exc, "permission", None)
        return _html(exc.code or 500, exc.name, exc.description or "", permission) or exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response("internal_error", "Something went wrong on our side.", 500)
        return (
            _html(500, "Server error", "Something went wrong on our side.") or InternalServerError()
        )
