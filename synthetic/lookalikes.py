"""Benign look-alikes planted apart from the bulk: co-habitants splitting orders.

The other look-alikes come with the bulk: parcel lockers, campus stations, families and
offices sharing an address (``cast``), promotion-day bursts and flash sales
(``population``), legitimate POP MART and unbranded toy exporters (``cast``).
Co-habitants are the look-alike of T4: two or three people at one family address order on
the same day, each with their own ID, phone and account, at ordinary values.
"""

from __future__ import annotations

import numpy as np

from synthetic.catalog import IMPORT_ITEMS
from synthetic.config import LOOKALIKES
from synthetic.frame import concat
from synthetic.typologies.base import Ctx

__all__ = ["cohabitant_split"]


def cohabitant_split(ctx: Ctx, n_events: int):
    """About ``n_events`` same-day orders by people sharing a family address."""
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    refs = cast.person_first_ref
    addr = reg.np("p_addr")[refs]
    fam = cast.addr_look[addr] == LOOKALIKES.index("family")
    order = np.argsort(addr[fam], kind="stable")
    a_sorted, r_sorted = addr[fam][order], refs[fam][order]
    cuts = np.flatnonzero(np.diff(a_sorted)) + 1
    groups = [g for g in np.split(r_sorted, cuts) if len(g) >= 2]
    if not groups:
        return None
    frames = []
    for gi in rng.choice(len(groups), min(n_events, len(groups)), replace=False):
        g = groups[gi]
        k = int(min(len(g), rng.integers(2, 4)))
        who = rng.choice(g, k, replace=False)
        day = int(rng.integers(ctx.t0 // 86400, ctx.t1 // 86400 - 1))
        t = day * 86400 + rng.integers(10 * 3600, 23 * 3600, k)
        item = rng.choice(IMPORT_ITEMS, k)
        seller = int(rng.choice(cast.imp.ent))
        f = ctx.import_frame(t, seller, who, item, np.ones(k), rng.uniform(200, 3000, k))
        f.d["look"][:] = LOOKALIKES.index("cohabitant_split")
        frames.append(f)
    return concat(frames)
