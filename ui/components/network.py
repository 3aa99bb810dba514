"""The network drawing: a :class:`~graph.store.Subgraph` as offline pyvis HTML.

pyvis renders with no internet only with ``cdn_resources="in_line"`` (vis-network's
JavaScript inlined, ~700 KiB), and even then its template links bootstrap from a CDN: those
tags are stripped here, and :func:`remote_references` lets tests prove none is left.

Large drawings would freeze the browser while vis-network's physics settles, so:
up to :data:`PHYSICS_MAX` nodes the physics runs a bounded stabilisation and is then
switched off; above it the layout is computed here (rings by hop distance, O(n)) and
physics is off; above :data:`DRAW_MAX` nothing is drawn and the caller shows a message.
"""

from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Iterable

from graph.store.base import NodeRef, Subgraph

__all__ = ["STYLE", "DRAW_MAX", "PHYSICS_MAX", "TooLarge", "node_id", "node_caption",
           "render_html", "strip_remote", "remote_references", "filter_labels", "merge"]

DRAW_MAX = 1000  # nodes; above this a drawing is refused with a message
RING_GAP, NODE_GAP = 170.0, 26.0  # radial layout: between rings, between nodes on a ring
PHYSICS_MAX = 100  # nodes; above this the layout is computed in Python, physics off

# colour and shape by node label; pivots (shared identifiers) are diamonds/triangles
STYLE: dict[str, tuple[str, str]] = {
    "Enterprise": ("#1f77b4", "box"),
    "Person": ("#2ca02c", "ellipse"),
    "Phone": ("#ff7f0e", "diamond"),
    "Address": ("#9467bd", "diamond"),
    "PaymentAccount": ("#d62728", "diamond"),
    "IdNumber": ("#8c564b", "diamond"),
    "Email": ("#e377c2", "diamond"),
    "Order": ("#7f7f7f", "dot"),
    "Payment": ("#bcbd22", "dot"),
    "Waybill": ("#17becf", "dot"),
    "Declaration": ("#393b79", "square"),
    "CheckResult": ("#e7969c", "triangle"),
    "Inspection": ("#843c39", "triangle"),
    "HsCode": ("#aaaaaa", "text"),
    "Product": ("#bbbbbb", "text"),
    "Country": ("#637939", "star"),
    "Ring": ("#d62728", "hexagon"),
}
_CAPTION_PROPS = ("name", "address", "phone", "email", "holder_name", "masked", "invt_no",
                  "order_no", "logistics_no", "check_id", "outcome", "gcode", "iso2")
_REMOTE_TAG = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"'](?:https?:)?//[^\"']*[\"'][^>]*>"
    r"|<script\b[^>]*\bsrc\s*=\s*[\"'][^\"']*[\"'][^>]*>\s*</script>", re.I)
_REMOTE_REF = re.compile(r"(?:src|href)\s*=\s*[\"'](?:https?:)?//[^\"']+", re.I)


class TooLarge(ValueError):
    """The subgraph has more nodes than a browser draws without freezing."""


def node_id(ref: NodeRef) -> str:
    return f"{ref.label}:{ref.key}"


def node_caption(ref: NodeRef, props: dict | None, width: int = 28) -> str:
    """A short label for a node: its name (or other telling property), else its key."""
    props = props or {}
    text = next((str(props[p]) for p in _CAPTION_PROPS if props.get(p)), ref.key)
    return text if len(text) <= width else text[: width - 1] + "…"


def _tooltip(ref: NodeRef, props: dict, risk: float | None, hub: bool) -> str:
    lines = [f"{ref.label} {ref.key}"]
    if risk is not None:
        lines.append(f"risk {risk:.2f}")
    if hub:
        lines.append("hub: shown, not expanded (expand it on purpose)")
    lines += [f"{k}: {v}" for k, v in props.items() if v not in (None, "")][:14]
    return "\n".join(lines)


def filter_labels(sg: Subgraph, labels: Iterable[str] | None,
                  keep: Iterable[NodeRef] = ()) -> Subgraph:
    """The subgraph restricted to nodes of ``labels`` (plus ``keep``), edges among them."""
    if not labels:
        return sg
    allowed, keep = set(labels), set(keep)
    nodes = {r: p for r, p in sg.nodes.items() if r.label in allowed or r in keep}
    edges = [e for e in sg.edges if e[0] in nodes and e[2] in nodes]
    return Subgraph(nodes, edges, sg.truncated, [h for h in sg.hubs if h in nodes])


def merge(*graphs: Subgraph) -> Subgraph:
    """One subgraph holding all nodes and distinct edges of ``graphs``."""
    out = Subgraph()
    seen = set()
    for g in graphs:
        for r, p in g.nodes.items():
            out.nodes.setdefault(r, p)
        for a, t, b, p in g.edges:
            if (a, t, b) not in seen:
                seen.add((a, t, b))
                out.edges.append((a, t, b, p))
        out.truncated |= g.truncated
        out.hubs += [h for h in g.hubs if h not in out.hubs]
    return out


def _layout(sg: Subgraph, centre: Iterable[NodeRef] = ()) -> dict[NodeRef, tuple[float, float]]:
    """Rings by hop distance from ``centre`` (else the best-connected node), each ring's
    nodes ordered by their parent's angle: O(n), readable for ego networks, and no physics
    to wait for (a force layout of 500 nodes took seconds)."""
    import math

    nbrs: dict[NodeRef, list[NodeRef]] = {r: [] for r in sg.nodes}
    for a, _, b, _ in sg.edges:
        if a in nbrs and b in nbrs:
            nbrs[a].append(b)
            nbrs[b].append(a)
    roots = [r for r in centre if r in nbrs] or [max(nbrs, key=lambda r: len(nbrs[r]))]
    angle: dict[NodeRef, float] = {}
    pos: dict[NodeRef, tuple[float, float]] = {}
    level = roots
    seen = set(roots)
    depth, radius = 0, -RING_GAP
    while level:
        n = len(level)
        # each ring clear of the one inside it, and wide enough for its nodes
        radius = 0.0 if depth == 0 and n == 1 else max(radius + RING_GAP,
                                                        n * NODE_GAP / (2 * math.pi))
        for i, r in enumerate(level):
            angle[r] = 2 * math.pi * i / n
            pos[r] = (radius * math.cos(angle[r]), radius * math.sin(angle[r]))
        nxt = []
        for r in level:
            for b in sorted(nbrs[r]):
                if b not in seen:
                    seen.add(b)
                    nxt.append(b)
        level, depth = nxt, depth + 1
        if not level:  # parts not connected to the centre: next ring
            level = [r for r in nbrs if r not in seen][:1]
            seen.update(level)
    return pos


_ENVS: dict = {}


def _template_env(template_dir: str):
    """One jinja environment per process: pyvis makes one per network, and compiling its
    template (vis-network inlined) again took 0.3 s of every drawing."""
    if template_dir not in _ENVS:
        from jinja2 import Environment, FileSystemLoader

        _ENVS[template_dir] = Environment(loader=FileSystemLoader(template_dir),
                                          auto_reload=False)
    return _ENVS[template_dir]


def warm_template() -> None:
    """Compile pyvis's template now (the app does it in the background at start), so the
    first drawing does not pay for it."""
    from pyvis.network import Network

    net = Network(cdn_resources="in_line")
    _template_env(net.template_dir).get_template(net.path)


def strip_remote(page: str) -> str:
    """The page without ``<link href=//...>`` and ``<script src=...>`` tags: everything it
    needs is inlined, and a remote tag would either fail offline or leak a request."""
    return _REMOTE_TAG.sub("", page)


def remote_references(page: str) -> list[str]:
    """Every ``src``/``href`` pointing off the machine (tests assert there is none)."""
    return _REMOTE_REF.findall(page)


def render_html(sg: Subgraph, *, risk: dict[NodeRef, float] | None = None,
                path: list[NodeRef] | None = None, focus: Iterable[NodeRef] = (),
                height: int = 620, risk_threshold: float = 0.5) -> str:
    """The subgraph as one self-contained HTML page (vis-network inlined, no remote tag).

    Colour and shape by label (:data:`STYLE`); risk in the caption and as node size (red
    border at ``risk_threshold`` and above); hubs drawn with a thick dashed border; edge
    type as edge label; ``path`` nodes and edges highlighted in red; ``focus`` nodes
    (the searched or expanded ones) larger. Raises :class:`TooLarge` above
    :data:`DRAW_MAX` nodes.
    """
    from pyvis.network import Network

    n = len(sg.nodes)
    if n > DRAW_MAX:
        raise TooLarge(f"{n:,} nodes is more than a browser draws without freezing "
                       f"(limit {DRAW_MAX:,}): lower the hops or the node limit, filter by "
                       f"entity type or time window, or use the table and downloads below.")
    risk, path, focus = risk or {}, path or [], set(focus)
    hubs = set(sg.hubs)
    on_path = set(path)
    path_edges = {frozenset((a, b)) for a, b in zip(path, path[1:], strict=False)}
    physics = n <= PHYSICS_MAX
    pos = {} if physics else _layout(sg, list(focus) + list(path))
    net = Network(height=f"{height}px", width="100%", directed=True, cdn_resources="in_line",
                  notebook=False, bgcolor="#ffffff")
    for ref, props in sg.nodes.items():
        colour, shape = STYLE.get(ref.label, ("#999999", "dot"))
        r = risk.get(ref)
        caption = node_caption(ref, props)
        if r is not None:
            caption += f"\nrisk {r:.2f}"
        if ref in hubs:
            caption += "\n(hub)"
        border = "#d62728" if ref in on_path or (r is not None and r >= risk_threshold) \
            else colour
        kw = dict(label=caption, title=_tooltip(ref, props, r, ref in hubs), shape=shape,
                  color={"background": colour, "border": border,
                         "highlight": {"background": colour, "border": "#000000"}},
                  borderWidth=5 if ref in on_path or ref in hubs else 1,
                  shapeProperties={"borderDashes": [6, 4]} if ref in hubs else {},
                  size=12 + 18 * (r or 0) + (10 if ref in focus else 0),
                  font={"size": 16 if ref in focus else 12,
                        "color": colour if shape == "text" else "#222222"})
        if pos:
            kw["x"], kw["y"] = pos[ref]
        net.add_node(node_id(ref), **kw)
    for a, typ, b, props in sg.edges:
        hot = frozenset((a, b)) in path_edges
        extra = ", ".join(f"{k}={v}" for k, v in props.items() if k != "source")
        net.add_edge(node_id(a), node_id(b), label=typ, title=f"{typ} {extra}".strip(),
                     color="#d62728" if hot else "#9a9a9a", width=4 if hot else 1)
    options = {
        "physics": {"enabled": physics, "solver": "barnesHut",
                    "stabilization": {"enabled": True, "iterations": 150, "fit": True},
                    "barnesHut": {"springLength": 140, "avoidOverlap": 0.3}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
                  "font": {"size": 9, "align": "middle", "color": "#555555"},
                  "smooth": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": n > 300,
                        "navigationButtons": False},
    }
    net.set_options(json.dumps(options))
    net.templateEnv = _template_env(net.template_dir)
    page = strip_remote(net.generate_html(notebook=False))
    if physics:  # stabilised once, then still: dragging a node must not set it all moving
        page = page.replace(
            "return network;",
            "network.once('stabilizationIterationsDone', function () {"
            " network.setOptions({physics: false}); });\n return network;", 1)
    return page


def legend_html(labels: Iterable[str]) -> str:
    """A one-line colour legend for the labels drawn."""
    items = []
    for lab in sorted(set(labels)):
        colour, _ = STYLE.get(lab, ("#999999", "dot"))
        items.append(f"<span style='display:inline-block;margin-right:12px'>"
                     f"<span style='display:inline-block;width:11px;height:11px;"
                     f"background:{colour};border-radius:2px;margin-right:4px'></span>"
                     f"{_html.escape(lab)}</span>")
    return "<div style='font-size:0.85em'>" + "".join(items) + "</div>"
