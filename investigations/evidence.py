"""Evidence items stored content-addressed by SHA-256: documents, photos, X-ray images and
image-analysis results from inspection systems (with their labels and confidence).

The bytes live once under ``<workspace>/evidence/ab/abcdef...`` whatever the number of cases
citing them; the store holds one ``Evidence`` node per (case, hash) with the metadata. Reads
check the hash again, so a file changed on disk is reported, not served.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from pathlib import Path
from typing import Any

from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, get_props, now_iso, put_node
from investigations.roles import User, require

__all__ = ["EVIDENCE_KINDS", "add_evidence", "list_evidence", "read_evidence",
           "EvidenceCorrupted", "blob_path"]

EVIDENCE_KINDS = ("document", "photo", "xray", "image_analysis", "other")
MAX_EVIDENCE_BYTES = 200 * 1024**2


class EvidenceCorrupted(RuntimeError):
    """The stored bytes no longer hash to the evidence item's SHA-256."""


def blob_path(ws: CaseWorkspace, sha256: str) -> Path:
    return ws.evidence_dir / sha256[:2] / sha256


def add_evidence(ws: CaseWorkspace, actor: User, case_id: str, data: bytes | str | Path, *,
                 filename: str | None = None, kind: str = "document",
                 media_type: str | None = None, source: str | None = None,
                 labels: list[dict] | None = None, confidence: float | None = None,
                 shareable: bool = False, description: str | None = None) -> str:
    """Attach a file (bytes or a path) to a case; returns its SHA-256.

    ``labels`` are an inspection system's findings, e.g. ``[{"label": "toy figure",
    "confidence": 0.93}]``; ``shareable`` marks items that may travel in a partner export.
    """
    require(actor, "evidence.write")
    get_props(ws.store, "Case", case_id)
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"evidence kind {kind!r}: use one of {', '.join(EVIDENCE_KINDS)}")
    if isinstance(data, str | Path):
        path = Path(data)
        filename = filename or path.name
        data = path.read_bytes()
    if not filename:
        raise ValueError("evidence needs a file name")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise ValueError(f"{filename}: {len(data)} bytes is over the {MAX_EVIDENCE_BYTES} limit")
    for lab in labels or []:
        if not isinstance(lab, dict) or "label" not in lab:
            raise ValueError(f"{filename}: each label needs a 'label' (and a 'confidence')")
        c = lab.get("confidence")
        if c is not None and not 0 <= float(c) <= 1:
            raise ValueError(f"{filename}: label confidence {c} is not within 0..1")
    if confidence is not None and not 0 <= confidence <= 1:
        raise ValueError(f"{filename}: confidence {confidence} is not within 0..1")
    sha = hashlib.sha256(data).hexdigest()
    target = blob_path(ws, sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)  # atomic: a crash leaves no half-written blob under the hash
    put_node(ws.store, "Evidence", {
        "evidence_id": f"{case_id}|{sha}", "case_id": case_id, "sha256": sha,
        "filename": Path(filename).name,
        "media_type": media_type or mimetypes.guess_type(filename)[0] or
        "application/octet-stream",
        "kind": kind, "size": len(data), "source": source, "labels": labels or [],
        "confidence": confidence, "shareable": bool(shareable), "description": description,
        "added_by": actor.username, "added_at": now_iso()})
    record_event(ws, actor, "evidence.add", case_id=case_id, target=sha,
                 detail={"kind": kind, "size": len(data)})
    return sha


def _evidence_rows(ws: CaseWorkspace, case_id: str, *, shareable_only: bool = False
                  ) -> list[dict[str, Any]]:
    """Evidence metadata of a case (labels parsed); only shareable items, without the free
    text description, when ``shareable_only``. Internal: the services check roles."""
    rows = []
    for r in ws.store.find_nodes("Evidence", {"case_id": case_id}):
        r["labels"] = json.loads(r.get("labels") or "[]")
        if shareable_only:
            if not r.get("shareable"):
                continue
            r = {k: v for k, v in r.items() if k not in ("description", "added_by")}
        rows.append(r)
    return sorted(rows, key=lambda r: r.get("added_at", ""))


def list_evidence(ws: CaseWorkspace, actor: User, case_id: str) -> list[dict[str, Any]]:
    """The case's evidence items (a partner liaison sees only the shareable ones)."""
    require(actor, "case.read_redacted")
    from investigations.roles import sees_redacted

    get_props(ws.store, "Case", case_id)
    return _evidence_rows(ws, case_id, shareable_only=sees_redacted(actor))


def read_evidence(ws: CaseWorkspace, actor: User, case_id: str, sha256: str) -> bytes:
    """The bytes of an evidence item, checked against its hash; audited."""
    require(actor, "evidence.read")
    if ws.store.get_node(_ref(case_id, sha256)) is None:
        raise NotFound(f"case {case_id} has no evidence {sha256}")
    data = _read_checked(ws, sha256)
    record_event(ws, actor, "evidence.read", case_id=case_id, target=sha256)
    return data


def _read_checked(ws: CaseWorkspace, sha256: str) -> bytes:
    path = blob_path(ws, sha256)
    if not path.exists():
        raise EvidenceCorrupted(f"evidence {sha256} is missing from {path.parent}")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise EvidenceCorrupted(f"evidence file {path} no longer matches its SHA-256")
    return data


def _ref(case_id: str, sha: str):
    from graph.store import NodeRef

    return NodeRef("Evidence", f"{case_id}|{sha}")
