"""T4 splitting below thresholds (import).

One purchase of RMB 7,000-16,000 of the seller's ordinary goods split into as few orders
under the RMB 5,000 per-order limit as it allows (or one more), under the IDs of relatives
or acquaintances, all on the same day to the purchaser's address and phone, paid from the
purchaser's account. Look-alike: co-habitants ordering on
the same day (``lookalikes``).
"""

from __future__ import annotations

import numpy as np

from synthetic.population import pay_clock
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]

def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n_events in heavy_sizes(rng, max(5, budget // 3), 1, 40, 3):
        s, e = ctx.span(2, 6)
        org = int(ctx.benign_refs(1)[0])
        k_ids = int(rng.integers(3, 7))
        ids = ctx.benign_refs(k_ids + 3)[-k_ids:]
        frames_t, buyers, values = [], [], []
        for j in range(n_events):
            # the first purchase opens the scheme; the others follow on random days
            day = s // 86400 if j == 0 else int(rng.integers(s // 86400, e // 86400))
            # one purchase of RMB 7,000-16,000 cut into as few orders as the limit allows
            # (or one more): each under RMB 5,000, not all just under it
            total = rng.uniform(7000, 16000)
            k = int(min(k_ids, np.ceil(total / 4950) + rng.integers(0, 2)))
            base = day * 86400 + int(pay_clock(rng, 1)[0])
            frames_t.extend(base + rng.integers(0, 3 * 3600, k))
            buyers.extend(rng.choice(ids, k, replace=False))
            values.extend(np.minimum(4950, total / k * rng.uniform(0.9, 1.0, k)))
        n = len(frames_t)
        seller = int(rng.choice(ctx.cast.imp.ent))
        own = ctx.seller_items(seller)
        item = own[rng.integers(0, len(own), n)]
        _, price = ctx.basket(item, np.array(values), ctx.price_factor(seller))
        # enough units to reach the part's value, never over the RMB 5,000 limit
        qty = np.maximum(1, np.minimum(np.ceil(np.array(values) / price),
                                       np.floor(4950 / price)))
        pay = np.array(frames_t)
        f = ctx.import_frame(pay, seller, np.array(buyers), item, qty, price)
        d = f.d
        d["t_decl"][:] = ctx.after_payment(pay, d)
        d["cons_addr"][:] = reg.p_addr[org]
        d["cons_phone"][:] = reg.p_phone[org]
        d["buyer_phone"][:] = d["cons_phone"]   # the purchaser orders with his own phone
        d["acct"][:] = reg.p_acct[org]
        d["payfirm"][:] = reg.acct_ent[reg.p_acct[org]]
        d["pay_time"][:] = pay
        d["typ"][:] = TYP_CODE["T4"]
        sch = Scheme("T4", f"splitting: {n_events} purchases split under RMB 5,000 over "
                           f"{k_ids} IDs", f)
        sch.member("person", reg.person_ref(org), "organiser")
        sch.member("address", reg.address(reg.p_addr[org]), "drop_address")
        sch.member("phone", reg.phone_text[reg.p_phone[org]], "shared_phone")
        sch.member("payment_account", reg.account_key(reg.p_acct[org]), "payer_account")
        for r in np.unique(buyers):
            sch.member("id_number", reg.p_id[int(r)], "split_id")
        out.append(sch)
    return out
