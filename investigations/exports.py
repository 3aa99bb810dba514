"""Partner exports: a request, a supervisor's recorded approval, then a signed BagIt bag.

``export_case`` writes ``<workspace>/exports/<export_id>/`` (RFC 8493 bag) and a ``.zip`` of
it for transport::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    signature.ed25519            Ed25519 signature over tagmanifest-sha256.txt (JSON)
    data/header.json             the domain.md section 7 header
    data/entities.ftm.jsonl      FollowTheMoney entities (validated)
    data/network.graphml         the same network for graph tools
    data/tables/*.csv            nodes, edges, timeline, evidence, provenance, IPR record
    data/report/case-report.html|.pdf, network.png
    data/evidence/<sha256>       the evidence items marked shareable

Everything in it went through one :class:`~investigations.redaction.Redactor` (tiers of
section 7) with a key drawn for this export and then thrown away.
"""

from __future__ import annotations

import base64
import csv
import json
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from graph.store import NodeRef, Subgraph
from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, get_props, new_id, now_iso, put_node
from investigations.roles import User, require

__all__ = ["request_export", "approve_export", "export_case", "list_exports", "ExportResult",
           "ExportRefused", "redact_subgraph", "SIGNATURE_FILE",
           "DEFAULT_CAVEATS", "FORMAT"]

SIGNATURE_FILE = "signature.ed25519"
FORMAT = "cbec-case-export/1"
DEFAULT_CAVEATS = ("Use limited to the stated purpose; no onward transfer without the "
                   "sender's written consent; confidentiality at least equal to the sender's; "
                   "delete by the retention date.")
_SOURCE = {"Declaration": ("CEB621", "CEB603"), "Order": ("CEB311", "CEB303"),
           "Payment": ("CEB411", "CEB403"), "Waybill": ("CEB511", "CEB505")}
_TIME = {"Declaration": "decl_time", "Order": "order_time", "Waybill": "ship_time",
         "Payment": "pay_time", "Inspection": "inspection_time"}


class ExportRefused(PermissionError):
    """No approved request, a request already used, or a retention date in the past."""


def _req(ws: CaseWorkspace, export_id: str) -> dict[str, Any]:
    r = get_props(ws.store, "ExportRequest", export_id)
    r["header"] = json.loads(r.get("header") or "{}")
    return r


def request_export(ws: CaseWorkspace, actor: User, case_id: str, partner: str, *,
                   agreement: str, article: str, purpose: str, offence_type: str,
                   summary_of_facts: str, retention_date: str, recipient_contact: str,
                   sender_administration: str, sender_contact: str | None = None,
                   language: str = "en", caveats: str = DEFAULT_CAVEATS,
                   suspect_fields: list[str] | None = None) -> str:
    """Ask to send the case to ``partner`` under a legal basis; a supervisor must approve."""
    require(actor, "export.request")
    case = get_props(ws.store, "Case", case_id)
    try:
        if date.fromisoformat(retention_date) <= date.today():
            raise ValueError
    except ValueError:
        raise ValueError(f"retention date {retention_date!r} must be a future YYYY-MM-DD") from None
    for name, v in (("agreement", agreement), ("article", article), ("purpose", purpose),
                    ("partner", partner), ("recipient_contact", recipient_contact),
                    ("sender_administration", sender_administration)):
        if not (v or "").strip():
            raise ValueError(f"an export request needs {name}")
    export_id = new_id("EXP")
    header = {
        "format": FORMAT, "export_id": export_id, "case_reference": case_id,
        "case_title": case.get("title", ""),
        "sender": {"administration": sender_administration,
                   "contact_officer": sender_contact or actor.display_name or actor.username},
        "recipient": {"administration": partner, "contact_officer": recipient_contact},
        "legal_basis": {"agreement": agreement, "article": article},
        "purpose": purpose, "offence_type": offence_type, "summary_of_facts": summary_of_facts,
        "handling_caveats": caveats, "retention_date": retention_date, "language": language,
        "suspect_fields": list(suspect_fields or ("name", "birth_year", "region_code"))}
    put_node(ws.store, "ExportRequest", {
        "export_id": export_id, "case_id": case_id, "partner": partner, "status": "requested",
        "requested_by": actor.username, "requested_at": now_iso(), "header": header})
    record_event(ws, actor, "export.request", case_id=case_id, target=export_id,
                 detail={"partner": partner, "agreement": agreement, "article": article})
    return export_id


def approve_export(ws: CaseWorkspace, actor: User, export_id: str, *, approve: bool = True,
                   reason: str | None = None) -> None:
    """A supervisor approves (or rejects) a request; not one they made themselves."""
    require(actor, "export.approve")
    r = _req(ws, export_id)
    if r["status"] != "requested":
        raise ExportRefused(f"export {export_id} is {r['status']}, not awaiting approval")
    if r["requested_by"] == actor.username:
        raise ExportRefused("four eyes: a supervisor cannot approve their own export request")
    if not approve and not (reason or "").strip():
        raise ValueError("say why the export is rejected")
    put_node(ws.store, "ExportRequest", {"export_id": export_id,
                                         "status": "approved" if approve else "rejected",
                                         "approved_by": actor.username,
                                         "approved_at": now_iso()})
    record_event(ws, actor, "export.approve" if approve else "export.reject",
                 case_id=r["case_id"], target=export_id, detail={"reason": reason})


def _export_rows(ws: CaseWorkspace, case_id: str) -> list[dict[str, Any]]:
    """The case's export requests (no header text). Internal: callers check roles."""
    rows = []
    for r in ws.store.find_nodes("ExportRequest", {"case_id": case_id}):
        rows.append({k: r.get(k) for k in ("export_id", "partner", "status", "requested_by",
                                           "requested_at", "approved_by", "approved_at",
                                           "exported_at", "manifest_sha256")})
    return sorted(rows, key=lambda r: r.get("requested_at") or "")


def list_exports(ws: CaseWorkspace, actor: User, *, status: str | None = None
                 ) -> list[dict[str, Any]]:
    """All export requests (for the approvals page), newest first."""
    require(actor, "export.read")
    rows = []
    for r in ws.store.find_nodes("ExportRequest", {"status": status} if status else None):
        rows.extend(x for x in _export_rows(ws, r["case_id"]) if x["export_id"] == r["export_id"])
    return sorted(rows, key=lambda r: r.get("requested_at") or "", reverse=True)


def redact_subgraph(sg: Subgraph, redactor) -> Subgraph:
    """``sg`` with personal nodes under pseudonymous keys and tier-redacted properties."""
    def rref(ref: NodeRef) -> NodeRef:
        return NodeRef(ref.label, redactor.public_id(ref.label, ref.key).split(":", 1)[1])

    out = Subgraph(truncated=sg.truncated)
    for ref, props in sg.nodes.items():
        out.nodes[rref(ref)] = redactor.node(ref.label, ref.key, props)
    out.edges = [(rref(a), t, rref(b), {k: v for k, v in p.items() if k == "source"})
                 for a, t, b, p in sg.edges]
    return out


@dataclass
class ExportResult:
    export_id: str
    bag: Path
    archive: Path
    files: list[str] = field(default_factory=list)
    manifest_sha256: str = ""
    fingerprint: str = ""


def _csv(path: Path, rows: list[dict], cols: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in cols})


def _scalar(v):
    if v is None:
        return ""
    if isinstance(v, bool | int | float | str):
        return v
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def _graphml(path: Path, nodes: dict, edges: list, roles: dict, captions: dict) -> None:
    import networkx as nx

    g = nx.MultiDiGraph()
    for ref, props in nodes.items():
        g.add_node(f"{ref.label}:{ref.key}", label=ref.label, caption=str(captions[ref]),
                   role=roles.get(ref, ""), **{k: _scalar(v) for k, v in props.items()})
    for a, typ, b, props in edges:
        g.add_edge(f"{a.label}:{a.key}", f"{b.label}:{b.key}", key=typ, type=typ,
                   **{k: _scalar(v) for k, v in props.items()})
    nx.write_graphml(g, path)


def _provenance(ref: NodeRef, props: dict, sender: str) -> dict[str, Any]:
    msgs = _SOURCE.get(ref.label)
    if msgs:
        source = msgs[1] if props.get("ie_flag") == "E" else msgs[0]
    elif ref.label == "Inspection":
        source = "inspection record"
    else:
        source = "entity resolution over the declaration messages"
    t = props.get(_TIME.get(ref.label, ""))
    return {"id": f"{ref.label}:{ref.key}", "source_message": source,
            "time": _scalar(t), "sender": sender}


def export_case(ws: CaseWorkspace, actor: User, export_id: str, *, key_name: str = "default",
                out_dir: str | Path | None = None) -> ExportResult:
    """Write the approved export ``export_id`` as a signed bag (and a zip of it)."""
    require(actor, "export.write")
    import bagit

    from investigations.cases import _case, _case_redactor, _members
    from investigations.evidence import _evidence_rows, _read_checked
    from investigations.ftm import entity_id, to_ftm, validate_ftm_lines
    from investigations.keys import fingerprint, load_private_key
    from investigations.report import network_png, timeline_rows, write_html, write_pdf

    r = _req(ws, export_id)
    if r["status"] != "approved":
        raise ExportRefused(f"export {export_id} is {r['status']}: a supervisor must approve it "
                            f"first (`cbec case approve {export_id}`)")
    header = dict(r["header"])
    if date.fromisoformat(header["retention_date"]) <= date.today():
        raise ExportRefused(f"export {export_id}: its retention date has passed; request anew")
    key = load_private_key(ws, key_name)
    case_id = r["case_id"]
    case = _case(ws, case_id)
    members = _members(ws, case_id)
    red = _case_redactor(members, suspect_fields=header.get("suspect_fields"))
    raw = ws.store.subgraph([NodeRef(m["label"], m["node_key"]) for m in members])
    role_of = {NodeRef(m["label"], m["node_key"]): m["role"] for m in members}
    sg = redact_subgraph(raw, red)
    rmap = {ref: NodeRef(ref.label, red.public_id(ref.label, ref.key).split(":", 1)[1])
            for ref in raw.nodes}
    roles = {rmap[ref]: role for ref, role in role_of.items() if ref in rmap}
    captions = {rmap[ref]: red.caption(ref.label, ref.key, props)
                for ref, props in raw.nodes.items()}
    exported_at = now_iso()
    header.update({"approved_by": r["approved_by"], "approved_at": r["approved_at"],
                   "requested_by": r["requested_by"], "exported_by": actor.username,
                   "exported_at": exported_at, "signer_fingerprint": fingerprint(key.public_key()),
                   "payload_tiers": {
                       "1": "non-personal operational data, in full",
                       "2": "suspects: " + ", ".join(header.get("suspect_fields", [])),
                       "3": "third parties pseudonymised (keyed hash stable within this export);"
                            " ID numbers and phones masked; addresses to district; payment "
                            "account numbers dropped"}})
    out_root = Path(out_dir) if out_dir else ws.exports_dir
    bag_dir = out_root / export_id
    if bag_dir.exists():
        shutil.rmtree(bag_dir)
    data = bag_dir  # bagit moves these files under data/ when it makes the bag
    data.mkdir(parents=True)
    (data / "header.json").write_text(json.dumps(header, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    sender = header["sender"]["administration"]
    ents = to_ftm(sg.nodes, sg.edges, publisher=sender, exported_at=exported_at)
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in ents]
    validate_ftm_lines(lines)
    (data / "entities.ftm.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _graphml(data / "network.graphml", sg.nodes, sg.edges, roles, captions)
    node_rows = [{"id": f"{ref.label}:{ref.key}", "ftm_id": entity_id(ref.label, ref.key),
                  "type": ref.label, "role": roles.get(ref, ""),
                  "caption": captions[ref], "tier": red.tier(orig.label, orig.key),
                  "properties": json.dumps({k: _scalar(v) for k, v in sg.nodes[ref].items()},
                                           ensure_ascii=False, sort_keys=True)}
                 for orig, ref in rmap.items()]
    _csv(data / "tables" / "nodes.csv", node_rows,
         ["id", "ftm_id", "type", "role", "caption", "tier", "properties"])
    _csv(data / "tables" / "edges.csv",
         [{"from": f"{a.label}:{a.key}", "type": t, "to": f"{b.label}:{b.key}",
           "source": p.get("source")} for a, t, b, p in sg.edges],
         ["from", "type", "to", "source"])
    _csv(data / "tables" / "provenance.csv",
         [_provenance(rmap[ref], props, sender) for ref, props in raw.nodes.items()],
         ["id", "source_message", "time", "sender"])
    case_events = [{"time": case.get("created_at", "")[:19], "event": "case opened",
                    "detail": case.get("origin", "")}]
    if case.get("detention_date"):
        case_events.append({"time": case["detention_date"], "event": "goods detained",
                            "detail": "IPR detention"})
    for k, what in (("holder_deadline", "rights holder's application due"),
                    ("investigation_deadline", "IPR investigation due")):
        if case.get(k):
            case_events.append({"time": case[k], "event": what, "detail": ""})
    timeline = timeline_rows(sg.nodes, case_events)
    _csv(data / "tables" / "timeline.csv", timeline, ["time", "event", "detail"])
    evidence = _evidence_rows(ws, case_id, shareable_only=True)
    ev_rows = [{**e, "labels": "; ".join(f"{x['label']} ({x.get('confidence', '')})"
                                         for x in e["labels"])} for e in evidence]
    _csv(data / "tables" / "evidence.csv", ev_rows,
         ["sha256", "filename", "kind", "media_type", "size", "labels", "confidence", "source"])
    for e in evidence:
        target = data / "evidence" / e["sha256"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_read_checked(ws, e["sha256"]))
    ipr = case.get("ipr") or None
    if ipr:
        _csv(data / "tables" / "ipr_record.csv", [ipr], list(ipr))
    report_dir = data / "report"
    report_dir.mkdir()
    picture = network_png(sg.nodes, sg.edges, captions, report_dir / "network.png",
                          f"Case {case_id}")
    member_rows = sorted(node_rows, key=lambda x: (x["type"], x["id"]))
    write_html(report_dir / "case-report.html", header, member_rows, timeline, ev_rows, ipr,
               "network.png")
    write_pdf(report_dir / "case-report.pdf", header, member_rows, timeline, ev_rows, ipr,
              picture)
    bag = bagit.make_bag(str(bag_dir), {
        "Source-Organization": sender, "External-Identifier": export_id,
        "External-Description": f"Case {case_id} for {r['partner']} ({FORMAT})",
        "Contact-Name": header["sender"]["contact_officer"]}, checksums=["sha256"])
    del bag
    tagmanifest = (bag_dir / "tagmanifest-sha256.txt").read_bytes()
    signature = key.sign(tagmanifest)
    (bag_dir / SIGNATURE_FILE).write_text(json.dumps({
        "algorithm": "Ed25519", "signed_file": "tagmanifest-sha256.txt",
        "signer": sender, "fingerprint": header["signer_fingerprint"],
        "signature": base64.b64encode(signature).decode()}, indent=2) + "\n", encoding="utf-8")
    import hashlib

    manifest_sha = hashlib.sha256((bag_dir / "manifest-sha256.txt").read_bytes()).hexdigest()
    archive = out_root / f"{export_id}.zip"
    files = sorted(p.relative_to(bag_dir).as_posix() for p in bag_dir.rglob("*") if p.is_file())
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(bag_dir / f, f"{export_id}/{f}")
    put_node(ws.store, "ExportRequest", {"export_id": export_id, "status": "exported",
                                         "bundle_path": str(archive),
                                         "manifest_sha256": manifest_sha,
                                         "exported_at": exported_at})
    record_event(ws, actor, "export.write", case_id=case_id, target=export_id,
                 detail={"partner": r["partner"], "approved_by": r["approved_by"],
                         "legal_basis": header["legal_basis"], "files": len(files),
                         "manifest_sha256": manifest_sha}, anchor=True)
    return ExportResult(export_id, bag_dir, archive, files, manifest_sha,
                        header["signer_fingerprint"])


def find_approved(ws: CaseWorkspace, case_id: str, partner: str) -> str:
    """The approved, unused export request of ``case_id`` to ``partner`` (for the CLI)."""
    for r in ws.store.find_nodes("ExportRequest", {"case_id": case_id, "partner": partner}):
        if r["status"] == "approved":
            return r["export_id"]
    raise NotFound(f"no approved export of case {case_id} to {partner}: request one "
                   f"(`cbec case request-export`) and have a supervisor approve it")
