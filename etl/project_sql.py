"""The SQL of the graph projection: one block per node label and per edge type.

Read this file to learn where every node and edge of ``graph/schema.yaml`` comes from.
Each edge block yields ``from_label, from_key, to_label, to_key`` and the edge type's
properties (``source`` = the staging table the row came from). Each node block yields the
label's key and properties. ``etl.project`` runs them, casts to the schema's types,
de-duplicates, drops edges whose end is missing and keeps the lineage (``_load_id``).

Choices that shape the graph (and why):

- Persons are *mentions* first (``_person_mentions``): the register, order buyers and
  consignees, declaration buyers, payers, legal representatives, phone subscribers and
  account holders, each with a priority (register first) that picks the displayed name, so
  the result does not depend on the order loads arrived in.
- Masked ID numbers make no ``IdNumber`` node: a starred-out number cannot link two people.
  Passports and other non-PRC numbers do (``id_type`` 2/3): they are whole numbers.
- Pivots (Phone, Address, IdNumber, Email, PaymentAccount) and referenced codes
  (Enterprise, Country, HsCode, Product) become nodes from *every* edge that names them,
  enriched from their register where there is one; an enterprise code nobody registered
  becomes a stub with the roles it was seen in.
- ``tl_failed`` lists every non-passing check (``fail`` and ``risk``), like the CheckResult
  nodes.
"""

from __future__ import annotations

__all__ = ["PERSON_MENTIONS", "EDGE_SQL", "NODE_SQL", "CHECKED_ENDPOINTS", "MAY_REPEAT"]

# One row per person mention; anchor_* names the node the mention hangs off and
# anchor_edge the edge type that links them (NULL for registers without a message).
_MENTION = """
SELECT '{src}' AS source, {prio} AS prio, {name} AS name, {name}_norm AS name_norm,
       {idn} AS id_norm, {idv} AS id_valid, {idt} AS id_type, {phone} AS phone,
       {anchor_label} AS anchor_label, {anchor_key} AS anchor_key,
       {anchor_edge} AS anchor_edge
FROM stg_{src} WHERE {name}_norm IS NOT NULL OR {idn} IS NOT NULL
"""


def _mention(src, prio, name, id_field=None, phone=None, anchor=None, edge=None, idt=None):
    return _MENTION.format(
        src=src, prio=prio, name=name,
        idn=f"{id_field}_norm" if id_field else "CAST(NULL AS VARCHAR)",
        idv=f"{id_field}_valid" if id_field else "CAST(NULL AS BOOLEAN)",
        idt=idt or "CAST(NULL AS VARCHAR)",
        phone=phone or "CAST(NULL AS VARCHAR)",
        anchor_label=f"'{anchor[0]}'" if anchor else "CAST(NULL AS VARCHAR)",
        anchor_key=anchor[1] if anchor else "CAST(NULL AS VARCHAR)",
        anchor_edge=f"'{edge}'" if edge else "CAST(NULL AS VARCHAR)",
    )


_ENTERPRISE_HOLDER = ("holder_id_number IN (SELECT enterprise_code FROM stg_enterprises) "
                      "OR holder_id_number IN (SELECT uscc FROM stg_enterprises "
                      "WHERE uscc IS NOT NULL)")

PERSON_MENTIONS = "SELECT *, person_key(id_norm, id_valid, name_norm, phone) AS person_key " \
    "FROM (" + " UNION ALL ".join([
        _mention("persons", 1, "name", "id_number", "telephone_e164", idt="id_type"),
        _mention("orders", 2, "buyer_name", "buyer_id_number", "buyer_telephone_e164",
                 ("Order", "pair_key(ebp_code, order_no)"), "BUYER", "buyer_id_type"),
        _mention("declarations", 3, "buyer_name", "buyer_id_number", "buyer_telephone_e164",
                 ("Declaration", "invt_no"), "BUYER", "buyer_id_type"),
        _mention("payments", 4, "payer_name", "payer_id_number", "telephone_e164",
                 ("Payment", "pair_key(pay_code, pay_transaction_id)"), "PAID_BY",
                 "payer_id_type"),
        _mention("orders", 5, "consignee", None, "consignee_telephone_e164",
                 ("Order", "pair_key(ebp_code, order_no)"), "CONSIGNEE"),
        _mention("waybills", 5, "consignee", None, "consignee_telephone_e164",
                 ("Waybill", "pair_key(logistics_code, logistics_no)"), "CONSIGNEE"),
        _mention("enterprises", 6, "legal_rep_name", "legal_rep_id_number", None,
                 ("Enterprise", "enterprise_code"), "REPRESENTED_BY"),
        _mention("phones", 7, "registered_name", "registered_id_number", "telephone_e164"),
        _mention("payment_accounts", 8, "holder_name", "holder_id_number", None,
                 ("PaymentAccount", "pair_key(pay_code, account_no)"), "HOLDS")
        + f" AND NOT coalesce({_ENTERPRISE_HOLDER}, false)",
    ]) + ")"


def _edge(frm, fkey, to, tkey, src, where="TRUE", props="", table=None):
    """One edge block from one staging table; NULL keys never make an edge."""
    extra = f", {props}" if props else ""
    return (f"SELECT '{frm}' AS from_label, {fkey} AS from_key, '{to}' AS to_label, "
            f"{tkey} AS to_key, '{src}' AS source{extra} "
            f"FROM {table or 'stg_' + src} WHERE ({where})")


def _union(*blocks: str) -> str:
    return "\nUNION ALL\n".join(blocks)


_ORDER = "pair_key(ebp_code, order_no)"
_WAYBILL = "pair_key(logistics_code, logistics_no)"
_PAYMENT = "pair_key(pay_code, pay_transaction_id)"


def _mention_edges(edge: str, person_first: bool = False) -> str:
    """Edges between a person mention and the node it was mentioned on."""
    if person_first:
        return ("SELECT 'Person' AS from_label, person_key AS from_key, anchor_label AS "
                "to_label, anchor_key AS to_key, source FROM _person_mentions "
                f"WHERE anchor_edge = '{edge}' AND anchor_key IS NOT NULL")
    return ("SELECT anchor_label AS from_label, anchor_key AS from_key, 'Person' AS to_label, "
            "person_key AS to_key, source FROM _person_mentions "
            f"WHERE anchor_edge = '{edge}' AND anchor_key IS NOT NULL")


def _decl_to_enterprise(col: str, where: str = "TRUE") -> str:
    return _edge("Declaration", "invt_no", "Enterprise", col, "declarations", where)


EDGE_SQL: dict[str, str] = {
    # -- the declaration and what it points at ------------------------------------------
    "FOR_ORDER": _edge("Declaration", "invt_no", "Order", _ORDER, "declarations"),
    "SHIPPED_AS": _edge("Declaration", "invt_no", "Waybill", _WAYBILL, "declarations"),
    "SOLD_BY": _union(_decl_to_enterprise("ebc_code"),
                      _edge("Order", _ORDER, "Enterprise", "ebc_code", "orders")),
    "ON_PLATFORM": _union(_decl_to_enterprise("ebp_code"),
                          _edge("Order", _ORDER, "Enterprise", "ebp_code", "orders")),
    "DECLARED_BY": _decl_to_enterprise("agent_code"),
    "CARRIED_BY": _union(_decl_to_enterprise("logistics_code"),
                         _edge("Waybill", _WAYBILL, "Enterprise", "logistics_code", "waybills")),
    "OWNED_BY": _decl_to_enterprise("owner_code", "upper(owner_code) NOT IN ('NO', '')"),
    "DESTINED_TO": _edge("Declaration", "invt_no", "Country", "country", "declarations",
                         "ie_flag = 'E'"),
    "DISPATCHED_FROM": _edge("Declaration", "invt_no", "Country", "country", "declarations",
                             "ie_flag = 'I'"),
    "CLASSIFIED_AS": _edge("Declaration", "invt_no", "HsCode", "gcode", "declaration_lines",
                           props="gnum, qty, price"),
    "CONTAINS": _edge("Declaration", "invt_no", "Product", "bar_code", "declaration_lines",
                      props="gnum, gcode"),
    "HAS_CHECK": _edge("Declaration", "invt_no", "CheckResult", "pair_key(invt_no, check_id)",
                       "check_results", "status <> 'pass'"),
    "INSPECTED_IN": _edge("Declaration", "invt_no", "Inspection", "inspection_id",
                          "inspections"),
    # -- people on messages --------------------------------------------------------------
    "BUYER": _mention_edges("BUYER"),
    "CONSIGNEE": _mention_edges("CONSIGNEE"),
    "PAID_BY": _mention_edges("PAID_BY"),
    "REPRESENTED_BY": _mention_edges("REPRESENTED_BY"),
    "HOLDS": _union(
        _mention_edges("HOLDS", person_first=True),
        # An account whose holder ID is an enterprise code or USCC belongs to that firm.
        "SELECT 'Enterprise' AS from_label, e.enterprise_code AS from_key, "
        "'PaymentAccount' AS to_label, pair_key(a.pay_code, a.account_no) AS to_key, "
        "'payment_accounts' AS source FROM stg_payment_accounts a "
        "JOIN stg_enterprises e ON a.holder_id_number IN (e.enterprise_code, e.uscc)"),
    # -- shared identifiers (pivots) -----------------------------------------------------
    "SHIP_TO": _union(
        _edge("Order", _ORDER, "Address", "consignee_address_key", "orders"),
        _edge("Waybill", _WAYBILL, "Address", "consignee_address_key", "waybills")),
    "CONTACT": _union(
        _edge("Order", _ORDER, "Phone", "buyer_telephone_e164", "orders", props="'buyer' AS role"),
        _edge("Order", _ORDER, "Phone", "consignee_telephone_e164", "orders",
              props="'consignee' AS role"),
        _edge("Waybill", _WAYBILL, "Phone", "consignee_telephone_e164", "waybills",
              props="'consignee' AS role"),
        _edge("Payment", _PAYMENT, "Phone", "telephone_e164", "payments",
              props="'payer' AS role")),
    "HAS_ID": "SELECT 'Person' AS from_label, person_key AS from_key, 'IdNumber' AS to_label, "
              "id_norm AS to_key, source FROM _person_mentions "
              "WHERE id_norm IS NOT NULL AND NOT id_is_masked(id_norm, id_valid)",
    "HAS_PHONE": _union(
        "SELECT 'Person' AS from_label, person_key AS from_key, 'Phone' AS to_label, "
        "phone AS to_key, source FROM _person_mentions WHERE phone IS NOT NULL",
        _edge("Enterprise", "enterprise_code", "Phone", "telephone_e164", "enterprises")),
    "HAS_EMAIL": _edge("Person", "person_key(id_number_norm, id_number_valid, name_norm, "
                       "telephone_e164)", "Email", "lower(trim(email))", "persons",
                       "name_norm IS NOT NULL AND contains(email, '@')"),
    "LOCATED_AT": _union(
        _edge("Person", "person_key(id_number_norm, id_number_valid, name_norm, telephone_e164)",
              "Address", "address_key", "persons", "name_norm IS NOT NULL"),
        _edge("Enterprise", "enterprise_code", "Address", "address_key", "enterprises")),
    # -- money ---------------------------------------------------------------------------
    "PAYS": _edge("Payment", _PAYMENT, "Order", _ORDER, "payments"),
    "FROM_ACCOUNT": _edge("Payment", _PAYMENT, "PaymentAccount",
                          "pair_key(pay_code, payer_account_no)", "payments"),
    "PAYEE": _edge("Payment", _PAYMENT, "PaymentAccount", "pair_key(pay_code, payee_account_no)",
                   "raw_payments"),
    "PROCESSED_BY": _edge("Payment", _PAYMENT, "Enterprise", "pay_code", "payments"),
}

# Edge types whose blocks can yield the same edge twice (a person's phone, ID, e-mail, address
# or account named by several rows): de-duplicated. Every other block yields each edge once,
# since it takes one edge per row of a table keyed on the edge's from-node (or line), and
# de-duplicating 15M rows at 1M declarations costs a large share of the projection.
MAY_REPEAT = frozenset({"HAS_ID", "HAS_PHONE", "HAS_EMAIL", "LOCATED_AT", "HOLDS"})

# Labels whose nodes exist only where a message or register row does: edges naming a
# missing one (an order never received, say) are dropped. Every other label is created
# from the edges that reference it, so its edges always have both ends.
CHECKED_ENDPOINTS = ("Order", "Payment", "Waybill", "Declaration", "CheckResult", "Inspection")


def _refs(label: str) -> str:
    """Keys of ``label`` named by any projected edge (``_edges_all`` is built first)."""
    return (f"SELECT to_key AS k, to_label AS l, edge_type FROM _edges_all "
            f"WHERE to_label = '{label}' UNION ALL SELECT from_key, from_label, edge_type "
            f"FROM _edges_all WHERE from_label = '{label}'")


_ROLE_OF_EDGE = ("CASE edge_type WHEN 'SOLD_BY' THEN 'ebc' WHEN 'ON_PLATFORM' THEN 'ebp' "
                 "WHEN 'CARRIED_BY' THEN 'logistics' WHEN 'DECLARED_BY' THEN 'agent' "
                 "WHEN 'OWNED_BY' THEN 'producer' WHEN 'PROCESSED_BY' THEN 'payment' END")

NODE_SQL: dict[str, str] = {
    "Enterprise": f"""
        WITH refs AS ({_refs('Enterprise')}),
        stubs AS (SELECT k AS code, string_agg(DISTINCT {_ROLE_OF_EDGE}, '|'
                         ORDER BY {_ROLE_OF_EDGE}) AS roles
                  FROM refs WHERE k NOT IN (SELECT enterprise_code FROM stg_enterprises)
                  GROUP BY k)
        SELECT enterprise_code AS code, enterprise_name AS name,
               enterprise_name_norm AS name_norm, roles, uscc, country, customs_district,
               registered_date, status, credit_class FROM stg_enterprises
        UNION ALL
        SELECT code, NULL, NULL, roles, NULL, NULL, NULL, NULL, NULL, NULL
        FROM stubs""",
    # The displayed name is the spelling mentioned most (ties: alphabetical), shown as the
    # highest-priority source wrote it.
    "Person": """
        WITH names AS (
            SELECT person_key, name_norm, count(*) AS n, min({'p': prio, 'n': name}).n AS name
            FROM _person_mentions GROUP BY person_key, name_norm),
        shown AS (
            SELECT person_key, arg_min({'name': name, 'norm': name_norm},
                                       {'n': -n, 'norm': name_norm}) AS v
            FROM names GROUP BY person_key),
        ids AS (
            SELECT person_key, max(id_valid) AS id_valid,
                   min(id_norm) FILTER (id_valid) AS valid_id
            FROM _person_mentions GROUP BY person_key)
        SELECT ids.person_key, shown.v.name AS name, shown.v.norm AS name_norm,
               TRY_CAST(substr(valid_id, 7, 4) AS BIGINT) AS birth_year,
               left(valid_id, 6) AS region_code, id_valid
        FROM ids JOIN shown USING (person_key)""",
    "IdNumber": """
        SELECT id_norm AS id_key, min(id_type) AS id_type, id_display(id_norm) AS masked,
               id_is_hashed(id_norm) AS is_hashed, max(id_valid) AS checksum_ok
        FROM _person_mentions
        WHERE id_norm IS NOT NULL AND NOT id_is_masked(id_norm, id_valid) GROUP BY id_norm""",
    "Phone": f"""
        SELECT k AS phone, phone_country(k) AS country, phone_is_mobile(k) AS is_mobile
        FROM ({_refs('Phone')} UNION ALL SELECT telephone_e164, 'Phone', NULL
              FROM stg_phones WHERE telephone_e164 IS NOT NULL) GROUP BY k""",
    "Email": f"SELECT k AS email FROM ({_refs('Email')}) GROUP BY k",
    "Address": f"""
        WITH variants AS (
            SELECT address_key AS k, 1 AS prio, address, address_norm
            FROM stg_addresses WHERE address_key IS NOT NULL
            UNION ALL SELECT address_key, 2, address, address_norm FROM stg_persons
            UNION ALL SELECT address_key, 3, address, address_norm FROM stg_enterprises
            UNION ALL SELECT consignee_address_key, 4, consignee_address, consignee_address_norm
                      FROM stg_orders
            UNION ALL SELECT consignee_address_key, 5, consignee_address, consignee_address_norm
                      FROM stg_waybills),
        reg AS (SELECT address_key AS k, min({{'r': address_ref, 'c': country, 'p': province,
                       'ci': city, 'd': district, 'kind': address_kind}}) AS v
                FROM stg_addresses GROUP BY address_key),
        keys AS (SELECT DISTINCT k FROM (
                    SELECT k FROM variants WHERE prio = 1
                    UNION ALL SELECT k FROM ({_refs('Address')}))),
        shown AS (SELECT k, min({{'p': prio, 'a': address}}).a AS address,
                         min({{'p': prio, 'a': address_norm}}).a AS address_norm
                  FROM variants WHERE k IS NOT NULL GROUP BY k)
        SELECT keys.k AS address_key, shown.address, shown.address_norm, reg.v.c AS country,
               reg.v.p AS province, reg.v.ci AS city, reg.v.d AS district,
               reg.v.kind AS address_kind
        FROM keys LEFT JOIN shown USING (k) LEFT JOIN reg USING (k)""",
    "PaymentAccount": f"""
        WITH keys AS (SELECT DISTINCT k FROM (
                 SELECT pair_key(pay_code, account_no) AS k FROM stg_payment_accounts
                 UNION ALL SELECT k FROM ({_refs('PaymentAccount')}))),
        reg AS (SELECT pair_key(pay_code, account_no) AS k, pay_code, account_no, holder_name,
                       account_kind FROM stg_payment_accounts)
        SELECT keys.k AS account_key, split_part(keys.k, '|', 1) AS pay_code,
               substr(keys.k, length(split_part(keys.k, '|', 1)) + 2) AS account_no,
               reg.holder_name, reg.account_kind
        FROM keys LEFT JOIN reg USING (k) WHERE keys.k IS NOT NULL""",
    "Order": """
        SELECT pair_key(ebp_code, order_no) AS order_key, order_no, ebp_code, ie_flag,
               order_time, goods_value, freight, discount, tax_total, actual_paid, currency,
               note FROM stg_orders""",
    "Payment": """
        SELECT pair_key(p.pay_code, p.pay_transaction_id) AS payment_key, p.pay_transaction_id,
               p.amount_paid, p.currency, p.pay_time, r.pay_code IS NOT NULL AS has_raw_record
        FROM stg_payments p LEFT JOIN stg_raw_payments r
             ON r.pay_code = p.pay_code AND r.pay_transaction_id = p.pay_transaction_id""",
    "Waybill": """
        SELECT pair_key(logistics_code, logistics_no) AS waybill_key, logistics_no, weight,
               goods_info, ship_time FROM stg_waybills""",
    "Declaration": """
        WITH lines AS (
            -- DOUBLE sums in one order, or the last digit follows DuckDB's threads
            SELECT invt_no, count(*) AS line_count, sum(qty ORDER BY gnum) AS total_qty,
                   sum(total_price ORDER BY gnum) AS total_value,
                   string_agg(coalesce(CAST(brand_type AS VARCHAR), ''), '|' ORDER BY gnum)
                       AS brand_types,
                   string_agg(DISTINCT brand, '|' ORDER BY brand) AS brands,
                   string_agg(gname, '|' ORDER BY gnum) AS gnames
            FROM stg_declaration_lines GROUP BY invt_no),
        checks AS (
            SELECT invt_no, string_agg(check_id, '|' ORDER BY check_id) AS tl_failed,
                   count(*) AS tl_fail_count
            FROM stg_check_results WHERE status <> 'pass' GROUP BY invt_no),
        insp AS (
            SELECT invt_no, arg_max(outcome, {'t': inspection_time, 'i': inspection_id})
                       AS outcome
            FROM stg_inspections GROUP BY invt_no)
        SELECT d.invt_no, d.ie_flag, d.channel, d.trade_mode, d.country, d.pod, d.decl_time,
               d.gross_weight, d.net_weight, lines.total_value, d.currency,
               coalesce(lines.line_count, 0) AS line_count, lines.total_qty,
               lines.brand_types, lines.brands, lines.gnames, checks.tl_failed,
               coalesce(checks.tl_fail_count, 0) AS tl_fail_count,
               insp.invt_no IS NOT NULL AS inspected, insp.outcome
        FROM stg_declarations d LEFT JOIN lines USING (invt_no)
             LEFT JOIN checks USING (invt_no) LEFT JOIN insp USING (invt_no)""",
    "CheckResult": """
        SELECT pair_key(invt_no, check_id) AS check_key, check_id, status, severity, observed,
               expected, delta, explanation
        FROM stg_check_results WHERE status <> 'pass'""",
    "Inspection": """
        WITH s AS (SELECT inspection_id, sum(qty ORDER BY qty) AS seized_qty,
                          string_agg(DISTINCT reason, '|' ORDER BY reason) AS seizure_reason
                   FROM stg_seizures GROUP BY inspection_id)
        SELECT i.inspection_id, i.inspection_time, i.method, i.outcome, i.finding,
               s.seized_qty, s.seizure_reason
        FROM stg_inspections i LEFT JOIN s USING (inspection_id)""",
    "HsCode": f"""
        SELECT k AS gcode, left(k, 2) AS chapter
        FROM ({_refs('HsCode')}) GROUP BY k""",
    "Product": f"""
        SELECT k AS bar_code FROM ({_refs('Product')}) GROUP BY k""",
    "Country": f"""
        SELECT r.k AS iso2, c.name
        FROM ({_refs('Country')}) r LEFT JOIN _country_names c ON c.iso2 = r.k
        GROUP BY r.k, c.name""",
}
