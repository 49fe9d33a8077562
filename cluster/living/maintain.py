"""Keeping a living index's vectors and neighbours up to date: embed only texts no segment holds, grow (or
retrain) the FAISS index, search only new vector rows and merge their pairs with the kept ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faiss
import numpy as np

from cluster.embed import Encoder, encode_in_order
from cluster.errors import IndexModelError
from cluster.index import IndexParams, build_index, neighbour_pairs
from cluster.living.storage import Checkpoint, Pairs, VectorStore
from cluster.pipeline import Progress

EMBED_CHUNK = 1024  # texts per vector segment: the most a killed run loses
RETRAIN_GROWTH = 2.0  # an IVF index is retrained once it holds this many times the vectors it was trained on
RETRAIN_IMBALANCE = 2.0  # … or once its lists are this much more unbalanced than after training


def embed_missing(
    store: VectorStore,
    texts: list[str],
    hashes: list[str],
    encoder: Encoder,
    progress: Progress | None,
    checkpoint: Checkpoint,
) -> int:
    """Embed the texts no segment holds, one saved segment per chunk (longest first inside it); how many.

    Chunks follow text ids, so a fresh index's vector rows are its text ids (no reordering later). An encoder
    with a larger ``chunk`` (a distributed one, which pays a start-up per call) gets segments that large."""
    chunk = max(EMBED_CHUNK, int(getattr(encoder, "chunk", 0)))
    missing = np.flatnonzero(store.rows(hashes) < 0).tolist()
    for start in range(0, len(missing), chunk):
        part = missing[start : start + chunk]
        vectors = encode_in_order(encoder, [texts[i] for i in part])
        if vectors.shape[1] != store.dim:
            raise IndexModelError(
                f"model {encoder.name} gives {vectors.shape[1]}-d vectors; the index holds {store.dim}-d"
            )
        store.append([hashes[i] for i in part], vectors)
        if progress:
            progress("embed", min(start + chunk, len(missing)), len(missing))
        checkpoint("embedded")
    return len(missing)


def _grow_index(
    index: faiss.Index | None, meta: dict[str, Any], vectors: np.ndarray, params: IndexParams
) -> tuple[faiss.Index, dict[str, Any], str | None]:
    """The FAISS index over every vector row: new rows added, rebuilt when it must change kind or when an IVF
    index outgrew its training (size or balance of its lists)."""
    n = len(vectors)
    kind = "flat" if n <= params.exact_max else "ivf"
    reason = None
    if index is None:
        reason = "new"
    elif meta.get("kind") != kind:
        reason = f"grew past {params.exact_max} vectors: exact index replaced by IVF"
    elif kind == "ivf" and n >= RETRAIN_GROWTH * meta["trained_on"]:
        reason = f"IVF index retrained: {n} vectors, trained on {meta['trained_on']}"
    if reason is None:
        assert index is not None
        index.add(np.ascontiguousarray(vectors[index.ntotal :]))
        if kind == "ivf" and _imbalance(index) > RETRAIN_IMBALANCE * meta.get("imbalance", 1.0):
            reason = f"IVF index retrained: lists unbalanced ({_imbalance(index):.2f})"
    if reason is not None:
        index = build_index(vectors, params)
        meta = {"kind": kind, "trained_on": n}
        if kind == "ivf":
            ivf: Any = index
            meta.update(nlist=int(ivf.nlist), nprobe=int(ivf.nprobe), imbalance=round(_imbalance(index), 3))
    meta["n_vectors"] = n
    assert index is not None
    return index, meta, (reason if reason and reason != "new" else None)


def _imbalance(index: Any) -> float:
    """FAISS's imbalance factor of an IVF index: 1 when every list holds as many vectors."""
    sizes = np.array([index.invlists.list_size(i) for i in range(index.nlist)], dtype=np.float64)
    total = sizes.sum()
    return float((sizes**2).sum() * len(sizes) / (total * total)) if total else 1.0


def update_pairs(
    index: faiss.Index | None,
    meta: dict[str, Any],
    vectors: np.ndarray,
    kept: Pairs,
    n_searched: int,
    threshold: float,
    params: IndexParams,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[faiss.Index, dict[str, Any], Pairs, str | None]:
    """The FAISS index over every row of ``vectors`` and the pairs of every row (``kept`` holds those of
    the rows before ``n_searched``). New rows are searched; when an IVF index is retrained, the rows searched
    against the outgrown one (added since its training) are searched again, so recall stays that of one
    build. Returns (index, its description, pairs, a note when it was rebuilt)."""
    old_kind, old_trained = meta.get("kind"), int(meta.get("trained_on", 0))
    index, meta, note = _grow_index(index, meta, vectors, params)
    start = n_searched
    if note and old_kind == "ivf" and meta["kind"] == "ivf":
        start = min(n_searched, old_trained)
    found = neighbour_pairs(index, vectors, threshold, params, progress, rows=np.arange(start, len(vectors)))
    return index, meta, _merge_pairs(kept, found), note


def _merge_pairs(kept: Pairs, found: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Pairs:
    """Kept pairs (with their ``match``) and found ones (``match`` not known yet: NaN), sorted, each pair
    once (the kept one when both hold it)."""
    left, right, score, match = (
        np.concatenate([k, f]) for k, f in zip(kept, (*found, np.full(len(found[0]), np.nan, np.float32)), strict=True)
    )
    order = np.lexsort((np.isnan(match), right, left))
    left, right, score, match = left[order], right[order], score[order], match[order]
    first = np.ones(len(left), dtype=bool)
    first[1:] = (left[1:] != left[:-1]) | (right[1:] != right[:-1])
    return left[first], right[first], score[first], match[first]


def by_text(
    rows: np.ndarray, store: VectorStore, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectors and pairs renumbered from vector rows to text ids (``rows[text_id]`` is its vector row):
    (vectors, left, right, which pair each is). Pairs with a row no current text uses are left out."""
    if len(rows) == len(store) and np.array_equal(rows, np.arange(len(rows))):  # rows are text ids
        return store.vectors, left, right, np.arange(len(left))
    vectors = store.vectors[rows] if len(rows) else np.zeros((0, store.dim), dtype=np.float32)
    text_of_row = np.full(len(store), -1, dtype=np.int64)
    text_of_row[rows] = np.arange(len(rows))
    a, b = text_of_row[left], text_of_row[right]
    which = np.flatnonzero((a >= 0) & (b >= 0))
    a, b = np.minimum(a, b)[which], np.maximum(a, b)[which]
    order = np.lexsort((b, a))
    return vectors, a[order], b[order], which[order]
