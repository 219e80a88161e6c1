"""Where the order screens meet contexts that may not be installed: refunds
(commerce.payments.refunds), captures and voids (commerce.payments.captures), shipments and their
documents (commerce.fulfilment), returns and invoices. Each hook is looked up when a page is
drawn and answers None while its module is absent, so the panel or action simply does not show
(or, for a bulk action, says it is not available). Nothing here writes: actions call the hooked
service functions.

Panels are found by table: the first mapped class whose table is one of the panel's `tables`
and has an `order_id` column, after importing the panel's `modules` (so a module that defines
the model under another name still fills it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from flask import url_for
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from werkzeug.routing import BuildError

from backoffice.security import has_permission
from commerce import db
from commerce.db import Base
from commerce.money import format_money

REFUNDS = "commerce.payments.refunds"
CAPTURES = "commerce.payments.captures"
FULFILMENT = ("commerce.fulfilment.service", "commerce.fulfilment")
DOCUMENTS = ("commerce.fulfilment.documents", "commerce.fulfilment.service", "commerce.fulfilment")


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only "not installed" hides a hook; a broken module of ours must fail loudly.
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


def function(modules: str | tuple[str, ...], name: str) -> Callable[..., Any] | None:
    """`name` from the first of `modules` that exists and defines it, else None."""
    for module_name in (modules,) if isinstance(modules, str) else modules:
        module = _module(module_name)
        found = getattr(module, name, None) if module is not None else None
        if callable(found):
            return found
    return None


def refund_order() -> Callable[..., Any] | None:
    """commerce.payments.refunds.refund_order(order_id, *, amount=None, lines=None, reason,
    restock=False, actor, gateway=None), when refunds exist."""
    return function(REFUNDS, "refund_order")


def payment_operation(name: str) -> Callable[..., Any] | None:
    """commerce.payments.captures' capture_payment(order_id, *, amount=None, actor) or
    void_payment(order_id, *, actor), when captures exist."""
    return function(CAPTURES, name)


def create_shipment() -> Callable[..., Any] | None:
    """commerce.fulfilment.service.create_shipment(order_id, lines=None, *, actor, ...)."""
    return function(FULFILMENT, "create_shipment")


def print_documents() -> Callable[..., Any] | None:
    """commerce.fulfilment's print_documents(order_ids, kind, ...) when it exists."""
    return function(DOCUMENTS, "print_documents")


# --- panels --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Panel:
    """A section of the order page listing another context's rows of the order."""

    key: str
    title: str
    modules: tuple[str, ...]
    tables: tuple[str, ...]
    columns: tuple[str, ...]  # shown when the model has them, in this order
    # (endpoint, id argument) of a page or download per row, the first that exists
    links: tuple[tuple[str, str], ...] = ()


PANELS = (
    Panel(
        "refunds",
        "Refunds",
        (REFUNDS, "commerce.payments.models"),
        ("refunds",),
        (
            "id",
            "status",
            "amount",
            "reason",
            "restock",
            "provider_reference",
            "failure_reason",
            "completed_at",
        ),
    ),
    Panel(
        "shipments",
        "Shipments",
        ("commerce.fulfilment.models",),
        ("shipments",),
        (
            "sequence",
            "status",
            "carrier",
            "service",
            "tracking_number",
            "units",
            "shipped_at",
            "delivered_at",
        ),
        (("shipments.details_view", "id"),),
    ),
    Panel(
        "returns",
        "Returns",
        ("commerce.returns.models", "commerce.returns"),
        ("returns",),
        ("number", "status", "reason", "resolution", "refund_amount", "received_at", "closed_at"),
        (("returns.details_view", "id"),),
    ),
    Panel(
        "invoices",
        "Invoices",
        ("commerce.invoicing.models", "commerce.invoicing"),
        ("invoices",),
        ("number", "title", "kind", "issued_at", "gross_amount"),
        (
            ("invoices.download_pdf", "invoice_id"),
            ("invoices.details_view", "id"),
        ),
    ),
)


def _model_for(panel: Panel) -> type | None:
    for name in panel.modules:
        _module(name)
    for mapper in Base.registry.mappers:
        table = getattr(mapper, "local_table", None)
        if table is not None and table.name in panel.tables and "order_id" in table.c:
            return mapper.class_
    return None


def _cell(model: Any, name: str, value: Any, currency: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and (name == "amount" or name.endswith("_amount")):
        return format_money(value, getattr(model, "currency", None) or currency)
    return str(value).replace("_", " ") if name in ("status", "kind") else str(value)


def _link(panel: Panel, row: Any) -> str | None:
    for endpoint, argument in panel.links:
        try:
            return url_for(endpoint, **{argument: row.id})
        except BuildError:
            continue
    return None


def panels_for(order: Any) -> list[dict[str, Any]]:
    """The panels whose context is installed, each {"key", "title", "columns", "rows"} where
    a row is {"cells": [text, ...], "link": url or None}."""
    shown = []
    for panel in PANELS:
        model = _model_for(panel)
        if model is None:
            continue
        attributes = {attr.key for attr in sa_inspect(model).all_orm_descriptors} | {
            name for name, _ in inspect.getmembers(model, lambda m: isinstance(m, property))
        }
        columns = [c for c in panel.columns if c in attributes]
        rows = db.session.scalars(
            select(model).where(model.order_id == order.id).order_by(model.id)  # type: ignore[attr-defined]
        ).all()
        shown.append(
            {
                "key": panel.key,
                "title": panel.title,
                "columns": [c.replace("_", " ").capitalize() for c in columns],
                "rows": [
                    {
                        "cells": [_cell(row, c, getattr(row, c), order.currency) for c in columns],
                        "link": _link(panel, row),
                    }
                    for row in rows
                ],
            }
        )
    return shown


def customer_url(customer_id: int) -> str | None:
    """The customer's back-office page, when the customers screens exist."""
    if not has_permission("customers.view"):
        return None
    for endpoint in ("customers.details_view", "customers.edit_view"):
        try:
            return url_for(endpoint, id=customer_id)
        except BuildError:
            continue
    return None
