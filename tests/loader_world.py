"""A tiny hand-made extract for the loader tests: a few rows per table, some of them broken.

``write_world(dir, fmt)`` writes CSV, Parquet or JSON Lines in the contract layout (message
tables as month folders) and returns the rows that must be quarantined, as
``{(table, file, row): reason fragment}``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

GOOD_ID = "110105199203074514"   # valid MOD 11-2
BAD_ID = "110105199203074518"    # wrong check digit: kept, flagged

ENTERPRISES = [
    dict(enterprise_code="3301960A2K", enterprise_name="Yiwu Starlight Trading Co., Ltd.",
         roles="ebc|producer", telephone="+86 579 8555 1234",
         address="No. 88 Chouzhou North Rd, Yiwu, Zhejiang", country="China",
         registered_date="2025-03-14", status="active"),
    dict(enterprise_code="3301960TMA", enterprise_name="Tmall Global", roles="ebp",
         country="CN", status="Active"),
    dict(enterprise_code="3105960SFX", enterprise_name="SF Express", roles="logistics",
         country="CN"),
    dict(enterprise_code="BROKEN0001", enterprise_name="Bad Roles Ltd", roles="ebc|pirate",
         country="CN"),  # quarantined: unknown role
]

PERSONS = [
    dict(person_ref="P1", name="Li Na", id_type="1", id_number=GOOD_ID,
         telephone="138 0013 8000",
         address="Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing"),
    dict(person_ref="P2", name="LiNa", id_type="1", id_number=BAD_ID,
         telephone="13800138000",
         address="Room 1203, Building 5, 18 Jianguo Road, Chaoyang Dist., Beijing"),
    dict(person_ref="P3", name="Wang Lei", id_type="1", id_number="110105********4518"),
]


def _order(no: str, month: str, **kw) -> dict:
    row = dict(order_no=no, ebp_code="3301960TMA", ebc_code="3301960A2K", ie_flag="I",
               order_time=f"2025-{month}-11T09:30:12", goods_value="356.00", freight="12.00",
               discount="0", tax_total="32.87", actual_paid="400.87", currency="CNY",
               buyer_name="Li Na", buyer_id_type="1", buyer_id_number=GOOD_ID,
               buyer_telephone="13800138000", consignee="Li Na",
               consignee_telephone="138-0013-8000",
               consignee_address="Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing",
               pay_code="3120960PAY", pay_transaction_id="T" + no)
    row.update(kw)
    return row


ORDERS = {
    "2025-06": [
        _order("O1", "06"),
        _order("O2", "06", buyer_id_number=BAD_ID),                  # kept, flagged
        _order("O3", "06", order_time="2025-13-45"),                 # quarantined
        _order("O4", "06", ie_flag="E", buyer_name=None, buyer_id_number=None, consignee=None,
               consignee_telephone=None, consignee_address=None, pay_transaction_id=None),
        _order("O5", "06", buyer_name=None),                          # quarantined (import)
        _order("O1", "06", goods_value="1.00"),                      # duplicate key
    ],
    "2025-07": [
        _order("O6", "07"),
        _order("O7", "07", freight="-3"),                            # quarantined
    ],
}

DECLARATION_LINES = [
    dict(invt_no="D1", gnum="1", gcode="9503008900", gname="plush toy",
         gmodel="1|0|POP MART|LABUBU 17cm|", qty="2", unit="007", price="89", total_price="178",
         country="CN"),
    dict(invt_no="D1", gnum="2", gcode="9503008900", gname="plush toy", gmodel="0|0||20cm",
         qty="1", unit="007", price="10", total_price="10", country="Germany"),
    dict(invt_no="D2", gnum="x", gcode="9503008900", gname="toy", gmodel="0|0|",
         qty="1", unit="007", price="1", total_price="1", country="CN"),  # quarantined
]

# (table, file suffix, 1-based row) -> fragment of the expected reason
EXPECTED_QUARANTINE = {
    ("enterprises", 4): "roles",
    ("orders/2025-06", 3): "order_time '2025-13-45' is not a date-time",
    ("orders/2025-06", 5): "buyer_name is missing (required when ie_flag = I)",
    ("orders/2025-06", 6): "duplicate key",
    ("orders/2025-07", 2): "freight '-3' is negative",
    ("declaration_lines", 3): "gnum 'x' is not a whole number",
}


def _write(df: pd.DataFrame, path: Path, fmt: str) -> None:
    path = path.with_suffix("." + fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "parquet":
        df.astype("string").to_parquet(path, index=False)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            for rec in df.to_dict(orient="records"):
                fh.write(json.dumps({k: v for k, v in rec.items() if pd.notna(v)},
                                    ensure_ascii=False) + "\n")


def write_world(root: Path, fmt: str = "csv", months: tuple[str, ...] = ("2025-06", "2025-07"),
                ) -> Path:
    """Write the tiny world under ``root`` in ``fmt``; return ``root``."""
    root = Path(root)
    _write(pd.DataFrame(ENTERPRISES), root / "enterprises", fmt)
    _write(pd.DataFrame(PERSONS), root / "persons", fmt)
    for m in months:
        _write(pd.DataFrame(ORDERS[m]), root / "orders" / m, fmt)
    _write(pd.DataFrame(DECLARATION_LINES), root / "declaration_lines", fmt)
    gt = root / "ground_truth"
    gt.mkdir(parents=True, exist_ok=True)
    (gt / "orders.csv").write_text("this,must,never,be,read\n1,2\n", encoding="utf-8")
    return root
