"""The full round trip on each store: ring -> case -> approval -> export -> verify -> import
into a second workspace; and what the bundle holds (FtM, GraphML, BagIt, PDF, redaction)."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pytest

from graph.store import NodeRef
from investigations import audit, bundle, cases, exports
from investigations.context import CaseWorkspace
from tests.cases_world import SECRETS, approved_export, make_world
from tests.conftest import make_store

pytestmark = pytest.mark.usefixtures("cheap_hash")


@pytest.fixture
def cheap_hash(monkeypatch):
    monkeypatch.setenv("CBEC_PASSWORD_HASH", "cheapest")


def _ring(store):
    """A hand-made ring over the tiny ring's sellers, written with the detection API."""
    from datetime import UTC, datetime

    from graph.detection.results import Ring, write_rings

    ring = Ring(ring_id="ring-test-1", rank=1, score=0.91, typology="T6",
                members=[{"ref": NodeRef("Enterprise", "S1"), "role": "seller", "risk": 0.9},
                         {"ref": NodeRef("Enterprise", "S2"), "role": "seller", "risk": 0.8},
                         {"ref": NodeRef("Person", "nm:lina"), "role": "buyer", "risk": 0.2}],
                shared=[{"identifier": NodeRef("Phone", "+8613800138000"),
                         "members": [NodeRef("Enterprise", "S1"), NodeRef("Enterprise", "S2")]}],
                indicators=[{"name": "shared_phone", "value": 2.0, "threshold": 1.0,
                             "sentence": "Two sellers share one phone."}],
                destinations=["NL"], channels=["cbec"], months=["2024-01"], declarations=3,
                value_rmb=500.5, duty_at_stake_rmb=80.0, model_version="test",
                threshold=0.5, scored_at=datetime(2026, 12, 1, tzinfo=UTC))
    write_rings(store, [ring])
    return ring


def _receiver_holdings(store) -> None:
    """The partner already knows one seller and one declaration."""
    store.write_nodes("Enterprise", pa.table({"code": ["S1"], "name": ["Star Light"]}))
    store.write_nodes("Declaration", pa.table({"invt_no": ["D1"]}))


@pytest.mark.parametrize("kind", ["ladybug", "neo4j"])
def test_round_trip(kind, tmp_path, request):
    env = request.getfixturevalue("neo4j_env") if kind == "neo4j" else None
    store = make_store(kind, tmp_path / "sender", env)
    w = make_world(store, tmp_path / "ws-sender")
    try:
        _ring(store)
        case_id = cases.create_case_from_ring(w.ws, w.investigator, "ring-test-1")
        view = cases.get_case(w.ws, w.investigator, case_id)
        roles = {(m["label"], m["key"]): m["role"] for m in view["members"]}
        assert roles[("Enterprise", "S1")] == "suspect"
        assert roles[("Person", "nm:lina")] == "witness"
        assert roles[("Phone", "+8613800138000")] == "linked"
        assert "Two sellers share one phone." in view["case"]["summary"]
        w.case_id = case_id
        eid = approved_export(w)
        res = exports.export_case(w.ws, w.liaison, eid, out_dir=tmp_path / "out")
        report = bundle.verify_bundle(res.archive, w.ws.keys_dir / "own" / "default.pub")
        assert report.ok and len(report.files) == len(res.files)
        assert audit.verify_chain(w.ws).ok
        actions = [r["action"] for r in audit.list_audit(w.ws, w.supervisor, case_id=case_id)]
        assert {"case.create", "case.view", "export.request", "export.approve",
                "export.write"} <= set(actions)
    finally:
        if kind == "neo4j":
            store.query("MATCH (n) DETACH DELETE n")  # the second workspace starts empty
        store.close()
    # the second workspace: another store of the same kind
    store2 = make_store(kind, tmp_path / "receiver", env)
    try:
        _receiver_holdings(store2)
        ws2 = CaseWorkspace(store2, tmp_path / "ws-receiver")
        from investigations.users import bootstrap_admin, create_user

        admin2 = bootstrap_admin(ws2, "root", "another long password")
        officer = create_user(ws2, admin2, "nl-officer", "another long password",
                              ["partner_liaison"])
        summary = bundle.import_bundle(ws2, officer, res.archive,
                                       w.ws.keys_dir / "own" / "default.pub")
        ftm_lines = (res.bag / "data" / "entities.ftm.jsonl").read_text().splitlines()
        assert summary["entities"] == len(ftm_lines) == store2.count_nodes("PartnerEntity")
        assert summary["linked"] == 1  # S1 (the partner holds no other member of this ring)
        ents = store2.find_nodes("PartnerEntity")
        s1 = next(e for e in ents if e["ftm_id"] == "cbec-enterprise-S1")
        assert json.loads(s1["provenance"])["sender"] == "CN-Customs"
        linked = store2.sharing_identifier(NodeRef("Enterprise", "S1"))  # unaffected query API
        assert isinstance(linked, list)
        assert store2.count_edges("PARTNER_LINK") == 1
        assert store2.count_edges("FROM_BUNDLE") == len(ftm_lines)
        with pytest.raises(bundle.BundleRefused, match="imported already"):
            bundle.import_bundle(ws2, officer, res.archive, w.ws.keys_dir / "own" / "default.pub")
        assert audit.verify_chain(ws2).ok
    finally:
        if kind == "neo4j":
            store2.query("MATCH (n) DETACH DELETE n")
        store2.close()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import os

    os.environ["CBEC_PASSWORD_HASH"] = "cheapest"
    tmp = tmp_path_factory.mktemp("exported")
    store = make_store("ladybug", tmp)
    w = make_world(store, tmp / "ws")
    res = exports.export_case(w.ws, w.liaison, approved_export(w))
    yield w, res
    store.close()


def test_ftm_validates_with_followthemoney(exported):
    from followthemoney import model

    _, res = exported
    lines = (res.bag / "data" / "entities.ftm.jsonl").read_text(encoding="utf-8").splitlines()
    schemata = set()
    for line in lines:
        data = json.loads(line)
        proxy = model.get_proxy(data, cleaned=False)
        schemata.add(proxy.schema.name)
        for prop, value in proxy.itervalues():
            assert prop.type.validate(value), (data["id"], prop.name, value)
    assert {"Company", "Person", "Address", "BankAccount", "Identification", "UserAccount",
            "Event", "UnknownLink"} <= schemata
    by_id = {json.loads(x)["id"]: json.loads(x) for x in lines}
    ident = next(e for e in by_id.values() if e["schema"] == "Identification")
    assert ident["properties"]["number"] == ["110105-1992"]  # region code and birth year
    assert by_id[ident["properties"]["holder"][0]]["properties"]["name"] == ["Zhang Wei"]


def test_graphml_loads_in_networkx(exported):
    import networkx as nx

    _, res = exported
    g = nx.read_graphml(res.bag / "data" / "network.graphml")
    with (res.bag / "data" / "tables" / "nodes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert g.number_of_nodes() == len(rows) == 14
    assert g.number_of_edges() > 10
    assert {d["label"] for _, d in g.nodes(data=True)} >= {"Enterprise", "Person", "Phone"}


def test_bag_validates_with_bagit(exported):
    import bagit

    _, res = exported
    bag = bagit.Bag(str(res.bag))
    bag.validate()
    assert bag.is_valid()
    assert bag.info["External-Identifier"] == res.export_id
    header = json.loads((res.bag / "data" / "header.json").read_text(encoding="utf-8"))
    for f in bundle.HEADER_FIELDS:
        assert header[f], f
    assert header["legal_basis"] == {"agreement": "EU-China CMAA 2004",
                                     "article": "Art. 8 (information on request)"}
    assert header["approved_by"] == "sue" and header["retention_date"] == "2030-12-31"


def test_pdf_first_page_renders(exported):
    import numpy as np
    import pypdfium2 as pdfium

    w, res = exported
    pdf = pdfium.PdfDocument(str(res.bag / "data" / "report" / "case-report.pdf"))
    assert len(pdf) >= 2
    page = pdf[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    assert abs(image.width / image.height - 210 / 297) < 0.01  # A4 portrait
    px = np.asarray(image).astype(int)
    ink = (px.sum(axis=2) < 600).mean()
    assert 0.01 < ink < 0.5  # text and picture on a white page, not blank, not black
    colour = (px.max(axis=2) - px.min(axis=2) > 80).mean()
    assert colour > 0.001  # the network picture's coloured nodes
    text = page.get_textpage().get_text_range()
    assert w.case_id in text and "EU-China CMAA 2004" in text


def test_bundle_carries_no_unredacted_personal_data(exported):
    import pypdfium2 as pdfium

    _, res = exported
    texts = {}
    for f in res.files:
        p = res.bag / f
        if p.suffix == ".pdf":
            doc = pdfium.PdfDocument(str(p))
            texts[f] = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        elif p.suffix in (".png",) or "/evidence/" in f:
            continue
        else:
            texts[f] = p.read_text(encoding="utf-8")
    for f, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, (f, secret)
    nodes = (res.bag / "data" / "tables" / "nodes.csv").read_text(encoding="utf-8")
    assert "Zhang Wei" in nodes  # a suspect: tier 2 keeps the name
    assert "+86 138****8000" in nodes and "深圳市南山区" in nodes
    assert "statement.txt" not in texts["data/tables/evidence.csv"]  # not shareable
    assert "xray-D1.png" in texts["data/tables/evidence.csv"]


def test_export_needs_an_approval_by_another_supervisor(exported):
    w, _ = exported
    eid = exports.request_export(
        w.ws, w.supervisor, w.case_id, "EU-FR-Customs", agreement="EU-China CMAA 2004",
        article="Art. 8", purpose="p", offence_type="IPR", summary_of_facts="f",
        retention_date="2031-01-01", recipient_contact="x", sender_administration="CN")
    with pytest.raises(exports.ExportRefused, match="a supervisor must approve"):
        exports.export_case(w.ws, w.liaison, eid)
    with pytest.raises(exports.ExportRefused, match="four eyes"):
        exports.approve_export(w.ws, w.supervisor, eid)
    from investigations.roles import PermissionDenied

    with pytest.raises(PermissionDenied, match="export.approve"):
        exports.approve_export(w.ws, w.investigator, eid)
