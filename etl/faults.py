"""Named crash points, so tests can kill a load at a chosen step and check that a rerun
ends in the same state as an uninterrupted load.

Set ``CBEC_CRASH_AT`` to a point's name (e.g. ``after_stage:orders``) and the process kills
itself with SIGKILL there: no ``finally``, no ``atexit``, no flush; like a power cut.
"""

from __future__ import annotations

import os
import signal

__all__ = ["crash_point", "ENV"]

ENV = "CBEC_CRASH_AT"


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL if ``CBEC_CRASH_AT`` equals ``name``; else do nothing.

    >>> crash_point("never-set-in-doctests")
    """
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
