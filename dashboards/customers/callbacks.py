"""The customers dashboard's callbacks: figures for the chosen filters, and each chart's CSV.

They translate the controls into a CustomerFilter and read commerce.reporting.customers (the
customer_months rollup, and sales_daily for the map); they hold no business rules. The figures
are split over three callbacks so that each answers on its own within a second.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from commerce.money import exponent
from commerce.reporting import customers, queries
from commerce.reporting.customers import CustomerFilter
from dashboards import filters, theme
from dashboards.customers.countries import alpha_3

FILTERS = (
    Input("customers-dates", "start_date"),
    Input("customers-dates", "end_date"),
    Input("customers-country", "value"),
    Input("customers-channel", "value"),
    Input("customers-currency", "value"),
)
SHOWN, HIDDEN = {}, {"display": "none"}
MARGIN = {"l": 40, "r": 10, "t": 10, "b": 40}


def customer_filter(start: Any, end: Any, country: Any, channel: Any, currency: Any):
    """The CustomerFilter of the controls' values (defaults for anything malformed)."""
    first, last = filters.date_range(start, end)
    return CustomerFilter(
        start=first,
        end=last,
        currency=filters.currency(currency, queries.currencies()),
        country=filters.country(country),
        channel=filters.choice(channel, ("web", "app", "draft")),
    )


def _month(month) -> str:
    return month.strftime("%Y-%m")


def update_customers(
    start: Any, end: Any, country: Any, channel: Any, currency: Any
) -> tuple[list[html.Div], go.Figure, go.Figure, str, dict, dict]:
    """KPI cards, the new/returning figure, the cohort heat map, the empty-state message and the
    styles showing either the figures or the empty state."""
    f = customer_filter(start, end, country, channel, currency)
    counts = customers.activity(f)
    if not counts:
        message = f"No customer orders from {f.start} to {f.end} with these filters."
        return [], go.Figure(), go.Figure(), message, SHOWN, HIDDEN
    all_months = customers.months(f)
    split = customers.split_new_and_returning(counts, all_months)
    new = sum(row["new"] for row in split)
    returning = sum(row["returning"] for row in split)
    cards = [
        theme.kpi("new", "New customers", f"{new:,}"),
        theme.kpi(
            "returning", "Returning customers per month", f"{round(returning / len(split)):,}"
        ),
    ]
    return (
        cards,
        new_returning_figure(split),
        cohort_figure(customers.cohorts(counts, all_months)),
        "",
        HIDDEN,
        SHOWN,
    )


def new_returning_figure(split: list[dict[str, Any]]) -> go.Figure:
    """Stacked bars of new and returning customers per month."""
    x = [_month(row["month"]) for row in split]
    figure = go.Figure()
    figure.add_bar(x=x, y=[row["new"] for row in split], name="New", marker_color="#0d6efd")
    figure.add_bar(
        x=x, y=[row["returning"] for row in split], name="Returning", marker_color="#20c997"
    )
    figure.update_layout(
        barmode="stack", margin=MARGIN, legend={"orientation": "h"}, plot_bgcolor="#fff"
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(title="Customers")
    return figure


def cohort_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """The heat map: one row per first-order month, the percentage ordering k months later."""
    width = max((len(row["shares"]) for row in rows), default=0)
    z = [[100 * s for s in row["shares"]] + [None] * (width - len(row["shares"])) for row in rows]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"+{k}" for k in range(1, width + 1)],
            y=[f"{_month(row['cohort'])} ({row['customers']:,})" for row in rows],
            colorscale="Blues",
            zmin=0,
            texttemplate="%{z:.0f}%",
            hovertemplate="%{y}, month %{x}: %{z:.1f}%<extra></extra>",
            colorbar={"title": "%"},
        )
    )
    figure.update_layout(margin={**MARGIN, "l": 120}, plot_bgcolor="#fff")
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(title="Months after the first order", type="category")
    return figure


def update_ltv(
    start: Any, end: Any, country: Any, channel: Any, currency: Any
) -> tuple[go.Figure, list[html.Div]]:
    """The lifetime-value histogram and its KPIs (customers won, average lifetime value)."""
    f = customer_filter(start, end, country, channel, currency)
    ltv = customers.lifetime_value(f)
    cards = [
        theme.kpi("won", "Customers won", f"{ltv['customers']:,}"),
        theme.kpi("ltv", "Average lifetime value", theme.money(ltv["average"], f.currency)),
    ]
    return ltv_figure(ltv["bins"], f.currency), cards


def ltv_figure(bins: list[tuple[int, int, int]], currency: str) -> go.Figure:
    """Customers per lifetime-value bin (major units of `currency`)."""
    scale = 10 ** exponent(currency)
    figure = go.Figure()
    figure.add_bar(
        x=[f"{low / scale:,.0f} to {high / scale:,.0f}" for low, high, _n in bins],
        y=[n for _low, _high, n in bins],
        marker_color="#6f42c1",
        name="Customers",
    )
    figure.update_layout(margin=MARGIN, plot_bgcolor="#fff")
    figure.update_xaxes(title=f"Lifetime value ({currency})", type="category")
    figure.update_yaxes(title="Customers")
    return figure


def update_map(start: Any, end: Any, country: Any, channel: Any, currency: Any) -> go.Figure:
    """Net sales by country (or by US state when the country filter is US)."""
    f = customer_filter(start, end, country, channel, currency)
    return map_figure(customers.sales_by_place(f), f.currency, us=f.country == "US")


def map_figure(rows: list[dict[str, Any]], currency: str, *, us: bool) -> go.Figure:
    """A choropleth of net sales in major units; places without a code are left off the map."""
    scale = 10 ** exponent(currency)
    if us:
        placed = [(row["place"].upper(), row) for row in rows if len(row["place"]) == 2]
    else:
        placed = [(alpha_3(row["place"]), row) for row in rows]
        placed = [(code, row) for code, row in placed if code]
    figure = go.Figure(
        go.Choropleth(
            locations=[code for code, _row in placed],
            z=[row["net"] / scale for _code, row in placed],
            text=[f"{row['orders']:,} orders" for _code, row in placed],
            locationmode="USA-states" if us else "ISO-3",
            colorscale="Blues",
            colorbar={"title": currency},
            hovertemplate="%{location}: %{z:,.2f} " + currency + ", %{text}<extra></extra>",
        )
    )
    figure.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
    if us:
        figure.update_geos(scope="usa")
    else:
        figure.update_geos(showframe=False, projection_type="natural earth")
    return figure


def _download(n_clicks: Any, controls: tuple[Any, ...]) -> CustomerFilter:
    if not n_clicks:
        raise PreventUpdate
    return customer_filter(*controls)


def download_new_returning(n_clicks: Any, *controls: Any) -> dict:
    """New and returning customers per month as CSV. Raises PreventUpdate until clicked."""
    f = _download(n_clicks, controls)
    rows = [{**row, "month": _month(row["month"])} for row in customers.new_and_returning(f)]
    name = f"new-returning-customers-{f.start}-{f.end}.csv"
    return theme.csv_download(rows, ("month", "new", "returning"), name)


def download_cohorts(n_clicks: Any, *controls: Any) -> dict:
    """The cohorts as CSV: first-order month, customers, share ordering k months later (0..1).
    Raises PreventUpdate until clicked."""
    f = _download(n_clicks, controls)
    rows = customers.retention(f)
    width = max((len(row["shares"]) for row in rows), default=0)
    columns = ("cohort", "customers", *(f"month_{k}" for k in range(1, width + 1)))
    flat = [
        {
            "cohort": _month(row["cohort"]),
            "customers": row["customers"],
            **{f"month_{k}": f"{s:.4f}" for k, s in enumerate(row["shares"], 1)},
        }
        for row in rows
    ]
    return theme.csv_download(flat, columns, f"customer-cohorts-{f.start}-{f.end}.csv")


def download_ltv(n_clicks: Any, *controls: Any) -> dict:
    """The lifetime-value bins as CSV (minor units). Raises PreventUpdate until clicked."""
    f = _download(n_clicks, controls)
    bins = customers.lifetime_value(f)["bins"]
    rows = [{"currency": f.currency, "low": lo, "high": hi, "customers": n} for lo, hi, n in bins]
    columns = ("currency", "low", "high", "customers")
    return theme.csv_download(rows, columns, f"lifetime-value-{f.start}-{f.end}.csv")


def download_map(n_clicks: Any, *controls: Any) -> dict:
    """Net sales (minor units) and orders by place as CSV. Raises PreventUpdate until clicked."""
    f = _download(n_clicks, controls)
    rows = [{**row, "currency": f.currency} for row in customers.sales_by_place(f)]
    columns = ("place", "currency", "net", "orders")
    return theme.csv_download(rows, columns, f"sales-by-place-{f.start}-{f.end}.csv")


def register(app: Dash) -> None:
    """Attach the customers callbacks to `app`."""
    app.callback(
        Output("customers-kpis", "children"),
        Output("customers-new-returning", "figure"),
        Output("customers-cohorts", "figure"),
        Output("customers-empty", "children"),
        Output("customers-empty", "style"),
        Output("customers-content", "style"),
        *FILTERS,
    )(update_customers)
    app.callback(
        Output("customers-ltv", "figure"), Output("customers-ltv-kpis", "children"), *FILTERS
    )(update_ltv)
    app.callback(Output("customers-map", "figure"), *FILTERS)(update_map)
    states = [State(i.component_id, i.component_property) for i in FILTERS]
    for graph_id, download in (
        ("customers-new-returning", download_new_returning),
        ("customers-cohorts", download_cohorts),
        ("customers-ltv", download_ltv),
        ("customers-map", download_map),
    ):
        app.callback(
            Output(f"{graph_id}-download", "data"),
            Input(f"{graph_id}-download-button", "n_clicks"),
            *states,
            prevent_initial_call=True,
        )(download)
