"""Cases: created from a ring, a selection or an alert; members with roles; notes; status
workflow with assignee; the IPR seizure record and its working-day deadlines.

Every function takes the workspace and the acting user first, checks the user's role and
appends to the audit trail. A partner liaison gets the redacted view (tiers of domain.md
section 7) from the read functions and nothing from the others.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pyarrow as pa

from graph.store import NodeRef
from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, get_props, new_id, now_iso, put_node
from investigations.redaction import TIER2_ROLES, Redactor
from investigations.roles import User, require, sees_redacted
from investigations.workdays import (
    HOLDER_DAYS,
    INVESTIGATION_DAYS,
    add_working_days,
    working_days_between,
)

__all__ = ["MEMBER_ROLES", "STATUSES", "TRANSITIONS", "IPR_FIELDS", "create_case",
           "create_case_from_ring", "get_case", "list_cases", "add_member", "remove_member",
           "add_note", "set_status", "assign", "set_ipr_record", "case_deadlines",
           "case_network", "WorkflowError"]

MEMBER_ROLES = ("suspect", "facilitator", "identity_theft_victim", "rights_holder", "witness",
                "linked")
STATUSES = ("open", "investigating", "referred", "closed")
TRANSITIONS = {"open": {"investigating", "closed"},
               "investigating": {"referred", "closed", "open"},
               "referred": {"closed", "investigating"},
               "closed": {"investigating"}}
IPR_FIELDS = ("rights_holder", "recorded_right", "brand", "goods", "quantity_declared",
              "quantity_found", "description_declared", "description_found", "detention_date",
              "holder_application_date", "holder_confirmation", "disposition")
# ring member roles (graph.detection.results) -> case member roles; a person reached as a
# buyer or consignee is a third party until an investigator says otherwise
RING_ROLES = {"seller": "suspect", "shipper": "suspect", "declarant": "suspect",
              "owner": "suspect", "agent": "facilitator", "carrier": "facilitator",
              "payer": "facilitator", "logistics": "facilitator", "buyer": "witness",
              "consignee": "witness"}


class WorkflowError(ValueError):
    """A status change the workflow does not allow, or a malformed IPR record."""


def _case(ws: CaseWorkspace, case_id: str) -> dict[str, Any]:
    props = get_props(ws.store, "Case", case_id)
    if props.get("ipr"):
        props["ipr"] = json.loads(props["ipr"])
    return props


def _members(ws: CaseWorkspace, case_id: str) -> list[dict[str, Any]]:
    return ws.store.find_nodes("CaseMember", {"case_id": case_id})


def _sync_member_edges(ws: CaseWorkspace, case_id: str, label: str) -> None:
    """Rewrite the case's IN_CASE edges from ``label`` nodes (one batch per case and label)."""
    rows = [m for m in _members(ws, case_id) if m["label"] == label]
    table = pa.table({"from_key": pa.array([m["node_key"] for m in rows], pa.string()),
                      "to_key": pa.array([case_id] * len(rows), pa.string()),
                      "role": pa.array([m["role"] for m in rows], pa.string())})
    ws.store.write_edges("IN_CASE", label, "Case", table, batch=f"case:{case_id}:{label}")


def _put_members(ws: CaseWorkspace, actor: User, case_id: str,
                 members: list[tuple[NodeRef, str, str | None]]) -> int:
    member_labels = {f for f, _ in ws.store.schema.edge("IN_CASE").pairs}
    rows, now = [], now_iso()
    for ref, role, reason in members:
        if role not in MEMBER_ROLES:
            raise ValueError(f"member role {role!r}: use one of {', '.join(MEMBER_ROLES)}")
        if ref.label not in member_labels:
            raise ValueError(f"a {ref.label} cannot be a case member; "
                             f"labels that can: {', '.join(sorted(member_labels))}")
        if ws.store.get_node(ref) is None:
            raise NotFound(f"no {ref.label} {ref.key!r} in the graph")
        rows.append({"member_id": f"{case_id}|{ref.label}|{ref.key}", "case_id": case_id,
                     "label": ref.label, "node_key": ref.key, "role": role,
                     "added_by": actor.username, "added_at": now, "reason": reason})
    if rows:
        ws.store.write_nodes("CaseMember", pa.Table.from_pylist(rows, schema=pa.schema(
            [(k, pa.string()) for k in rows[0]])))
    for label in sorted({r["label"] for r in rows}):
        _sync_member_edges(ws, case_id, label)
    return len(rows)


def create_case(ws: CaseWorkspace, actor: User, title: str, *,
                members: list[tuple[NodeRef, str]] | None = None, origin: str = "selection",
                origin_ref: str | None = None, offence: str | None = None,
                summary: str | None = None, assignee: str | None = None) -> str:
    """Open a case holding ``members`` ((node, role) pairs); returns the case id."""
    require(actor, "case.write")
    if not title.strip():
        raise ValueError("a case needs a title")
    case_id = new_id("CASE")
    now = now_iso()
    put_node(ws.store, "Case", {
        "case_id": case_id, "title": title.strip(), "status": "open", "origin": origin,
        "origin_ref": origin_ref, "assignee": assignee or actor.username,
        "created_by": actor.username, "created_at": now, "updated_at": now,
        "offence": offence, "summary": summary})
    n = _put_members(ws, actor, case_id, [(r, role, None) for r, role in (members or [])])
    record_event(ws, actor, "case.create", case_id=case_id,
                 detail={"origin": origin, "origin_ref": origin_ref, "members": n})
    return case_id


def _ring_members(ring) -> list[tuple[NodeRef, str]]:
    out: dict[NodeRef, str] = {}
    for m in ring.members:
        ref = m["ref"] if isinstance(m["ref"], NodeRef) else NodeRef(*m["ref"])
        out[ref] = RING_ROLES.get(str(m.get("role", "")).lower(),
                                  "witness" if ref.label == "Person" else "linked")
    for s in getattr(ring, "shared", None) or []:
        ref = s["identifier"] if isinstance(s["identifier"], NodeRef) else NodeRef(
            *s["identifier"])
        out.setdefault(ref, "linked")
    return list(out.items())


def create_case_from_ring(ws: CaseWorkspace, actor: User, ring_id: str, *,
                          title: str | None = None) -> str:
    """Open a case from a detected ring (``graph.detection.results.get_ring``): its members
    with roles, its shared identifiers as linked items, its indicators in the summary."""
    require(actor, "case.write")
    from graph.detection.results import get_ring

    ring = get_ring(ws.store, ring_id)
    if ring is None:
        raise NotFound(f"no ring {ring_id!r}; `cbec rings` lists the current ones")
    members = [(r, role) for r, role in _ring_members(ring) if ws.store.get_node(r) is not None]
    facts = "; ".join(i.get("sentence", i.get("name", "")) for i in ring.indicators[:6])
    summary = (f"Ring {ring.ring_id} (rank {ring.rank}, score {ring.score:.2f}, typology "
               f"{ring.typology}): {ring.declarations} declarations, RMB {ring.value_rmb:,.0f}, "
               f"duty at stake RMB {ring.duty_at_stake_rmb:,.0f}; destinations "
               f"{', '.join(ring.destinations[:5])}; channels {', '.join(ring.channels)}. "
               f"{facts}")
    return create_case(ws, actor, title or f"Ring {ring.ring_id} ({ring.typology})",
                       members=members, origin="ring", origin_ref=ring.ring_id,
                       offence=ring.typology, summary=summary)


def _member_view(ws: CaseWorkspace, m: dict, redactor: Redactor | None) -> dict[str, Any]:
    ref = NodeRef(m["label"], m["node_key"])
    props = ws.store.get_node(ref) or {}
    if redactor is None:
        return {"label": ref.label, "key": ref.key, "role": m["role"],
                "reason": m.get("reason"), "added_by": m.get("added_by"),
                "added_at": m.get("added_at"), "properties": props,
                "display": props.get("name") or props.get("address") or ref.key}
    return {"label": ref.label, "key": redactor.public_id(ref.label, ref.key),
            "role": m["role"], "properties": redactor.node(ref.label, ref.key, props),
            "display": redactor.caption(ref.label, ref.key, props),
            "tier": redactor.tier(ref.label, ref.key)}


def _case_redactor(members: list[dict], key: bytes | None = None, suspect_fields=None
                  ) -> Redactor:
    """The redactor for a case: its tier-2 persons are its suspects and facilitators."""
    tier2 = frozenset(m["node_key"] for m in members
                      if m["label"] == "Person" and m["role"] in TIER2_ROLES)
    kw = {"key": key} if key else {}
    if suspect_fields:
        kw["suspect_fields"] = tuple(suspect_fields)
    return Redactor(tier2=tier2, **kw)


def get_case(ws: CaseWorkspace, actor: User, case_id: str) -> dict[str, Any]:
    """The case with its members, notes, evidence, deadlines and export requests. Audited
    as a view. A partner liaison gets the redacted view: pseudonyms, masks, no notes."""
    require(actor, "case.read_redacted")
    case = _case(ws, case_id)
    members = _members(ws, case_id)
    redacted = sees_redacted(actor)
    red = _case_redactor(members) if redacted else None
    view = {"case": case, "members": [_member_view(ws, m, red) for m in members],
            "deadlines": _deadlines(case), "redacted": redacted}
    from investigations.evidence import _evidence_rows
    from investigations.exports import _export_rows

    view["evidence"] = _evidence_rows(ws, case_id, shareable_only=redacted)
    view["exports"] = _export_rows(ws, case_id)
    if redacted:
        view["case"] = {k: v for k, v in case.items() if k not in ("summary", "status_reason")}
        view["notes"] = []
    else:
        view["notes"] = sorted(ws.store.find_nodes("CaseNote", {"case_id": case_id}),
                               key=lambda n: n.get("created_at", ""))
    record_event(ws, actor, "case.view", case_id=case_id, detail={"redacted": redacted})
    return view


def list_cases(ws: CaseWorkspace, actor: User, *, status: str | None = None,
               assignee: str | None = None) -> list[dict[str, Any]]:
    """Case summaries (id, title, status, assignee, origin, deadlines, member count)."""
    require(actor, "case.read_redacted")
    where = {k: v for k, v in (("status", status), ("assignee", assignee)) if v}
    out = []
    for c in ws.store.find_nodes("Case", where or None):
        row = {k: c.get(k) for k in ("case_id", "title", "status", "assignee", "origin",
                                     "origin_ref", "offence", "created_at",
                                     "holder_deadline", "investigation_deadline")}
        row["members"] = len(_members(ws, c["case_id"]))
        out.append(row)
    record_event(ws, actor, "case.list", detail={"count": len(out)})
    return sorted(out, key=lambda r: r.get("created_at") or "", reverse=True)


def _touch(ws: CaseWorkspace, case_id: str, **changes) -> None:
    put_node(ws.store, "Case", {"case_id": case_id, "updated_at": now_iso(), **changes})


def add_member(ws: CaseWorkspace, actor: User, case_id: str, ref: NodeRef, role: str, *,
               reason: str | None = None) -> None:
    """Add a node to the case with a role (or change the role of one already in it)."""
    require(actor, "case.write")
    _case(ws, case_id)
    _put_members(ws, actor, case_id, [(ref, role, reason)])
    _touch(ws, case_id)
    record_event(ws, actor, "case.member", case_id=case_id, target=f"{ref.label}:{ref.key}",
                 detail={"role": role})


def remove_member(ws: CaseWorkspace, actor: User, case_id: str, ref: NodeRef) -> None:
    """Take a node out of the case."""
    require(actor, "case.write")
    _case(ws, case_id)
    mid = f"{case_id}|{ref.label}|{ref.key}"
    if ws.store.get_node(NodeRef("CaseMember", mid)) is None:
        raise NotFound(f"{ref.label} {ref.key!r} is not in case {case_id}")
    ws.store.delete_nodes("CaseMember", [mid])
    _sync_member_edges(ws, case_id, ref.label)
    _touch(ws, case_id)
    record_event(ws, actor, "case.member_removed", case_id=case_id,
                 target=f"{ref.label}:{ref.key}")


def add_note(ws: CaseWorkspace, actor: User, case_id: str, text: str) -> str:
    """Append a note to the case; returns its id."""
    require(actor, "case.write")
    _case(ws, case_id)
    if not text.strip():
        raise ValueError("an empty note")
    note_id = new_id("NOTE")
    put_node(ws.store, "CaseNote", {"note_id": note_id, "case_id": case_id,
                                    "author": actor.username, "created_at": now_iso(),
                                    "text": text.strip()})
    _touch(ws, case_id)
    record_event(ws, actor, "case.note", case_id=case_id, target=note_id)
    return note_id


def set_status(ws: CaseWorkspace, actor: User, case_id: str, status: str, *,
               reason: str | None = None) -> None:
    """Move the case along open -> investigating -> referred / closed (reopening allowed)."""
    require(actor, "case.write")
    case = _case(ws, case_id)
    old = case.get("status", "open")
    if status not in STATUSES:
        raise WorkflowError(f"status {status!r}: use one of {', '.join(STATUSES)}")
    if status not in TRANSITIONS[old]:
        raise WorkflowError(f"case {case_id} is {old}; it can go to "
                            f"{', '.join(sorted(TRANSITIONS[old]))}, not {status}")
    if status in ("referred", "closed") and not (reason or "").strip():
        raise WorkflowError(f"say why the case is {status} (reason)")
    _touch(ws, case_id, status=status, status_reason=reason)
    record_event(ws, actor, "case.status", case_id=case_id, detail={"from": old, "to": status})


def assign(ws: CaseWorkspace, actor: User, case_id: str, username: str) -> None:
    """Give the case to ``username`` (a user of this workspace)."""
    require(actor, "case.write")
    _case(ws, case_id)
    if ws.store.get_node(NodeRef("AppUser", username)) is None:
        raise NotFound(f"no user {username!r} to assign case {case_id} to")
    _touch(ws, case_id, assignee=username)
    record_event(ws, actor, "case.assign", case_id=case_id, target=username)


def _date(value, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise WorkflowError(f"IPR record: {name} {value!r} is not a date (YYYY-MM-DD)") from None


def set_ipr_record(ws: CaseWorkspace, actor: User, case_id: str, **fields: Any) -> dict:
    """Fill in or update the IPR seizure record (:data:`IPR_FIELDS`). The detention date
    starts the rights holder's 3 working days; the holder's application starts the
    investigation's 30. Returns the record."""
    require(actor, "case.ipr")
    case = _case(ws, case_id)
    unknown = set(fields) - set(IPR_FIELDS)
    if unknown:
        raise WorkflowError(f"IPR record: unknown field(s) {sorted(unknown)}; "
                            f"fields: {', '.join(IPR_FIELDS)}")
    record = {**(case.get("ipr") or {}), **{k: v for k, v in fields.items() if v is not None}}
    for q in ("quantity_declared", "quantity_found"):
        if q in record:
            try:
                record[q] = float(record[q])
            except (TypeError, ValueError):
                raise WorkflowError(f"IPR record: {q} {record[q]!r} is not a number") from None
            if record[q] < 0:
                raise WorkflowError(f"IPR record: {q} is negative")
    if record.get("holder_confirmation") not in (None, "pending", "confirmed", "not_infringing"):
        raise WorkflowError("IPR record: holder_confirmation is pending, confirmed or "
                            "not_infringing")
    detention = _date(record.get("detention_date"), "detention_date")
    application = _date(record.get("holder_application_date"), "holder_application_date")
    if detention and application and application < detention:
        raise WorkflowError("IPR record: the holder's application predates the detention")
    for k, v in (("detention_date", detention), ("holder_application_date", application)):
        if v:
            record[k] = v.isoformat()
    changes = {"ipr": record}
    if detention:
        changes["detention_date"] = detention.isoformat()
        changes["holder_deadline"] = add_working_days(detention, HOLDER_DAYS).isoformat()
    if application:
        changes["investigation_deadline"] = add_working_days(
            application, INVESTIGATION_DAYS).isoformat()
    _touch(ws, case_id, **changes)
    record_event(ws, actor, "case.ipr", case_id=case_id, detail={"fields": sorted(fields)})
    return record


def _deadlines(case: dict, today: date | None = None) -> list[dict[str, Any]]:
    today = today or date.today()
    out = []
    for name, key in (("rights holder's application (3 working days)", "holder_deadline"),
                      ("IPR investigation (30 working days)", "investigation_deadline")):
        if case.get(key):
            due = date.fromisoformat(case[key])
            left = working_days_between(today, due)
            out.append({"deadline": name, "due": due.isoformat(), "working_days_left": left,
                        "overdue": left < 0 and case.get("status") not in ("closed",)})
    return out


def case_deadlines(ws: CaseWorkspace, actor: User, case_id: str,
                   today: date | None = None) -> list[dict[str, Any]]:
    """The case's IPR deadlines with working days left (negative: overdue)."""
    require(actor, "case.read_redacted")
    return _deadlines(_case(ws, case_id), today)


def case_network(ws: CaseWorkspace, actor: User, case_id: str):
    """The members and the edges among them as a :class:`~graph.store.Subgraph`; redacted
    (pseudonymous node keys, tier properties) for a partner liaison."""
    require(actor, "case.read_redacted")
    _case(ws, case_id)
    members = _members(ws, case_id)
    sg = ws.store.subgraph([NodeRef(m["label"], m["node_key"]) for m in members])
    record_event(ws, actor, "case.view_network", case_id=case_id)
    if not sees_redacted(actor):
        return sg
    from investigations.exports import redact_subgraph

    return redact_subgraph(sg, _case_redactor(members))
