"""Rate limits on Redis answer 429 in the error envelope with Retry-After; CORS lets the
configured storefront origins in and no others."""

from __future__ import annotations

import pytest


@pytest.fixture
def low_limit(app):
    previous = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["API_RATE_LIMIT"] = previous


def test_a_client_over_the_limit_gets_429_with_retry_after(client, low_limit, db_session):
    statuses = [client.get("/api/v1/categories").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/categories")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Limit"] == "3"


def test_each_bearer_token_has_its_own_budget(client, low_limit, db_session):
    for _ in range(3):
        assert client.get("/api/v1/categories").status_code == 200
    assert client.get("/api/v1/categories").status_code == 429
    other = client.get("/api/v1/categories", headers={"Authorization": "Bearer abc"})
    assert other.status_code == 200


def test_exempt_networks_are_not_limited(app, client, low_limit, db_session):
    app.config["API_RATE_LIMIT_EXEMPT"] = ["127.0.0.0/8"]
    try:
        assert {client.get("/api/v1/categories").status_code for _ in range(5)} == {200}
    finally:
        app.config["API_RATE_LIMIT_EXEMPT"] = []
    assert [client.get("/api/v1/categories").status_code for _ in range(4)][-1] == 429


def test_health_and_the_back_office_are_not_limited(client, low_limit, db_session):
    assert {client.get("/api/v1/health").status_code for _ in range(5)} == {200}
    assert {client.get("/admin/login").status_code for _ in range(5)} == {200}


def test_cors_allows_configured_origins_only(app, client, db_session):
    previous = app.config.get("STOREFRONT_ORIGINS")
    preflight = {
        "Origin": "https://shop.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
    }
    response = client.options("/api/v1/categories", headers=preflight)
    assert response.headers.get("Access-Control-Allow-Origin") == "https://shop.example"
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        h.strip() for h in allowed.split(",")
    }

    evil = client.get("/api/v1/categories", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    assert previous == ["https://shop.example"]
