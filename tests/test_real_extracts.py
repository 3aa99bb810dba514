"""Real extracts as partner administrations send them (issue 9), each with a hand-made file:
mixed line endings, extreme numbers, unreadable files, YAML that changes values, mapping
expressions, children of quarantined parents, passports, a general-trade / postal profile,
search by record number and code, and the near-free identical reload.

Every case asserts: no traceback, rows in = loaded + quarantined, and the same workspace
takes the next good load.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cbec_cli import app
from etl.forgiving_read import mixed_line_endings
from etl.load import load, stage
from etl.mapping import MappingError, load_mapping

TODAY = date(2026, 1, 1)
PASSPORT = "M12345678"
GOOD_ID = "110105199203074514"


def quiet(_msg: str) -> None:
    pass


def write_csv(path: Path, rows: list[dict], newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, cols, lineterminator=newline)
        w.writeheader()
        w.writerows(rows)
    return path


def decl(invt: str, **kw) -> dict:
    row = dict(invt_no=invt, order_no="O" + invt, ebp_code="3301960TMA", ebc_code="3301960A2K",
               logistics_code="3105960SFX", logistics_no="SF" + invt, agent_code="3301980AGT",
               customs_code="2901", port_code="2991", ie_flag="I", channel="cbec",
               trade_mode="9610", country="US", buyer_id_type="1", buyer_id_number=GOOD_ID,
               buyer_name="Li Na", gross_weight="1.0", net_weight="0.8", freight="10",
               currency="CNY", decl_time="2025-06-11T18:20:00")
    row.update(kw)
    return row


def line(invt: str, gnum: int = 1, **kw) -> dict:
    row = dict(invt_no=invt, gnum=str(gnum), gcode="9503008900", gname="plush toy",
               gmodel="0|0||20cm|", qty="2", unit="007", price="89", total_price="178",
               country="CN")
    row.update(kw)
    return row


def staging(ws: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(ws / "staging.duckdb"), read_only=True)


def reconciles(ws: Path) -> dict:
    """Per run: rows in = inserted + updated + unchanged + quarantined, and the staged and
    quarantined rows of the first run are the rows in."""
    con = staging(ws)
    try:
        bad = con.execute("SELECT * FROM load_reports WHERE rows_in <> inserted + updated + "
                          "unchanged + quarantined").fetchall()
        assert not bad, bad
        return {t: (i, q) for t, i, q in con.execute(
            "SELECT table_name, sum(rows_in), sum(quarantined) FROM load_reports "
            "GROUP BY ALL").fetchall()}
    finally:
        con.close()


def good_world(root: Path) -> Path:
    write_csv(root / "declarations.csv", [decl("G1")])
    write_csv(root / "declaration_lines.csv", [line("G1")])
    return root


def assert_next_good_load_works(ws: Path, tmp: Path) -> None:
    res = stage(good_world(tmp / "good"), ws, today=TODAY)
    assert {t.table: t.rows_in for t in res.tables} == {"declarations": 1,
                                                         "declaration_lines": 1}
    reconciles(ws)


# -- mixed line endings ------------------------------------------------------------------

def test_csv_with_crlf_rows_appended_to_lf_rows_loads_every_row(tmp_path):
    src = tmp_path / "in"
    p = write_csv(src / "declarations.csv", [decl("D1"), decl("D2")])
    with open(p, "a", newline="", encoding="utf-8") as fh:  # appended on another system
        csv.DictWriter(fh, list(decl("X")), lineterminator="\r\n").writerows(
            [decl("D3"), decl("D4", buyer_name='Wang "Big" Lei')])
    assert mixed_line_endings(p)
    res = CliRunner().invoke(app, ["load", str(src), "-w", str(tmp_path / "ws")],
                             env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    con = staging(tmp_path / "ws")
    rows = con.execute("SELECT invt_no, _source_row, buyer_name, decl_time FROM "
                       "stg_declarations ORDER BY 1").fetchall()
    con.close()
    assert [(r[0], r[1]) for r in rows] == [("D1", 1), ("D2", 2), ("D3", 3), ("D4", 4)]
    assert rows[3][2] == 'Wang "Big" Lei' and all("\r" not in str(r) for r in rows)
    assert reconciles(tmp_path / "ws")["declarations"] == (4, 0)


# -- extreme numbers ----------------------------------------------------------------------

def test_extreme_numbers_are_quarantined_at_validation_and_checks_run(tmp_path):
    src = tmp_path / "in"
    write_csv(src / "declarations.csv", [decl("D1"), decl("D2", gross_weight="1.7e308")])
    write_csv(src / "declaration_lines.csv", [
        line("D1", 1), line("D1", 2, qty="1e19"), line("D1", 3, price="1.7e308"),
        line("D1", 4, total_price="-1.7e308")])
    ws = tmp_path / "ws"
    res = load(src, ws, say=quiet, today=TODAY)  # three-list checks, projection, sync
    assert res.downstream["checks"] is not None
    con = staging(ws)
    reasons = dict(con.execute("SELECT table_name || ':' || source_row, reason FROM quarantine"
                               ).fetchall())
    con.close()
    assert "out of range" in reasons["declarations:2"] and "1.7e308" in reasons["declarations:2"]
    for row, fld in ((2, "qty '1e19'"), (3, "price '1.7e308'"), (4, "total_price '-1.7e308'")):
        assert reasons[f"declaration_lines:{row}"].startswith(fld + " is out of range")
    assert reconciles(ws) == {"declarations": (2, 1), "declaration_lines": (4, 3)}
    assert_next_good_load_works(ws, tmp_path)


# -- unreadable files ---------------------------------------------------------------------

def _invoke_as_nobody(args: list[str]) -> dict:
    """``cbec ARGS`` in a forked child that dropped root's privileges first (as root, chmod
    000 does not stop reading). Modules are imported before the fork: afterwards the child
    cannot read root's Python installation."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        out = {}
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            res = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
            out = {"code": res.exit_code, "output": res.output,
                   "exception": repr(res.exception) if res.exception else None}
        except BaseException as exc:
            out = {"code": -1, "output": "", "exception": repr(exc)}
        finally:
            os.write(w, json.dumps(out).encode())
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 65536):
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


def test_an_unreadable_file_is_a_clear_error_and_the_workspace_stays_usable(tmp_path):
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="cbec-unreadable-"))  # outside root's 0700 tmp_path
    os.chmod(base, 0o777)
    src, ws = base / "in", base / "ws"
    good_world(src)
    os.chmod(src, 0o777)
    secret = src / "declaration_lines.csv"
    os.chmod(secret, 0)
    args = ["load", str(src), "-w", str(ws)]
    # warm every import of the command's error path while root may still read them
    CliRunner().invoke(app, ["load", str(base / "missing"), "-w", str(ws)])
    if os.geteuid() == 0:
        res = _invoke_as_nobody(args)
    else:
        r = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
        res = {"code": r.exit_code, "output": r.output,
               "exception": repr(r.exception) if r.exception else None}
    assert res["code"] == 1, res
    assert "SystemExit" in str(res["exception"]) and "Traceback" not in res["output"]
    assert "declaration_lines.csv: cannot be read (Permission denied)" in res["output"]
    assert "chmod a+r" in res["output"]
    os.chmod(secret, 0o644)
    assert_next_good_load_works(ws, tmp_path)
    import shutil
    shutil.rmtree(base)


def test_a_damaged_parquet_file_is_a_clear_error(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "declarations.parquet").write_bytes(b"PAR1 this is not really parquet PAR1")
    res = CliRunner().invoke(app, ["load", str(src), "-w", str(tmp_path / "ws")],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert "declarations.parquet: not a readable Parquet file" in res.output
    assert_next_good_load_works(tmp_path / "ws", tmp_path)


# -- mapping YAML -------------------------------------------------------------------------

@pytest.mark.parametrize("yaml_text, shown", [
    ("tables: {declaration_lines: {constants: {unit: 035}}}", "unit: 035 would be read as 29"),
    ("tables: {declaration_lines: {constants: {unit: 007}}}", "unit: 007 would be read as 7"),
    ("tables: {declarations: {values: {ie_flag: {no: E}}}}", "no would be read as False"),
    ("tables: {declarations: {constants: {freight: 1.50}}}", "1.50 would be read as 1.5"),
    ("tables: {declarations: {constants: {pod: }}}", "would be read as None"),
])
def test_yaml_that_would_change_a_value_is_refused(tmp_path, yaml_text, shown):
    m = tmp_path / "m.yaml"
    m.write_text(yaml_text)
    with pytest.raises(MappingError, match="Quote them") as err:
        load_mapping(m)
    assert shown in str(err.value)


def test_quoted_values_and_null_targets_are_accepted(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("tables:\n  declaration_lines:\n    constants: {unit: '035'}\n"
                 "    values: {currency: {'WON': KRW, 'n/a': ~}}\n")
    tm = load_mapping(m).for_table("declaration_lines")
    assert tm.constants == {"unit": "035"}
    assert tm.values == {"currency": {"WON": "KRW", "n/a": None}}


def test_a_mistyped_optional_column_is_warned_about(tmp_path):
    src = good_world(tmp_path / "in")
    m = tmp_path / "m.yaml"
    m.write_text("tables:\n  declarations:\n    columns: {pod: DEST_PORTT}\n")
    said: list[str] = []
    load(src, tmp_path / "ws", m, say=said.append, today=TODAY)
    warned = [s for s in said if s.startswith("warning:")]
    assert len(warned) == 1 and "optional field pod is mapped to column 'DEST_PORTT'" in \
        warned[0] and "invt_no" in warned[0]


# -- mapping expressions ------------------------------------------------------------------

@pytest.mark.parametrize("expr, why", [
    ("random()", "function random() is not allowed"),
    ("nextval('s')", "function nextval() is not allowed"),
    ("now()", "function now() is not allowed"),
    ("sum(QTY)", "function sum() is not allowed"),
    ("row_number() OVER ()", "window is not allowed"),
    ("(SELECT 1)", "subquery is not allowed"),
    ("(SELECT * FROM read_csv('/etc/passwd'))", "subquery is not allowed"),
    ("1; DROP TABLE stg_orders", "is not one SQL expression"),
    ("1) FROM stg_orders --", "is not one SQL expression"),
    ("QTY FROM stg_orders", "is not one SQL expression"),
    ("getenv('HOME')", "not allowed"),
    ("", "expected a DuckDB expression"),
])
def test_mapping_expressions_with_side_effects_or_state_are_refused(tmp_path, expr, why):
    m = tmp_path / "m.yaml"
    m.write_text(json.dumps({"tables": {"declaration_lines": {"expressions": {"price": expr}}}}))
    with pytest.raises(MappingError, match="expressions.price") as err:
        load_mapping(m)
    assert why in str(err.value)


def test_an_expression_naming_a_missing_column_stops_before_any_write(tmp_path):
    src = good_world(tmp_path / "in")
    m = tmp_path / "m.yaml"
    m.write_text('tables:\n  declaration_lines:\n    expressions: {price: "TRY_CAST(VALUEE AS '
                 'DOUBLE) / 2"}\n')
    with pytest.raises(MappingError, match="VALUEE") as err:
        load(src, tmp_path / "ws", m, say=quiet, today=TODAY)
    assert "The file has columns: invt_no" in str(err.value)
    assert not (tmp_path / "ws").exists()


PARTNER_MAPPING = (Path(__file__).resolve().parents[1] / "docs"
                   / "mapping-general-trade.yaml").read_text(encoding="utf-8")


def partner_extract(root: Path) -> Path:
    base = dict(OFFICE="2901", PORT="2991", ORIGIN="KR", HS="8517130000", GOODS="phone",
                UNIT="EA", BRAND="", STATUS="ACCEPTED", PASSPORT="", CONSIGNEE="")
    rows = [
        dict(base, DECL_NO="KR-DECL-0001", REGIME="GT", IMPORTER="ACME-TRADING",
             GROSS_KG="120", DECL_DATE="20250611", QTY="100", VALUE_KRW="98000000",
             BRAND="Samsung"),
        dict(base, DECL_NO="KR-DECL-0002", REGIME="GT", IMPORTER="-", GROSS_KG="5",
             DECL_DATE="20250612", QTY="4", UNIT="KG", VALUE_KRW="400000"),
        dict(base, DECL_NO="KR-DECL-0003", REGIME="GT", IMPORTER="ACME-TRADING",
             GROSS_KG="1", DECL_DATE="20250613", QTY="1", VALUE_KRW="1000",
             STATUS="CANCELLED"),                                  # left out by the filter
        dict(base, DECL_NO="KR-DECL-0004", REGIME="POST", IMPORTER="", GROSS_KG="0.4",
             DECL_DATE="20250614", QTY="1", VALUE_KRW="50000", PASSPORT=PASSPORT,
             CONSIGNEE="Kim Minji"),
        dict(base, DECL_NO="KR-DECL-0005", REGIME="XX", IMPORTER="ACME-TRADING",
             GROSS_KG="1", DECL_DATE="20250615", QTY="1", VALUE_KRW="9"),  # channel -> NULL
    ]
    write_csv(root / "KR_IMPORT_2025.csv", rows)
    return root


@pytest.fixture(scope="module")
def partner(tmp_path_factory):
    base = tmp_path_factory.mktemp("partner")
    src = partner_extract(base / "in")
    m = base / "kr.yaml"
    m.write_text(PARTNER_MAPPING)
    ws = base / "ws"
    res = load(src, ws, m, say=quiet, today=TODAY)
    return dict(src=src, ws=ws, mapping=m, result=res)


def test_expressions_compute_fields_and_the_filter_leaves_rows_out(partner):
    con = staging(partner["ws"])
    d = {r[0]: r[1:] for r in con.execute(
        "SELECT invt_no, channel, ebc_code, net_weight, decl_time, trade_mode, currency "
        "FROM stg_declarations").fetchall()}
    lines = {r[0]: r[1:] for r in con.execute(
        "SELECT invt_no, qty, unit, price, total_price, gmodel, brand "
        "FROM stg_declaration_lines").fetchall()}
    q = dict(con.execute("SELECT table_name || ':' || source_row, reason FROM quarantine "
                         ).fetchall())
    con.close()
    assert set(d) == {"KR-DECL-0001", "KR-DECL-0002", "KR-DECL-0004"}
    assert d["KR-DECL-0001"][:3] == ("general", "ACME-TRADING", 108.0)   # value map, CASE,
    assert d["KR-DECL-0002"][1] is None                                   # arithmetic
    assert str(d["KR-DECL-0001"][3]) == "2025-06-11 00:00:00"
    assert d["KR-DECL-0001"][4:] == ("0110", "KRW")
    assert lines["KR-DECL-0001"] == (100.0, "007", 980000.0, 98000000.0, "0|0|Samsung|",
                                     "Samsung")                       # string building
    assert lines["KR-DECL-0002"][1] == "035"
    assert q["declarations:3"].startswith("(filter) left out by the mapping filter")
    assert q["declaration_lines:3"].startswith("(filter)")
    assert q["declarations:5"].startswith("channel is missing")    # '*': ~ maps to NULL
    # its line: the declaration was quarantined, so the line is too
    assert "names a declaration whose declarations row was quarantined" in \
        q["declaration_lines:5"]
    assert reconciles(partner["ws"]) == {"declarations": (5, 2), "declaration_lines": (5, 2)}


def test_general_trade_parties_are_null_never_placeholder_hubs(partner):
    con = staging(partner["ws"])
    gt = con.execute("SELECT ebp_code, order_no, logistics_code, agent_code, buyer_name "
                     "FROM stg_declarations WHERE channel = 'general'").fetchall()
    ents = [r[0] for r in con.execute("SELECT code FROM node_Enterprise").fetchall()]
    platform = con.execute("SELECT count(*) FROM edge_ON_PLATFORM").fetchone()[0]
    con.close()
    assert gt == [(None,) * 5, (None,) * 5]
    assert ents == ["ACME-TRADING"] or sorted(ents) == ["ACME-TRADING", "KRPOST0001"]
    assert platform == 0


def test_checks_know_the_regime_and_the_currency(partner):
    con = staging(partner["ws"])
    res = {(r[0], r[1]): r[2:] for r in con.execute(
        "SELECT invt_no, check_id, status, expected FROM stg_check_results").fetchall()}
    con.close()
    for invt in ("KR-DECL-0001", "KR-DECL-0002"):  # general trade: no three lists, no quota
        assert not {c for (i, c) in res if i == invt} & {"TL-00", "TL-01", "TL-11", "TL-12"}
    # the postal parcel (50,000 KRW, about 265 CNY) is held to the CBEC limits in CNY and
    # waits only for the waybill it names; it names no order
    assert res[("KR-DECL-0004", "TL-11")][0] == "pass"
    assert res[("KR-DECL-0004", "TL-00")] == ("fail", "waybill received")


def test_passport_ids_are_id_number_nodes(partner):
    con = staging(partner["ws"])
    ids = con.execute("SELECT id_key, id_type FROM node_IdNumber").fetchall()
    has = con.execute("SELECT count(*) FROM edge_HAS_ID WHERE to_key = ?", [PASSPORT]
                      ).fetchone()[0]
    con.close()
    assert ids == [(PASSPORT, "2")] and has == 1


def test_search_finds_a_declaration_by_number_and_a_firm_by_any_code(partner):
    from graph.store import open_store

    store = open_store(partner["ws"], read_only=True)
    try:
        hit = store.search("KR-DECL-0002")
        assert hit and hit[0].ref.label == "Declaration" and hit[0].ref.key == "KR-DECL-0002"
        hit = store.search("acme-trading", labels=["Enterprise"])
        assert hit and hit[0].ref.key == "ACME-TRADING" and hit[0].score == 100.0
    finally:
        store.close()


def test_passports_link_people_who_share_them(tmp_path):
    src = tmp_path / "in"
    write_csv(src / "persons.csv", [
        dict(person_ref="P1", name="Kim Minji", id_type="2", id_number=PASSPORT,
             telephone="+82 10 1234 5678"),
        dict(person_ref="P2", name="Lee Jisoo", id_type="2", id_number=PASSPORT.lower(),
             telephone="+82 10 8765 4321"),
        dict(person_ref="P3", name="Wang Lei", id_type="1", id_number="110105********4518")])
    load(src, tmp_path / "ws", say=quiet, today=TODAY)
    con = staging(tmp_path / "ws")
    people = con.execute("SELECT count(DISTINCT from_key) FROM edge_HAS_ID WHERE to_key = ?",
                         [PASSPORT]).fetchone()[0]
    masked = con.execute("SELECT count(*) FROM node_IdNumber WHERE contains(id_key, '*')"
                         ).fetchone()[0]
    con.close()
    assert people == 2 and masked == 0  # a starred-out number still links nobody


# -- cross-table orphans ------------------------------------------------------------------

def test_children_of_a_quarantined_declaration_are_quarantined_and_reported(tmp_path):
    src = tmp_path / "in"
    write_csv(src / "declarations.csv", [decl("D1"), decl("D2", decl_time="2025-13-45")])
    write_csv(src / "declaration_lines.csv", [line("D1"), line("D2"), line("D2", 2),
                                              line("D9")])
    write_csv(src / "inspections.csv", [
        dict(inspection_id="I1", invt_no="D2", inspection_time="2025-06-12T09:00:00",
             method="xray", outcome="seized"),
        dict(inspection_id="I2", invt_no="D1", inspection_time="2025-06-12T09:00:00",
             method="xray", outcome="clean")])
    write_csv(src / "seizures.csv", [
        dict(seizure_id="S1", inspection_id="I1", invt_no="D2", seizure_date="2025-06-12",
             reason="ipr")])
    ws = tmp_path / "ws"
    res = CliRunner().invoke(app, ["load", str(src), "-w", str(ws)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    # a line of a declaration in no extract (D9) is loaded, and said
    assert "declaration_lines: 1 row(s) of this load name a declaration" in res.output
    con = staging(ws)
    q = {(t, r): reason for t, r, reason in con.execute(
        "SELECT table_name, source_row, reason FROM quarantine").fetchall()}
    con.close()
    assert set(q) == {("declarations", 2), ("declaration_lines", 2), ("declaration_lines", 3),
                      ("inspections", 1), ("seizures", 1)}
    assert q[("inspections", 1)].startswith("invt_no 'D2' names a declaration whose")
    assert q[("seizures", 1)].startswith("inspection_id 'I1' names an inspection") or \
        q[("seizures", 1)].startswith("inspection_id 'I1' names a inspection")
    assert reconciles(ws) == {"declarations": (2, 1), "declaration_lines": (4, 2),
                              "inspections": (2, 1), "seizures": (1, 1)}
    # the corrected declaration arrives with its children: all of them load
    write_csv(src / "declarations.csv", [decl("D1"), decl("D2")])
    load(src, ws, say=quiet, today=TODAY)
    con = staging(ws)
    n = [con.execute(f"SELECT count(*) FROM stg_{t}").fetchone()[0]
         for t in ("declarations", "declaration_lines", "inspections", "seizures")]
    con.close()
    assert n == [2, 4, 2, 1]


# -- identical reload ----------------------------------------------------------------------

def test_an_identical_reload_is_a_new_run_that_does_no_work(tmp_path, monkeypatch):
    src = good_world(tmp_path / "in")
    ws = tmp_path / "ws"
    first = load(src, ws, say=quiet, today=TODAY)
    import etl.load

    def boom(*a, **k):
        raise AssertionError("an identical reload must not stage again")

    monkeypatch.setattr(etl.load, "stage", boom)
    again = load(src, ws, say=quiet, today=TODAY)
    assert again.load_id == first.load_id and again.run == first.run + 1
    assert [(t.rows_in, t.inserted, t.updated, t.unchanged) for t in again.tables] == \
        [(1, 0, 0, 1), (1, 0, 0, 1)]
    assert again.downstream["sync"] == {} and "identical to run 1" in again.notes[0]
    monkeypatch.undo()
    # anything different (here one more row) takes the full path again
    write_csv(src / "declarations.csv", [decl("G1"), decl("G2")])
    third = load(src, ws, say=quiet, today=TODAY)
    assert [t.inserted for t in third.tables] == [1, 0]
    reconciles(ws)


def test_placeholder_parties_are_named_so_they_can_be_mapped_to_null(tmp_path):
    src = tmp_path / "in"
    write_csv(src / "declarations.csv", [
        decl(f"D{i}", channel="general", trade_mode="0110", ebp_code="NO-PLATFORM",
             logistics_code="N/A", order_no="", logistics_no="") for i in range(3)])
    res = stage(src, tmp_path / "ws", today=TODAY)
    assert any("ebp_code 'NO-PLATFORM' on 3 row(s) looks like a placeholder" in n
               for n in res.notes), res.notes
    assert any("logistics_code 'N/A'" in n for n in res.notes)
    m = tmp_path / "m.yaml"
    m.write_text("tables:\n  declarations:\n    values: {ebp_code: {'NO-PLATFORM': ~}, "
                 "logistics_code: {'N/A': ~}}\n")
    again = stage(src, tmp_path / "ws2", m, today=TODAY)
    assert not [n for n in again.notes if "placeholder" in n]
    con = staging(tmp_path / "ws2")
    assert con.execute("SELECT count(*) FROM stg_declarations WHERE ebp_code IS NULL AND "
                       "logistics_code IS NULL").fetchone()[0] == 3
    con.close()
