"""The input data contract, loaded from ``contract.yaml``: tables, fields, types, requirements.

The YAML is the single source; the generator writes to it, the loader validates against it,
and ``docs/data-contract.md`` is rendered from it.

Examples
--------
>>> c = load_contract()
>>> c["declarations"].primary_key
('invt_no',)
>>> c["orders"].fields["buyer_name"].required_for({"ie_flag": "E"})
False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Field", "Table", "load_contract", "render_markdown", "FORMATS", "TYPES"]

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")
FORMATS = ("csv", "parquet", "jsonl")
TYPES = ("string", "integer", "decimal", "date", "datetime", "enum", "list")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str
    example: str
    values: tuple[str, ...] = ()
    when: dict[str, str] = field(default_factory=dict)
    #: conditions with several values (``when: {channel: [cbec, express]}``): required only
    #: when the row's value is one of them; kept apart from ``when`` so that readers of
    #: single-valued conditions keep working.
    when_in: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def conditional(self) -> bool:
        """Whether the requirement depends on other fields of the row."""
        return bool(self.when or self.when_in)

    def conditions(self) -> dict[str, tuple[str, ...]]:
        """Every condition as field -> accepted values."""
        return {**{k: (v,) for k, v in self.when.items()}, **self.when_in}

    def required_for(self, row: dict[str, Any]) -> bool:
        """Whether this field must be present in ``row`` (honours ``when`` conditions)."""
        if not self.required:
            return False
        return all(str(row.get(k)).lower() in {str(x).lower() for x in v}
                   for k, v in self.conditions().items())


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    primary_key: tuple[str, ...]
    fields: dict[str, Field]

    @property
    def columns(self) -> list[str]:
        return list(self.fields)

    @property
    def required(self) -> list[str]:
        """Fields required on every row (no ``when`` condition)."""
        return [f.name for f in self.fields.values() if f.required and not f.conditional]


@cache
def load_contract(path: Path = CONTRACT_PATH) -> dict[str, Table]:
    """Parse the contract YAML into ``{table_name: Table}``; raises ValueError on a bad spec."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables: dict[str, Table] = {}
    for tname, t in spec["tables"].items():
        fields = {}
        for fname, f in t["fields"].items():
            if f["type"] not in TYPES:
                raise ValueError(f"{path.name}: {tname}.{fname} has unknown type {f['type']!r}")
            fields[fname] = Field(
                name=fname,
                type=f["type"],
                required=bool(f["required"]),
                description=str(f["description"]).strip(),
                example=str(f["example"]),
                values=tuple(str(v) for v in f.get("values", ())),
                when={k: str(v) for k, v in (f.get("when") or {}).items()
                      if not isinstance(v, list)},
                when_in={k: tuple(str(x) for x in v) for k, v in (f.get("when") or {}).items()
                         if isinstance(v, list)},
            )
        missing = [k for k in t["primary_key"] if k not in fields]
        if missing:
            raise ValueError(f"{path.name}: {tname} primary key names unknown fields {missing}")
        tables[tname] = Table(tname, " ".join(str(t["description"]).split()),
                              tuple(t["primary_key"]), fields)
    return tables


def render_markdown(contract: dict[str, Table] | None = None) -> str:
    """Render the contract as the Markdown reference kept in ``docs/data-contract.md``."""
    contract = contract or load_contract()
    out = [
        "# Data contract: the extracts cbec-graph reads",
        "",
        "Generated from `etl/contract.yaml` by `cbec contract --markdown`; do not edit by hand.",
        "",
        "Each table arrives in the input folder as `<table>.csv`, `<table>.parquet` or "
        "`<table>.jsonl`, or as a folder `<table>/` of such files (e.g. one per month). "
        "Field names are the China E-Port CEB message fields in snake_case. Types are logical: "
        "in CSV and JSON Lines any value may arrive as text. Dates are `YYYY-MM-DD`, times ISO "
        "8601. A row missing a required field, or with a value of the wrong type, is "
        "quarantined with its file, row, field and reason; nothing is dropped silently. "
        "An extract with other column names loads through a mapping file "
        "(`cbec load DIR --mapping FILE`).",
        "",
    ]
    for t in contract.values():
        out += [f"## `{t.name}`", "", t.description, "",
                f"Key: `{', '.join(t.primary_key)}`", "",
                "| field | type | required | meaning | example |",
                "|---|---|---|---|---|"]
        for f in t.fields.values():
            typ = f.type + (f" ({', '.join(f.values)})" if f.values else "")
            req = "yes" if f.required else "no"
            if f.conditional:
                req = "if " + ", ".join(f"{k}={'/'.join(v)}" for k, v in f.conditions().items())
            desc = f.description.replace("|", "\\|")
            out.append(f"| `{f.name}` | {typ} | {req} | {desc} | `{f.example}` |")
        out.append("")
    return "\n".join(out)
