"""The benign cast: platforms, carriers, payment firms, agents, sellers (and buyers).

Sellers carry their own habits as arrays (items, price level, carriers, preferred
destination) so the monthly bulk can be sampled vectorised. A few firms are registered
twice under name variants. Buyers and their households come from ``synthetic.households``.
The look-alikes of the POP MART case live here: the legitimate POP MART exporters (brand
type 1, brand named, owner = rights holder) and unbranded toy exporters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic.catalog import EXPORT_ITEMS, IMPORT_ITEMS, TOY_ITEMS, item_index
from synthetic.config import COUNTRIES, DISTRICTS, EXPORT_SHARES, LOOKALIKES, GenConfig
from synthetic.identities import (
    _SYLL,
    address_text,
    addresses,
    enterprise_name_variant,
    format_phone,
    mobiles,
    names,
    resident_ids,
)
from synthetic.registers import Registry

__all__ = ["Cast", "build_cast", "Sellers", "seller_name"]

_LOOK = {k: i for i, k in enumerate(LOOKALIKES)}


@dataclass
class Sellers:
    """Seller attributes as arrays, one row per seller (for vectorised sampling)."""

    ent: np.ndarray
    weight: np.ndarray
    items: np.ndarray        # (n, 4) catalogue items
    price_f: np.ndarray
    ebp: np.ndarray
    logi: np.ndarray         # (n, 2) carriers
    agent: np.ndarray
    payfirm: np.ndarray
    district: np.ndarray
    top_country: np.ndarray
    p_top: np.ndarray
    owner: np.ndarray        # -1 = "NO"
    look: np.ndarray


@dataclass
class Cast:
    """Who is who in the benign world."""

    reg: Registry
    imp: Sellers
    exp: Sellers
    ebp_prefix: dict[int, str] = field(default_factory=dict)
    logi_prefix: dict[int, str] = field(default_factory=dict)
    postal: list[int] = field(default_factory=list)
    express_imp: list[int] = field(default_factory=list)
    express_exp: list[int] = field(default_factory=list)
    trucks: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    pay_imp: list[int] = field(default_factory=list)
    pay_exp: list[int] = field(default_factory=list)
    person_first_ref: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    person_n_refs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    person_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    addr_look: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    popmart: list[int] = field(default_factory=list)
    toy_exporters: list[int] = field(default_factory=list)
    faces: object = None


def _rand_date(rng: np.random.Generator, lo: date, hi: date) -> date:
    return lo + timedelta(days=int(rng.integers(0, max(1, (hi - lo).days))))


class _Faces:
    """Pre-drawn identities for firms (legal rep, ID, phone, office), drawn in bulk."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.reps = names(rng, n)
        self.ids = resident_ids(rng, n).tolist()
        self.kinds = rng.choice(["office", "office", "warehouse", "shop"], n).tolist()
        self.styles = rng.integers(0, 3, n).tolist()
        # half landlines, half mobiles in any common style (shell firms use mobiles too)
        a, b, c = rng.integers(20, 999, n), rng.integers(1000, 9999, n), rng.integers(1000, 9999, n)
        mob, mst = mobiles(rng, n), rng.integers(0, 6, n)
        self.tels = [f"+86 {x} {y} {z}" if i % 2 else format_phone(int(m), int(t))
                     for i, (x, y, z, m, t) in enumerate(zip(a, b, c, mob, mst, strict=True))]
        self.seeds = rng.integers(0, 10**6, n).tolist()
        self.i = 0

    def firm(self, reg: Registry, name: str, roles: str, di: int, since: date, **kw) -> int:
        """Register a firm with a legal representative, phone and office in district ``di``."""
        i = self.i % len(self.reps)
        self.i += 1
        return reg.add_enterprise(name, roles, DISTRICTS[di][3], DISTRICTS[di][0],
                                  registered=since, legal_rep=(self.reps[i], self.ids[i]),
                                  telephone=self.tels[i], address=address_text(
                                      addresses(self.rng, 1, self.kinds[i], DISTRICTS[di][3])[0],
                                      self.styles[i]),
                                  uscc_seed=self.seeds[i], **kw)


_WORDS = ["Starlight", "Golden Bridge", "Oriental", "Sunrise", "Evergreen", "Harmony",
          "Blue Ocean", "Jade", "Silk Road", "Phoenix", "Dragon Gate", "Lucky Star", "Pearl",
          "Great Wall", "Bright Future", "Spring", "Vast Sea", "Cloud", "Rainbow", "Peak"]


def seller_name(rng: np.random.Generator, di: int, kind: str) -> str:
    """A firm name as the register has them: ``<city> <trade name> [<word>] <kind> Co., Ltd.``.

    Trade names are pinyin pairs (``Hengyu``) so distinct firms rarely share a name.
    """
    a, b, w, c = rng.integers(0, len(_SYLL), 2).tolist() + rng.integers(0, len(_WORDS), 2).tolist()
    word = f" {_WORDS[w]}" if c % 2 else ""
    return f"{DISTRICTS[di][3]} {_SYLL[a]}{_SYLL[b].lower()}{word} {kind} Co., Ltd."


def build_cast(cfg: GenConfig, rng: np.random.Generator, start: date) -> Cast:
    """Create the benign registers for a world of ``cfg.declarations`` declarations."""
    reg = Registry()
    old = date(2012, 1, 1)
    cast = Cast(reg, None, None)  # type: ignore[arg-type]
    n_imp = max(20, int(cfg.declarations * 0.3 / 400))
    n_exp = max(40, int(cfg.declarations * 0.7 / 300))
    cast.faces = _Faces(rng, n_imp + n_exp * 2 + 100)
    for name, pre, di in [("Tmall Global", "TM", 0), ("JD Worldwide", "JD", 5),
                          ("Kaola", "KL", 0), ("Douyin Global", "DY", 5),
                          ("Pinduoduo Global", "PD", 2)]:
        cast.ebp_prefix[cast.faces.firm(reg, f"{name} Platform Co., Ltd.", "ebp", di, old,
                              credit="aeo_advanced")] = pre
    for name, pre, di in [("AliExpress", "AE", 0), ("Temu", "TE", 3), ("SHEIN", "SH", 3),
                          ("TikTok Shop", "TT", 4), ("Amazon Global Selling", "AM", 4)]:
        cast.ebp_prefix[cast.faces.firm(reg, f"{name} Export Co., Ltd.", "ebp", di, old,
                              credit="aeo_advanced")] = pre
    ebp_ids = list(cast.ebp_prefix)
    for name, pre, kind in [("SF Express", "SF", "xi"), ("YTO Express", "YT", "xi"),
                            ("ZTO Express", "ZT", "xi"), ("JD Logistics", "JDL", "xi"),
                            ("4PX Express", "4PX", "xe"), ("YunExpress", "YUN", "xe"),
                            ("Cainiao Global", "LP", "xe"), ("DHL China", "DH", "xe"),
                            ("China Post", "EA", "post"),
                            ("Lianyun Cross-border Trucking", "TRK", "truck"),
                            ("Xinjiang Silk Road Trucking", "XJT", "truck")]:
        i = cast.faces.firm(reg, f"{name} Co., Ltd.", "logistics", int(rng.integers(0, 6)), old,
                  credit="aeo_general")
        cast.logi_prefix[i] = pre
        {"xi": cast.express_imp, "xe": cast.express_exp, "post": cast.postal,
         "truck": cast.trucks}[kind].append(i)
    for name in ["Alipay", "Tenpay", "UnionPay Online"]:
        cast.pay_imp.append(cast.faces.firm(reg, f"{name} Payment Co., Ltd.", "payment", 0, old,
                                  credit="aeo_general"))
    for name in ["PingPong", "LianLian Global", "Payoneer China"]:
        cast.pay_exp.append(cast.faces.firm(reg, f"{name} Payment Co., Ltd.", "payment", 0, old))
    n_agents = max(8, int(30 * cfg.scale ** 0.5))
    for _ in range(n_agents):
        di = int(rng.integers(0, len(DISTRICTS)))
        cast.agents.append(cast.faces.firm(reg, seller_name(rng, di, "Customs Brokerage"), "agent",
                                 di, _rand_date(rng, old, date(2023, 1, 1))))
    cast.imp = _sellers(cast, rng, n_imp, "I", start, ebp_ids[:5])
    cast.exp = _sellers(cast, rng, n_exp, "E", start, ebp_ids[5:])
    from synthetic.households import add_households
    add_households(cast, rng, cfg)
    return cast


def _sellers(cast: Cast, rng: np.random.Generator, n: int, side: str, start: date,
             ebps: list[int]) -> Sellers:
    reg = cast.reg
    pool = IMPORT_ITEMS if side == "I" else np.setdiff1d(EXPORT_ITEMS, TOY_ITEMS)
    ent, look, items = [], [], []
    for k in range(n):
        di = int(rng.integers(0, len(DISTRICTS)))
        new = rng.random() < 0.08   # some honest shippers are new too
        since = (_rand_date(rng, start - timedelta(days=80), start + timedelta(days=60)) if new
                 else _rand_date(rng, date(2014, 1, 1), date(2024, 6, 1)))
        kind = "Trading" if side == "I" else ("E-commerce", "Trading", "Technology")[k % 3]
        roles = "ebc" if side == "I" or k % 3 else "ebc|producer"
        i = cast.faces.firm(reg, seller_name(rng, di, kind), roles, di, since)
        if k == 0 or rng.random() < 0.03:  # the same firm registered again, name variant
            e = reg.ent[i]
            reg.add_enterprise(enterprise_name_variant(e["enterprise_name"]), roles,
                               DISTRICTS[di][3], e["customs_district"], registered=since,
                               legal_rep=(e["legal_rep_name"], e["legal_rep_id_number"]),
                               telephone=e["telephone"], address=e["address"],
                               true_id=reg.ent_true[i], status="dormant")
        ent.append(i)
        look.append(0)
        items.append(rng.choice(pool, 4))
    if side == "E":  # the look-alikes of the POP MART case
        for name, di in [("Beijing Pop Mart Cultural & Creative Co., Ltd.", 5),
                         ("Pop Mart (Shenzhen) International Trading Co., Ltd.", 4)]:
            i = cast.faces.firm(reg, name, "ebc|producer", di, date(2016, 5, 10),
                      credit="aeo_advanced")
            cast.popmart.append(i)
            ent.append(i)
            look.append(_LOOK["legit_popmart"])
            items.append(np.array([item_index("labubu"), item_index("skullpanda")] * 2))
        for _ in range(max(6, len(ent) // 40)):
            di = int(rng.choice([10, 11, 0]))  # Yiwu, Shantou, Hangzhou: toy towns
            i = cast.faces.firm(reg, seller_name(rng, di, "Toys"), "ebc|producer", di,
                      _rand_date(rng, date(2010, 1, 1), date(2022, 1, 1)))
            cast.toy_exporters.append(i)
            ent.append(i)
            look.append(_LOOK["unbranded_toy_exporter"])
            items.append(rng.choice(TOY_ITEMS, 4))
    m = len(ent)
    # heavy-tailed seller sizes, but no single seller above 4 % of its side's volume
    w = rng.pareto(1.3, m) + 0.2
    for _ in range(3):
        w = np.minimum(w / w.sum(), 0.04)
    look_a = np.array(look, np.int8)
    if side == "E":  # fix look-alike volumes: POP MART ~0.8 %, toy exporters ~2 % of exports
        w = w / w[look_a == 0].sum()
        pm, toy = look_a == _LOOK["legit_popmart"], look_a == _LOOK["unbranded_toy_exporter"]
        w[pm] = 0.008 / pm.sum()
        wt = rng.pareto(2.0, toy.sum()) + 0.5
        w[toy] = 0.02 * wt / wt.sum()
    carriers = (cast.express_imp + cast.postal) if side == "I" else (
        cast.express_exp + cast.postal + cast.trucks)
    p_exp = np.array(list(EXPORT_SHARES.values()))
    top = rng.choice(len(COUNTRIES), m, p=p_exp / p_exp.sum())
    owner = np.where(np.array([("producer" in reg.ent[e]["roles"]) for e in ent]),
                     np.array(ent), -1)
    return Sellers(
        ent=np.array(ent), weight=w / w.sum(), items=np.array(items), look=look_a,
        price_f=rng.uniform(0.85, 1.2, m), ebp=rng.choice(ebps, m),
        logi=np.array([rng.choice(carriers, 2) for _ in range(m)]),
        agent=rng.choice(cast.agents, m),
        payfirm=rng.choice(cast.pay_imp if side == "I" else cast.pay_exp, m),
        district=np.array([_district_of(reg, e) for e in ent]), top_country=top,
        p_top=np.where(look_a > 0, 0.0, rng.beta(1.2, 3.0, m)), owner=owner)


def _district_of(reg: Registry, e: int) -> int:
    code = reg.ent[e]["customs_district"]
    return next(i for i, d in enumerate(DISTRICTS) if d[0] == code)
