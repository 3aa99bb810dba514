"""The platform notice (quality co-governance with platforms): one platform's non-compliant
sellers and their listings, with the findings, for that platform. Only enterprises, goods
and findings travel; no person's data."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from graph.store import NodeRef
from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, now_iso
from investigations.roles import User, require

__all__ = ["platform_notice"]


def _seller_on(ws: CaseWorkspace, seller: NodeRef, platform: NodeRef) -> tuple[bool, dict]:
    sg = ws.store.neighbourhood(seller, hops=2, limit=5000,
                                edge_types=["SOLD_BY", "ON_PLATFORM", "CONTAINS"])
    on = platform in sg.nodes
    decls = [(r, p) for r, p in sg.nodes.items() if r.label == "Declaration"]
    listings = sorted({r.key for r in sg.nodes if r.label == "Product"})
    goods = sorted({g for _, p in decls for g in (p.get("gnames") or "").split("|") if g})
    return on, {"declarations": len(decls), "listings": listings, "goods": goods[:20],
                "seized": sum(p.get("outcome") == "seized" for _, p in decls),
                "checks_failed": sorted({c for _, p in decls
                                         for c in (p.get("tl_failed") or "").split("|") if c})}


def platform_notice(ws: CaseWorkspace, actor: User, platform_code: str, *,
                    out_dir: str | Path | None = None) -> dict[str, Any]:
    """Write ``notice-<platform>-<time>/`` (``notice.json``, ``sellers.csv``) listing the
    platform's sellers that are suspects or facilitators in open or referred cases, with
    their listings and findings; returns the notice."""
    require(actor, "notice.write")
    platform = NodeRef("Enterprise", platform_code)
    pprops = ws.store.get_node(platform)
    if pprops is None:
        raise NotFound(f"no platform (Enterprise) {platform_code!r} in the graph")
    live = {c["case_id"]: c for c in ws.store.find_nodes("Case")
            if c.get("status") in ("open", "investigating", "referred")}
    by_seller: dict[str, list[dict]] = {}
    for m in ws.store.find_nodes("CaseMember", {"label": "Enterprise"}):
        if m["case_id"] in live and m["role"] in ("suspect", "facilitator") and \
                m["node_key"] != platform_code:
            by_seller.setdefault(m["node_key"], []).append(live[m["case_id"]])
    sellers = []
    for code, cases in sorted(by_seller.items()):
        ref = NodeRef("Enterprise", code)
        on, facts = _seller_on(ws, ref, platform)
        if not on:
            continue
        props = ws.store.get_node(ref) or {}
        findings = []
        for c in cases:
            ipr = json.loads(c["ipr"]) if c.get("ipr") else {}
            f = f"case {c['case_id']} ({c.get('offence') or 'offence not stated'})"
            if ipr.get("brand"):
                f += (f": {ipr.get('brand')} goods declared as "
                      f"'{ipr.get('description_declared', '?')}', found "
                      f"'{ipr.get('description_found', '?')}'")
            findings.append(f)
        sellers.append({"seller_code": code, "seller_name": props.get("name", ""),
                        "uscc": props.get("uscc", ""), **facts, "findings": findings})
    notice = {"platform": {"code": platform_code, "name": pprops.get("name", "")},
              "issued_at": now_iso(), "issued_by": actor.username, "sellers": sellers,
              "basis": "quality co-governance memorandum with the platform"}
    out = Path(out_dir) if out_dir else ws.exports_dir
    folder = out / f"notice-{platform_code}-{notice['issued_at'][:19].replace(':', '')}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notice.json").write_text(json.dumps(notice, indent=2, ensure_ascii=False),
                                        encoding="utf-8")
    with (folder / "sellers.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["seller_code", "seller_name", "uscc", "declarations", "seized",
                    "checks_failed", "listings", "findings"])
        for s in sellers:
            w.writerow([s["seller_code"], s["seller_name"], s["uscc"], s["declarations"],
                        s["seized"], "|".join(s["checks_failed"]), "|".join(s["listings"]),
                        " / ".join(s["findings"])])
    notice["folder"] = str(folder)
    record_event(ws, actor, "notice.write", target=platform_code,
                 detail={"sellers": len(sellers)})
    return notice
