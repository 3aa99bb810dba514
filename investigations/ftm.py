"""The case's (redacted) network as FollowTheMoney entities, and their validation.

Nodes map to FtM schemata (Enterprise -> Company, Person -> Person, Address -> Address,
PaymentAccount -> BankAccount without its number, IdNumber -> Identification with the masked
number, Phone/Email -> UserAccount carrying the masked value, declarations, orders,
waybills, payments and inspections -> Event); edges become ``UnknownLink`` entities whose
role is the edge type, except an ID number's holder, which is a property. Countries, HS
codes and products become properties of the events that reach them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from followthemoney import model

__all__ = ["entity_id", "to_ftm", "validate_ftm_lines", "FtmInvalid", "SCHEMA_OF"]

SCHEMA_OF = {"Enterprise": "Company", "Person": "Person", "Address": "Address",
             "PaymentAccount": "BankAccount", "IdNumber": "Identification",
             "Phone": "UserAccount", "Email": "UserAccount", "Declaration": "Event",
             "Order": "Event", "Waybill": "Event", "Payment": "Event", "Inspection": "Event"}
_TIME = {"Declaration": "decl_time", "Order": "order_time", "Waybill": "ship_time",
         "Payment": "pay_time", "Inspection": "inspection_time"}
_ATTRIBUTE_LABELS = {"Country", "HsCode", "Product"}


class FtmInvalid(ValueError):
    """A FollowTheMoney line that the library rejects (line, entity and property named)."""


def entity_id(label: str, key: str) -> str:
    """The FtM id of a graph node (nodes.csv maps it back to ``Label:key``)."""
    return f"cbec-{label.lower()}-{key}".replace("|", "-").replace(":", "-").replace(" ", "_")


def _date(v) -> str | None:
    if v is None:
        return None
    return v.isoformat()[:19] if hasattr(v, "isoformat") else str(v)[:19]


def to_ftm(nodes: dict, edges: list, *, publisher: str, exported_at: str) -> list[dict]:
    """FtM entity dicts for redacted ``nodes`` ({NodeRef: props}) and ``edges``
    ([(a, type, b, props)]); every entity is checked by the library as it is built."""
    ents: dict[str, Any] = {}
    ids = {}
    for ref, props in nodes.items():
        schema = SCHEMA_OF.get(ref.label)
        if not schema:
            continue
        e = model.make_entity(schema)
        e.id = ids[ref] = entity_id(ref.label, ref.key)
        add = e.add
        if schema == "Company":
            add("name", props.get("name") or ref.key)
            add("idNumber", ref.key)
            add("registrationNumber", props.get("uscc"))
            add("country", props.get("country"))
            add("status", props.get("status"))
            add("classification", props.get("roles"))
        elif schema == "Person":
            add("name", props.get("name"))
            if props.get("birth_year"):
                add("birthDate", str(props["birth_year"]))
            add("summary", f"tier {props.get('tier', 3)}; region {props.get('region_code', '-')}")
        elif schema == "Address":
            add("full", props.get("district"))
            add("country", props.get("country"))
        elif schema == "BankAccount":
            add("bankName", props.get("pay_code"))
            add("accountType", props.get("account_kind"))
            add("summary", "account number withheld (redacted)")
        elif schema == "Identification":
            add("number", props.get("masked"))
            add("type", props.get("id_type") or "resident identity card")
        elif schema == "UserAccount":
            add("service", "telephone" if ref.label == "Phone" else "email")
            add("username", props.get("masked"))
        else:  # Event
            add("name", f"{ref.label} {ref.key}")
            add("date", _date(props.get(_TIME[ref.label])))
            facts = {k: v for k, v in props.items() if k != _TIME[ref.label] and v is not None}
            add("summary", json.dumps(facts, ensure_ascii=False, sort_keys=True, default=str))
            add("country", props.get("country"))
        if schema != "Identification":
            add("publisher", publisher)
        add("modifiedAt", exported_at[:19])
        ents[e.id] = e
    for a, typ, b, props in edges:
        if a in ids and b.label in _ATTRIBUTE_LABELS and ents[ids[a]].schema.name == "Event":
            ents[ids[a]].add("country" if b.label == "Country" else "keywords", b.key)
            continue
        if a not in ids or b not in ids:
            continue
        ea, eb = ents[ids[a]], ents[ids[b]]
        if typ == "HAS_ID" and eb.schema.name == "Identification":
            eb.add("holder", ea.id)
            continue
        link = model.make_entity("UnknownLink")
        link.id = "cbec-link-" + hashlib.sha1(f"{ea.id}|{typ}|{eb.id}".encode()).hexdigest()[:20]
        link.add("subject", ea.id)
        link.add("object", eb.id)
        link.add("role", typ)
        if props.get("source"):
            link.add("description", f"source: {props['source']}")
        link.add("publisher", publisher)
        ents[link.id] = link
    # an ID number whose holder is outside the case has no FtM form (holder is required)
    orphans = {i for i, e in ents.items() if e.schema.name == "Identification"
               and not e.get("holder")}
    return [e.to_dict() for i, e in ents.items() if i not in orphans and not (
        e.schema.name == "UnknownLink" and set(e.get("subject") + e.get("object")) & orphans)]


def validate_ftm_lines(lines: list[str], where: str = "entities.ftm.jsonl") -> list[dict]:
    """Parse and validate FtM JSON Lines: known, concrete schema; known properties; every
    value valid for its type; every entity reference resolved in the file. Returns the dicts;
    :class:`FtmInvalid` names the first bad line."""
    out, ids = [], set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FtmInvalid(f"{where}:{n}: not JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise FtmInvalid(f"{where}:{n}: an entity needs a string 'id'")
        schema = model.get(data.get("schema") or "")
        if schema is None or schema.abstract:
            raise FtmInvalid(f"{where}:{n}: {data.get('id')}: unknown or abstract schema "
                             f"{data.get('schema')!r}")
        props = data.get("properties") or {}
        if not isinstance(props, dict):
            raise FtmInvalid(f"{where}:{n}: {data['id']}: 'properties' is not a mapping")
        for name, values in props.items():
            prop = schema.get(name)
            if prop is None:
                raise FtmInvalid(f"{where}:{n}: {data['id']}: {schema.name} has no property "
                                 f"{name!r}")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise FtmInvalid(f"{where}:{n}: {data['id']}.{name}: values must be a list of "
                                 "strings")
            for v in values:
                if prop.type.name != "entity" and not prop.type.validate(v):
                    raise FtmInvalid(f"{where}:{n}: {data['id']}.{name}: {v!r} is not a valid "
                                     f"{prop.type.name}")
        for name in schema.required:
            if name not in props:
                raise FtmInvalid(f"{where}:{n}: {data['id']}: required {name!r} missing")
        try:
            model.get_proxy(data, cleaned=False)
        except Exception as exc:  # noqa: BLE001 - the library's own verdict, reported as such
            raise FtmInvalid(f"{where}:{n}: {data['id']}: {exc}") from None
        if data["id"] in ids:
            raise FtmInvalid(f"{where}:{n}: duplicate id {data['id']}")
        ids.add(data["id"])
        out.append(data)
    for d in out:
        schema = model.get(d["schema"])
        for name, values in (d.get("properties") or {}).items():
            if schema.get(name).type.name == "entity":
                for v in values:
                    if v not in ids:
                        raise FtmInvalid(f"{where}: {d['id']}.{name} refers to {v}, which is "
                                         "not in the file")
    return out
