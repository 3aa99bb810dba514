"""T9 complicit payment or logistics provider (import).

A payment firm files payment slips with no raw payment record behind them, in batches
with identical timestamps and round amounts; its partner carrier issues sequential waybill
blocks.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.catalog import item_index
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    out = []
    for n in heavy_sizes(rng, budget, 10, 1500, ctx.median(60)):
        s, e = ctx.span(2, 5)
        pay = ctx.firm(f"{rng.choice(['Xunfu', 'Jiefu', 'Huifu'])} Payment Co., Ltd.",
                       "payment", 4, ctx.rand_date(date(2023, 6, 1), date(2025, 1, 1)))
        carrier = ctx.firm(f"{rng.choice(['Suda', 'Feichi'])} Express Co., Ltd.",
                           "logistics", 4,
                           ctx.rand_date(date(2023, 6, 1), date(2025, 1, 1)))
        cast.logi_prefix[carrier] = "SD"
        sellers = list(rng.choice(cast.imp.ent, int(rng.integers(1, 4)), replace=False))
        buyers = ctx.benign_refs(max(2, n // 3))
        accts = {int(b): reg.add_account(reg.code(pay), str(rng.integers(10**15, 10**16)),
                                         reg.p_name[b], reg.p_id_raw[b], "personal",
                                         ctx.rand_date(date(2024, 6, 1), date(2025, 3, 1)),
                                         pay_ent=pay) for b in buyers}
        buyer = rng.choice(buyers, n)
        amount = rng.choice([500.0, 800.0, 1000.0, 1500.0, 2000.0, 3000.0], n)
        item = np.full(n, item_index("milk_a2"))
        f = ctx.import_frame(ctx.times(n, s, e), int(sellers[0]), buyer, item,
                             np.ones(n), np.ceil(amount / 1.091 * 100) / 100 + 0.01,
                             logi=carrier)  # goods + tax just above the round amount
        d = f.d
        d["ebc"][:] = rng.choice(sellers, n)
        d["acct"][:] = [accts[int(b)] for b in buyer]
        d["payfirm"][:] = pay
        d["freight"][:] = 0.0
        d["paid_override"][:] = amount
        d["raw"][:] = 0
        # batches of 10-50 payments stamped with the same second
        order = np.argsort(d["t_decl"], kind="stable")
        batch = np.cumsum(rng.random(n) < 1 / 25)
        t_sorted = d["t_decl"][order]
        first = {b: t_sorted[i] for i, b in reversed(list(enumerate(batch)))}
        d["pay_time"][order] = [first[b] - 30 * 3600 for b in batch]
        d["d_ship"][:] = 3600
        d["wb_seq"][order] = 880000000000 + int(rng.integers(0, 10**8)) + np.arange(n)
        d["typ"][:] = TYP_CODE["T9"]
        sch = Scheme("T9", f"complicit payment firm: {n} payments without raw records, "
                           "batched timestamps, round amounts; sequential waybills", f)
        sch.member("enterprise", reg.code(pay), "complicit_payment_firm")
        sch.member("enterprise", reg.code(carrier), "complicit_carrier")
        for x in sellers:
            sch.member("enterprise", reg.code(int(x)), "seller")
        out.append(sch)
    return out
