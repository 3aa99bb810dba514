"""Alerts: saved score thresholds and saved queries that, run after each load and scoring,
open a case or add to one, and say so. What an open case already holds raises nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from graph.store import NodeRef
from investigations.audit import LABEL as AUDIT_LABEL
from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, get_props, new_id, now_iso, put_node
from investigations.roles import PermissionDenied, User, require

__all__ = ["ALERT_KINDS", "create_alert", "list_alerts", "deactivate_alert", "run_alerts",
           "run_after"]

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


def alert_runs(ws: CaseWorkspace, actor: User, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest ``limit`` runs of the saved alerts (after a load, a scoring, or by hand):
    when, whose alerts, the trigger and how many cases were opened or added to. Read from
    the audit trail's ``alert.run`` records, which hold counts only, so the people who
    manage alerts see them without the audit-reading role."""
    require(actor, "alert.manage")
    runs = ws.store.find_nodes(AUDIT_LABEL, {"action": "alert.run"})
    runs.sort(key=lambda r: int(r.get("seq") or 0), reverse=True)
    out = []
    for r in runs[:limit]:
        d = json.loads(r.get("detail") or "{}")
        out.append({"at": r.get("at"), "owner": r.get("actor"),
                    "trigger": d.get("trigger", "manual"), "alerts": d.get("alerts", 0),
                    "opened": d.get("opened", 0), "added": d.get("added", 0)})
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


def run_alerts(ws: CaseWorkspace, actor: User, *, alert_ids: Collection[str] | None = None,
               trigger: str = "manual") -> list[dict[str, Any]]:
    """Run every active alert (or those of ``alert_ids``) once; returns one outcome per alert
    (and ring) saying what was opened or added (``action``: opened / added / none) with a
    sentence for people. ``trigger`` (manual, load, score) goes into the audit record."""
    require(actor, "alert.run")
    from investigations.cases import _ring_members, create_case, create_case_from_ring

    outcomes = []
    for a in ws.store.find_nodes("Alert", {"active": True}):
        if alert_ids is not None and a["alert_id"] not in alert_ids:
            continue
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
        "trigger": trigger, "alerts": len({o["alert"] for o in outcomes}),
        "opened": sum(o["action"] == "opened" for o in outcomes),
        "added": sum(o["action"] == "added" for o in outcomes)})
    return outcomes


def run_after(root: str | Path, trigger: str,
              say: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run the saved alerts of the workspace at ``root`` at the end of a load or scoring
    (``trigger``: ``load`` or ``score``), saying what each opened or added.

    A saved alert is a standing order of the user who saved it: it runs with that user's
    roles as they are now (an owner since deactivated, or no longer allowed to run alerts
    and open cases, runs nothing, and the console says so), and the audit trail names the
    owner and the trigger. Each alert runs on its own, so one that fails (its entity gone
    from the graph) does not hide what the others did. Takes the folder, not an open
    workspace: the load's or scoring's store is closed by then.
    """
    from investigations.users import _standing_user

    ws = CaseWorkspace.open(root)
    try:
        by_owner: dict[str, dict[str, str]] = {}  # owner -> alert id -> name
        for a in ws.store.find_nodes("Alert", {"active": True}):
            by_owner.setdefault(a.get("created_by") or "", {})[a["alert_id"]] = a["name"]
        if not by_owner:
            say("alerts: none saved (`cbec alerts add` saves one)")
            return []
        outcomes = []
        for owner, ids in sorted(by_owner.items()):
            user = _standing_user(ws, owner)
            for alert_id, name in sorted(ids.items(), key=lambda kv: kv[1]):
                try:
                    if user is None:
                        raise PermissionDenied(f"its owner {owner!r} is no active user")
                    done = run_alerts(ws, user, alert_ids={alert_id}, trigger=trigger)
                except (PermissionDenied, NotFound, ValueError) as exc:
                    done = [{"alert": name, "action": "skipped", "case_id": None,
                             "message": f"alert '{name}' ({alert_id}) not run: {exc}"}]
                for o in done:
                    say(o["message"])
                outcomes += done
        return outcomes
    finally:
        ws.close()
