"""Generate a whole world: cast, schemes, months of messages, labels, defects, ground truth.

Memory stays bounded by working month by month: each month's frame is built, written and
dropped. Fraud schemes are planted up front (they are few) and split by month.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthetic.cast import build_cast
from synthetic.config import LOOKALIKES, TYPOLOGIES, VERSION, GenConfig
from synthetic.dirty import plant_defects
from synthetic.frame import concat, sort_by_time, subset
from synthetic.labels import inspect
from synthetic.lookalikes import plant_lookalikes
from synthetic.messages import build_messages, take
from synthetic.population import benign_month, day_weights
from synthetic.typologies import plant_all
from synthetic.typologies.base import Ctx
from synthetic.writer import MESSAGE_TABLES, conform, write_table

__all__ = ["generate", "Summary"]


@dataclass
class Summary:
    """What was made: rows per table, declarations per typology and look-alike, labels."""

    rows: Counter = field(default_factory=Counter)
    files: dict[str, int] = field(default_factory=dict)
    typologies: Counter = field(default_factory=Counter)
    schemes: Counter = field(default_factory=Counter)
    lookalikes: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    malformed: int = 0
    declarations: int = 0


def _epoch(d: date) -> int:
    return int(np.datetime64(d, "s").astype(np.int64))


def generate(cfg: GenConfig, out: Path, *, force: bool = False, progress=None) -> Summary:
    """Write a world for ``cfg`` into ``out`` and return its summary.

    Parameters
    ----------
    cfg : GenConfig
        World parameters.
    out : Path
        Output folder; must be empty or absent unless ``force``.
    force : bool
        Delete an existing non-empty ``out`` first.
    progress : callable, optional
        ``progress(month_label, done, total)`` called after each month is written.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty: pass --force to overwrite it, or "
                                  "choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    ss = np.random.SeedSequence(cfg.seed)
    s_cast, s_plant, *s_months = ss.spawn(2 + cfg.months)
    months = cfg.month_starts()
    t0, t1 = _epoch(months[0]), _epoch(months[-1])
    cast = build_cast(cfg, np.random.default_rng(s_cast), months[0])
    ctx = Ctx(cfg, cast, np.random.default_rng(s_plant), t0, t1)
    schemes = []
    for sch in plant_all(ctx):
        # a scheme running past the world's edges: only the declarations inside remain
        t = sch.frame.d["t_decl"]
        sch.frame = subset(sch.frame, (t >= t0) & (t < t1))
        if len(sch.frame):
            _prune_members(sch, cast.reg)
            schemes.append(sch)
    for i, sch in enumerate(schemes):
        sch.frame.d["scheme"][:] = i
    planted = concat([s.frame for s in schemes])
    scheme_ids = pa.array([s.scheme_id for s in schemes], pa.string())
    looks = plant_lookalikes(ctx)
    if looks is not None:
        planted = concat([planted, looks])
    n_benign = cfg.declarations - len(planted)
    if n_benign < cfg.declarations * 0.5:
        raise ValueError(f"--declarations {cfg.declarations} is too small for the planted "
                         f"schemes ({len(planted)} rows): ask for at least 2,000")
    # benign volume per month follows the day weights (promotion days are busier)
    vol = np.array([len(day_weights(months[k], months[k + 1])[0]) for k in range(cfg.months)],
                   dtype=float)
    per_month = np.floor(n_benign * vol / vol.sum()).astype(int)
    per_month[-1] += n_benign - per_month.sum()
    summ = Summary(declarations=cfg.declarations)
    reg = cast.reg
    for name, t in reg.tables().items():
        t = conform(name, t)
        write_table(t, out / name, cfg.fmt)
        summ.rows[name] = t.num_rows
        summ.files[f"{name}.{cfg.fmt}"] = t.num_rows
    gt_decl, tampered, malformed = [], [], []
    seq = 0
    ins_seq = 0
    # writing (Parquet encoding releases the GIL) overlaps with building the next month
    pool = ThreadPoolExecutor(max_workers=2)
    pending: list = []
    for k in range(cfg.months):
        rng = np.random.default_rng(s_months[k])
        m0, m1 = months[k], months[k + 1]
        a, b = _epoch(m0), _epoch(m1)
        inside = (planted.d["t_decl"] >= a) & (planted.d["t_decl"] < b)
        if k == 0:
            inside |= planted.d["t_decl"] < a
        if k == cfg.months - 1:
            inside |= planted.d["t_decl"] >= b
        f = sort_by_time(concat([benign_month(cast, rng, int(per_month[k]), m0, m1),
                                 subset(planted, inside)]))
        built = build_messages(f, cast, rng, seq)
        insp, seiz = inspect(f, reg, built, rng, ins_seq)
        tables = dict(built.tables, inspections=insp, seizures=seiz)
        tables, log = plant_defects(tables, cfg.dirty_share, rng)
        label = m0.strftime("%Y-%m")
        for fut in pending:  # at most one month waits to be written
            fut.result()
        pending = []
        for name in MESSAGE_TABLES:
            t = conform(name, tables[name])
            pending.append(pool.submit(write_table, t, out / name / label, cfg.fmt))
            summ.rows[name] += t.num_rows
            summ.files[f"{name}/{label}.{cfg.fmt}"] = t.num_rows
        sid = f.d["scheme"]
        gt_decl.append(pa.table({
            "invt_no": built.invt_no,
            "scheme_id": take(scheme_ids, sid),
            "typology": take(TYPOLOGIES, np.where(f.d["typ"] > 0, f.d["typ"], -1)),
            "is_malicious": pa.array(f.d["typ"] > 0),
            "lookalike": take(LOOKALIKES, np.where(f.d["look"] > 0, f.d["look"], -1)),
        }))
        tampered += built.tampered
        malformed += log
        for names, col, counter in ((TYPOLOGIES, "typ", summ.typologies),
                                    (LOOKALIKES, "look", summ.lookalikes)):
            cnt = np.bincount(f.d[col].astype(np.int64), minlength=len(names))
            counter.update({names[i]: int(c) for i, c in enumerate(cnt) if c})
        summ.outcomes.update(insp.column("outcome").to_pylist())
        seq += len(f)
        ins_seq += insp.num_rows
        if progress:
            progress(label, k + 1, cfg.months)
    for fut in pending:
        fut.result()
    pool.shutdown()
    summ.typologies.pop("", None)
    summ.lookalikes.pop("", None)
    summ.malformed = len(malformed)
    _ground_truth(out / "ground_truth", schemes, gt_decl, tampered, malformed, reg)
    for s in schemes:
        summ.schemes[s.typology] += 1
    _manifest(out, cfg, summ)
    return summ


def _prune_members(sch, reg) -> None:
    """Drop members only the lost declarations named (addresses, phones, IDs that no
    remaining declaration and no register row carries)."""
    d = sch.frame.d
    imp = d["ie"] == 0
    addr = {reg.address(int(a)) for a in np.unique(d["cons_addr"][imp]) if a >= 0}
    phone = {reg.phone_text[int(p)] for p in np.unique(d["cons_phone"][imp]) if p >= 0}
    ids = {reg.p_id[int(b)] for b in np.unique(d["buyer"][imp]) if b >= 0}
    for e in reg.ent:
        addr.add(e["address"])
        phone.add(e["telephone"])
        ids.add(e["legal_rep_id_number"])
    keep = {"address": addr, "phone": phone, "id_number": ids}
    sch.members = [m for m in sch.members if m[0] not in keep or m[1] in keep[m[0]]]


def _ground_truth(gt: Path, schemes, gt_decl, tampered, malformed, reg) -> None:
    gt.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.concat_tables(gt_decl), gt / "declarations.parquet")
    iso = lambda t: str(np.datetime64(int(t), "s"))  # noqa: E731
    rows = []
    for s in schemes:
        t = s.frame.d["t_decl"]
        rows.append({"scheme_id": s.scheme_id, "typology": s.typology, "start": iso(t.min()),
                     "end": iso(t.max()), "n_declarations": len(s.frame),
                     "n_members": len(s.members), "description": s.description})
    pacsv.write_csv(pa.Table.from_pylist(rows), gt / "schemes.csv")
    mem = [{"scheme_id": s.scheme_id, "entity_type": e, "entity_key": k, "role": r}
           for s in schemes for e, k, r in s.members]
    pacsv.write_csv(pa.Table.from_pylist(mem), gt / "scheme_members.csv")
    tf = pa.Table.from_pylist(tampered, schema=pa.schema(
        [(c, pa.string()) for c in ("table", "record_key", "field", "declared_value",
                                    "true_value")]))
    pq.write_table(tf, gt / "tampered_fields.parquet")
    pq.write_table(reg.identity_table(), gt / "entity_identity.parquet")
    mf = pa.Table.from_pylist(malformed, schema=pa.schema(
        [(c, pa.string()) for c in ("table", "record_key", "field", "defect")]))
    pacsv.write_csv(mf, gt / "malformed_rows.csv")


def _manifest(out: Path, cfg: GenConfig, summ: Summary) -> None:
    doc = {"generator": "cbec-graph synthetic", "version": VERSION, "seed": cfg.seed,
           "parameters": cfg.to_dict(), "format": cfg.fmt,
           "rows": dict(sorted(summ.rows.items())), "files": dict(sorted(summ.files.items())),
           "ground_truth": "ground_truth/ (never read by detection code)"}
    (out / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
