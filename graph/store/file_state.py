"""What another process did to an embedded (Ladybug) graph file, seen from outside it.

A writer holds a POSIX write lock on the file and keeps its write-ahead log (``.wal``)
beside it until it closes; a reader takes no lock. So:

- :func:`stamp` changes whenever a writer has written (the file after a checkpoint, the
  log before): a reader opened under an older stamp does not see it (or, after a
  checkpoint, cannot read the pages rewritten under it) and must reopen;
- :func:`writer_pid` says whether a writer is at work now. A write-ahead log with no lock
  holder is what a killed writer (a crashed ``cbec load``) leaves: :func:`left_by_crash`.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["stamp", "writer_pid", "writer_present", "left_by_crash", "WRITER_FILES"]

# what a writer keeps beside the file while it has it open (a checkpoint adds the last two)
WRITER_FILES = (".wal", ".shadow", ".checkpoint.intent.lock")
_LOCKS = Path("/proc/locks")


def _stat(p: Path) -> tuple[int, int] | None:
    try:
        s = p.stat()
    except FileNotFoundError:
        return None
    return s.st_mtime_ns, s.st_size


def stamp(path: str | Path) -> tuple | None:
    """(mtime, size) of the graph file and of its write-ahead log, or None when there is no
    graph file: equal stamps, same data."""
    p = Path(path)
    main = _stat(p)
    if main is None:
        return None
    return main + (_stat(p.with_name(p.name + ".wal")) or ())


def _leftovers(p: Path) -> list[Path]:
    return [f for f in (p.with_name(p.name + ext) for ext in WRITER_FILES) if f.exists()]


def writer_pid(path: str | Path) -> int | None:
    """The process holding the graph file's write lock (a load writing it), or None.

    Read from the kernel's lock table (``/proc/locks``), which loses a lock with the process
    that held it: a dead writer's lock is never reported. Where that table cannot be read
    (not Linux), the writer's files beside the graph count as a writer at work (pid -1)."""
    p = Path(path)
    try:
        s = p.stat()
    except FileNotFoundError:
        return None
    try:
        table = _LOCKS.read_text()
    except OSError:
        return -1 if _leftovers(p) else None
    dev = f"{os.major(s.st_dev):02x}:{os.minor(s.st_dev):02x}:{s.st_ino}"
    for line in table.splitlines():
        f = line.replace("->", " ").split()
        # "44: POSIX  ADVISORY  WRITE 853 fe:00:10273000 0 EOF"
        if len(f) >= 6 and f[3] == "WRITE" and f[5] == dev:
            return int(f[4])
    return None


def writer_present(path: str | Path) -> bool:
    return writer_pid(path) is not None


def left_by_crash(path: str | Path) -> list[Path]:
    """A writer's files beside the graph when no process holds its lock: a writer was
    killed before it closed (its committed writes are in the log: the next writer, or a
    reader, replays them)."""
    p = Path(path)
    leftovers = _leftovers(p)
    return leftovers if leftovers and not writer_present(p) else []
