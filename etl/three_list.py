"""Three-list matching: every declaration checked against its order, payment and waybill.

The checks (domain.md §4) are declared in :mod:`etl.checks` as plain SQL over the
``stg_*`` staging tables. :func:`run_checks` runs them for the declarations a load staged or
touched, and for those whose results depend on them, and writes one row per declaration
and applicable check to ``stg_check_results``. A check that does not apply to a
declaration (an import check on an export list, a masked ID for TL-07, a missing message)
stores no row; the summary counts it as ``n_na``.

Run ``python -m etl.three_list --markdown`` to regenerate ``docs/three-list-checks.md``.

Examples
--------
>>> [c.id for c in CHECKS][:3]
['TL-00', 'TL-01', 'TL-03']
"""

from __future__ import annotations

import sys

import duckdb
import pandas as pd

from etl.checks import amounts, export, goods, parties, products, sequence
from etl.checks.base import Check
from etl.checks.context import build_base, build_scope
from etl.checks.reference import build_references
from etl.checks.schema import drop_stand_ins, ensure_results, ensure_staging

__all__ = ["CHECKS", "run_checks", "render_markdown", "check_by_id"]

CHECKS: list[Check] = sorted(
    parties.CHECKS + amounts.CHECKS + goods.CHECKS + sequence.CHECKS + export.CHECKS
    + products.CHECKS,
    key=lambda c: (c.id.startswith("EX"), c.id))

#: Checks that read the product references (ref_products), rebuilt before they run.
REFERENCE_CHECKS = ("TL-15", "TL-22")

SUMMARY_COLUMNS = ["check_id", "title", "severity", "n_pass", "n_fail", "n_risk", "n_na"]


def check_by_id(check_id: str) -> Check:
    """The declared check ``check_id``; ``KeyError`` listing the known ids otherwise."""
    for c in CHECKS:
        if c.id == check_id:
            return c
    raise KeyError(f"no check {check_id!r}; known: {', '.join(c.id for c in CHECKS)}")


def _insert_sql(check: Check) -> str:
    """Wrap a check's SELECT into the INSERT that stores its results.

    The check reads ``tl_decl``, a view of the scope declarations of its direction (created
    just before). An ``R`` check's ``fail`` becomes ``risk``; a row's severity is ``B`` for
    fail, ``R`` for risk and the check's own (first) severity for pass.
    """
    base_sev = check.severity[0]
    return f"""
INSERT INTO stg_check_results
SELECT r.invt_no, '{check.id}',
       CASE WHEN r.status = 'fail' AND '{check.severity}' = 'R' THEN 'risk' ELSE r.status END,
       CASE WHEN r.status = 'pass' THEN '{base_sev}'
            WHEN r.status = 'risk' OR '{check.severity}' = 'R' THEN 'R' ELSE 'B' END,
       r.observed, r.expected, r.delta, r.explanation, $load_id
FROM ({check.sql}) r
"""


def _decl_view(check: Check) -> str:
    flags = ", ".join(f"'{f}'" for f in check.ie_flags)
    regime = "" if check.general_trade else " AND NOT coalesce(general_trade, false)"
    return (f"CREATE OR REPLACE TEMP VIEW tl_decl AS "
            f"SELECT * FROM tl_base WHERE ie_flag IN ({flags}){regime}")


def _begin(con: duckdb.DuckDBPyConnection) -> bool:
    """Open a transaction unless the caller already holds one; return whether we opened it."""
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        return False
    return True


def run_checks(con: duckdb.DuckDBPyConnection, load_id: str, *, full: bool = False,
               checks: list[Check] | None = None, progress: bool = False) -> pd.DataFrame:
    """Run the three-list checks for a load and store their results.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection to the staging database holding the ``stg_*`` tables.
    load_id : str
        The load whose staged or touched declarations are checked; results carry it.
    full : bool
        Recheck every declaration instead of the load's scope.
    checks : list of Check, optional
        Subset to run (default: all of :data:`CHECKS`).
    progress : bool
        Show a progress bar (rich) while the checks run.

    Returns
    -------
    pandas.DataFrame
        One row per check: ``check_id, title, severity, n_pass, n_fail, n_risk, n_na``,
        counted over the declarations checked in this run.

    Notes
    -----
    Idempotent: results of the scope declarations are deleted and rewritten in one
    transaction, so rerunning a load writes identical rows.
    """
    checks = CHECKS if checks is None else checks
    stand_ins = ensure_staging(con)
    try:
        ensure_results(con)
        if any(c.id in REFERENCE_CHECKS for c in checks):
            build_references(con)  # learned from every staged list, this load's included
        n_scope = build_scope(con, load_id, full=full)
        build_base(con)
        _write(con, load_id, checks, progress)
        return _summary(con, checks, n_scope)
    finally:
        drop_stand_ins(con, stand_ins)
        con.execute("DROP VIEW IF EXISTS temp.tl_decl")
        for t in ("tl_touched", "tl_scope", "tl_base"):
            con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def _write(con: duckdb.DuckDBPyConnection, load_id: str, checks: list[Check],
           progress: bool) -> None:
    """Replace the scope's results by the checks' rows, in one transaction."""
    own_tx = _begin(con)
    try:
        everything = con.execute("SELECT (SELECT count(*) FROM tl_scope) = "
                                 "(SELECT count(*) FROM stg_declarations)").fetchone()[0]
        where = [] if everything else ["invt_no IN (SELECT invt_no FROM tl_scope)"]
        if checks is not CHECKS:
            where.append("check_id IN (" + ", ".join(f"'{c.id}'" for c in checks) + ")")
        # deleting everything is a plain scan, much cheaper than a semi-join over 10M+ rows
        con.execute("DELETE FROM stg_check_results"
                    + (" WHERE " + " AND ".join(where) if where else ""))
        for check in _progress(checks, progress):
            try:
                con.execute(_decl_view(check))
                con.execute(_insert_sql(check), {"load_id": load_id})
            except duckdb.Error as exc:
                raise RuntimeError(f"three-list check {check.id} ({check.title}) failed: "
                                   f"{exc}") from exc
        _assert_unique(con, load_id)
        if own_tx:
            con.execute("COMMIT")
    except BaseException:
        if own_tx:
            con.execute("ROLLBACK")
        raise


def _assert_unique(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """(invt_no, check_id) is the results' key. It is kept by construction (the old rows of
    the scope are deleted, each check yields one row per declaration) and verified here
    rather than by an index: DuckDB's index maintenance made a 1M-list run several times
    slower."""
    dup = con.execute("""
        SELECT invt_no, check_id, count(*) FROM stg_check_results
        WHERE _load_id = $load_id GROUP BY ALL HAVING count(*) > 1 LIMIT 3""",
                      {"load_id": load_id}).fetchall()
    if dup:
        raise RuntimeError(f"three-list checks wrote duplicate results {dup}: a check's SQL "
                           "yields several rows per declaration; fix that check")


def _progress(checks: list[Check], show: bool):
    if not show:
        yield from checks
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("three-list checks", total=len(checks))
        for c in checks:
            bar.update(task, description=f"three-list {c.id}")
            yield c
            bar.advance(task)


def _summary(con: duckdb.DuckDBPyConnection, checks: list[Check], n_scope: int) -> pd.DataFrame:
    counts = con.execute("""
        SELECT check_id, count(*) FILTER (WHERE status = 'pass'),
               count(*) FILTER (WHERE status = 'fail'), count(*) FILTER (WHERE status = 'risk')
        FROM stg_check_results WHERE invt_no IN (SELECT invt_no FROM tl_scope)
        GROUP BY check_id""").fetchall()
    by_id = {r[0]: r[1:] for r in counts}
    rows = []
    for c in checks:
        p, f, r = by_id.get(c.id, (0, 0, 0))
        rows.append((c.id, c.title, c.severity, p, f, r, n_scope - p - f - r))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def render_markdown(checks: list[Check] | None = None) -> str:
    """The check reference kept in ``docs/three-list-checks.md``, from the declarations."""
    checks = CHECKS if checks is None else checks
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    out = [
        "# Three-list checks",
        "",
        "Generated from the check declarations in `etl/checks/` by "
        "`python -m etl.three_list --markdown`; do not edit by hand.",
        "",
        "Every declaration (inventory list) is matched against its order, payment slip and "
        "waybill (domain.md §4). Each check yields, per declaration, `status` (`pass`, "
        "`fail` = block, `risk` = route to risk), `observed`, `expected`, a numeric `delta` "
        "where one exists (observed minus expected) and a sentence for the officer. Results "
        "are in the staging table `stg_check_results` (key `invt_no, check_id`); the graph "
        "keeps the non-passing ones as `CheckResult` nodes.",
        "",
        "**Not applicable is not stored.** A check that does not apply to a declaration "
        "(an import check on an export list; a masked or hashed ID for TL-07; a comparison "
        "whose messages are missing, which TL-00 reports) writes no row. `run_checks` "
        "counts these as `n_na` in its summary.",
        "",
        "**Regime.** General-trade declarations (channel `general` or trade mode 0110, a "
        "partner's import declarations) have no order, payment slip or waybill and no CBEC "
        "quota: only the checks marked `general trade: yes` below apply to them (the others "
        "are n/a). Amounts in another currency are converted to CNY at fixed reference rates "
        "for the RMB limits; an unknown currency makes TL-11/TL-12 n/a.",
        "",
        "**Severity.** `B` checks fail (block); `R` checks never fail, they route to risk; "
        "`B/R` checks fail on the hard breach and route the soft one to risk (see the "
        "column on what a non-pass means). The row's `severity` is `B` for fail, `R` for risk.",
        "",
        "| id | check | severity | direction | what is compared | tolerance | "
        "what a non-pass means to an officer | delta |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        out.append(f"| {c.id} | {esc(c.title)} | {c.severity} | {c.direction} | "
                   f"{esc(c.compares)} | {esc(c.tolerance)} | {esc(c.fail_means)} | "
                   f"{esc(c.delta)}{'; general trade: yes' if c.general_trade else ''} |")
    out += [
        "",
        "## The results table",
        "",
        "`stg_check_results(invt_no, check_id, status, severity, observed, expected, delta, "
        "explanation, _load_id)`: one row per declaration and applicable check. `observed` "
        "and `expected` are text with units (`4,980.00 CNY`, `0.850 kg`); ID numbers in "
        "them and in explanations are masked (region code and last 4 digits), since they "
        "travel to the graph and to case exports. `(invt_no, check_id)` is the key: the "
        "runner keeps it (deletes the scope's rows, then inserts) and verifies it after "
        "each run, instead of a DuckDB index, whose upkeep made a 1M-list run several "
        "times slower.",
        "",
        "Example (TL-05, fail): *Order paid 4,980.00 CNY but the payment slip says 4,200.00 "
        "CNY (difference 780.00).* with observed `4,200.00 CNY`, expected `4,980.00 CNY`, "
        "delta -780.",
        "",
        "## Scope of a run (incremental)",
        "",
        "`run_checks(con, load_id)` checks the declarations whose own row, lines, order, "
        "order lines, payment, raw payment record, waybill, receipt or departure record "
        "carries `load_id`, plus the declarations whose results depend on them: the same "
        "buyer ID and calendar year (TL-12), the same order or waybill number (TL-17), "
        "payments of the same payer within seconds (TL-18), and export lists still without "
        "a departure record (EX-04). Their old results are replaced in one transaction, so "
        "a rerun of the same load writes identical rows. `full=True` rechecks everything. "
        "A change to a register (enterprise names for TL-19) does not by itself trigger a "
        "recheck.",
        "",
        "## Product references (TL-15, TL-22)",
        "",
        "TL-15's per-unit part and TL-22 compare a list with what the same goods are "
        "normally declared at: `ref_products` (docs/staging.md), rebuilt from every staged "
        "list before these checks run. A line uses its product's reference (HS code, unit, "
        "goods name, brand) where that has enough independent history and agrees with its "
        "HS code's, else its HS code's; a list none of whose lines has one gets no TL-22 row, "
        "and TL-15 then judges only the waybill and gross weights. TL-22 with a promotion "
        "note in the order passes and its explanation says the note explains the price "
        "(the result model has no separate 'explained' status). Measured recall and false "
        "positives: `bench/eval_reference_checks.py`.",
        "",
        "## Cost",
        "",
        "`python bench/bench_three_list.py --declarations 1000000 --threads 2` builds a "
        "synthetic staging of 1M lists and times a first run, a rerun and a 1 % incremental "
        "load. All checks are SQL run by DuckDB: no Python per row.",
        "",
        "## Not implemented (yet)",
        "",
        "- TL-15 and TL-22 learn their references from the declarations themselves (no "
        "catalogue in the contract): a product that only fraud rings declare has no reference "
        "of its own (it falls back to its HS code), and a new load's references do not by "
        "themselves recheck earlier lists (`full=True` does).",
        "- TL-19 learns each platform's own item-page host(s) from the item links of its "
        "staged raw payments (no register of platform sites in the contract): a platform "
        "with fewer than 30 parsed links, or without hosts carrying a clear majority, gets "
        "no verdict on links, and an outside shop that brings a third of a platform's raw "
        "payments would pass for its site. As for the product references, a later load "
        "that teaches a platform's site does not by itself recheck earlier lists "
        "(`full=True` does).",
        "- TL-19 learns shop-title padding ('official store', 'gift box') from all staged raw "
        "payments whose title contains an ordered item's name (a word seen with >= 1/3 of "
        ">= 6 distinct items): below 6 items nothing is padding and a genuine mismatch that "
        "shares only a padding word passes; a product word that a third of the items carry "
        "(a house brand on everything) would count as padding. On the 30k synthetic world "
        "(seed 7) this took T5 lists flagged by TL-19 from 92.9 % to 100 % (the goods named "
        "in 22 -> 25 of 28) with honest lists unchanged at 43.2 % (none of them for the goods; "
        "the rest is fees and exchange rates, payees, missing records and item links).",
        "- TL-00 checks that the messages exist; the extracts carry no receipt time, so "
        "\"received before the declaration\" is judged on message times by TL-18.",
        "- TL-06 cannot tell whether the platform verified the buyer's identity (no such "
        "field in the contract), so a differing payer always counts.",
        "- TL-07 checks region codes at province level; staging's own `_valid` flag "
        "(finer region table) is honoured when it rejects an ID.",
        "- TL-11/TL-12 value = declared line totals + freight; lists in a currency without "
        "a reference rate in `etl/checks/amounts.py` are n/a.",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(render_markdown())
    else:
        sys.exit("usage: python -m etl.three_list --markdown")
