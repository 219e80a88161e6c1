"""The sales dashboard's page: filters (seeded from the URL's query string), KPIs, the chart."""

from __future__ import annotations

from dash import dcc, html

from commerce.reporting import queries
from dashboards import filters, theme

GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month"}
CHANNEL_LABELS = {"web": "Web shop", "app": "Mobile app", "draft": "Draft orders (staff)"}


def layout(search: str | None = None) -> html.Div:
    """The page, its filters set from `search` (?from=&to=&country=&channel=&category=&grain=
    &currency=); anything missing or malformed takes its default."""
    params = filters.query(search)
    currency = filters.currency(params.get("currency"), queries.currencies())
    options = queries.filter_options(currency)
    start, end = filters.date_range(params.get("from"), params.get("to"))
    country = params.get("country")
    if country not in options["countries"] and not (
        country == filters.NO_COUNTRY and "" in options["countries"]
    ):
        country = None
    category = filters.integer(params.get("category"))
    if category not in {cid for cid, _name in options["categories"]}:
        category = None
    return html.Div(
        [
            html.H1("Sales"),
            html.Div(
                [
                    _filter(
                        "Dates",
                        dcc.DatePickerRange(
                            id="sales-dates",
                            start_date=start.isoformat(),
                            end_date=end.isoformat(),
                            display_format="YYYY-MM-DD",
                            first_day_of_week=1,
                        ),
                    ),
                    _filter(
                        "Country",
                        dcc.Dropdown(
                            id="sales-country",
                            options=[
                                {
                                    "label": code or "No shipping",
                                    "value": code or filters.NO_COUNTRY,
                                }
                                for code in options["countries"]
                            ],
                            value=country,
                            placeholder="All countries",
                        ),
                    ),
                    _filter(
                        "Category",
                        dcc.Dropdown(
                            id="sales-category",
                            options=[{"label": n, "value": i} for i, n in options["categories"]],
                            value=category,
                            placeholder="All categories",
                        ),
                    ),
                    _filter(
                        "Channel",
                        dcc.Dropdown(
                            id="sales-channel",
                            options=[
                                {"label": CHANNEL_LABELS.get(c, c), "value": c}
                                for c in options["channels"]
                            ],
                            value=filters.choice(params.get("channel"), options["channels"]),
                            placeholder="All channels",
                        ),
                    ),
                    _filter(
                        "Currency",
                        dcc.Dropdown(
                            id="sales-currency",
                            options=queries.currencies() or [currency],
                            value=currency,
                            clearable=False,
                        ),
                    ),
                    _filter(
                        "Per",
                        dcc.RadioItems(
                            id="sales-grain",
                            options=[{"label": v, "value": k} for k, v in GRAIN_LABELS.items()],
                            value=filters.choice(params.get("grain"), queries.GRAINS) or "day",
                            inline=True,
                        ),
                    ),
                ],
                className="filters",
            ),
            theme.empty_state("sales-empty", ""),
            html.Div(
                [
                    html.Div(id="sales-kpis", className="kpis"),
                    theme.card(
                        "Net sales over time",
                        "sales-series-download",
                        dcc.Graph(id="sales-series", config={"displaylogo": False}),
                    ),
                ],
                id="sales-content",
            ),
        ]
    )


def _filter(label: str, control) -> html.Div:
    return html.Div([html.Label(label), control], className="filter")
