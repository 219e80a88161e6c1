"""`flask jobs ...`: the RQ worker, the outbox relay, and failed-job helpers."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app
from flask.cli import AppGroup
from rq import Queue
from werkzeug.utils import import_string

from commerce import events
from commerce.kv import get_redis
from jobs.registry import routes
from jobs.worker import AppWorker

jobs_cli = AppGroup("jobs", help="Background jobs: worker, outbox relay, failed jobs.")
log = logging.getLogger("jobs")


@jobs_cli.command("worker")
@click.option("--queue", "-q", "queues", multiple=True, help="Queues to serve (default: all).")
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@click.option("--no-scheduler", is_flag=True, help="Do not run RQ's scheduler in this worker.")
def worker_command(queues: tuple[str, ...], burst: bool, no_scheduler: bool) -> None:
    """Run an RQ worker (with RQ's scheduler for retries and delayed jobs)."""
    redis = get_redis()
    names = list(queues) or current_app.config["RQ_QUEUES"]
    worker = AppWorker(
        [Queue(name, connection=redis) for name in names],
        connection=redis,
        app=current_app._get_current_object(),  # type: ignore[attr-defined]
    )
    worker.work(
        burst=burst, with_scheduler=not no_scheduler, logging_level=current_app.config["LOG_LEVEL"]
    )


def relay_loop(*, once: bool = False, poll: float | None = None) -> int:
    """Relay outbox events until stopped (or one pass with `once`). Returns events relayed."""
    redis = get_redis()
    table = routes()
    poll = poll if poll is not None else current_app.config["OUTBOX_POLL_SECONDS"]
    total = 0
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    if not once:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    with events.listening() as wait:
        while not stopping:
            relayed = events.relay_pending(redis, table)
            total += relayed
            if relayed:
                log.info("relayed %d event(s)", relayed)
            if once and not relayed:
                break
            if not relayed:
                wait(poll)
    return total


@jobs_cli.command("scheduler")
def scheduler_command() -> None:
    """Enqueue the periodic jobs of jobs/schedule.py on time (run exactly one per deployment)."""
    from rq.cron import CronScheduler

    from jobs.schedule import SCHEDULE

    scheduler = CronScheduler(connection=get_redis(), logging_level=current_app.config["LOG_LEVEL"])
    for entry in SCHEDULE:
        scheduler.register(
            import_string(entry.func),
            entry.queue,
            cron=entry.cron,
            interval=entry.interval,
            name=entry.func,
        )
    scheduler.start()


@jobs_cli.command("relay")
@click.option("--once", is_flag=True, help="Relay what is pending, then exit.")
def relay_command(once: bool) -> None:
    """Move outbox events onto RQ queues (wakes on NOTIFY, polls as a fallback)."""
    logging.basicConfig(
        level=current_app.config["LOG_LEVEL"],
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    started = time.monotonic()
    total = relay_loop(once=once)
    click.echo(f"relayed {total} event(s) in {time.monotonic() - started:.1f}s")
