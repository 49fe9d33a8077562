"""The article graph: kNN candidates, shared passages, paragraph-match scores (Leiden method) and event
edges weighing lead-vector cosine against corpus TF-IDF evidence (default method)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import faiss
import numpy as np
import polars as pl
from scipy import sparse
from threadpoolctl import threadpool_limits

from cluster.index import IndexParams, build_index_assigned, exact_scores
from cluster.stories.params import (
    _REQUIRED_COLUMNS,
    EDGE_SCHEMA,
    StoryParams,
    _check_doc_ids,
    _check_k_threshold,
    _check_paragraphs,
    _check_vec_rows,
)
from cluster.stories.vectors import article_texts, article_vectors, lexical_scores, lexical_vectors

logger = logging.getLogger(__name__)


# Above ``exact_max`` articles the k nearest come from an IVF index (recall and story ARI against the exact
# search: benchmarks/README.md, "Scale and memory"); up to it from an exact one, as before.
KNN_INDEX = IndexParams(  # lists of ~256 articles at any n, 16 probes (as measured); 8-bit lists, re-ranked
    exact_max=20_000, list_size=256, sqrt_lists=0, nprobe=16, scan_min=0, quantised=True
)
# An 8-bit index's order is its decoded vectors' (each inner product off by at most ~0.005 on lead vectors):
# this many times k candidates come from it, and the k with the highest exact cosines are kept.
KNN_WIDEN = 2


def knn_edges(
    doc_vectors: np.ndarray, *, k: int, threshold: float, index: IndexParams = KNN_INDEX
) -> pl.DataFrame:
    """Article pairs among each article's ``k`` nearest neighbours with cosine >= threshold.

    Exact (flat) search up to ``index.exact_max`` live articles; above it an IVF index, each candidate's
    cosine recomputed on its own (:func:`cluster.index.exact_scores`), so a pair's weight never depends on
    FAISS's batching or threads.
    """
    _check_k_threshold(k, threshold)
    if not isinstance(doc_vectors, np.ndarray) or doc_vectors.ndim != 2:
        raise ValueError(
            f"doc_vectors must be a 2-D numpy array, got shape {getattr(doc_vectors, 'shape', None)}"
        )
    n, d = doc_vectors.shape
    live = np.flatnonzero(np.linalg.norm(doc_vectors, axis=1) > 0)
    if live.size < 2:
        return pl.DataFrame(schema=EDGE_SCHEMA)
    x = np.ascontiguousarray(doc_vectors[live], dtype=np.float32)
    kk = min(k + 1, live.size)
    if live.size <= index.exact_max:
        flat = faiss.IndexFlatIP(d)
        flat.add(x)
        sims, nbrs = flat.search(x, kk)
    else:
        sims, nbrs = approximate_knn(x, kk, index)
    src = np.repeat(live, kk)
    valid = nbrs.ravel() >= 0
    dst = np.full(src.shape, -1, dtype=np.int64)
    dst[valid] = live[nbrs.ravel()[valid]]
    sim = sims.ravel().astype(np.float64)
    keep = valid & (dst != src) & (sim >= threshold)
    a, b, s = src[keep], dst[keep], sim[keep]
    return (
        pl.DataFrame(
            {"doc_a": np.minimum(a, b), "doc_b": np.maximum(a, b), "weight": s},
            schema=EDGE_SCHEMA,
        )
        .group_by("doc_a", "doc_b")
        .agg(pl.col("weight").max())
        .sort("doc_a", "doc_b")
    )


def approximate_knn(x: np.ndarray, k: int, params: IndexParams) -> tuple[np.ndarray, np.ndarray]:
    """(cosines, ids) of each row's ``k`` nearest rows of ``x`` by an IVF index (:func:`build_index_assigned`),
    the cosines exact, best first (ties: the lower id); ids -1 (cosine -inf) where the probed lists held fewer
    than ``k``. Quantised lists: ``KNN_WIDEN``·k candidates each, re-ranked on their exact cosines. (8-bit lists
    scan a quarter of the bytes of float ones: at 97,080 lead vectors the search took 41.2 CPU-s on floats.)"""
    ivf: Any
    ivf, coarse = build_index_assigned(x, replace(params, exact_max=0))
    assert coarse is not None
    wide = min(k * KNN_WIDEN if params.quantised else k, x.shape[0])
    sims = np.empty((x.shape[0], k), dtype=np.float32)
    nbrs = np.empty((x.shape[0], k), dtype=np.int64)
    for lo in range(0, x.shape[0], params.batch):
        hi = min(lo + params.batch, x.shape[0])
        _, found = ivf.search_preassigned(x[lo:hi], wide, coarse[0][lo:hi], coarse[1][lo:hi])
        rows = np.repeat(np.arange(lo, hi), wide)
        ok = found.ravel() >= 0
        exact = np.full(rows.size, -np.inf, dtype=np.float32)
        exact[ok] = exact_scores(x, rows[ok], found.ravel()[ok])
        exact = exact.reshape(found.shape)
        found = np.where(found >= 0, found, np.iinfo(np.int64).max)  # empty slots last among equal -inf
        order = _best(exact, found, k)
        sims[lo:hi] = np.take_along_axis(exact, order, axis=1)
        nbrs[lo:hi] = np.take_along_axis(np.where(found == np.iinfo(np.int64).max, -1, found), order, axis=1)
    del ivf
    return sims, nbrs


def _best(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Per row, the column order of the ``k`` highest ``scores``, ties broken by the lower id."""
    order = np.argsort(ids, axis=1, kind="stable")
    order = np.take_along_axis(order, np.argsort(-np.take_along_axis(scores, order, axis=1), axis=1, kind="stable"), 1)
    return order[:, :k]


def passage_edges(
    paragraphs: pl.DataFrame, *, min_share: float = 0.0, max_docs_per_passage: int = 50
) -> pl.DataFrame:
    """Article pairs that share near-duplicate passages.

    The weight is the share of the shorter article's non-boilerplate text that the two
    have in common: ``sum over shared passages of min(chars in a, chars in b) /
    min(total chars a, total chars b)``, in (0, 1]. Passages held by more than
    ``max_docs_per_passage`` articles are skipped (they are boilerplate in all but name,
    and would cost a quadratic join).
    """
    _check_paragraphs(paragraphs, _REQUIRED_COLUMNS)
    if max_docs_per_passage < 2:
        raise ValueError(f"max_docs_per_passage must be >= 2, got {max_docs_per_passage}")
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must lie in [0, 1], got {min_share}")
    usable = paragraphs.filter(
        pl.col("passage_id").is_not_null() & ~pl.col("is_boilerplate").fill_null(False)
    ).select(
        pl.col("doc_id").cast(pl.Int64),
        pl.col("passage_id").cast(pl.Int64),
        pl.col("n_chars").cast(pl.Float64).fill_null(0.0).clip(lower_bound=1.0).alias("chars"),
    )
    if usable.height == 0:
        return pl.DataFrame(schema=EDGE_SCHEMA)
    totals = usable.group_by("doc_id").agg(pl.col("chars").sum().alias("total"))
    per = usable.group_by("passage_id", "doc_id").agg(pl.col("chars").sum())
    spread = per.group_by("passage_id").agg(pl.len().alias("n"))
    n_skipped = spread.filter(pl.col("n") > max_docs_per_passage).height
    if n_skipped:
        logger.info("skipping %d passages held by more than %d articles", n_skipped, max_docs_per_passage)
    per = per.join(
        spread.filter((pl.col("n") >= 2) & (pl.col("n") <= max_docs_per_passage)).select("passage_id"),
        on="passage_id",
    )
    pairs = (
        per.join(per, on="passage_id", suffix="_b")
        .filter(pl.col("doc_id") < pl.col("doc_id_b"))
        .group_by(pl.col("doc_id").alias("doc_a"), pl.col("doc_id_b").alias("doc_b"))
        .agg(pl.min_horizontal("chars", "chars_b").sum().alias("shared"))
    )
    if pairs.height == 0:
        return pl.DataFrame(schema=EDGE_SCHEMA)
    pairs = (
        pairs.join(totals.rename({"doc_id": "doc_a", "total": "ta"}), on="doc_a")
        .join(totals.rename({"doc_id": "doc_b", "total": "tb"}), on="doc_b")
        .select(
            "doc_a",
            "doc_b",
            (pl.col("shared") / pl.min_horizontal("ta", "tb")).clip(upper_bound=1.0).alias("weight"),
        )
        .filter(pl.col("weight") >= min_share)
        .sort("doc_a", "doc_b")
    )
    return pairs.cast(EDGE_SCHEMA)  # type: ignore[arg-type]


def _usable_paragraphs(paragraphs: pl.DataFrame) -> pl.DataFrame:
    return (
        paragraphs.filter(pl.col("vec_row").is_not_null() & ~pl.col("is_boilerplate").fill_null(False))
        .select(
            pl.col("doc_id").cast(pl.Int64),
            pl.col("vec_row").cast(pl.Int64),
            pl.col("n_chars").cast(pl.Float64).fill_null(0.0).clip(lower_bound=1.0).alias("w"),
        )
        .sort("doc_id", maintain_order=True)
    )


_MATCH_BLOCK = 1 << 22  # max similarity entries computed at once in paragraph_match


def paragraph_match(
    vectors: np.ndarray, paragraphs: pl.DataFrame, doc_a: np.ndarray, doc_b: np.ndarray
) -> np.ndarray:
    """Paragraph-level similarity of article pairs (a symmetric, length-weighted Chamfer score).

    For a pair (a, b): every paragraph of a is matched to its most similar paragraph of b
    and the cosines are averaged weighted by paragraph length; the same from b to a; the
    score is the mean of both directions, in [-1, 1]. Unlike the cosine of mean vectors it
    rewards articles that retell the same facts paragraph by paragraph and is not diluted
    by background paragraphs. Pairs where an article has no usable paragraph score 0.
    Cost: one (p_a × Σp_b) product per article, computed in blocks; never n×n.
    """
    _check_paragraphs(paragraphs, ("doc_id", "vec_row", "is_boilerplate", "n_chars"))
    doc_a = np.asarray(doc_a, dtype=np.int64)
    doc_b = np.asarray(doc_b, dtype=np.int64)
    if doc_a.shape != doc_b.shape or doc_a.ndim != 1:
        raise ValueError(f"doc_a and doc_b must be 1-D of equal length, got {doc_a.shape} and {doc_b.shape}")
    out = np.zeros(doc_a.size, dtype=np.float64)
    usable = _usable_paragraphs(paragraphs)
    if doc_a.size == 0 or usable.height == 0:
        return out
    docs = usable["doc_id"].to_numpy()
    rows = usable["vec_row"].to_numpy()
    _check_vec_rows(rows, vectors.shape[0])
    weights = usable["w"].to_numpy()
    n_docs = int(max(docs.max(), doc_a.max(), doc_b.max())) + 1
    starts = np.searchsorted(docs, np.arange(n_docs), side="left")
    ends = np.searchsorted(docs, np.arange(n_docs), side="right")
    sizes = ends - starts
    live = np.flatnonzero((sizes[doc_a] > 0) & (sizes[doc_b] > 0))
    order = live[np.argsort(doc_a[live], kind="stable")]
    bounds = np.flatnonzero(np.diff(doc_a[order])) + 1
    # thousands of tiny products: one BLAS thread each is far faster than a thread pool per product
    with threadpool_limits(1, "blas"):
        _match_groups(np.split(order, bounds), doc_a, doc_b, vectors, rows, weights, starts, ends, sizes, out)
    return out


def _match_groups(
    groups: list[np.ndarray],
    doc_a: np.ndarray,
    doc_b: np.ndarray,
    vectors: np.ndarray,
    rows: np.ndarray,
    weights: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    sizes: np.ndarray,
    out: np.ndarray,
) -> None:
    for group in groups:
        if group.size == 0:
            continue
        a = int(doc_a[group[0]])
        a_rows = slice(starts[a], ends[a])
        mat_a = vectors[rows[a_rows]]
        w_a = weights[a_rows]
        # split partners into blocks so one product stays below _MATCH_BLOCK entries
        b_sizes = sizes[doc_b[group]]
        per_block = max(1, _MATCH_BLOCK // max(1, mat_a.shape[0]))
        block_id = np.cumsum(b_sizes) // per_block
        for block in np.split(group, np.flatnonzero(np.diff(block_id)) + 1):
            bs = doc_b[block]
            idx = np.concatenate([np.arange(starts[b], ends[b]) for b in bs])
            seg = np.concatenate([[0], np.cumsum(sizes[bs])[:-1]])
            sims = mat_a @ vectors[rows[idx]].T
            w_b = weights[idx]
            b_to_a = np.add.reduceat(sims.max(axis=0) * w_b, seg) / np.add.reduceat(w_b, seg)
            a_to_b = (w_a @ np.maximum.reduceat(sims, seg, axis=1)) / w_a.sum()
            out[block] = 0.5 * (a_to_b + b_to_a)


def story_edges(
    doc_vectors: np.ndarray,
    paragraphs: pl.DataFrame,
    *,
    k: int,
    threshold: float,
    vectors: np.ndarray | None = None,
    passage_weight: float = 0.5,
    min_passage_share: float = 0.0,
    max_docs_per_passage: int = 50,
    scored: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Weighted article graph: kNN similarity edges plus shared-passage edges.

    Candidates are each article's ``k`` nearest neighbours by article-vector cosine
    (FAISS inner product). With ``vectors`` (the paragraph vectors) each candidate is
    scored by :func:`paragraph_match`, otherwise by the article cosine; pairs scoring at
    least ``threshold`` become edges weighted by their score. Pairs sharing passages get
    ``passage_weight`` times their passage share (see :func:`passage_edges`) added.
    ``scored``: the candidates already scored (:func:`scored_candidates`, e.g. kept in a :class:`StoryWork`).
    Returns ``doc_a < doc_b``, one row per pair, sorted.
    """
    _check_k_threshold(k, threshold)
    if passage_weight < 0:
        raise ValueError(f"passage_weight must be >= 0, got {passage_weight}")
    _check_paragraphs(paragraphs, _REQUIRED_COLUMNS)
    if not isinstance(doc_vectors, np.ndarray) or doc_vectors.ndim != 2:
        raise ValueError(
            f"doc_vectors must be a 2-D numpy array, got shape {getattr(doc_vectors, 'shape', None)}"
        )
    _check_doc_ids(paragraphs, doc_vectors.shape[0])
    if vectors is None:
        knn = knn_edges(doc_vectors, k=k, threshold=threshold)
    else:
        if (
            not isinstance(vectors, np.ndarray)
            or vectors.ndim != 2
            or vectors.shape[1] != doc_vectors.shape[1]
        ):
            raise ValueError(
                f"vectors must be a 2-D numpy array with {doc_vectors.shape[1]} columns like doc_vectors, "
                f"got shape {getattr(vectors, 'shape', None)}"
            )
        if scored is None:
            scored, _ = scored_candidates(doc_vectors, paragraphs, vectors, k=k)
        knn = scored.select("doc_a", "doc_b", pl.col("score").alias("weight")).filter(pl.col("weight") >= threshold)
    edges = with_passage_edges(knn, paragraphs, passage_weight, min_passage_share, max_docs_per_passage)
    logger.debug("story graph: %d similarity edges, %d edges in all", knn.height, edges.height)
    return edges


def scored_candidates(
    doc_vectors: np.ndarray,
    paragraphs: pl.DataFrame,
    vectors: np.ndarray,
    *,
    k: int,
    known: pl.DataFrame | None = None,
    dirty: np.ndarray | None = None,
) -> tuple[pl.DataFrame, int]:
    """Each article's ``k`` nearest by article cosine, scored by :func:`paragraph_match` (``STORY_SCORES``),
    and how many were scored.

    A score in ``known`` is reused for a pair of which neither article is in ``dirty`` (articles whose
    content changed since ``known`` was scored); every other candidate is scored.
    """
    cand = knn_edges(doc_vectors, k=k, threshold=-1.0).select("doc_a", "doc_b")
    if known is None:
        todo = np.ones(cand.height, dtype=bool)
        score = np.zeros(cand.height, dtype=np.float64)
    else:
        changed = pl.Series(np.asarray(dirty if dirty is not None else [], dtype=np.int64)).implode()
        cand = cand.join(known, on=["doc_a", "doc_b"], how="left").with_columns(
            pl.when(pl.col("doc_a").is_in(changed) | pl.col("doc_b").is_in(changed))
            .then(None)
            .otherwise(pl.col("score"))
            .alias("score")
        )
        todo = cand["score"].is_null().to_numpy()
        score = cand["score"].fill_null(0.0).to_numpy().copy()
    if todo.any():
        a = cand["doc_a"].to_numpy()[todo]
        b = cand["doc_b"].to_numpy()[todo]
        score[todo] = paragraph_match(vectors, paragraphs, a, b)
    return cand.select("doc_a", "doc_b").with_columns(pl.Series("score", score, dtype=pl.Float64)), int(todo.sum())


def with_passage_edges(
    knn: pl.DataFrame,
    paragraphs: pl.DataFrame,
    passage_weight: float,
    min_passage_share: float,
    max_docs_per_passage: int,
) -> pl.DataFrame:
    """Similarity edges plus shared-passage edges (weighted by ``passage_weight``), summed per article pair."""
    parts = [knn.select("doc_a", "doc_b", "weight")]
    if passage_weight > 0:
        shared = passage_edges(
            paragraphs, min_share=min_passage_share, max_docs_per_passage=max_docs_per_passage
        ).with_columns(pl.col("weight") * passage_weight)
        parts.append(shared)
    edges = (
        pl.concat(parts)
        .group_by("doc_a", "doc_b")
        .agg(pl.col("weight").sum())
        .filter(pl.col("weight") > 0)
        .sort("doc_a", "doc_b")
    )
    return edges.cast(EDGE_SCHEMA)  # type: ignore[arg-type]


def event_edges(
    doc_vectors: np.ndarray, paragraphs: pl.DataFrame, lexical: sparse.csr_matrix | None, params: StoryParams
) -> pl.DataFrame:
    """Weighted article pairs for :func:`average_linkage`: each article's ``params.k`` nearest neighbours by
    lead-vector cosine, plus pairs sharing passages (:func:`passage_edges`); weight
    ``(1 - w) * cosine + w * lexical`` with ``w = params.lexical_weight`` (the cosine alone when
    ``lexical`` is ``None``). Pairs with a lexical score below ``params.min_lexical`` that share no passage
    are dropped. Returns ``doc_a < doc_b``, one row per pair, sorted."""
    _check_k_threshold(params.k, 0.0)
    cand = knn_edges(doc_vectors, k=params.k, threshold=-1.0).rename({"weight": "cosine"})
    shared = passage_edges(paragraphs, max_docs_per_passage=params.max_docs_per_passage).rename(
        {"weight": "share"}
    )
    pairs = cand.join(shared, on=["doc_a", "doc_b"], how="full", coalesce=True).sort("doc_a", "doc_b")
    a, b = pairs["doc_a"].to_numpy(), pairs["doc_b"].to_numpy()
    cosine = pairs["cosine"].to_numpy()
    missing = np.isnan(cosine) if pairs.height else np.zeros(0, dtype=bool)
    if missing.any():  # passage pairs outside the kNN lists
        cosine = cosine.copy()
        cosine[missing] = np.einsum("ij,ij->i", doc_vectors[a[missing]], doc_vectors[b[missing]])
    share = pairs["share"].fill_null(0.0).to_numpy()
    if lexical is None:
        weight, keep = cosine, np.ones(a.size, dtype=bool)
    else:
        lex = lexical_scores(lexical, a, b)
        weight = (1.0 - params.lexical_weight) * cosine + params.lexical_weight * lex
        keep = (lex >= params.min_lexical) | (share > 0)
    keep &= weight > 0
    return pl.DataFrame(
        {"doc_a": a[keep], "doc_b": b[keep], "weight": weight[keep].astype(np.float64)}, schema=EDGE_SCHEMA
    )


def event_evidence(
    vectors: np.ndarray,
    paragraphs: pl.DataFrame,
    n_docs: int,
    params: StoryParams,
    doc_vectors: np.ndarray | None = None,
) -> tuple[np.ndarray, sparse.csr_matrix | None]:
    """What the default method reads of each article: its lead vector (``doc_vectors`` when already computed)
    and its corpus TF-IDF row (``None`` when ``paragraphs`` has no ``text`` column)."""
    docs = article_vectors(vectors, paragraphs, n_docs, params.lead_chars) if doc_vectors is None else doc_vectors
    texts = article_texts(paragraphs, n_docs)
    return docs, (lexical_vectors(texts) if texts is not None else None)


def event_graph(
    vectors: np.ndarray,
    paragraphs: pl.DataFrame,
    n_docs: int,
    params: StoryParams,
    doc_vectors: np.ndarray | None = None,
) -> pl.DataFrame:
    """The edges :func:`build_stories` clusters by default: :func:`event_evidence`, then :func:`event_edges`."""
    docs, lexical = event_evidence(vectors, paragraphs, n_docs, params, doc_vectors)
    return event_edges(docs, paragraphs, lexical, params)
