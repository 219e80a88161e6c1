"""Report exports as RQ jobs, and the weekly sales summary emailed to managers.

An export's file lands beside the catalog exports (jobs/exports.py: EXPORTS_DIR, default
instance/exports) as report-<id>.<format>; its progress is in the job's meta (rows_done /
rows_total), like the catalog export's, so the Reports page shows both and a download link.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

from flask import current_app
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from commerce import db
from commerce.db import utcnow
from commerce.errors import NotFound
from commerce.kv import get_redis
from commerce.notifications.mailer import send_email
from commerce.reports import files, tables, weekly
from commerce.staff.models import StaffUser
from commerce.staff.permissions import ROLES, role_has
from jobs.exports import KEEP_SECONDS, QUEUE, exports_dir

_ID = re.compile(r"^[0-9a-f]{32}$")
RECIPIENT_PERMISSION = "analytics.view"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_path(export_id: str, fmt: str) -> Path:
    """The file of a report export. Raises NotFound for an id or format that is not ours."""
    if not _ID.match(export_id) or fmt not in files.FORMATS:
        raise NotFound("No such report.")
    return exports_dir() / f"report-{export_id}.{fmt}"


def _progress(done: int, total: int) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(rows_done=done, rows_total=total)
        job.save_meta()


def export_report(export_id: str, report: str, first: str, last: str, fmt: str) -> dict[str, Any]:
    """Job: write one report file. Returns {"rows", "file"}; running it again rewrites it.
    Raises InvalidInput for an unknown report, format or range."""
    definition = tables.get_report(report)
    start, end = tables.check_range(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    path = report_path(export_id, fmt)
    rows = files.write(
        path, fmt, definition.build(start, end), _progress, sheet_title=definition.title
    )
    return {"rows": rows, "file": path.name}


def start_report(report: str, first: dt.date | None, last: dt.date | None, fmt: str) -> str:
    """Queue a report export; returns its id. Raises InvalidInput (checked now, not in the
    worker) for an unknown report or format or a bad range."""
    definition = tables.get_report(report)
    files.check_format(fmt)
    if not definition.uses_range:
        first = last = first or last or utcnow().date()
    start, end = tables.check_range(first, last)
    export_id = uuid.uuid4().hex
    Queue(QUEUE, connection=get_redis()).enqueue(
        export_report,
        export_id,
        report,
        start.isoformat(),
        end.isoformat(),
        fmt,
        job_id=f"report-{export_id}",
        result_ttl=KEEP_SECONDS,
        failure_ttl=KEEP_SECONDS,
        job_timeout=3600,
        description=f"{definition.title} report ({fmt})",
    )
    return export_id


def report_status(export_id: str) -> dict[str, Any]:
    """{"status", "rows_done", "rows_total", "file", "format", "report", "title", "first",
    "last", "download_name"} of a report export. Raises NotFound."""
    if not _ID.match(export_id):
        raise NotFound("No such report.")
    try:
        job = Job.fetch(f"report-{export_id}", connection=get_redis())
    except NoSuchJobError:
        raise NotFound("No such report (it may have expired).") from None
    _id, report, first, last, fmt = job.args
    definition = tables.REPORTS.get(report)
    result = job.return_value() or {}
    when = f"{first}_{last}" if definition is None or definition.uses_range else first
    return {
        "status": job.get_status(refresh=True).value,
        "rows_done": job.meta.get("rows_done", 0),
        "rows_total": job.meta.get("rows_total"),
        "file": result.get("file"),
        "format": fmt,
        "report": report,
        "title": definition.title if definition else report,
        "first": first,
        "last": last,
        "uses_range": bool(definition and definition.uses_range),
        "download_name": f"{report}_{when}.{fmt}",
    }


# --- the weekly sales summary -------------------------------------------------------------------


def _recipients() -> list[StaffUser]:
    roles = [role for role in ROLES if role_has(role, RECIPIENT_PERMISSION)]
    stmt = (
        select(StaffUser)
        .where(StaffUser.is_active, StaffUser.role.in_(roles))
        .order_by(StaffUser.id)
    )
    return list(db.session.scalars(stmt))


def send_weekly_sales_summary(today: str | None = None) -> str:
    """Email last Monday-Sunday's sales summary, with an XLSX attachment, to every active staff
    member who may view analytics. Raises what the mailer raises (the job is retried).

    Each recipient gets one email per week (the dedupe key names the week and the person), so the
    job can run twice, or be retried after a half-sent run, without emailing anyone twice.
    `today` (ISO date) is for re-sending a past week; the schedule leaves it out."""
    day = dt.date.fromisoformat(today) if today else utcnow().date()
    monday, sunday = weekly.last_week(day)
    summary = weekly.weekly_summary(monday)
    filename = f"sales_{monday.isoformat()}_{sunday.isoformat()}.xlsx"
    attachment = (filename, summary.workbook(), XLSX)
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    sent = 0
    recipients = _recipients()
    for user in recipients:
        message = send_email(
            "weekly_sales_summary",
            user.email,
            {
                "name": user.name,
                "monday": monday,
                "sunday": sunday,
                "kpis": summary.kpis(),
                "filename": filename,
                "dashboards_url": f"{public}/dashboards/",
            },
            dedupe_key=f"weekly_sales_summary:{monday.isoformat()}:{user.id}",
            attachments=[attachment],
        )
        sent += message is not None
    return f"sent {sent} of {len(recipients)} weekly sales summar(y/ies) for {monday.isoformat()}"
