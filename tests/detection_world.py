"""A hand-made staging database for detection tests: declarations described one dict each,
turned into the staging tables and graph-projection edge tables detection reads."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

EDGES = ("FOR_ORDER", "SHIPPED_AS", "PAYS", "BUYER", "CONSIGNEE", "SHIP_TO", "CONTACT",
         "FROM_ACCOUNT", "PAYEE", "PAID_BY", "PROCESSED_BY", "HAS_ID", "HAS_PHONE",
         "LOCATED_AT", "REPRESENTED_BY", "HOLDS", "SAME_AS")


def decl(key: str, time: datetime, seller: str, *, buyer: str | None = None,
         address: str | None = None, phone: str | None = None, account: str | None = None,
         ie: str = "I", channel: str = "cbec", country: str = "CN", value: float = 100.0,
         weight: float = 1.0, qty: float = 1.0, gname: str = "table lamp",
         brand_type: int = 1, brand: str | None = "Acme", gcode: str = "9405100000",
         agent: str = "AG1", carrier: str = "CA1", checks: tuple[str, ...] = (),
         outcome: str | None = None) -> dict:
    """One declaration with the entities it involves."""
    return dict(key=key, time=time, seller=seller, buyer=buyer, address=address, phone=phone,
                account=account, ie=ie, channel=channel, country=country, value=value,
                weight=weight, qty=qty, gname=gname, brand_type=brand_type, brand=brand,
                gcode=gcode, agent=agent, carrier=carrier, checks=checks, outcome=outcome)


def make_staging(decls: list[dict], *, enterprises: dict[str, datetime] | None = None,
                 static: list[tuple[str, str, str, str, str]] = (),
                 con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """Staging tables for ``decls``; ``static``: (edge type, from label, from key, to label,
    to key) register links; ``enterprises``: registration dates."""
    con = con or duckdb.connect()
    d = pd.DataFrame([{
        "invt_no": x["key"], "decl_time": x["time"], "ie_flag": x["ie"],
        "channel": x["channel"], "trade_mode": "9610", "country": x["country"],
        "ebc_code": x["seller"], "agent_code": x["agent"], "logistics_code": x["carrier"],
        "ebp_code": "PLAT", "owner_code": "NO", "order_no": "O" + x["key"],
        "gross_weight": x["weight"] * 1.1, "net_weight": x["weight"], "currency": "CNY",
        "customs_code": "2901"} for x in decls])
    lines = pd.DataFrame([{
        "invt_no": x["key"], "gnum": 1, "gcode": x["gcode"], "unit": "007",
        "gname": x["gname"], "brand_type": x["brand_type"], "brand": x["brand"],
        "qty": x["qty"], "price": x["value"] / x["qty"], "total_price": x["value"],
        "currency": "CNY"} for x in decls])
    checks = pd.DataFrame([{"invt_no": x["key"], "check_id": c, "status": "fail"}
                           for x in decls for c in x["checks"]]
                          or [{"invt_no": "-", "check_id": "-", "status": "pass"}])
    ins = pd.DataFrame([{"inspection_id": "I" + x["key"], "invt_no": x["key"],
                         "inspection_time": x["time"], "outcome": x["outcome"]}
                        for x in decls if x["outcome"]]
                       or [{"inspection_id": "-", "invt_no": "-",
                            "inspection_time": datetime(1900, 1, 1), "outcome": "clean"}])
    ents = enterprises or {}
    sellers = sorted({x["seller"] for x in decls} | set(ents))
    ent = pd.DataFrame({"enterprise_code": sellers,
                        "registered_date": [ents.get(s, datetime(2015, 1, 1)).date()
                                            for s in sellers]})
    e: dict[str, list] = {t: [] for t in EDGES}
    for x in decls:
        k, o, p = x["key"], "O" + x["key"], "P" + x["key"]
        e["FOR_ORDER"].append(("Declaration", k, "Order", o))
        e["PAYS"].append(("Payment", p, "Order", o))
        e["PROCESSED_BY"].append(("Payment", p, "Enterprise", "PAYFIRM"))
        if x["buyer"]:
            e["BUYER"].append(("Declaration", k, "Person", x["buyer"]))
            e["BUYER"].append(("Order", o, "Person", x["buyer"]))
            e["CONSIGNEE"].append(("Order", o, "Person", x["buyer"]))
            e["PAID_BY"].append(("Payment", p, "Person", x["buyer"]))
            if x["buyer"].startswith("id:"):
                e["HAS_ID"].append(("Person", x["buyer"], "IdNumber", x["buyer"][3:]))
        if x["address"]:
            e["SHIP_TO"].append(("Order", o, "Address", x["address"]))
        if x["phone"]:
            e["CONTACT"].append(("Order", o, "Phone", x["phone"]))
        if x["account"]:
            e["FROM_ACCOUNT"].append(("Payment", p, "PaymentAccount", x["account"]))
    for typ, fl, fk, tl, tk in static:
        e[typ].append((fl, fk, tl, tk))
    for name, rows in (("stg_declarations", d), ("stg_declaration_lines", lines),
                       ("stg_check_results", checks), ("stg_inspections", ins),
                       ("stg_enterprises", ent)):
        con.register("_df", rows)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _df")
        con.unregister("_df")
    for t, rows in e.items():
        df = pd.DataFrame(rows, columns=["from_label", "from_key", "to_label", "to_key"])
        con.register("_df", df)
        con.execute(f"CREATE OR REPLACE TABLE edge_{t} AS SELECT CAST(from_label AS VARCHAR) "
                    f"from_label, CAST(from_key AS VARCHAR) from_key, CAST(to_label AS "
                    f"VARCHAR) to_label, CAST(to_key AS VARCHAR) to_key FROM _df")
        con.unregister("_df")
    return con
