"""The products dashboard's page: filters, best sellers, categories, slow movers."""

from __future__ import annotations

from dash import dcc, html

from commerce.reporting import queries
from dashboards import filters, theme


def layout(search: str | None = None) -> html.Div:
    """The page, its filters set from `search` (?from=&to=&category=&currency=)."""
    params = filters.query(search)
    currency = filters.currency(params.get("currency"), queries.currencies())
    options = queries.filter_options(currency)
    start, end = filters.date_range(params.get("from"), params.get("to"))
    category = filters.integer(params.get("category"))
    if category not in {cid for cid, _name in options["categories"]}:
        category = None
    return html.Div(
        [
            html.H1("Products"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Dates"),
                            dcc.DatePickerRange(
                                id="products-dates",
                                start_date=start.isoformat(),
                                end_date=end.isoformat(),
                                display_format="YYYY-MM-DD",
                                first_day_of_week=1,
                            ),
                        ],
                        className="filter",
                    ),
                    html.Div(
                        [
                            html.Label("Category"),
                            dcc.Dropdown(
                                id="products-category",
                                options=[
                                    {"label": n, "value": i} for i, n in options["categories"]
                                ],
                                value=category,
                                placeholder="All categories",
                            ),
                        ],
                        className="filter",
                    ),
                    html.Div(
                        [
                            html.Label("Currency"),
                            dcc.Dropdown(
                                id="products-currency",
                                options=queries.currencies() or [currency],
                                value=currency,
                                clearable=False,
                            ),
                        ],
                        className="filter",
                    ),
                ],
                className="filters",
            ),
            theme.empty_state("products-empty", ""),
            html.Div(
                [
                    theme.card(
                        "Top products by revenue",
                        "products-revenue-download",
                        dcc.Graph(id="products-revenue", config={"displaylogo": False}),
                    ),
                    theme.card(
                        "Top products by units",
                        "products-units-download",
                        dcc.Graph(id="products-units", config={"displaylogo": False}),
                    ),
                    theme.card(
                        "Categories",
                        "products-categories-download",
                        dcc.Graph(id="products-categories", config={"displaylogo": False}),
                    ),
                    theme.card(
                        "Margin and sell-through of the top products",
                        "products-margin-download",
                        html.Div(id="products-margin"),
                    ),
                    theme.card(
                        "Slow movers (in stock, fewest sold)",
                        "products-slow-download",
                        html.Div(id="products-slow"),
                    ),
                ],
                id="products-content",
                className="cards",
            ),
        ]
    )
