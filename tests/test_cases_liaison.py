"""A partner liaison cannot read unredacted personal data through ANY public service
function: the test calls every public function of every service module that reaches the
workspace, as a partner liaison, and searches what comes back (return values, error
messages and every file written) for the tiny ring's personal data."""

from __future__ import annotations

import importlib
import inspect
import json
import os
from pathlib import Path

import pytest

from graph.store import NodeRef
from investigations import SERVICE_MODULES, exports
from investigations.roles import PermissionDenied
from tests.cases_world import PASSWORD, SECRETS, approved_export, make_world
from tests.conftest import make_store


def _public_functions():
    for modname in SERVICE_MODULES:
        mod = importlib.import_module(modname)
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != modname:
                continue
            if "ws" in inspect.signature(fn).parameters:  # reaches the workspace
                yield f"{modname}.{name}", fn


def _texts(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        return json.dumps(value, default=lambda o: getattr(o, "__dict__", str(o)),
                          ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _file_texts(folder: Path) -> dict[str, str]:
    import pypdfium2 as pdfium

    out = {}
    for p in folder.rglob("*"):
        if not p.is_file():
            continue
        if p.suffix == ".pdf":
            doc = pdfium.PdfDocument(str(p))
            out[str(p)] = "".join(doc[i].get_textpage().get_text_range()
                                  for i in range(len(doc)))
        elif p.suffix == ".zip":
            continue  # holds the same files as the bag beside it
        else:
            out[str(p)] = p.read_bytes().decode("utf-8", "replace")
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    os.environ["CBEC_PASSWORD_HASH"] = "cheapest"
    tmp = tmp_path_factory.mktemp("liaison")
    store = make_store("ladybug", tmp)
    w = make_world(store, tmp)
    yield w, tmp
    store.close()


def test_liaison_reads_nothing_unredacted_through_any_service(world):
    w, tmp = world
    from investigations import alerts, evidence

    eid = approved_export(w)
    other = exports.export_case(w.ws, w.investigator, approved_export(w, "EU-DE-Customs"))
    secret_sha = next(e["sha256"] for e in evidence._evidence_rows(w.ws, w.case_id)
                      if not e["shareable"])
    alert_id = alerts.create_alert(w.ws, w.investigator, "watch Li Na", "search",
                                   {"text": "Li Na"})
    out = tmp / "liaison-out"
    args = {
        "ws": w.ws, "actor": w.liaison, "case_id": w.case_id, "title": "t",
        "ref": NodeRef("Person", "nm:lina"), "role": "suspect", "text": "note",
        "status": "investigating", "username": "lia", "password": PASSWORD,
        "roles": ["admin"], "sha256": secret_sha, "data": b"bytes", "export_id": eid,
        "partner": "EU-NL-Customs", "ring_id": "no-such-ring", "alert_id": alert_id,
        "name": "x", "kind": "search", "spec": {"text": "Li Na"}, "platform_code": "PLAT",
        "path": other.archive, "public_key": w.ws.keys_dir / "own" / "default.pub",
        "public_pem": w.ws.keys_dir / "own" / "default.pub", "action": "probe",
        "agreement": "a", "article": "b", "purpose": "c", "offence_type": "d",
        "summary_of_facts": "e", "retention_date": "2031-01-01", "recipient_contact": "f",
        "sender_administration": "g", "out_dir": out, "key_name": "default",
    }
    outcomes = {}
    for qual, fn in _public_functions():
        params = inspect.signature(fn).parameters
        call = {}
        for p in params.values():
            if p.default is not inspect.Parameter.empty or p.kind in (p.VAR_KEYWORD,
                                                                       p.VAR_POSITIONAL):
                if p.name in ("out_dir",):
                    call[p.name] = args[p.name]
                continue
            assert p.name in args, f"{qual}: no test value for parameter {p.name!r}"
            call[p.name] = args[p.name]
        try:
            result = fn(**call)
            outcomes[qual] = "returned"
            text = _texts(result)
        except PermissionDenied as exc:
            outcomes[qual] = "denied"
            text = str(exc)
        except Exception as exc:  # noqa: BLE001 - any other refusal must not leak either
            outcomes[qual] = f"raised {type(exc).__name__}"
            text = str(exc)
        for secret in SECRETS:
            assert secret not in text, f"{qual} showed {secret!r} to a partner liaison"
    for f, text in _file_texts(out).items():
        for secret in SECRETS:
            assert secret not in text, f"{f} (written for a partner liaison) holds {secret!r}"
    # the walk reached every kind of function, and the liaison's allowed reads did return
    assert len(outcomes) >= 35, outcomes
    for qual in ("investigations.cases.get_case", "investigations.cases.list_cases",
                 "investigations.cases.case_network", "investigations.evidence.list_evidence",
                 "investigations.exports.export_case", "investigations.bundle.list_imports"):
        assert outcomes[qual] == "returned", (qual, outcomes[qual])
    for qual in ("investigations.cases.add_note", "investigations.evidence.read_evidence",
                 "investigations.audit.list_audit", "investigations.exports.approve_export",
                 "investigations.users.list_users", "investigations.cases.set_ipr_record",
                 "investigations.notice.platform_notice", "investigations.alerts.run_alerts"):
        assert outcomes[qual] == "denied", (qual, outcomes[qual])


def test_liaison_view_is_the_redacted_one(world):
    from investigations import cases

    w, _ = world
    view = cases.get_case(w.ws, w.liaison, w.case_id)
    assert view["redacted"] and view["notes"] == []
    by_role = {}
    for m in view["members"]:
        by_role.setdefault(m["role"], []).append(m)
    victim = by_role["identity_theft_victim"][0]
    assert victim["properties"]["name"].startswith("Person ") and victim["tier"] == 3
    assert "Zhang Wei" in {m["display"] for m in by_role["suspect"]}
    phone = next(m for m in view["members"] if m["label"] == "Phone")
    assert phone["properties"]["masked"] == "+86 138****8000"
    account = next(m for m in view["members"] if m["label"] == "PaymentAccount")
    assert account["properties"]["account"] == "dropped"
    full = cases.get_case(w.ws, w.investigator, w.case_id)
    assert any(m["key"] == "nm:lina" for m in full["members"]) and full["notes"]
