"""Manager dashboards: Dash apps served by the same Flask server under /dashboards/.

One Dash app with a page per dashboard (dashboards/router.py: /dashboards/, /dashboards/sales,
/dashboards/products), each a package with layout.py and callbacks.py, sharing dashboards/theme.py
and dashboards/assets/dashboards.css. Figures come from commerce.reporting (the rollups).

Every request under /dashboards/ (pages, assets and callbacks alike) passes the staff sign-in and
the `analytics.view` permission check before Dash sees it.
"""

from __future__ import annotations

from flask import Flask, request

from backoffice.security import deny, has_permission

URL_BASE = "/dashboards/"
PERMISSION = "analytics.view"


def init_app(app: Flask) -> None:
    """Mount the dashboards and guard them."""
    import dash

    from dashboards import router, theme
    from dashboards.customers import callbacks as customers
    from dashboards.inventory import callbacks as inventory
    from dashboards.operations import callbacks as operations
    from dashboards.products import callbacks as products
    from dashboards.sales import callbacks as sales

    dash_app = dash.Dash(
        __name__,
        server=app,
        url_base_pathname=URL_BASE,
        title="Dashboards",
        update_title=None,
        serve_locally=True,
        # Pages are filled in by the router, so their components are not in the first layout.
        suppress_callback_exceptions=True,
    )
    dash_app.layout = theme.shell
    for pages in (
        router,
        sales,
        products,
        operations,
        customers,
        inventory,
    ):
        pages.register(dash_app)
    # Dash's callbacks are JSON POSTs from its own page (same-site cookies, JSON content type).
    csrf = app.extensions["csrf"]
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith(URL_BASE) or endpoint.startswith("_dash"):
            csrf.exempt(view)
    app.extensions["dash"] = dash_app

    @app.before_request
    def _guard_dashboards():
        under = request.path == URL_BASE.rstrip("/") or request.path.startswith(URL_BASE)
        if under and not has_permission(PERMISSION):
            return deny(PERMISSION)
        return None
