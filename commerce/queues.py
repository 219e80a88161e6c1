"""RQ queues as the back-office sees them: counts, failed jobs, retry and delete (audited)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import current_app
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from commerce import audit, db
from commerce.audit import Actor
from commerce.errors import NotFound
from commerce.kv import get_redis


@dataclasses.dataclass(frozen=True, slots=True)
class FailedJob:
    id: str
    queue: str
    description: str
    failed_at: dt.datetime | None
    error: str
    retries_left: int | None


def queue_names() -> list[str]:
    """The queues this deployment runs (RQ_QUEUES)."""
    return list(current_app.config["RQ_QUEUES"])


def queue_counts() -> dict[str, dict[str, int]]:
    """{queue: {"queued": n, "failed": n}} for every queue."""
    redis = get_redis()
    counts = {}
    for name in queue_names():
        queue = Queue(name, connection=redis)
        counts[name] = {"queued": queue.count, "failed": FailedJobRegistry(queue=queue).count}
    return counts


def failed_jobs(limit: int = 200) -> list[FailedJob]:
    """Failed jobs of every queue, newest failure first."""
    redis = get_redis()
    found: list[FailedJob] = []
    for name in queue_names():
        registry = FailedJobRegistry(queue=Queue(name, connection=redis))
        for job in Job.fetch_many(registry.get_job_ids(0, limit - 1), connection=redis):
            if job is None:
                continue
            result = job.latest_result()
            error = (result.exc_string if result and result.exc_string else "") or ""
            found.append(
                FailedJob(
                    id=job.id,
                    queue=name,
                    description=job.description or job.func_name,
                    failed_at=job.ended_at,
                    error=error.strip().splitlines()[-1] if error else "",
                    retries_left=job.retries_left,
                )
            )
    found.sort(key=lambda j: j.failed_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    return found[:limit]


def _registry_of(job_id: str) -> tuple[FailedJobRegistry, Job]:
    redis = get_redis()
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        raise NotFound(f"Job {job_id} does not exist (it may have expired).") from None
    registry = FailedJobRegistry(queue=Queue(job.origin, connection=redis))
    if job_id not in registry:
        raise NotFound(f"Job {job_id} is not in the failed list.")
    return registry, job


def retry_failed(job_id: str, *, actor: Actor) -> None:
    """Put a failed job back on its queue. Raises NotFound."""
    registry, job = _registry_of(job_id)
    registry.requeue(job_id)
    audit.record(actor, "job.retry", "job", job_id, {"queue": [None, job.origin]})
    db.session.commit()


def delete_failed(job_id: str, *, actor: Actor) -> None:
    """Remove a failed job for good. Raises NotFound."""
    registry, job = _registry_of(job_id)
    registry.remove(job, delete_job=True)
    audit.record(actor, "job.delete", "job", job_id, {"description": [job.description, None]})
    db.session.commit()
