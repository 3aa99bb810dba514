"""Benign look-alikes planted apart from the bulk.

The other look-alikes come with the bulk: parcel lockers, campus stations, families and
offices sharing an address (``cast``), promotion-day bursts and flash sales
(``population``), legitimate POP MART and unbranded toy exporters (``cast``).

Planted here, each sharing a typology's surface signal but not its malicious one:

- ``cohabitant_split`` (T4): two or three people at one family address order on the same
  day, each with their own ID, phone and account, at ordinary values.
- ``pickup_station`` (T2): a shop that is a parcel pickup point: many orders and many IDs
  onto one commercial address, but each buyer is their own consignee and payer, with their
  own phone, ordinary baskets from many sellers, at organic times.
- ``small_shop`` (T2): a shop owner and one or two staff reorder the same few goods to the
  shop for the shop's own use (a salon, a café), B2B-plausible repetition at a commercial
  address, but few IDs, each their own, ordinary quantities, honest declarations, under
  the annual limit.
- ``multi_warehouse`` (T2, T4): one genuine basket fulfilled from two or three bonded
  warehouses: several lists of one buyer and one seller on one day, through different
  carriers and customs offices, each of ordinary value.
- ``new_buyer_burst`` (T10): genuinely new buyers in a promotion-night or platform
  live-stream burst: platform and payment accounts opened the day of the order, orders in
  bursts at one seller, but the item pages are the platform's and the seller is the payee.
- ``gift_payer`` (T10, T2): a relative orders and pays for a gift sent to a family member:
  the money comes from someone other than the consignee, and consignee ≠ buyer, but the
  payment goes to the seller for the platform's goods.
"""

from __future__ import annotations

import numpy as np

from synthetic.catalog import CATALOG, IMPORT_ITEMS, item_index
from synthetic.config import DISTRICTS, LOOKALIKES, TRADE_MODES
from synthetic.frame import Frame, concat
from synthetic.population import PROMO_DAYS
from synthetic.typologies.base import Ctx, _district, add_lines

__all__ = ["cohabitant_split", "pickup_stations", "small_shops", "multi_warehouse",
           "new_buyer_bursts", "gift_payers", "plant_lookalikes"]

_LOOK = {k: i for i, k in enumerate(LOOKALIKES)}


def plant_lookalikes(ctx: Ctx) -> Frame | None:
    """Every look-alike planted apart from the bulk, sized to the world."""
    n = ctx.cfg.declarations
    frames = [cohabitant_split(ctx, max(3, int(n * 0.0006))),
              pickup_stations(ctx, max(20, int(n * 0.0010))),
              small_shops(ctx, max(12, int(n * 0.0005))),
              multi_warehouse(ctx, max(3, int(n * 0.0003))),
              new_buyer_bursts(ctx, max(15, int(n * 0.0030))),
              gift_payers(ctx, max(3, int(n * 0.0004)))]
    frames = [f for f in frames if f is not None and len(f)]
    return add_lines(ctx, concat(frames)) if frames else None


def _family_groups(ctx: Ctx) -> list[np.ndarray]:
    """Primary refs of people sharing a family address, one array per address."""
    reg, cast = ctx.reg, ctx.cast
    refs = cast.person_first_ref
    addr = reg.np("p_addr")[refs]
    fam = cast.addr_look[addr] == _LOOK["family"]
    order = np.argsort(addr[fam], kind="stable")
    a_sorted, r_sorted = addr[fam][order], refs[fam][order]
    cuts = np.flatnonzero(np.diff(a_sorted)) + 1
    return [g for g in np.split(r_sorted, cuts) if len(g) >= 2]


def _ordinary_basket(ctx: Ctx, k: int, items: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items, quantities and unit prices of ``k`` ordinary one-line import orders."""
    rng = ctx.rng
    item = rng.choice(IMPORT_ITEMS if items is None else items, k)
    price = CATALOG["price"][item] * rng.uniform(0.9, 1.1, k)
    qty = np.minimum(rng.integers(1, 3, k), np.maximum(1, np.floor(3000 / price)))
    return item, qty.astype(float), price


def _set_sellers(ctx: Ctx, f: Frame, sellers: np.ndarray) -> None:
    f.d["ebc"][:] = sellers
    f.d["district"][:] = [_district(ctx.reg, int(e)) for e in sellers]


def cohabitant_split(ctx: Ctx, n_events: int):
    """About ``n_events`` same-day orders by people sharing a family address."""
    rng, cast = ctx.rng, ctx.cast
    groups = _family_groups(ctx)
    if not groups:
        return None
    frames = []
    for gi in rng.choice(len(groups), min(n_events, len(groups)), replace=False):
        g = groups[gi]
        k = int(min(len(g), rng.integers(2, 4)))
        who = rng.choice(g, k, replace=False)
        day = int(rng.integers(ctx.t0 // 86400, ctx.t1 // 86400 - 1))
        t = day * 86400 + rng.integers(10 * 3600, 23 * 3600, k)
        item = rng.choice(IMPORT_ITEMS, k)
        seller = int(rng.choice(cast.imp.ent))
        f = ctx.import_frame(t, seller, who, item, np.ones(k), rng.uniform(200, 3000, k))
        f.d["look"][:] = _LOOK["cohabitant_split"]
        frames.append(f)
    return concat(frames)


def pickup_stations(ctx: Ctx, n_orders: int) -> Frame:
    """About ``n_orders`` orders of many ordinary buyers collected at shop pickup points."""
    rng, cast = ctx.rng, ctx.cast
    # the registry first, the frames after: a registry change drops its lookup caches
    sizes = []
    while sum(sizes) < n_orders:
        sizes.append(min(n_orders - sum(sizes), int(rng.integers(20, 121))))
    stations = [ctx.address("shop") for _ in sizes]
    frames = []
    for m, station in zip(sizes, stations, strict=True):
        buyers = ctx.benign_refs(max(2, int(m / rng.uniform(1.0, 1.5))))
        who = rng.choice(buyers, m)
        item, qty, price = _ordinary_basket(ctx, m)
        f = ctx.import_frame(ctx.times(m, ctx.t0, ctx.t1 - 3 * 86400), int(cast.imp.ent[0]),
                             who, item, qty, price)
        _set_sellers(ctx, f, rng.choice(cast.imp.ent, m))
        f.d["cons_addr"][:] = station
        f.d["look"][:] = _LOOK["pickup_station"]
        frames.append(f)
    return concat(frames)


def small_shops(ctx: Ctx, n_orders: int) -> Frame:
    """About ``n_orders`` orders of shop owners and staff reordering for the shop's use."""
    rng, cast = ctx.rng, ctx.cast
    keys = ["vitamin_sw", "fishoil", "lipstick", "diaper", "milk_apt", "wine", "serum_el"]
    shops = []   # (orders, staff): the registry first, the frames after
    left = n_orders
    while left > 0:
        shop = ctx.address(str(rng.choice(["shop", "shop", "warehouse"])))
        staff = np.array([ctx.person(addr=shop) for _ in range(int(rng.integers(2, 4)))])
        m = min(left, int(rng.integers(8, 25)), 8 * len(staff))  # <= 8 orders a person
        left -= m
        shops.append((m, staff))
    frames = []
    for m, staff in shops:
        goods = np.array([item_index(str(k)) for k in rng.choice(keys, 2, replace=False)])
        item = rng.choice(goods, m)
        price = CATALOG["price"][item] * rng.uniform(0.95, 1.05, m)
        # a few units at a time: at most ~RMB 2,500 an order, ~20,000 a year per person
        qty = np.minimum(rng.integers(2, 5, m), np.maximum(1, np.floor(2500 / price)))
        seller = int(rng.choice(cast.imp.ent))
        who = staff[np.arange(m) % len(staff)]
        f = ctx.import_frame(ctx.times(m, ctx.t0, ctx.t1 - 3 * 86400), seller, who, item,
                             qty.astype(float), price)
        f.d["look"][:] = _LOOK["small_shop"]
        frames.append(f)
    return concat(frames)


def multi_warehouse(ctx: Ctx, n_events: int) -> Frame:
    """About ``n_events`` genuine baskets each shipped as 2-3 lists from different warehouses."""
    rng, cast = ctx.rng, ctx.cast
    frames = []
    buyers = ctx.benign_refs(n_events)
    for b in buyers:
        k = int(rng.integers(2, 4))
        seller = int(rng.choice(cast.imp.ent))
        day = int(rng.integers(ctx.t0 // 86400, ctx.t1 // 86400 - 3))
        pay = day * 86400 + int(rng.integers(8 * 3600, 22 * 3600))
        item, qty, price = _ordinary_basket(ctx, k)
        t = pay + rng.integers(5 * 3600, 40 * 3600, k)
        f = ctx.import_frame(t, seller, np.full(k, b), item, qty, price)
        d = f.d
        d["pay_time"][:] = pay + np.arange(k)     # one checkout, one sub-order per warehouse
        d["d_order"][:] = int(rng.integers(10, 1800))
        d["d_ship"][:] = rng.integers(3600, 4 * 3600, k)
        d["logi"][:] = rng.choice(cast.express_imp, k, replace=False)
        d["district"][:] = rng.choice(len(DISTRICTS), k, replace=False)
        d["tmode"][:] = TRADE_MODES.index("1210")
        d["traf"][:] = 2
        d["look"][:] = _LOOK["multi_warehouse"]
        frames.append(f)
    return concat(frames)


def _burst_days(ctx: Ctx) -> list[int]:
    """Epoch days of the world's promotion days (at least two days before its end)."""
    days = np.arange(ctx.t0 // 86400, ctx.t1 // 86400 - 2)
    dates = days.astype("datetime64[D]").astype(object)
    return [int(x) for x, dt in zip(days, dates, strict=True)
            if (dt.month, dt.day) in PROMO_DAYS]


def new_buyer_bursts(ctx: Ctx, n_orders: int) -> Frame:
    """About ``n_orders`` first orders of new buyers in promotion-night or live bursts."""
    rng, cast = ctx.rng, ctx.cast
    promo = _burst_days(ctx)
    bursts = []   # (start, buyers): the registry first, the frames after
    left = n_orders
    while left > 0:
        m = min(left, int(rng.integers(8, 41)))
        left -= m
        if promo and rng.random() < 0.6:   # midnight sale of a promotion day
            day = int(rng.choice(promo))
            start = day * 86400 + int(rng.integers(0, 1800))
        else:                              # the platform's own live stream, evening
            day = int(rng.integers(ctx.t0 // 86400, ctx.t1 // 86400 - 3))
            start = day * 86400 + int(rng.integers(19 * 3600, 22 * 3600))
        opened = ctx.date_of(day * 86400)
        who = np.array([ctx.person(pay_ent=int(rng.choice(cast.pay_imp)), opened=opened)
                        for _ in range(m)])
        bursts.append((start, who))
    frames = []
    for start, who in bursts:
        m = len(who)
        pay = start + np.sort(rng.integers(60, 3600, m))
        item, qty, price = _ordinary_basket(ctx, m)
        f = ctx.import_frame(pay + rng.integers(6 * 3600, 30 * 3600, m),
                             int(rng.choice(cast.imp.ent)), who, item, qty, price)
        d = f.d
        d["pay_time"][:] = pay
        d["d_order"][:] = rng.integers(20, 300, m)
        d["d_ship"][:] = rng.integers(3600, 5 * 3600, m)
        d["look"][:] = _LOOK["new_buyer_burst"]
        frames.append(f)
    return concat(frames)


def gift_payers(ctx: Ctx, n_events: int):
    """About ``n_events`` gifts: a relative orders and pays, a family member receives."""
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    families = _family_groups(ctx)
    if not families:
        return None
    pick = rng.choice(len(families), min(n_events, len(families)), replace=False)
    recipients = np.array([int(rng.choice(families[i])) for i in pick])
    # the giver: a relative living elsewhere (anyone but the recipient, another name)
    cand = iter(ctx.benign_refs(2 * len(recipients) + 3).tolist())
    p_true = reg.np("p_true")
    givers = []
    for r in recipients.tolist():
        c = next(cand)
        while p_true[c] == p_true[r] or reg.p_name[c] == reg.p_name[r]:
            c = next(cand)
        givers.append(c)
    givers = np.array(givers)
    item, qty, price = _ordinary_basket(ctx, len(recipients))
    f = ctx.import_frame(ctx.times(len(recipients), ctx.t0, ctx.t1 - 3 * 86400),
                         int(cast.imp.ent[0]), givers, item, qty, price)
    _set_sellers(ctx, f, rng.choice(cast.imp.ent, len(recipients)))
    d = f.d
    d["cons_name"][:] = recipients
    d["cons_addr"][:] = reg.np("p_addr")[recipients]
    d["cons_phone"][:] = reg.np("p_phone")[recipients]
    d["note"][:] = 5   # "gift wrap"
    d["look"][:] = _LOOK["gift_payer"]
    return f
