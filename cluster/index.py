"""FAISS inner-product index over L2-normalised vectors, and thresholded neighbour pairs.

Exact (flat) search up to ``exact_max`` vectors; above it an IVF index whose recall of the exact
neighbours above the threshold is measured in benchmarks/bench_index.py. Never an n×n matrix: each query
row asks the index for its ``k`` nearest, rows whose k-th neighbour still passes the threshold are asked
again with a larger k, so dense groups are not cut off at k. :func:`list_join_pairs` finds the same pairs
of every row without an index (each list's members multiplied with the rows that probe it): the batch
pipeline's search.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

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
    nlist: int | None = None  # IVF lists; None: :func:`ivf_lists`
    list_size: int = 512  # lists: about n / list_size (a query scans nprobe·list_size at any n) ...
    sqrt_lists: float = 1.5  # ... but at least sqrt_lists·√n (finer lists below ~590k vectors)
    nprobe: int = 8  # lists a query probes: at least this many ...
    scan_min: int = 1_760  # ... and enough to scan about this many vectors (:func:`ivf_probes`)
    train_per_list: int = 40  # k-means sample: this many vectors a list (FAISS asks for >= 39) ...
    train_max: int = 131_072  # ... and never more than this many, so training stays bounded
    kmeans_iters: int = 10  # k-means iterations (FAISS's IVF default); 5, or 20 a list, lost pairs at n/512 lists
    quantised: bool = True  # IVF lists hold 8-bit codes (a quarter of the memory); candidates scored exactly
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
        if self.sqrt_lists < 0 or self.scan_min < 0:
            raise ValueError("sqrt_lists and scan_min must be >= 0")
        if min(self.list_size, self.train_per_list, self.train_max, self.kmeans_iters) < 1:
            raise ValueError("list_size, train_per_list, train_max and kmeans_iters must be >= 1")


def ivf_lists(n: int, params: IndexParams = IndexParams()) -> int:
    """IVF lists for ``n`` vectors: ``params.nlist`` if set, else ``n / list_size`` but at least
    ``sqrt_lists``·√n (and 16).

    A query costs about nprobe·n/nlist list entries plus nlist centroids. Lists of 512 keep that linear
    in n at 1M, but below ~590k vectors (1.5·√n > n/512) they are coarse: a query scanned 8 of 95 lists
    (8.4 % of the vectors) at 48,582 texts. Finer lists with enough probes (:func:`ivf_probes`) find as many
    of the exact pairs for less: on those 48,582 real texts (train side) 331 lists probed 12 at a time found
    0.99948 of the exact pairs from 0.6 in 10.7 CPU-s of search, 95 lists probed 8 at a time 0.99931 in 19.4;
    at 100k synthetic vectors 474 × 9 found all, 195 × 8 0.99929. 2·√n lists did as well at 48k-100k but
    would change 1M (benchmarks/README.md, "List-count rule")."""
    if params.nlist:
        return params.nlist
    return max(16, round(n / params.list_size), round(params.sqrt_lists * math.sqrt(n)))


def ivf_probes(n: int, nlist: int, params: IndexParams = IndexParams()) -> int:
    """Lists a query probes: ``nprobe``, or more where lists are small, so that a query scans at least
    ``scan_min`` vectors (nprobe·n/nlist) — at most every list. With lists of ~512 (above ~590k vectors)
    that is ``nprobe``. Finer lists at a fixed nprobe lose pairs on dense real text: 441 lists × 8 probes found
    0.99576 of the exact pairs at 48,582 texts, × 12 (scanning ~1,300) 0.99901, × 16 (~1,760) 0.99961."""
    return min(nlist, max(params.nprobe, math.ceil(params.scan_min * nlist / max(n, 1))))


def training_size(n: int, nlist: int, params: IndexParams = IndexParams()) -> int:
    """Vectors the IVF centroids are trained on: ``train_per_list`` a list, at most ``train_max`` (and
    ``n``), but never fewer than the lists."""
    return min(n, max(nlist, min(params.train_per_list * nlist, params.train_max)))


Coarse = tuple[np.ndarray, np.ndarray]  # (lists, centroid scores): each row's ``nprobe`` nearest IVF lists


def build_index(vectors: np.ndarray, params: IndexParams = IndexParams()) -> faiss.Index:
    """A flat or IVF inner-product index holding ``vectors`` with ids 0..n-1 (:func:`build_index_assigned`)."""
    return build_index_assigned(vectors, params)[0]


def build_index_assigned(
    vectors: np.ndarray, params: IndexParams = IndexParams()
) -> tuple[faiss.Index, Coarse | None]:
    """A flat or IVF inner-product index holding ``vectors`` with ids 0..n-1, and (IVF) each vector's
    ``nprobe`` nearest lists, for :func:`neighbour_pairs` to search them without assigning them again.

    IVF: :func:`ivf_lists` lists, centroids trained (k-means) on :func:`training_size` vectors drawn at
    random; one flat search of the centroids, a chunk at a time, finds each vector's ``nprobe`` nearest: the
    first is its list, all are the lists it is searched in (once, not at the add and again at the search: the
    neighbour stage on an index took 137.0 instead of 151.9 CPU-s at 762,969 vectors, the same pairs).
    ``params.quantised``: the lists keep each vector as 8-bit codes on one scale spanning every component of
    ``vectors`` (so :func:`candidate_margin` bounds the error of an inner product), not as float32.
    """
    mapped, vectors = vectors, _check(vectors)
    n, dim = vectors.shape
    if n <= params.exact_max:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index, None
    nlist = min(ivf_lists(n, params), n)
    ivf, size = _trained(vectors, nlist, params)
    quantizer = ivf.quantizer
    if params.quantised:  # the scale spans all vectors, not only the sample: no component is clipped
        low, high = _range(vectors, mapped)
        ivf.sq.trained = faiss.Float32Vector()
        faiss.copy_array_to_vector(np.array([low, high - low], dtype=np.float32), ivf.sq.trained)
    ivf.nprobe = ivf_probes(n, nlist, params)
    lists = np.empty((n, ivf.nprobe), dtype=np.int64)
    scores = np.empty((n, ivf.nprobe), dtype=np.float32)
    for start in range(0, n, _ADD_CHUNK):  # ids stay 0..n-1 in order: the lists are those of one add
        chunk = np.ascontiguousarray(vectors[start : start + _ADD_CHUNK])
        scores[start : start + len(chunk)], lists[start : start + len(chunk)] = quantizer.search(chunk, ivf.nprobe)
        nearest = np.ascontiguousarray(lists[start : start + len(chunk), 0])
        ivf.add_core(len(chunk), faiss.swig_ptr(chunk), None, faiss.swig_ptr(nearest))
        release_pages(mapped)  # memory-mapped vectors: the index's copy is all that stays resident
    log.info("IVF index: %d vectors, nlist=%d, nprobe=%d, trained on %d", n, nlist, ivf.nprobe, size)
    return ivf, (lists, scores)


def _trained(vectors: np.ndarray, nlist: int, params: IndexParams) -> tuple[Any, int]:
    """An empty IVF index whose ``nlist`` centroids are trained (k-means) on :func:`training_size` vectors drawn
    at random, and that size."""
    n, dim = vectors.shape
    quantizer = faiss.IndexFlatIP(dim)
    ivf: Any
    if params.quantised:
        ivf = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT
        )
        ivf.by_residual = False
    else:
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed = params.seed
    ivf.cp.niter = params.kmeans_iters
    rng = np.random.default_rng(params.seed)
    size = training_size(n, nlist, params)
    sample = vectors[np.sort(rng.choice(n, size=size, replace=False))] if size < n else vectors
    ivf.train(sample)
    return ivf, size


def _range(vectors: np.ndarray, mapped: np.ndarray) -> tuple[float, float]:
    low, high = np.inf, -np.inf
    for start in range(0, vectors.shape[0], _ADD_CHUNK):
        chunk = vectors[start : start + _ADD_CHUNK]
        low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    release_pages(mapped)
    return low, high


def candidate_margin(index: faiss.Index) -> float:
    """How far below a threshold candidates are taken so that none at or above it is lost: FAISS's last-bit
    noise (:data:`SEARCH_MARGIN`), plus, for 8-bit lists, the most an inner product of a unit query with a
    decoded vector can be off: each component by at most half a step (span / 255 / 2), so by Cauchy-Schwarz
    at most sqrt(dim) times that."""
    sq = getattr(index, "sq", None)
    if sq is None or sq.qtype != faiss.ScalarQuantizer.QT_8bit_uniform:
        return SEARCH_MARGIN
    span = float(faiss.vector_to_array(sq.trained)[1])
    return SEARCH_MARGIN + math.sqrt(index.d) * 0.5 * span / 255


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
    coarse: Coarse | None = None,
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
    floor, threshold = threshold, threshold - candidate_margin(index)
    todo = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    lefts, rights, scores = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    search = _Search(index)
    for start in range(0, len(todo), params.batch):
        query = todo[start : start + params.batch]
        k = min(params.k, n)
        rows_q = np.arange(len(query))
        batch_vectors = vectors[query]
        lists = search.assign(batch_vectors) if coarse is None else (coarse[0][query], coarse[1][query])
        while len(query):
            sims, ids = search(batch_vectors[rows_q], k, lists, rows_q)
            saturated = (sims[:, -1] >= threshold) & (ids[:, -1] >= 0)
            done = ~saturated if k < min(params.max_k, n) else np.ones(len(query), dtype=bool)
            keep = (sims >= threshold) & (ids >= 0) & (ids != query[:, None]) & done[:, None]
            q, j = np.nonzero(keep)
            lefts.append(query[q])
            rights.append(ids[q, j])
            scores.append(sims[q, j])
            query, rows_q, k = query[~done], rows_q[~done], min(k * 4, params.max_k, n)
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


class _Search:
    """``index.search``; for an IVF index the rows' lists are found once (:meth:`assign`) and reused when a
    row is asked again with a larger k."""

    def __init__(self, index: faiss.Index) -> None:
        self.index: Any = index
        self.ivf = isinstance(index, faiss.IndexIVF)

    def assign(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.ivf:
            return None
        dist, lists = self.index.quantizer.search(x, self.index.nprobe)
        return lists, dist

    def __call__(
        self, x: np.ndarray, k: int, coarse: tuple[np.ndarray, np.ndarray] | None, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if coarse is None:
            sims, ids = self.index.search(x, k)
        else:
            sims, ids = self.index.search_preassigned(x, k, coarse[0][rows], coarse[1][rows])
        return sims, ids


def exact_scores(vectors: np.ndarray, left: np.ndarray, right: np.ndarray, chunk: int = 8_192) -> np.ndarray:
    """The cosine of each pair of rows, each a dot product of its own (the same value whatever other pairs
    are scored with it); ``chunk`` pairs at a time, so memory stays ``chunk`` x dim. (8,192: two 12.6 MB
    gathers a chunk that the allocator reuses; chunks of 65,536 took 1.75 instead of 0.95 CPU-s for 1.4M
    pairs — each chunk's fresh 100 MB gathers were page-faulted in anew.)"""
    out = np.empty(len(left), dtype=np.float32)
    for lo in range(0, len(left), chunk):
        a, b = vectors[left[lo : lo + chunk]], vectors[right[lo : lo + chunk]]
        out[lo : lo + chunk] = np.einsum("ij,ij->i", a, b)
    return out


def unique_pairs(
    left: np.ndarray, right: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unordered pair once as (a < b), keeping its highest score; sorted by (a, b).

    Rows are non-negative ids, so (a, b) is one int64 key a·(max b + 1) + b: one sort of the keys and a
    maximum over each run of equal keys (a third of the CPU time of a three-key lexsort: 0.69 vs 1.98 s for
    2.8M pairs, the same output)."""
    a, b = np.minimum(left, right), np.maximum(left, right)
    if len(a) == 0:
        return a, b, score
    if int(a.min()) < 0:
        raise ValueError("unique_pairs: row ids must be >= 0")
    key = a.astype(np.int64) * (int(b.max()) + 1) + b.astype(np.int64)
    order = np.argsort(key)
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    return a[order[starts]], b[order[starts]], np.maximum.reduceat(score[order], starts)


_JOIN_ROWS = 4_096  # rows of one list's queries multiplied at a time (4,096 x a list of ~512: 8 MB of scores)


def list_join_pairs(
    vectors: np.ndarray,
    threshold: float,
    params: IndexParams = IndexParams(),
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`neighbour_pairs` of every row of an index of ``vectors`` (:func:`build_index`), without one.

    The same lists (:func:`ivf_lists`, the same k-means) and the same probes: a row is searched in its
    ``nprobe`` nearest lists. But instead of each row scanning its lists' 8-bit codes for its k nearest, each
    list's members are multiplied with all the rows that probe it, in float32 (one matrix product a list,
    at BLAS speed), and every product from the threshold (less :data:`SEARCH_MARGIN`) is a candidate,
    re-scored on its own (:func:`exact_scores`). The pairs are those the index finds, less none that an
    8-bit score or a cap on k would have cut; no list codes are kept (memory: the lists of each row).
    Up to ``exact_max`` vectors: the flat index, as :func:`neighbour_pairs`.
    """
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [-1, 1], got {threshold}")
    mapped, vectors = vectors, _check(vectors)
    n, dim = vectors.shape
    if n <= params.exact_max:
        return neighbour_pairs(build_index(vectors, params), vectors, threshold, params, progress)
    nlist = min(ivf_lists(n, params), n)
    trained, _ = _trained(vectors, nlist, replace(params, quantised=False))  # holds the centroids
    centroids = trained.quantizer
    nprobe = ivf_probes(n, nlist, params)
    lists = np.empty((n, nprobe), dtype=np.int32)
    for start in range(0, n, _ADD_CHUNK):
        chunk = np.ascontiguousarray(vectors[start : start + _ADD_CHUNK])
        lists[start : start + _ADD_CHUNK] = centroids.search(chunk, nprobe)[1]
        release_pages(mapped)
    log.info("list join: %d vectors, nlist=%d, nprobe=%d", n, nlist, nprobe)
    members = np.argsort(lists[:, 0], kind="stable")  # rows by their own list
    member_bounds = np.searchsorted(lists[members, 0], np.arange(nlist + 1))
    probes = np.argsort(lists.ravel(), kind="stable")  # (row, probe) entries by the list probed
    probe_bounds = np.searchsorted(lists.ravel()[probes], np.arange(nlist + 1))
    queries = (probes // nprobe).astype(np.int64)
    del lists, probes, centroids, trained
    floor, threshold = threshold, threshold - SEARCH_MARGIN
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for list_no in range(nlist):
        held = members[member_bounds[list_no] : member_bounds[list_no + 1]]
        asking = queries[probe_bounds[list_no] : probe_bounds[list_no + 1]]
        if len(held) == 0 or len(asking) == 0:
            continue
        held_vectors = vectors[held].T
        for lo in range(0, len(asking), _JOIN_ROWS):
            rows = asking[lo : lo + _JOIN_ROWS]
            q, j = np.nonzero(vectors[rows] @ held_vectors >= threshold)
            keep = rows[q] != held[j]
            lefts.append(rows[q][keep])
            rights.append(held[j][keep])
        if list_no % 64 == 63:
            release_pages(mapped)
            if progress:
                progress(list_no + 1, nlist)
    left, right, _ = unique_pairs(
        np.concatenate(lefts), np.concatenate(rights), np.zeros(sum(len(x) for x in lefts), np.float32)
    )
    score = np.minimum(exact_scores(vectors, left, right), 1.0)
    keep = score >= floor
    return left[keep], right[keep], score[keep]
