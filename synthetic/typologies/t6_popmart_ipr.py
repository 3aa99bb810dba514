"""T6 POP MART-style IPR export, the headline case (domain.md §5).

3-15 linked shipper enterprises (shared phones, addresses, legal representative, agent and
payment account), 1-2 agents, 1-2 carriers; 200-3,000 shipments over 2-4 months at 100k
declarations (scaled below); ~70 % express 9610, ~30 % CBEC trucks; generic toy names with
brand type 0 in ~90 %; quantity under-declared 2-10x in ~30 % (the weight shows the real
count); destinations concentrated on 2-3 countries; shippers younger than 90 days; low value
per kg. Look-alikes: the legitimate POP MART exporters and unbranded toy exporters
(``cast``).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from synthetic.catalog import item_index
from synthetic.config import COUNTRIES, DISTRICTS
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]

_FACES = ["plush_toy", "plastic_toy", "toy_samples", "fake_plush", "fake_led"]
_DEST = ["US", "GB", "DE", "FR", "SA", "AE", "MX", "BR", "TH", "MY", "AU"]


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    out = []
    sc = min(1.0, max(ctx.cfg.scale, 0.02))
    for n in heavy_sizes(rng, budget, max(24, int(200 * sc)), int(3000 * max(sc, 0.1)),
                         600 * sc):
        s, e = ctx.span(2, 4)
        t = ctx.times(n, s, e)
        k = int(np.clip(rng.pareto(1.5) * 3 + 3, 3, 15))
        phones = [reg.phone_text[ctx.phone()] for _ in range(int(rng.integers(1, 4)))]
        di = int(rng.choice([10, 11, 4]))  # Yiwu, Shantou, Shenzhen
        addrs = [reg.address(ctx.address(str(rng.choice(["office", "warehouse"])),
                                         DISTRICTS[di][3]))
                 for _ in range(int(rng.integers(1, 3)))]
        boss = ctx.person()
        rep = (reg.p_name[boss], reg.p_id_raw[boss])
        agents = [ctx.firm(ctx.name(di, "Customs Brokerage"), "agent", di,
                           ctx.date_of(s) - timedelta(days=int(rng.integers(150, 900))))
                  for _ in range(int(rng.integers(1, 3)))]
        shippers = []
        for j in range(k):
            # registered shortly before the ring's first shipment: new shippers (< 90 days)
            reg_day = ctx.date_of(int(t.min())) - timedelta(days=int(rng.integers(5, 85)))
            kind = str(rng.choice(["E-commerce", "Trading", "Technology", "Toys"]))
            shippers.append(ctx.firm(ctx.name(di, kind), "ebc", di, reg_day,
                                     phone=phones[j % len(phones)],
                                     address=addrs[j % len(addrs)], rep=rep))
        acct = reg.add_account(reg.code(cast.pay_exp[0]), str(rng.integers(10**15, 10**16)),
                               rep[0], rep[1], "business", ctx.date_of(s), pay_ent=cast.pay_exp[0])
        carriers = list(rng.choice(cast.express_exp, int(rng.integers(1, 3)), replace=False))
        truck = int(rng.choice(cast.trucks))
        n_c = int(rng.integers(2, 4))
        dest = np.array([COUNTRIES.index(c) for c in rng.choice(_DEST, n_c, replace=False)])
        dest_p = rng.dirichlet(np.ones(n_c) * 2)
        is_truck = rng.random(n) < 0.3
        # seizures run to 1k-20k items per event (domain.md §6): trucks carry thousands
        true_qty = np.where(is_truck, np.clip(rng.lognormal(np.log(4000), 0.7, n), 1000, 20000),
                            np.clip(rng.lognormal(np.log(300), 0.8, n), 50, 5000)).round()
        under = rng.permutation(np.arange(n) < round(0.3 * n))  # exactly ~30 % under-declared
        qty = np.where(under, np.maximum(1, np.round(true_qty / rng.uniform(2, 10, n))), true_qty)
        face = np.array([item_index(x) for x in rng.choice(_FACES, n)])
        # brand type 0 in ~90 %; the rest name a foreign brand type with the brand omitted
        face = np.where(rng.permutation(np.arange(n) < round(0.9 * n)), face,
                        item_index("vinyl_omit"))
        f = ctx.export_frame(
            t, rng.choice(shippers, n), face,
            np.full(n, item_index("labubu_fake")), qty, true_qty,
            dest[rng.choice(n_c, n, p=dest_p)],
            channel=np.where(is_truck, 0, 1),
            logi=np.where(is_truck, truck, rng.choice(carriers, n)),
            agent=rng.choice(agents, n))
        f.d["tmode"][:] = 0  # 9610 on both express and trucks
        f.d["typ"][:] = TYP_CODE["T6"]
        sch = Scheme("T6", f"POP MART-style IPR export: {k} linked shippers, {n} shipments to "
                           f"{n_c} countries", f)
        for x in shippers:
            sch.member("enterprise", reg.code(x), "shell_seller")
        for x in agents:
            sch.member("enterprise", reg.code(x), "agent")
        for x in carriers + [truck]:
            sch.member("enterprise", reg.code(int(x)), "carrier")
        for p in phones:
            sch.member("phone", p, "shared_phone")
        for a in addrs:
            sch.member("address", a, "shared_address")
        sch.member("person", reg.person_ref(boss), "organiser")
        sch.member("id_number", rep[1], "legal_rep")
        sch.member("payment_account", reg.account_key(acct), "shared_account")
        out.append(sch)
    return out


