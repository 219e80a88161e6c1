def test_health_reports_database_and_redis(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"


def test_health_is_503_and_names_redis_when_redis_is_down(app, client, monkeypatch):
    from commerce.kv import connect

    monkeypatch.setitem(app.extensions, "commerce_redis", connect("redis://127.0.0.1:1/0"))
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
