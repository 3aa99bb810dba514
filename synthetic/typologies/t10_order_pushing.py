"""T10 order pushing from social channels not connected to the platform (import).

A social-channel seller (a chat group, a micro-shop, a live stream) sells imported goods
at its own item pages and collects the money into a personal account; it then pushes the
orders onto a CBEC platform through a seller of record so that they clear as retail
imports: platform accounts (and often payment accounts) are opened for the buyers at the
moment of the order, and the orders arrive in bursts after each post or live session. The
buyers are real customers and receive the goods at home, so consignee data look honest.

What the contract carries and this module plants:

- item links outside the platform: ``raw_payments.item_link`` points at the outside shop
  (``config.LINK_HOSTS``) instead of the platform's item page (~90 % of raw records);
- payee mismatch: ``raw_payments.payee_account_no`` / ``payee_name`` are the social
  seller's personal account, not the seller of record or the platform (~85 %), so TL-19
  routes them to risk; the account is in ``payment_accounts`` with its holder;
- buyer accounts created at order time: no contract field holds when a platform account
  was created. Proxies: each buyer orders under a ``buyer_reg_no`` never seen before (a new
  platform account, while the same ID may have ordered before under another), and ~80 %
  of the buyers pay from a payment account whose ``payment_accounts.opened_date`` is the
  day of their first pushed order (held in their name, at the social seller's payment
  firm);
- bursts: 3-60 orders of one seller of record within 40 minutes of a post or live session
  (at any hour: the bulk's payments, which precede its declarations by hours to days, fall
  at all hours too).

Missing from the contract (what would carry the rest): the platform account's creation
time and device / IP of the order (an ``orders.buyer_reg_time`` and ``order_ip`` /
``device_id``, or a platform-accounts register keyed by ``buyer_reg_no`` with
``created_time``); the referral channel of the order (``orders.source_channel``:
app, web, API, third-party push); and the payment firm's view of the payer's own account
in ``raw_payments`` (``payer_account_no``), which would tie the transfer to the slip.

Look-alikes (``lookalikes``): genuinely new buyers in promotion or live-stream bursts on
the platform (new accounts, bursts, but platform links and the seller as payee) and gift
orders paid by a relative (money from someone else, but to the seller).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from synthetic.config import DISTRICTS, LINK_HOSTS
from synthetic.population import pay_clock
from synthetic.typologies.base import TYP_CODE, Ctx, Scheme, heavy_sizes

__all__ = ["plant"]



def plant(ctx: Ctx, budget: int) -> list[Scheme]:
    """Schemes whose declarations add up to about ``budget``."""
    rng, reg, cast = ctx.rng, ctx.reg, ctx.cast
    out = []
    for n in heavy_sizes(rng, budget, 5, 1500, ctx.median(60), min_n=3):
        s, e = ctx.span(1, 4)
        # the social seller runs the group / micro-shop / stream
        social = ctx.person(pay_ent=int(rng.choice(cast.pay_imp)))
        payee = int(reg.p_acct[social])
        pay_ent = int(reg.acct_ent[payee])
        di = int(rng.integers(0, len(DISTRICTS)))
        seller = ctx.firm(ctx.name(di, "Trading"), "ebc", di,
                          ctx.date_of(s) - timedelta(days=int(rng.integers(20, 400))))
        host = int(rng.integers(1, len(LINK_HOSTS)))
        # customers reached through the channel, 1-3 orders each
        k = max(2, int(round(n / rng.uniform(1.2, 2.0))))
        buyers = ctx.benign_refs(k)
        buyer = buyers[rng.permutation(np.arange(n) % k)]
        # sessions: a post or a live stream, orders within 40 minutes
        pay = np.empty(n, np.int64)
        i = 0
        while i < n:
            m = min(n - i, int(rng.integers(3, min(61, max(4, n // 3 + 3)))))
            # the first session opens the scheme; the others follow on random days
            day = s // 86400 if i == 0 else int(rng.integers(s // 86400,
                                                             max(s // 86400 + 1, e // 86400)))
            start = day * 86400 + int(pay_clock(rng, 1)[0])   # a post or a live session
            pay[i:i + m] = start + np.sort(rng.integers(0, 2400, m))
            i += m
        item, qty, price = ctx.ordinary_import(seller, n, fill=0.1)
        t_decl = pay + rng.integers(6 * 3600, 30 * 3600, n)
        f = ctx.import_frame(t_decl, seller, buyer, item, qty, price)
        d = f.d
        d["pay_time"][:] = pay
        d["t_decl"][:] = ctx.after_payment(pay, d)
        d["d_order"][:] = rng.integers(20, 300, n)   # account, order and payment at once
        # per buyer: a platform account opened at the first order, and mostly a payment
        # account opened that day at the social seller's payment firm
        first = {}
        for j in np.argsort(pay, kind="stable"):
            first.setdefault(int(buyer[j]), int(pay[j] - d["d_order"][j]))
        ub = np.unique(buyer)
        reg_no = dict(zip(ub.tolist(), ctx.platform_accounts(len(ub)).tolist(), strict=True))
        opened = {}
        fresh = rng.permutation(np.arange(len(ub)) < round(0.8 * len(ub)))
        for b, new in zip(ub.tolist(), fresh.tolist(), strict=True):
            own = int(reg.p_acct[b])
            if new or reg.acct_ent[own] != pay_ent:
                opened[b] = ctx.account(b, pay_ent, ctx.date_of(first[b]))
            else:
                opened[b] = own
        d["acct"][:] = [opened[int(b)] for b in buyer]
        d["payfirm"][:] = pay_ent
        d["reg_seq"][:] = [reg_no[int(b)] for b in buyer]
        # exact shares (a permutation), so that small schemes carry them too
        d["raw"][:] = rng.permutation(np.arange(n) < round(0.9 * n)).astype(np.int8)
        d["payee"][:] = np.where(rng.permutation(np.arange(n) < round(0.85 * n)), payee, -1)
        d["link"][:] = np.where(rng.permutation(np.arange(n) < round(0.9 * n)), host, 0)
        d["typ"][:] = TYP_CODE["T10"]
        sch = Scheme("T10", f"order pushing: {n} orders of {len(ub)} buyers pushed from "
                            f"{LINK_HOSTS[host].split('/')[2]}, money to a personal account", f)
        sch.member("person", reg.person_ref(social), "social_seller")
        sch.member("payment_account", reg.account_key(payee), "payee_account")
        sch.member("enterprise", reg.code(seller), "seller_of_record")
        for b in ub.tolist():
            sch.member("person", reg.person_ref(b), "pushed_buyer")
            if opened[b] != int(reg.p_acct[b]):
                sch.member("payment_account", reg.account_key(opened[b]),
                           "account_opened_at_order")
        out.append(sch)
    return out
