"""Case services: workflow, IPR clock, evidence by SHA-256, roles, users, alerts, notices."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest

from graph.store import NodeRef
from investigations import alerts, cases, evidence, notice, users
from investigations.roles import PermissionDenied, User
from investigations.workdays import add_working_days, working_days_between
from tests.cases_world import PASSWORD, make_world
from tests.conftest import make_store


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    os.environ["CBEC_PASSWORD_HASH"] = "cheapest"
    tmp = tmp_path_factory.mktemp("services")
    store = make_store("ladybug", tmp)
    w = make_world(store, tmp)
    yield w
    store.close()


def test_working_days_skip_weekends():
    friday = date(2026, 12, 4)
    assert add_working_days(friday, 3) == date(2026, 12, 9)
    assert add_working_days(friday, 30) == date(2027, 1, 15)
    assert add_working_days(friday, 1, frozenset({date(2026, 12, 7)})) == date(2026, 12, 8)
    assert working_days_between(friday, date(2026, 12, 9)) == 3
    assert working_days_between(date(2026, 12, 9), friday) == -3


def test_ipr_record_sets_the_clock(world):
    view = cases.get_case(world.ws, world.investigator, world.case_id)
    c = view["case"]
    assert c["holder_deadline"] == "2026-12-09"  # detention Fri 4 Dec + 3 working days
    assert c["investigation_deadline"] == add_working_days(date(2026, 12, 8), 30).isoformat()
    assert c["ipr"]["quantity_found"] == 480.0 and c["ipr"]["brand"] == "LABUBU"
    d = cases.case_deadlines(world.ws, world.ipr, world.case_id, today=date(2026, 12, 10))
    assert d[0]["working_days_left"] == -1 and d[0]["overdue"]
    with pytest.raises(cases.WorkflowError, match="predates the detention"):
        cases.set_ipr_record(world.ws, world.ipr, world.case_id,
                             holder_application_date="2026-12-01")
    with pytest.raises(cases.WorkflowError, match="unknown field"):
        cases.set_ipr_record(world.ws, world.ipr, world.case_id, colour="red")
    with pytest.raises(PermissionDenied, match="case.ipr"):
        cases.set_ipr_record(world.ws, world.investigator, world.case_id, brand="X")


def test_status_workflow(world):
    ws, inv = world.ws, world.investigator
    cid = cases.create_case(ws, inv, "workflow", members=[(NodeRef("Enterprise", "SF"),
                                                           "facilitator")])
    with pytest.raises(cases.WorkflowError, match="can go to closed, investigating"):
        cases.set_status(ws, inv, cid, "referred", reason="x")
    cases.set_status(ws, inv, cid, "investigating")
    with pytest.raises(cases.WorkflowError, match="say why"):
        cases.set_status(ws, inv, cid, "referred")
    cases.set_status(ws, inv, cid, "referred", reason="to the prosecutor")
    cases.assign(ws, world.supervisor, cid, "iris")
    c = cases.get_case(ws, inv, cid)["case"]
    assert (c["status"], c["assignee"], c["status_reason"]) == ("referred", "iris",
                                                                  "to the prosecutor")
    with pytest.raises(Exception, match="no user"):
        cases.assign(ws, inv, cid, "nobody")


def test_members_roles_and_graph_edges(world):
    ws, inv = world.ws, world.investigator
    cid = cases.create_case(ws, inv, "members")
    cases.add_member(ws, inv, cid, NodeRef("Enterprise", "S1"), "suspect")
    cases.add_member(ws, inv, cid, NodeRef("Person", "nm:lina"), "identity_theft_victim")
    cases.add_member(ws, inv, cid, NodeRef("Enterprise", "S1"), "facilitator")  # role change
    members = {(m["label"], m["key"]): m["role"] for m in cases.get_case(ws, inv, cid)["members"]}
    assert members == {("Enterprise", "S1"): "facilitator",
                       ("Person", "nm:lina"): "identity_theft_victim"}
    net = cases.case_network(ws, inv, cid)
    assert set(net.nodes) == {NodeRef("Enterprise", "S1"), NodeRef("Person", "nm:lina")}
    # the case is in the graph: IN_CASE edges from its members
    hood = ws.store.neighbourhood(NodeRef("Enterprise", "S1"), hops=1, edge_types=["IN_CASE"])
    assert NodeRef("Case", cid) in hood.nodes
    cases.remove_member(ws, inv, cid, NodeRef("Person", "nm:lina"))
    hood = ws.store.neighbourhood(NodeRef("Person", "nm:lina"), hops=1, edge_types=["IN_CASE"])
    assert NodeRef("Case", cid) not in hood.nodes
    with pytest.raises(ValueError, match="member role"):
        cases.add_member(ws, inv, cid, NodeRef("Enterprise", "S2"), "boss")
    with pytest.raises(LookupError, match="no Enterprise 'NOPE'"):
        cases.add_member(ws, inv, cid, NodeRef("Enterprise", "NOPE"), "suspect")


def test_evidence_is_content_addressed_and_checked(world):
    ws, ipr = world.ws, world.ipr
    sha = evidence.add_evidence(ws, ipr, world.case_id, b"same bytes", filename="a.jpg",
                                kind="photo")
    cid2 = cases.create_case(ws, world.investigator, "other")
    assert evidence.add_evidence(ws, ipr, cid2, b"same bytes", filename="b.jpg",
                                 kind="photo") == sha
    assert len(list(ws.evidence_dir.rglob(sha))) == 1  # stored once
    assert evidence.read_evidence(ws, ipr, world.case_id, sha) == b"same bytes"
    evidence.blob_path(ws, sha).write_bytes(b"changed on disk")
    with pytest.raises(evidence.EvidenceCorrupted, match="no longer matches"):
        evidence.read_evidence(ws, ipr, world.case_id, sha)
    with pytest.raises(ValueError, match="confidence"):
        evidence.add_evidence(ws, ipr, world.case_id, b"x", filename="x.png", kind="xray",
                              labels=[{"label": "knife", "confidence": 1.5}])
    xray = next(e for e in evidence.list_evidence(ws, ipr, world.case_id) if e["kind"] == "xray")
    assert xray["labels"] == [{"label": "toy figure", "confidence": 0.93}]


def test_passwords_are_argon2_and_roles_enforced(world):
    ws = world.ws
    props = ws.store.get_node(NodeRef("AppUser", "ivan"))
    assert props["password_hash"].startswith("$argon2id$") and PASSWORD not in str(props)
    assert users.authenticate(ws, "ivan", PASSWORD).roles == {"investigator"}
    with pytest.raises(users.AuthenticationFailed):
        users.authenticate(ws, "ivan", "wrong password!")
    with pytest.raises(users.AuthenticationFailed):
        users.authenticate(ws, "ghost", PASSWORD)
    with pytest.raises(PermissionDenied, match="users.manage"):
        users.create_user(ws, world.supervisor, "x", PASSWORD, ["admin"])
    with pytest.raises(PermissionDenied, match="case.read_redacted"):
        cases.get_case(ws, world.admin, world.case_id)  # admins run the system, not cases
    with pytest.raises(PermissionDenied, match="acting user"):
        cases.list_cases(ws, None)
    with pytest.raises(ValueError, match="unknown role"):
        User("x", frozenset({"god"}))
    with pytest.raises(PermissionError, match="already has users"):
        users.bootstrap_admin(ws, "eve", PASSWORD)


def test_oidc_settings():
    from investigations.settings import AuthSettings

    assert AuthSettings.from_env({}).mode == "local"
    with pytest.raises(ValueError, match="CBEC_OIDC_ISSUER"):
        AuthSettings.from_env({"CBEC_AUTH": "oidc"})
    s = AuthSettings.from_env({"CBEC_AUTH": "oidc", "CBEC_OIDC_ISSUER": "https://idp.example",
                               "CBEC_OIDC_CLIENT_ID": "cbec"})
    u = s.user_from_claims({"preferred_username": "anna", "cbec_roles": ["supervisor", "x"]})
    assert u.username == "anna" and u.roles == {"supervisor"}


def _ring(ring_id, members, score=0.9):
    from graph.detection.results import Ring

    return Ring(ring_id=ring_id, rank=1, score=score, typology="T6", members=members,
                shared=[], indicators=[], destinations=["NL"], channels=["cbec"],
                months=["2024-01"], declarations=2, value_rmb=10.0, duty_at_stake_rmb=1.0,
                model_version="test", threshold=0.5, scored_at=datetime(2026, 12, 1, tzinfo=UTC))


def test_alerts_open_add_and_never_duplicate(world):
    from graph.detection.results import write_rings

    ws, inv = world.ws, world.investigator
    seller = {"ref": NodeRef("Enterprise", "SF"), "role": "seller", "risk": 0.9}
    write_rings(ws.store, [_ring("r-alert", [seller]),
                           _ring("r-low", [{"ref": NodeRef("Enterprise", "S2"),
                                            "role": "seller", "risk": 0.1}], score=0.2)])
    alerts.create_alert(ws, inv, "high scores", "score", {"min_score": 0.8})
    alerts.create_alert(ws, inv, "Chain Link", "search", {"text": "Chain Link 3"})
    first = alerts.run_alerts(ws, inv)
    by = {(o["alert"], o.get("ring")): o for o in first}
    opened = [o for o in first if o["action"] in ("opened", "added")]
    assert opened and all(o["message"].startswith("alert '") for o in first)
    assert ("high scores", "r-low") not in by  # below the threshold
    second = alerts.run_alerts(ws, inv)
    assert all(o["action"] == "none" for o in second), second
    # a new member of the ring joins the case that already holds it
    write_rings(ws.store, [_ring("r-alert", [seller, {"ref": NodeRef("Person", "nm:loner"),
                                                      "role": "agent", "risk": 0.5}])])
    third = [o for o in alerts.run_alerts(ws, inv) if o.get("ring") == "r-alert"]
    assert third[0]["action"] == "added" and "added 1 member" in third[0]["message"]


def test_platform_notice_lists_the_platforms_sellers(world, tmp_path):
    n = notice.platform_notice(world.ws, world.ipr, "PLAT", out_dir=tmp_path)
    codes = {s["seller_code"] for s in n["sellers"]}
    assert codes == {"S1", "S2"}  # suspects of open cases that sell on PLAT
    s1 = next(s for s in n["sellers"] if s["seller_code"] == "S1")
    assert any("LABUBU" in f for f in s1["findings"])
    assert (tmp_path / n["folder"].split("/")[-1] / "sellers.csv").exists()
    with pytest.raises(LookupError, match="no platform"):
        notice.platform_notice(world.ws, world.ipr, "NOPE", out_dir=tmp_path)


def test_alerts_after_a_load_run_each_as_its_owners_and_apart(tmp_path, monkeypatch):
    # run_after (the end of `cbec load` / `cbec score`): one failing alert does not hide the
    # others, and an alert of a deactivated owner runs nothing
    monkeypatch.setenv("CBEC_PASSWORD_HASH", "cheapest")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    from investigations.context import put_node

    store = make_store("ladybug", tmp_path)
    w = make_world(store, tmp_path)
    inv = w.investigator
    # an entity the graph no longer holds (a retracted record)
    alerts.create_alert(w.ws, inv, "a gone", "shared", {"label": "Enterprise", "key": "NO-SUCH"})
    alerts.create_alert(w.ws, inv, "b chain", "search", {"text": "Chain Link 3"})
    other = users.create_user(w.ws, w.admin, "gone", "a long enough password",
                              ["investigator"])
    alerts.create_alert(w.ws, other, "c orphan", "search", {"text": "Chain Link 3"})
    put_node(w.ws.store, "AppUser", {"username": "gone", "active": False})
    store.close()
    said = []
    out = {o["alert"]: o for o in alerts.run_after(tmp_path, "load", say=said.append)}
    assert out["a gone"]["action"] == "skipped" and "not in the graph" in out["a gone"]["message"]
    assert out["b chain"]["action"] in ("opened", "added", "none")
    assert out["c orphan"]["action"] == "skipped" and "no active user" in out["c orphan"][
        "message"]
    assert said == [o["message"] for o in out.values()]
