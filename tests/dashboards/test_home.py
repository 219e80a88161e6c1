"""The dashboards are behind staff sign-in and analytics.view."""


def test_dashboards_require_sign_in(client):
    response = client.get("/dashboards/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    # Dash's own endpoints are guarded too, not only the page.
    assert client.get("/dashboards/_dash-layout").status_code == 302


def test_dashboards_placeholder_for_a_manager(sign_in):
    client, _user = sign_in("manager")
    page = client.get("/dashboards/")
    assert page.status_code == 200
    layout = client.get("/dashboards/_dash-layout")
    assert layout.status_code == 200
    assert "dashboards-placeholder" in layout.get_data(as_text=True)
