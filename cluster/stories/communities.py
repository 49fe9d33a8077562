"""Cutting the article graph into stories: average linkage on a sparse graph (default), or Leiden
communities (modularity or CPM)."""

from __future__ import annotations

import logging

import igraph as ig
import leidenalg
import numpy as np
import polars as pl

from cluster.stories.params import EDGE_SCHEMA, _check_edges, _check_n_docs

logger = logging.getLogger(__name__)


def _first_appearance(labels: np.ndarray) -> np.ndarray:
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse].astype(np.int64)


_QUALITIES = {
    "modularity": leidenalg.RBConfigurationVertexPartition,
    "cpm": leidenalg.CPMVertexPartition,
}


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
    a = edges["doc_a"].to_numpy()
    b = edges["doc_b"].to_numpy()
    w = edges["weight"].cast(pl.Float64).to_numpy()
    graph = ig.Graph(n=n_docs, edges=np.column_stack([a, b]).tolist(), directed=False)
    graph.es["weight"] = w.tolist()
    if edges.height == 0:
        return np.arange(n_docs, dtype=np.int64)
    partition = leidenalg.find_partition(
        graph,
        _QUALITIES[quality],
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

