"""T9 complicit payment or logistics provider (import and export).

Import: an insider at a small licensed payment firm files payment slips with no raw
payment record behind them (~85 %), in batches with identical timestamps, often for round
amounts; a small partner carrier issues sequential waybill blocks for them. Both firms are
ordinary small providers with honest clients of their own (``cast``): their names, codes
and credit classes say nothing; their honest clients' slips also lack raw records more
often than the big firms' do.

Export (most schemes, as exports are most of CBEC): an insider at an export carrier
issues sequential waybill blocks for lists of goods that never leave (fake exports, for
rebates or to move money): ~70 % have no departure record, and the receipts are booked in
batches stamped with the same second. The lists are the exporters' ordinary ones; honest
lists lack a departure record now and then too (``population``).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synthetic.population import pay_clock
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant", "P_EXPORT"]

# share of schemes on the export side (exports are ~70 % of the bulk's declarations)
P_EXPORT = 0.6


def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    out = []
    for n in heavy_sizes(rng, budget, 10, 1500, ctx.median(40)):
        s, e = ctx.span(2, 5)
        if rng.random() < P_EXPORT:
            out.append(_export(ctx, n, s, e))
            continue
        pay = int(rng.choice(cast.small_payfirms))
        carrier = int(rng.choice(cast.small_carriers))
        sellers = list(rng.choice(cast.imp.ent, int(rng.integers(1, 4)), replace=False))
        buyers = ctx.benign_refs(max(2, n // 3))
        accts = {int(b): reg.add_account(reg.code(pay), str(rng.integers(10**15, 10**16)),
                                         reg.p_name[b], reg.p_id_raw[b], "personal",
                                         ctx.rand_date(date(2023, 6, 1), date(2025, 3, 1)),
                                         pay_ent=pay) for b in buyers}
        buyer = rng.choice(buyers, n)
        item, qty, price = ctx.ordinary_import(int(sellers[0]), n)
        f = ctx.import_frame(ctx.times(n, s, e), int(sellers[0]), buyer, item, qty, price,
                             logi=carrier)
        d = f.d
        d["ebc"][:] = rng.choice(sellers, n)
        d["acct"][:] = [accts[int(b)] for b in buyer]
        d["payfirm"][:] = pay
        # round amounts (~60 %): the slip states a round sum, the discount absorbs the rest
        gv = f.li["price"] * f.li["qty"]
        tot = gv * 1.091 + d["freight"] - d["discount"]
        rnd = (rng.random(n) < 0.6) & (tot > 150)
        d["paid_override"][:] = np.where(rnd, np.floor(tot / 100) * 100, np.nan)
        d["raw"][:] = np.where(rng.random(n) < 0.85, 0, 1)
        # batches of 10-50 payments stamped with the same second, a day before declaring
        order = np.argsort(d["t_decl"], kind="stable")
        batch = np.cumsum(rng.random(n) < 1 / 25)
        t_sorted = d["t_decl"][order]
        first = {b: t_sorted[i] // 86400 * 86400 - 86400 + int(pay_clock(rng, 1)[0])
                 for i, b in reversed(list(enumerate(batch)))}
        d["pay_time"][order] = [first[b] for b in batch]
        d["t_decl"][:] = ctx.after_payment(d["pay_time"], d)
        _sequential_waybills(rng, d, order, batch)
        d["typ"][:] = TYP_CODE["T9"]
        sch = Scheme("T9", f"complicit payment firm: {n} payments mostly without raw records, "
                           "batched timestamps, round amounts; sequential waybills", f)
        sch.member("enterprise", reg.code(pay), "complicit_payment_firm")
        sch.member("enterprise", reg.code(carrier), "complicit_carrier")
        for x in sellers:
            sch.member("enterprise", reg.code(int(x)), "seller")
        out.append(sch)
    return out


def _sequential_waybills(rng, d, order, batch) -> None:
    """Each batch (numbered 0.. along ``order``) gets a fresh block of the carrier's waybill
    numbers, sequential within it."""
    block = rng.integers(10**10, 9 * 10**11, int(batch.max()) + 1)
    d["wb_seq"][order] = block[batch] + np.arange(len(batch)) - np.searchsorted(batch, batch)


def _export(ctx: Ctx, n: int, s: int, e: int) -> Scheme:
    """Fake exports of 1-3 ordinary exporters through a complicit carrier's insider."""
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    ordinary = cast.exp.ent[cast.exp.look == 0]
    sellers = rng.choice(ordinary, int(rng.integers(1, 4)), replace=False)
    carrier = int(rng.choice(cast.express_exp))
    ebc = rng.choice(sellers, n)
    f = ctx.ordinary_export(ctx.times(n, s, e), ebc)
    d = f.d
    d["logi"][:] = np.where(d["channel"] == 2, d["logi"], carrier)
    d["traf"][:] = np.where(d["channel"] == 2, d["traf"], 0)   # air, by the insider's firm
    d["d_depart"][:] = np.where(rng.random(n) < 0.7, -1, d["d_depart"])
    # batches of ~25 lists within 10 days: receipts booked the same second a day or two
    # after the batch's last order, sequential waybill numbers
    order = np.argsort(d["t_decl"], kind="stable")
    t_sorted = d["t_decl"][order]
    cut = rng.random(n) < 1 / 25
    batch, b0 = np.zeros(n, np.int64), t_sorted[0]
    for i in range(1, n):
        if cut[i] or t_sorted[i] - b0 > 10 * 86400:
            b0 = t_sorted[i]
            batch[i] = batch[i - 1] + 1
        else:
            batch[i] = batch[i - 1]
    last = {int(b): int(t_sorted[i]) for i, b in enumerate(batch)}
    book = {b: t // 86400 * 86400 + 86400 + int(pay_clock(rng, 1)[0]) for b, t in last.items()}
    d["receipt_time"][order] = [book[int(b)] for b in batch]
    _sequential_waybills(rng, d, order, batch)
    d["typ"][:] = TYP_CODE["T9"]
    sch = Scheme("T9", f"complicit carrier: {n} export lists mostly without departure "
                       "records, receipts booked in batches; sequential waybills", f)
    sch.member("enterprise", reg.code(carrier), "complicit_carrier")
    for x in sellers:
        sch.member("enterprise", reg.code(int(x)), "seller")
    return sch
