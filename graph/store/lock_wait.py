"""Opening a database file another process holds: DuckDB (staging) and Ladybug (the graph)
refuse a writer while another process has the file, with an error naming a lock. Both the
loader and the app's case store wait for such a lock to go rather than fail at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["open_when_unlocked"]

T = TypeVar("T")


def open_when_unlocked(open_: Callable[[], T], errors: type[BaseException] | tuple,
                       wait_s: float, on_wait: Callable[[], None] | None = None,
                       poll_s: float = 0.2) -> T:
    """``open_()``, retried every ``poll_s`` while it raises one of ``errors`` whose message
    names a lock, for up to ``wait_s``; ``on_wait`` is called once, at the first wait. Any
    other error, and the lock error once the time is up, is raised as it came."""
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            return open_()
        except errors as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            if on_wait and not told:
                on_wait()
                told = True
            time.sleep(poll_s)
