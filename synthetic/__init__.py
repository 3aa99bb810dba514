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

Direction (world v4): ~70 % of honest declarations are exports (domain.md §6), so fraud is
planted on both sides: T6 and T8 are exports, and most T3 (undervaluation under the
destination's de minimis; the receipt shows the true charge), T5 (controlled or battery
goods as generic parts) and T9 (fake exports through a carrier's insider: no departure
record, receipts booked in batches) schemes are too; T1, T2, T4, T7 and T10 stay imports.
About 60 % of fraud rows are exports, so "import" no longer marks a row as suspect.

Natural noise in benign rows (documented so the three-list checks can be judged):
~0.3 % of import orders have actual_paid off by < 1 % (TL-03 tolerance is 5 %); ~8 % of
import payments have no raw payment record (TL-19 can only route those to risk; more at
small payment firms); ~25 % of raw amounts differ by fees or FX (-2..+3 %), ~1.5 % cover a
whole cart (1.2-3x); ~7 % of honest import raw records link to the seller's own
mini-shop and ~10 % are paid to the platform's or the operator's account; ~8.5 % of
honest imports go to a relative, an office reception, a locker, a workplace or a daigou;
~5 % of honest export lines are sets or cartons declared as one unit (heavier than the
item; toy workshops 25 %); toy workshops (~16 % of exports) sell at 0.5-0.95 of the shelf
price; unbranded lines carry no barcode (20 %) or a made-up one (15 %); ~1 % of honest
export lists have no departure record; ~20 % of export receipts differ from goods value +
freight by fees or FX, ~0.8 % cover several orders (1.2-3x); a sixth of imports are
postal parcels; optional fields are sometimes missing (discount, buyer_reg_no, buyer
phone, item_no, bar_code, goods_info, raw order_no); 16 % of honest sellers (30 % of toy
shops) registered recently; honest exporters ship mostly to 1-3 main markets. Checked
with ``cbec load``: benign declarations fail a block rule only where a planted defect got
a row quarantined.
Planted defects (``--dirty-share``) are all listed in ``ground_truth/malformed_rows.csv``.
"""
