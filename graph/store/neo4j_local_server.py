"""A local Neo4j 5.26 Community server for tests, benchmarks and trying the Neo4j store.

No Docker and no install: ``neo4j-test-server/pom.xml`` pins the server's jars, which Maven
fetches from Maven Central into ``neo4j-test-server/target/lib`` (cached in ``~/.m2``; never
committed), and ``Launcher.java`` starts the server in one JVM with Bolt on 127.0.0.1, a
bounded heap and page cache, and a password set at start. Used by

- ``make neo4j`` / ``make neo4j-stop`` (``python -m graph.store.neo4j_local_server start|stop``):
  one long-lived server whose ``NEO4J_*`` settings are printed and kept in
  ``.neo4j-local/env``;
- the tests' session fixture (``tests/conftest.py``): one throwaway server per test worker, in a
  temporary folder, that dies with the worker.

This module only runs processes; it holds no Cypher.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LocalNeo4j", "LocalServerError", "SERVER_DIR", "NEO4J_VERSION", "prepare",
           "tools_missing", "jars_ready", "start", "free_port"]

SERVER_DIR = Path(__file__).resolve().parents[2] / "neo4j-test-server"
LIB_DIR = SERVER_DIR / "target" / "lib"
CLASSES_DIR = SERVER_DIR / "target" / "classes"
STATE_DIR = Path(__file__).resolve().parents[2] / ".neo4j-local"  # make neo4j's server
NEO4J_VERSION = "5.26.30"  # keep in step with neo4j.version in neo4j-test-server/pom.xml
READY = "NEO4J READY "
USER = "neo4j"
# Neo4j's own launcher passes these: its page cache and Netty reach into java.nio otherwise
# refused on Java 17 (a warning and a slower fallback without them).
_JVM_OPENS = ["--add-opens=java.base/java.nio=ALL-UNNAMED",
              "--add-opens=java.base/java.lang=ALL-UNNAMED",
              "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
              "-Dio.netty.tryReflectionSetAccessible=true",
              "-XX:+UnlockDiagnosticVMOptions", "-XX:+DebugNonSafepoints"]


class LocalServerError(RuntimeError):
    """The local server could not be prepared or started; the message says what to do."""


def tools_missing() -> list[str]:
    """The tools the local server needs (``java``, ``javac``, ``mvn``) that are not on PATH."""
    return [t for t in ("java", "javac", "mvn") if shutil.which(t) is None]


def jars_ready() -> bool:
    """Whether the server's jars and the compiled launcher are in place (no network needed)."""
    return ((LIB_DIR / f"neo4j-{NEO4J_VERSION}.jar").exists()
            and (CLASSES_DIR / "Launcher.class").exists()
            and (CLASSES_DIR / "Launcher.class").stat().st_mtime
            >= (SERVER_DIR / "Launcher.java").stat().st_mtime)


def prepare(*, log: Callable[[str], None] = print) -> float:
    """Fetch the jars (Maven; cached in ``~/.m2``) and compile the launcher if needed.

    Returns the seconds it took (0 when all was in place).
    """
    if jars_ready():
        return 0.0
    missing = tools_missing()
    if missing:
        raise LocalServerError(f"the local Neo4j server needs {', '.join(missing)} on PATH "
                               f"(Java 17 JDK and Maven); install them, or set NEO4J_URI to "
                               f"a server you run yourself")
    started = time.monotonic()
    if not (LIB_DIR / f"neo4j-{NEO4J_VERSION}.jar").exists():
        log(f"fetching Neo4j {NEO4J_VERSION} jars with Maven (first time: a few minutes; "
            f"cached in ~/.m2) ...")
        _run(["mvn", "-B", "-q", "-f", str(SERVER_DIR / "pom.xml"),
              "dependency:copy-dependencies"], "fetching the Neo4j jars with Maven")
    CLASSES_DIR.mkdir(parents=True, exist_ok=True)
    _run(["javac", "-cp", str(LIB_DIR / "*"), "-d", str(CLASSES_DIR),
          str(SERVER_DIR / "Launcher.java")], "compiling neo4j-test-server/Launcher.java")
    return time.monotonic() - started


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        raise LocalServerError(f"{what} failed (exit {done.returncode}):\n{tail}\n"
                               f"  next: check that Maven Central is reachable, then rerun "
                               f"`make neo4j-jars`")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalNeo4j:
    """A started local server: its settings, and :meth:`stop`."""

    uri: str
    password: str
    data_dir: Path
    process: subprocess.Popen | None = field(repr=False, default=None)
    pid: int | None = None
    started_s: float = 0.0  # seconds from launch to a verified connection

    @property
    def env(self) -> dict[str, str]:
        """The ``NEO4J_*`` settings that point the platform at this server."""
        return {"NEO4J_URI": self.uri, "NEO4J_USER": USER, "NEO4J_PASSWORD": self.password,
                "NEO4J_DATABASE": "neo4j"}

    def stop(self, timeout: float = 60.0) -> None:
        """Shut the server down cleanly (SIGTERM runs its shutdown hook); kill it if it hangs."""
        pid = self.process.pid if self.process else self.pid
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def start(data_dir: Path, *, port: int | None = None, password: str | None = None,
          heap: str = "1g", page_cache_mb: int = 256, tied_to_parent: bool = True,
          log_file: Path | None = None, timeout: float = 300.0,
          log: Callable[[str], None] = print) -> LocalNeo4j:
    """Start a server on ``data_dir`` and return once the driver's ``verify_connectivity()``
    passes. ``tied_to_parent``: the server exits when this process does (stdin pipe).

    Raises :class:`LocalServerError` with the server's last output when it does not come up.
    """
    prepare(log=log)
    port = port or free_port()
    password = password or secrets.token_urlsafe(18)
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_file or data_dir / "launcher.log"
    cmd = ["java", f"-Xmx{heap}", "-Xms128m", "-XX:+ExitOnOutOfMemoryError", *_JVM_OPENS,
           "-cp", f"{CLASSES_DIR}{os.pathsep}{LIB_DIR / '*'}", "Launcher", str(data_dir),
           str(port), str(page_cache_mb)]
    if tied_to_parent:
        cmd.append("--watch-stdin")
    began = time.monotonic()
    out = open(log_file, "w")  # noqa: SIM115 - the server writes here after we return
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if tied_to_parent else subprocess.DEVNULL,
                            stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, "NEO4J_PASSWORD": password},
                            start_new_session=not tied_to_parent)
    out.close()
    server = LocalNeo4j(f"bolt://127.0.0.1:{port}", password, data_dir, proc, proc.pid)
    try:
        _wait_ready(proc, log_file, timeout)
        _verify(server, deadline=began + timeout)
    except BaseException:
        server.stop(timeout=30)
        raise
    server.started_s = time.monotonic() - began
    return server


def _wait_ready(proc: subprocess.Popen, log_file: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_file.read_text(errors="replace")
        if READY in text:
            return
        if proc.poll() is not None:
            raise LocalServerError(f"the local Neo4j server exited with code {proc.returncode} "
                                   f"before it was ready:\n{_tail(text)}")
        time.sleep(0.25)
    raise LocalServerError(f"the local Neo4j server was not ready within {timeout:.0f} s "
                           f"(a loaded machine starts it slowly):\n{_tail(log_file.read_text())}")


def _verify(server: LocalNeo4j, deadline: float) -> None:
    """Connect as the platform will; a few tries while Bolt finishes coming up."""
    import neo4j

    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with neo4j.GraphDatabase.driver(server.uri, auth=(USER, server.password),
                                            connection_timeout=5) as driver:
                driver.verify_connectivity()
            return
        except Exception as exc:  # noqa: BLE001 - retried, then reported
            last = exc
            time.sleep(0.5)
    raise LocalServerError(f"the local Neo4j server printed its ready line but "
                           f"verify_connectivity() failed: {last}")


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# -- `make neo4j` / `make neo4j-stop`: one long-lived server, its settings in .neo4j-local/ ----
def _cli_start() -> int:
    env_file = STATE_DIR / "env"
    if env_file.exists():
        pid = int((STATE_DIR / "pid").read_text())
        if _alive(pid):
            print(f"a local Neo4j server is already running (pid {pid}); its settings:\n")
            print(env_file.read_text())
            return 0
    port = int(os.environ.get("NEO4J_LOCAL_PORT", "7687"))
    heap = os.environ.get("NEO4J_LOCAL_HEAP", "1g")
    page_cache = int(os.environ.get("NEO4J_LOCAL_PAGECACHE_MB", "512"))
    STATE_DIR.mkdir(exist_ok=True)
    print(f"starting Neo4j {NEO4J_VERSION} on 127.0.0.1:{port} (heap {heap}, page cache "
          f"{page_cache} MiB, data in {STATE_DIR / 'data'}) ...", flush=True)
    server = start(STATE_DIR / "data", port=port, heap=heap, page_cache_mb=page_cache,
                   tied_to_parent=False, log_file=STATE_DIR / "server.log",
                   password=_kept_password())
    (STATE_DIR / "pid").write_text(str(server.pid))
    settings = "".join(f"export {k}={v}\n" for k, v in server.env.items())
    env_file.write_text(settings)
    env_file.chmod(0o600)
    print(f"ready in {server.started_s:.0f} s. Point the platform at it:\n")
    print(settings)
    print(f"(also in {env_file}: `. .neo4j-local/env`; stop it with `make neo4j-stop`)")
    return 0


def _kept_password() -> str:
    """The password a previous start set on this data folder (the user keeps it)."""
    kept = STATE_DIR / "password"
    if not kept.exists():
        kept.write_text(secrets.token_urlsafe(18))
        kept.chmod(0o600)
    return kept.read_text().strip()


def _cli_stop() -> int:
    pid_file = STATE_DIR / "pid"
    if not pid_file.exists() or not _alive(int(pid_file.read_text())):
        print("no local Neo4j server is running")
        pid_file.unlink(missing_ok=True)
        (STATE_DIR / "env").unlink(missing_ok=True)
        return 0
    pid = int(pid_file.read_text())
    LocalNeo4j("", "", STATE_DIR / "data", pid=pid).stop()
    pid_file.unlink()
    (STATE_DIR / "env").unlink(missing_ok=True)
    print(f"stopped the local Neo4j server (pid {pid}); its data stays in {STATE_DIR / 'data'}")
    return 0


def main(argv: list[str]) -> int:
    commands = {"start": _cli_start, "stop": _cli_stop,
                "prepare": lambda: print(f"jars and launcher ready ({prepare():.0f} s)") or 0}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python -m graph.store.neo4j_local_server start|stop|prepare")
        return 2
    try:
        return commands[argv[0]]()
    except LocalServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
