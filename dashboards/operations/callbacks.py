"""The operations dashboard's callbacks: one per card, so each answers on its own, and a CSV of
each chart's data. They translate the controls into an OperationsFilter and read
commerce.reporting.operations; they hold no business rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from commerce.orders.models import CHANNELS
from commerce.reporting import operations
from commerce.reporting.operations import OperationsFilter
from dashboards import filters, theme

RANGE = (
    Input("operations-dates", "start_date"),
    Input("operations-dates", "end_date"),
    Input("operations-channel", "value"),
)
CHANNEL = Input("operations-channel", "value")
SHOWN, HIDDEN = {}, {"display": "none"}
ORDER_LINK = "/admin/orders/details/?id={id}"


def operations_filter(start: Any, end: Any, channel: Any) -> OperationsFilter:
    """The OperationsFilter of the controls' values (defaults for anything malformed)."""
    first, last = filters.date_range(start, end)
    return OperationsFilter(first, last, filters.choice(channel, CHANNELS))


def _hours(hours: float | None) -> str:
    if hours is None:
        return "—"
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def _layout(figure: go.Figure, **axes: Any) -> go.Figure:
    figure.update_layout(
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h"},
        plot_bgcolor="#fff",
        **axes,
    )
    return figure


def update_empty(start: Any, end: Any, channel: Any) -> tuple[str, dict, dict]:
    """The empty-state message and the styles showing either the range's figures or it."""
    f = operations_filter(start, end, channel)
    if operations.has_orders(f):
        return "", HIDDEN, SHOWN
    return f"No orders placed from {f.start} to {f.end} with these filters.", SHOWN, HIDDEN


def update_waiting(channel: Any) -> tuple[list[html.Div], go.Figure, html.Table]:
    """KPIs of the orders waiting to ship now, their count by age and the oldest of them."""
    waiting = operations.waiting_to_ship(filters.choice(channel, CHANNELS))
    buckets = waiting["buckets"]
    oldest = max((b["oldest_hours"] for b in buckets if b["orders"]), default=None)
    cards = [
        theme.kpi("waiting", "Waiting to ship", f"{sum(b['orders'] for b in buckets):,}"),
        theme.kpi("waiting-oldest", "Oldest waiting", _hours(oldest)),
    ]
    figure = go.Figure()
    figure.add_bar(
        x=[b["bucket"] for b in buckets],
        y=[b["orders"] for b in buckets],
        marker_color=theme.COLOURS["current"],
    )
    rows = [
        {
            "order": html.A(f"#{row['number']}", href=ORDER_LINK.format(id=row["id"])),
            "placed": f"{row['placed_at']:%Y-%m-%d %H:%M}",
            "age": _hours(row["age_hours"]),
            "status": row["status"],
            "channel": row["channel"],
        }
        for row in waiting["oldest"]
    ]
    table = html.Table(
        [
            html.Thead(
                html.Tr([html.Th(h) for h in ("Order", "Placed", "Age", "Status", "Channel")])
            ),
            html.Tbody([html.Tr([html.Td(v) for v in row.values()]) for row in rows]),
        ],
        className="data",
        id="operations-oldest-table",
    )
    return cards, _layout(figure, yaxis_title="Orders"), table


def update_shipping(start: Any, end: Any, channel: Any) -> tuple[list[html.Div], go.Figure]:
    """KPIs and the weekly median and p90 of hours from placing to the first shipment leaving."""
    weeks = operations.time_to_ship(operations_filter(start, end, channel))
    figure = go.Figure()
    for key, label, colour in (
        ("median_hours", "Median", "current"),
        ("p90_hours", "90th percentile", "last_year"),
    ):
        figure.add_scatter(
            x=[row["week"] for row in weeks],
            y=[row[key] for row in weeks],
            name=label,
            mode="lines+markers",
            line={"color": theme.COLOURS[colour]},
        )
    shipped = sum(row["orders"] for row in weeks)
    cards = [theme.kpi("shipped", "Orders shipped", f"{shipped:,}")]
    return cards, _layout(figure, yaxis_title="Hours to ship")


def update_returns(start: Any, end: Any, channel: Any) -> tuple[list[html.Div], go.Figure]:
    """The return rate KPIs and the returned units by reason."""
    summary = operations.returns_summary(operations_filter(start, end, channel))
    rate = summary["rate"]
    cards = [
        theme.kpi("units-sold", "Units sold", f"{summary['sold']:,}"),
        theme.kpi("units-returned", "Units returned", f"{summary['returned']:,}"),
        theme.kpi("return-rate", "Return rate", "—" if rate is None else f"{rate:.1%}"),
    ]
    figure = go.Figure()
    figure.add_bar(
        x=[row["units"] for row in summary["reasons"]],
        y=[row["reason"].replace("_", " ") for row in summary["reasons"]],
        orientation="h",
        marker_color=theme.COLOURS["current"],
    )
    return cards, _layout(figure, xaxis_title="Units returned", yaxis={"autorange": "reversed"})


def update_payments(start: Any, end: Any, channel: Any) -> tuple[list[html.Div], go.Figure]:
    """The payment failure rate KPI and the weekly failure rate per provider."""
    rows = operations.payment_failures(operations_filter(start, end, channel))
    attempts = sum(row["attempts"] for row in rows)
    failures = sum(row["failures"] for row in rows)
    rate = "—" if not attempts else f"{failures / attempts:.1%}"
    cards = [theme.kpi("payment-failure-rate", "Payment failures", rate)]
    figure = go.Figure()
    for provider in sorted({row["provider"] for row in rows}):
        mine = [row for row in rows if row["provider"] == provider]
        figure.add_scatter(
            x=[row["week"] for row in mine],
            y=[row["rate"] * 100 for row in mine],
            name=provider,
            mode="lines+markers",
        )
    return cards, _layout(figure, yaxis_title="Failed or cancelled (% of attempts)")


def _csv(
    rows: Callable[[OperationsFilter], list[dict[str, Any]]], columns: tuple[str, ...], name: str
) -> Callable[..., dict]:
    def download(n_clicks: Any, start: Any, end: Any, channel: Any) -> dict:
        if not n_clicks:
            raise PreventUpdate
        f = operations_filter(start, end, channel)
        data = [
            {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}
            for row in rows(f)
        ]
        return theme.csv_download(data, columns, f"{name}-{f.start}-{f.end}.csv")

    download.__doc__ = f"The {name} chart's data as CSV. Raises PreventUpdate until clicked."
    return download


download_waiting = _csv(
    lambda f: operations.waiting_to_ship(f.channel)["buckets"],
    ("bucket", "orders", "oldest_hours"),
    "waiting-to-ship",
)
download_shipping = _csv(
    operations.time_to_ship, ("week", "orders", "median_hours", "p90_hours"), "time-to-ship"
)
download_returns = _csv(
    lambda f: operations.returns_summary(f)["reasons"], ("reason", "units"), "return-reasons"
)
download_payments = _csv(
    operations.payment_failures,
    ("week", "provider", "attempts", "failures", "rate"),
    "payment-failures",
)
DOWNLOADS = {
    "operations-waiting-download": download_waiting,
    "operations-shipping-download": download_shipping,
    "operations-returns-download": download_returns,
    "operations-payments-download": download_payments,
}


def register(app: Dash) -> None:
    """Attach the operations callbacks to `app`."""
    app.callback(
        Output("operations-empty", "children"),
        Output("operations-empty", "style"),
        Output("operations-content", "style"),
        *RANGE,
    )(update_empty)
    app.callback(
        Output("operations-waiting-kpis", "children"),
        Output("operations-waiting", "figure"),
        Output("operations-oldest", "children"),
        CHANNEL,
    )(update_waiting)
    for name, update in (
        ("shipping", update_shipping),
        ("returns", update_returns),
        ("payments", update_payments),
    ):
        app.callback(
            Output(f"operations-{name}-kpis", "children"),
            Output(f"operations-{name}", "figure"),
            *RANGE,
        )(update)
    for download_id, download in DOWNLOADS.items():
        app.callback(
            Output(download_id, "data"),
            Input(f"{download_id}-button", "n_clicks"),
            *(State(i.component_id, i.component_property) for i in RANGE),
            prevent_initial_call=True,
        )(download)
