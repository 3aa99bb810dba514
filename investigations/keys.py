"""Ed25519 signing keys: this administration's own (to sign exports) and its partners'
public keys (to verify their bundles). Files under ``<workspace>/keys``: ``own/NAME.key``
(PKCS#8 PEM, mode 0600, encrypted when ``CBEC_KEY_PASSPHRASE`` is set), ``own/NAME.pub``
and ``partners/PARTNER.pub`` (SubjectPublicKeyInfo PEM)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound
from investigations.roles import User, require

__all__ = ["generate_key", "list_keys", "register_partner_key", "fingerprint",
           "load_private_key", "load_public_key", "partner_key_path"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _name(name: str, what: str) -> str:
    if not _NAME.match(name or ""):
        raise ValueError(f"{what} {name!r}: letters, digits, '.', '_' and '-' only")
    return name


def fingerprint(public: Ed25519PublicKey) -> str:
    """``SHA256:`` and the hex SHA-256 of the raw 32-byte public key, in groups of 4."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    h = hashlib.sha256(raw).hexdigest()
    return "SHA256:" + ":".join(h[i:i + 4] for i in range(0, 64, 4))


def _passphrase() -> bytes | None:
    p = os.environ.get("CBEC_KEY_PASSPHRASE")
    return p.encode() if p else None


def generate_key(ws: CaseWorkspace, actor: User, name: str) -> str:
    """Create the signing key pair ``name``; returns its fingerprint. An existing key is
    never overwritten."""
    require(actor, "keys.manage")
    own = ws.keys_dir / "own"
    own.mkdir(parents=True, exist_ok=True)
    key_path = own / f"{_name(name, 'key name')}.key"
    if key_path.exists():
        raise FileExistsError(f"{key_path} exists; pick another name or remove it first")
    key = Ed25519PrivateKey.generate()
    enc = (serialization.BestAvailableEncryption(_passphrase()) if _passphrase()
           else serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8, enc))
    pub = key.public_key()
    (own / f"{name}.pub").write_bytes(pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    fp = fingerprint(pub)
    record_event(ws, actor, "keys.generate", target=name, detail={"fingerprint": fp})
    return fp


def register_partner_key(ws: CaseWorkspace, actor: User, partner: str,
                         public_pem: bytes | str | Path) -> str:
    """Register a partner administration's public key (PEM bytes or a file); returns its
    fingerprint, to be compared with the one the partner reads out by another channel."""
    require(actor, "keys.manage")
    if isinstance(public_pem, str | Path) and Path(public_pem).exists():
        public_pem = Path(public_pem).read_bytes()
    pub = _parse_public(public_pem if isinstance(public_pem, bytes) else public_pem.encode(),
                        f"public key for {partner}")
    d = ws.keys_dir / "partners"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{_name(partner, 'partner name')}.pub").write_bytes(pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    fp = fingerprint(pub)
    record_event(ws, actor, "keys.register", target=partner, detail={"fingerprint": fp})
    return fp


def list_keys(ws: CaseWorkspace, actor: User) -> list[dict[str, str]]:
    """Own and partner keys with their fingerprints."""
    require(actor, "keys.read")
    out = []
    for kind in ("own", "partners"):
        for p in sorted((ws.keys_dir / kind).glob("*.pub")):
            out.append({"kind": kind, "name": p.stem,
                        "fingerprint": fingerprint(load_public_key(p)), "path": str(p)})
    return out


def partner_key_path(ws: CaseWorkspace, partner: str) -> Path:
    return ws.keys_dir / "partners" / f"{_name(partner, 'partner name')}.pub"


def _parse_public(pem: bytes, what: str) -> Ed25519PublicKey:
    try:
        pub = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ValueError(f"{what}: not a PEM public key ({exc})") from None
    if not isinstance(pub, Ed25519PublicKey):
        raise ValueError(f"{what}: not an Ed25519 key")
    return pub


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """A public key from a PEM file (own ``.pub``, a partner's, or one handed over)."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"no public key file {path}")
    return _parse_public(path.read_bytes(), str(path))


def load_private_key(ws: CaseWorkspace, name: str) -> Ed25519PrivateKey:
    """The own signing key ``name`` (decrypted with ``CBEC_KEY_PASSPHRASE`` if set)."""
    path = ws.keys_dir / "own" / f"{_name(name, 'key name')}.key"
    if not path.exists():
        raise NotFound(f"no signing key {name!r} ({path}); create one with `cbec keys generate`")
    key = serialization.load_pem_private_key(path.read_bytes(), password=_passphrase())
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key
