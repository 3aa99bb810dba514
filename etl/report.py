"""What ``cbec load`` prints: reconciliation, quarantine reasons, checks, resolution, graph.

Pure rendering into rich tables; the numbers come from staging and the load's result.
"""

from __future__ import annotations

from rich.table import Table

__all__ = ["reconciliation_table", "quarantine_table", "checks_table", "resolution_table",
           "graph_table", "retraction_note"]

NUMS = ("rows_in", "inserted", "updated", "unchanged", "quarantined")


def _fold_by_table(rows: list[dict]) -> list[dict]:
    """Per-file reconciliation rows summed per table; ``source_file`` becomes a file count."""
    folded: dict[str, dict] = {}
    for r in rows:
        f = folded.setdefault(r["table_name"], {"table_name": r["table_name"], "files": 0,
                                                **dict.fromkeys(NUMS, 0)})
        f["files"] += 1
        for n in NUMS:
            f[n] += r[n]
    return [{**f, "source_file": f"{f['files']} file" + "s" * (f["files"] > 1)}
            for f in folded.values()]


def reconciliation_table(rows: list[dict], title: str, by_file: bool = False) -> Table:
    """Reconciliation with a total: one row per table, or per source file with ``by_file``.

    Every row must satisfy rows in = inserted + updated + unchanged + quarantined (the
    loader refuses a load where it does not); the ``ok`` column shows it per row.
    """
    shown = rows if by_file else _fold_by_table(rows)
    t = Table(title=title, title_justify="left")
    t.add_column("table")
    t.add_column("source file" if by_file else "files")
    for n in NUMS:
        t.add_column(n.replace("_", " "), justify="right")
    t.add_column("ok", justify="center")
    totals = dict.fromkeys(NUMS, 0)
    for r in shown:
        ok = r["rows_in"] == sum(r[n] for n in NUMS[1:])
        t.add_row(r["table_name"], str(r["source_file"]), *(f"{r[n]:,}" for n in NUMS),
                  "yes" if ok else "[red]NO[/]", style="yellow" if r["quarantined"] else None)
        for n in NUMS:
            totals[n] += r[n]
    t.add_section()
    t.add_row("total", f"{len(rows)} files", *(f"{totals[n]:,}" for n in NUMS), "",
              style="bold")
    return t


# Values quoted in reasons ('2025-13-45') vary row by row; grouping ignores them.
_QUOTED = r"'[^']*'"


def quarantine_table(con, load_id: str, limit: int = 12) -> Table | None:
    """Quarantined rows of one load grouped by file, field and kind of reason (quoted values
    ignored), most frequent first, with one example reason each; None if there are none."""
    rows = con.execute(
        "SELECT source_file, field, count(*) AS n, min(reason) AS example FROM quarantine "
        "WHERE load_id = ? GROUP BY source_file, field, regexp_replace(reason, ?, '?', 'g') "
        "ORDER BY n DESC, source_file, field LIMIT ?", [load_id, _QUOTED, limit]).fetchall()
    if not rows:
        return None
    t = Table(title=f"Quarantined rows, most frequent first (at most {limit} groups)",
              title_justify="left")
    for c in ("source file", "field", "rows", "example reason"):
        t.add_column(c, justify="right" if c == "rows" else "left", overflow="fold")
    for source_file, field, n, example in rows:
        t.add_row(source_file, field, f"{n:,}", example)
    return t


def checks_table(summary) -> Table:
    """The three-list summary DataFrame from ``etl.three_list.run_checks``."""
    t = Table(title="Three-list matching: results per check over the declarations checked",
              title_justify="left")
    for c in ("check", "title", "sev.", "pass", "fail", "risk", "n/a"):
        t.add_column(c, justify="right" if c in ("pass", "fail", "risk", "n/a") else "left")
    for r in summary.itertuples(index=False):
        t.add_row(r.check_id, r.title, r.severity, f"{r.n_pass:,}",
                  f"[red]{r.n_fail:,}[/]" if r.n_fail else "0",
                  f"[yellow]{r.n_risk:,}[/]" if r.n_risk else "0", f"{r.n_na:,}")
    return t


def resolution_table(summary) -> Table:
    """Per-label figures of an ``etl.resolution.ResolutionSummary``."""
    t = Table(title="Entity resolution: SAME_AS links after blocking and scoring",
              title_justify="left")
    cols = ("label", "nodes", "new or changed", "shared ids over cap", "candidate pairs",
            "links", "seconds")
    for c in cols:
        t.add_column(c, justify="left" if c == "label" else "right")
    for s in summary.labels.values():
        t.add_row(s.label, f"{s.nodes:,}", f"{s.delta:,}", f"{s.hubs:,}", f"{s.pairs:,}",
                  f"{s.links:,}", f"{s.seconds:.1f}")
    return t


def graph_table(projected: dict[str, int] | None, sent: dict[str, int] | None):
    """Rows the projection added or changed (``node_X``/``edge_X`` keys) beside what the
    sync sent to the graph store (bare label/type keys) and what it retracted from it
    (``sent.retracted``, see ``etl.sync.PushSummary``): a node table and an edge table side
    by side, each with its total."""
    from rich.columns import Columns

    from graph.schema import load_schema

    projected, sent = projected or {}, sent or {}
    retracted = getattr(sent, "retracted", {})
    schema = load_schema()
    tables = []
    for kind, names in (("node", schema.projected_nodes), ("edge", schema.projected_edges)):
        t = Table(title=f"Graph {kind}s (projected / sent / retracted)", title_justify="left")
        for c in ("node label" if kind == "node" else "edge type", "projected", "sent",
                  "retracted"):
            t.add_column(c, justify="left" if c.endswith(("label", "type")) else "right")
        tp = ts = tr = 0
        for name in names:
            p, s, r = projected.get(f"{kind}_{name}", 0), sent.get(name, 0), retracted.get(name, 0)
            tp, ts, tr = tp + p, ts + s, tr + r
            t.add_row(name, f"{p:,}", f"{s:,}", f"[yellow]{r:,}[/]" if r else "0")
        t.add_section()
        t.add_row("total", f"{tp:,}", f"{ts:,}", f"{tr:,}", style="bold")
        tables.append(t)
    return Columns(tables)


def retraction_note(sent) -> str | None:
    """One line on what the sync retracted and the surviving edges it re-sent for that
    (``etl.sync.PushSummary``); None when it retracted nothing."""
    retracted, resent = getattr(sent, "retracted", {}), getattr(sent, "resent", {})
    if not retracted:
        return None
    what = ", ".join(f"{n:,} {name}" for name, n in sorted(retracted.items()))
    again = sum(resent.values())
    return (f"retracted from the graph store (no longer in staging): {what}"
            + (f"; {again:,} surviving edges of their batches were sent again (in 'sent')"
               if again else ""))
