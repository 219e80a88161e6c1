"""The sales dashboard's callbacks: figures for the chosen filters, and the chart's CSV.

They translate the controls into a SalesFilter and read commerce.reporting.queries (the rollups);
they hold no business rules.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from commerce.money import exponent
from commerce.reporting import queries
from commerce.reporting.queries import SalesFilter
from dashboards import filters, theme

KPIS = (
    ("gross", "Gross sales"),
    ("discounts", "Discounts"),
    ("refunds", "Refunds"),
    ("net", "Net sales"),
    ("tax", "Tax"),
    ("shipping", "Shipping"),
    ("orders", "Orders"),
    ("aov", "Average order value"),
    ("units", "Units sold"),
)
COUNTS = ("orders", "units")
FILTERS = (
    Input("sales-dates", "start_date"),
    Input("sales-dates", "end_date"),
    Input("sales-country", "value"),
    Input("sales-category", "value"),
    Input("sales-channel", "value"),
    Input("sales-currency", "value"),
    Input("sales-grain", "value"),
)
SHOWN, HIDDEN = {}, {"display": "none"}


def sales_filter(
    start: Any, end: Any, country: Any, category: Any, channel: Any, currency: Any
) -> SalesFilter:
    """The SalesFilter of the controls' values (defaults for anything malformed)."""
    first, last = filters.date_range(start, end)
    return SalesFilter(
        start=first,
        end=last,
        currency=filters.currency(currency, queries.currencies()),
        country=filters.country(country),
        channel=filters.choice(channel, ("web", "app", "draft")),
        category_id=filters.integer(category),
    )


def update_sales(
    start: Any,
    end: Any,
    country: Any,
    category: Any,
    channel: Any,
    currency: Any,
    grain: Any,
) -> tuple[list[html.Div], go.Figure, str, dict, dict]:
    """KPI cards, the sales-over-time figure, the empty-state message and the styles showing
    either the figures or the empty state."""
    f = sales_filter(start, end, country, category, channel, currency)
    totals = queries.sales_totals(f)
    if not totals["orders"] and not totals["refunds"]:
        message = f"No sales from {f.start} to {f.end} with these filters."
        return [], go.Figure(), message, SHOWN, HIDDEN
    cards = [
        theme.kpi(name, label, _kpi_value(name, totals[name], f.currency)) for name, label in KPIS
    ]
    series = queries.sales_series(f, filters.choice(grain, queries.GRAINS) or "day")
    return cards, series_figure(series, f.currency), "", HIDDEN, SHOWN


def _kpi_value(name: str, value: int | None, currency: str) -> str:
    if name in COUNTS:
        return f"{value:,}"
    return theme.money(value, currency)


def series_figure(series: list[dict[str, Any]], currency: str) -> go.Figure:
    """Net sales per period (bars) against the previous period and last year (lines), in major
    units of `currency`."""
    periods = [row["period"] for row in series]
    scale = 10 ** exponent(currency)
    figure = go.Figure()
    figure.add_bar(
        x=periods,
        y=[row["current"] / scale for row in series],
        name="This period",
        marker_color=theme.COLOURS["current"],
    )
    for key, label, dash in (
        ("previous", "Previous period", "dash"),
        ("last_year", "Same period last year", "dot"),
    ):
        figure.add_scatter(
            x=periods,
            y=[row[key] / scale for row in series],
            name=label,
            mode="lines+markers",
            line={"color": theme.COLOURS[key], "dash": dash},
        )
    figure.update_layout(
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h"},
        yaxis_title=f"Net sales ({currency})",
        plot_bgcolor="#fff",
    )
    return figure


def download_series(n_clicks: Any, *values: Any) -> dict:
    """The chart's data as CSV (period, net sales this period, previous period, last year, in
    minor units). Raises PreventUpdate until the button is clicked."""
    if not n_clicks:
        raise PreventUpdate
    *controls, grain = values
    f = sales_filter(*controls)
    series = queries.sales_series(f, filters.choice(grain, queries.GRAINS) or "day")
    rows = [{**row, "period": row["period"].isoformat(), "currency": f.currency} for row in series]
    columns = ("period", "currency", "current", "previous", "last_year")
    return theme.csv_download(rows, columns, f"net-sales-{f.start}-{f.end}.csv")


def register(app: Dash) -> None:
    """Attach the sales callbacks to `app`."""
    app.callback(
        Output("sales-kpis", "children"),
        Output("sales-series", "figure"),
        Output("sales-empty", "children"),
        Output("sales-empty", "style"),
        Output("sales-content", "style"),
        *FILTERS,
    )(update_sales)
    app.callback(
        Output("sales-series-download", "data"),
        Input("sales-series-download-button", "n_clicks"),
        *(State(i.component_id, i.component_property) for i in FILTERS),
        prevent_initial_call=True,
    )(download_series)
