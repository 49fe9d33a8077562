"""FAISS inner-product index over L2-normalised vectors, and thresholded neighbour pairs.

Exact (flat) search up to ``exact_max`` vectors; above it an IVF index whose recall of the exact
neighbours above the threshold is measured in benchmarks/bench_index.py. Never an n×n matrix: each query
row asks the index for its ``k`` nearest, rows whose k-th neighbour still passes the threshold are asked
again with a larger k, so dense groups are not cut off at k.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import faiss
import numpy as np

from cluster.store import release_pages

log = logging.getLogger(__name__)
_RELEASE_EVERY = 16  # query batches between releases of a memory map's pages
_ADD_CHUNK = 65_536  # vectors added to an IVF index at a time

# FAISS's inner products depend in the last bits on its BLAS threads and on which queries share a batch
# (measured: up to 4.8e-7 between 1 and 2 threads). Candidates are taken from this far below the threshold
# and kept on their exact cosine (:func:`exact_scores`), so a pair and its score never depend on how the
# rows were batched, threaded or sharded (a Ray search in tasks, a living index searching only new rows).
SEARCH_MARGIN = 1e-4


@dataclass(frozen=True, slots=True)
class IndexParams:
    k: int = 32
    exact_max: int = 20_000  # flat index up to this many vectors, IVF above
    nlist: int | None = None  # IVF lists; None: about 4·sqrt(n)
    nprobe: int = 16  # recall 0.9999 of exact pairs on 20k real paragraphs (benchmarks/bench_index.py)
    max_k: int = 1024  # ceiling for rows whose k nearest all pass the threshold
    batch: int = 4096
    seed: int = 0

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.max_k < self.k:
            raise ValueError(f"max_k ({self.max_k}) must be >= k ({self.k})")
        if self.nprobe < 1 or self.batch < 1:
            raise ValueError("nprobe and batch must be >= 1")


def build_index(vectors: np.ndarray, params: IndexParams = IndexParams()) -> faiss.Index:
    """A flat or IVF inner-product index holding ``vectors`` with ids 0..n-1."""
    mapped, vectors = vectors, _check(vectors)
    n, dim = vectors.shape
    if n <= params.exact_max:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    nlist = params.nlist or max(16, int(4 * math.sqrt(n)))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed = params.seed
    rng = np.random.default_rng(params.seed)
    sample = vectors[rng.choice(n, size=40 * nlist, replace=False)] if n > 40 * nlist else vectors
    ivf.train(sample)
    for start in range(0, n, _ADD_CHUNK):  # ids stay 0..n-1 in order: the lists are those of one add
        ivf.add(vectors[start : start + _ADD_CHUNK])
        release_pages(mapped)  # memory-mapped vectors: the index's copy is all that stays resident
    ivf.nprobe = min(params.nprobe, nlist)
    log.info("IVF index: %d vectors, nlist=%d, nprobe=%d", n, nlist, ivf.nprobe)
    return ivf


def _check(vectors: np.ndarray) -> np.ndarray:
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ValueError(f"vectors must be a non-empty 2-d array, got shape {vectors.shape}")
    return np.ascontiguousarray(vectors, dtype=np.float32)


def neighbour_pairs(
    index: faiss.Index,
    vectors: np.ndarray,
    threshold: float,
    params: IndexParams = IndexParams(),
    progress: Callable[[int, int], None] | None = None,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (left, right, cosine) of rows of ``vectors`` with cosine >= ``threshold``; left < right, unique.

    ``vectors`` must be the vectors the index holds, in id order. ``rows`` (default: every row) are the rows
    searched against everything the index holds — a living index searches only the rows it added. Each row
    asks for its k nearest, again with a larger k while its k-th neighbour still passes the threshold.
    """
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [-1, 1], got {threshold}")
    mapped, vectors = vectors, _check(vectors)
    n = vectors.shape[0]
    floor, threshold = threshold, threshold - SEARCH_MARGIN
    todo = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    lefts, rights, scores = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    for start in range(0, len(todo), params.batch):
        query = todo[start : start + params.batch]
        k = min(params.k, n)
        while len(query):
            sims, ids = index.search(vectors[query], k)
            saturated = (sims[:, -1] >= threshold) & (ids[:, -1] >= 0)
            done = ~saturated if k < min(params.max_k, n) else np.ones(len(query), dtype=bool)
            keep = (sims >= threshold) & (ids >= 0) & (ids != query[:, None]) & done[:, None]
            q, j = np.nonzero(keep)
            lefts.append(query[q])
            rights.append(ids[q, j])
            scores.append(sims[q, j])
            query, k = query[~done], min(k * 4, params.max_k, n)
        if (start // params.batch) % _RELEASE_EVERY == _RELEASE_EVERY - 1:
            release_pages(mapped)  # memory-mapped vectors: only the rows being searched stay resident
        if progress:
            progress(min(start + params.batch, len(todo)), len(todo))
    left, right, _ = unique_pairs(
        np.concatenate(lefts).astype(np.int64),
        np.concatenate(rights).astype(np.int64),
        np.concatenate(scores).astype(np.float32),
    )
    score = np.minimum(exact_scores(vectors, left, right), 1.0)
    keep = score >= floor
    return left[keep], right[keep], score[keep]


def exact_scores(vectors: np.ndarray, left: np.ndarray, right: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """The cosine of each pair of rows, each a dot product of its own (the same value whatever other pairs
    are scored with it); ``chunk`` pairs at a time, so memory stays ``chunk`` x dim."""
    out = np.empty(len(left), dtype=np.float32)
    for lo in range(0, len(left), chunk):
        a, b = vectors[left[lo : lo + chunk]], vectors[right[lo : lo + chunk]]
        out[lo : lo + chunk] = np.einsum("ij,ij->i", a, b)
    return out


def unique_pairs(
    left: np.ndarray, right: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unordered pair once as (a < b), keeping its highest score; sorted by (a, b)."""
    a, b = np.minimum(left, right), np.maximum(left, right)
    order = np.lexsort((-score, b, a))
    a, b, score = a[order], b[order], score[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[first], b[first], score[first]
