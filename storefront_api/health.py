"""GET /api/v1/health: is the app up, and can it reach PostgreSQL and Redis?"""

from __future__ import annotations

import time

from flask import jsonify
from sqlalchemy import text

from commerce import db
from commerce.kv import get_redis
from storefront_api import api
from storefront_api.limits import limiter


def _probe(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # a health check reports failures, it does not raise them
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


@api.get("/health")
@limiter.exempt  # load balancers probe it constantly
def health():
    """Report the status of the app, the database and Redis (503 when either is down)."""
    checks = {
        "database": _probe(lambda: db.session.execute(text("SELECT 1")).scalar_one()),
        "redis": _probe(lambda: get_redis().ping()),
    }
    db.session.rollback()
    healthy = all(c["status"] == "ok" for c in checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": checks}
    return jsonify(body), (200 if healthy else 503)
