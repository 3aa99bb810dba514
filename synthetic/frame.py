"""The declaration frame: one month's declarations as columns of integers and floats.

Benign bulk (vectorised) and fraud schemes (plain Python) both produce a ``Frame``; one
message builder turns any frame into the contract tables, so fraud rows look exactly like
benign ones except where the typology changes something. Strings are looked up only at the
end, from register indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Frame", "DECL_COLS", "LINE_COLS", "concat", "sort_by_time", "subset"]

# column -> (dtype, default)
DECL_COLS: dict[str, tuple[str, float]] = {
    "ie": ("int8", 0),            # 0 import, 1 export
    "channel": ("int8", 1),       # CHANNELS index
    "tmode": ("int8", -1),        # TRADE_MODES index, -1 none
    "traf": ("int8", 0),          # TRAF_MODES index
    "ebp": ("int32", -1), "ebc": ("int32", -1), "logi": ("int32", -1),
    "agent": ("int32", -1), "payfirm": ("int32", -1),
    "owner": ("int32", -2),       # -2 none (import), -1 "NO"
    "district": ("int16", 0),     # DISTRICTS index: customs office and port
    "country": ("int16", 0),      # COUNTRIES index
    "pod": ("int16", -1),         # index into POD list of the country, -1 none
    "buyer": ("int32", -1), "payer": ("int32", -1),   # person_ref indices (import)
    "cons_addr": ("int32", -1), "cons_phone": ("int32", -1), "buyer_phone": ("int32", -1),
    "acct": ("int32", -1),        # payer's account
    "t_decl": ("int64", 0),       # epoch seconds of the declaration
    "d_ship": ("int32", 3600), "d_pay": ("int32", 7200), "d_order": ("int32", 120),
    "d_depart": ("int32", 36000),  # -1: no departure record (goods held, returned, or
                                   # never shipped)
    "d_receipt": ("int32", 86400),
    "receipt_time": ("int64", -1),  # absolute receipt booking time override (export)
    "usd": ("bool", 0),
    "freight": ("float64", 0.0), "discount": ("float64", 0.0),
    "note": ("int8", 0),
    "paid_override": ("float64", np.nan),  # actual_paid forced (discount absorbs it)
    "raw": ("int8", 1),           # 0 no raw payment record, 1 as declared, 2 true amount
    "raw_factor": ("float64", 1.0),
    "pay_time": ("int64", -1),    # absolute payment time override
    "wb_seq": ("int64", -1),      # waybill serial override (sequential blocks)
    "cons_name": ("int32", -1),   # person_ref named as consignee, -1 the buyer
    "payee": ("int32", -1),       # payment account paid per the raw record, -1 the seller's
    "link": ("int8", 0),          # item page host of the raw record: 0 the platform's, k>0
                                  # LINK_HOSTS[k] (a shop outside the platform)
    "reg_seq": ("int64", -1),     # platform account (buyer_reg_no) override, -1 the buyer's
    "scheme": ("int32", -1), "typ": ("int8", 0), "look": ("int8", 0),
    "n_lines": ("int8", 1),
}
LINE_COLS: dict[str, tuple[str, float]] = {
    "item": ("int16", 0), "true_item": ("int16", 0),
    "qty": ("float64", 1.0), "true_qty": ("float64", 1.0),
    "price": ("float64", 0.0), "true_price": ("float64", 0.0),
    "gtin": ("int64", -1),        # -1 the declared item's GTIN, -2 none, >= 0 a 12-digit prefix
    "kg_f": ("float64", 1.0),     # weight of one declared unit relative to the catalogue's
                                  # (a set or carton declared as one unit weighs more)
}


@dataclass
class Frame:
    """Columns of ``n`` declarations (``d``) and their goods lines (``li``), in order."""

    d: dict[str, np.ndarray]
    li: dict[str, np.ndarray]

    @classmethod
    def empty(cls, n: int, n_lines: np.ndarray | int = 1) -> Frame:
        d = {k: np.full(n, v, dtype=t) for k, (t, v) in DECL_COLS.items()}
        d["n_lines"][:] = n_lines
        m = int(d["n_lines"].sum())
        li = {k: np.full(m, v, dtype=t) for k, (t, v) in LINE_COLS.items()}
        return cls(d, li)

    def __len__(self) -> int:
        return len(self.d["ie"])

    @property
    def line_decl(self) -> np.ndarray:
        """Position of the declaration each line belongs to."""
        return np.repeat(np.arange(len(self)), self.d["n_lines"].astype(np.int64))


def concat(frames: list[Frame]) -> Frame:
    frames = [f for f in frames if len(f)]
    return Frame({k: np.concatenate([f.d[k] for f in frames]) for k in DECL_COLS},
                 {k: np.concatenate([f.li[k] for f in frames]) for k in LINE_COLS})


def sort_by_time(f: Frame) -> Frame:
    """Order declarations by declaration time (stable), moving their lines along."""
    order = np.argsort(f.d["t_decl"], kind="stable")
    nl = f.d["n_lines"].astype(np.int64)
    start = np.concatenate([[0], np.cumsum(nl)[:-1]])
    new_nl = nl[order]
    rep = np.repeat(start[order], new_nl)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(new_nl) - new_nl, new_nl)
    line_order = rep + within
    return Frame({k: v[order] for k, v in f.d.items()},
                 {k: v[line_order] for k, v in f.li.items()})


def subset(f: Frame, mask: np.ndarray) -> Frame:
    """The declarations where ``mask`` holds, with their lines."""
    return Frame({k: v[mask] for k, v in f.d.items()},
                 {k: v[mask[f.line_decl]] for k, v in f.li.items()})
