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
(T1, T3-T9 of domain.md §5, one module each), ``lookalikes``, ``messages`` (frame → contract
tables), ``labels`` (inspections, seizures), ``dirty`` (malformed rows), ``writer``,
``world`` (orchestration), ``cli``.

Natural noise in benign rows (documented so the three-list checks can be judged):
~0.3 % of import orders have actual_paid off by < 1 % (TL-03 tolerance is 5 %); ~8 % of
import payments have no raw payment record (TL-19 can only route those to risk); optional
fields are sometimes missing (discount, buyer_reg_no, buyer phone, item_no, bar_code,
goods_info, raw order_no); 8 % of honest sellers registered recently; some honest export
sellers ship mostly to one country. Checked with ``cbec load``: benign declarations fail
a block rule only where a planted defect got a row quarantined.
Planted defects (``--dirty-share``) are all listed in ``ground_truth/malformed_rows.csv``.
"""
