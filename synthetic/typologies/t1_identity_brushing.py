"""T1 identity brushing / quota theft (import).

A gang orders under bought citizen IDs: consignee addresses and phones funnel onto 1-3 drop
points, payments come in bursts from the gang's account, and each ID is pushed toward the
RMB 26,000 annual limit. One shell seller, one payment firm, one carrier.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from synthetic.population import pay_clock
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]

def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    """Rings whose declarations add up to about ``budget``."""
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n_decl in heavy_sizes(rng, budget, 12, 1500, ctx.median(80), min_n=3):
        per_id = int(np.clip(n_decl // 8, 5, 12))  # orders per ID: ~10 reach the annual limit
        n_ids = max(3, n_decl // per_id)
        s, e = ctx.span(1, 3)
        sch = Scheme("T1", f"identity brushing: {n_ids} bought IDs funnelled to drop points")
        di = int(rng.integers(0, 6))
        # a shell seller opened for the job, or an established one that looks away
        seller = (ctx.firm(ctx.name(di, "Trading"), "ebc", di,
                           ctx.date_of(s) - timedelta(days=int(rng.integers(10, 80))))
                  if rng.random() < 0.5 else int(rng.choice(ctx.cast.imp.ent)))
        carrier = int(rng.choice(ctx.cast.express_imp))
        pay_ent = int(rng.choice(ctx.cast.pay_imp))
        n_drops = int(min(rng.integers(1, 4), max(1, n_ids // 5)))
        drops = [ctx.address(str(rng.choice(["residential", "residential", "parcel_locker",
                                             "shop"])))
                 for _ in range(n_drops)]
        dphones = [ctx.phone() for _ in range(n_drops)]
        mule = ctx.person(pay_ent=pay_ent)
        acct = reg.p_acct[mule]
        victims = ctx.benign_refs(n_ids)
        vi = np.arange(n_decl) % len(victims)   # each victim's orders go to one drop point
        buyer = victims[vi]
        # bursts: sessions of 5-30 orders paid within a minute
        t = np.empty(n_decl, np.int64)
        pay = np.empty(n_decl, np.int64)
        i = 0
        while i < n_decl:
            k = int(rng.integers(5, 31))
            day = s // 86400 if i == 0 else int(rng.integers(s // 86400, e // 86400))
            base = day * 86400 + int(pay_clock(rng, 1)[0])
            t[i:i + k] = base + rng.integers(6 * 3600, 30 * 3600, min(k, n_decl - i))
            pay[i:i + k] = base + rng.integers(0, 60, min(k, n_decl - i))
            i += k
        # the seller's own goods in ordinary baskets, more often filled toward the RMB 5,000
        # order limit than honest buyers fill theirs: each ID is pushed toward the annual
        # RMB 26,000 over its orders (an aggregate, not a row's look)
        item, qty, price = ctx.ordinary_import(seller, n_decl, fill=0.6)
        f = ctx.import_frame(t, seller, buyer, item, qty, price, logi=carrier)
        d = f.d
        d["cons_addr"][:] = np.array(drops)[vi % n_drops]
        d["cons_phone"][:] = np.array(dphones)[vi % n_drops]
        d["buyer_phone"][:] = d["cons_phone"]
        d["acct"][:] = acct
        d["payfirm"][:] = pay_ent
        d["pay_time"][:] = pay
        d["t_decl"][:] = ctx.after_payment(pay, d)
        d["typ"][:] = TYP_CODE["T1"]
        sch.frame = f
        sch.member("enterprise", reg.code(seller), "shell_seller")
        sch.member("enterprise", reg.code(carrier), "carrier")
        sch.member("enterprise", reg.code(pay_ent), "payment_firm")
        sch.member("payment_account", reg.account_key(acct), "mule_account")
        sch.member("person", reg.person_ref(mule), "organiser")
        for a in drops:
            sch.member("address", reg.address(a), "drop_address")
        for p in dphones:
            sch.member("phone", reg.phone_text[p], "drop_phone")
        for v in victims:
            sch.member("id_number", reg.p_id[v], "stolen_id")
        out.append(sch)
    return out
