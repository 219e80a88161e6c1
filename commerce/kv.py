"""The Redis connection: built lazily from the app's REDIS_URL, one client per app."""

from __future__ import annotations

from flask import current_app
from redis import Redis


def connect(url: str) -> Redis:
    """A Redis client for `url` (redis://, rediss:// or unix://). Nothing connects until first
    use."""
    return Redis.from_url(url, health_check_interval=30, socket_connect_timeout=5)


def get_redis() -> Redis:
    """The current app's Redis client (created on first call)."""
    ext = current_app.extensions
    client = ext.get("commerce_redis")
    if client is None:
        client = ext["commerce_redis"] = connect(current_app.config["REDIS_URL"])
    return client
