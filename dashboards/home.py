"""The dashboards landing page (the sales, products, customers and stock dashboards build on it)."""

from __future__ import annotations

from dash import html


def layout() -> html.Div:
    """The landing page: a header linking back to the back-office, and what is coming."""
    return html.Div(
        [
            html.Nav(
                [
                    html.Strong("Dashboards", style={"marginRight": "1.5rem"}),
                    html.A(
                        "Back-office", href="/admin/", id="to-backoffice", style={"color": "#fff"}
                    ),
                ],
                style={"padding": "0.75rem 1rem", "background": "#343a40", "color": "#fff"},
            ),
            html.Main(
                [
                    html.H1("Dashboards", style={"fontSize": "1.6rem"}),
                    html.P(
                        "Sales, products, customers and inventory dashboards appear here as their "
                        "data arrives.",
                        id="dashboards-placeholder",
                    ),
                ],
                style={"padding": "1rem"},
            ),
        ],
        style={"fontFamily": "-apple-system, Segoe UI, Helvetica, Arial, sans-serif"},
    )
