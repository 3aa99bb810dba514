"""Malformed rows like real extracts have: bad dates, negative values, broken IDs, gaps.

A configurable share of message rows gets one planted defect; each is listed in
``ground_truth/malformed_rows.csv`` with its table, primary key, field and defect. Primary
keys are never damaged, so the rows still join.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.contract import load_contract

__all__ = ["plant_defects", "DEFECTS"]

# table -> [(field, defect)]
DEFECTS = {
    "orders": [("order_time", "bad_date"), ("goods_value", "negative_value"),
               ("buyer_id_number", "broken_id"), ("ebc_code", "missing_required")],
    "payments": [("pay_time", "bad_date"), ("amount_paid", "negative_value")],
    "waybills": [("weight", "negative_value"), ("ship_time", "bad_date")],
    "declarations": [("decl_time", "bad_date"), ("gross_weight", "negative_value"),
                     ("buyer_id_number", "broken_id"), ("agent_code", "missing_required")],
    "declaration_lines": [("qty", "negative_value"), ("gname", "missing_required")],
    "receipts": [("accounting_date", "bad_date"), ("charge", "negative_value")],
}
_BAD_DATES = ["2025-13-45T25:61:00", "31/06/2025 10:00", "2025-06-31T10:00:00", "20250611",
              "0000-00-00T00:00:00"]


def plant_defects(tables: dict[str, pa.Table], share: float, rng: np.random.Generator
                  ) -> tuple[dict[str, pa.Table], list[dict]]:
    """Damage about ``share`` of the rows of the message tables; return them and the log."""
    log: list[dict] = []
    contract = load_contract()
    out = dict(tables)
    for name, defects in DEFECTS.items():
        if name not in tables:
            continue
        t = tables[name]
        n = t.num_rows
        if n == 0 or share <= 0:
            continue
        rows = np.flatnonzero(rng.random(n) < share)
        if not len(rows):
            continue
        kind = rng.integers(0, len(defects), len(rows))
        pk = contract[name].primary_key
        keys = pc.binary_join_element_wise(*[t.column(k).cast(pa.string()) for k in pk], "|")
        for j, (fname, defect) in enumerate(defects):
            sel = rows[kind == j]
            if fname == "buyer_id_number":   # only rows that carry an ID
                col = t.column(fname)
                sel = sel[np.asarray(col.is_valid().to_numpy(zero_copy_only=False))[sel]]
            if not len(sel):
                continue
            col = t.column(fname).combine_chunks()
            repl = []
            for i, v in zip(sel, col.take(pa.array(sel)).to_pylist(), strict=True):
                if defect == "bad_date":
                    v = _BAD_DATES[int(rng.integers(0, len(_BAD_DATES)))]
                elif defect == "negative_value":
                    v = -abs(v) if v else -1.0
                elif defect == "broken_id":
                    v = (v[:-1] + ("0" if v[-1] != "0" else "1")) if rng.random() < 0.5 \
                        else v[:15]
                else:
                    v = None
                repl.append(v)
                log.append({"table": name, "record_key": keys[int(i)].as_py(), "field": fname,
                            "defect": defect})
            mask = np.zeros(n, bool)
            mask[sel] = True
            new = pc.replace_with_mask(col, pa.array(mask), pa.array(repl, col.type))
            t = t.set_column(t.column_names.index(fname), fname, new)
        out[name] = t
    return out, log
