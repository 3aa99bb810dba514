from pathlib import Path

from etl.contract import FORMATS, load_contract, render_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_contract_docs_are_up_to_date():
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), "run: cbec contract --markdown > docs/data-contract.md"


def test_every_field_is_documented_with_an_example():
    for table in load_contract().values():
        assert table.description
        for f in table.fields.values():
            assert f.description and f.example != "", f"{table.name}.{f.name}"
            if f.type in ("enum", "list"):
                assert f.values, f"{table.name}.{f.name} enum without values"


def test_contract_covers_both_directions_and_all_channels():
    c = load_contract()
    for name in ("orders", "order_lines", "payments", "raw_payments", "receipts", "waybills",
                 "declarations", "declaration_lines", "departures", "inspections", "seizures",
                 "enterprises", "persons", "addresses", "phones", "payment_accounts"):
        assert name in c
    assert set(c["declarations"].fields["channel"].values) == {"cbec", "express", "postal",
                                                              "general"}
    assert {"9610", "1210", "9710", "9810"} <= set(c["declarations"].fields["trade_mode"].values)
    assert set(c["declarations"].fields["ie_flag"].values) == {"I", "E"}
    # export lists carry no buyer: the requirement applies to imports only
    buyer = c["declarations"].fields["buyer_id_number"]
    assert buyer.required_for({"ie_flag": "I", "channel": "cbec"})
    assert not buyer.required_for({"ie_flag": "E", "channel": "cbec"})
    # general trade: parties, order and waybill may be absent (NULL, never a placeholder)
    general = {"ie_flag": "I", "channel": "general"}
    for name in ("buyer_id_number", "ebp_code", "ebc_code", "order_no", "logistics_no"):
        assert not c["declarations"].fields[name].required_for(general), name
    assert c["declarations"].fields["logistics_no"].required_for({"channel": "postal"})
    assert not c["declarations"].fields["ebp_code"].required_for({"channel": "postal"})
    assert FORMATS == ("csv", "parquet", "jsonl")
