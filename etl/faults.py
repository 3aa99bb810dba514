"""Fault injection for the crash tests: die by SIGKILL at a named point of a load.

``CBEC_CRASH_AT=push:SOLD_BY cbec load ...`` kills the load right there, with no cleanup,
so a test can check that running the load again ends where an uninterrupted one does.
"""

from __future__ import annotations

import os
import signal

__all__ = ["crash_point"]


def crash_point(name: str) -> None:
    """SIGKILL this process when the environment variable ``CBEC_CRASH_AT`` equals ``name``."""
    if os.environ.get("CBEC_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
