"""Import checks on the messages and the people in them: TL-00, 01, 05, 06, 07, 08, 19."""

from __future__ import annotations

from etl.checks.base import Check, goods_match, mask_id, money, norm_text, num, quote

__all__ = ["CHECKS", "link_host", "LINK_MIN_LINKS", "LINK_MIN_SHARE", "LINK_MIN_TOTAL",
           "TITLE_PAD_SHARE", "TITLE_PAD_MIN_ITEMS"]

#: TL-19 learns each platform's own item-page host(s) from the hosts of its raw payments'
#: item links: a host is the platform's when it carries at least LINK_MIN_SHARE of the
#: platform's parsed links, the platform has at least LINK_MIN_LINKS of them, and the hosts
#: kept carry LINK_MIN_TOTAL together (a clear majority). A third per host lets a platform
#: have two sites (desktop and mobile, 65/35) while an outside shop must bring a third of
#: all the platform's raw payments to pass for its own; an order-pushing scheme is a few
#: percent of a platform's orders. Below LINK_MIN_LINKS or without a clear majority the
#: platform has no learned host and TL-19 says nothing about links.
LINK_MIN_LINKS = 30
LINK_MIN_SHARE = 1 / 3
LINK_MIN_TOTAL = 0.5

#: Raw payment titles are shop titles padded with words that say nothing about the goods
#: ('official store', 'gift box', 'free shipping'). TL-19 learns them: a word of the raw
#: titles that name an ordered item (contain its name) is padding when it appears with at
#: least TITLE_PAD_SHARE of the distinct items so named, and there are TITLE_PAD_MIN_ITEMS
#: of them; padding does not count as a word shared with the ordered goods. On the 30k
#: synthetic world (seed 7) the padding words appear with all 18 items and every product
#: word with at most 2 (bench/eval_tl19_goods.py).
TITLE_PAD_SHARE = 1 / 3
TITLE_PAD_MIN_ITEMS = 6


def link_host(expr: str) -> str:
    """SQL text: the host of URL ``expr``, lower case, without scheme, user, port, path and a
    leading ``www.``; NULL when it does not parse as a dotted host name.

    Examples: ``HTTPS://WWW.Item.Tmall.com:8080/x?id=1`` and ``item.tmall.com/x`` both give
    ``item.tmall.com``; ``/item/1`` and ``itemID=1`` give NULL.
    """
    raw = (rf"regexp_extract(lower(trim({expr})), "
           r"'^(?:(?:[a-z][a-z0-9+.\-]*:)?//)?(?:[^/?#@\s]*@)?([^/?#:\s]+)', 1)")
    h = rf"regexp_replace(regexp_replace({raw}, '^www\.', ''), '\.$', '')"
    return (rf"CASE WHEN regexp_full_match({h}, '[\p{{L}}\p{{N}}-]+(\.[\p{{L}}\p{{N}}-]+)+') "
            rf"THEN {h} END")

# CBEC lists need all three messages; on the express and postal channels the order (and
# its payment) or the waybill is needed only where the list names one (a postal parcel
# without an order number has no order to wait for).
_TL00 = """
WITH n AS (
    SELECT *, channel = 'cbec' OR order_no IS NOT NULL AS need_o,
           channel = 'cbec' OR logistics_no IS NOT NULL AS need_w FROM tl_decl),
x AS (SELECT *, o_found OR NOT need_o AS o_ok, p_found OR NOT need_o AS p_ok,
             w_found OR NOT need_w AS w_ok FROM n)
SELECT invt_no,
    CASE WHEN o_ok AND p_ok AND w_ok THEN 'pass' ELSE 'fail' END AS status,
    concat_ws(', ', 'order ' || CASE WHEN o_found THEN 'received' WHEN o_ok THEN 'not named'
                                     ELSE 'missing' END,
              'payment ' || CASE WHEN p_found THEN 'received' WHEN p_ok THEN 'not needed'
                                 ELSE 'missing' END,
              'waybill ' || CASE WHEN w_found THEN 'received' WHEN w_ok THEN 'not named'
                                 ELSE 'missing' END) AS observed,
    CASE WHEN need_o AND need_w THEN 'order, payment and waybill received'
         WHEN need_w THEN 'waybill received' WHEN need_o THEN 'order and payment received'
         ELSE 'nothing named' END AS expected,
    CAST((NOT o_ok)::INT + (NOT p_ok)::INT + (NOT w_ok)::INT AS DOUBLE) AS delta,
    CASE WHEN o_ok AND p_ok AND w_ok
         THEN CASE WHEN need_o AND need_w
                   THEN 'The order, payment slip and waybill of order ' || order_no
                        || ' were all received.'
                   ELSE 'Every message the ' || channel || ' list names was received ('
                        || CASE WHEN need_w THEN 'waybill ' || logistics_no
                                WHEN need_o THEN 'order ' || order_no ELSE 'none named' END
                        || ').' END
         ELSE 'The declaration has no ' || concat_ws(', no ',
              CASE WHEN NOT o_ok THEN 'order ' || order_no || ' from platform '
                   || coalesce(ebp_code, '?') END,
              CASE WHEN NOT p_ok THEN 'payment slip' || coalesce(' for transaction '
                   || o_pay_transaction_id, ' for the order') END,
              CASE WHEN NOT w_ok THEN 'waybill ' || logistics_no || ' from carrier '
                   || coalesce(logistics_code, '?') END)
              || ': customs cannot match it against the three lists.' END AS explanation
FROM x
"""

_TL01_ISSUES = """concat_ws('; ',
    CASE WHEN o_found AND ebc_code IS DISTINCT FROM o_ebc_code THEN 'seller ' || ebc_code
         || ' on the declaration but ' || coalesce(o_ebc_code, 'none') || ' on the order' END,
    CASE WHEN p_found AND p_order_no IS DISTINCT FROM order_no
         THEN 'the payment slip is for order ' || coalesce(p_order_no, '?') END,
    CASE WHEN p_found AND p_ebp_code IS DISTINCT FROM ebp_code
         THEN 'the payment slip names platform ' || coalesce(p_ebp_code, '?') END,
    CASE WHEN p_found AND o_found AND o_pay_transaction_id IS DISTINCT FROM p_pay_transaction_id
         THEN 'the order names payment transaction ' || coalesce(o_pay_transaction_id, 'none')
              || ' but the slip for this order is ' || p_pay_transaction_id END,
    CASE WHEN p_found AND o_pay_code IS NOT NULL AND o_pay_code <> p_pay_code
         THEN 'payment firm ' || o_pay_code || ' on the order but ' || p_pay_code
              || ' on the slip' END,
    CASE WHEN w_found AND w_order_no IS DISTINCT FROM order_no
         THEN 'the waybill carries order ' || coalesce(w_order_no, '?') END,
    CASE WHEN w_found AND w_ebp_code IS NOT NULL AND w_ebp_code <> ebp_code
         THEN 'the waybill names platform ' || w_ebp_code END)"""

_TL01 = f"""
WITH x AS (SELECT *, {_TL01_ISSUES} AS issues FROM tl_decl WHERE o_found OR p_found OR w_found)
SELECT invt_no, CASE WHEN issues = '' THEN 'pass' ELSE 'fail' END AS status,
    CASE WHEN issues = '' THEN 'keys agree' ELSE issues END AS observed,
    'platform, seller, order, payment and waybill keys agree' AS expected,
    CAST(len(string_split(issues, '; ')) * (issues <> '')::INT AS DOUBLE) AS delta,
    CASE WHEN issues = '' THEN 'Platform, seller, order, payment and waybill keys agree '
              || 'across the messages received.'
         ELSE 'Declaration for order ' || order_no || ' of platform ' || ebp_code
              || ': ' || issues || '.' END AS explanation
FROM x
"""

_TL05 = f"""
SELECT invt_no,
    CASE WHEN o_currency IS DISTINCT FROM p_currency
           OR abs(p_amount_paid - o_actual_paid) >= 0.005 THEN 'fail' ELSE 'pass' END AS status,
    {money('p_amount_paid', 'p_currency')} AS observed,
    {money('o_actual_paid', 'o_currency')} AS expected,
    round(p_amount_paid - o_actual_paid, 2) AS delta,
    CASE WHEN o_currency IS DISTINCT FROM p_currency
         THEN 'Order paid ' || {money('o_actual_paid', 'o_currency')}
              || ' but the payment slip is in another currency: '
              || {money('p_amount_paid', 'p_currency')} || '.'
         WHEN abs(p_amount_paid - o_actual_paid) >= 0.005
         THEN 'Order paid ' || {money('o_actual_paid', 'o_currency')}
              || ' but the payment slip says ' || {money('p_amount_paid', 'p_currency')}
              || ' (difference ' || format('{{:,.2f}}', abs(p_amount_paid - o_actual_paid))
              || ').'
         ELSE 'Order paid ' || {money('o_actual_paid', 'o_currency')}
              || ' and the payment slip says the same.' END AS explanation
FROM tl_decl WHERE o_found AND p_found
"""

# IDs are comparable when both are present, neither is masked, and both are plain or both
# hashed (hashes of the same ID agree; a hash never equals a plain number).
_ID_COMPARABLE = """(o_buyer_id_number_norm IS NOT NULL AND p_payer_id_number_norm IS NOT NULL
    AND NOT contains(o_buyer_id_number_norm, '*') AND NOT contains(p_payer_id_number_norm, '*')
    AND starts_with(lower(o_buyer_id_number_norm), 'sha256:')
        = starts_with(lower(p_payer_id_number_norm), 'sha256:'))"""

_TL06 = f"""
WITH x AS (SELECT *, {_ID_COMPARABLE} AS by_id FROM tl_decl WHERE o_found AND p_found)
SELECT invt_no,
    CASE WHEN by_id AND o_buyer_id_number_norm = p_payer_id_number_norm THEN 'pass'
         WHEN by_id THEN 'fail'
         WHEN o_buyer_name_norm = p_payer_name_norm THEN 'pass' ELSE 'risk' END AS status,
    CASE WHEN by_id THEN 'payer ID ' || {mask_id('p_payer_id_number_norm')}
         ELSE 'payer ' || {quote('p_payer_name_norm')} END AS observed,
    CASE WHEN by_id THEN 'orderer ID ' || {mask_id('o_buyer_id_number_norm')}
         ELSE 'orderer ' || {quote('o_buyer_name_norm')} END AS expected,
    NULL::DOUBLE AS delta,
    CASE WHEN by_id AND o_buyer_id_number_norm = p_payer_id_number_norm
         THEN 'Payer and orderer have the same ID number.'
         WHEN by_id
         THEN 'The payer''s ID ' || {mask_id('p_payer_id_number_norm')}
              || ' differs from the orderer''s ID ' || {mask_id('o_buyer_id_number_norm')}
              || ': someone other than the buyer paid.'
         WHEN o_buyer_name_norm = p_payer_name_norm
         THEN 'Payer and orderer have the same name (ID numbers not comparable: masked, '
              || 'hashed or missing).'
         ELSE 'The payer ' || {quote('p_payer_name_norm')} || ' is not the orderer '
              || {quote('o_buyer_name_norm')}
              || ' (ID numbers not comparable: masked, hashed or missing).' END AS explanation
FROM x WHERE by_id OR (o_buyer_name_norm IS NOT NULL AND p_payer_name_norm IS NOT NULL)
"""

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECKSUM = " + ".join(f"CAST(substr(id, {i + 1}, 1) AS INTEGER) * {w}"
                       for i, w in enumerate(_WEIGHTS))
# First two digits of a PRC resident ID: province-level region codes.
_PROVINCES = ("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
              "61 62 63 64 65 71 81 82").split()
_PROV_SQL = ", ".join(f"'{p}'" for p in _PROVINCES)

_TL07 = f"""
WITH a AS (
    SELECT invt_no, buyer_id_number_valid AS staged_valid, buyer_id_number_norm AS id,
           regexp_full_match(buyer_id_number_norm, '[0-9]{{17}}[0-9X]') AS shape_ok, decl_time
    FROM tl_decl
    WHERE buyer_id_number_norm IS NOT NULL AND coalesce(buyer_id_type, '1') = '1'
      AND NOT contains(buyer_id_number_norm, '*')
      AND NOT starts_with(lower(buyer_id_number_norm), 'sha256:')),
b AS (
    SELECT *, CASE WHEN shape_ok THEN substr('10X98765432', ({_CHECKSUM}) % 11 + 1, 1) END
              AS check_char,
           CASE WHEN shape_ok THEN try_strptime(substr(id, 7, 8), '%Y%m%d') END AS birth
    FROM a),
c AS (
    SELECT *, concat_ws('; ',
        CASE WHEN NOT shape_ok THEN 'it is not 17 digits plus a check character' END,
        CASE WHEN shape_ok AND left(id, 2) NOT IN ({_PROV_SQL})
             THEN 'region code ' || left(id, 6) || ' is no Chinese province' END,
        CASE WHEN shape_ok AND (birth IS NULL OR birth < DATE '1900-01-01' OR birth > decl_time)
             THEN 'birth date ' || substr(id, 7, 8) || ' is impossible' END,
        CASE WHEN shape_ok AND right(id, 1) <> check_char
             THEN 'check character is ' || right(id, 1) || ' but should be ' || check_char END,
        CASE WHEN staged_valid = false THEN 'staging rejected it' END) AS issues
    FROM b)
SELECT invt_no,
    CASE WHEN issues = '' THEN 'pass' ELSE 'fail' END AS status,
    {mask_id('id')} AS observed,
    'valid resident ID: region code, birth date, check character' AS expected,
    NULL::DOUBLE AS delta,
    CASE WHEN issues = '' THEN 'Buyer ID ' || {mask_id('id')}
              || ' is a valid resident ID (region, birth date and check character agree).'
         WHEN issues = 'staging rejected it' THEN 'Buyer ID ' || {mask_id('id')}
              || ' failed the staging validity check (its region code is unknown).'
         ELSE 'Buyer ID ' || {mask_id('id')} || ' is not a valid resident ID: '
              || replace(issues, '; staging rejected it', '') || '.' END AS explanation
FROM c
"""


def _phone(col: str) -> str:
    """Last 11 digits of a phone (E.164 if staged, else the raw text): +86 and spacing vanish."""
    return f"right(regexp_replace(coalesce({col}_e164, {col}), '[^0-9]', '', 'g'), 11)"


def _addr(side: str) -> str:
    return f"coalesce({side}_consignee_address_key, {norm_text(side + '_consignee_address')})"


def _name(side: str) -> str:
    return f"coalesce({side}_consignee_norm, {norm_text(side + '_consignee')})"


_TL08_ISSUES = f"""concat_ws('; ',
    CASE WHEN {_name('w')} <> '' AND {_name('o')} <> {_name('w')}
         THEN 'name ' || {quote(_name('o'))} || ' vs ' || {quote(_name('w'))} END,
    CASE WHEN {_phone('w_consignee_telephone')} <> ''
          AND {_phone('o_consignee_telephone')} <> {_phone('w_consignee_telephone')}
         THEN 'phone ' || coalesce(o_consignee_telephone_e164, o_consignee_telephone, '?')
              || ' vs ' || coalesce(w_consignee_telephone_e164, w_consignee_telephone) END,
    CASE WHEN w_consignee_address IS NOT NULL AND {_addr('o')} <> {_addr('w')}
         THEN 'address ' || {quote('o_consignee_address')} || ' vs '
              || {quote('w_consignee_address')} END)"""

_TL08 = f"""
WITH x AS (SELECT *, {_TL08_ISSUES} AS issues FROM tl_decl
           WHERE o_found AND w_found AND (w_consignee IS NOT NULL
              OR w_consignee_telephone IS NOT NULL OR w_consignee_address IS NOT NULL))
SELECT invt_no, CASE WHEN issues = '' THEN 'pass' ELSE 'fail' END AS status,
    CASE WHEN issues = '' THEN 'same consignee' ELSE issues END AS observed,
    'same consignee name, phone and address on order and waybill' AS expected,
    CAST(len(string_split(issues, '; ')) * (issues <> '')::INT AS DOUBLE) AS delta,
    CASE WHEN issues = '' THEN 'Order and waybill name the same consignee, phone and address.'
         ELSE 'The waybill delivers to someone else than the order says (order vs waybill): '
              || issues || '.' END AS explanation
FROM x
"""

_GOODS = "concat_ws(' ', l.item_name, l.gname)"
# The platform's own item-page host(s), learned from every staged raw payment (its platform
# from the payment slip it belongs to), see LINK_MIN_*.
_PLATFORM_HOSTS = f"""
lk AS (
    SELECT p.ebp_code, {link_host('r.item_link')} AS host
    FROM stg_raw_payments r JOIN stg_payments p
      ON p.pay_code = r.pay_code AND p.pay_transaction_id = r.pay_transaction_id
    WHERE r.item_link IS NOT NULL AND p.ebp_code IS NOT NULL),
lh AS (
    SELECT ebp_code, host, count(*) AS n,
           sum(count(*)) OVER (PARTITION BY ebp_code) AS n_links
    FROM lk WHERE host IS NOT NULL GROUP BY ebp_code, host),
ph AS (
    SELECT ebp_code, host, n, n_links, sum(n) OVER (PARTITION BY ebp_code) AS n_kept
    FROM lh WHERE n_links >= {LINK_MIN_LINKS} AND n >= {LINK_MIN_SHARE!r} * n_links
    QUALIFY sum(n) OVER (PARTITION BY ebp_code) >= {LINK_MIN_TOTAL!r} * n_links),
pd AS (
    SELECT ebp_code, string_agg(host, ', ' ORDER BY n DESC, host) AS hosts,
           count(*) AS n_hosts, any_value(n_kept) / any_value(n_links) AS share,
           any_value(n_links) AS n_links
    FROM ph GROUP BY ebp_code)"""

_TITLE_PAD = f"""
tp AS (  -- words of raw titles, with the ordered item each title names
    SELECT DISTINCT item, w FROM (
        SELECT lower(l.item_name) AS item, unnest(string_split({norm_text('r.goods_name')}, ' '))
               AS w
        FROM stg_raw_payments r
        JOIN stg_payments p
          ON p.pay_code = r.pay_code AND p.pay_transaction_id = r.pay_transaction_id
        JOIN stg_order_lines l ON l.ebp_code = p.ebp_code AND l.order_no = p.order_no
        WHERE length(l.item_name) >= 3 AND contains(lower(r.goods_name), lower(l.item_name)))
    WHERE length(w) >= 3),
pad AS (
    SELECT coalesce(list(w), []) AS words FROM (SELECT w, count(*) AS n FROM tp GROUP BY w)
    WHERE (SELECT count(DISTINCT item) FROM tp) >= {TITLE_PAD_MIN_ITEMS}
      AND n >= {TITLE_PAD_SHARE!r} * (SELECT count(DISTINCT item) FROM tp))"""

_TL19 = f"""
WITH {_PLATFORM_HOSTS}, {_TITLE_PAD},
x AS (
    SELECT b.invt_no, b.order_no, b.ebp_code, b.o_actual_paid, b.o_currency, b.p_pay_code,
           b.p_pay_transaction_id, r.pay_transaction_id IS NOT NULL AS r_found,
           r.total_amount, r.currency AS r_currency, r.order_no AS r_order_no, r.goods_name,
           r.payee_name, r.payee_name_norm, {link_host('r.item_link')} AS link_host,
           ec.enterprise_name AS seller, ec.enterprise_name_norm AS seller_norm,
           ep.enterprise_name_norm AS platform_norm
    FROM tl_decl b
    LEFT JOIN stg_raw_payments r
           ON r.pay_code = b.p_pay_code AND r.pay_transaction_id = b.p_pay_transaction_id
    LEFT JOIN stg_enterprises ec ON ec.enterprise_code = b.ebc_code
    LEFT JOIN stg_enterprises ep ON ep.enterprise_code = b.ebp_code
    WHERE b.p_found AND b.o_found),
gm AS (
    SELECT x.invt_no, bool_or({goods_match(['l.item_name', 'l.gname'], 'x.goods_name',
                                           ignore='pad.words')}) AS goods_ok
    FROM x JOIN stg_order_lines l ON l.ebp_code = x.ebp_code AND l.order_no = x.order_no
    CROSS JOIN pad
    WHERE x.goods_name IS NOT NULL GROUP BY x.invt_no),
gn AS (
    SELECT x.invt_no, string_agg({_GOODS}, ' ' ORDER BY l.gnum) AS goods
    FROM x JOIN gm USING (invt_no)
    JOIN stg_order_lines l ON l.ebp_code = x.ebp_code AND l.order_no = x.order_no
    WHERE NOT gm.goods_ok GROUP BY x.invt_no),
lv AS (  -- links judged: a parsed host on a platform with learned hosts
    SELECT x.invt_no, x.link_host, pd.hosts, pd.n_hosts, pd.share, pd.n_links,
           bool_or(x.link_host = ph.host OR ends_with(x.link_host, '.' || ph.host)) AS on_site
    FROM x JOIN pd ON pd.ebp_code = x.ebp_code JOIN ph ON ph.ebp_code = x.ebp_code
    WHERE x.link_host IS NOT NULL GROUP BY ALL),
y AS (
    SELECT x.*, concat_ws('; ',
        CASE WHEN r_currency IS DISTINCT FROM o_currency
               OR abs(total_amount - o_actual_paid) >= 0.005
             THEN 'it transferred ' || {money('total_amount', 'r_currency')}
                  || ' but the order says ' || {money('o_actual_paid', 'o_currency')} END,
        CASE WHEN r_order_no IS NOT NULL AND r_order_no <> order_no
             THEN 'it is for order ' || r_order_no END,
        CASE WHEN NOT gm.goods_ok
             THEN 'its goods ' || {quote('goods_name')} || ' are not the ordered '
                  || {quote('gn.goods')} END,
        CASE WHEN payee_name IS NOT NULL AND seller_norm IS NOT NULL
              AND coalesce(payee_name_norm, '') <> seller_norm
             THEN CASE WHEN jaro_winkler_similarity(coalesce(payee_name_norm, ''), seller_norm)
                            < 0.85
                        AND jaro_winkler_similarity(coalesce(payee_name_norm, ''),
                                                    coalesce(platform_norm, '')) < 0.85
                  THEN 'the payee ' || {quote('payee_name')} || ' is neither the seller '
                       || {quote('seller')} || ' nor the platform' END END,
        CASE WHEN NOT lv.on_site
             THEN 'the item link points to ' || lv.link_host || ', not to the platform''s own '
                  || 'site (' || lv.hosts || CASE WHEN lv.n_hosts > 1 THEN ' carry ' ELSE
                  ' carries ' END || CAST(CAST(floor(lv.share * 100) AS BIGINT) AS VARCHAR)
                  || ' % of its ' || {num('lv.n_links', 0)} || ' links): the order may have '
                  || 'been pushed from a social channel' END) AS issues
    FROM x LEFT JOIN gm USING (invt_no) LEFT JOIN gn USING (invt_no)
    LEFT JOIN lv USING (invt_no))
SELECT invt_no,
    CASE WHEN r_found AND issues = '' THEN 'pass' ELSE 'risk' END AS status,
    CASE WHEN NOT r_found THEN 'no raw payment record'
         ELSE {money('total_amount', 'r_currency')} END AS observed,
    {money('o_actual_paid', 'o_currency')} AS expected,
    round(total_amount - o_actual_paid, 2) AS delta,
    CASE WHEN NOT r_found
         THEN 'No raw payment record from payment firm ' || p_pay_code || ' for transaction '
              || p_pay_transaction_id || ': the price cannot be verified independently.'
         WHEN issues = ''
         THEN 'The raw payment record agrees with the order: amount, order, goods and payee.'
         ELSE 'The raw payment record contradicts the declared order: ' || issues || '.'
         END AS explanation
FROM y
"""

CHECKS = [
    Check("TL-00", "Completeness", "B", "import",
          "order, payment slip and waybill of the declaration were received (express and "
          "postal lists: those the list names; general trade: n/a)",
          "none", "the declaration cannot be matched: block until the messages arrive", _TL00,
          delta="number of missing messages"),
    Check("TL-01", "Key consistency", "B", "import",
          "seller, platform, order, payment and waybill keys across order, payment, waybill "
          "and declaration", "exact",
          "the four messages do not describe the same transaction", _TL01,
          delta="number of disagreeing keys"),
    Check("TL-05", "Payment amount", "B", "import",
          "order actual_paid vs payment slip amount_paid and currency", "0.01",
          "the money paid is not the order's price", _TL05,
          delta="slip amount minus order actual_paid"),
    Check("TL-06", "Payer is orderer", "B/R", "import",
          "payer ID vs orderer ID where comparable (plain or both hashed), else normalised "
          "names", "exact",
          "fail: another person paid (ID differs); risk: names differ and IDs are masked",
          _TL06,
          delta="none"),
    Check("TL-07", "Buyer identity valid", "B", "import",
          "declaration buyer ID (resident ID): shape, region code, birth date, check "
          "character; masked or hashed IDs and passports are not checkable (n/a)", "exact",
          "the buyer ID is invented or mistyped: typical of bought or fabricated identities",
          _TL07,
          delta="none"),
    Check("TL-08", "Consignee match", "B", "import",
          "order vs waybill consignee: normalised name, phone (last 11 digits), normalised "
          "address", "exact after normalisation",
          "the parcel goes to someone other than the buyer's order says", _TL08,
          delta="number of differing fields"),
    Check("TL-19", "Raw payment data", "R", "import",
          "raw payment record (by payment firm and transaction) vs order: amount, order "
          "number, goods name (fuzzy), payee (seller or platform name, fuzzy), item link "
          "host vs the platform's own site(s), learned from its raw payments' links",
          "amount 0.01; goods: an ordered name within the raw title, a shared word of 3+ "
          "characters that is not title padding (a word of the raw titles naming >= 1/3 of "
          ">= 6 distinct ordered items: 'official', 'gift', 'box'), or Jaro-Winkler >= 0.8; "
          "payee names Jaro-Winkler 0.85; a host is the platform's when it carries "
          ">= 1/3 of the platform's >= 30 parsed links and the hosts kept carry >= 1/2 "
          "together (host compared lower-case, without www., port and path; a subdomain of "
          "it counts); no learned host or an unparsable link: no verdict on the link",
          "the independent payment record shows another price, order, goods or payee, or an "
          "item page outside the platform (an order pushed from a social channel, T10); or "
          "there is none", _TL19,
          delta="raw amount minus order actual_paid"),
]
