"""The dashboards landing page: what each dashboard answers, with links."""

from __future__ import annotations

from dash import html


def layout(search: str | None = None) -> html.Div:
    """The overview page listing the dashboards."""
    return html.Div(
        [
            html.H1("Dashboards"),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2(html.A("Sales", href="/dashboards/sales")),
                            html.P(
                                "Gross and net sales, discounts, refunds, tax, shipping, orders "
                                "and average order value by day, week or month, against the "
                                "previous period and last year."
                            ),
                        ],
                        className="card",
                    ),
                    html.Div(
                        [
                            html.H2(html.A("Products", href="/dashboards/products")),
                            html.P(
                                "Best sellers and categories by revenue and units, margin, "
                                "sell-through and slow movers."
                            ),
                        ],
                        className="card",
                    ),
                ],
                className="cards",
                id="dashboards-overview",
            ),
        ]
    )
