"""Fraud typologies T1-T10 of domain.md §5, one module each; ``plant_all`` plants them all."""

from __future__ import annotations

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
from synthetic.typologies.base import Ctx, Scheme

__all__ = ["plant_all", "SHARES", "MINIMA"]

# share of all declarations per typology (sums to ~1.9 %, inside domain.md's 0.5-3 %)
SHARES = {"T1": 0.0030, "T2": 0.0016, "T3": 0.0020, "T4": 0.0010, "T5": 0.0015,
          "T6": 0.0045, "T7": 0.0015, "T8": 0.0012, "T9": 0.0015, "T10": 0.0013}
# floor so that every typology exists even in a 2,000-declaration test world (T2 and T10
# are kept small so that a 4,000-declaration world stays under a 3 % malicious share)
MINIMA = {"T1": 30, "T2": 6, "T3": 8, "T4": 6, "T5": 8, "T6": 24, "T7": 10, "T8": 10,
          "T9": 10, "T10": 5}
# planting order: T2 and T10 came last, so the earlier typologies draw what they always drew
_MODULES = {"T1": t1_identity_brushing, "T3": t3_undervaluation, "T4": t4_splitting,
            "T5": t5_misdescription, "T6": t6_popmart_ipr, "T7": t7_ant_moving,
            "T8": t8_enterprise_cycling, "T9": t9_complicit_provider, "T2": t2_general_trade,
            "T10": t10_order_pushing}


def plant_all(ctx: Ctx) -> list[Scheme]:
    """Plant every typology; scheme ids are ``SCH-<typology>-<nnn>``, listed T1 to T10."""
    out: list[Scheme] = []
    for typ, mod in _MODULES.items():
        budget = max(MINIMA[typ], int(round(SHARES[typ] * ctx.cfg.declarations)))
        for i, sch in enumerate(mod.plant(ctx, budget)):
            sch.scheme_id = f"SCH-{typ}-{i + 1:03d}"
            out.append(sch)
    return sorted(out, key=lambda s: TYPOLOGIES.index(s.typology))
