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

Honest by construction (issue 7; ``bench/audit_world.py WORLD`` measures it): fraud rows
come from the same samplers as honest rows (hours, delays, trade modes, freight, coupons,
shelf prices, one platform per seller, goods faces, barcode noise, raw titles, weights)
and differ only where a typology's documented signal is (domain.md §5), with honest rows
producing each signal too (look-alikes, firm groups, parcel redirects, mini-shops,
round-sum promotions, sets declared as one unit, small providers). Schemes start in every
month (the last two first), run past the world's edges (only the rows inside remain) and
stop; ring sizes are heavy-tailed, at least five schemes per typology where the budget
allows. Inspection methods follow the suspicion score, never the truth; honest seizures
use the same legal grounds and findings. Shares per typology are in
``typologies.SHARES``; measured counts are in BENCHMARKS.md.

Natural noise in benign rows (documented so the three-list checks can be judged):
~0.3 % of import orders have actual_paid off by < 1 % (TL-03 tolerance is 5 %); ~8 % of
import payments have no raw payment record (TL-19 can only route those to risk; more at
small payment firms); ~25 % of raw amounts differ by fees or FX (-2..+3 %), ~1.5 % cover a
whole cart (1.2-3x); ~7 % of honest import raw records link to the seller's own
mini-shop and ~10 % are paid to the platform's or the operator's account; ~8.5 % of
honest imports go to a relative, an office reception, a locker, a workplace or a daigou;
~5 % of honest export lines are sets or cartons declared as one unit (heavier than the
item); optional fields are sometimes missing (discount, buyer_reg_no, buyer phone,
item_no, bar_code, goods_info, raw order_no); 12 % of honest sellers registered
recently; honest exporters ship mostly to 1-3 main markets. Checked with ``cbec load``:
benign declarations fail a block rule only where a planted defect got a row quarantined.
Planted defects (``--dirty-share``) are all listed in ``ground_truth/malformed_rows.csv``.
"""
