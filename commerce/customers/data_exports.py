"""Data-export archives: a ZIP of everything we hold on a customer, built by a job for staff who
answer a subject access request, kept privately for a few days, then deleted.

The archive holds `customer-data.json` (privacy.export_customer_data: profile, consent and its
history, addresses, orders with lines, account events, erasure requests) and `staff-notes.json`
(the notes staff wrote on the customer, which are personal data too). Invoice PDFs are not in it
yet: the invoicing context does not exist at the time of writing.

Files live in CUSTOMER_EXPORTS_DIR (default instance/customer-exports), which nothing serves
directly: the back-office hands an archive only to staff holding `customers.export`, and records
each download in the audit trail. An archive is deleted CUSTOMER_EXPORT_KEEP_DAYS (default 7)
after it was built, and at once (by the next purge) when its customer is erased; its row stays,
marked `deleted`, as the record that an export happened. Audit rows name the export by id only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.customers import notes, privacy
from commerce.customers.models import Customer
from commerce.db import Base, one_of, utcnow
from commerce.errors import Conflict, NotFound

EXPORT_STATUSES = ("queued", "running", "ready", "failed", "deleted")
DEFAULT_KEEP_DAYS = 7
DATA_FILE = "customer-data.json"
NOTES_FILE = "staff-notes.json"

Progress = Callable[[int, int, str], None]


class CustomerDataExport(Base):
    """One data-export archive of one customer: requested by staff, built by a job."""

    __tablename__ = "customer_data_exports"
    __table_args__ = (
        CheckConstraint(
            one_of("status", EXPORT_STATUSES),
            name="status_known",
        ),
        CheckConstraint(
            "status <> 'ready' OR (finished_at IS NOT NULL AND expires_at IS NOT NULL"
            " AND size_bytes IS NOT NULL)",
            name="ready_has_file",
        ),
        CheckConstraint("(status = 'deleted') = (deleted_at IS NOT NULL)", name="deleted_when"),
        Index("ix_customer_data_exports_customer_id_id", "customer_id", "id"),
        Index(
            "ix_customer_data_exports_live",
            "created_at",
            postgresql_where=text("status <> 'deleted'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def download_name(self) -> str:
        """The file name a download is saved as."""
        return f"customer-{self.customer_id}-data-export-{self.id}.zip"


# --- settings and files ----------------------------------------------------------------------


def exports_dir() -> Path:
    """Where archives are written (CUSTOMER_EXPORTS_DIR, else instance/customer-exports)."""
    configured = current_app.config.get("CUSTOMER_EXPORTS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "customer-exports"


def keep_days() -> int:
    """How many days an archive is kept (CUSTOMER_EXPORT_KEEP_DAYS, default 7)."""
    return int(current_app.config.get("CUSTOMER_EXPORT_KEEP_DAYS") or DEFAULT_KEEP_DAYS)


def archive_path(export_id: int) -> Path:
    """The archive file of an export (whether or not it exists yet)."""
    return exports_dir() / f"customer-data-export-{int(export_id)}.zip"


def _partial_path(export_id: int) -> Path:
    return archive_path(export_id).with_suffix(".zip.partial")


# --- reads -----------------------------------------------------------------------------------


def get_export(export_id: int) -> CustomerDataExport:
    """One export. Raises NotFound."""
    export = db.session.get(CustomerDataExport, export_id)
    if export is None:
        raise NotFound(f"No data export {export_id}.")
    return export


def list_exports(customer_id: int, *, limit: int = 5) -> list[CustomerDataExport]:
    """The customer's newest exports, newest first."""
    stmt = (
        select(CustomerDataExport)
        .where(CustomerDataExport.customer_id == customer_id)
        .order_by(CustomerDataExport.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def is_downloadable(export: CustomerDataExport, *, now: dt.datetime | None = None) -> bool:
    """Whether the archive is ready, unexpired and its file is there."""
    now = now or utcnow()
    return (
        export.status == "ready"
        and export.expires_at is not None
        and export.expires_at > now
        and archive_path(export.id).is_file()
    )


# --- use cases -------------------------------------------------------------------------------


def request_export(customer_id: int, *, actor: Actor) -> CustomerDataExport:
    """Record a request for the customer's data-export archive (the caller queues the job that
    builds it). Raises NotFound, Conflict (the customer is erased: nothing left to export)."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer_id: no customer {customer_id}", details={"field": "customer_id"})
    if customer.erased_at is not None:
        raise Conflict("The customer has been erased; there is no personal data to export.")
    export = CustomerDataExport(
        customer_id=customer_id,
        requested_by_id=actor.id if actor.kind == "staff" else None,
        status="queued",
    )
    db.session.add(export)
    db.session.flush()
    audit.record(
        actor,
        "customer.data_export",
        "customer",
        customer_id,
        {"data_export_id": [None, export.id]},
    )
    events.record("customer.data_export_requested", customer_id=customer_id, export_id=export.id)
    db.session.commit()
    return export


def _write_archive(path: Path, members: dict[str, Any]) -> int:
    """Write `members` ({name: JSON-safe data}) as a ZIP at `path`, atomically. Returns its
    size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, json.dumps(data, indent=2, ensure_ascii=False))
    os.chmod(partial, 0o600)  # personal data: readable by the app's user only
    os.replace(partial, path)
    return path.stat().st_size


def build_archive(export_id: int, *, progress: Progress | None = None) -> CustomerDataExport:
    """Build the export's ZIP and mark it ready until it expires (`customer.data_export_ready`);
    running it again on a ready or deleted export changes nothing. An erased customer's export
    fails instead. Raises NotFound."""
    report = progress or (lambda _done, _total, _step: None)
    export = db.session.get(
        CustomerDataExport, export_id, with_for_update=True, populate_existing=True
    )
    if export is None:
        raise NotFound(f"No data export {export_id}.")
    if export.status == "deleted" or (
        export.status == "ready" and archive_path(export.id).is_file()
    ):
        db.session.commit()
        return export
    customer = db.session.get(Customer, export.customer_id)
    if customer is None or customer.erased_at is not None:
        export.status, export.finished_at = "failed", utcnow()
        db.session.commit()
        return export
    export.status = "running"
    db.session.commit()

    report(0, 3, "Collecting the customer's data")
    members = {DATA_FILE: privacy.export_customer_data(export.customer_id)}
    report(1, 3, "Collecting staff notes")
    members[NOTES_FILE] = [notes.note_data(n) for n in notes.list_notes(export.customer_id)]
    report(2, 3, "Writing the archive")
    size = _write_archive(archive_path(export.id), members)

    now = utcnow()
    export.status, export.size_bytes = "ready", size
    export.finished_at, export.expires_at = now, now + dt.timedelta(days=keep_days())
    events.record("customer.data_export_ready", customer_id=export.customer_id, export_id=export.id)
    db.session.commit()
    report(3, 3, "Ready")
    return export


def mark_failed(export_id: int) -> None:
    """Mark an export that could not be built as failed (the job failed; its partial file
    goes)."""
    _partial_path(export_id).unlink(missing_ok=True)
    export = db.session.get(CustomerDataExport, export_id, with_for_update=True)
    if export is not None and export.status in ("queued", "running"):
        export.status, export.finished_at = "failed", utcnow()
    db.session.commit()


def open_for_download(export_id: int, customer_id: int, *, actor: Actor) -> Path:
    """The archive's file for `actor` to download, recorded in the audit trail. Raises NotFound
    (unknown, another customer's, not ready, expired or deleted)."""
    export = db.session.get(CustomerDataExport, export_id)
    if export is None or export.customer_id != customer_id or not is_downloadable(export):
        raise NotFound("This data export is not available (it may have expired).")
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.erased_at is not None:
        raise NotFound("This data export is not available: the customer has been erased.")
    audit.record(
        actor,
        "customer.data_export_download",
        "customer",
        customer_id,
        {"data_export_id": export_id},
    )
    db.session.commit()
    return archive_path(export_id)


def purge_exports(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Delete the archives that expired, that were started more than the keeping period ago and
    never finished, or whose customer has been erased; their rows stay, marked deleted. Returns
    how many."""
    now = now or utcnow()
    stale = now - dt.timedelta(days=keep_days())
    stmt = (
        select(CustomerDataExport)
        .join(Customer, Customer.id == CustomerDataExport.customer_id)
        .where(
            CustomerDataExport.status != "deleted",
            or_(
                CustomerDataExport.expires_at <= now,
                CustomerDataExport.created_at <= stale,
                Customer.erased_at.is_not(None),
            ),
        )
        .order_by(CustomerDataExport.id)
        .with_for_update(of=CustomerDataExport, skip_locked=True)
    )
    exports = list(db.session.scalars(stmt))
    for export in exports:
        archive_path(export.id).unlink(missing_ok=True)
        _partial_path(export.id).unlink(missing_ok=True)
        before = export.status
        export.status, export.deleted_at = "deleted", now
        audit.record(
            actor,
            "customer.data_export_delete",
            "customer",
            export.customer_id,
            {"data_export_id": export.id, "status": [before, "deleted"]},
        )
    db.session.commit()
    return len(exports)
