"""Periodic jobs: a plain table, run by `flask jobs scheduler` (RQ's CronScheduler).

Run exactly one scheduler process per deployment; workers on each queue do the work.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Periodic:
    """One periodic job: the dotted path of a function taking no arguments, its queue and timing."""

    func: str
    queue: str = "default"
    cron: str | None = None  # crontab syntax, UTC
    interval: int | None = None  # seconds
    description: str = ""


SCHEDULE: tuple[Periodic, ...] = (
    Periodic(
        "jobs.maintenance.prune_outbox",
        cron="17 3 * * *",
        description="Delete outbox events relayed more than 30 days ago",
    ),
    Periodic(
        "jobs.maintenance.expire_stock_reservations",
        interval=60,
        description="Give back stock held by checkout reservations that have expired",
    ),
    Periodic(
        "jobs.handlers.inventory.send_low_stock_digest",
        queue="mail",
        interval=3600,
        description="Email the low-stock digest to staff who may adjust inventory",
    ),
    Periodic(
        "jobs.maintenance.prune_customer_tokens",
        cron="29 3 * * *",
        description="Delete customer tokens expired, revoked or used more than 30 days ago",
    ),
    Periodic(
        "jobs.maintenance.purge_customer_exports",
        interval=3600,
        description="Delete customer data-export archives that expired or whose customer is erased",
    ),
    Periodic(
        "jobs.handlers.carts.send_abandoned_cart_reminders",
        queue="mail",
        interval=15 * 60,
        description="Remind shoppers who agreed to marketing email of carts they left",
    ),
    Periodic(
        "jobs.reports.send_weekly_sales_summary",
        queue="mail",
        cron="0 6 * * 1",
        description="Email last Monday-Sunday's sales summary (XLSX) to staff who view analytics",
    ),
    Periodic(
        "commerce.reporting.rollups.rebuild_all",
        cron="41 2 * * *",
        description="Rebuild the daily sales rollups from the raw orders and refunds",
    ),
    Periodic(
        "commerce.reporting.customers.rebuild_customers",
        cron="53 2 * * *",
        description="Rebuild the customers dashboard's customer_months rollup from the raw orders",
    ),
    Periodic(
        "commerce.reporting.operations.rebuild_shipped_orders",
        cron="59 2 * * *",
        description="Rebuild the operations dashboard's shipped_orders rollup from the shipments",
    ),
)
