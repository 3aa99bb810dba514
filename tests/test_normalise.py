"""Normalisers: the documented equivalences, and properties over random input."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from etl.normalise import (
    address_key,
    check_prc_id,
    country_iso2,
    normalise_address,
    normalise_name,
    parse_gmodel,
    phone_e164,
)


def test_phone_formats_of_one_mobile_agree():
    forms = ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
             "0086 13800138000", "8613800138000", "(+86)13800138000", "１３８００１３８０００"]
    assert {phone_e164(f) for f in forms} == {"+8613800138000"}


def test_phone_rejects_non_numbers_and_keeps_foreign_numbers():
    assert phone_e164("n/a") is None
    assert phone_e164("") is None
    assert phone_e164("+44 20 7946 0958") == "+442079460958"


def test_country_codes_and_names():
    assert [country_iso2(x) for x in ("CN", "chn", "156", "China", "People's Republic of China",
                                      "United Kingdom", "UK", "Deutschland")] == \
        ["CN", "CN", "CN", "CN", "CN", "GB", "GB", None]


def test_name_variants_collapse():
    assert normalise_name("Li Na") == normalise_name("LI  NA") == normalise_name("li.na") \
        == normalise_name("Ｌｉ Ｎａ") == "LINA"
    assert normalise_name("Li Na") != normalise_name("Li Nan")


def test_address_variants_collapse_and_key_is_16_hex():
    a = normalise_address("Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing")
    b = normalise_address("ROOM 1203 BUILDING 5 18 JIANGUO ROAD CHAOYANG DIST BEIJING")
    c = normalise_address("Rm 1204, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing")
    assert a == b != c
    assert len(address_key(a)) == 16 and int(address_key(a), 16) >= 0
    assert address_key(a) == address_key(b) != address_key(c)


def test_prc_id_checks():
    norm, valid, region, birth = check_prc_id("110105199203074514")
    assert (valid, region, birth) == (True, "110105", dt.date(1992, 3, 7))
    assert check_prc_id("110105199203074518")[1] is False          # check digit
    assert check_prc_id("110105199202304514")[1] is False          # 30 February
    assert check_prc_id("990105199203074514")[1] is False          # no province 99
    assert check_prc_id("11010519920307451")[1] is False           # 17 characters
    assert check_prc_id("110105********4514")[1] is None           # masked
    assert check_prc_id("sha256:" + "ab" * 32)[1] is None          # hashed
    assert check_prc_id(None) == (None, None, None, None)


def _with_check_digit(body: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * k for d, k in zip(body, w, strict=True)) % 11]


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)), st.integers(0, 999),
       st.integers(0, 16), st.sampled_from("0123456789X"))
def test_any_single_digit_change_is_caught(birth, seq, pos, new):
    good = _with_check_digit(f"330782{birth:%Y%m%d}{seq:03d}")
    assert check_prc_id(good)[1] is True
    bad = good[:pos] + new + good[pos + 1:]
    if bad != good and new != "X":
        assert check_prc_id(bad)[1] is False


def test_gmodel_parts():
    assert parse_gmodel("1|0|POP MART|LABUBU|") == (1, "0", "POP MART", "LABUBU")
    assert parse_gmodel("0|0|NONE|plush") == (0, "0", None, "plush")
    assert parse_gmodel("7|0|X") == (None, None, None, "7|0|X")
    assert parse_gmodel("") == (None, None, None, None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_normalisers_never_raise(text):
    phone_e164(text)
    country_iso2(text)
    n = normalise_name(text)
    assert n is None or " " not in n
    a = normalise_address(text)
    assert a is None or a == " ".join(a.split())
    check_prc_id(text)
    parse_gmodel(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       st.sampled_from(["{}", "+86{}", "0086 {}", "+86 {a} {b} {c}", "{a}-{b}-{c}"]))
def test_mobile_fast_path_agrees_with_phonenumbers(num, form):
    import phonenumbers

    text = form.format(num, a=num[:3], b=num[3:7], c=num[7:])
    slow = phonenumbers.format_number(phonenumbers.parse(text, "CN"),
                                      phonenumbers.PhoneNumberFormat.E164)
    assert phone_e164(text) == slow
