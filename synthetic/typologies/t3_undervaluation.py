"""T3 undervaluation (import).

A seller declares 0.3-0.8 × the real price; for part of the orders the raw payment record
(GACC No. 165/179) shows the true amount, for others it repeats the declared one or is
missing. Look-alike: genuine flash sales with a promotion note (``population``).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]



def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n in heavy_sizes(rng, budget, 8, 1500, ctx.median(50), min_n=3):
        s, e = ctx.span(2, 5)
        since = ctx.rand_date(date(2015, 1, 1), date(2023, 1, 1))  # an established importer
        di = int(rng.integers(0, 10))
        seller = ctx.firm(ctx.name(di, "Trading"), "ebc", di, since)
        sch = Scheme("T3", f"undervaluation: {n} orders declared at 0.3-0.8 x the real price")
        item, qty, true_price = ctx.ordinary_import(seller, n, fill=0.1)
        factor = rng.uniform(0.35, 0.8, n)
        buyers = ctx.benign_refs(max(2, n // 2))
        f = ctx.import_frame(ctx.times(n, s, e), seller, rng.choice(buyers, n), item,
                             qty, np.round(true_price * factor, 2))
        f.li["true_price"][:] = np.maximum(np.round(true_price, 2), f.li["price"])
        # half the raw records show the true amount, 30 % repeat the declared one, 20 %
        # missing (an honest cart paid at once also shows more than one order's value)
        k2, k1 = round(0.5 * n), round(0.3 * n)
        f.d["raw"][:] = rng.permutation(np.repeat([2, 1, 0], [k2, k1, n - k2 - k1]))
        f.d["typ"][:] = TYP_CODE["T3"]
        sch.frame = f
        sch.member("enterprise", reg.code(seller), "undervaluing_seller")
        out.append(sch)
    return out
