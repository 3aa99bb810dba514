"""Detection code never reads the synthetic answer key: no module under graph/detection
imports graph.evaluation or synthetic, or names the ground_truth folder; and scoring a
generated world opens nothing under it (checked with an audit hook)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DETECTION = Path(__file__).resolve().parents[1] / "graph" / "detection"


def _modules():
    return sorted(p for p in DETECTION.rglob("*.py"))


def test_no_detection_module_imports_evaluation_or_the_generator():
    assert _modules(), "graph/detection has no modules?"
    for p in _modules():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for n in names:
                assert not n.startswith(("graph.evaluation", "synthetic")), f"{p}: imports {n}"


def test_no_detection_module_names_the_ground_truth_folder():
    for p in _modules():
        assert "ground_truth" not in p.read_text(encoding="utf-8"), p


_OPENED: list[str] = []
_WATCH = {"on": False}


def _hook(event, args):
    if _WATCH["on"] and event == "open" and args and "ground_truth" in str(args[0]):
        _OPENED.append(str(args[0]))


@pytest.mark.slow
def test_scoring_a_world_opens_nothing_under_ground_truth(tmp_path):
    from typer.testing import CliRunner

    from cbec_cli import app

    runner = CliRunner()
    world, ws = tmp_path / "world", tmp_path / "ws"
    r = runner.invoke(app, ["generate", "--declarations", "1500", "--seed", "3", "--out",
                            str(world)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["load", str(world), "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    assert (world / "ground_truth").is_dir()
    sys.addaudithook(_hook)  # cannot be removed: it only records while _WATCH is on
    _WATCH["on"] = True
    try:
        r = runner.invoke(app, ["score", "--workspace", str(ws)])
    finally:
        _WATCH["on"] = False
    assert r.exit_code == 0, r.output
    assert _OPENED == []
    r = runner.invoke(app, ["rings", "--top", "3", "--workspace", str(ws)])
    assert r.exit_code == 0 and "Top" in r.output, r.output
    # a second score with nothing new is incremental and cheap
    r = runner.invoke(app, ["score", "--workspace", str(ws)])
    assert r.exit_code == 0 and "new declarations" in r.output, r.output
