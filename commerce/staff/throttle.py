"""Sign-in throttling: after N failures within a window for one account and IP, refuse until they
age out.

A sorted set per (email, IP) holds the failure times; the window slides, so the lock lifts exactly
when the oldest counted failure is older than the window.
"""

from __future__ import annotations

import hashlib
import time

from redis import Redis


def _key(email: str, ip: str | None) -> str:
    # Hash the pair so Redis never holds a readable email address.
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip or '-'}".encode()).hexdigest()
    return f"signin:failures:{digest}"


def locked_for(redis: Redis, email: str, ip: str | None, *, max_failures: int, window: int) -> int:
    """Seconds until the pair may try again; 0 when not locked."""
    key = _key(email, ip)
    now = time.time()
    redis.zremrangebyscore(key, 0, now - window)
    if redis.zcard(key) < max_failures:
        return 0
    # The lock lasts until the failure that made the count reach the limit leaves the window.
    nth = redis.zrevrange(key, max_failures - 1, max_failures - 1, withscores=True)
    oldest_counted = nth[0][1] if nth else now
    return max(1, int(oldest_counted + window - now + 0.999))


def record_failure(redis: Redis, email: str, ip: str | None, *, window: int) -> None:
    """Count one failed sign-in for the pair."""
    key = _key(email, ip)
    now = time.time()
    with redis.pipeline() as pipe:
        pipe.zadd(key, {f"{now:.6f}": now})
        pipe.expire(key, window)
        pipe.execute()


def clear(redis: Redis, email: str, ip: str | None) -> None:
    """Forget the pair's failures (after a successful sign-in)."""
    redis.delete(_key(email, ip))
