"""The case report: a network picture (PNG), a timeline and an evidence table, as HTML and
as PDF. Built from the redacted data an export carries, so the report shows exactly what
the partner receives.

The PDF and the picture use DejaVu Sans (shipped with matplotlib), which has no Chinese
glyphs; a CJK font found on the machine (WenQuanYi Micro Hei from Debian's
``fonts-wqy-microhei``, which `.ci/run` installs; Noto CJK, Droid Sans Fallback) is embedded
as a fallback for them. Without one, Chinese names and addresses are left out of the PDF
and drawn as boxes in the picture; the HTML report, the CSV tables and the FtM file carry
the text either way.
"""

from __future__ import annotations

import html
import warnings
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["network_png", "timeline_rows", "write_html", "write_pdf", "cjk_font"]

_COLOURS = {"Enterprise": "#1f77b4", "Person": "#d62728", "Address": "#2ca02c",
            "Phone": "#9467bd", "PaymentAccount": "#ff7f0e", "IdNumber": "#8c564b",
            "Email": "#e377c2", "Declaration": "#7f7f7f", "Order": "#bcbd22",
            "Waybill": "#17becf", "Payment": "#ffbb78"}
_TIME = {"Declaration": "decl_time", "Order": "order_time", "Waybill": "ship_time",
         "Payment": "pay_time", "Inspection": "inspection_time"}


_CJK_NAMES = ("wqy-microhei", "wqy-zenhei", "notosanscjk", "droidsansfallback")


@cache
def cjk_font() -> str | None:
    """The path of a CJK-capable font installed on this machine (in the order of
    ``_CJK_NAMES``), or None."""
    from matplotlib import font_manager

    found = {Path(f).name.lower(): f for f in font_manager.findSystemFonts()
             if Path(f).suffix.lower() in (".ttf", ".otf", ".ttc")}
    for key in _CJK_NAMES:
        for name, f in sorted(found.items()):
            if name.startswith(key):
                return f
    return None


def _label_fonts() -> list[str]:
    """matplotlib font families for labels: DejaVu Sans, then the CJK font for the glyphs
    DejaVu lacks."""
    from matplotlib import font_manager

    families = ["DejaVu Sans"]
    f = cjk_font()
    if f:
        font_manager.fontManager.addfont(f)
        families.append(font_manager.FontProperties(fname=f).get_name())
    return families


def network_png(nodes: dict, edges: list, captions: dict, path: Path, title: str) -> Path:
    """Draw the network (members and the edges among them) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = nx.Graph()
    for ref in nodes:
        g.add_node(ref)
    for a, typ, b, _ in edges:
        if a in nodes and b in nodes:
            g.add_edge(a, b, type=typ)
    fig, ax = plt.subplots(figsize=(9, 6.5), dpi=110)
    if g.number_of_nodes():
        pos = nx.spring_layout(g, seed=7, k=1.2 / max(1, g.number_of_nodes()) ** 0.5)
        nx.draw_networkx_edges(g, pos, ax=ax, alpha=0.35, edge_color="#555555")
        for label in sorted({r.label for r in g.nodes}):
            members = [r for r in g.nodes if r.label == label]
            nx.draw_networkx_nodes(g, pos, nodelist=members, ax=ax, node_size=260,
                                   node_color=_COLOURS.get(label, "#aaaaaa"), label=label)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # without a CJK font: drawn as boxes
            texts = nx.draw_networkx_labels(g, pos, {r: str(captions.get(r, r.key))[:24]
                                                     for r in g}, ax=ax, font_size=7)
            for t in texts.values():
                t.set_fontfamily(_label_fonts())
        ax.legend(loc="lower left", fontsize=7, markerscale=0.6, frameon=False)
    ax.set_title(title, fontsize=11)
    ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(path)
    plt.close(fig)
    return path


def timeline_rows(nodes: dict, case_events: list[dict]) -> list[dict[str, Any]]:
    """Dated events: the members' declarations, orders, payments, waybills and inspections,
    and the case's own events (opened, detention, deadlines), in time order."""
    rows = []
    for ref, props in nodes.items():
        t = props.get(_TIME.get(ref.label, ""))
        if t is not None:
            when = t.isoformat() if hasattr(t, "isoformat") else str(t)
            what = ", ".join(f"{k} {props[k]}" for k in ("total_value", "goods_value",
                                                          "amount_paid", "outcome", "finding")
                             if props.get(k) is not None)
            rows.append({"time": when[:19], "event": f"{ref.label} {ref.key}", "detail": what})
    rows.extend(case_events)
    return sorted(rows, key=lambda r: r["time"])


def _table(rows: list[dict], cols: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '') or ''))}</td>"
                                    for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(path: Path, header: dict, members: list[dict], timeline: list[dict],
               evidence: list[dict], ipr: dict | None, picture: str) -> Path:
    """A self-contained HTML report (the picture is a file beside it)."""
    h = header
    facts = [("Export", h["export_id"]), ("Case", h["case_reference"]),
             ("Sender", f"{h['sender']['administration']} ({h['sender']['contact_officer']})"),
             ("Recipient", f"{h['recipient']['administration']} "
                           f"({h['recipient']['contact_officer']})"),
             ("Legal basis", f"{h['legal_basis']['agreement']}, {h['legal_basis']['article']}"),
             ("Purpose", h["purpose"]), ("Offence", h["offence_type"]),
             ("Retention until", h["retention_date"]), ("Approved by",
                                                          f"{h['approved_by']} {h['approved_at']}")]
    ipr_html = _table([{"field": k, "value": v} for k, v in (ipr or {}).items()],
                      ["field", "value"]) if ipr else "<p>No IPR seizure record.</p>"
    doc = f"""<!doctype html><html lang="{html.escape(h.get('language', 'en'))}"><head>
<meta charset="utf-8"><title>Case {html.escape(h['case_reference'])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse;
margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:.25em .5em;font-size:.9em;
text-align:left}}.caveat{{background:#fff3cd;padding:.5em;border:1px solid #e0c36b}}</style>
</head><body><h1>Case {html.escape(h['case_reference'])}: {html.escape(h.get('case_title', ''))}
</h1><p class="caveat">{html.escape(h['handling_caveats'])}</p>
{_table([{"item": a, "value": b} for a, b in facts], ["item", "value"])}
<h2>Summary of facts</h2><p>{html.escape(h['summary_of_facts'])}</p>
<h2>Network</h2><img src="{html.escape(picture)}" alt="case network" style="max-width:100%">
<h2>Entities</h2>{_table(members, ["id", "type", "role", "caption", "tier"])}
<h2>Timeline</h2>{_table(timeline, ["time", "event", "detail"])}
<h2>Evidence</h2>{_table(evidence, ["sha256", "filename", "kind", "labels", "source"])}
<h2>IPR seizure record</h2>{ipr_html}
<p>Personal data redacted by tier: third parties pseudonymised (keyed hash, stable within
this export), ID numbers and phones masked, addresses generalised to district, payment
account numbers dropped.</p></body></html>"""
    path.write_text(doc, encoding="utf-8")
    return path


def _fonts(pdf) -> str:
    import matplotlib

    base = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf.add_font("DejaVu", "", str(base / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(base / "DejaVuSans-Bold.ttf"))
    f = cjk_font()
    if f:
        try:
            pdf.add_font("CJK", "", f)
            pdf.set_fallback_fonts(["CJK"], exact_match=False)  # bold titles too
        except Exception:  # noqa: BLE001 - an unusable font is simply not used
            pass
    return "DejaVu"


def write_pdf(path: Path, header: dict, members: list[dict], timeline: list[dict],
              evidence: list[dict], ipr: dict | None, picture: Path) -> Path:
    """The same report as a PDF (fpdf2): header, picture, entities, timeline, evidence."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=15)
    font = _fonts(pdf)
    pdf.add_page()
    pdf.set_font(font, "B", 15)
    h = header
    pdf.multi_cell(0, 8, f"Case {h['case_reference']}: {h.get('case_title', '')}",
                   new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(font, "", 9)
    pdf.set_fill_color(255, 243, 205)
    pdf.multi_cell(0, 5, h["handling_caveats"], fill=True, new_x="LMARGIN", new_y="NEXT")
    for a, b in (("Export", h["export_id"]),
                 ("Sender", f"{h['sender']['administration']} / {h['sender']['contact_officer']}"),
                 ("Recipient", f"{h['recipient']['administration']} / "
                               f"{h['recipient']['contact_officer']}"),
                 ("Legal basis", f"{h['legal_basis']['agreement']}, {h['legal_basis']['article']}"),
                 ("Purpose", h["purpose"]), ("Offence", h["offence_type"]),
                 ("Retention until", h["retention_date"]),
                 ("Approved by", f"{h['approved_by']} at {h['approved_at']}")):
        pdf.multi_cell(0, 5, f"{a}: {b}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, f"Summary of facts: {h['summary_of_facts']}", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.image(str(picture), w=180)

    def table(title: str, rows: list[dict], cols: list[str], widths: list[int]) -> None:
        pdf.set_font(font, "B", 11)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, "", 7)
        with pdf.table(col_widths=widths, text_align="LEFT") as t:
            r = t.row()
            for c in cols:
                r.cell(c)
            for row in rows:
                r = t.row()
                for c in cols:
                    r.cell(str(row.get(c, "") or "")[:120])
        pdf.ln(3)

    pdf.add_page()
    table("Entities", members, ["id", "type", "role", "caption", "tier"], [50, 22, 25, 70, 10])
    table("Timeline", timeline, ["time", "event", "detail"], [35, 60, 85])
    table("Evidence", evidence, ["sha256", "filename", "kind", "labels"], [60, 45, 20, 55])
    if ipr:
        table("IPR seizure record", [{"field": k, "value": v} for k, v in ipr.items()],
              ["field", "value"], [50, 130])
    import logging

    quiet = logging.getLogger("fpdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # missing CJK glyphs are expected without a CJK font
    try:
        pdf.output(str(path))
    finally:
        quiet.setLevel(level)
    return path
