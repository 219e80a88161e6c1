"""The audit trail, read-only, with filters by actor, object, action and date."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from backoffice.base import ReadOnlyModelView


def _changes(_view: Any, _context: Any, model: Any, _name: str) -> Markup:
    if not model.changes:
        return Markup('<span class="text-muted">-</span>')
    items = Markup("").join(
        Markup("<li><code>{}</code>: {} &rarr; {}</li>").format(
            field,
            json.dumps(values[0], ensure_ascii=False) if isinstance(values, list) else "",
            json.dumps(values[1], ensure_ascii=False)
            if isinstance(values, list)
            else json.dumps(values, ensure_ascii=False),
        )
        for field, values in sorted(model.changes.items())
    )
    return Markup('<ul class="list-unstyled mb-0 small">{}</ul>').format(items)


class AuditEntryAdmin(ReadOnlyModelView):
    resource = "audit"
    export_enabled = True
    column_list = (
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "ip",
        "changes",
    )
    column_labels = {
        "occurred_at": "When",
        "actor_label": "Who",
        "object_type": "Object",
        "object_id": "Object id",
        "ip": "IP",
    }
    column_searchable_list = ("actor_label", "action", "object_type", "object_id")
    column_filters = (
        "occurred_at",
        "actor_kind",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "ip",
    )
    column_sortable_list = ("occurred_at", "actor_label", "action", "object_type")
    column_default_sort = ("id", True)
    column_formatters = {"changes": _changes}
    column_formatters_export = {"changes": lambda v, c, m, n: json.dumps(m.changes)}
    column_details_list = (
        "id",
        "occurred_at",
        "actor_kind",
        "actor_id",
        "actor_label",
        "ip",
        "action",
        "object_type",
        "object_id",
        "changes",
    )
