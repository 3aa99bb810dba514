"""Entity search for the query API: phones, ID numbers, e-mails, names and addresses.

Part of :class:`~graph.store.cypher_base.CypherStore` (kept apart to keep modules small);
it needs the store's ``query``/``_q``, ``q`` builders, ``schema`` and ``_node_props``.
"""

from __future__ import annotations

from graph.store import text as tx
from graph.store.base import EntityHit, NodeRef

__all__ = ["SearchMixin", "TEXT_FIELDS", "DISPLAY"]

TEXT_FIELDS = (("Person", "name_norm"), ("Enterprise", "name_norm"),
               ("Address", "address_norm"))
DISPLAY = {"Person": "name", "Enterprise": "name", "Address": "address",
           "IdNumber": "masked", "PaymentAccount": "holder_name"}


class SearchMixin:
    """``search`` over the store's query hooks."""

    def _hit(self, label: str, row: dict, score: float, on: str) -> EntityHit:
        props = self._node_props(label, row["props"])
        shown = props.get(DISPLAY.get(label, ""), None) or row["key"]
        return EntityHit(NodeRef(label, str(row["key"])), round(score, 1), on, str(shown), props)

    def search(self, text: str, labels: list[str] | None = None, limit: int = 20,
               fuzzy: bool = True) -> list[EntityHit]:
        """Entities by phone (any format, as E.164), ID number, e-mail, or name/address.

        Names and addresses: candidates by containment of the normalised text or its pieces
        (:func:`graph.store.text.pieces`), re-ranked by rapidfuzz; ``fuzzy=False`` keeps only
        values containing the whole normalised text. Scores are 0-100.
        """
        want = set(labels) if labels else set(self.schema.nodes)
        for lab in want:
            self.schema.node(lab)
        text = (text or "").strip()
        if not text or limit <= 0:
            return []
        hits: dict[NodeRef, EntityHit] = {}

        def add(h: EntityHit) -> None:
            if h.ref.label in want and (h.ref not in hits or hits[h.ref].score < h.score):
                hits[h.ref] = h

        pivot_hits = []
        if (e164 := tx.as_e164(text)) is not None:
            pivot_hits.append(("Phone", "phone", e164, "HAS_PHONE", ("Person", "Enterprise")))
        if tx.looks_like_id(text):
            pivot_hits.append(("IdNumber", "id_key", tx.id_form(text), "HAS_ID", ("Person",)))
        if tx.looks_like_code(text):  # record numbers and codes of any shape, as typed
            for label, prop in (("Enterprise", "code"), ("Enterprise", "uscc"),
                                ("Declaration", "invt_no")):
                if label in want:
                    for value in dict.fromkeys((text.strip(), text.strip().upper())):
                        for row in self._q(self.q.exact(label, prop, value)):
                            add(self._hit(label, row, 100.0, prop))
        if "@" in text:
            pivot_hits.append(("Email", "email", text.lower(), "HAS_EMAIL", ("Person",)))
        for pivot, prop, value, edge, owners in pivot_hits:
            for row in self._q(self.q.exact(pivot, prop, value)):
                add(self._hit(pivot, row, 100.0, prop))
                for owner in owners:
                    if owner in want:
                        for r in self._q(self.q.attached(pivot, row["key"], edge, owner, limit)):
                            add(self._hit(owner, r, 95.0, prop))
        for label, prop in TEXT_FIELDS:
            if label in want and tx.normalise(text, prop):
                self._search_text(label, prop, text, fuzzy, max(limit * 10, 200), add)
        return sorted(hits.values(), key=lambda h: (-h.score, h.ref))[:limit]

    def _search_text(self, label: str, prop: str, text: str, fuzzy: bool, n: int, add) -> None:
        norm = tx.normalise(text, prop)
        pieces = tx.pieces(text, prop) if fuzzy else [norm]
        adj = getattr(self, "adjacency", None)
        if adj is not None and (label, prop) in adj.texts:  # candidates from memory
            from graph.store.adjacency import nodes_query
            from graph.store.index_search import text_candidates

            # rapidfuzz scores every value there, so the typo-tolerant half-words and short
            # words (which match thousands of values) are not needed: each piece costs a
            # containment scan
            if fuzzy:
                pieces = [p for i, p in enumerate(tx.pieces(text, prop, halves=False))
                          if i == 0 or len(p) >= 3]
            keys = text_candidates(adj, label, prop, norm, pieces, fuzzy, n)
            rows = self._q((nodes_query(self.schema, label), {"keys": keys})) if keys else []
        else:
            rows = self._q(self.q.text_candidates(label, prop, pieces, n))
        for row in rows:
            value = (row["props"] or {}).get(prop)
            if not fuzzy and (not value or norm not in tx.normalise(value, prop)):
                continue
            s = tx.score(norm, value, prop)
            if s >= tx.MIN_SCORE:
                add(self._hit(label, row, s, prop))
