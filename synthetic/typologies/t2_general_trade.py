"""T2 general trade disguised as CBEC (import).

A wholesaler brings in bulk goods (infant formula, diapers, supplements, cosmetics) as
retail lists instead of a general-trade declaration: each consignment is cut into many
orders under bought or borrowed buyer IDs (2-5 orders each, under the RMB 26,000 annual
limit), each order cut to look retail (a few units of the seller's goods, filled toward
RMB 5,000 more often than honest baskets are), released from the bonded zone (1210, ~70 %) or
shipped direct (9610) to 1-3 shops or warehouses of the organiser, in batches of 5-80
lists a day, over months. The consignee is the shop's receiver, not the buyer, and ~85 %
of the orders are paid from two accounts the organiser controls. Graph: many orders and
many IDs funnelling onto a few commercial addresses and phones (many-to-few
order→address).

Look-alikes (``lookalikes``): shops that are parcel pickup stations (many buyers, each
their own consignee and payer, ordinary baskets), small shops whose owner and staff
reorder the same goods for the shop at ordinary volumes, and multi-warehouse fulfilment
(one genuine basket shipped as several lists).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from synthetic.catalog import CATALOG
from synthetic.config import DISTRICTS, TRADE_MODES
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]



def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    """Schemes whose declarations add up to about ``budget``."""
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    out = []
    for n in heavy_sizes(rng, budget, 6, 3000, ctx.median(80)):
        s, e = ctx.span(2, 5.5)
        di = int(rng.integers(0, len(DISTRICTS)))
        # the seller of record: an established-looking import seller fronting for the goods
        seller = ctx.firm(ctx.name(di, "Trading"), "ebc", di,
                          ctx.date_of(s) - timedelta(days=int(rng.integers(60, 900))))
        organiser = ctx.person()
        n_sites = int(min(rng.integers(1, 4), max(1, n // 8)))
        kinds = rng.choice(["shop", "warehouse"], n_sites, p=[0.6, 0.4])
        sites = [ctx.address(str(k)) for k in kinds]   # where the shops are (any city)
        # the receivers named on the parcels: the organiser and 0-2 shop hands, with phones
        receivers = [organiser] + [ctx.person(addr=sites[i]) for i in range(1, n_sites)]
        rphones = [int(reg.p_phone[r]) for r in receivers]
        # retail-sized lists (the consignment is cut so that each looks like an order),
        # filled toward the order limit more often than honest buyers fill theirs
        item, qty, price = ctx.ordinary_import(seller, n, fill=0.3)
        # IDs used 2-5 times each: stays under RMB 26,000 a year per ID
        per_id = int(rng.integers(2, 6))
        n_ids = max(2, -(-n // per_id))
        ids = ctx.benign_refs(n_ids)
        buyer = rng.permutation(ids[np.arange(n) % n_ids])
        # a batch is cut every few days: 5-80 lists declared within a working day
        t = np.empty(n, np.int64)
        i = 0
        while i < n:
            k = min(n - i, int(rng.integers(5, 81)))
            # the first batch opens the scheme; the others follow on random days
            day = s // 86400 if i == 0 else int(rng.integers(s // 86400,
                                                             max(s // 86400 + 1, e // 86400)))
            t[i:i + k] = day * 86400 + rng.integers(9 * 3600, 18 * 3600, k)
            i += k
        logi = int(rng.choice(cast.express_imp))
        f = ctx.import_frame(np.sort(t), seller, buyer, item, qty, price, logi=logi)
        d = f.d
        bonded = rng.random(n) < 0.7
        d["channel"][:] = np.where(bonded, 0, d["channel"])
        d["tmode"][:] = np.where(bonded, TRADE_MODES.index("1210"), TRADE_MODES.index("9610"))
        d["traf"][:] = np.where(bonded, 2, 0)   # sea into the bonded zone, air direct
        site = rng.integers(0, n_sites, n)
        d["cons_addr"][:] = np.array(sites)[site]
        d["cons_phone"][:] = np.array(rphones)[site]
        d["cons_name"][:] = np.array(receivers)[site]
        # most orders paid from the organiser's account and one mule account
        mule = ctx.person()
        accts = [int(reg.p_acct[organiser]), int(reg.p_acct[mule])]
        paid_by_ring = rng.random(n) < 0.85
        d["acct"][:] = np.where(paid_by_ring, np.array(accts)[rng.integers(0, 2, n)], d["acct"])
        d["payfirm"][:] = reg.np("acct_ent")[d["acct"]]
        d["typ"][:] = TYP_CODE["T2"]
        goods = "/".join(sorted(set(CATALOG["key"][item].tolist())))
        where = "/".join(sorted(set(str(k) for k in kinds)))
        sch = Scheme("T2", f"general trade as CBEC: {n} retail lists of {goods} under "
                           f"{n_ids} IDs to {n_sites} {where}(s)", f)
        sch.member("person", reg.person_ref(organiser), "organiser")
        sch.member("person", reg.person_ref(mule), "mule")
        sch.member("enterprise", reg.code(seller), "fronting_seller")
        for a, k in zip(sites, kinds, strict=True):
            sch.member("address", reg.address(a), f"consignee_{k}")
        for r, p in zip(receivers, rphones, strict=True):
            sch.member("phone", reg.phone_text[p], "consignee_phone")
            if r != organiser:
                sch.member("person", reg.person_ref(r), "receiver")
        for a in accts:
            sch.member("payment_account", reg.account_key(a), "ring_account")
        for r in np.unique(buyer):
            sch.member("id_number", reg.p_id[int(r)], "borrowed_id")
        out.append(sch)
    return out
