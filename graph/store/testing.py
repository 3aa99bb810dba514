"""Test helpers for the stores: a fake query runner that records Cypher and returns scripted rows.

The Neo4j store talks to the server only through a runner (``run``/``run_df``/``close``), so
its Cypher is unit-tested by recording what it sends, with no server.

Examples
--------
>>> fake = FakeRunner()
>>> fake.respond("RETURN 1", [{"x": 1}])
>>> fake.run("RETURN 1 AS x")
[{'x': 1}]
>>> fake.calls[0].query
'RETURN 1 AS x'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Call", "FakeRunner", "ReplayRunner", "record_answers"]

Rows = list[dict[str, Any]]
Responder = Rows | Callable[[str, dict[str, Any]], Rows] | Exception


@dataclass
class Call:
    """One recorded statement."""

    query: str
    params: dict[str, Any]
    read: bool
    timeout: float | None = None  # seconds, where the store bounds the statement


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    response: Responder
    times: int | None  # None: every match


@dataclass
class FakeRunner:
    """Records ``(query, params)`` and answers from rules registered with :meth:`respond`.

    Unmatched queries return no rows. The first matching rule that has uses left answers.
    """

    database: str | None = "neo4j"
    calls: list[Call] = field(default_factory=list)
    closed: bool = False
    _rules: list[_Rule] = field(default_factory=list)

    def respond(self, pattern: str, response: Responder, *, times: int | None = None,
                regex: bool = False) -> None:
        """Answer queries containing ``pattern`` (or matching it, with ``regex=True``).

        ``response`` is a list of rows, a callable ``(query, params) -> rows``, or an exception
        to raise. ``times`` limits how often the rule answers.
        """
        compiled = re.compile(pattern if regex else re.escape(pattern))
        self._rules.append(_Rule(compiled, response, times))

    def run(self, query: str, params: dict[str, Any] | None = None, *,
            read: bool = False, timeout: float | None = None) -> Rows:
        """Record the statement and return the scripted rows."""
        params = dict(params or {})
        self.calls.append(Call(query, params, read, timeout))
        for rule in self._rules:
            if rule.times == 0 or not rule.pattern.search(query):
                continue
            if rule.times is not None:
                rule.times -= 1
            if isinstance(rule.response, Exception):
                raise rule.response
            if callable(rule.response):
                return rule.response(query, params)
            return [dict(r) for r in rule.response]
        return []

    def run_df(self, query: str, params: dict[str, Any] | None = None, *, read: bool = True):
        """Like :meth:`run`, as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.run(query, params, read=read))

    def close(self) -> None:
        self.closed = True

    @property
    def queries(self) -> list[str]:
        """The query texts, in order."""
        return [c.query for c in self.calls]

    def matching(self, pattern: str) -> list[Call]:
        """The recorded calls whose query contains ``pattern``."""
        return [c for c in self.calls if pattern in c.query]


class ReplayRunner(FakeRunner):
    """Answers the i-th statement with ``answers[i]`` (then no rows), recording as it goes.

    The query API is code shared by the stores, so rows recorded from one store's calls can
    drive another store through the same path: this is how the Neo4j store's reads are
    exercised on realistic rows without a server.
    """

    def __init__(self, answers: list[Rows], database: str | None = "replay") -> None:
        super().__init__(database=database)
        self.answers = [list(rows) for rows in answers]

    def run(self, query: str, params: dict[str, Any] | None = None, *,
            read: bool = False, timeout: float | None = None) -> Rows:
        super().run(query, params, read=read, timeout=timeout)
        return [dict(r) for r in self.answers.pop(0)] if self.answers else []


def record_answers(store) -> list[list[dict]]:
    """Make ``store`` append every result of its ``_run`` hook to the returned list: the
    answers a :class:`ReplayRunner` then replays to another store, statement by statement."""
    answers: list[list[dict]] = []
    inner = store._run

    def recording(query, params):
        rows = inner(query, params)
        answers.append(rows)
        return rows

    store._run = recording
    return answers
