"""The investigation commands end to end through the ``cbec`` CLI."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cbec_cli import app
from tests.conftest import make_store, write_tiny_ring


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("CBEC_PASSWORD_HASH", "cheapest")
    monkeypatch.setenv("CBEC_PASSWORD", "a long enough password")
    monkeypatch.setenv("CBEC_NEW_PASSWORD", "a long enough password")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    store = make_store("ladybug", tmp_path / "ws")
    write_tiny_ring(store)
    store.close()
    return tmp_path


def run(*args, ok=True):
    res = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def test_cli_case_to_partner_and_back(env):
    ws, ws2 = env / "ws", env / "ws2"
    w = ["-w", ws]
    run("users", "bootstrap", "ada", *w)
    for name, role in (("ivan", "investigator"), ("sue", "supervisor"), ("lia", "partner_liaison")):
        run("users", "add", name, "--role", role, *w, "--user", "ada")
    fp = run("keys", "generate", *w, "--user", "ada").output.strip()
    assert fp.startswith("SHA256:")
    assert fp in run("keys", "list", *w, "--user", "ivan").output
    case_id = run("case", "create", "Star Light", "-m", "Enterprise:S1:suspect",
                  "-m", "Person:nm:lina:identity_theft_victim", "-m", "Phone:+8613800138000:linked",
                  *w, "--user", "ivan").output.strip()
    assert case_id.startswith("CASE-")
    run("case", "status", case_id, "investigating", *w, "--user", "ivan")
    eid = run("case", "request-export", case_id, "--to", "EU-NL", "--agreement", "EU-China CMAA",
              "--article", "Art. 8", "--purpose", "IPR seizure", "--retention", "2031-01-01",
              "--recipient-contact", "J. de Vries", "--sender", "CN-Customs",
              *w, "--user", "ivan").output.strip()
    refused = run("case", "export", case_id, "--to", "EU-NL", *w, "--user", "lia", ok=False)
    assert refused.exit_code == 1 and "no approved export" in refused.output
    run("case", "approve", eid, *w, "--user", "sue")
    out = run("case", "export", case_id, "--to", "EU-NL", *w, "--user", "lia").output
    archive = re.search(r"archive\s+(\S+)", out).group(1)
    assert "data/entities.ftm.jsonl" in out and "signature.ed25519" in out
    pub = ws / "keys" / "own" / "default.pub"
    ver = run("bundle", "verify", archive, "--key", pub, "-w", ws2).output
    assert "VERIFIED" in ver and fp in ver
    # the partner's side: a second workspace, the sender's key registered by name
    store = make_store("ladybug", ws2)
    store.close()
    run("users", "bootstrap", "root", "-w", ws2)
    run("users", "add", "nl", "--role", "partner_liaison", "-w", ws2, "--user", "root")
    assert run("keys", "register", "CN-Customs", pub, "-w", ws2, "--user", "root"
               ).output.strip() == fp
    imp = run("bundle", "import", archive, "--key", "CN-Customs", "-w", ws2, "--user", "nl").output
    assert "imported bundle" in imp and "entities" in imp
    bad = run("bundle", "import", archive, "--key", "CN-Customs", "-w", ws2, "--user", "nl",
              ok=False)
    assert bad.exit_code == 1 and "imported already" in bad.output
    assert "audit trail OK" in run("audit", "verify", "-w", ws).output
    assert "audit trail OK" in run("audit", "verify", "-w", ws2).output
    log = run("audit", "log", "-w", ws, "--user", "sue", "--case", case_id).output
    assert "export.write" in log and "case.status" in log
    denied = run("audit", "log", "-w", ws, "--user", "lia", ok=False)
    assert denied.exit_code == 1 and "may not audit.read" in denied.output
