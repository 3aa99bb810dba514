"""Synthetic CBEC world: planted fraud rings, benign look-alikes, dirty data, honest labels.

Entry points: ``cbec generate`` (``synthetic.cli``) and ``synthetic.world.generate``.

Layout written to ``OUT``: registers as ``<table>.<ext>``, messages as
``<table>/<YYYY-MM>.<ext>`` (month of the declaration), ``manifest.json``, and the answer
key in ``ground_truth/`` (``schemes.csv``, ``scheme_members.csv``,
``declarations.parquet``, ``tampered_fields.parquet``, ``entity_identity.parquet``,
``malformed_rows.csv``), which detection code must never read.

Modules, one idea each: ``config`` (parameters, reference data), ``catalog`` (goods),
``identities`` (IDs, phones, names, addresses and their variants), ``registers`` (the
register records), ``cast`` and ``households`` (the benign cast), ``population`` (the
benign bulk, vectorised), ``frame`` (the columnar declaration frame), ``typologies``
(T1-T10 of domain.md §5, one module each), ``lookalikes``, ``messages`` (frame → contract
tables), ``labels`` (inspections, seizures), ``dirty`` (malformed rows), ``writer``,
``world`` (orchestration), ``cli``.

Declarations per typology at 100k declarations, seed 7 (``bench/bench_generate.py -n
100000``; shares in ``typologies.SHARES``, ring sizes heavy-tailed):

==========  =====  =======  ====================================================
typology    decl.  schemes  planted look-alikes (besides the bulk's)
==========  =====  =======  ====================================================
T1            300        2  parcel lockers, campuses, families, offices, promo days
T2            160        2  pickup_station 100, small_shop 50, multi_warehouse 70
T3            206        3  flash sales
T4             69        7  cohabitant_split 138, multi_warehouse
T5            150        3
T6            450        1  legit POP MART and unbranded toy exporters
T7            150        2
T8            120        2
T9            150        3
T10           130        1  new_buyer_burst 100, gift_payer 40
total       1,885           (1.88 % of declarations; domain.md: 0.5-3 %)
==========  =====  =======  ====================================================

Natural noise in benign rows (documented so the three-list checks can be judged):
~0.3 % of import orders have actual_paid off by < 1 % (TL-03 tolerance is 5 %); ~8 % of
import payments have no raw payment record (TL-19 can only route those to risk); optional
fields are sometimes missing (discount, buyer_reg_no, buyer phone, item_no, bar_code,
goods_info, raw order_no); 8 % of honest sellers registered recently; some honest export
sellers ship mostly to one country. Checked with ``cbec load``: benign declarations fail
a block rule only where a planted defect got a row quarantined.
Planted defects (``--dirty-share``) are all listed in ``ground_truth/malformed_rows.csv``.
"""
