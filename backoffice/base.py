"""Base classes for back-office views: permission-aware Flask-Admin views whose writes go to
services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from wtforms import Form

from backoffice.security import PermissionMixin
from commerce import audit
from commerce.errors import DomainError


def show_domain_error(exc: DomainError, form: Form | None = None) -> None:
    """Flash `exc` and attach its field errors to `form`, so the form re-renders with them."""
    fields = exc.details.get("fields") or (
        {exc.details["field"]: exc.message.partition(": ")[2] or exc.message}
        if "field" in exc.details
        else {}
    )
    if form is not None:
        for name, problem in fields.items():
            if name in form:
                form[name].errors = [*list(form[name].errors or ()), problem]
    flash(exc.message, "error")


def _datetime(_view: Any, value: dt.datetime, _name: str) -> str:
    """Timestamps read as "2026-11-24 09:30 UTC" in lists and details."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class SecuredModelView(PermissionMixin, ModelView):
    """A ModelView whose buttons and methods follow the permission matrix.

    Subclasses set `resource`, and the *_enabled flags for what the view offers at all; whether the
    signed-in user sees each button is then decided by their role.
    """

    create_enabled = False
    edit_enabled = False
    delete_enabled = False
    export_enabled = False
    # action name -> matrix action it needs (e.g. {"deactivate": "edit"})
    action_permissions: dict[str, str] = {}

    page_size = 50
    can_set_page_size = True
    can_view_details = True
    export_types = ("csv",)
    column_type_formatters = {**typefmt.BASE_FORMATTERS, dt.datetime: _datetime}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, dt.datetime: _datetime}
    list_template = "backoffice/model/list.html"
    details_template = "backoffice/model/details.html"
    edit_template = "backoffice/model/edit.html"
    # The audit trail's object_type for this view's rows; None hides the history panel.
    audit_object_type: str | None = None

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.create_enabled and self.allowed("create")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.edit_enabled and self.allowed("edit")

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self.delete_enabled and self.allowed("delete")

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self.export_enabled and self.allowed("export")

    def is_action_allowed(self, name: str) -> bool:
        needed = self.action_permissions.get(name, "edit")
        return super().is_action_allowed(name) and self.allowed(needed)

    # Rows with a history show it on their details and edit pages.
    def audit_history(self, model: Any) -> list[audit.AuditEntry]:
        if self.audit_object_type is None or model is None:
            return []
        return audit.history(self.audit_object_type, self.get_pk_value(model))

    def render(self, template: str, **kwargs: Any) -> str:
        model = kwargs.get("model")
        kwargs.setdefault("history", self.audit_history(model) if model is not None else [])
        return super().render(template, **kwargs)


class ReadOnlyModelView(SecuredModelView):
    """A list/details view with no create, edit or delete (audit trail, outbox)."""

    can_view_details = True


class SecuredView(PermissionMixin, BaseView):
    """A plain back-office page (not a model list) guarded by the permission matrix."""
