"""The app's case store on the embedded backend: read-only, writable only while it writes.

Ladybug lets one process write a database while others read it, and refuses a second
writer outright. An app holding the workspace open for writing would therefore make every
`cbec load` fail for as long as the app runs. :class:`ShortWriteStore` reads through a
read-only store and opens the writable one only for a write (or a block of writes under
:meth:`writing`), closing it right after, so a load is shut out only while a page writes:
a case change, or the audit record of a case view. A load started in that instant gets
Ladybug's lock error and can simply be run again (loads are idempotent); a page that finds
a load writing waits up to ``wait_s`` and then says so (:class:`WorkspaceBusy`).

Neo4j needs none of this: its server serialises writers itself.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph.store.file_state import stamp

__all__ = ["ShortWriteStore", "WorkspaceBusy"]

_WRITES = frozenset({"write_nodes", "write_edges", "delete_nodes", "ensure_schema"})


class WorkspaceBusy(RuntimeError):
    """Another process (a `cbec load`) is writing the embedded store."""


class ShortWriteStore:
    """A :class:`~graph.store.ladybug_store.LadybugStore` look-alike for the app: reads go
    to a read-only store, each write to a writable one opened for it. All calls are
    serialised (the app's sessions are threads of one process)."""

    def __init__(self, path: str | Path, *, wait_s: float = 10.0, **kw: Any) -> None:
        from graph.store.ladybug_store import LadybugStore

        self.path, self.wait_s, self._kw = Path(path), wait_s, kw
        self._lock = threading.RLock()
        self._writer: LadybugStore | None = None
        try:  # a new workspace, or one from before a label was added: tables made once
            with self.writing() as w:
                w.ensure_schema()
        except WorkspaceBusy:
            pass  # a load is writing: it makes every table of the schema itself
        self._seen = stamp(self.path)  # what the reader sees: taken before it opens
        self._reader = LadybugStore(self.path, read_only=True, **kw)
        self._stale = False
        self.reopens = 0  # how often the reader was opened again (tests count them)
        self.schema = self._reader.schema

    def _open_writer(self):
        from graph.store.ladybug_store import LadybugStore
        from graph.store.lock_wait import open_when_unlocked

        try:
            return open_when_unlocked(lambda: LadybugStore(self.path, **self._kw),
                                      RuntimeError, self.wait_s)
        except RuntimeError as exc:
            if "lock" not in str(exc).lower():
                raise
            raise WorkspaceBusy(
                f"another process (a `cbec load`?) is writing {self.path}; this "
                f"change was not saved: try again when it has finished") from None

    @contextmanager
    def writing(self):
        """Hold the writable store for a block of writes (and the reads among them)."""
        with self._lock:
            if self._writer is not None:  # nested: the outer block closes it
                yield self._writer
                return
            self._writer = self._open_writer()
            try:
                yield self._writer
            finally:
                self._writer.close()
                self._writer = None
                self._stale = True  # the reader must reopen to see what was written

    def refresh(self) -> None:
        """See what other processes wrote (a load) since the reader opened: the reader is
        opened again at the next read if the graph's stamp has changed (the app calls this
        at each page run; reopening costs far more than the two ``stat`` calls)."""
        with self._lock:
            if stamp(self.path) != self._seen:
                self._stale = True

    def _current_reader(self):
        if self._stale:
            self._seen = stamp(self.path)
            self._reader.reopen()
            self._stale = False
            self.reopens += 1
        return self._reader

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _WRITES:
            def write(*args, **kw):
                with self.writing() as w:
                    return getattr(w, name)(*args, **kw)
            return write
        attr = getattr(self._reader, name)
        if not callable(attr):
            return attr

        def read(*args, **kw):
            with self._lock:
                target = self._writer or self._current_reader()
                return getattr(target, name)(*args, **kw)
        return read

    def close(self) -> None:
        with self._lock:
            self._reader.close()

    def __repr__(self) -> str:
        return f"ShortWriteStore({str(self.path)!r})"
