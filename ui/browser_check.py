"""Drive the served app in a real headless browser (Debian's Chromium through Playwright):
the browser test and ``bench/bench_app.py`` both use it.

:func:`serve` starts ``streamlit run app.py`` on 127.0.0.1 over a workspace;
:class:`Walk` opens it, searches an entity, draws and expands its network, draws a path,
opens a ring and every other page, timing each interaction from the action to the moment
its result is on screen, taking screenshots, and recording console errors and any request
that left 127.0.0.1. Playwright's own browser download is never used
(``executable_path``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from ui.cli import streamlit_command

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "serve", "free_port", "Walk", "chromium_missing",
           "pick_entities"]

CHROMIUM = os.environ.get("CBEC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}
# vis-network's canvas: count pixels that are neither transparent nor the white background
_DRAWN_PIXELS = """() => {
  const c = document.querySelector('#mynetwork canvas');
  if (!c || !c.width || !c.height) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 16) {
    if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
  }
  return n;
}"""


def chromium_missing() -> str | None:
    """Why the browser check cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def pick_entities(workspace: str | Path, n: int = 1, skip: int = 2
                  ) -> list[tuple[str, str, str]]:
    """``n`` (seller code, seller name, a buyer's name) to walk with: busy import sellers
    (after the ``skip`` busiest) and one of their buyers, a path of a few hops away.
    Read from staging, read-only, closed at once."""
    import duckdb

    con = duckdb.connect(str(Path(workspace) / "staging.duckdb"), read_only=True)
    try:
        sellers = con.execute(
            "SELECT e.code, e.name FROM node_Enterprise e JOIN edge_SOLD_BY s "
            "ON s.to_key = e.code JOIN edge_BUYER b ON b.from_key = s.from_key "
            "WHERE e.name IS NOT NULL GROUP BY ALL ORDER BY count(*) DESC, e.code "
            "LIMIT ? OFFSET ?", [n, skip]).fetchall()
        out = []
        for code, name in sellers:
            person = con.execute(
                "SELECT p.name FROM edge_SOLD_BY s JOIN edge_BUYER b ON b.from_key = "
                "s.from_key JOIN node_Person p ON p.person_key = b.to_key WHERE s.to_key = ?"
                " AND p.name IS NOT NULL ORDER BY p.name LIMIT 1", [code]).fetchone()[0]
            out.append((code, name, person))
        return out
    finally:
        con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(workspace: str | Path, port: int | None = None, log: Path | None = None,
          start_timeout: float = 90.0):
    """``streamlit run app.py`` over ``workspace`` on 127.0.0.1; yields the base URL and
    stops the server (its process only) on exit."""
    port = port or free_port()
    env = {**os.environ, "CBEC_WORKSPACE": str(Path(workspace).resolve()),
           "CBEC_APP_TIMING": "1"}
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(streamlit_command(port), env=env, stdout=out,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode} (log: {log})")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {url} in {start_timeout} s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


@dataclass
class Walk:
    """One browser session over the served app, recording what the checks assert on."""

    page: object
    shots: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    drawn_pixels: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    server_log: Path | None = None  # serve()'s log: the app's own run times are read from it
    server_s: dict[str, float] = field(default_factory=dict)  # script run time per step
    requested: set[str] = field(default_factory=set)  # file names the browser asked for

    @classmethod
    @contextmanager
    def open(cls, shots: Path | None = None, width: int = 1500, height: int = 1100):
        from playwright.sync_api import sync_playwright

        with tempfile.TemporaryDirectory(prefix="cbec-chromium-") as profile, \
                sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": width, "height": height})
            try:
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                walk = cls(page, shots)
                page.on("console", walk._console)
                page.on("pageerror", lambda exc: walk.console_errors.append(f"pageerror: {exc}"))
                ctx.on("request", walk._request)
                yield walk
            finally:
                ctx.close()

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def _request(self, req) -> None:
        u = urlparse(req.url)
        if u.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
            return
        self.requested.add(u.path.rsplit("/", 1)[-1])
        if u.hostname not in LOCAL_HOSTS:
            self.outside_requests.append(req.url)

    # -- waiting -------------------------------------------------------------------------
    def idle(self, timeout: float = 60.0) -> None:
        """Wait until the app's script run has finished (no 'running' status shown)."""
        p = self.page
        p.wait_for_timeout(60)
        p.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                            " && !document.querySelector('[data-testid=\"stSpinner\"]')",
                            timeout=timeout * 1000, polling=50)

    def timed(self, name: str, action, until, timeout: float = 60.0) -> float:
        """Run ``action``, wait for ``until()`` (the result on screen) and the run's end;
        record and return the seconds."""
        mark = self.server_log.stat().st_size if self.server_log else 0
        t0 = time.perf_counter()
        action()
        until(timeout)
        self.idle(timeout)
        self.timings[name] = dt = time.perf_counter() - t0
        if self.server_log:
            with open(self.server_log, "rb") as f:
                f.seek(mark)
                runs = [float(line.split()[1]) for line in f.read().decode(errors="replace")
                        .splitlines() if line.startswith("cbec-app-timing ")]
            self.server_s[name] = sum(runs)
        return dt

    def enabled(self, button: str):
        """Wait for ``button`` to be enabled: the rerun that enables it has drawn (waiting
        for the run's end alone may return before that run has started)."""
        return lambda t: self.page.wait_for_function(
            "(name) => [...document.querySelectorAll('button')].some("
            "b => b.innerText.trim() === name && !b.disabled)", arg=button,
            timeout=t * 1000, polling=50)

    def text(self, text: str):
        return lambda t: self.page.get_by_text(text).first.wait_for(timeout=t * 1000)

    def network_frame(self):
        """The frame of a network drawing not measured yet (a rerun that draws again
        replaces the frame's document, which loses the mark :meth:`drawn` leaves)."""
        for f in self.page.frames:
            try:
                if f.evaluate("() => !!document.querySelector('#mynetwork') "
                              "&& !window.__cbecSeen"):
                    return f
            except Exception:  # noqa: BLE001 - frames come and go during reruns
                continue
        return None

    def drawn(self, name: str, timeout: float = 60.0) -> int:
        """Wait for the network canvas to hold a drawing; record its non-blank pixels."""
        deadline = time.monotonic() + timeout
        n = 0
        frames = self.page.locator("iframe")
        if frames.count():  # Chromium does not paint a frame scrolled out of view
            frames.last.scroll_into_view_if_needed()
        while time.monotonic() < deadline:
            f = self.network_frame()
            if f is not None:
                try:
                    n = f.evaluate(_DRAWN_PIXELS)
                except Exception:  # noqa: BLE001 - the frame was replaced by a rerun
                    n = 0
                if n > 200:
                    f.evaluate("() => { window.__cbecSeen = true; }")
                    break
            self.page.wait_for_timeout(50)
        self.drawn_pixels[name] = n
        return n

    def shot(self, name: str) -> None:
        if self.shots is not None:
            try:  # charts draw after the run ends: wait for each to have its canvas or svg
                self.page.wait_for_function(
                    "() => [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]')]"
                    ".every(c => c.querySelector('canvas, svg'))", timeout=15_000)
            except Exception:  # noqa: BLE001 - a screenshot with a chart still drawing
                pass
            self.shots.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    # -- the walk ------------------------------------------------------------------------
    def nav(self, title: str, expect: str, ready: str | None = None) -> float:
        """Open a page from the sidebar: done when ``expect`` is shown and, if given, the
        widget labelled ``ready`` is drawn (its code may come after the page's text)."""
        link = self.page.get_by_role("link", name=title).first

        def until(t: float) -> None:
            self.text(expect)(t)
            if ready:
                self.page.get_by_label(ready).first.wait_for(timeout=t * 1000)
        return self.timed(f"open {title}", link.click, until)

    def new_tab(self, url: str) -> float:
        """Open the app in a second tab of the same browser, as an investigator coming back
        to it does: the front end's code comes from the browser's cache."""
        main, self.page = self.page, self.page.context.new_page()
        try:
            return self.timed("open the app in a new tab", lambda: self.page.goto(url),
                              lambda t: self._rings_shown(t))
        finally:
            self.page.close()
            self.page = main

    def _rings_shown(self, timeout: float) -> None:
        p = self.page
        p.get_by_text("No rings have been scored").or_(p.get_by_text("Rings shown")).first \
            .wait_for(timeout=timeout * 1000)

    def fill(self, label: str, value: str) -> None:
        box = self.page.get_by_label(label).first
        box.fill(value)
        box.press("Enter")

    def run(self, url: str, search: str, path_to: str, *, expand: bool = True) -> None:
        """The investigator's walk: first load, explorer (search, draw, expand, path),
        rings (a ring card when rings exist), profile, statistics, data quality, query."""
        p = self.page
        t0 = time.perf_counter()
        p.goto(url)
        no_rings = p.get_by_text("No rings have been scored")
        # the first load after start opens the store and builds its index: minutes at 1M
        # declarations on a busy machine
        failed = p.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
        no_rings.or_(p.get_by_text("Rings shown")).or_(failed).first.wait_for(timeout=900_000)
        if failed.count():
            raise RuntimeError(f"the app failed to open: {failed.first.inner_text()[:500]}")
        self.idle(180)
        self.timings["open the app"] = time.perf_counter() - t0
        self.shot("rings")
        if no_rings.count():
            self.notes.append("no rings scored in this workspace: ring card not opened")
        else:
            self.timed("open a ring card", lambda: self._pick_first("Ring card"),
                       lambda t: self.drawn("ring", t))
            self.shot("ring-card")

        self.nav("Network explorer", "Search an entity above", ready="Search an entity")
        self.timed("search an entity", lambda: self.fill("Search an entity", search),
                   self.text("matches"))
        self.timed("draw its neighbourhood",
                   lambda: p.get_by_role("button", name="Draw neighbourhood").click(),
                   lambda t: self.drawn("neighbourhood", t))
        self.shot("explorer")
        if expand:
            self.timed("pick a node to expand", lambda: self._pick("Nodes to expand", -1),
                       self.enabled("Expand"))
            self.timed("expand it by 1 hop",
                       lambda: p.get_by_role("button", name="Expand", exact=True).click(),
                       self._expanded)
        self.timed("search the path's end", lambda: self.fill("To (search any entity)",
                                                              path_to),
                   self.enabled("Find path"))
        self.timed("draw the shortest path",
                   lambda: p.get_by_role("button", name="Find path").click(),
                   lambda t: p.get_by_text("Path of", exact=False).first.wait_for(
                       timeout=t * 1000))
        self.drawn("path")
        self.shot("explorer-path")

        self.nav("Entity profile", "Resolved aliases")
        self.shot("profile")
        countries = p.get_by_text("Countries (destination for exports")
        if countries.count():  # the world map, below the fold
            countries.first.scroll_into_view_if_needed()
            self.shot("profile-map")
        self.nav("Statistics", "Indicator hits")
        self.shot("statistics")
        self.nav("Data quality", "Three-list failure rates")
        self.shot("data-quality")
        self.nav("Query", "Runs in a read-only connection")
        self.timed("run a Cypher query", lambda: p.get_by_role("button", name="Run",
                                                               exact=True).click(),
                   self.text("rows in"))
        self.drawn("query")
        self.shot("query")
        self.new_tab(url)  # last: the first tab has fetched what it fetches ahead by now

    def _pick_first(self, label: str) -> None:
        self._pick(label, 0)

    def _pick(self, label: str, index: int) -> None:
        """Open a select/multiselect by its label and choose its option ``index`` (-1: the
        last one: in the explorer, a node far from the searched one, whose expansion adds
        nodes)."""
        box = self.page.get_by_label(label).first
        box.click()
        options = self.page.get_by_role("option")
        options.first.wait_for()
        if index == 0:  # a click: Enter on a list whose first option is not highlighted
            options.first.click()  # yet (a busy browser) chose nothing
        else:
            n = options.count()
            for _ in range(n - 1 if index == -1 else index):
                self.page.keyboard.press("ArrowDown")
            self.page.keyboard.press("Enter")
        if self.page.get_by_role("option").count():  # a multiselect stays open
            self.page.keyboard.press("Escape")

    def _expanded(self, timeout: float) -> None:
        """The expansion's message, then the new drawing when it added nodes."""
        import re

        msg = self.page.get_by_text("new nodes drawn").first
        msg.wait_for(timeout=timeout * 1000)
        added = int(re.search(r"([\d,]+) new nodes", msg.inner_text()).group(1)
                    .replace(",", ""))
        if added:
            self.drawn("expanded", timeout)
        else:
            self.notes.append("the expansion added no node (all already drawn)")
