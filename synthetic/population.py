"""The benign bulk of one month, vectorised with numpy.

Shares follow domain.md §6: about 70 % of declarations are exports (exports are ~3.7×
imports by value), export destinations weighted US 34 %, UK 8 %, DE 6 %, FR 4.5 %;
import channels mostly CBEC bonded (1210) and direct (9610), exports mostly express 9610.
Promotion days (618, 11.11, 12.12, ...) bring midnight bursts of orders; a small share of
import orders are genuine flash sales with a promotion note.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.cast import Cast, Sellers
from synthetic.catalog import CATALOG, IMPORT_ITEMS
from synthetic.config import COUNTRIES, EXPORT_SHARES, IMPORT_SHARES, LOOKALIKES, POD, TRADE_MODES
from synthetic.frame import Frame

__all__ = ["benign_month", "PROMO_DAYS", "day_weights", "POD_START", "POD_COUNT", "FLAT_POD",
           "USD_RATE", "sample_times"]

USD_RATE = 7.1
PROMO_DAYS = {(6, 18): 6.0, (6, 1): 2.0, (11, 11): 8.0, (12, 12): 3.0, (8, 18): 2.0,
              (3, 8): 2.0, (9, 9): 1.8}
_LOOK = {k: i for i, k in enumerate(LOOKALIKES)}
_TM = {k: i for i, k in enumerate(TRADE_MODES)}
FLAT_POD = [p for c in COUNTRIES for p in POD[c]]
POD_COUNT = np.array([len(POD[c]) for c in COUNTRIES])
POD_START = np.concatenate([[0], np.cumsum(POD_COUNT)[:-1]])
_EXP_P = np.array([EXPORT_SHARES[c] for c in COUNTRIES])
_EXP_P = _EXP_P / _EXP_P.sum()
_IMP_P = np.array([IMPORT_SHARES.get(c, 0.0) for c in COUNTRIES])
_IMP_P = _IMP_P / _IMP_P.sum()
# hour-of-day profile of online shopping (evening peak)
_HOURS = np.array([3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 5, 5, 5, 5, 6, 7, 8, 10, 11, 9, 5.0])
_HOURS = _HOURS / _HOURS.sum()


def day_weights(m0: date, m1: date) -> tuple[np.ndarray, np.ndarray]:
    """Epoch-day numbers of the month and their relative volumes (promotion days boosted)."""
    days = np.arange(np.datetime64(m0), np.datetime64(m1))
    w = np.ones(len(days))
    for i, d in enumerate(days.astype(object)):
        w[i] = PROMO_DAYS.get((d.month, d.day), 1.0)
    return days.astype("datetime64[D]").astype(np.int64), w / w.sum()


def sample_times(rng: np.random.Generator, n: int, m0: date, m1: date) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Declaration times (epoch s) in [m0, m1) and whether each falls in a promo burst."""
    days, w = day_weights(m0, m1)
    di = rng.choice(len(days), n, p=w)
    sec = rng.choice(24, n, p=_HOURS) * 3600 + rng.integers(0, 3600, n)
    promo_day = w[di] > w.min() * 1.5
    burst = promo_day & (rng.random(n) < 0.5)
    sec = np.where(burst, rng.integers(0, 5400, n), sec)  # midnight sales: 00:00-01:30
    return days[di] * 86400 + sec, promo_day


def _epoch(d: date) -> int:
    return int(np.datetime64(d, "s").astype(np.int64))


def _first_lines(d: dict) -> np.ndarray:
    nl = d["n_lines"].astype(np.int64)
    return np.cumsum(nl) - nl


def _pick_sellers(rng: np.random.Generator, s: Sellers, n: int) -> np.ndarray:
    return rng.choice(len(s.ent), n, p=s.weight)


def benign_month(cast: Cast, rng: np.random.Generator, n: int, m0: date, m1: date) -> Frame:
    """``n`` benign declarations whose declaration time falls in [m0, m1)."""
    reg = cast.reg
    n_lines = rng.choice([1, 2, 3], n, p=[0.75, 0.18, 0.07]).astype(np.int8)
    f = Frame.empty(n, n_lines)
    d, li = f.d, f.li
    exp = rng.random(n) < 0.7
    d["ie"][:] = exp
    si = np.where(exp, _pick_sellers(rng, cast.exp, n), _pick_sellers(rng, cast.imp, n))

    def sel(attr: str, k: int | None = None) -> np.ndarray:
        a_i, a_e = getattr(cast.imp, attr), getattr(cast.exp, attr)
        if k is not None:
            a_i, a_e = a_i[:, k], a_e[:, k]
        return np.where(exp, a_e[np.minimum(si, len(a_e) - 1)], a_i[np.minimum(si, len(a_i) - 1)])

    d["ebc"][:] = sel("ent")
    d["ebp"][:] = sel("ebp")
    d["agent"][:] = np.where(rng.random(n) < 0.9, sel("agent"), rng.choice(cast.agents, n))
    d["district"][:] = sel("district")
    look_seller = sel("look")
    # channels, trade modes, transport
    u = rng.random(n)
    ch_i = np.where(u < 0.75, 0, np.where(u < 0.90, 1, 2))
    ch_e = np.where(u < 0.55, 1, np.where(u < 0.90, 0, 2))
    d["channel"][:] = np.where(exp, ch_e, ch_i)
    u2 = rng.random(n)
    tm_i = np.where(u2 < 0.55, _TM["1210"], _TM["9610"])
    tm_e = np.where(u2 < 0.5, _TM["9610"], np.where(u2 < 0.8, _TM["9710"], _TM["9810"]))
    tm = np.where(exp, tm_e, tm_i)
    d["tmode"][:] = np.where(d["channel"] == 0, tm, np.where(d["channel"] == 1, _TM["9610"], -1))
    u3 = rng.random(n)
    traf_cbec = np.where(u3 < 0.5, 0, np.where(u3 < 0.75, 1, np.where(u3 < 0.95, 2, 3)))
    d["traf"][:] = np.where(d["channel"] == 2, 4, np.where(d["channel"] == 0, traf_cbec, 0))
    # carriers: postal -> China Post, export road -> a trucking firm, else the seller's own
    logi = sel("logi", 0)
    logi = np.where(rng.random(n) < 0.3, sel("logi", 1), logi)
    bad = np.isin(logi, cast.postal + cast.trucks)
    exp_pool, imp_pool = np.array(cast.express_exp), np.array(cast.express_imp)
    logi = np.where(bad, np.where(exp, rng.choice(exp_pool, n), rng.choice(imp_pool, n)), logi)
    logi = np.where(d["channel"] == 2, cast.postal[0], logi)
    logi = np.where(exp & (d["traf"] == 1), rng.choice(cast.trucks, n), logi)
    d["logi"][:] = logi
    # destinations / origins
    glob = rng.choice(len(COUNTRIES), n, p=_EXP_P)
    c_exp = np.where(rng.random(n) < sel("p_top"), sel("top_country"), glob)
    d["country"][:] = np.where(exp, c_exp, rng.choice(len(COUNTRIES), n, p=_IMP_P))
    c = d["country"].astype(np.int64)
    d["pod"][:] = np.where(exp, POD_START[c] + rng.integers(0, 99, n) % POD_COUNT[c], -1)
    d["owner"][:] = np.where(exp, sel("owner"), -2)
    d["usd"][:] = exp & (rng.random(n) < 0.6)
    d["payfirm"][:] = np.where(exp, sel("payfirm"), -1)
    # import buyers: a real person, one of their refs, their own phone and address
    imp = ~exp
    k = int(imp.sum())
    person = rng.choice(len(cast.person_weight), k, p=cast.person_weight)
    ref = cast.person_first_ref[person] + rng.integers(0, 99, k) % cast.person_n_refs[person]
    for col, src in (("buyer", None), ("payer", None), ("cons_addr", "p_addr"),
                     ("cons_phone", "p_phone"), ("buyer_phone", "p_phone"), ("acct", "p_acct")):
        d[col][imp] = ref if src is None else reg.np(src)[ref]
    d["payfirm"][imp] = reg.np("acct_ent")[d["acct"][imp]]
    d["raw"][:] = np.where(imp & (rng.random(n) < 0.92), 1, 0)  # not every payment has one
    # times
    t, promo = sample_times(rng, n, m0, m1)
    d["t_decl"][:] = t
    d["d_ship"][:] = rng.integers(3600, 20 * 3600, n)
    d["d_pay"][:] = rng.integers(2 * 3600, 3 * 86400, n)
    d["d_order"][:] = rng.integers(10, 1800, n)
    d["d_depart"][:] = rng.integers(4 * 3600, 3 * 86400, n)
    d["d_receipt"][:] = rng.integers(3600, 15 * 86400, n)
    # promotion days: the burst is in the order time (midnight sales), declared hours later
    pi = imp & promo
    d["d_order"][pi] = rng.integers(5, 600, int(pi.sum()))
    d["d_pay"][pi] = rng.integers(3600, 12 * 3600, int(pi.sum()))
    d["d_ship"][pi] = rng.integers(3600, 8 * 3600, int(pi.sum()))
    late = t[pi] + d["d_order"][pi] + d["d_pay"][pi] + d["d_ship"][pi]
    d["t_decl"][pi] = np.minimum(late, _epoch(m1) - 1)
    # goods lines
    ld = f.line_decl
    lsel = si[ld]
    lexp = exp[ld]
    slot = rng.integers(0, 4, len(ld))
    items = np.where(lexp, cast.exp.items[np.minimum(lsel, len(cast.exp.ent) - 1), slot],
                     cast.imp.items[np.minimum(lsel, len(cast.imp.ent) - 1), slot])
    pf = np.where(lexp, cast.exp.price_f[np.minimum(lsel, len(cast.exp.ent) - 1)],
                  cast.imp.price_f[np.minimum(lsel, len(cast.imp.ent) - 1)])
    sku_f = 1 + 0.05 * (((lsel * 31 + items) % 7) - 3) / 3  # stable per seller and item
    price = CATALOG["price"][items] * pf * sku_f
    price = np.where(d["usd"][ld], price / USD_RATE, price)
    b2b = np.isin(d["tmode"][ld], [_TM["9710"], _TM["9810"]])
    qty = np.where(b2b, np.minimum(rng.geometric(0.045, len(ld)) + 4, 200),
                   np.minimum(rng.geometric(np.where(lexp, 0.5, 0.65)), 8))
    # imports stay under the RMB 5,000 per-order limit (TL-11): fewer units, then a cheap
    # add-on instead of further expensive lines
    nl = d["n_lines"].astype(np.int64)[ld]
    cap = np.maximum(1, np.floor(4900 / (nl * price)))
    qty = np.where(lexp, qty, np.minimum(qty, cap))
    gv = np.bincount(ld, weights=price * qty, minlength=n)
    fix = ~lexp & (gv[ld] > 4950) & (np.arange(len(ld)) != _first_lines(d)[ld])
    if fix.any():
        # extra lines become a small add-on (the cheapest import item, one unit)
        cheapest = np.full(int(fix.sum()), IMPORT_ITEMS[CATALOG["price"][IMPORT_ITEMS].argmin()])
        items = items.copy()
        items[fix] = cheapest
        sku = 1 + 0.05 * (((lsel[fix] * 31 + cheapest) % 7) - 3) / 3
        price[fix] = CATALOG["price"][cheapest] * pf[fix] * sku
        qty[fix] = 1
    li["item"][:] = items
    li["true_item"][:] = items
    li["qty"][:] = qty
    li["true_qty"][:] = qty
    li["price"][:] = np.round(price, 2)
    # flash sales: genuine deep discounts declared with a note (look-alike of T3)
    flash = imp & (rng.random(n) < 0.004)
    li["price"][:] = np.where(flash[ld], np.round(li["price"] * 0.5, 2), li["price"])
    li["true_price"][:] = li["price"]
    # money
    cur_f = np.where(d["usd"], 1 / USD_RATE, 1.0)
    d["freight"][:] = np.round(np.where(imp, np.where(rng.random(n) < 0.5, 0,
                                                      rng.uniform(8, 30, n)),
                                        rng.uniform(5, 60, n) * cur_f), 2)
    coupon = imp & (rng.random(n) < 0.2)
    gv = np.bincount(ld, weights=li["price"] * li["qty"], minlength=n)
    d["discount"][:] = np.where(coupon, np.round(np.minimum(rng.uniform(5, 30, n), gv * 0.3), 2),
                                0.0)
    note = np.where(coupon & (rng.random(n) < 0.5), 6, 0)
    month = (t // 86400).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    promo_note = np.where(month == 6, 1, np.where(month == 11, 2, 4))
    note = np.where(imp & promo, promo_note, note)  # promotion note on promo-day orders
    d["discount"][:] = np.where(imp & promo, np.round(gv * rng.uniform(0.1, 0.3, n), 2),
                                d["discount"])
    note = np.where(flash, 3, note)
    d["note"][:] = note
    # look-alike labels (benign patterns a naive model confuses with fraud)
    look = np.where(exp, look_seller, 0)
    look[imp] = cast.addr_look[d["cons_addr"][imp]]
    look = np.where(imp & promo, _LOOK["promotion_day"], look)
    look = np.where(flash, _LOOK["flash_sale"], look)
    d["look"][:] = look
    return f
