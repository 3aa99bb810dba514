"""T6 POP MART-style IPR export, the headline case (domain.md §5).

3-15 linked shipper enterprises (shared phones, addresses, legal representative, payment
account; often in a business centre, like many honest firms), served by 1-2 declaring
agents and 1-2 carriers that also serve honest clients; shipments over 2-4 months; ~70 %
express 9610 retail parcels, ~30 % CBEC truck lots; generic toy names (the faces honest toy
exporters declare too), brand type 0 in ~90 %; quantity under-declared 2-10x in ~30 % (the
weight shows the real count; honest sets and cartons declared as one unit look alike);
destinations concentrated on 2-3 countries (as many honest exporters' are); shippers
younger than 90 days. Barcodes: the genuine LABUBU GTIN, none, a made-up one or the face's.
Look-alikes: the legitimate POP MART exporters and unbranded toy exporters (``cast``).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from synthetic.catalog import BARCODE_PREFIX, CATALOG, TOY_ITEMS, item_index
from synthetic.config import COUNTRIES, DISTRICTS
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]

_DEST = ["US", "GB", "DE", "FR", "SA", "AE", "MX", "BR", "TH", "MY", "AU"]


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    out = []
    sc = min(1.0, max(ctx.cfg.scale, 0.02))
    for n in heavy_sizes(rng, budget, max(12, int(40 * sc)), int(3000 * max(sc, 0.1)),
                         150 * sc):
        s, e = ctx.span(2, 4)
        t = ctx.times(n, s, e)
        k = int(np.clip(rng.pareto(1.5) * 3 + 3, 3, 15))
        phones = [reg.phone_text[ctx.phone()] for _ in range(int(rng.integers(1, 4)))]
        di = int(rng.choice([10, 11, 4, 0]))  # Yiwu, Shantou, Shenzhen, Hangzhou
        addrs = [ctx.premises(str(rng.choice(["office", "warehouse"])), DISTRICTS[di][3])
                 for _ in range(int(rng.integers(1, 3)))]
        rep, boss = ctx.rep()
        # declaring agents and carriers of the trade: established, serving honest clients too
        agents = list(rng.choice(cast.agents, int(rng.integers(1, 3)), replace=False))
        shippers = []
        for j in range(k):
            # registered shortly before the ring's first shipment: new shippers (< 90 days)
            reg_day = ctx.date_of(int(s)) - timedelta(days=int(rng.integers(5, 85)))
            kind = str(rng.choice(["E-commerce", "Trading", "Technology", "Toys"]))
            roles = "ebc|producer" if rng.random() < 0.5 else "ebc"   # "workshops", as
            # half the honest toy exporters are
            shippers.append(ctx.firm(ctx.name(di, kind), roles, di, reg_day,
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
        # retail parcels of a few units; truck lots of tens to thousands
        true_qty = np.where(is_truck, np.clip(np.round(rng.lognormal(np.log(80), 1.2, n)), 5,
                                              20000),
                            np.minimum(rng.geometric(0.4, n), 12)).astype(float)
        many = true_qty >= 2   # ~30 % of all shipments under-declared, where there is room
        under = many & (rng.random(n) < 0.3 / max(0.3, many.mean()))
        qty = np.where(under,
                       np.maximum(1, np.round(true_qty / rng.uniform(2, 10, n))), true_qty)
        # the toy faces honest toy exporters declare, as often as they declare them; one
        # that a 0.2 kg figure passes for (not a 0.8 kg box of blocks)
        toys = TOY_ITEMS[(CATALOG["brand_type"][TOY_ITEMS] == 0)
                         & (np.abs(CATALOG["unit_kg"][TOY_ITEMS] - 0.2) <= 0.1)]
        faces = rng.choice(toys, int(rng.integers(1, 4)), replace=False,
                           p=ctx.popularity(toys))
        face = faces[rng.integers(0, len(faces), n)]
        # brand type 0 in ~90 %; the rest name a foreign brand type with the brand omitted,
        # and a few go as "LED bulb" (the US CBP seizure)
        u = rng.random(n)
        face = np.where(u < 0.9, face, np.where(u < 0.96, item_index("vinyl_figure"),
                                                 item_index("ledbulb")))
        f = ctx.export_frame(
            t, rng.choice(shippers, n), face,
            np.full(n, item_index("labubu_fake")), qty, true_qty,
            dest[rng.choice(n_c, n, p=dest_p)],
            channel=np.where(is_truck, 0, 1),
            logi=np.where(is_truck, truck, rng.choice(carriers, n)),
            agent=rng.choice(agents, n))
        # truck lots go as B2B lots (9710 / 9810), as honest lots of tens to thousands do:
        # a 9610 retail list of hundreds of units has no honest counterpart
        f.d["tmode"][:] = np.where(is_truck, np.where(rng.random(n) < 0.6, 3, 4), f.d["tmode"])
        # declared at a wholesale price of the generic face (as honest B2B lots are
        # priced): cheap per kg of real goods
        from synthetic.population import shelf_prices
        f.li["price"][:] = shelf_prices(f.li["price"] * rng.uniform(0.5, 0.9, n), rng)
        u = rng.random(n)
        made_up = 690000000000 + rng.integers(0, 10**10, n)
        f.li["gtin"][:] = np.where(u < 0.2, BARCODE_PREFIX[item_index("labubu")],
                                   np.where(u < 0.3, -2, np.where(u < 0.4, made_up, -1)))
        f.d["typ"][:] = TYP_CODE["T6"]
        sch = Scheme("T6", f"POP MART-style IPR export: {k} linked shippers, {n} shipments to "
                           f"{n_c} countries", f)
        for x in shippers:
            sch.member("enterprise", reg.code(x), "shell_seller")
        for x in agents:
            sch.member("enterprise", reg.code(int(x)), "agent")
        for x in carriers + [truck]:
            sch.member("enterprise", reg.code(int(x)), "carrier")
        for p in phones:
            sch.member("phone", p, "shared_phone")
        for a in addrs:
            sch.member("address", a, "shared_address")
        if boss is not None:
            sch.member("person", reg.person_ref(boss), "organiser")
        sch.member("id_number", rep[1], "legal_rep")
        sch.member("payment_account", reg.account_key(acct), "shared_account")
        out.append(sch)
    return out
