"""Audit trail: who did what to which object, when, from where, with a before/after diff.

Rows are append-only: the migration installs a trigger that refuses UPDATE and DELETE on the table.
Services call `record(...)` inside their transaction; the row commits (or rolls back) with the
change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import BigInteger, DateTime, Index, String, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from commerce import db
from commerce.db import Base


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff user, a customer, an API client or the system itself, and from which IP."""

    kind: str  # "staff" | "customer" | "api_client" | "system"
    id: int | None = None
    label: str = ""
    ip: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The actor for jobs, CLI commands and other work no person started."""
        return cls(kind="system", label=label)


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id", "id"),
        Index("ix_audit_entries_actor", "actor_kind", "actor_id", "id"),
        Index("ix_audit_entries_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    object_type: Mapped[str] = mapped_column(String(80), nullable=False)
    object_id: Mapped[str] = mapped_column(String(80), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)

    def __repr__(self) -> str:
        return (
            f"<AuditEntry {self.action} {self.object_type}:{self.object_id} by {self.actor_label}>"
        )


def _jsonable(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool, float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """Return the JSON-safe values of `fields` on `obj`, for a later `diff`."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for every field whose value changed (absent counts as
    None)."""
    changed: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = _jsonable(before.get(name)), _jsonable(after.get(name))
        if old != new:
            changed[name] = [old, new]
    return changed


def record(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the current transaction (the caller commits). Returns the row."""
    entry = AuditEntry(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:255],
        ip=actor.ip,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=_jsonable(dict(changes or {})),
    )
    db.session.add(entry)
    return entry


_COPY_COLUMNS = (
    "actor_kind", "actor_id", "actor_label", "ip", "action", "object_type", "object_id", "changes",
)  # fmt: skip


def record_many(
    actor: Actor, entries: Iterable[tuple[str, str, object, Mapping[str, Any] | None]]
) -> int:
    """Add one audit row per (action, object_type, object_id, changes) to the current transaction
    with one COPY (for batch use cases such as imports; the caller commits). Returns the count."""
    head = (actor.kind, actor.id, actor.label[:255], actor.ip)
    rows = [
        (*head, action, object_type, str(object_id), Jsonb(_jsonable(dict(changes or {}))))
        for action, object_type, object_id, changes in entries
    ]
    if rows:
        db.copy_rows("audit_entries", _COPY_COLUMNS, rows)
    return len(rows)


def history(object_type: str, object_id: object, *, limit: int = 50) -> list[AuditEntry]:
    """The newest audit rows for one object, newest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
