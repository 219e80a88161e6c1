"""The dashboards are behind staff sign-in and analytics.view, and are one app of pages with a
header leading back to the back-office."""

import datetime as dt
import json

from dashboards import router
from tests.dashboards.helpers import find, text_of


def test_dashboards_require_sign_in(client):
    response = client.get("/dashboards/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    # Dash's own endpoints are guarded too, not only the page.
    assert client.get("/dashboards/_dash-layout").status_code == 302


def test_staff_without_analytics_view_get_403(sign_in):
    client, _user = sign_in("support")
    assert client.get("/dashboards/").status_code == 403
    assert client.get("/dashboards/sales").status_code == 403
    callback = client.post(
        "/dashboards/_dash-update-component",
        data=json.dumps({"output": "page.children", "inputs": [], "changedPropIds": []}),
        content_type="application/json",
    )
    assert callback.status_code == 403


def test_a_manager_gets_the_shell_with_the_way_back_to_the_back_office(sign_in):
    client, _user = sign_in("manager")
    assert client.get("/dashboards/").status_code == 200
    assert client.get("/dashboards/sales").status_code == 200
    layout = client.get("/dashboards/_dash-layout").get_json()
    links = {
        item["props"]["id"]: item["props"]["href"]
        for item in _components(layout)
        if item.get("type") == "A"
    }
    assert links["to-backoffice"] == "/admin/"
    assert links["nav-sales"] == "/dashboards/sales"
    assert links["nav-products"] == "/dashboards/products"
    # ... and the back-office menu leads to the dashboards.
    assert 'href="/dashboards/"' in client.get("/admin/").get_data(as_text=True)


def _components(node):
    if isinstance(node, list):
        for item in node:
            yield from _components(item)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from _components(node["props"].get("children"))


def test_the_router_serves_each_page_and_says_when_there_is_none(db_session):
    for path, element in (
        ("/dashboards/", "dashboards-overview"),
        ("/dashboards/sales", "sales-kpis"),
        ("/dashboards/products/", "products-revenue"),
    ):
        assert find(router.render_page(path, ""), element).id == element
    assert "No dashboard here" in text_of(router.render_page("/dashboards/nope", None))


def test_a_malformed_query_string_opens_the_sales_page_on_its_defaults(db_session):
    page = router.render_page(
        "/dashboards/sales", "?from=yesterday&to=2026-13-45&grain=year&category=x&country=%00"
    )
    today = dt.datetime.now(dt.UTC).date()
    dates = find(page, "sales-dates")
    assert dates.end_date == today.isoformat()
    assert dates.start_date == (today - dt.timedelta(days=29)).isoformat()
    assert find(page, "sales-grain").value == "day"
    assert find(page, "sales-category").value is None
    assert find(page, "sales-country").value is None


def test_a_well_formed_query_string_sets_the_filters(db_session):
    page = router.render_page("/dashboards/sales", "?from=2026-01-01&to=2026-01-31&grain=week")
    dates = find(page, "sales-dates")
    assert (dates.start_date, dates.end_date) == ("2026-01-01", "2026-01-31")
    assert find(page, "sales-grain").value == "week"
