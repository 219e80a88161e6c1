"""The dashboards landing page: what each dashboard answers, with links."""

from __future__ import annotations

from dash import html

# (title, path, what it answers): one line per dashboard.
CARDS: tuple[tuple[str, str, str], ...] = (
    (
        "Sales",
        "/dashboards/sales",
        "Gross and net sales, discounts, refunds, tax, shipping, orders and average order value "
        "by day, week or month, against the previous period and last year.",
    ),
    (
        "Products",
        "/dashboards/products",
        "Best sellers and categories by revenue and units, margin, sell-through and slow movers.",
    ),
    (
        "Operations",
        "/dashboards/operations",
        "Orders waiting to ship by age, time to ship, return rate and reasons, and payment "
        "failures by provider.",
    ),
    (
        "Customers",
        "/dashboards/customers",
        "New and returning customers by month, cohort retention, lifetime value, and sales by "
        "country or US state.",
    ),
    (
        "Inventory",
        "/dashboards/inventory",
        "Stock value at cost by warehouse and category, low and out of stock, days of cover at "
        "recent sales and the age of stock on hand.",
    ),
)


def layout(search: str | None = None) -> html.Div:
    """The overview page listing the dashboards."""
    return html.Div(
        [
            html.H1("Dashboards"),
            html.Div(
                [
                    html.Div([html.H2(html.A(title, href=href)), html.P(text)], className="card")
                    for title, href, text in CARDS
                ],
                className="cards",
                id="dashboards-overview",
            ),
        ]
    )
