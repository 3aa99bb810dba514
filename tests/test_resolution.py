"""Entity resolution on tiny inline projections (real DuckDB, real key and name rules)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl.keys import person_key
from etl.normalise import address_key, normalise_address, normalise_name
from etl.resolution import resolve
from etl.resolution.canon import address_text, firm_name, number_signature
from tests.bench_modules import load_bench

ROOT = Path(__file__).resolve().parents[1]
EDGE_COLS = ["from_label", "from_key", "to_label", "to_key", "source", "_load_id"]


def _valid_id(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(c) * x for c, x in zip(body17, w, strict=True)) % 11]


class World:
    """Builds node_* / edge_* tables as etl/project.py does, from person/firm/address facts."""

    def __init__(self) -> None:
        self.persons: list[dict] = []
        self.firms: list[dict] = []
        self.addresses: dict[str, dict] = {}
        self.edges: dict[str, list[tuple]] = {}

    def address(self, text: str, kind: str | None = "residential", district=None) -> str:
        norm = normalise_address(text)
        key = address_key(norm)
        self.addresses.setdefault(key, {"address_key": key, "address": text,
                                        "address_norm": norm, "country": "CN",
                                        "city": None, "district": district,
                                        "address_kind": kind})
        return key

    def person(self, name: str, phone: str | None = None, id_number: str | None = None,
               address: str | None = None, kind: str = "residential", load: str = "L1") -> str:
        valid = True if id_number and len(id_number) == 18 and "*" not in id_number else None
        key = person_key(id_number, valid, normalise_name(name), phone)
        self.persons.append({"person_key": key, "name": name, "name_norm": normalise_name(name),
                             "birth_year": int(id_number[6:10]) if valid else None,
                             "region_code": id_number[:6] if valid else None,
                             "id_valid": valid, "_load_id": load})
        if phone:
            self._edge("HAS_PHONE", "Person", key, "Phone", phone, load)
        if id_number and "*" not in id_number:
            self._edge("HAS_ID", "Person", key, "IdNumber", id_number, load)
        if address:
            self._edge("LOCATED_AT", "Person", key, "Address", self.address(address, kind), load)
        return key

    def firm(self, code: str, name: str, phone: str | None = None, address: str | None = None,
             uscc: str | None = None, rep: str | None = None) -> str:
        self.firms.append({"code": code, "name": name, "name_norm": normalise_name(name),
                           "uscc": uscc, "country": "CN", "customs_district": "2901",
                           "_load_id": "L1"})
        if phone:
            self._edge("HAS_PHONE", "Enterprise", code, "Phone", phone, "L1")
        if address:
            self._edge("LOCATED_AT", "Enterprise", code, "Address",
                       self.address(address, "office"), "L1")
        if rep:
            self._edge("REPRESENTED_BY", "Enterprise", code, "Person", rep, "L1")
        return code

    def _edge(self, typ, fl, fk, tl, tk, load):
        self.edges.setdefault(typ, []).append((fl, fk, tl, tk, "test", load))

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        """(Re)create the projection tables, as a fresh projection would."""
        frames = {
            "node_Person": pd.DataFrame(self.persons).drop_duplicates("person_key"),
            "node_Enterprise": pd.DataFrame(self.firms),
            "node_Address": pd.DataFrame(list(self.addresses.values())),
        }
        for typ in ("HAS_PHONE", "HAS_ID", "LOCATED_AT", "HAS_EMAIL", "HOLDS",
                    "REPRESENTED_BY"):
            frames[f"edge_{typ}"] = pd.DataFrame(self.edges.get(typ, []), columns=EDGE_COLS,
                                                 dtype=object)
        for name, df in frames.items():
            if df.empty and not name.startswith("edge_"):
                continue
            con.register("tmp_df", df)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM tmp_df")
            con.unregister("tmp_df")


def same_as(con) -> set[frozenset]:
    rows = con.execute("SELECT from_key, to_key FROM edge_SAME_AS").fetchall()
    return {frozenset(r) for r in rows}


def run(world: World, load: str = "L1", con=None):
    con = con or duckdb.connect()
    world.write(con)
    return con, resolve(con, load)


# -- matching forms --------------------------------------------------------------------
def test_matching_forms_absorb_suffix_and_unit_variants():
    assert firm_name("Yiwu Starlight Trading Co., Ltd.") == firm_name(
        "Yiwu Starlight Trading Company Limited")
    a = address_text(normalise_address("Rm 1203, Bldg 5, 18 Jianguo Rd"))
    b = address_text(normalise_address("Room 1203 Building 5 18 Jianguo Road"))
    assert a == b
    assert number_signature("Rm 1203, Bldg 5") != number_signature("Rm 1204, Bldg 5")


# -- positives -------------------------------------------------------------------------
@pytest.mark.parametrize("a,b,expect", [
    ("Zhang Wei", "Zhang Wie", "name_typo"),
    ("Li Na", "LiNa", "name_exact"),
    ("Zhang Wei", "Wei Zhang", "name_reorder"),
    ("Chen Zihao", "Chen Zihaoo", "name_typo"),
    ("Xu Bo", "Xu Boo", "name_typo"),
    ("Gao Rui", "Riu Gao", "name_typo"),  # re-ordered and mistyped
])
def test_person_variants_sharing_a_phone_are_linked(a, b, expect):
    w = World()
    # Different keys: the second record has no ID (a name+phone key), the first a valid ID.
    ka = w.person(a, "+8613800138000", _valid_id("11010519920307451"))
    kb = w.person(b, "+8613800138000")
    con, summary = run(w)
    assert ka != kb
    assert same_as(con) == {frozenset((ka, kb))}
    score, method = con.execute("SELECT score, method FROM edge_SAME_AS").fetchall()[0]
    assert method.startswith(expect) and "phone" in method and score >= 0.88
    assert summary.labels["Person"].links == 1


def test_address_unit_variants_are_linked_but_other_units_are_not():
    w = World()
    k1 = w.address("Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing")
    k2 = w.address("Room 1203 Building 5 No. 18 Jianguo Road, Chaoyang, Beijing")
    k3 = w.address("1203室, 5栋, 18 Jianguo Rd, Chaoyang District, Beijing")
    k4 = w.address("Rm 1204, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing")
    assert len({k1, k2, k3, k4}) >= 3  # keys alone leave variants apart
    con, _ = run(w)
    links = same_as(con)
    assert frozenset((k1, k2)) in links
    assert not any(k4 in pair for pair in links)


def test_lockers_with_different_numbers_stay_apart():
    w = World()
    a = w.address("Cainiao Locker 17, 3 Wenyi W Rd, Xihu District, Hangzhou", "parcel_locker")
    b = w.address("Cainiao Locker 17, No. 3 Wenyi W Road, Xihu, Hangzhou", "parcel_locker")
    w.address("Cainiao Locker 18, 3 Wenyi W Rd, Xihu District, Hangzhou", "parcel_locker")
    w.address("Cainiao Locker 17, 3 Wenyi W Rd, Binjiang District, Hangzhou", "parcel_locker",
              district="Binjiang")
    con, _ = run(w)
    assert same_as(con) == {frozenset((a, b))}


def test_firm_registered_again_with_a_new_credit_code_is_linked_on_enough_evidence():
    w = World()
    office = "Floor 12, Jianguo Tower, 18 Jianguo Rd, Chaoyang District, Beijing"
    rep = "id:110105196410271410"
    a = w.firm("1101960001", "Beijing Bright Toys Co., Ltd.", "+861085551234", office, "U1", rep)
    b = w.firm("1101960002", "BEIJING BRIGHT TOYS CO., LTD.", "+861085551234", office, "U2", rep)
    w.firm("1101960003", "Beijing Bright Toys Co., Ltd.", "+861099990000", None, "U3")
    con, _ = run(w)
    assert same_as(con) == {frozenset((a, b))}
    method = con.execute("SELECT method FROM edge_SAME_AS").fetchall()[0][0]
    assert "uscc_differs" in method


def test_successor_firm_at_the_same_desk_without_the_same_representative_stays_apart():
    # name, phone and office alone do not outweigh a second credit code: a successor or
    # sister firm keeps them (the graph still joins the two through those pivots)
    w = World()
    office = "Floor 12, Jianguo Tower, 18 Jianguo Rd, Chaoyang District, Beijing"
    w.firm("1101960001", "Beijing Bright Toys Co., Ltd.", "+861085551234", office, "U1")
    w.firm("1101960002", "BEIJING BRIGHT TOYS CO., LTD.", "+861085551234", office, "U2")
    con, _ = run(w)
    assert same_as(con) == set()


def test_firm_suffix_variants_sharing_a_phone_are_linked():
    w = World()
    a = w.firm("3307960001", "Yiwu Starlight Trading Co., Ltd.", "+8657985551234")
    b = w.firm("3307960002", "Yiwu Starlight Trading Company Limited", "+8657985551234")
    w.firm("3307960003", "Yiwu Moonlight Toys Co., Ltd.", "+8657985551234")
    con, _ = run(w)
    assert same_as(con) == {frozenset((a, b))}


# -- negatives -------------------------------------------------------------------------
def test_locker_and_crowded_address_glue_nobody():
    w = World()
    locker = "Cainiao Locker 17, 3 Wenyi W Rd, Xihu District, Hangzhou"
    crowded = "Rm 101, Bldg 1, 2 Xueyuan Rd, Haidian District, Beijing"
    for i in range(40):
        w.person("Zhang Wei" if i % 2 else "Zhang Wie", f"+86139{i:08d}", address=locker,
                 kind="parcel_locker")
        w.person("Li Na", f"+86137{i:08d}", address=crowded)  # same name, same unit, 40x
    con, summary = run(w)
    assert same_as(con) == set()
    assert summary.labels["Person"].hubs >= 1


def test_family_at_one_address_is_not_one_person():
    w = World()
    home = "Rm 502, Bldg 3, 88 Renmin Rd, Wuchang District, Wuhan"
    keys = [w.person(n, f"+8613{i}00000000", address=home)
            for i, n in enumerate(["Zhang Wei", "Zhang Wen", "Zhang Min", "Zhang Xiuying"])]
    con, summary = run(w)
    assert len(set(keys)) == 4
    assert summary.labels["Person"].pairs == 6  # they were compared...
    assert same_as(con) == set()                 # ...and kept apart


def test_one_letter_replaced_in_a_short_name_is_another_person():
    w = World()
    a = w.person("Xu Li", "+8613800138000", _valid_id("11010519920307451"))
    b = w.person("Xu Ni", "+8613800138000")
    con, summary = run(w)
    assert a != b and summary.labels["Person"].pairs == 1 and same_as(con) == set()


def test_conflicting_valid_ids_are_never_linked():
    w = World()
    home = "Rm 502, Bldg 3, 88 Renmin Rd, Wuchang District, Wuhan"
    a = w.person("Zhang Wei", "+8613800138000", _valid_id("11010519920307451"), home)
    b = w.person("Zhang Wei", "+8613800138000", _valid_id("11010519880101123"), home)
    con, _ = run(w)
    assert a != b and same_as(con) == set()


# -- incremental and idempotent ----------------------------------------------------------
def test_rerun_is_idempotent_and_new_nodes_are_compared_incrementally():
    w = World()
    a = w.person("Zhang Wei", "+8613800138000", _valid_id("11010519920307451"))
    b = w.person("Zhang Wie", "+8613800138000")
    w.person("Wang Fang", "+8613900139000")
    con, first = run(w)
    before = con.execute("SELECT * FROM edge_SAME_AS ORDER BY ALL").fetchall()
    again = resolve(con, "L1")
    assert again.labels["Person"].delta == 0 and again.links == 0
    assert con.execute("SELECT * FROM edge_SAME_AS ORDER BY ALL").fetchall() == before
    # a second load brings one more variant: it and the members of the block it joins are
    # re-scored (block sizes are in the fingerprint); Wang Fang, elsewhere, is not
    c = w.person("ZHANG Wei", "+8613800138000", load="L2")
    _, second = run(w, "L2", con)
    assert second.labels["Person"].delta == 3
    assert second.labels["Person"].pairs == 3
    assert same_as(con) == {frozenset((a, b)), frozenset((a, c)), frozenset((b, c))}
    loads = dict(con.execute("SELECT to_key, _load_id FROM edge_SAME_AS "
                             "WHERE from_key = ? OR to_key = ?", [b, b]).fetchall())
    assert loads.get(b, loads.get(a)) is not None
    assert first.labels["Person"].delta == 3


def test_removed_node_loses_its_links():
    w = World()
    w.person("Zhang Wei", "+8613800138000", _valid_id("11010519920307451"))
    b = w.person("Zhang Wie", "+8613800138000")
    con, _ = run(w)
    assert len(same_as(con)) == 1
    w.persons = [p for p in w.persons if p["person_key"] != b]
    _, summary = run(w, "L2", con)
    assert summary.labels["Person"].removed == 1 and same_as(con) == set()


def test_identifier_turning_into_a_hub_drops_its_links():
    w = World()
    flat = "Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing"
    a = w.person("Li Na", id_number=_valid_id("11010519920307451"), address=flat)
    b = w.person("LiNa", address=flat)  # same name, same flat: enough when nothing disagrees
    con, _ = run(w)
    assert same_as(con) == {frozenset((a, b))}
    for i in range(20):  # the "flat" turns out to be a drop point for 20 more people
        w.person(f"Person {i}", f"+861390000{i:04d}", address=flat, load="L2")
    run(w, "L2", con)
    assert same_as(con) == set()


# -- the evaluator -----------------------------------------------------------------------
def _evaluator():
    return load_bench("eval_resolution")


def test_evaluator_counts_pairs_for_keys_and_same_as(tmp_path):
    ev = _evaluator()
    con = duckdb.connect(str(tmp_path / "staging.duckdb"))
    idn = _valid_id("11010519920307451")
    con.execute("""CREATE TABLE stg_persons AS SELECT * FROM (VALUES
        ('P1', 'ZHANGWEI', ?, true, '+8613800138000'),
        ('P2', 'ZHANGWEI', ?, true, '+8613800138001'),
        ('P3', 'ZHANGWIE', NULL, NULL, '+8613800138000'),
        ('P4', 'WANGFANG', NULL, NULL, '+8613900139000'))
        t(person_ref, name_norm, id_number_norm, id_number_valid, telephone_e164)""",
                [idn, idn])
    con.execute("CREATE TABLE stg_enterprises AS SELECT 'E1' AS enterprise_code")
    con.execute("CREATE TABLE stg_addresses AS SELECT 'A1' AS address_ref, 'k1' AS address_key")
    truth = pd.DataFrame({"entity_type": ["person"] * 5, "record_key": ["P1", "P2", "P3", "P4",
                                                                          "P5"],
                          "true_id": ["T1", "T1", "T1", "T2", "T2"]})
    keys = ev.record_nodes(con, "person").set_index("record_key")["node_key"]
    r = ev.evaluate(con, truth)["person"]
    # keys merge P1+P2 (one valid ID); P3 and P5 (quarantined, absent) stay apart
    assert r["keys"]["true_pairs"] == 4 and r["keys"]["correct_pairs"] == 1
    assert r["keys"]["precision"] == 1.0 and r["missing_in_staging"] == 1
    con.execute("CREATE TABLE edge_SAME_AS AS SELECT 'Person' AS from_label, ? AS from_key, "
                "'Person' AS to_label, ? AS to_key", [keys["P1"], keys["P3"]])
    r = ev.evaluate(con, truth)["person"]
    assert r["keys_same_as"]["correct_pairs"] == 3 and r["keys_same_as"]["predicted_pairs"] == 3
    assert r["keys_same_as"]["recall"] == 0.75
    con.execute("INSERT INTO edge_SAME_AS VALUES ('Person', ?, 'Person', ?)",
                [keys["P1"], keys["P4"]])
    r = ev.evaluate(con, truth)["person"]
    assert r["keys_same_as"]["predicted_pairs"] == 6 and r["keys_same_as"]["precision"] == 0.5


def test_evaluator_cli_reports_missing_inputs(tmp_path, capsys):
    ev = _evaluator()
    assert ev.main([str(tmp_path / "world"), str(tmp_path / "ws")]) == 2
    assert "ground truth" in capsys.readouterr().err


def test_masked_id_counts_only_against_a_clear_one():
    from etl.resolution.scoring import score_pairs

    row = dict(a="x", b="y", s_id=False, s_idsig=True, s_phone=False, s_account=False,
               s_email=False, s_address=False, a_name="lina", b_name="lina",
               a_tokens="li na", b_tokens="li na", a_birth_year=None, b_birth_year=None,
               a_phones=0, b_phones=0)
    both_masked = pd.DataFrame([{**row, "a_strong": None, "b_strong": None}])
    clear_masked = pd.DataFrame([{**row, "a_strong": "clear", "b_strong": None}])
    assert not score_pairs("Person", both_masked)["linked"].iloc[0]
    linked = score_pairs("Person", clear_masked)
    assert linked["linked"].iloc[0] and linked["method"].iloc[0] == "name_exact+idsig"


def test_masked_id_fitting_two_documented_people_links_neither():
    from etl.resolution.scoring import score_pairs

    row = dict(s_id=False, s_idsig=True, s_phone=False, s_account=False, s_email=False,
               s_address=False, a_name="chentaoyu", b_name="chentaoyu", a_tokens="chen taoyu",
               b_tokens="chen taoyu", a_birth_year=None, b_birth_year=None, a_phones=0,
               b_phones=0, a_strong="clear", b_strong=None)
    pairs = pd.DataFrame([{**row, "a": "id:110105198804021579", "b": "nm:masked"},
                          {**row, "a": "id:110105196304111579", "b": "nm:masked"}])
    scored = score_pairs("Person", pairs)
    assert not scored["linked"].any()
    assert all("idsig_ambiguous" in m for m in scored["method"])
    assert score_pairs("Person", pairs.iloc[:1])["linked"].all()  # one fit alone: linked
    # the record also shares a phone with the first: that link stands, the other goes
    pairs.loc[0, "s_phone"] = True
    scored = score_pairs("Person", pairs)
    assert scored["linked"].tolist() == [True, False]


def test_incremental_run_ends_where_a_fresh_run_on_the_same_data_ends():
    """A masked ID fitting two documented people links neither (scoring), also when the
    second one only comes to fit in a later load: its new name must re-score the masked
    record's old link, which no fingerprint of the masked record or the first person saw."""
    w = World()
    c1 = w.person("Chen Taoyu", id_number="110105198804021579")
    c2 = w.person("Wang Lei", id_number="110105196304111579")
    holder = w.person("Chen Taoyu", "+8613800138000")
    w._edge("HAS_ID", "Person", holder, "IdNumber", "110105********1579", "L1")
    con, _ = run(w)
    assert same_as(con) == {frozenset((c1, holder))}  # one fit alone: linked
    # a later load: the second ID holder's displayed name becomes "Chen Taoyu" too
    for p in w.persons:
        if p["person_key"] == c2:
            p.update(name="Chen Taoyu", name_norm=normalise_name("Chen Taoyu"))
    run(w, "L2", con)
    fresh, _ = run(w, "L2")
    assert same_as(fresh) == set()
    assert same_as(con) == same_as(fresh)


# -- duplicates that do not share a mobile --------------------------------------------------
def test_hashed_id_meets_the_clear_one_whatever_the_phones():
    import hashlib

    w = World()
    home = "Rm 502, Bldg 3, 88 Renmin Rd, Wuchang District, Wuhan"
    clear = _valid_id("11010519920307451")
    other = _valid_id("11010519880101123")
    a = w.person("Zhang Wei", "+8613800138000", clear, home)
    # the same person's second record: hashed number, a second SIM, no shared address node
    b = w.person("Wei Zhang", "+8613900139000",
                 "sha256:" + hashlib.sha256(clear.encode()).hexdigest())
    # a namesake at the same flat whose hashed number is another one: no link
    c = w.person("Wei Zhang", "+8613700137000",
                 "sha256:" + hashlib.sha256(other.encode()).hexdigest(), home)
    con, _ = run(w)
    assert len({a, b, c}) == 3
    assert same_as(con) == {frozenset((a, b))}
    method = con.execute("SELECT method FROM edge_SAME_AS").fetchall()[0][0]
    assert method == "name_reorder+idhash"


def test_second_sim_does_not_count_against_an_agreeing_id():
    from etl.resolution.scoring import score_pairs

    row = dict(a="id:310115199211141617", b="nm:masked", s_id=False, s_idsig=True,
               s_phone=False, s_account=False, s_email=False, s_address=False,
               a_name="hehaohong", b_name="hehoahong", a_tokens="he haohong",
               b_tokens="he hoahong", a_birth_year=None, b_birth_year=None, a_phones=1,
               b_phones=1, a_strong="clear", b_strong=None)
    # masked ID fitting the clear one, mistyped name, each record its own mobile: linked
    scored = score_pairs("Person", pd.DataFrame([row]))
    assert scored["linked"].iloc[0] and scored["method"].iloc[0] == "name_typo+idsig"
    # namesakes sharing a look-alike e-mail, own mobiles, no agreeing ID: still apart
    namesakes = {**row, "s_idsig": False, "s_email": True, "a_strong": None,
                 "b_name": "hehaohong", "b_tokens": "he haohong"}
    assert not score_pairs("Person", pd.DataFrame([namesakes]))["linked"].iloc[0]
