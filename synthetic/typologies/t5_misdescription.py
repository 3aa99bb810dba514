"""T5 misdescription / HS misclassification (import and export).

2-4 linked sellers (sharing a phone and an address) ship the same product (same barcode)
but declare it under different generic names and HS codes; the declared HS is inconsistent
with the weight (the parcels weigh what the real goods weigh). Import: dear branded goods
as household generics. Export (most schemes, as exports are most of CBEC): drones, earbuds
and chargers (controlled or battery goods) as plastic parts, cases, bags, kitchenware, in
the exporters' ordinary parcels and lots.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.catalog import BARCODE_PREFIX, item_index
from synthetic.config import DISTRICTS
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]

_TRUE = ["earbuds", "razor", "watch", "serum_el"]
_FACES = ["storage_box", "phone_parts", "hair_acc", "kitchen_i"]
_TRUE_E = ["drone", "earbuds_cn", "charger"]
_FACES_E = ["plastic_parts", "phonecase", "kitchen", "bag_cn", "lamp"]
# share of schemes on the export side (exports are ~70 % of the bulk's declarations)
P_EXPORT = 0.6


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n in heavy_sizes(rng, budget, 8, 1000, ctx.median(40)):
        s, e = ctx.span(2, 5)
        k = int(rng.integers(2, 5))
        di = int(rng.integers(0, len(DISTRICTS)))
        phone = reg.phone_text[ctx.phone()]
        addr = ctx.premises(str(rng.choice(["office", "warehouse"])), DISTRICTS[di][3])
        export = rng.random() < P_EXPORT
        kinds = ["E-commerce", "Trading", "Technology"] if export else ["Trading"]
        # a third of exporters are producers, who own their goods (``owner_code``)
        sellers = [ctx.firm(ctx.name(di, str(rng.choice(kinds))),
                            "ebc|producer" if export and rng.random() < 0.33 else "ebc", di,
                            ctx.rand_date(date(2018, 1, 1), date(2024, 6, 1)),
                            phone=phone, address=addr) for _ in range(k)]
        true_item = item_index(str(rng.choice(_TRUE_E if export else _TRUE)))
        faces = [item_index(x) for x in rng.choice(_FACES_E if export else _FACES, k,
                                                   replace=False)]
        who = rng.integers(0, k, n)
        buyers = ctx.benign_refs(max(2, n // 2))
        parts = []
        for j in range(k):
            m = int((who == j).sum())
            if not m:
                continue
            face = np.full(m, faces[j])
            if export:
                f = ctx.ordinary_export(ctx.times(m, s, e), sellers[j], item=face)
            else:
                qty, price = ctx.basket(face, rng.uniform(30, 400, m),
                                        ctx.price_factor(sellers[j]))
                f = ctx.import_frame(ctx.times(m, s, e), sellers[j], rng.choice(buyers, m),
                                     face, np.minimum(qty, rng.integers(1, 6, m)), price)
            f.li["true_item"][:] = true_item
            f.li["true_price"][:] = f.li["price"]
            # the product's own barcode (70 %), none, or the face's (with the usual noise)
            u = rng.random(m)
            f.li["gtin"][:] = np.where(u < 0.7, BARCODE_PREFIX[true_item],
                                       np.where(u < 0.85, -2, -1))
            parts.append(f)
        from synthetic.frame import concat
        f = concat(parts)
        f.d["typ"][:] = TYP_CODE["T5"]
        sch = Scheme("T5", f"misdescription: one product declared under {k} HS codes by "
                           f"{k} linked sellers", f)
        for x in sellers:
            sch.member("enterprise", reg.code(x), "misdeclaring_seller")
        sch.member("phone", phone, "shared_phone")
        sch.member("address", addr, "shared_address")
        out.append(sch)
    return out
