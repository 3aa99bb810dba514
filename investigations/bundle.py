"""The partner side: verify a received case bundle, then import it.

:func:`verify_bundle` refuses, with one clear reason, a bundle that is not exactly what the
sender signed: an archive too large or a compression bomb, a path escaping the bag, a
symbolic link or special file, a missing signature, a signature that does not verify with
the given key (wrong key or altered tag manifest), a tampered, missing or extra file, or
malformed content (header, FollowTheMoney lines, GraphML). :func:`import_bundle` verifies
first, parses everything, and only then writes, so a refused bundle imports nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, now_iso

__all__ = ["BundleRefused", "BundleLimits", "VerifyReport", "verify_bundle", "import_bundle",
           "list_imports", "HEADER_FIELDS"]

HEADER_FIELDS = ("format", "export_id", "case_reference", "sender", "recipient", "legal_basis",
                 "purpose", "offence_type", "summary_of_facts", "handling_caveats",
                 "retention_date", "language", "signer_fingerprint")
SIGNATURE_FILE = "signature.ed25519"
REQUIRED = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
            "data/header.json", "data/entities.ftm.jsonl")


class BundleRefused(ValueError):
    """The bundle is refused; the message says why. Nothing was imported."""


@dataclass(frozen=True)
class BundleLimits:
    """Bounds on what a received archive may unpack to."""

    max_archive_bytes: int = 1024**3
    max_unpacked_bytes: int = 4 * 1024**3
    max_files: int = 20_000
    max_ratio: float = 200.0  # uncompressed / compressed, per member larger than 1 MiB


@dataclass
class VerifyReport:
    ok: bool
    bundle: str
    fingerprint: str
    header: dict[str, Any]
    files: list[dict[str, Any]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        h = self.header
        return [f"bundle {self.bundle}",
                f"export {h.get('export_id')} of case {h.get('case_reference')} from "
                f"{h.get('sender', {}).get('administration')} to "
                f"{h.get('recipient', {}).get('administration')}",
                *[f"  ok  {c}" for c in self.checks],
                f"VERIFIED: {len(self.files)} files, signed by {self.fingerprint}"]


def _safe_rel(name: str, what: str) -> PurePosixPath:
    p = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or \
            any(part in ("..", "") for part in p.parts) or "\x00" in name:
        raise BundleRefused(f"{what} {name!r} escapes the bag (absolute path or '..')")
    return p


def _unzip(archive: Path, dest: Path, limits: BundleLimits) -> Path:
    size = archive.stat().st_size
    if size > limits.max_archive_bytes:
        raise BundleRefused(f"archive is {size} bytes, over the {limits.max_archive_bytes} limit")
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise BundleRefused(f"{archive.name} is not a readable zip archive ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_files:
            raise BundleRefused(f"archive holds {len(infos)} entries, over {limits.max_files}")
        seen, total = set(), 0
        for i in infos:
            _safe_rel(i.filename.rstrip("/"), "archive entry")
            mode = i.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise BundleRefused(f"archive entry {i.filename!r} is a symbolic link")
            # many zip writers set no file type at all; a type other than file/dir is refused
            if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise BundleRefused(f"archive entry {i.filename!r} is not a regular file")
            if i.filename in seen:
                raise BundleRefused(f"archive entry {i.filename!r} appears twice")
            seen.add(i.filename)
            total += i.file_size
            if total > limits.max_unpacked_bytes:
                raise BundleRefused(f"archive unpacks to over {limits.max_unpacked_bytes} bytes")
            if i.file_size > 1024**2 and i.file_size > limits.max_ratio * max(1, i.compress_size):
                raise BundleRefused(f"archive entry {i.filename!r} expands "
                                    f"{i.file_size / max(1, i.compress_size):.0f}-fold "
                                    "(compression bomb)")
        written = 0
        for i in infos:
            target = dest / i.filename
            if i.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(i) as src, target.open("wb") as out:
                got = 0
                while chunk := src.read(1024 * 1024):
                    got += len(chunk)
                    written += len(chunk)
                    # the sizes in the directory can lie: count what really comes out
                    if got > i.file_size or written > limits.max_unpacked_bytes:
                        raise BundleRefused(f"archive entry {i.filename!r} unpacks to more "
                                            "than it declares (compression bomb)")
                    out.write(chunk)
    tops = [p for p in dest.iterdir()]
    if (dest / "bagit.txt").exists():
        return dest
    if len(tops) == 1 and tops[0].is_dir() and (tops[0] / "bagit.txt").exists():
        return tops[0]
    raise BundleRefused("archive holds no bag (no bagit.txt at its top or in one folder)")


def _walk(bag: Path) -> list[str]:
    """Every file in the bag, relative; symlinks and special files refused."""
    out = []
    for root, dirs, files in os.walk(bag, followlinks=False):
        for name in dirs + files:
            p = Path(root) / name
            st = p.lstat()
            rel = p.relative_to(bag).as_posix()
            if stat.S_ISLNK(st.st_mode):
                raise BundleRefused(f"{rel} is a symbolic link; bundles hold plain files only")
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                raise BundleRefused(f"{rel} is not a regular file")
            if stat.S_ISREG(st.st_mode):
                out.append(rel)
    return sorted(out)


def _manifest(bag: Path, name: str) -> dict[str, str]:
    entries = {}
    for n, line in enumerate((bag / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, path = line.partition(" ")
        path = path.strip()
        if len(digest) != 64 or not path:
            raise BundleRefused(f"{name}:{n}: malformed line")
        _safe_rel(path, f"{name}:{n}: path")
        entries[path] = digest.lower()
    return entries


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def _check_content(bag: Path) -> tuple[dict, list[dict]]:
    from investigations.ftm import FtmInvalid, validate_ftm_lines

    try:
        header = json.loads((bag / "data" / "header.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleRefused(f"data/header.json is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise BundleRefused("data/header.json is not a JSON object")
    missing = [f for f in HEADER_FIELDS if not header.get(f)]
    if missing:
        raise BundleRefused(f"data/header.json lacks {', '.join(missing)}")
    try:
        date.fromisoformat(str(header["retention_date"]))
    except ValueError:
        raise BundleRefused(f"data/header.json: retention_date {header['retention_date']!r} "
                            "is not a date") from None
    try:
        text = (bag / "data" / "entities.ftm.jsonl").read_text(encoding="utf-8")
        ents = validate_ftm_lines(text.splitlines(), "data/entities.ftm.jsonl")
    except UnicodeDecodeError as exc:
        raise BundleRefused(f"data/entities.ftm.jsonl is not UTF-8 ({exc})") from None
    except FtmInvalid as exc:
        raise BundleRefused(f"malformed content: {exc}") from None
    if (bag / "data" / "network.graphml").exists():
        import networkx as nx

        try:
            nx.read_graphml(bag / "data" / "network.graphml")
        except Exception as exc:  # noqa: BLE001 - any parse failure is a refusal
            raise BundleRefused(f"data/network.graphml does not parse ({exc})") from None
    return header, ents


def _verify_dir(bag: Path, public_key, label: str) -> VerifyReport:
    from cryptography.exceptions import InvalidSignature

    from investigations.keys import fingerprint

    files = _walk(bag)
    fp = fingerprint(public_key)
    if SIGNATURE_FILE not in files:
        raise BundleRefused(f"missing signature: no {SIGNATURE_FILE} in the bag")
    for req in REQUIRED:
        if req not in files:
            raise BundleRefused(f"missing file {req}")
    try:
        sig = json.loads((bag / SIGNATURE_FILE).read_text(encoding="utf-8"))
        signature = base64.b64decode(sig["signature"], validate=True)
        signed = sig.get("signed_file", "tagmanifest-sha256.txt")
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRefused(f"{SIGNATURE_FILE} is malformed ({exc})") from None
    if signed != "tagmanifest-sha256.txt":
        raise BundleRefused(f"{SIGNATURE_FILE} signs {signed!r}, not tagmanifest-sha256.txt")
    try:
        public_key.verify(signature, (bag / signed).read_bytes())
    except InvalidSignature:
        raise BundleRefused(f"the signature does not verify with key {fp} (wrong key, or the "
                            "tag manifest was altered)") from None
    checks = [f"Ed25519 signature over tagmanifest-sha256.txt verifies with {fp}"]
    tags = _manifest(bag, "tagmanifest-sha256.txt")
    payload = _manifest(bag, "manifest-sha256.txt")
    for name, entries in (("tagmanifest-sha256.txt", tags), ("manifest-sha256.txt", payload)):
        for path, digest in sorted(entries.items()):
            if name == "manifest-sha256.txt" and not path.startswith("data/"):
                raise BundleRefused(f"manifest-sha256.txt lists {path}, outside data/")
            if path not in files:
                raise BundleRefused(f"missing file {path} (listed in {name})")
            if _sha256(bag / path) != digest:
                raise BundleRefused(f"tampered file {path}: its SHA-256 differs from {name}")
        checks.append(f"{len(entries)} files match {name}")
    known = set(tags) | set(payload) | {"tagmanifest-sha256.txt", SIGNATURE_FILE}
    extra = [f for f in files if f not in known]
    if extra:
        raise BundleRefused(f"extra file {extra[0]} is not in any manifest"
                            + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""))
    import bagit

    try:
        bagit.Bag(str(bag)).validate()
    except bagit.BagError as exc:
        raise BundleRefused(f"not a valid BagIt bag: {exc}") from None
    checks.append("BagIt (RFC 8493) validation by bagit: valid")
    header, ents = _check_content(bag)
    if header.get("signer_fingerprint") != fp:
        raise BundleRefused(f"header names signer {header.get('signer_fingerprint')}, but the "
                            f"signature is by {fp}")
    checks.append(f"header complete; {len(ents)} FollowTheMoney entities valid; GraphML parses")
    listing = [{"path": f, "bytes": (bag / f).stat().st_size,
                "sha256": payload.get(f) or tags.get(f) or _sha256(bag / f)} for f in files]
    return VerifyReport(True, label, fp, header, listing, checks)


def _load_key(public_key):
    from investigations.keys import load_public_key

    if public_key is None:
        raise BundleRefused("no public key given to verify the bundle with")
    if isinstance(public_key, str | Path):
        return load_public_key(public_key)
    return public_key


def _with_bag(path: str | Path, limits: BundleLimits, fn):
    path = Path(path)
    if path.is_symlink():
        raise BundleRefused(f"{path} is a symbolic link")
    if path.is_dir():
        return fn(path)
    if not path.is_file():
        raise NotFound(f"no bundle at {path}")
    if not zipfile.is_zipfile(path):
        raise BundleRefused(f"{path.name}: not a bag folder nor a zip archive")
    tmp = Path(tempfile.mkdtemp(prefix="cbec-bundle-"))
    try:
        return fn(_unzip(path, tmp, limits))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def verify_bundle(path: str | Path, public_key, *, limits: BundleLimits = BundleLimits()
                  ) -> VerifyReport:
    """Verify a bag folder or zip against ``public_key`` (a PEM file or key object);
    :class:`BundleRefused` on the first problem. Needs no workspace and no user."""
    key = _load_key(public_key)
    return _with_bag(path, limits, lambda bag: _verify_dir(bag, key, Path(path).name))


def _table(bag: Path, name: str, key: str) -> dict[str, dict]:
    import csv

    p = bag / "data" / "tables" / name
    if not p.exists():
        return {}
    try:
        with p.open(encoding="utf-8", newline="") as fh:
            return {r[key]: r for r in csv.DictReader(fh)}
    except (KeyError, UnicodeDecodeError, csv.Error) as exc:
        raise BundleRefused(f"data/tables/{name} is malformed ({exc})") from None


# labels whose keys travel in full (tier 1): imported entities link to the receiver's nodes
_LINKABLE = ("Enterprise", "Declaration", "Order", "Waybill")


def import_bundle(ws: CaseWorkspace, actor, path: str | Path, public_key, *,
                  limits: BundleLimits = BundleLimits()) -> dict[str, Any]:
    """Verify, then load the bundle's entities with their provenance into this workspace,
    link them to the enterprises, declarations, orders and waybills it already holds, and
    open a case for them. Returns a summary; refuses (importing nothing) on any problem."""
    from investigations.roles import require

    require(actor, "bundle.import")
    key = _load_key(public_key)

    def parse(bag: Path):
        report = _verify_dir(bag, key, Path(path).name)
        header, ents = _check_content(bag)
        return (report, header, ents, _table(bag, "provenance.csv", "id"),
                _table(bag, "nodes.csv", "ftm_id"))

    try:
        report, header, ents, prov, index = _with_bag(path, limits, parse)
    except BundleRefused as exc:
        record_event(ws, actor, "bundle.refused", target=Path(path).name,
                     detail={"reason": str(exc)[:300]}, anchor=True)
        raise
    bundle_id = header["export_id"]
    if ws.store.find_nodes("PartnerBundle", {"bundle_id": bundle_id}):
        raise BundleRefused(f"bundle {bundle_id} was imported already")
    if date.fromisoformat(header["retention_date"]) < date.today():
        raise BundleRefused(f"bundle {bundle_id}: its retention date {header['retention_date']}"
                            " has passed; it must not be loaded")
    return _write_import(ws, actor, report, header, ents, prov, index)


def _write_import(ws, actor, report, header, ents, prov, index) -> dict[str, Any]:
    import pyarrow as pa

    from graph.store import NodeRef
    from investigations.cases import create_case
    from investigations.context import put_node

    bundle_id = header["export_id"]
    sender = header["sender"]["administration"]
    now = now_iso()
    ekeys, rows, links = [], [], {}
    for e in ents:
        ekey = f"{bundle_id}|{e['id']}"
        graph_id = index.get(e["id"], {}).get("id", "")
        p = prov.get(graph_id, {})
        rows.append({"entity_key": ekey, "bundle_id": bundle_id, "ftm_id": e["id"],
                     "schema": e["schema"], "caption": _caption(e),
                     "properties": json.dumps(e.get("properties") or {}, ensure_ascii=False,
                                              sort_keys=True),
                     "provenance": json.dumps({"sender": sender, "bundle": bundle_id,
                                               "source_message": p.get("source_message"),
                                               "time": p.get("time"),
                                               "imported_at": now}, sort_keys=True)})
        ekeys.append(ekey)
        label, _, local = graph_id.partition(":")
        if label in _LINKABLE and local and ws.store.get_node(NodeRef(label, local)):
            links.setdefault(label, []).append((ekey, local))
    put_node(ws.store, "PartnerBundle", {
        "bundle_id": bundle_id, "export_id": header["export_id"],
        "case_ref": header["case_reference"], "sender": sender,
        "recipient": header["recipient"]["administration"], "header": header,
        "signer_fingerprint": report.fingerprint,
        "manifest_sha256": next((f["sha256"] for f in report.files
                                 if f["path"] == "manifest-sha256.txt"), ""),
        "imported_by": actor.username, "imported_at": now,
        "retention_date": header["retention_date"]})
    ws.store.write_nodes("PartnerEntity", pa.Table.from_pylist(rows))
    ws.store.write_edges("FROM_BUNDLE", "PartnerEntity", "PartnerBundle",
                         pa.table({"from_key": ekeys, "to_key": [bundle_id] * len(ekeys)}),
                         batch=f"bundle:{bundle_id}")
    linked = 0
    for label, pairs in links.items():
        linked += ws.store.write_edges(
            "PARTNER_LINK", "PartnerEntity", label,
            pa.table({"from_key": [a for a, _ in pairs], "to_key": [b for _, b in pairs],
                      "match_on": ["key"] * len(pairs)}), batch=f"bundle:{bundle_id}:{label}")
    case_id = None
    if _can_open_case(actor):
        members = [(NodeRef("PartnerEntity", f"{bundle_id}|{e['id']}"),
                    _member_role(index.get(e["id"], {}).get("role", "")))
                   for e in ents if e["schema"] != "UnknownLink"]
        members += [(NodeRef(label, local), "linked") for label, pairs in links.items()
                    for _, local in pairs]
        case_id = create_case(ws, actor, f"Partner case {header['case_reference']} from {sender}",
                              members=members, origin="import", origin_ref=bundle_id,
                              offence=header.get("offence_type"),
                              summary=header.get("summary_of_facts"))
    record_event(ws, actor, "bundle.import", case_id=case_id, target=bundle_id,
                 detail={"sender": sender, "entities": len(ents), "linked": linked,
                         "fingerprint": report.fingerprint}, anchor=True)
    return {"bundle_id": bundle_id, "entities": len(ents), "linked": linked,
            "case_id": case_id, "sender": sender}


def _can_open_case(actor) -> bool:
    from investigations.roles import can

    return can(actor, "case.write")


def _member_role(role: str) -> str:
    from investigations.cases import MEMBER_ROLES

    return role if role in MEMBER_ROLES else "linked"


def _caption(e: dict) -> str:
    props = e.get("properties") or {}
    for k in ("name", "full", "username", "number", "bankName", "role"):
        if props.get(k):
            return str(props[k][0])
    return e["id"]


def list_imports(ws: CaseWorkspace, actor) -> list[dict[str, Any]]:
    """Bundles imported into this workspace, newest first."""
    from investigations.roles import require

    require(actor, "bundle.read")
    rows = [{k: v for k, v in b.items() if k != "header"}
            for b in ws.store.find_nodes("PartnerBundle")]
    return sorted(rows, key=lambda r: r.get("imported_at") or "", reverse=True)
