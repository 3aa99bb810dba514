"""Scoring candidate pairs: name similarity (rapidfuzz) plus shared identifiers, minus conflicts.

Each pair gets a **match weight**, a sum of points in the spirit of Fellegi-Sunter log-odds
(hand-set, documented in ``docs/entity-resolution.md``): how alike the names or address
texts are, which identifiers the two share, and hard conflicts (two different valid ID
numbers, different birth years, different numbers in an address) that veto a link
whatever the rest says. A pair with ``weight >= THRESHOLD`` becomes a ``SAME_AS`` edge whose
``score`` is ``1 / (1 + exp(-(weight - 4)))`` (0.88 at the threshold) and whose ``method``
names the evidence, e.g. ``name_typo+phone``.

Names are compared with ``rapidfuzz.process.cpdist`` (element-wise, vectorised C++).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

__all__ = ["THRESHOLD", "EVIDENCE", "score_pairs", "to_score"]

THRESHOLD = 6.0
VETO = -100.0
# Two credit codes are two legal persons unless more than name, phone and address say one
# firm re-registered: a successor at the same desk (T8 cycling, a sister firm) keeps those
# three, so only a shared legal representative on top outweighs the difference.
USCC_DIFFERS = 3.5
PHONES_DIFFER = 2.0

# Points for each shared identifier kind (blocks that are hubs never reach scoring).
EVIDENCE: dict[str, dict[str, float]] = {
    # E-mail local parts are usually built from the name ("zhangwei88@"), so a shared
    # e-mail between namesakes is weaker evidence than its rarity suggests.
    # "idhash": a hashed number equal to the SHA-256 of a clear one (the same number).
    "Person": {"id": 6, "idhash": 6, "idsig": 4.5, "phone": 4, "account": 4, "email": 3,
               "address": 2},
    "Enterprise": {"uscc": 10, "account": 3, "phone": 2, "address": 2, "rep": 2},
    "Address": {},
}


def to_score(weight: np.ndarray) -> np.ndarray:
    """Map a match weight to (0, 1): 0.5 at 4 points, 0.88 at the threshold of 6."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(weight, dtype=float) - 4.0)))


def _pairwise(scorer, a: pd.Series, b: pd.Series) -> np.ndarray:
    return process.cpdist(a.fillna("").tolist(), b.fillna("").tolist(), scorer=scorer)


def _typo(a: list[str], b: list[str]) -> np.ndarray:
    """One slip of the keyboard: a letter dropped, doubled or swapped (names of 4+ letters),
    one replaced (5+ letters, since "xuli"/"xuni" are more often two people), or two edits
    in a long name (12+)."""
    osa = process.cpdist(a, b, scorer=OSA.distance)
    la = np.fromiter((len(x) for x in a), int, len(a))
    lb = np.fromiter((len(x) for x in b), int, len(b))
    shortest = np.minimum(la, lb)
    swapped = np.zeros(len(a), dtype=bool)
    for i in np.flatnonzero((osa == 1) & (la == lb)):  # few: only these can be a swap
        swapped[i] = sorted(a[i]) == sorted(b[i])
    indel_or_swap = (osa == 1) & ((la != lb) | swapped) & (shortest >= 4)
    replaced = (osa == 1) & (shortest >= 5)
    return indel_or_swap | replaced | ((osa <= 2) & (shortest >= 12))


def _name_levels(df: pd.DataFrame, points: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Points and label for name agreement: exact, re-ordered, typo, close or different."""
    an, bn = df["a_name"].fillna(""), df["b_name"].fillna("")
    al, bl = an.tolist(), bn.tolist()
    jw = process.cpdist(al, bl, scorer=JaroWinkler.normalized_similarity)
    shortest = np.minimum(an.str.len().to_numpy(), bn.str.len().to_numpy())
    exact = (an == bn).to_numpy() & (shortest > 0)
    # re-ordered: same tokens, or "zhangwei" / "weizhang" (a rotation of the compact form)
    rotated = np.array([len(x) == len(y) and x in y + y for x, y in zip(al, bl, strict=True)],
                       dtype=bool)
    at = [t.replace(" ", "") for t in df["a_tokens"].fillna("").tolist()]
    bt = [t.replace(" ", "") for t in df["b_tokens"].fillna("").tolist()]
    reorder = ((np.array(at, dtype=object) == np.array(bt, dtype=object)) | rotated) \
        & (shortest > 0)
    # a typo in the name as written, or in its tokens put in order ("Gao Riu" / "Rui Gao")
    typo = _typo(al, bl) | _typo(at, bt)
    close = jw >= 0.92
    conds = [exact, reorder, typo, close]
    names = ["name_exact", "name_reorder", "name_typo", "name_close"]
    pts = np.select(conds, [points[n] for n in names], points["name_differs"])
    lab = np.select(conds, names, "name_differs")
    return pts.astype(float), lab


def _compare(df: pd.DataFrame, col: str, *, equal: bool) -> np.ndarray:
    """Both ends know ``col`` and the values agree (``equal``) or disagree, case-blind."""
    a = df[f"a_{col}"].astype("string").str.lower()
    b = df[f"b_{col}"].astype("string").str.lower()
    known = (a.notna() & b.notna()).to_numpy(dtype=bool)
    eq = (a == b).fillna(False).to_numpy(dtype=bool)
    return known & (eq if equal else ~eq)


def _evidence(df: pd.DataFrame, label: str) -> tuple[np.ndarray, list[list[str]]]:
    pts = np.zeros(len(df))
    tags: list[list[str]] = [[] for _ in range(len(df))]
    for kind, p in EVIDENCE[label].items():
        col = f"s_{kind}"
        if col not in df:
            continue
        hit = df[col].fillna(False).to_numpy(dtype=bool)
        pts += np.where(hit, p, 0.0)
        for i in np.flatnonzero(hit):
            tags[i].append(kind)
    return pts, tags


def _persons(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    pts, lab = _name_levels(df, {"name_exact": 4, "name_reorder": 3.5, "name_typo": 2.5,
                                 "name_close": 1, "name_differs": -3})
    # region + last four is evidence only against a complete, valid number: two masked
    # numbers sharing it are as likely two people (16 region codes, 10,000 endings). Worth
    # 4.5, so that it links a matching, re-ordered or mistyped name but not a merely close
    # one ("Liu Jie" / "Liu Jingjie" collided on region and ending in a test world).
    if "s_idsig" in df:
        clear = ((df["a_strong"] == "clear") | (df["b_strong"] == "clear")).fillna(False)
        df = df.assign(s_idsig=df["s_idsig"].fillna(False) & clear)
    # a hashed number that is the digest of a clear one: the same number, counted once
    if "s_idhash" in df and "s_id" in df:
        df = df.assign(s_idhash=df["s_idhash"].fillna(False) & ~df["s_id"].fillna(False))
    ev, tags = _evidence(df, "Person")
    w = pts + ev
    # Both have phones and share none: mobiles are personal, so this argues for two people
    # (household members, namesakes with look-alike e-mails). Not when the ID numbers agree
    # (a masked one fitting the clear one, or a hash of it): one person's second record
    # often carries a second SIM or a work phone, and an agreeing ID is what such records
    # still share.
    id_agrees = np.zeros(len(df), dtype=bool)
    for k in ("s_id", "s_idhash", "s_idsig"):
        if k in df:
            id_agrees |= df[k].fillna(False).to_numpy(dtype=bool)
    w -= np.where((df["a_phones"] > 0) & (df["b_phones"] > 0) & ~df["s_phone"] & ~id_agrees,
                  PHONES_DIFFER, 0.0)
    both_strong = df["a_strong"].notna() & df["b_strong"].notna()
    id_conflict = (both_strong & (df["a_strong"] == df["b_strong"])).to_numpy()
    birth_conflict = _compare(df, "birth_year", equal=False)
    w = np.where(id_conflict | birth_conflict, VETO, w)
    if "s_idsig" in df:
        w = _exclusive_signatures(df, w, tags)
    return w, _method(lab, tags)


def _exclusive_signatures(df: pd.DataFrame, w: np.ndarray, tags: list[list[str]]) -> np.ndarray:
    """A masked number belongs to one documented person at most.

    When one record's masked ID (region + last four) and name fit two different clear IDs,
    e.g. two people called "Chen Taoyu" born in one district whose numbers end alike, the
    signature cannot tell them apart: links that only stand thanks to it are dropped.
    """
    idsig = EVIDENCE["Person"]["idsig"]
    a_clear = (df["a_strong"] == "clear").fillna(False).to_numpy(dtype=bool)
    b_clear = (df["b_strong"] == "clear").fillna(False).to_numpy(dtype=bool)
    fit = df["s_idsig"].to_numpy(dtype=bool) & (w >= THRESHOLD) & (a_clear ^ b_clear)
    relies = fit & (w - idsig < THRESHOLD)
    if not relies.any():
        return w
    holder = np.where(a_clear, df["b"].to_numpy(), df["a"].to_numpy())
    clear = np.where(a_clear, df["a"].to_numpy(), df["b"].to_numpy())
    # every clear ID the record fits counts, also one it is linked to on other evidence too
    fits = pd.DataFrame({"holder": holder[fit], "clear": clear[fit]})
    ambiguous = set(fits.groupby("holder")["clear"].nunique().loc[lambda n: n > 1].index)
    if not ambiguous:
        return w
    drop = relies & np.isin(holder, list(ambiguous))
    for i in np.flatnonzero(drop):
        tags[i].append("idsig_ambiguous")
    return np.where(drop, w - idsig, w)


def _enterprises(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    pts, lab = _name_levels(df, {"name_exact": 5, "name_reorder": 4, "name_typo": 3,
                                 "name_close": 1.5, "name_differs": -4})
    ev, tags = _evidence(df, "Enterprise")
    w = pts + ev
    differ = lambda c: _compare(df, c, equal=False)  # noqa: E731
    # A second registration of one firm may carry a new credit code (re-incorporated after a
    # penalty, say): a different USCC argues against a link but does not veto it.
    uscc_differs = differ("uscc")
    w = w - np.where(uscc_differs, USCC_DIFFERS, 0.0)
    for i in np.flatnonzero(uscc_differs):
        tags[i].append("uscc_differs")
    w = np.where(differ("country"), VETO, w)
    return w, _method(lab, tags)


def _addresses(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    at, bt = df["a_text"].fillna(""), df["b_text"].fillna("")
    sort_r = _pairwise(fuzz.token_sort_ratio, at, bt)
    # one text is the other with words left out ("..., Chaoyang" / "..., Chaoyang District");
    # two different extra words ("Xihu" / "Binjiang") are two places, not a subset
    subset = np.array([len(x) >= 3 and len(y) >= 3 and (x <= y or y <= x) for x, y in zip(
        (set(t.split()) for t in at.tolist()), (set(t.split()) for t in bt.tolist()),
        strict=True)], dtype=bool)
    exact = (at == bt).to_numpy()
    conds = [exact, sort_r >= 95, subset, sort_r >= 80]
    names = ["text_exact", "text_near", "text_subset", "text_close"]
    w = np.select(conds, [8.0, 7.0, 6.0, 3.0], -4.0)
    lab = np.select(conds, names, "text_differs")
    same = lambda c: _compare(df, c, equal=True)  # noqa: E731
    differ = lambda c: _compare(df, c, equal=False)  # noqa: E731
    w = w + np.where(same("district"), 1.0, 0.0)
    numbers_differ = (df["a_numbers"] != df["b_numbers"]).to_numpy()
    veto = numbers_differ | differ("district") | differ("city") | differ("country")
    w = np.where(veto, VETO, w)
    return w, lab.astype(object)


def _method(name_label: np.ndarray, tags: list[list[str]]) -> np.ndarray:
    return np.array(["+".join([n, *t]) for n, t in zip(name_label, tags, strict=True)],
                    dtype=object)


_SCORERS = {"Person": _persons, "Enterprise": _enterprises, "Address": _addresses}


def score_pairs(label: str, pairs: pd.DataFrame) -> pd.DataFrame:
    """Score candidate pairs of ``label``; return all of them with weight, score, method.

    Parameters
    ----------
    label : {"Person", "Enterprise", "Address"}
    pairs : DataFrame
        One row per pair with columns ``a``, ``b``, ``s_<kind>`` (shares that identifier)
        and ``a_<attr>`` / ``b_<attr>`` for the attributes the label's rule reads
        (see ``etl.resolution.resolve.PAIR_SQL``).

    Returns
    -------
    DataFrame with ``a, b, weight, score, method, linked``.
    """
    if pairs.empty:
        return pd.DataFrame({"a": pd.Series([], dtype=str), "b": pd.Series([], dtype=str),
                             "weight": pd.Series([], dtype=float),
                             "score": pd.Series([], dtype=float),
                             "method": pd.Series([], dtype=str),
                             "linked": pd.Series([], dtype=bool)})
    weight, method = _SCORERS[label](pairs)
    return pd.DataFrame({"a": pairs["a"].to_numpy(), "b": pairs["b"].to_numpy(),
                         "weight": weight, "score": to_score(weight), "method": method,
                         "linked": weight >= THRESHOLD})
