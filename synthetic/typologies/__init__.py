"""Fraud typologies T1-T10 of domain.md §5, one module each; ``plant_all`` plants them all."""

from __future__ import annotations

import numpy as np

from synthetic.config import TYPOLOGIES
from synthetic.typologies import (
    t1_identity_brushing,
    t2_general_trade,
    t3_undervaluation,
    t4_splitting,
    t5_misdescription,
    t6_popmart_ipr,
    t7_ant_moving,
    t8_enterprise_cycling,
    t9_complicit_provider,
    t10_order_pushing,
)
from synthetic.typologies.base import Ctx, Scheme, add_lines

__all__ = ["plant_all", "SHARES", "MINIMA"]

# share of all declarations per typology planted (~2 %; schemes running past the world's
# edges lose the rows outside, so ~1.4 % remain, inside domain.md's 0.5-3 %). Export-side
# fraud (T6, T8 and the export schemes of T3, T5, T9) is ~60 % of it, so that a
# declaration's direction says little: exports are ~70 % of the bulk, and a row model
# learnt "import, hence suspect" when 8 of 10 typologies were imports only.
SHARES = {"T1": 0.0020, "T2": 0.0012, "T3": 0.0025, "T4": 0.0008, "T5": 0.0020,
          "T6": 0.0060, "T7": 0.0011, "T8": 0.0028, "T9": 0.0013, "T10": 0.0010}
# floor so that every typology exists even in a 2,000-declaration test world (T2 and T10
# are kept small so that a 4,000-declaration world stays under a 3 % malicious share)
MINIMA = {"T1": 20, "T2": 10, "T3": 12, "T4": 8, "T5": 12, "T6": 28, "T7": 14, "T8": 14,
          "T9": 14, "T10": 10}
# planting order: T2 and T10 came last, so the earlier typologies draw what they always drew
_MODULES = {"T1": t1_identity_brushing, "T3": t3_undervaluation, "T4": t4_splitting,
            "T5": t5_misdescription, "T6": t6_popmart_ipr, "T7": t7_ant_moving,
            "T8": t8_enterprise_cycling, "T9": t9_complicit_provider, "T2": t2_general_trade,
            "T10": t10_order_pushing}


def plant_all(ctx: Ctx) -> list[Scheme]:
    """Plant every typology; scheme ids are ``SCH-<typology>-<nnn>``, listed T1 to T10."""
    out: list[Scheme] = []
    m = ctx.cfg.months
    for typ, mod in _MODULES.items():
        budget = max(MINIMA[typ], int(round(SHARES[typ] * ctx.cfg.declarations)))
        # new schemes in the last two months first, then the others spread over the months
        # (-1: already running when the world begins)
        # (-1, twice as often: schemes started some months before the extract keep the
        # fraud share of the first months level with the later ones)
        ctx.start_months = [m - 1, m - 2] + [int(x) - 1 for x in np.concatenate(
            [ctx.rng.permutation(np.r_[0, np.arange(m - 1)]) for _ in range(20)])]
        for i, sch in enumerate(mod.plant(ctx, budget)):
            sch.scheme_id = f"SCH-{typ}-{i + 1:03d}"
            sch.frame = add_lines(ctx, sch.frame)
            out.append(sch)
    return sorted(out, key=lambda s: TYPOLOGIES.index(s.typology))
