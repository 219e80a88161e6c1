"""Customer data-export archives as RQ jobs (commerce.customers.data_exports builds them).

Progress goes in the job's meta (steps_done / steps_total / step), so the customer's page can
show it while the archive is built, and a download link once it is ready.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from commerce.audit import Actor
from commerce.customers import data_exports
from commerce.customers.data_exports import CustomerDataExport
from commerce.kv import get_redis

QUEUE = "reports"
KEEP_SECONDS = 7 * 24 * 3600


def job_id(export_id: int) -> str:
    """The RQ job id of an export's build (one per export, so a double submit queues once)."""
    return f"customer-export-{int(export_id)}"


def _progress(done: int, total: int, step: str) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(steps_done=done, steps_total=total, step=step)
        job.save_meta()


def build_customer_export(export_id: int) -> dict[str, Any]:
    """Job: build the export's archive. Returns {"status", "size_bytes"}; running it again does
    no harm (a ready archive stays as it is)."""
    try:
        export = data_exports.build_archive(export_id, progress=_progress)
    except Exception:
        data_exports.mark_failed(export_id)
        raise
    return {"status": export.status, "size_bytes": export.size_bytes}


def start_customer_export(customer_id: int, *, actor: Actor) -> CustomerDataExport:
    """Record the export (audited) and queue the job that builds it. Raises NotFound, Conflict
    (erased customer), RedisError (the export is then marked failed)."""
    export = data_exports.request_export(customer_id, actor=actor)
    try:
        Queue(QUEUE, connection=get_redis()).enqueue(
            build_customer_export,
            export.id,
            job_id=job_id(export.id),
            result_ttl=KEEP_SECONDS,
            failure_ttl=KEEP_SECONDS,
            job_timeout=1800,
            description=f"customer data export #{export.id}",
        )
    except RedisError:
        data_exports.mark_failed(export.id)
        raise
    return export


def progress_of(export_id: int) -> dict[str, Any] | None:
    """{"steps_done", "steps_total", "step"} of an export's job, None when its job is gone."""
    try:
        job = Job.fetch(job_id(export_id), connection=get_redis())
    except NoSuchJobError:
        return None
    return {
        "steps_done": job.meta.get("steps_done", 0),
        "steps_total": job.meta.get("steps_total") or 3,
        "step": job.meta.get("step") or "Waiting for a worker",
    }
