"""Declarations per country on a world map that renders with no internet.

Vega-Lite (inside Streamlit, via Altair) draws the map; the borders are Natural Earth's,
as TopoJSON in ``static/countries-50m.json``, which the app's own server serves
(``server.enableStaticServing``, set by ``cbec app``): the browser fetches them from
127.0.0.1 once, and no chart spec carries 750 KiB of borders. Where the app runs without
static serving (a plain ``streamlit run app.py``), :func:`map_available` is False and the
page keeps only its bar chart. Small destinations (Hong Kong, Singapore) are hardly a
pixel as areas, so countries under :data:`SMALL_SR` are also drawn as a circle at their
centroid (not every country: the centroid of France with its overseas departments lies at
sea).
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

__all__ = ["TOPOJSON", "SMALL_SR", "map_available", "iso_numeric", "country_frame",
           "world_map", "not_on_map"]

TOPOJSON = Path(__file__).resolve().parents[2] / "static" / "countries-50m.json"
SMALL_SR = 0.00075  # steradians, about 30,000 km2: smaller countries get a circle
_IDS: set[str] = set()


def not_on_map(counts: pd.DataFrame) -> list[str]:
    """Countries of ``counts`` the borders file cannot show (no ISO code, or no shape)."""
    if not _IDS:
        import json

        topo = json.loads(TOPOJSON.read_text())
        _IDS.update(str(g["id"]) for g in topo["objects"]["countries"]["geometries"]
                    if g.get("id"))
    return sorted(str(c) for c, i in zip(counts["country"], counts["id"], strict=True)
                  if i not in _IDS)


def map_available() -> bool:
    """True when the app's server serves ``static/`` (so the borders can be fetched)."""
    import streamlit as st

    return TOPOJSON.exists() and bool(st.get_option("server.enableStaticServing"))


def _borders_url() -> str:
    import streamlit as st

    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/app/static/{TOPOJSON.name}"


def iso_numeric(code: str | None) -> str | None:
    """ISO 3166-1 numeric code (``"344"``) of an alpha-2 code (``"HK"``), or None."""
    import pycountry

    if not code or not isinstance(code, str):
        return None
    c = pycountry.countries.get(alpha_2=code.strip().upper())
    return c.numeric if c else None


def country_frame(declarations: pd.DataFrame) -> pd.DataFrame:
    """``country`` (alpha-2), ``name``, ``id`` (numeric, the borders' key) and
    ``declarations`` per country; countries without an ISO code keep ``id`` None."""
    import pycountry

    counts = declarations.groupby("country").size().rename("declarations").reset_index()
    counts["id"] = counts["country"].map(iso_numeric)
    names = {c.numeric: c.name for c in pycountry.countries}
    counts["name"] = [names.get(i, c) for i, c in zip(counts["id"], counts["country"],
                                                        strict=True)]
    return counts


def world_map(counts: pd.DataFrame, height: int = 320) -> alt.LayerChart:
    """The map: every country grey, those in ``counts`` shaded by their declarations, the
    small ones circled too (tooltips name the country and its count)."""
    borders = alt.topo_feature(_borders_url(), "countries")
    known = counts.dropna(subset=["id"])
    lookup = alt.LookupData(known, "id", ["declarations", "country", "name"])
    projection = dict(type="equalEarth")
    land = alt.Chart(borders).mark_geoshape(fill="#e6e6e6", stroke="#ffffff",
                                            strokeWidth=0.4)
    shaded = (alt.Chart(borders).mark_geoshape(stroke="#ffffff", strokeWidth=0.4)
              .transform_lookup(lookup="id", from_=lookup)
              .transform_filter("isValid(datum.declarations)")
              .encode(color=alt.Color("declarations:Q", scale=alt.Scale(scheme="blues"),
                                      legend=None),  # the bar chart beside has the counts
                      tooltip=["name:N", "country:N", "declarations:Q"]))
    dots = (alt.Chart(borders).mark_circle(color="#d62728", opacity=0.75)
            .transform_lookup(lookup="id", from_=lookup)
            .transform_filter("isValid(datum.declarations)")
            # islands share their sovereign's code (Ashmore Reef is "036", Australia):
            # one circle per code, on its largest shape
            .transform_calculate(area="geoArea(null, datum)",
                                 lon="geoCentroid(null, datum)[0]",
                                 lat="geoCentroid(null, datum)[1]")
            .transform_joinaggregate(largest="max(area)", groupby=["id"])
            .transform_filter(f"datum.area == datum.largest && datum.area < {SMALL_SR}")
            .encode(longitude="lon:Q", latitude="lat:Q",
                    size=alt.Size("declarations:Q", legend=None,
                                  scale=alt.Scale(range=[15, 400])),
                    tooltip=["name:N", "country:N", "declarations:Q"]))
    return (alt.layer(land, shaded, dots).project(**projection)
            .properties(height=height))
