"""A read-through cache of JSON documents in Redis, invalidated by generation.

Each namespace ("catalog") has a generation counter; keys embed it, so `invalidate(namespace)` is
one INCR and stale entries simply age out. Redis trouble never fails a read: the document is built
from the database instead and the error is logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from commerce.kv import get_redis

log = logging.getLogger(__name__)


def _generation_key(namespace: str) -> str:
    return f"cache:{namespace}:generation"


def cached_json(namespace: str, key: str, build: Callable[[], Any], *, ttl: int) -> bytes:
    """The JSON bytes of `build()` for `key`, from Redis when cached there (for `ttl` seconds).

    Exceptions from `build` propagate and nothing is cached.
    """
    redis = get_redis()
    digest = hashlib.sha256(key.encode()).hexdigest()
    try:
        generation = int(redis.get(_generation_key(namespace)) or 0)
        full_key = f"cache:{namespace}:{generation}:{digest}"
        hit = redis.get(full_key)
    except RedisError:
        log.warning("cache %s unavailable; reading from the database", namespace, exc_info=True)
        return dump_json(build())
    if hit is not None:
        return hit
    body = dump_json(build())
    try:
        redis.set(full_key, body, ex=ttl)
    except RedisError:
        log.warning("could not store %s in the cache", namespace, exc_info=True)
    return body


def invalidate(namespace: str) -> int:
    """Make every cached document of `namespace` stale. Returns the new generation."""
    return int(get_redis().incr(_generation_key(namespace)))


def dump_json(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
