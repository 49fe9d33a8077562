"""The tools people use today for near-duplicate and topic grouping, as plain functions to compare against.

- ``minhash_lsh_clusters``: datasketch MinHash + MinHashLSH over character or word shingles, union-find over
  LSH candidate pairs whose estimated Jaccard passes the threshold (the text-dedup recipe, with the
  candidate check that text-dedup leaves optional).
- ``community_detection_clusters``: sentence-transformers' ``util.community_detection`` (greedy,
  centre-based).
- ``connected_components_clusters``: FAISS exact inner-product kNN, keep edges with cosine >= threshold,
  connected components (scipy) — the simplest graph recipe, which chains.

All are deterministic: MinHash permutations come from ``seed``, the others have no randomness.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = [
    "community_detection_clusters",
    "connected_components_clusters",
    "minhash_jaccard",
    "minhash_lsh_clusters",
    "shingles",
]

Unit = Literal["char", "word"]
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")


def shingles(text: str, size: int = 5, unit: Unit = "char") -> set[bytes]:
    """Lower-cased shingles: character n-grams over whitespace-collapsed text, or word n-grams.

    A text shorter than one shingle gives a single shingle of the whole text; an empty text gives none.
    """
    if size < 1:
        raise ValueError(f"shingle size must be at least 1, got {size}")
    if unit == "char":
        clean = _SPACE.sub(" ", text.lower()).strip()
        grams: Iterable[str] = (clean[i : i + size] for i in range(max(1, len(clean) - size + 1)))
    elif unit == "word":
        words = _WORD.findall(text.lower())
        grams = (" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1)))
    else:
        raise ValueError(f"unit must be 'char' or 'word', got {unit!r}")
    return {gram.encode("utf-8") for gram in grams if gram}


def _check_jaccard_args(threshold: float, num_perm: int) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if num_perm < 2:
        raise ValueError(f"num_perm must be at least 2, got {num_perm}")


def _minhashes(sets: Sequence[set[bytes]], num_perm: int, seed: int) -> list:
    from datasketch import MinHash

    return MinHash.bulk([sorted(grams) for grams in sets], num_perm=num_perm, seed=seed)


def minhash_jaccard(
    text1: str, text2: str, num_perm: int = 128, shingle: int = 5, unit: Unit = "char", seed: int = 1
) -> float:
    """MinHash estimate of the Jaccard similarity of two texts' shingle sets (0.0 if either is empty)."""
    _check_jaccard_args(1.0, num_perm)
    sets = [shingles(text1, shingle, unit), shingles(text2, shingle, unit)]
    if not sets[0] or not sets[1]:
        return 0.0
    first, second = _minhashes(sets, num_perm, seed)
    return float(first.jaccard(second))


def _find(parent: np.ndarray, item: int) -> int:
    root = item
    while parent[root] != root:
        root = parent[root]
    while parent[item] != root:  # path compression
        parent[item], item = root, parent[item]
    return root


def _dense(labels: np.ndarray) -> np.ndarray:
    """Relabel to 0..k-1 in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.ravel()]


def minhash_lsh_clusters(
    texts: Sequence[str],
    threshold: float = 0.8,
    num_perm: int = 128,
    shingle: int = 5,
    unit: Unit = "char",
    seed: int = 1,
) -> np.ndarray:
    """Cluster labels (0..k-1, by first appearance) from MinHash LSH near-duplicate detection.

    Texts with no shingles (empty or whitespace) stay singletons.
    """
    from datasketch import MinHashLSH

    _check_jaccard_args(threshold, num_perm)
    sets = [shingles(text, shingle, unit) for text in texts]
    hashes = _minhashes(sets, num_perm, seed)
    present = [i for i, grams in enumerate(sets) if grams]
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for i in present:
        lsh.insert(i, hashes[i])
    parent = np.arange(len(sets))
    for i in present:
        for j in sorted(lsh.query(hashes[i])):
            if j > i and hashes[i].jaccard(hashes[j]) >= threshold:
                root_i, root_j = _find(parent, i), _find(parent, j)
                if root_i != root_j:
                    parent[max(root_i, root_j)] = min(root_i, root_j)
    return _dense(np.array([_find(parent, i) for i in range(len(sets))], dtype=np.int64))


def _unit_rows(embeddings: np.ndarray) -> np.ndarray:
    matrix = np.asarray(embeddings, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise ValueError(f"embeddings must be a non-empty 2-D array, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("embeddings must be finite")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


def _check_cosine(threshold: float) -> None:
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"cosine threshold must be in [-1, 1], got {threshold}")


def community_detection_clusters(
    embeddings: np.ndarray, threshold: float = 0.75, min_community_size: int = 1, batch_size: int = 1024
) -> np.ndarray:
    """Labels from ``sentence_transformers.util.community_detection``; items in no community are singletons.

    Communities are numbered in the order the library returns them (largest first), then singletons.
    """
    import torch
    from sentence_transformers import util

    _check_cosine(threshold)
    if min_community_size < 1:
        raise ValueError(f"min_community_size must be at least 1, got {min_community_size}")
    matrix = _unit_rows(embeddings)
    communities = util.community_detection(
        torch.from_numpy(matrix),
        threshold=threshold,
        min_community_size=min_community_size,
        batch_size=batch_size,
    )
    labels = np.full(matrix.shape[0], -1, dtype=np.int64)
    for label, members in enumerate(communities):
        labels[np.asarray(members, dtype=np.int64)] = label
    unassigned = np.flatnonzero(labels < 0)
    labels[unassigned] = len(communities) + np.arange(unassigned.size)
    return labels


def connected_components_clusters(embeddings: np.ndarray, threshold: float = 0.75, k: int = 10) -> np.ndarray:
    """Labels of the connected components of the kNN graph (each item's ``k`` nearest others by cosine),
    keeping only edges with cosine >= ``threshold``. Exact search (``faiss.IndexFlatIP``)."""
    import faiss

    _check_cosine(threshold)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    matrix = _unit_rows(embeddings)
    count = matrix.shape[0]
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    similarity, neighbours = index.search(matrix, min(k + 1, count))  # +1: an item finds itself
    rows = np.repeat(np.arange(count), neighbours.shape[1])
    cols, sims = neighbours.ravel(), similarity.ravel()
    keep = (cols >= 0) & (cols != rows) & (sims >= threshold)
    graph = sparse.coo_matrix(
        (np.ones(int(keep.sum()), dtype=np.int8), (rows[keep], cols[keep])), (count, count)
    )
    _, labels = connected_components(graph, directed=False)
    return _dense(labels.astype(np.int64))
