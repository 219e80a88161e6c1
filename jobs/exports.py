"""Catalog export as an RQ job.

The file lands in EXPORTS_DIR (default instance/exports) and progress in the job's meta (rows_done /
rows_total), so the back-office can show both and a download link.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from flask import current_app
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from commerce.catalog import exporter
from commerce.errors import InvalidInput, NotFound
from commerce.kv import get_redis

QUEUE = "reports"
KEEP_SECONDS = 7 * 24 * 3600
_ID = re.compile(r"^[0-9a-f]{32}$")


def exports_dir() -> Path:
    """Where export files are written (EXPORTS_DIR, else instance/exports)."""
    configured = current_app.config.get("EXPORTS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "exports"


def export_path(export_id: str, fmt: str) -> Path:
    """The file of an export. Raises NotFound for an id or format that is not ours."""
    if not _ID.match(export_id) or fmt not in exporter.FORMATS:
        raise NotFound("No such export.")
    return exports_dir() / f"catalog-{export_id}.{fmt}"


def _progress(done: int, total: int) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(rows_done=done, rows_total=total)
        job.save_meta()


def export_catalog(export_id: str, filters: dict[str, Any], fmt: str) -> dict[str, Any]:
    """Job: write the catalog export. Returns {"rows", "file"}; running it again rewrites it."""
    path = export_path(export_id, fmt)
    rows = exporter.write(path, fmt, exporter.ExportFilters.from_dict(filters), _progress)
    return {"rows": rows, "file": path.name}


def start_export(filters: dict[str, Any], fmt: str) -> str:
    """Queue an export; returns its id (also the RQ job's id suffix). Raises InvalidInput."""
    exporter.ExportFilters.from_dict(filters)  # refuse bad filters now, not in the worker
    if fmt not in exporter.FORMATS:
        raise InvalidInput("format: must be csv or xlsx", fields={"format": "csv or xlsx"})
    export_id = uuid.uuid4().hex
    Queue(QUEUE, connection=get_redis()).enqueue(
        export_catalog,
        export_id,
        dict(filters),
        fmt,
        job_id=f"export-{export_id}",
        result_ttl=KEEP_SECONDS,
        failure_ttl=KEEP_SECONDS,
        job_timeout=3600,
        description=f"catalog export ({fmt})",
    )
    return export_id


def export_status(export_id: str) -> dict[str, Any]:
    """{"status", "rows_done", "rows_total", "file"} of an export. Raises NotFound."""
    if not _ID.match(export_id):
        raise NotFound("No such export.")
    try:
        job = Job.fetch(f"export-{export_id}", connection=get_redis())
    except NoSuchJobError:
        raise NotFound("No such export (it may have expired).") from None
    result = job.return_value() or {}
    return {
        "status": job.get_status(refresh=True).value,
        "rows_done": job.meta.get("rows_done", 0),
        "rows_total": job.meta.get("rows_total"),
        "file": result.get("file"),
        "format": job.args[2] if len(job.args) > 2 else None,
    }
