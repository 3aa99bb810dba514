"""The synthetic world's answer key, mapped onto the keys of the graph.

Ground truth names entities as the generator wrote them (raw phones, raw addresses,
register person references); the graph keys them after normalisation and resolution. Both
sides are mapped to one canonical form for ring matching: ``E:<enterprise code>``,
``A:<address key>``, ``T:<E.164 phone>``, ``K:<pay code|account>``, ``I:<ID number>``
(a person is the ID they are known by; a person without one stays ``H:<key>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.normalise import address_key, normalise_address, phone_e164

__all__ = ["Truth", "load_truth", "canonical_member"]


@dataclass
class Truth:
    decl: pd.DataFrame  # invt_no (index), scheme_id, typology, is_malicious, lookalike
    schemes: pd.DataFrame  # scheme_id (index), typology, start, end, n_declarations
    members: dict[str, set[str]]  # scheme_id -> canonical member keys


def canonical_member(label: str, key: str) -> str:
    """A graph node's canonical key (module doc)."""
    if label == "Enterprise":
        return f"E:{key}"
    if label == "Address":
        return f"A:{key}"
    if label == "Phone":
        return f"T:{key}"
    if label == "PaymentAccount":
        return f"K:{key}"
    if label == "IdNumber":
        return f"I:{key}"
    if label == "Person":
        return f"I:{key[3:]}" if key.startswith("id:") else f"H:{key}"
    return f"{label}:{key}"


def load_truth(world: str | Path, con) -> Truth:
    """Read ``<world>/ground_truth`` and map its members with the staging registers."""
    gt = Path(world) / "ground_truth"
    if not (gt / "declarations.parquet").exists():
        raise FileNotFoundError(f"{gt} has no declarations.parquet: evaluate needs a world "
                                f"made by `cbec generate` (its ground_truth/ folder)")
    decl = pd.read_parquet(gt / "declarations.parquet").set_index("invt_no")
    schemes = pd.read_csv(gt / "schemes.csv").set_index("scheme_id")
    mem = pd.read_csv(gt / "scheme_members.csv", dtype=str)
    persons = dict(con.execute("SELECT person_ref, id_number_norm FROM stg_persons").fetchall())
    ids = dict(con.execute("SELECT id_number, id_number_norm FROM stg_persons "
                           "WHERE id_number IS NOT NULL").fetchall())
    members: dict[str, set[str]] = {}
    for sid, typ, key in zip(mem.scheme_id, mem.entity_type, mem.entity_key, strict=True):
        members.setdefault(sid, set()).add(_canon(typ, key, persons, ids))
    return Truth(decl, schemes, members)


def _canon(typ: str, key: str, persons: dict, ids: dict) -> str:
    if typ == "enterprise":
        return f"E:{key}"
    if typ == "address":
        return f"A:{address_key(normalise_address(key))}"
    if typ == "phone":
        return f"T:{phone_e164(key) or key}"
    if typ == "payment_account":
        return f"K:{key}"
    if typ == "id_number":
        return f"I:{ids.get(key) or key.replace(' ', '').upper()}"
    if typ == "person":
        idn = persons.get(key)
        return f"I:{idn}" if idn else f"H:{key}"
    return f"{typ}:{key}"
