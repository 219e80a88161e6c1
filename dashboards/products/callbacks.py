"""The products dashboard's callbacks: best sellers, categories, margin and sell-through, slow
movers, and a CSV of each chart's data. They read commerce.reporting.queries (the rollups)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from commerce.money import exponent, format_money
from commerce.reporting import queries
from dashboards import filters, theme

TOP = 10
FILTERS = (
    Input("products-dates", "start_date"),
    Input("products-dates", "end_date"),
    Input("products-category", "value"),
    Input("products-currency", "value"),
)
SHOWN, HIDDEN = {}, {"display": "none"}
PRODUCT_COLUMNS = (
    "sku",
    "title",
    "units",
    "revenue",
    "cost",
    "margin",
    "margin_pct",
    "on_hand",
    "sell_through_pct",
)


def _controls(
    start: Any, end: Any, category: Any, currency: Any
) -> tuple[dt.date, dt.date, int | None, str]:
    first, last = filters.date_range(start, end)
    return (
        first,
        last,
        filters.integer(category),
        filters.currency(currency, queries.currencies()),
    )


def product_data(start: Any, end: Any, category: Any, currency: Any) -> dict[str, Any]:
    """Everything the page shows, as plain rows: by_revenue, by_units, categories, slow."""
    first, last, category_id, money = _controls(start, end, category, currency)
    overview = queries.products_overview(first, last, money, category_id=category_id, limit=TOP)
    return {"start": first, "end": last, "currency": money, **overview}


def update_products(
    start: Any, end: Any, category: Any, currency: Any
) -> tuple[go.Figure, go.Figure, go.Figure, html.Table, html.Table, str, dict, dict]:
    """The three charts, the margin table, the slow movers, the empty-state message and the
    styles showing either the figures or the empty state."""
    data = product_data(start, end, category, currency)
    money = data["currency"]
    slow = theme.table(
        (
            ("sku", "SKU"),
            ("title", "Product"),
            ("units", "Sold"),
            ("on_hand", "On hand"),
            ("sell_through_pct", "Sell-through %"),
        ),
        data["slow"],
    )
    if not data["by_revenue"]:
        message = f"No products sold from {data['start']} to {data['end']} with these filters."
        empty = go.Figure()
        return empty, empty, empty, html.Table(), slow, message, SHOWN, SHOWN
    scale = 10 ** exponent(money)
    by_revenue = _bars(
        [row["title"] for row in data["by_revenue"]],
        [row["revenue"] / scale for row in data["by_revenue"]],
        f"Revenue ({money})",
    )
    by_units = _bars(
        [row["title"] for row in data["by_units"]],
        [row["units"] for row in data["by_units"]],
        "Units",
    )
    categories = _bars(
        [row["category"] for row in data["categories"]],
        [row["revenue"] / scale for row in data["categories"]],
        f"Revenue ({money})",
    )
    margin_rows = [
        {
            **row,
            "revenue": format_money(row["revenue"], money),
            "margin": theme.money(row["margin"], money),
        }
        for row in data["by_revenue"]
    ]
    margin = theme.table(
        (
            ("sku", "SKU"),
            ("title", "Product"),
            ("units", "Sold"),
            ("revenue", "Revenue"),
            ("margin", "Margin"),
            ("margin_pct", "Margin %"),
            ("sell_through_pct", "Sell-through %"),
        ),
        margin_rows,
    )
    return by_revenue, by_units, categories, margin, slow, "", HIDDEN, SHOWN


def _bars(labels: list[str], values: list[float], axis: str) -> go.Figure:
    figure = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color="#0d6efd"))
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis_title=axis,
        plot_bgcolor="#fff",
        height=360,
    )
    return figure


def _download(kind: str, columns: tuple[str, ...]):
    def download(n_clicks: Any, start: Any, end: Any, category: Any, currency: Any) -> dict:
        """The chart's rows as CSV (amounts in minor units). Raises PreventUpdate until the
        button is clicked."""
        if not n_clicks:
            raise PreventUpdate
        data = product_data(start, end, category, currency)
        rows = [{**row, "currency": data["currency"]} for row in data[kind]]
        name = f"products-{kind.replace('_', '-')}-{data['start']}-{data['end']}.csv"
        return theme.csv_download(rows, ("currency", *columns), name)

    download.__name__ = f"download_{kind}"
    return download


download_by_revenue = _download("by_revenue", PRODUCT_COLUMNS)
download_by_units = _download("by_units", PRODUCT_COLUMNS)
download_categories = _download(
    "categories", ("category_id", "category", "units", "revenue", "margin")
)
download_slow = _download("slow", ("sku", "title", "units", "on_hand", "sell_through_pct"))
DOWNLOADS = (
    ("products-revenue-download", download_by_revenue),
    ("products-units-download", download_by_units),
    ("products-categories-download", download_categories),
    ("products-margin-download", download_by_revenue),
    ("products-slow-download", download_slow),
)


def register(app: Dash) -> None:
    """Attach the products callbacks to `app`."""
    app.callback(
        Output("products-revenue", "figure"),
        Output("products-units", "figure"),
        Output("products-categories", "figure"),
        Output("products-margin", "children"),
        Output("products-slow", "children"),
        Output("products-empty", "children"),
        Output("products-empty", "style"),
        Output("products-content", "style"),
        *FILTERS,
    )(update_products)
    for download_id, func in DOWNLOADS:
        app.callback(
            Output(download_id, "data"),
            Input(f"{download_id}-button", "n_clicks"),
            *(State(i.component_id, i.component_property) for i in FILTERS),
            prevent_initial_call=True,
        )(func)
