"""The node-key rules: the DuckDB macros and their Python twins agree, and say what they should."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl import keys

VALID = "110105199203074514"
MASKED = "110105********4518"
HASHED = "SHA256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    keys.create_key_macros(c)
    yield c
    c.close()


def sql(con, expr, *args):
    return con.execute(f"SELECT {expr}", list(args)).fetchall()[0][0]


def test_valid_or_hashed_id_identifies_alone():
    assert keys.person_key(VALID, True, "LINA", "+8613800138000") == f"id:{VALID}"
    assert keys.person_key(VALID, True, "LEENA", None) == f"id:{VALID}"
    assert keys.person_key(HASHED, None, "LINA", None) == f"id:{HASHED}"
    bare = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert keys.person_key(bare, None, "X", None).startswith("id:")


def test_masked_or_broken_id_needs_the_name():
    a = keys.person_key(MASKED, None, "WANGWEI", None)
    b = keys.person_key(MASKED, None, "ZHANGSAN", None)
    assert a != b and a.startswith("nm:") and len(a) == 3 + 16
    broken = "110105199203074518"  # wrong check digit
    assert keys.person_key(broken, False, "LINA", None) != keys.person_key(broken, False, "LIN",
                                                                           None)
    # with a phone, the phone (not the ID) completes the name
    assert keys.person_key(MASKED, None, "LINA", "+86138") == keys.person_key(None, None, "LINA",
                                                                              "+86138")


def test_composite_keys_and_helpers():
    assert keys.pair_key("EBP1", "O1") == "EBP1|O1"
    assert keys.pair_key(None, "O1") is None
    assert keys.id_display(VALID) == "110105-1992"
    assert keys.id_display(MASKED) == "110105"
    assert keys.id_display(HASHED) is None
    assert keys.id_is_masked(MASKED, None) and not keys.id_is_masked(HASHED, None)
    assert keys.phone_country("+85291234567") == "HK"
    assert keys.phone_country("+8613800138000") == "CN"
    assert keys.phone_is_mobile("+8613800138000") is True
    assert keys.phone_is_mobile("+862788886666") is False
    assert keys.phone_is_mobile("+14155550123") is None


ids = st.one_of(st.none(), st.sampled_from([VALID, MASKED, HASHED, HASHED.lower(), "E1234567"]),
                st.text(alphabet="0123456789X*", min_size=1, max_size=18))
text = st.one_of(st.none(), st.text(max_size=12))
phones = st.one_of(st.none(), st.sampled_from(["+8613800138000", "+852912345678", "+1415555",
                                               "+86278888666", "+7495"]))


@settings(max_examples=150, deadline=None)
@given(id_norm=ids, id_valid=st.one_of(st.none(), st.booleans()), name=text, phone=phones)
def test_sql_macros_and_python_twins_agree(con, id_norm, id_valid, name, phone):
    args = (id_norm, id_valid, name, phone)
    assert sql(con, "person_key(?, ?, ?, ?)", *args) == keys.person_key(*args)
    assert sql(con, "id_is_hashed(?)", id_norm) == keys.id_is_hashed(id_norm)
    assert sql(con, "id_is_masked(?, ?)", id_norm, id_valid) == keys.id_is_masked(id_norm,
                                                                                   id_valid)
    assert sql(con, "id_display(?)", id_norm) == keys.id_display(id_norm)
    assert sql(con, "pair_key(?, ?)", name, phone) == keys.pair_key(name, phone)
    assert sql(con, "phone_country(?)", phone) == keys.phone_country(phone)
    assert sql(con, "phone_is_mobile(?)", phone) == keys.phone_is_mobile(phone)
