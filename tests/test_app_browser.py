"""The served app in a real headless browser (Debian's Chromium through Playwright): search
an entity, draw and expand its network, draw a path, open a ring, visit every page; the
network canvas must hold a drawing, the console no error, and no request may leave
127.0.0.1. Screenshots go to $CBEC_SCREENSHOTS when set (docs/screenshots/ is made so)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.app_world import build_app_world
from ui.browser_check import Walk, chromium_missing, serve
from ui.components.preload import widget_modules

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_app_world(tmp_path_factory.mktemp("browserworld"))


def test_investigator_walk_in_a_real_browser(world, tmp_path):
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    shots = Path(os.environ.get("CBEC_SCREENSHOTS") or tmp_path / "shots")
    with serve(world.workspace, log=tmp_path / "streamlit.log") as url, \
            Walk.open(shots=shots) as walk:
        walk.run(url, world.seller_name, world.person_name)
    assert walk.console_errors == [], walk.console_errors
    assert walk.outside_requests == [], walk.outside_requests
    # the widgets' code was fetched ahead (NumberInput and DateInput: on no page walked)
    assert set(widget_modules()) <= walk.requested, set(widget_modules()) - walk.requested
    steps = ["neighbourhood", "path", "query"]
    steps += [] if "the expansion added no node" in " ".join(walk.notes) else ["expanded"]
    for step in steps:
        assert walk.drawn_pixels.get(step, 0) > 200, (step, walk.drawn_pixels)
    if world.rings_written:
        assert walk.drawn_pixels.get("ring", 0) > 200, walk.drawn_pixels
    else:
        assert any("no rings" in n for n in walk.notes)
    for name in ("rings", "explorer", "explorer-path", "profile", "profile-map",
                 "statistics", "data-quality", "query"):
        assert (shots / f"{name}.png").stat().st_size > 10_000, name
