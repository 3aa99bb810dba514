"""Every way a received bundle is refused, with a clear reason, importing nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from investigations import bundle, exports
from investigations.context import CaseWorkspace
from investigations.keys import load_private_key
from tests.cases_world import approved_export, make_world
from tests.conftest import make_store


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """One exported bundle, the sender's key, and a receiving workspace (embedded)."""
    os.environ["CBEC_PASSWORD_HASH"] = "cheapest"
    tmp = tmp_path_factory.mktemp("refusals")
    store = make_store("ladybug", tmp / "sender")
    w = make_world(store, tmp / "ws")
    res = exports.export_case(w.ws, w.liaison, approved_export(w))
    recv_store = make_store("ladybug", tmp / "receiver")
    recv = CaseWorkspace(recv_store, tmp / "ws-recv")
    from investigations.users import bootstrap_admin, create_user

    admin = bootstrap_admin(recv, "root", "a long enough password")
    officer = create_user(recv, admin, "nl", "a long enough password", ["partner_liaison"])
    yield {"w": w, "res": res, "pub": w.ws.keys_dir / "own" / "default.pub",
           "key": load_private_key(w.ws, "default"), "recv": recv, "officer": officer,
           "tmp": tmp}
    store.close()
    recv_store.close()


def _copy(sent, tmp_path) -> Path:
    dst = tmp_path / "bag"
    shutil.copytree(sent["res"].bag, dst)
    return dst


def _resign(bag: Path, key) -> None:
    """What a malicious (or broken) sender could do: rehash and sign whatever is there."""
    lines = []
    for p in sorted((bag / "data").rglob("*")):
        if p.is_file() and not p.is_symlink():
            lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  "
                         f"{p.relative_to(bag).as_posix()}")
    (bag / "manifest-sha256.txt").write_text("\n".join(lines) + "\n")
    files = [p for p in (bag / "data").rglob("*") if p.is_file()]
    oxum = f"Payload-Oxum: {sum(p.stat().st_size for p in files)}.{len(files)}"
    info = [oxum if ln.startswith("Payload-Oxum:") else ln
            for ln in (bag / "bag-info.txt").read_text().splitlines()]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n")
    tags = [f"{hashlib.sha256((bag / n).read_bytes()).hexdigest()}  {n}"
            for n in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt")]
    (bag / "tagmanifest-sha256.txt").write_text("\n".join(tags) + "\n")
    sig = json.loads((bag / "signature.ed25519").read_text())
    sig["signature"] = base64.b64encode(key.sign((bag / "tagmanifest-sha256.txt").read_bytes())
                                        ).decode()
    (bag / "signature.ed25519").write_text(json.dumps(sig))


def _refused(sent, path, reason: str, **kw) -> None:
    """Refused by verify and by import, with ``reason``; the receiver imported nothing."""
    with pytest.raises(bundle.BundleRefused, match=reason):
        bundle.verify_bundle(path, sent["pub"], **kw)
    with pytest.raises(bundle.BundleRefused, match=reason):
        bundle.import_bundle(sent["recv"], sent["officer"], path, sent["pub"], **kw)
    store = sent["recv"].store
    assert store.count_nodes("PartnerEntity") == 0
    assert store.count_nodes("PartnerBundle") == 0
    assert store.count_nodes("Case") == 0


def test_untouched_bundle_verifies(sent):
    report = bundle.verify_bundle(sent["res"].bag, sent["pub"])
    assert report.ok and report.header["export_id"] == sent["res"].export_id
    assert bundle.verify_bundle(sent["res"].archive, sent["pub"]).ok


def test_tampered_payload_file(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    with (bag / "data" / "tables" / "nodes.csv").open("a") as fh:
        fh.write("Person:x,,Person,suspect,Someone,2,{}\n")
    _refused(sent, bag, "tampered file data/tables/nodes.csv")


def test_tampered_tag_file(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    with (bag / "bag-info.txt").open("a") as fh:
        fh.write("Note: changed\n")
    _refused(sent, bag, "tampered file bag-info.txt")


def test_altered_manifest_breaks_the_signature(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    (bag / "data" / "header.json").write_text("{}")
    text = (bag / "manifest-sha256.txt").read_text()
    new = hashlib.sha256(b"{}").hexdigest()
    lines = [(new + "  data/header.json") if ln.endswith("data/header.json") else ln
             for ln in text.splitlines()]
    (bag / "manifest-sha256.txt").write_text("\n".join(lines) + "\n")
    tm = (bag / "tagmanifest-sha256.txt").read_text().splitlines()
    h = hashlib.sha256((bag / "manifest-sha256.txt").read_bytes()).hexdigest()
    (bag / "tagmanifest-sha256.txt").write_text("\n".join(
        (h + "  manifest-sha256.txt") if ln.endswith("manifest-sha256.txt") else ln
        for ln in tm) + "\n")
    _refused(sent, bag, "signature does not verify")


def test_missing_file(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    (bag / "data" / "report" / "network.png").unlink()
    _refused(sent, bag, "missing file data/report/network.png")


def test_extra_file(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    (bag / "data" / "extra.txt").write_text("smuggled")
    _refused(sent, bag, "extra file data/extra.txt")


def test_missing_signature(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    (bag / "signature.ed25519").unlink()
    _refused(sent, bag, "missing signature")


def test_wrong_key(sent, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = tmp_path / "other.pub"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(bundle.BundleRefused, match="does not verify with key SHA256:"):
        bundle.verify_bundle(sent["res"].archive, other)
    with pytest.raises(bundle.BundleRefused, match="wrong key"):
        bundle.import_bundle(sent["recv"], sent["officer"], sent["res"].archive, other)
    assert sent["recv"].store.count_nodes("PartnerEntity") == 0


def test_manifest_path_escaping_the_bag(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    _resign(bag, sent["key"])
    with (bag / "manifest-sha256.txt").open("a") as fh:
        fh.write(f"{'0' * 64}  data/../../outside.txt\n")
    tags = (bag / "tagmanifest-sha256.txt").read_text().splitlines()
    h = hashlib.sha256((bag / "manifest-sha256.txt").read_bytes()).hexdigest()
    (bag / "tagmanifest-sha256.txt").write_text("\n".join(
        (h + "  manifest-sha256.txt") if t.endswith("manifest-sha256.txt") else t
        for t in tags) + "\n")
    sig = json.loads((bag / "signature.ed25519").read_text())
    sig["signature"] = base64.b64encode(sent["key"].sign(
        (bag / "tagmanifest-sha256.txt").read_bytes())).decode()
    (bag / "signature.ed25519").write_text(json.dumps(sig))
    _refused(sent, bag, "escapes the bag")


def test_archive_entry_escaping_the_bag(sent, tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(sent["res"].archive) as src, zipfile.ZipFile(z, "w") as dst:
        for i in src.infolist():
            dst.writestr(i, src.read(i))
        dst.writestr("../escape.txt", "x")
    _refused(sent, z, "escapes the bag")
    assert not (tmp_path.parent / "escape.txt").exists()


def test_symlink_in_folder(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    os.symlink("/etc/passwd", bag / "data" / "passwd")
    _refused(sent, bag, "symbolic link")


def test_symlink_in_archive(sent, tmp_path):
    z = tmp_path / "link.zip"
    with zipfile.ZipFile(sent["res"].archive) as src, zipfile.ZipFile(z, "w") as dst:
        for i in src.infolist():
            dst.writestr(i, src.read(i))
        info = zipfile.ZipInfo(f"{sent['res'].export_id}/data/link")
        info.external_attr = (0o120777 << 16)
        dst.writestr(info, "/etc/passwd")
    _refused(sent, z, "symbolic link")


def test_oversized_archive(sent):
    limits = bundle.BundleLimits(max_archive_bytes=10_000)
    _refused(sent, sent["res"].archive, "over the 10000 limit", limits=limits)


def test_compression_bomb(sent, tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(sent["res"].archive) as src, \
            zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as dst:
        for i in src.infolist():
            dst.writestr(i, src.read(i))
        dst.writestr(f"{sent['res'].export_id}/data/zeros.bin", b"\0" * (40 * 1024**2))
    assert z.stat().st_size < 1024**2
    _refused(sent, z, "compression bomb")


def test_unpacked_size_limit(sent):
    limits = bundle.BundleLimits(max_unpacked_bytes=50_000)
    _refused(sent, sent["res"].archive, "unpacks to over 50000 bytes", limits=limits)


def test_malformed_ftm_content(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    with (bag / "data" / "entities.ftm.jsonl").open("a") as fh:
        fh.write(json.dumps({"id": "x", "schema": "Person",
                             "properties": {"name": ["X"], "birthDate": ["not a date"]}}) + "\n")
    _resign(bag, sent["key"])
    _refused(sent, bag, r"malformed content: .*birthDate.*not a valid date")


def test_malformed_ftm_json(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    with (bag / "data" / "entities.ftm.jsonl").open("a") as fh:
        fh.write("{not json\n")
    _resign(bag, sent["key"])
    _refused(sent, bag, r"entities.ftm.jsonl:\d+: not JSON")


def test_malformed_header(sent, tmp_path):
    bag = _copy(sent, tmp_path)
    header = json.loads((bag / "data" / "header.json").read_text())
    del header["legal_basis"]
    (bag / "data" / "header.json").write_text(json.dumps(header))
    _resign(bag, sent["key"])
    _refused(sent, bag, "header.json lacks legal_basis")


def test_not_a_bundle(sent, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not an archive")
    _refused(sent, junk, "not a bag folder nor a zip")


def test_refusals_are_audited_on_the_receiving_side(sent):
    from investigations.audit import verify_chain

    recs = sent["recv"].store.find_nodes("AuditRecord", {"action": "bundle.refused"})
    assert recs and all(json.loads(r["detail"])["reason"] for r in recs)
    assert verify_chain(sent["recv"]).ok
