"""T8 enterprise cycling / port drift (export).

A cluster of 1-3 firms misdescribes goods for a while, is penalised, and is replaced by new
firms registered at another customs district that reuse 60-90 % of their phones, addresses,
people and catalogue. The goods (drones, earbuds) go out as cheap goods of about their
weight per unit, so a row shows nothing: the signal is the reuse across firms.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from synthetic.catalog import item_index
from synthetic.config import DISTRICTS
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n in heavy_sizes(rng, budget, 10, 1000, ctx.median(50)):
        s, e = ctx.span(4, 5.5)
        mid = (s + e) // 2
        k = int(rng.integers(1, 4))
        di_old, di_new = rng.choice(len(DISTRICTS), 2, replace=False)
        sch = Scheme("T8", f"enterprise cycling: {k} penalised or dormant firm(s) replaced "
                           f"at district {DISTRICTS[di_new][0]}")
        olds, news = [], []
        reused = 0
        for _ in range(k):
            rep, r = ctx.rep()
            phone = reg.phone_text[ctx.phone()]
            addr = ctx.premises(str(rng.choice(["office", "warehouse"])),
                                DISTRICTS[int(di_old)][3])
            o = ctx.firm(ctx.name(int(di_old), "Technology"), "ebc", int(di_old),
                         ctx.rand_date(date(2016, 1, 1), date(2023, 1, 1)), phone=phone,
                         address=addr, rep=rep,
                         status=str(rng.choice(["penalised", "dormant"])))
            keep = rng.random(3) < 0.75   # phone, address, legal rep reused
            reused += int(keep.sum())
            nw = ctx.firm(ctx.name(int(di_new), "E-commerce"),
                          "ebc|producer" if rng.random() < 0.33 else "ebc", int(di_new),
                          ctx.date_of(mid) - timedelta(days=int(rng.integers(5, 30))),
                          phone=phone if keep[0] else None, address=addr if keep[1] else None,
                          rep=rep if keep[2] else None)
            olds.append(o)
            news.append(nw)
            sch.member("enterprise", reg.code(o), "predecessor")
            sch.member("enterprise", reg.code(nw), "successor")
            if r is not None:
                sch.member("person", reg.person_ref(r), "organiser")
            sch.member("id_number", rep[1], "legal_rep")
            if keep[0]:
                sch.member("phone", phone, "shared_phone")
            if keep[1]:
                sch.member("address", addr, "shared_address")
        t = ctx.times(n, s, e)
        late = t >= mid
        j = rng.integers(0, k, n)
        ebc = np.where(late, np.array(news)[j], np.array(olds)[j])
        # dear electronics declared as cheap goods of about the same weight per unit, so
        # that the parcel's weight does not give it away (the difference shows at inspection)
        drone = rng.random(n) < 0.5
        true_item = np.where(drone, item_index("drone"), item_index("earbuds_cn"))
        face = np.where(drone, [item_index(x) for x in rng.choice(["bag_cn", "tshirt",
                                                                   "dress"], n)],
                        [item_index(x) for x in rng.choice(["charger", "phonecase"], n)])
        # in the exporters' ordinary parcels and B2B lots, channels, carriers and markets
        f = ctx.ordinary_export(t, ebc, item=face)
        f.li["true_item"][:] = true_item
        f.d["typ"][:] = TYP_CODE["T8"]
        sch.frame = f
        sch.description += f" ({reused} of {3 * k} identifiers reused)"
        out.append(sch)
    return out
