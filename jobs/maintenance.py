"""Housekeeping jobs (see jobs/schedule.py)."""

from __future__ import annotations

from commerce import events
from commerce.audit import Actor


def prune_outbox(days: int = 30) -> int:
    """Delete outbox rows relayed more than `days` days ago. Returns how many went."""
    return events.prune_sent(older_than_days=days, actor=Actor.system("scheduler"))
