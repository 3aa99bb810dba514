"""One query runner over the official ``neo4j`` driver: every Cypher statement goes through it.

The runner wraps ``Driver.execute_query`` (neo4j 6.x), turns records into plain Python dicts
(or a DataFrame) with driver types converted to native ones, and re-raises failures as
:class:`Neo4jQueryError`, which names the failing query (truncated) and the *keys* of its
parameters, never their values: parameters carry customs data (names, phones, ID numbers).

Tests fake this runner (``graph.store.testing.FakeRunner``), not the driver.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from graph.store.cypher_base import GraphQueryError

if TYPE_CHECKING:  # the driver is imported where a connection is made, not at import time
    import neo4j
    import pandas as pd

__all__ = ["Neo4jQueryError", "QueryRunner", "to_python", "query_excerpt"]

_EXCERPT = 200  # characters of query text shown in an error


def query_excerpt(query: str, limit: int = _EXCERPT) -> str:
    """The query on one line, cut to ``limit`` characters, for error messages."""
    flat = " ".join(query.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class Neo4jQueryError(GraphQueryError):
    """A Cypher statement failed. Carries the query excerpt, parameter keys and server code.

    A :class:`GraphQueryError`, so ``CypherStore.query`` passes it on unchanged.

    Parameters
    ----------
    reason
        What went wrong (the server's code and message, or the driver's).
    query
        The full query text; the message shows an excerpt.
    params
        The parameters; only their keys are kept.
    hint
        What to check next, if there is a useful suggestion.
    """

    def __init__(self, reason: str, query: str, params: dict[str, Any] | None,
                 hint: str = "", code: str | None = None) -> None:
        self.query = query
        self.param_keys = sorted(params or {})
        self.code = code
        msg = (f"Neo4j query failed: {reason}\n  query: {query_excerpt(query)}\n"
               f"  parameter keys: {self.param_keys}")
        if hint:
            msg += f"\n  next: {hint}"
        super().__init__(msg)


_PLAIN = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime})


def to_python(value: Any) -> Any:
    """Convert driver values to plain Python: ``neo4j.time`` types to ``datetime``/``date``,
    nodes and relationships to their property dicts, paths to lists; recursively.

    Examples
    --------
    >>> import neo4j.time
    >>> t = neo4j.time.DateTime(2024, 5, 1, 12, 30)
    >>> to_python({"t": t, "xs": [neo4j.time.Date(2024, 5, 1)]})
    {'t': datetime.datetime(2024, 5, 1, 12, 30), 'xs': [datetime.date(2024, 5, 1)]}
    """
    # Exact-type fast paths first: a neighbourhood's rows hold tens of thousands of plain
    # values, and the isinstance chain below cost 40 % of its client time.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list:
        return [v if type(v) in _PLAIN else to_python(v) for v in value]
    if kind is dict:
        return {k: v if type(v) in _PLAIN else to_python(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool | dt.date | dt.datetime):
        return value
    import neo4j.graph
    import neo4j.time

    # before the tuple check: neo4j.time.Duration is a tuple
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time):
        return value.to_native()
    if isinstance(value, neo4j.time.Duration):
        # months have no fixed length; a duration with months is kept as the driver's type
        return value if value.months else dt.timedelta(days=value.days, seconds=value.seconds,
                                                       microseconds=value.nanoseconds // 1000)
    if isinstance(value, list | tuple):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, neo4j.graph.Node | neo4j.graph.Relationship):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, neo4j.graph.Path):
        return [to_python(n) for n in value.nodes]
    return value


def _classify(exc: Exception) -> tuple[str, str, str | None]:
    """(reason, hint, code) for a driver or server exception."""
    import neo4j.exceptions as ne

    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc)
    reason = f"{code}: {message}" if code else f"{type(exc).__name__}: {message}"
    if isinstance(exc, ne.AuthError):
        return reason, "check NEO4J_USER and NEO4J_PASSWORD", code
    if isinstance(exc, ne.ServiceUnavailable | ne.SessionExpired):
        return reason, "check that the server in NEO4J_URI is running and reachable", code
    if code and "DatabaseNotFound" in code:
        return reason, "check NEO4J_DATABASE (SHOW DATABASES lists them)", code
    if isinstance(exc, ne.CypherSyntaxError):
        return reason, "this is a bug in the generated Cypher: please report it", code
    return reason, "", code


class QueryRunner:
    """Runs Cypher through ``driver.execute_query`` against one database.

    Parameters
    ----------
    driver
        A ``neo4j.Driver``; the runner closes it in :meth:`close`.
    database
        The database name (``NEO4J_DATABASE``); ``None`` lets the server pick its default,
        which costs a round trip per transaction.
    """

    def __init__(self, driver: neo4j.Driver, database: str | None = None) -> None:
        self.driver = driver
        self.database = database

    def run(self, query: str, params: dict[str, Any] | None = None, *,
            read: bool = False, timeout: float | None = None) -> list[dict[str, Any]]:
        """Run one statement in its own transaction; rows as dicts of native values.

        ``read=True`` routes to a reader in a cluster; ``timeout`` (seconds) makes the
        server abort the transaction after that long. Raises :class:`Neo4jQueryError`.
        """
        records, keys = self._execute(query, params, read, timeout)
        return [{k: to_python(r[k]) for k in keys} for r in records]

    def run_df(self, query: str, params: dict[str, Any] | None = None, *,
               read: bool = True) -> pd.DataFrame:
        """Like :meth:`run`, as a DataFrame whose columns are the query's return keys."""
        import pandas as pd

        records, keys = self._execute(query, params, read)
        return pd.DataFrame([[to_python(r[k]) for k in keys] for r in records], columns=keys)

    def _execute(self, query: str, params: dict[str, Any] | None, read: bool,
                 timeout: float | None = None) -> tuple[list[Any], list[str]]:
        import neo4j

        routing = neo4j.RoutingControl.READ if read else neo4j.RoutingControl.WRITE
        statement = neo4j.Query(query, timeout=timeout) if timeout else query
        try:
            records, _summary, keys = self.driver.execute_query(
                statement, parameters_=params or {}, routing_=routing,
                database_=self.database)
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
            reason, hint, code = _classify(exc)
            raise Neo4jQueryError(reason, query, params, hint, code) from exc
        return records, list(keys)

    def close(self) -> None:
        """Close the driver and its connection pool."""
        self.driver.close()
