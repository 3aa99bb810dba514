"""The hash-chained audit trail: every view of a case, change, export and import.

Each :class:`AuditRecord` node holds its sequence number, the hash of the record before it
and its own hash over its canonical JSON; every ``anchor_every`` records, and after every
export and import, the latest (seq, hash) is appended to an anchor file *outside the store*
(``CaseWorkspace.anchor_dir``). :func:`verify_chain` recomputes the chain and checks the
anchors, so an edited, removed, inserted or reordered record is found, and the first bad
one is named. Records after the last anchor are chained but could be cut off the end
unseen; the report says how many there are.

An append reads the newest record's (seq, hash) from one ``AuditHead`` node (a primary-key
look-up) instead of scanning the log, so it costs the same on a log of any length. The head
is a pointer, not a proof: verification checks that it names the last record, and the
anchors outside the store remain what catches a rewritten or cut chain.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from investigations.context import CaseWorkspace, now_iso, put_node
from investigations.roles import User, require

__all__ = ["record_event", "verify_chain", "verify_audit", "list_audit", "AuditReport",
           "GENESIS"]

GENESIS = "0" * 64
LABEL = "AuditRecord"
HEAD_LABEL, HEAD_KEY = "AuditHead", "head"
ANCHOR_FILE = "audit-anchors.jsonl"
_HASHED = ("seq", "at", "actor", "action", "case_id", "target", "detail", "prev_hash")


def _record_id(seq: int) -> str:
    return f"{seq:012d}"


def _hash(rec: dict[str, Any]) -> str:
    body = {k: rec.get(k) for k in _HASHED}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def _records(ws: CaseWorkspace) -> list[dict[str, Any]]:
    return ws.store.find_nodes(LABEL)


def record_event(ws: CaseWorkspace, actor: User | str, action: str, *, case_id: str | None = None,
                 target: str | None = None, detail: dict | None = None,
                 anchor: bool = False) -> dict[str, Any]:
    """Append one record (``action`` such as ``case.view``, ``export.write``) and return it.

    ``detail`` holds ids and counts, never personal data. Not a public service: the
    services call it for the user they act for.
    """
    name = actor.username if isinstance(actor, User) else str(actor)
    with _APPEND_LOCK:  # the app serves several sessions from threads of one process
        last_seq, last_hash = _head(ws)
        seq = last_seq + 1
        rec = {"record_id": _record_id(seq), "seq": seq, "at": now_iso(), "actor": name,
               "action": action, "case_id": case_id, "target": target,
               "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False,
                                    default=str),
               "prev_hash": last_hash}
        rec["hash"] = _hash(rec)
        put_node(ws.store, LABEL, rec)
        put_node(ws.store, HEAD_LABEL, {"head_id": HEAD_KEY, "seq": seq, "hash": rec["hash"]})
    if anchor or seq % ws.anchor_every == 0:
        _write_anchor(ws, seq, rec["hash"])
    return rec


_APPEND_LOCK = threading.Lock()


def _head(ws: CaseWorkspace) -> tuple[int, str]:
    """The newest record's (seq, hash): one look-up of the head node. A log written before
    the head existed (or whose head was deleted) is scanned once; the next append writes
    the head. A head whose next seq is taken already (another writer got there first) is
    not trusted either: overwriting that record would lose it without breaking the chain."""
    from graph.store import NodeRef

    head = ws.store.get_node(NodeRef(HEAD_LABEL, HEAD_KEY))
    if head is not None and ws.store.get_node(
            NodeRef(LABEL, _record_id(int(head["seq"]) + 1))) is None:
        return int(head["seq"]), str(head["hash"])
    last = max(_records(ws), key=lambda r: int(r.get("seq") or 0), default=None)
    return (int(last["seq"]), str(last["hash"])) if last else (0, GENESIS)


def _write_anchor(ws: CaseWorkspace, seq: int, digest: str) -> None:
    """Append (seq, hash, time) to the anchor file outside the store."""
    ws.anchor_dir.mkdir(parents=True, exist_ok=True)
    with (ws.anchor_dir / ANCHOR_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"seq": seq, "hash": digest, "at": now_iso()}) + "\n")


def _anchors(ws: CaseWorkspace) -> list[dict[str, Any]]:
    path = ws.anchor_dir / ANCHOR_FILE
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            a = json.loads(line)
            out.append({"seq": int(a["seq"]), "hash": str(a["hash"]), "line": n})
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: malformed anchor ({exc})") from None
    return out


@dataclass
class AuditReport:
    """The outcome of :func:`verify_chain`: ``ok``, how many records and anchors were
    checked, the first bad record (its seq, or the position where one is missing) and why."""

    ok: bool
    records: int
    anchors: int
    first_bad: int | None = None
    reason: str = ""
    unanchored: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.ok:
            tail = (f"; {self.unanchored} newest record(s) after the last anchor"
                    if self.unanchored else "")
            return f"audit trail OK: {self.records} records, {self.anchors} anchors{tail}"
        return f"audit trail BROKEN at record {self.first_bad}: {self.reason}"


def _describe(rec: dict[str, Any]) -> str:
    return (f"seq {rec.get('seq')} ({rec.get('at')}, {rec.get('actor')}, "
            f"{rec.get('action')}, case {rec.get('case_id') or '-'})")


def verify_chain(ws: CaseWorkspace) -> AuditReport:
    """Recompute the chain in sequence order and check every anchor; no permission check
    (for ``cbec audit verify`` run by the operator and for :func:`verify_audit`)."""
    recs = sorted(_records(ws), key=lambda r: (int(r.get("seq") or 0), r["record_id"]))
    anchors = _anchors(ws)
    problems: list[tuple[int, str]] = []
    prev_hash, expected = GENESIS, 1
    for rec in recs:
        seq = int(rec.get("seq") or 0)
        if rec["record_id"] != _record_id(seq):
            problems.append((seq, f"record {rec['record_id']} claims {_describe(rec)}: "
                                  "moved or renumbered"))
        elif seq != expected:
            what = "missing (removed?)" if seq > expected else "duplicated (inserted?)"
            problems.append((expected, f"record seq {expected} is {what}; next found is "
                                       f"{_describe(rec)}"))
        elif rec.get("hash") != _hash(rec):
            problems.append((seq, f"{_describe(rec)}: contents do not match its hash (edited)"))
        elif rec.get("prev_hash") != prev_hash:
            problems.append((seq, f"{_describe(rec)}: does not chain to the record before "
                                  "(a record was removed, inserted or reordered here)"))
        prev_hash, expected = rec.get("hash"), seq + 1
        if problems:
            break
    by_seq = {int(r.get("seq") or 0): r for r in recs}
    for a in anchors:
        rec = by_seq.get(a["seq"])
        if rec is None:
            problems.append((a["seq"], f"anchor line {a['line']} names record seq {a['seq']}, "
                                       "which is not in the store (removed)"))
        elif rec.get("hash") != a["hash"]:
            problems.append((a["seq"], f"anchor line {a['line']}: record seq {a['seq']}'s hash "
                                       "differs from the anchored one (rewritten chain)"))
    problems += _head_problems(ws, recs)
    last_anchor = max((a["seq"] for a in anchors), default=0)
    unanchored = max(0, len(recs) - last_anchor)
    if problems:
        first = min(problems, key=lambda p: p[0])
        return AuditReport(False, len(recs), len(anchors), first[0], first[1], unanchored,
                           [p[1] for p in problems])
    return AuditReport(True, len(recs), len(anchors), unanchored=unanchored)


def _head_problems(ws: CaseWorkspace, recs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Whether the head names the last record (a log from before the head has none)."""
    from graph.store import NodeRef

    head = ws.store.get_node(NodeRef(HEAD_LABEL, HEAD_KEY))
    if head is None or not recs:
        return []
    h_seq, last = int(head.get("seq") or 0), recs[-1]
    l_seq = int(last.get("seq") or 0)
    if h_seq > l_seq:
        return [(l_seq + 1, f"the head names record seq {h_seq} but the log ends at seq "
                            f"{l_seq}: records {l_seq + 1}..{h_seq} are missing (cut tail)")]
    if h_seq < l_seq:
        return [(h_seq + 1, f"the log goes on past the head (seq {h_seq}) to seq {l_seq}: "
                            f"records from seq {h_seq + 1} were added behind the trail's back")]
    if head.get("hash") != last.get("hash"):
        return [(l_seq, f"record seq {l_seq}'s hash differs from the head's (rewritten chain)")]
    return []


def verify_audit(ws: CaseWorkspace, actor: User) -> AuditReport:
    """:func:`verify_chain` for a supervisor or admin; the check itself is audited."""
    require(actor, "audit.read")
    report = verify_chain(ws)
    record_event(ws, actor, "audit.verify", detail={"ok": report.ok, "records": report.records})
    return report


def list_audit(ws: CaseWorkspace, actor: User, *, case_id: str | None = None,
               limit: int = 500) -> list[dict[str, Any]]:
    """The newest ``limit`` records (of one case if given), newest first, for the audit view."""
    require(actor, "audit.read")
    recs = ws.store.find_nodes(LABEL, {"case_id": case_id} if case_id else None)
    recs.sort(key=lambda r: int(r.get("seq") or 0), reverse=True)
    return recs[:limit]
