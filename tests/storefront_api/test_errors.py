"""The API answers every error, routing ones included, in its JSON envelope."""


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.post("/api/v1/health")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_openapi_document_lists_health(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/health" in doc["paths"]


def test_api_posts_need_no_csrf_cookie_token(client):
    # The API is token-authenticated, so the cookie CSRF check must not turn its POSTs into 400s.
    assert client.post("/api/v1/health").status_code == 405
