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
           "USD_RATE", "sample_times", "sample_hours", "shelf_prices", "import_money",
           "import_modes", "export_modes", "unit_weight_spread", "pay_clock"]

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


def sample_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into the day, from the online-shopping hour profile (planted rows too)."""
    return rng.choice(24, n, p=_HOURS) * 3600 + rng.integers(0, 3600, n)


def pay_clock(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into the day of a payment as the bulk's payments fall: all but uniform (a
    declaration follows the shopping profile, its payment precedes it by 3 h to 3 days).
    Planted payment bursts start at these times, so their hour says nothing."""
    return rng.integers(0, 86400, n)


def shelf_prices(price: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Prices as shops set them: whole units, or ending .90 / .99 / .50 (cheap goods keep
    cents). The same rounding for every seller, honest or not."""
    p = np.asarray(price, dtype=float)
    u = rng.random(len(p))
    whole = np.maximum(np.floor(p), 1.0)
    end = np.where(u < 0.45, 0.0, np.where(u < 0.7, 0.9, np.where(u < 0.9, 0.99, 0.5)))
    out = np.where(p >= 5, whole - 1 + end + (end == 0), np.round(p, 2))
    return np.round(np.maximum(out, 0.01), 2)


def unit_weight_spread(ebc: np.ndarray, item: np.ndarray) -> np.ndarray:
    """Weight of an unbranded item's unit relative to the catalogue's, stable per seller
    and item (0.6-1.5): "plush toy" or "phone case" covers many products, so a weight per
    unit off the catalogue's is ordinary for generic goods; branded goods weigh what the
    catalogue says. Planted rows get the same spread (``typologies.base.add_lines``)."""
    h = (ebc.astype(np.int64) * 7919 + item.astype(np.int64) * 104729) * 48271 % 1000
    return np.where(CATALOG["brand_type"][item] == 0, 0.6 + 0.9 * h / 1000, 1.0)


def import_modes(d: dict, rng: np.random.Generator, rows: np.ndarray) -> None:
    """Trade mode and transport of import ``rows`` by their channel (bulk's shares)."""
    n = len(rows)
    ch = d["channel"][rows]
    tm = np.where(rng.random(n) < 0.55, _TM["1210"], _TM["9610"])
    d["tmode"][rows] = np.where(ch == 0, tm, np.where(ch == 1, _TM["9610"], -1))
    u3 = rng.random(n)
    traf_cbec = np.where(u3 < 0.5, 0, np.where(u3 < 0.75, 1, np.where(u3 < 0.95, 2, 3)))
    d["traf"][rows] = np.where(ch == 2, 4, np.where(ch == 0, traf_cbec, 0))


def export_modes(d: dict, rng: np.random.Generator, rows: np.ndarray) -> None:
    """Trade mode and transport of export ``rows`` by their channel (bulk's shares)."""
    n = len(rows)
    ch = d["channel"][rows]
    u2 = rng.random(n)
    tm = np.where(u2 < 0.5, _TM["9610"], np.where(u2 < 0.8, _TM["9710"], _TM["9810"]))
    d["tmode"][rows] = np.where(ch == 0, tm, np.where(ch == 1, _TM["9610"], -1))
    u3 = rng.random(n)
    traf_cbec = np.where(u3 < 0.5, 0, np.where(u3 < 0.75, 1, np.where(u3 < 0.95, 2, 3)))
    d["traf"][rows] = np.where(ch == 2, 4, np.where(ch == 0, traf_cbec, 0))


def import_money(d: dict, li: dict, ld: np.ndarray, rng: np.random.Generator,
                 rows: np.ndarray, promo: np.ndarray | None = None) -> None:
    """Freight, coupons, notes and round-total promotions of import ``rows`` (a mask)."""
    n = len(rows)
    gv = np.bincount(ld, weights=li["price"] * li["qty"], minlength=n)
    d["freight"][:] = np.where(rows, np.round(np.where(rng.random(n) < 0.5, 0,
                                                       rng.uniform(8, 30, n)), 2), d["freight"])
    coupon = rows & (rng.random(n) < 0.2)
    d["discount"][:] = np.where(coupon, np.round(np.minimum(rng.uniform(5, 30, n), gv * 0.3), 2),
                                np.where(rows, 0.0, d["discount"]))
    note = np.where(coupon & (rng.random(n) < 0.5), 6, 0)
    if promo is not None:
        t = d["t_decl"]
        month = (t // 86400).astype("datetime64[D]").astype("datetime64[M]").astype(
            np.int64) % 12 + 1
        promo_note = np.where(month == 6, 1, np.where(month == 11, 2, 4))
        pr = rows & promo
        note = np.where(pr, promo_note, note)
        d["discount"][:] = np.where(pr, np.round(gv * rng.uniform(0.1, 0.3, n), 2),
                                    d["discount"])
    d["note"][:] = np.where(rows, note, d["note"])
    # "pay a round sum" promotions (满减): the total is cut down to whole hundreds
    tot = gv * 1.091 + d["freight"] - d["discount"]
    rnd = rows & (tot > 300) & (rng.random(n) < 0.05)
    d["paid_override"][:] = np.where(rnd, np.floor(tot / 100) * 100, d["paid_override"])


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


def _redirect(cast: Cast, rng: np.random.Generator, d: dict, rows: np.ndarray) -> None:
    """Parcels not sent to the buyer's home, at realistic rates: a relative's home (2.5 %),
    the office reception with its shared phone (2.5 %), a parcel locker (2 %), the
    workplace (a shop or warehouse, 2 %), and daigou shoppers who buy under their
    customers' IDs, pay, and receive the goods (1.5 %)."""
    reg = cast.reg
    k = len(rows)
    u = rng.random(k)
    people = cast.person_first_ref
    rel = rows[u < 0.025]
    other = people[rng.integers(0, len(people), len(rel))]
    d["cons_name"][rel] = other
    d["cons_addr"][rel] = reg.np("p_addr")[other]
    d["cons_phone"][rel] = reg.np("p_phone")[other]
    office = rows[(u >= 0.025) & (u < 0.05)]
    if len(cast.office_addr) and len(office):
        j = rng.integers(0, len(cast.office_addr), len(office))
        d["cons_addr"][office] = cast.office_addr[j]
        d["cons_phone"][office] = cast.office_phone[j]
    locker = rows[(u >= 0.05) & (u < 0.07)]
    if len(cast.locker_addr) and len(locker):
        d["cons_addr"][locker] = cast.locker_addr[rng.integers(0, len(cast.locker_addr),
                                                               len(locker))]
    work = rows[(u >= 0.085) & (u < 0.105)]
    if len(cast.work_addr) and len(work):
        d["cons_addr"][work] = cast.work_addr[rng.integers(0, len(cast.work_addr), len(work))]
    dg = rows[(u >= 0.07) & (u < 0.085)]
    if len(cast.daigou) and len(dg):
        who = cast.daigou[rng.integers(0, len(cast.daigou), len(dg))]
        d["payer"][dg] = who
        d["acct"][dg] = reg.np("p_acct")[who]
        home = rng.random(len(dg)) < 0.6
        d["cons_name"][dg] = np.where(home, who, d["cons_name"][dg])
        d["cons_addr"][dg] = np.where(home, reg.np("p_addr")[who], d["cons_addr"][dg])
        d["cons_phone"][dg] = np.where(home, reg.np("p_phone")[who], d["cons_phone"][dg])


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
    # personal postal parcels (under RMB 1,000) are a sixth of imports
    ch_i = np.where(u < 0.68, 0, np.where(u < 0.83, 1, 2))
    ch_e = np.where(u < 0.55, 1, np.where(u < 0.90, 0, 2))
    d["channel"][:] = np.where(exp, ch_e, ch_i)
    import_modes(d, rng, np.flatnonzero(~exp))
    export_modes(d, rng, np.flatnonzero(exp))
    # carriers: postal -> China Post, export road -> a trucking firm, else the seller's own
    logi = sel("logi", 0)
    logi = np.where(rng.random(n) < 0.3, sel("logi", 1), logi)
    bad = np.isin(logi, cast.postal + cast.trucks)
    exp_pool, imp_pool = np.array(cast.express_exp), np.array(cast.express_imp)
    logi = np.where(bad, np.where(exp, rng.choice(exp_pool, n), rng.choice(imp_pool, n)), logi)
    logi = np.where(d["channel"] == 2, cast.postal[0], logi)
    logi = np.where(exp & (d["traf"] == 1), rng.choice(cast.trucks, n), logi)
    d["logi"][:] = logi
    # destinations / origins: each exporter has 1-3 main markets
    glob = rng.choice(len(COUNTRIES), n, p=_EXP_P)
    k_top = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    tops = np.where(exp[:, None], cast.exp.top_country[np.minimum(si, len(cast.exp.ent) - 1)],
                    0)
    c_exp = np.where(rng.random(n) < sel("p_top"), tops[np.arange(n), k_top], glob)
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
    _redirect(cast, rng, d, np.flatnonzero(imp))
    d["payfirm"][imp] = reg.np("acct_ent")[d["acct"][imp]]
    d["raw"][:] = np.where(imp & (rng.random(n) < 0.92), 1, 0)  # not every payment has one
    # small payment firms file raw records less reliably
    small = np.isin(d["payfirm"], cast.small_payfirms)
    d["raw"][:] = np.where(small & (rng.random(n) < 0.25), 0, d["raw"])
    # sellers who also sell through their own mini-shop, or are paid via the platform
    d["link"][:] = np.where(imp & (rng.random(n) < sel("p_link")), sel("link_host"), 0)
    d["payee"][:] = np.where(imp & (rng.random(n) < sel("p_payee")), sel("payee"), -1)
    # times
    t, promo = sample_times(rng, n, m0, m1)
    d["t_decl"][:] = t
    d["d_ship"][:] = rng.integers(3600, 20 * 3600, n)
    d["d_pay"][:] = rng.integers(2 * 3600, 3 * 86400, n)
    d["d_order"][:] = rng.integers(10, 1800, n)
    d["d_depart"][:] = rng.integers(4 * 3600, 3 * 86400, n)
    # ~1 % of honest export lists never get a departure record: goods held back by the
    # seller, returned before loading, or cancelled after declaration (look-alike of T9)
    d["d_depart"][:] = np.where(rng.random(n) < 0.01, -1, d["d_depart"])
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
    # repricing, promotions and FX move a seller's prices a little from order to order
    price = CATALOG["price"][items] * pf * sku_f * np.clip(rng.normal(1, 0.03, len(ld)), 0.9, 1.1)
    b2b = np.isin(d["tmode"][ld], [_TM["9710"], _TM["9810"]])
    # toy workshops sell at workshop prices (0.5-0.95 of the shelf price: B2B lots and
    # their own retail parcels alike), as counterfeit toy rings declare theirs
    toy = look_seller[ld] == _LOOK["unbranded_toy_exporter"]
    price = np.where(toy, price * rng.uniform(0.5, 0.95, len(ld)), price)
    # B2B lots are heavy-tailed: mostly tens, some thousands (a container of toys)
    qty = np.where(b2b, np.clip(np.round(rng.lognormal(np.log(30), 1.3, len(ld))), 5, 20000),
                   np.minimum(rng.geometric(np.where(lexp, 0.5, 0.65)), 8))
    # imports stay under the RMB 5,000 per-order limit (TL-11): fewer units, then a cheap
    # add-on instead of further expensive lines
    nl = d["n_lines"].astype(np.int64)[ld]
    cap = np.maximum(1, np.floor(4900 / (nl * price)))
    qty = np.where(lexp, qty, np.minimum(qty, cap))
    # some buyers fill the basket up to the limit (RMB 5,000; postal RMB 1,000)
    first = np.arange(len(ld)) == _first_lines(d)[ld]
    limit = np.where(d["channel"][ld] == 2, 1000.0, 5000.0)
    fill = ~lexp & first & (nl == 1) & (rng.random(len(ld)) < np.where(limit < 2000, 0.5, 0.15))
    target = limit * rng.uniform(0.75, 0.995, len(ld))
    qty = np.where(fill & (price < target), np.maximum(1, np.floor(target / price)), qty)
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
    price = np.where(d["usd"][ld], price / USD_RATE, price)
    li["item"][:] = items
    li["true_item"][:] = items
    li["qty"][:] = qty
    li["true_qty"][:] = qty
    li["price"][:] = shelf_prices(price, rng)
    # a set or carton declared as one unit (heavier), or a lighter variant of the item;
    # toy workshops ship blind-box sets and figure assortments as one unit a quarter of
    # the time (what under-declared counterfeit toys look like by weight)
    u = rng.random(len(ld))
    p_set = np.where(toy, 0.25, 0.05)
    li["kg_f"][:] = np.where(lexp & (u < p_set), rng.uniform(2.5, 12, len(ld)),
                             np.where(u > 0.97, rng.uniform(0.3, 0.7, len(ld)), 1.0)
                             ) * unit_weight_spread(d["ebc"][ld], items)
    # flash sales: genuine deep discounts declared with a note (look-alike of T3)
    flash = imp & (rng.random(n) < 0.004)
    li["price"][:] = np.where(flash[ld], np.round(li["price"] * rng.uniform(0.4, 0.7, len(ld)),
                                                  2), li["price"])
    li["true_price"][:] = li["price"]
    # money
    cur_f = np.where(d["usd"], 1 / USD_RATE, 1.0)
    d["freight"][:] = np.where(exp, np.round(rng.uniform(5, 60, n) * cur_f, 2), 0.0)
    import_money(d, li, ld, rng, imp, promo)
    d["note"][:] = np.where(flash, 3, d["note"])
    # look-alike labels (benign patterns a naive model confuses with fraud)
    look = np.where(exp, look_seller, 0)
    look[imp] = cast.addr_look[d["cons_addr"][imp]]
    look = np.where(imp & promo, _LOOK["promotion_day"], look)
    look = np.where(flash, _LOOK["flash_sale"], look)
    d["look"][:] = look
    return f
