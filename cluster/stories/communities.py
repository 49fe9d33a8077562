"""Cutting the article graph into stories: average linkage on a sparse graph (default), or Leiden
communities (modularity or CPM)."""

from __future__ import annotations

import logging

import numpy as np
import polars as pl
from scipy import sparse

from cluster.stories.params import EDGE_SCHEMA, _check_edges, _check_n_docs

logger = logging.getLogger(__name__)


def _first_appearance(labels: np.ndarray) -> np.ndarray:
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse].astype(np.int64)


# Leiden qualities by name (leidenalg's partition classes). igraph and leidenalg are imported by
# cluster_stories alone: the default average linkage needs neither, and `import igraph` pulls in matplotlib
# (≈ 1 s of every run's start-up when it is installed).
_QUALITIES = {"modularity": "RBConfigurationVertexPartition", "cpm": "CPMVertexPartition"}


def cluster_stories(
    n_docs: int, edges: pl.DataFrame, *, resolution: float, seed: int = 0, quality: str = "modularity"
) -> np.ndarray:
    """Leiden communities of the weighted article graph.

    ``quality="modularity"`` (default) optimises weighted modularity (RBConfiguration);
    a higher ``resolution`` gives more, smaller stories. ``quality="cpm"`` uses the Constant
    Potts Model, where ``resolution`` is the mean internal edge weight a story must exceed.
    Labels are renumbered 0..n_stories-1 in order of first appearance; articles without
    edges are stories of their own. Deterministic for a fixed ``seed``.
    """
    _check_n_docs(n_docs)
    if resolution < 0:
        raise ValueError(f"resolution must be >= 0, got {resolution}")
    if quality not in _QUALITIES:
        raise ValueError(f"quality must be one of {sorted(_QUALITIES)}, got {quality!r}")
    missing = [c for c in EDGE_SCHEMA if c not in edges.columns]
    if missing:
        raise ValueError(f"edges is missing required column(s): {', '.join(missing)}")
    if n_docs == 0:
        return np.zeros(0, dtype=np.int64)
    _check_edges(n_docs, edges)
    import igraph as ig
    import leidenalg

    a = edges["doc_a"].to_numpy()
    b = edges["doc_b"].to_numpy()
    w = edges["weight"].cast(pl.Float64).to_numpy()
    graph = ig.Graph(n=n_docs, edges=np.column_stack([a, b]).tolist(), directed=False)
    graph.es["weight"] = w.tolist()
    if edges.height == 0:
        return np.arange(n_docs, dtype=np.int64)
    partition = leidenalg.find_partition(
        graph,
        getattr(leidenalg, _QUALITIES[quality]),
        weights="weight",
        resolution_parameter=float(resolution),
        n_iterations=-1,
        seed=int(seed),
    )
    return _first_appearance(np.asarray(partition.membership, dtype=np.int64))


def linkage_merges(n_docs: int, edges: pl.DataFrame, floor: float) -> list[tuple[int, int, float]]:
    """Average-linkage merges on a sparse graph, best first, down to ``floor``: ``(kept, absorbed, mean)``.

    The mean similarity of two groups is the sum of the edge weights between them over the product of their
    sizes (a pair without an edge counts 0), so every merge needs the groups to be alike as wholes. Merge
    heights never rise (average linkage has no inversions), so the labels at any ``resolution >= floor`` are
    the merges with ``mean >= resolution`` (:func:`cut_merges`). Ties break by the lower group ids:
    deterministic. Cost: a heap over the edges; never n×n.
    """
    import heapq

    a = edges["doc_a"].to_numpy()
    b = edges["doc_b"].to_numpy()
    w = edges["weight"].cast(pl.Float64).to_numpy()
    links: list[dict[int, float]] = [{} for _ in range(n_docs)]
    for x, y, v in zip(a.tolist(), b.tolist(), w.tolist(), strict=True):
        links[x][y] = links[x].get(y, 0.0) + v
        links[y][x] = links[y].get(x, 0.0) + v
    size = [1] * n_docs
    alive = [True] * n_docs
    heap = [(-v, x, y) for x, y, v in zip(a.tolist(), b.tolist(), w.tolist(), strict=True) if v >= floor]
    heapq.heapify(heap)
    merges: list[tuple[int, int, float]] = []
    while heap:
        neg, x, y = heapq.heappop(heap)
        if not (alive[x] and alive[y]):
            continue
        mean = links[x].get(y, 0.0) / (size[x] * size[y])
        if abs(mean + neg) > 1e-12:  # stale entry: a fresher one is in the heap
            continue
        alive[y] = False
        for z, v in links[y].items():
            if z == x:
                continue
            links[x][z] = links[x].get(z, 0.0) + v
            links[z][x] = links[x][z]
            del links[z][y]
        links[x].pop(y, None)
        links[y] = {}
        size[x] += size[y]
        merges.append((x, y, mean))
        for z, v in links[x].items():
            m = v / (size[x] * size[z])
            if m >= floor:
                heapq.heappush(heap, (-m, min(x, z), max(x, z)))
    return merges


def cut_merges(n_docs: int, merges: list[tuple[int, int, float]], resolution: float) -> np.ndarray:
    """Labels (0..n_stories-1 by first appearance) after the merges of :func:`linkage_merges` whose mean
    is at least ``resolution``."""
    parent = np.arange(n_docs, dtype=np.int64)
    for x, y, mean in merges:
        if mean < resolution:
            break
        parent[y] = x
    for i in range(n_docs):  # parents point to earlier merges' survivors: follow to the root
        root = i
        while parent[root] != root:
            root = parent[root]
        parent[i] = root
    return _first_appearance(parent) if n_docs else np.zeros(0, dtype=np.int64)


def average_linkage(n_docs: int, edges: pl.DataFrame, *, resolution: float) -> np.ndarray:
    """Story labels: average-linkage agglomerative clustering of the weighted article graph, merging while
    the mean weight between two groups (missing pairs count 0) is at least ``resolution``."""
    _check_n_docs(n_docs)
    _check_edges(n_docs, edges)
    if not np.isfinite(resolution) or resolution <= 0:
        raise ValueError(f"resolution must be > 0 for average linkage, got {resolution}")
    return cut_merges(n_docs, linkage_merges(n_docs, edges, resolution), resolution)



_JOIN_CHUNK = 4096  # candidate (article, story) pairs scored at once in join_orphans


def join_orphans(
    labels: np.ndarray,
    edges: pl.DataFrame,
    doc_vectors: np.ndarray,
    lexical: sparse.csr_matrix | None,
    *,
    lexical_weight: float,
    min_score: float,
) -> np.ndarray:
    """Labels where each article left a story of its own joins the story it is most like, if that is alike
    enough: a lone article that tells a story in other words (a short report, a debunking) has too few strong
    pairs for average linkage, which asks it to be alike to every member.

    Candidates are the stories of two or more articles that the article has an edge to (only pairs that passed
    the edge checks, so a join never rests on similarity alone); the score is
    ``(1 - lexical_weight) * cosine(lead vector, story's mean lead vector) + lexical_weight * cosine(TF-IDF
    row, story's mean TF-IDF row)`` (the vector cosine alone without ``lexical``). The article joins the best
    story when the score is at least ``min_score`` (above 1: never). Stories are judged as cut, before any
    join; labels are renumbered by first appearance. Cost: one pass over the edges."""
    labels = np.asarray(labels, dtype=np.int64)
    n = labels.size
    if n == 0 or edges.height == 0 or min_score > 1.0:
        return labels
    sizes = np.bincount(labels)
    a, b = edges["doc_a"].to_numpy(), edges["doc_b"].to_numpy()
    lone = sizes[labels] == 1
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    pick = lone[src] & ~lone[dst]
    if not pick.any():
        return labels
    cand = pl.DataFrame({"doc": src[pick], "story": labels[dst[pick]]}).unique().sort("doc", "story")
    doc, story = cand["doc"].to_numpy(), cand["story"].to_numpy()
    members = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(sizes.size, n))
    mean_vec = members @ doc_vectors.astype(np.float64)
    mean_vec /= np.maximum(np.linalg.norm(mean_vec, axis=1, keepdims=True), 1e-12)
    score = np.concatenate(  # chunked: each candidate gathers two rows
        [np.zeros(0)]
        + [
            np.einsum("ij,ij->i", doc_vectors[doc[lo : lo + _JOIN_CHUNK]].astype(np.float64),
                      mean_vec[story[lo : lo + _JOIN_CHUNK]])
            for lo in range(0, doc.size, _JOIN_CHUNK)
        ]
    )
    if lexical is not None:
        # mean TF-IDF rows of the candidate stories only (of every story they would hold ~ the whole matrix)
        wanted, row = np.unique(story, return_inverse=True)
        mean_lex = sparse.csr_matrix(members[wanted] @ lexical)
        norms = np.sqrt(np.asarray(mean_lex.multiply(mean_lex).sum(axis=1)).ravel())
        mean_lex = sparse.csr_matrix(sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ mean_lex)
        lex = np.concatenate(  # a chunk of candidates at a time: each gathers a story's (long) mean row
            [np.zeros(0)]
            + [
                np.asarray(lexical[doc[lo : lo + _JOIN_CHUNK]].multiply(mean_lex[row[lo : lo + _JOIN_CHUNK]])
                           .sum(axis=1)).ravel()
                for lo in range(0, doc.size, _JOIN_CHUNK)
            ]
        )
        score = (1.0 - lexical_weight) * score + lexical_weight * lex
    out = labels.copy()
    best = pl.DataFrame({"doc": doc, "story": story, "score": score}).sort(
        ["doc", "score", "story"], descending=[False, True, False]
    ).unique("doc", keep="first")
    for d, s, v in best.iter_rows():
        if v >= min_score:
            out[d] = s
    return _first_appearance(out)
