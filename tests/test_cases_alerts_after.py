"""Saved alerts run at the end of `cbec load` and `cbec score`, end to end on a small
generated world: the score alert opens one case per ring, a second run raises nothing for
what open cases hold, --no-alerts skips them, and an alert whose owner may not open cases
runs nothing and says so."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from cbec_cli import app

pytestmark = pytest.mark.slow


def cbec(*args, ok=True):
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    if ok:
        assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.delenv("NEO4J_URI", raising=False)
    mp.setenv("CBEC_PASSWORD_HASH", "cheapest")
    mp.setenv("CBEC_PASSWORD", "a long enough password")
    mp.setenv("CBEC_NEW_PASSWORD", "a long enough password")
    tmp = tmp_path_factory.mktemp("alerts_after")
    out, ws = tmp / "world", tmp / "ws"
    cbec("generate", "--declarations", "1500", "--seed", "3", "--out", out)
    yield out, ws
    mp.undo()


def _opened(text: str) -> list[str]:
    return re.findall(r"opened case (CASE-\S+) for ring (\S+)", text)


def test_load_and_score_run_the_saved_alerts(world):
    out, ws = world
    first = cbec("load", out, "-w", ws)
    assert "alerts: none saved" in first
    w = ["-w", ws]
    cbec("users", "bootstrap", "ada", *w)
    cbec("users", "add", "ivan", "--role", "investigator", *w, "--user", "ada")
    cbec("alerts", "add", "rings", "--kind", "score", "--min-score", "0", *w, "--user", "ivan")
    # an admin may save and run alerts but not open cases: its alert runs nothing
    cbec("alerts", "add", "admin rings", "--kind", "score", "--min-score", "0", *w,
         "--user", "ada")

    skipped = cbec("score", *w, "--no-alerts")
    assert "alert '" not in skipped and "opened case" not in skipped
    scored = cbec("score", *w, "--full")
    opened = _opened(scored)
    from graph.detection.results import list_rings
    from graph.store import open_store

    store = open_store(ws, read_only=True)
    try:
        ring_ids = {r.ring_id for r in list_rings(store, min_score=0)}
        alert_cases = store.find_nodes("Case", {"origin": "ring"})
    finally:
        store.close()
    assert ring_ids, "the small world should have rings"
    # one case per ring not already held by an earlier ring's case, each ring accounted for
    said = {ring for _, ring in opened} | set(re.findall(
        r"ring (\S+) to case", scored)) | set(re.findall(r"ring (\S+) is already held", scored))
    assert said == ring_ids, scored
    assert {c["case_id"] for c in alert_cases} == {c for c, _ in opened}
    assert "admin rings" in scored and "not run" in scored and "may not case.write" in scored

    again = cbec("score", *w)  # nothing new: what open cases hold raises nothing
    assert _opened(again) == [] and "added" not in again
    assert again.count("is already held by case") >= len(ring_ids)

    reload_ = cbec("load", out, "-w", ws)  # the same files again: alerts run, nothing new
    assert "alert 'rings'" in reload_ and _opened(reload_) == []
    quiet = cbec("load", out, "-w", ws, "--no-alerts")
    assert "alert '" not in quiet

    assert "audit trail OK" in cbec("audit", "verify", *w)
    store = open_store(ws, read_only=True)
    try:
        runs = store.find_nodes("AuditRecord", {"action": "alert.run"})
    finally:
        store.close()
    # each run is the owner's, with what triggered it (the admin's alert ran too where it
    # had nothing to open)
    ran = {(r["actor"], json.loads(r["detail"])["trigger"]) for r in runs}
    assert {("ivan", "score"), ("ivan", "load")} <= ran and {a for a, _ in ran} <= {"ivan", "ada"}
