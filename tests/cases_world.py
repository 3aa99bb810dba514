"""A small investigation workspace for the cases tests: the conftest tiny ring in a store,
one user per role, a signing key, and a case over the ring with an IPR record and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph.store import NodeRef
from investigations import cases, evidence, exports, keys, users
from investigations.context import CaseWorkspace
from investigations.roles import User
from tests.conftest import ACCOUNT, P1_ID, PHONE, write_tiny_ring

PASSWORD = "correct horse battery"
# personal data of the tiny ring that a partner liaison must never read in clear
SECRETS = [P1_ID, "13800138000", "13900139000", "6222021203004567891", "6222000000000000002",
           "科技园1号", "建国路9号", "Li Na", "Wang Fang", "nm:lina", "nm:wangfang",
           "id:" + P1_ID]


@dataclass
class World:
    ws: CaseWorkspace
    admin: User
    investigator: User
    ipr: User
    supervisor: User
    liaison: User
    case_id: str


def make_world(store, root: Path) -> World:
    ws = CaseWorkspace(store, root, anchor_every=5)
    write_tiny_ring(store)
    admin = users.bootstrap_admin(ws, "ada", PASSWORD, administration="CN-Customs")
    mk = lambda name, role: users.create_user(ws, admin, name, PASSWORD, [role],  # noqa: E731
                                              administration="CN-Customs")
    inv, ipr = mk("ivan", "investigator"), mk("iris", "ipr_officer")
    sup, lia = mk("sue", "supervisor"), mk("lia", "partner_liaison")
    keys.generate_key(ws, admin, "default")
    members = [(NodeRef("Enterprise", "S1"), "suspect"),
               (NodeRef("Enterprise", "S2"), "suspect"), (NodeRef("Phone", PHONE), "linked"),
               (NodeRef("Address", "addr-nanshan-1"), "linked"),
               (NodeRef("Person", "id:" + P1_ID), "suspect"),
               (NodeRef("Person", "nm:lina"), "identity_theft_victim"),
               (NodeRef("Person", "nm:wangfang"), "witness"),
               (NodeRef("PaymentAccount", ACCOUNT), "linked"),
               (NodeRef("IdNumber", P1_ID), "linked"),
               (NodeRef("Order", "PLAT|O1"), "linked"), (NodeRef("Order", "PLAT|O2"), "linked"),
               (NodeRef("Declaration", "D1"), "linked"), (NodeRef("Declaration", "D2"), "linked"),
               (NodeRef("Address", "addr-chaoyang-9"), "linked")]
    case_id = cases.create_case(ws, inv, "LABUBU look-alikes via Star Light", members=members,
                                offence="IPR infringement", summary="Two sellers share a phone.")
    cases.add_note(ws, inv, case_id, "Li Na says she never ordered; her ID was used.")
    cases.set_ipr_record(ws, ipr, case_id, rights_holder="POP MART", recorded_right="T2024-0001",
                         brand="LABUBU", goods="plush toy figures", quantity_declared=120,
                         quantity_found=480, description_declared="plush toy, no brand",
                         description_found="LABUBU figures", detention_date="2026-12-04",
                         holder_application_date="2026-12-08", holder_confirmation="confirmed",
                         disposition="pending")
    evidence.add_evidence(ws, ipr, case_id, b"\x89PNG fake x-ray bytes", filename="xray-D1.png",
                          kind="xray", source="H986 scanner",
                          labels=[{"label": "toy figure", "confidence": 0.93}], confidence=0.93,
                          shareable=True)
    evidence.add_evidence(ws, inv, case_id, b"statement of Li Na", filename="statement.txt",
                          kind="document", description="Li Na's statement")
    return World(ws, admin, inv, ipr, sup, lia, case_id)


def approved_export(w: World, partner: str = "EU-NL-Customs") -> str:
    eid = exports.request_export(
        w.ws, w.investigator, w.case_id, partner, agreement="EU-China CMAA 2004",
        article="Art. 8 (information on request)", purpose="Seizure of counterfeit LABUBU toys",
        offence_type="IPR infringement", summary_of_facts="Two sellers share a phone and address.",
        retention_date="2030-12-31", recipient_contact="J. de Vries",
        sender_administration="CN-Customs", sender_contact="Ivan")
    exports.approve_export(w.ws, w.supervisor, eid)
    return eid
