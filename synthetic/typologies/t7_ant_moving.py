"""T7 "ant moving" (import, postal).

An organiser with 20-200 recruited recipients sends repeated small parcels of the same
goods, each just under the RMB 1,000 postal limit, to a few shared phones and addresses.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.catalog import CATALOG, IMPORT_ITEMS
from synthetic.config import DISTRICTS
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n in heavy_sizes(rng, budget, 10, 1500, ctx.median(60)):
        s, e = ctx.span(2, 6)
        k = int(np.clip(n // 3, min(20, max(5, n // 2)), 200))  # 20-200 recipients, fewer if tiny
        org = ctx.person()
        # a few shared contact points, more for bigger crews
        phones = [ctx.phone() for _ in range(int(min(4, k // 10 + rng.integers(1, 3))))]
        addrs = [ctx.address() for _ in range(int(min(5, k // 8 + rng.integers(1, 3))))]
        mules = ctx.benign_refs(k)
        since = ctx.rand_date(date(2019, 1, 1), date(2024, 6, 1))
        di = int(rng.integers(0, len(DISTRICTS)))
        seller = ctx.firm(ctx.name(di, "Trading"), "ebc", di, since)
        # any import item that fits a postal parcel under RMB 1,000 (of the seller's list)
        cheap = IMPORT_ITEMS[CATALOG["price"][IMPORT_ITEMS] < 700]
        own = ctx.seller_items(seller, cheap)
        good = int(own[int(rng.integers(0, len(own)))])
        # as many units as stay under the RMB 1,000 postal limit
        # (filled as honest postal buyers fill theirs: 75-99.5 % of the limit)
        qty, price = ctx.basket(np.full(n, good), rng.uniform(750, 995, n),
                                ctx.price_factor(seller))
        f = ctx.import_frame(ctx.times(n, s, e), seller, rng.permutation(mules[np.arange(n) % k]),
                             np.full(n, good), qty, price, channel=2)
        d = f.d
        d["cons_addr"][:] = np.array(addrs)[rng.integers(0, len(addrs), n)]
        d["cons_phone"][:] = np.array(phones)[rng.integers(0, len(phones), n)]
        d["buyer_phone"][:] = d["cons_phone"]
        d["acct"][:] = np.where(rng.random(n) < 0.6, reg.p_acct[org], d["acct"])
        d["payfirm"][:] = reg.np("acct_ent")[d["acct"]]
        d["typ"][:] = TYP_CODE["T7"]
        sch = Scheme("T7", f"ant moving: {k} recipients, {n} postal parcels under RMB 1,000", f)
        sch.member("person", reg.person_ref(org), "organiser")
        sch.member("enterprise", reg.code(seller), "seller")
        sch.member("payment_account", reg.account_key(reg.p_acct[org]), "organiser_account")
        for m in np.unique(d["buyer"]):
            sch.member("person", reg.person_ref(int(m)), "mule_buyer")
        for p in phones:
            sch.member("phone", reg.phone_text[p], "shared_phone")
        for a in addrs:
            sch.member("address", reg.address(a), "drop_address")
        out.append(sch)
    return out
