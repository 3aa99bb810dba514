"""The heterogeneous GraphSAGE: pure PyTorch code paths of torch-geometric.

``HeteroConv`` over one ``SAGEConv`` per relation and direction runs full batch with no
compiled extension (no torch-scatter, torch-sparse or pyg-lib: stack-notes). Neighbours
are averaged by a sparse CSR product (``mean_adjacency``), which PyG's ``SAGEConv`` accepts
in place of an edge index: at 100k declarations it needed 2.4 GB at peak where per-edge
messages needed 3.4 GB. Mean aggregation is degree-normalised, so a parcel locker passes
its neighbours an average, not a flood; ``hetero_graph.cap_in_degree`` bounds what reaches
it. Each layer adds to the previous representation (residual), and the declaration head
reads every layer's output (jumping knowledge), so a declaration's own numbers are never
washed out by its neighbourhood.
"""

from __future__ import annotations

import warnings

import numpy as np

from graph.detection.gnn.deps import require_pyg
from graph.detection.gnn.hetero_graph import DECL, GraphTables, cap_in_degree

__all__ = ["build_hetero_data", "adjacency_dict", "mean_adjacency", "select_rows", "targets",
           "HeteroSage"]

torch, _pyg = require_pyg()
from torch import nn  # noqa: E402
from torch_geometric.data import HeteroData  # noqa: E402
from torch_geometric.nn import HeteroConv, SAGEConv  # noqa: E402
from torch_geometric.nn.conv.hetero_conv import group  # noqa: E402


def mean_adjacency(src: np.ndarray, dst: np.ndarray, n_src: int, n_dst: int):
    """Sparse CSR [n_dst, n_src] with 1/in-degree weights: ``A @ x`` is the mean over
    in-neighbours, computed without materialising one message per edge (memory O(E),
    not O(E x hidden)); deterministic, since each row sums in a fixed order."""
    order = np.lexsort((src, dst))
    counts = np.bincount(dst, minlength=n_dst)
    crow = np.r_[0, np.cumsum(counts)]
    vals = (1.0 / np.maximum(counts, 1))[dst[order]].astype(np.float32)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": CPU mm is what we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(crow.astype(np.int64)),
                                       torch.from_numpy(src[order].astype(np.int64)),
                                       torch.from_numpy(vals), size=(n_dst, n_src))


def build_hetero_data(g: GraphTables, x: dict, cap: int, seed: int) -> HeteroData:
    """HeteroData with features ``x`` and, per edge type (both directions of every relation
    of ``g``), ``adj_t``: the mean-aggregation matrix, each destination node reading at most
    ``cap`` neighbours per relation (seeded sample)."""
    data = HeteroData()
    for t, m in x.items():
        data[t].x = torch.from_numpy(m)
    for i, ((s, r, d), (si, di)) in enumerate(g.edges.items()):
        for (a, rel, b), (src, dst) in (((s, r, d), (si, di)),
                                        ((d, f"rev_{r}", s), (di, si))):
            src, dst = cap_in_degree(src, dst, cap, seed + i)
            data[a, rel, b].adj_t = mean_adjacency(src, dst, g.num_nodes(a), g.num_nodes(b))
    return data


def adjacency_dict(data: HeteroData) -> dict:
    """Edge type -> ``adj_t``, the second argument of :meth:`HeteroSage.forward`."""
    return {et: data[et].adj_t for et in data.edge_types}


def select_rows(adj, rows: np.ndarray):
    """Rows ``rows`` of a CSR matrix, as a CSR matrix [len(rows), n_src]."""
    crow = adj.crow_indices().numpy()
    col, val = adj.col_indices().numpy(), adj.values().numpy()
    starts, counts = crow[rows], crow[rows + 1] - crow[rows]
    new_crow = np.r_[0, np.cumsum(counts)]
    take = np.repeat(starts - new_crow[:-1], counts) + np.arange(new_crow[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(new_crow.astype(np.int64)),
                                       torch.from_numpy(col[take]), torch.from_numpy(val[take]),
                                       size=(len(rows), adj.shape[1]))


def _remap(adj, keep: np.ndarray):
    """``adj`` with its columns renumbered to positions in the sorted ids ``keep`` (which
    hold every column): the same matrix over the compact node states of those ids. The
    renumbering keeps the column order, so each row sums in the same order as before."""
    col = np.searchsorted(keep, adj.col_indices().numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(adj.crow_indices(), torch.from_numpy(col),
                                       adj.values(), size=(adj.shape[0], len(keep)))


def _pos(ids: np.ndarray, keep: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.searchsorted(keep, ids).astype(np.int64))


def targets(data: HeteroData, rows: np.ndarray) -> tuple:
    """What :meth:`HeteroSage.forward` needs to score only declarations ``rows``: their
    indices, the rows of the adjacency matrices into declarations, and the receptive field
    of the layer before the last (the nodes the last layer reads, with the rows of every
    adjacency matrix into them): that layer need not update any other node.

    The fourth element serves a two-layer model, whose layer before the last is the first:
    the node ids whose input layer that layer reads (``inputs``, gathered here once per
    graph, not per epoch) and every index above renumbered to compact states over them,
    so an epoch touches no whole-graph tensor."""
    rows = np.asarray(rows, dtype=np.int64)
    last = {et: select_rows(data[et].adj_t, rows) for et in data.edge_types if et[2] == DECL}
    need: dict[str, list[np.ndarray]] = {DECL: [rows]}
    for (src, _, _), a in last.items():
        need.setdefault(src, []).append(a.col_indices().numpy())
    field = {t: np.unique(np.concatenate(v)) for t, v in need.items()}
    adj = {et: select_rows(data[et].adj_t, field[et[2]]) for et in data.edge_types
           if et[2] in field and len(field[et[2]])}
    read = {t: [v] for t, v in field.items()}
    for (src, _, _), a in adj.items():
        read.setdefault(src, []).append(a.col_indices().numpy())
    inputs = {t: np.unique(np.concatenate(v)) for t, v in read.items()}
    compact = {"inputs": {t: torch.from_numpy(v) for t, v in inputs.items()},
               "field_in_inputs": {t: _pos(v, inputs[t]) for t, v in field.items()},
               "rows_in_inputs": _pos(rows, inputs[DECL]),
               "rows_in_field": _pos(rows, field[DECL]),
               "adj": {et: _remap(a, inputs[et[0]]) for et, a in adj.items()},
               "last": {et: _remap(a, field[et[0]]) for et, a in last.items()}}
    return (torch.from_numpy(rows), last,
            ({t: torch.from_numpy(v) for t, v in field.items()}, adj), compact)


class HeteroSage(nn.Module):
    """Declaration risk logits from a heterogeneous graph (full batch).

    The last layer updates only declarations, and only those asked for (``target``): every
    other node's last-layer state would be computed for nothing.
    """

    def __init__(self, in_dims: dict[str, int], edge_types: list[tuple[str, str, str]],
                 hidden: int = 32, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.node_types = sorted(in_dims)
        self.lin_in = nn.ModuleDict({t: nn.Linear(in_dims[t], hidden) for t in self.node_types})
        into_decl = [et for et in edge_types if et[2] == DECL]
        with warnings.catch_warnings():  # "node types not updated": meant, in the last layer
            warnings.simplefilter("ignore", UserWarning)
            self.convs = nn.ModuleList(
                HeteroConv({et: SAGEConv(hidden, hidden, aggr="sum")
                            for et in (into_decl if i == layers - 1 else edge_types)},
                           aggr="sum")
                for i in range(layers))
        self.norms = nn.ModuleList(
            nn.ModuleDict({t: nn.LayerNorm(hidden) for t in self.node_types})
            for _ in range(layers))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(nn.Linear(hidden * (layers + 1), hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, x_dict, edge_index, target=None):
        """Logits of the declarations ``target`` (from :func:`targets`; all when None).

        ``edge_index``: edge type -> ``adj_t`` of :func:`mean_adjacency` (a sum over
        1/degree-weighted neighbours is their mean). Named so, as PyG's hetero code wants."""
        if target is not None and len(target) > 3 and len(self.convs) == 2:
            return self._forward_compact(x_dict, target[3])
        h = {t: torch.relu(self.lin_in[t](x)) for t, x in x_dict.items()}
        field = None
        if target is None:
            idx = torch.arange(h[DECL].shape[0])
            last_adj = {et: a for et, a in edge_index.items() if et[2] == DECL}
        else:
            idx, last_adj = target[:2]
            field = target[2] if len(target) > 2 else None
        jk = []
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            jk.append(h[DECL][idx])
            if i == len(self.convs) - 1:   # only the declarations asked for
                out = conv({**h, DECL: jk[-1]}, last_adj)
                h = {DECL: jk[-1] + self.dropout(torch.relu(norm[DECL](out[DECL])))}
                idx = torch.arange(len(idx))
                break
            if field is not None and i == len(self.convs) - 2:
                h = self._update_field(conv, norm, h, field)
                continue
            out = conv(h, edge_index)
            h = {t: h[t] + self.dropout(torch.relu(norm[t](out[t]))) if t in out else h[t]
                 for t in h}
        jk.append(h[DECL][idx])
        return self.head(torch.cat(jk, dim=-1)).squeeze(-1)

    def _update_field(self, conv, norm, h: dict, field: tuple) -> dict:
        """The layer before the last, on the nodes the last layer reads only (``targets``):
        the same sums as ``conv(h, edge_index)`` for those rows; at 1M declarations the
        full layer updated every node of the graph for a few thousand labelled ones."""
        rows, adj = field
        outs: dict[str, list] = {}
        for et, c in conv.convs.items():   # HeteroConv's order, so the same sums
            if et in adj:
                outs.setdefault(et[2], []).append(c((h[et[0]], h[et[2]][rows[et[2]]]), adj[et]))
        new = dict(h)
        for t, o in outs.items():
            upd = h[t][rows[t]] + self.dropout(torch.relu(norm[t](group(o, conv.aggr))))
            new[t] = h[t].index_copy(0, rows[t], upd)
        return new

    def _forward_compact(self, x_dict, c: dict):
        """:meth:`forward` of a two-layer model on the compact states of ``targets``: the
        input layer on the nodes the first layer reads, the first layer on the nodes the
        last reads, the last on the targets. The same sums as the full forward, in the same
        order; at 1M declarations the input layer and the copies of every node's state
        were most of an epoch."""
        inp = c["inputs"]
        h = {t: torch.relu(self.lin_in[t](x_dict[t][i])) for t, i in inp.items()}
        conv, norm = self.convs[0], self.norms[0]
        outs: dict[str, list] = {}
        for et, m in conv.convs.items():   # HeteroConv's order, so the same sums
            if et in c["adj"]:
                dst = h[et[2]][c["field_in_inputs"][et[2]]]
                outs.setdefault(et[2], []).append(m((h[et[0]], dst), c["adj"][et]))
        h1 = {t: h[t][f] for t, f in c["field_in_inputs"].items()}
        for t, o in outs.items():   # the order of _update_field: the same dropout draws
            h1[t] = h1[t] + self.dropout(torch.relu(norm[t](group(o, conv.aggr))))
        jk = [h[DECL][c["rows_in_inputs"]], h1[DECL][c["rows_in_field"]]]
        conv, norm = self.convs[1], self.norms[1]
        outs = {}
        for et, m in conv.convs.items():
            if et in c["last"]:
                outs.setdefault(DECL, []).append(m((h1[et[0]], jk[-1]), c["last"][et]))
        out = group(outs[DECL], conv.aggr) if DECL in outs else None
        jk.append(jk[-1] + self.dropout(torch.relu(norm[DECL](out))) if out is not None
                  else jk[-1])
        return self.head(torch.cat(jk, dim=-1)).squeeze(-1)
