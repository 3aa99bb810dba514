"""T5 misdescription / HS misclassification (import).

2-4 linked sellers (sharing a phone and an address) import the same product (same barcode)
but declare it under different generic names and HS codes; the declared HS is inconsistent
with the weight (the parcels weigh what the real goods weigh).
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


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg = ctx.rng, ctx.reg
    out = []
    for n in heavy_sizes(rng, budget, 8, 1000, ctx.median(40)):
        s, e = ctx.span(2, 5)
        k = int(rng.integers(2, 5))
        di = int(rng.integers(0, len(DISTRICTS)))
        phone = reg.phone_text[ctx.phone()]
        addr = ctx.premises(str(rng.choice(["office", "warehouse"])), DISTRICTS[di][3])
        sellers = [ctx.firm(ctx.name(di, "Trading"), "ebc", di,
                            ctx.rand_date(date(2018, 1, 1), date(2024, 6, 1)),
                            phone=phone, address=addr) for _ in range(k)]
        true_item = item_index(str(rng.choice(_TRUE)))
        faces = [item_index(x) for x in rng.choice(_FACES, k, replace=False)]
        who = rng.integers(0, k, n)
        buyers = ctx.benign_refs(max(2, n // 2))
        parts = []
        for j in range(k):
            m = int((who == j).sum())
            if not m:
                continue
            face = np.full(m, faces[j])
            qty, price = ctx.basket(face, rng.uniform(30, 400, m), ctx.price_factor(sellers[j]))
            f = ctx.import_frame(ctx.times(m, s, e), sellers[j], rng.choice(buyers, m), face,
                                 np.minimum(qty, rng.integers(1, 6, m)), price)
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
