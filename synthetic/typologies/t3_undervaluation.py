"""T3 undervaluation (import and export).

A seller declares 0.3-0.8 × the real price. Import: for part of the orders the raw payment
record (GACC No. 165/179) shows the true amount, for others it repeats the declared one or
is missing. Export (most schemes, as exports are most of CBEC): an established exporter
declares its parcels low so that they slip under the destination's de minimis or VAT
(€150 / $800), and the receipt (CEB403) shows the true charge for 60 % of them. Look-
alikes: genuine flash sales with a promotion note (``population``); receipts and raw
records that differ from the slip for fees, FX and carts paid at once (``messages``).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.config import DISTRICTS
from synthetic.population import shelf_prices
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant", "P_EXPORT"]

# share of schemes on the export side (exports are ~70 % of the bulk's declarations)
P_EXPORT = 0.7


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n in heavy_sizes(rng, budget, 8, 1500, ctx.median(50), min_n=3):
        s, e = ctx.span(2, 5)
        since = ctx.rand_date(date(2015, 1, 1), date(2023, 1, 1))  # an established seller
        export = rng.random() < P_EXPORT
        di = int(rng.integers(0, len(DISTRICTS) if export else 10))
        factor = rng.uniform(0.35, 0.8, n)
        if export:
            kind = str(rng.choice(["E-commerce", "Trading", "Technology"]))
            # a third of exporters are producers, who own their goods (``owner_code``)
            seller = ctx.firm(ctx.name(di, kind), "ebc|producer" if rng.random() < 0.33
                              else "ebc", di, since)
            sch = Scheme("T3", f"undervaluation (export): {n} parcels declared at 0.3-0.8 x "
                               "the real price")
            f = ctx.ordinary_export(ctx.times(n, s, e), seller)
            true_price = f.li["price"].copy()
            f.li["price"][:] = shelf_prices(true_price * factor, rng)
            f.li["true_price"][:] = true_price
            # 60 % of the receipts show the true charge, the others the declared one
            k2 = round(0.6 * n)
            f.d["raw"][:] = rng.permutation(np.repeat([2, 0], [k2, n - k2]))
        else:
            seller = ctx.firm(ctx.name(di, "Trading"), "ebc", di, since)
            sch = Scheme("T3", f"undervaluation: {n} orders declared at 0.3-0.8 x the real "
                               "price")
            item, qty, true_price = ctx.ordinary_import(seller, n, fill=0.1)
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
