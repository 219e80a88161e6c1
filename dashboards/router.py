"""The dashboards' pages by path: one Dash app, a dcc.Location, and this callback filling the page
with the layout of the path (an unknown path says so and links to the overview)."""

from __future__ import annotations

from collections.abc import Callable

from dash import Dash, Input, Output, html

from dashboards import home
from dashboards.customers import layout as customers
from dashboards.inventory import layout as inventory
from dashboards.operations import layout as operations
from dashboards.products import layout as products
from dashboards.sales import layout as sales

PAGES: dict[str, Callable[[str | None], html.Div]] = {
    "/dashboards/": home.layout,
    "/dashboards/sales": sales.layout,
    "/dashboards/products": products.layout,
    "/dashboards/customers": customers.layout,
    "/dashboards/operations": operations.layout,
    "/dashboards/inventory": inventory.layout,
}


def render_page(pathname: str | None, search: str | None) -> html.Div:
    """The layout of the page at `pathname`, its filters seeded from `search`."""
    path = (pathname or "/dashboards/").rstrip("/") or "/"
    page = PAGES.get(path) or PAGES.get(path + "/")
    if page is None:
        return html.Div(
            [
                html.H1("Not found"),
                html.P(["No dashboard here. ", html.A("All dashboards", href="/dashboards/")]),
            ],
            id="page-not-found",
        )
    return page(search)


def register(app: Dash) -> None:
    """Attach the router callback to `app`."""
    app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))(
        render_page
    )
