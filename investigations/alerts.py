"""Alerts: saved score thresholds and saved queries that, run after each load and scoring,
open a case or add to one, and say so. What an open case already holds raises nothing."""

from __future__ import annotations

import json
from typing import Any

from graph.store import NodeRef
from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, get_props, new_id, now_iso, put_node
from investigations.roles import User, require

__all__ = ["ALERT_KINDS", "create_alert", "list_alerts", "deactivate_alert", "run_alerts"]

ALERT_KINDS = ("score", "search", "shared")


def _check_spec(kind: str, spec: dict) -> dict:
    if kind == "score":
        s = float(spec.get("min_score", -1))
        if not 0 <= s <= 1:
            raise ValueError("a score alert needs min_score within 0..1")
        return {"min_score": s, "typology": spec.get("typology") or None}
    if kind == "search":
        if not str(spec.get("text", "")).strip():
            raise ValueError("a search alert needs the text to search for")
        return {"text": str(spec["text"]), "labels": spec.get("labels") or None,
                "min_match": float(spec.get("min_match", 90))}
    if kind == "shared":
        if not spec.get("label") or not spec.get("key"):
            raise ValueError("a shared-identifier alert needs the label and key of an entity")
        return {"label": spec["label"], "key": str(spec["key"])}
    raise ValueError(f"alert kind {kind!r}: use one of {', '.join(ALERT_KINDS)}")


def create_alert(ws: CaseWorkspace, actor: User, name: str, kind: str, spec: dict) -> str:
    """Save an alert: ``score`` ({min_score, typology?}: rings from the detection results),
    ``search`` ({text, labels?, min_match?}) or ``shared`` ({label, key}: entities that
    share a phone, address, account, ID or e-mail with that one)."""
    require(actor, "alert.manage")
    alert_id = new_id("ALERT")
    put_node(ws.store, "Alert", {"alert_id": alert_id, "name": name, "kind": kind,
                                 "spec": _check_spec(kind, spec), "created_by": actor.username,
                                 "created_at": now_iso(), "active": True})
    record_event(ws, actor, "alert.create", target=alert_id, detail={"kind": kind})
    return alert_id


def list_alerts(ws: CaseWorkspace, actor: User) -> list[dict[str, Any]]:
    """Saved alerts with their specifications."""
    require(actor, "alert.manage")
    out = []
    for a in ws.store.find_nodes("Alert"):
        a["spec"] = json.loads(a.get("spec") or "{}")
        out.append(a)
    return out


def deactivate_alert(ws: CaseWorkspace, actor: User, alert_id: str) -> None:
    """Stop running an alert (kept for the record)."""
    require(actor, "alert.manage")
    get_props(ws.store, "Alert", alert_id)
    put_node(ws.store, "Alert", {"alert_id": alert_id, "active": False})
    record_event(ws, actor, "alert.deactivate", target=alert_id)


def _open_holdings(ws: CaseWorkspace) -> dict[NodeRef, str]:
    """Node -> the open case holding it (cases not closed)."""
    open_ids = {c["case_id"] for c in ws.store.find_nodes("Case") if c.get("status") != "closed"}
    held = {}
    for m in ws.store.find_nodes("CaseMember"):
        if m["case_id"] in open_ids:
            held.setdefault(NodeRef(m["label"], m["node_key"]), m["case_id"])
    return held


def _open_case_for(ws: CaseWorkspace, origin_ref: str) -> str | None:
    for c in ws.store.find_nodes("Case", {"origin_ref": origin_ref}):
        if c.get("status") != "closed":
            return c["case_id"]
    return None


def _hits(ws: CaseWorkspace, kind: str, spec: dict) -> list[tuple[NodeRef, str]]:
    if kind == "search":
        return [(h.ref, "witness" if h.ref.label == "Person" else "linked")
                for h in ws.store.search(spec["text"], labels=spec.get("labels"))
                if h.score >= spec["min_match"]]
    ref = NodeRef(spec["label"], spec["key"])
    if ws.store.get_node(ref) is None:
        raise NotFound(f"alert entity {ref.label} {ref.key!r} is not in the graph")
    out = {ref: "suspect"}
    for other, _typ, pivot in ws.store.sharing_identifier(ref):
        out.setdefault(other, "suspect" if other.label == "Enterprise" else "witness")
        out.setdefault(pivot, "linked")
    return list(out.items())


def _add(ws, actor, case_id, members) -> int:
    from investigations.cases import add_member

    for ref, role in members:
        add_member(ws, actor, case_id, ref, role, reason="added by an alert")
    return len(members)


def run_alerts(ws: CaseWorkspace, actor: User) -> list[dict[str, Any]]:
    """Run every active alert once; returns one outcome per alert (and ring) saying what was
    opened or added (``action``: opened / added / none) with a sentence for people."""
    require(actor, "alert.run")
    from investigations.cases import _ring_members, create_case, create_case_from_ring

    outcomes = []
    for a in ws.store.find_nodes("Alert", {"active": True}):
        spec, name = json.loads(a.get("spec") or "{}"), a["name"]
        held = _open_holdings(ws)
        if a["kind"] == "score":
            from graph.detection.results import list_rings

            for ring in list_rings(ws.store, min_score=spec["min_score"],
                                   typology=spec.get("typology")):
                members = [(r, role) for r, role in _ring_members(ring)
                           if ws.store.get_node(r) is not None]
                new = [(r, role) for r, role in members if r not in held]
                target = _open_case_for(ws, ring.ring_id) or next(
                    (held[r] for r, _ in members if r in held), None)
                if not new:
                    outcomes.append({"alert": name, "ring": ring.ring_id, "action": "none",
                                     "case_id": target, "message": f"alert '{name}': ring "
                                     f"{ring.ring_id} is already held by case {target}"})
                elif target:
                    n = _add(ws, actor, target, new)
                    outcomes.append({"alert": name, "ring": ring.ring_id, "action": "added",
                                     "case_id": target, "message": f"alert '{name}': added {n}"
                                     f" member(s) of ring {ring.ring_id} to case {target}"})
                else:
                    cid = create_case_from_ring(ws, actor, ring.ring_id)
                    outcomes.append({"alert": name, "ring": ring.ring_id, "action": "opened",
                                     "case_id": cid, "message": f"alert '{name}': opened case "
                                     f"{cid} for ring {ring.ring_id} (score {ring.score:.2f})"})
                held = _open_holdings(ws)
        else:
            hits = _hits(ws, a["kind"], spec)
            new = [(r, role) for r, role in hits if r not in held]
            target = _open_case_for(ws, a["alert_id"])
            if not new:
                outcomes.append({"alert": name, "action": "none", "case_id": target,
                                 "message": f"alert '{name}': nothing new ({len(hits)} hit(s) "
                                 "already in open cases)"})
            elif target:
                n = _add(ws, actor, target, new)
                outcomes.append({"alert": name, "action": "added", "case_id": target,
                                 "message": f"alert '{name}': added {n} new hit(s) to case "
                                 f"{target}"})
            else:
                cid = create_case(ws, actor, f"Alert: {name}", members=new, origin="alert",
                                  origin_ref=a["alert_id"])
                outcomes.append({"alert": name, "action": "opened", "case_id": cid,
                                 "message": f"alert '{name}': opened case {cid} with "
                                 f"{len(new)} hit(s)"})
        put_node(ws.store, "Alert", {"alert_id": a["alert_id"], "last_run": now_iso()})
    record_event(ws, actor, "alert.run", detail={
        "alerts": len({o["alert"] for o in outcomes}),
        "opened": sum(o["action"] == "opened" for o in outcomes),
        "added": sum(o["action"] == "added" for o in outcomes)})
    return outcomes
