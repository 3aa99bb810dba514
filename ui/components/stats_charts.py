"""The Statistics page's charts as Vega-Lite specifications, built once per state of the
staging database and measure, then served from memory until a load changes staging.

Building them is the page's whole cost once its figures are cached: Altair constructs and
validates each chart against the Vega-Lite schema (0.3-0.4 s for the seven, over 1 s on a
loaded machine, at every visit). The specs are plain dicts, drawn with
``st.vega_lite_chart``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui.components.data import memo, staging_frames, staging_mtime
from ui.components.profile import check_words
from ui.components.stats_sql import STATISTICS

__all__ = ["MEASURES", "statistics_specs"]

MEASURES = {"declarations": "Declarations", "value_cny": "Value (RMB)"}


def statistics_specs(ws: str, measure: str) -> dict[str, dict | None]:
    """Chart name -> Vega-Lite spec (None: no data), for ``measure`` (a :data:`MEASURES`
    key). Raises what :func:`~ui.components.data.staging_frames` raises."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}: one of {', '.join(MEASURES)}")
    return memo(("statistics-specs", str(ws), staging_mtime(ws), measure),
                lambda: _build(staging_frames(ws, STATISTICS), measure))


def _spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite dict, its data inline (tens of rows), without the default
    theme's fixed view size (the page stretches charts to their column)."""
    spec = chart.to_dict()
    spec.get("config", {}).pop("view", None)
    if not spec.get("config"):
        spec.pop("config", None)
    return spec


def _stacked(df: pd.DataFrame, dim: str, title: str, measure: str) -> dict | None:
    if df.empty:
        return None
    return _spec(alt.Chart(df, title=title).mark_bar().encode(
        x=alt.X("month:O", title=None), y=alt.Y(f"{measure}:Q", title=None),
        color=alt.Color(f"{dim}:N", title=dim.replace("_", " ")),
        tooltip=["month", dim, "declarations", alt.Tooltip("value_cny:Q", format=",.0f")]))


def _build(f: dict[str, pd.DataFrame], measure: str) -> dict[str, dict | None]:
    out = {"by_channel": _stacked(f["by_channel"], "channel", "By channel and month", measure),
           "by_direction": _stacked(f["by_direction"], "direction", "By direction and month",
                                    measure),
           "by_trade_mode": _stacked(f["by_trade_mode"], "trade_mode",
                                     "By trade mode and month", measure),
           "by_destination": None, "indicator_hits": None, "rates": None, "outcomes": None,
           "seizure_reasons": None}
    dest = f["by_destination"]
    if not dest.empty:
        out["by_destination"] = _spec(alt.Chart(
            dest, title="Countries (destination for exports, dispatch for imports), top 40")
            .mark_bar().encode(y=alt.Y("country:N", sort="-x", title=None),
                               x=alt.X(f"{measure}:Q", title=None), color="direction:N"))
    hits = f["indicator_hits"]
    if not hits.empty:
        hits = hits.assign(check=[f"{c} {check_words(c)[0]}" for c in hits["check_id"]])
        out["indicator_hits"] = _spec(alt.Chart(hits).mark_bar().encode(
            x=alt.X("month:O", title=None), y=alt.Y("hits:Q"), color=alt.Color("check:N"),
            tooltip=["check", "month", "hits"]))
    insp = f["inspections"]
    if not insp.empty:
        per_month = insp.groupby("month", as_index=False)[
            ["declarations", "inspected", "seized", "amended"]].sum()
        per_month["inspection rate"] = per_month["inspected"] / per_month["declarations"]
        per_month["hit rate"] = (per_month["seized"] + per_month["amended"]) \
            / per_month["inspected"].where(per_month["inspected"] > 0)
        rates = per_month.melt("month", ["inspection rate", "hit rate"], "rate", "value")
        out["rates"] = _spec(alt.Chart(rates, title="Inspection rate and hit rate (seized or "
                                                    "amended per inspection)")
                             .mark_line(point=True).encode(
            x=alt.X("month:O", title=None),
            y=alt.Y("value:Q", axis=alt.Axis(format="%"), title=None), color="rate:N"))
        counts = per_month.melt("month", ["inspected", "seized", "amended"], "what", "n")
        out["outcomes"] = _spec(alt.Chart(counts, title="Inspections and outcomes")
                                .mark_bar().encode(x=alt.X("month:O", title=None),
                                                   xOffset="what:N",
                                                   y=alt.Y("n:Q", title=None),
                                                   color="what:N"))
    sz = f["seizure_reasons"]
    if not sz.empty:
        out["seizure_reasons"] = _spec(alt.Chart(sz, title="Seizures by reason").mark_bar()
                                       .encode(y=alt.Y("reason:N", sort="-x", title=None),
                                               x="seizures:Q",
                                               tooltip=["reason", "seizures",
                                                        alt.Tooltip("value_cny:Q",
                                                                    format=",.0f")]))
    return out
