"""Story clusters: group articles that tell the same story — one story is one event or claim, not one topic.

The default method (``StoryParams.quality = "average"``) weighs what two articles *say* against how alike
the model finds them:

1. :func:`article_vectors` with ``lead_chars`` — one vector per article from its lead (the first
   ``lead_chars`` characters of content), where news states its event.
2. :func:`lexical_vectors` — TF-IDF rows of each article's content text with IDF computed on the corpus
   itself, so words every article of a topic uses ("Apple", "ISIS") weigh little and the event's own names,
   numbers and rare words weigh much.
3. :func:`event_edges` — candidate pairs from a FAISS kNN search over the lead vectors plus pairs sharing
   passages; weight ``(1 - lexical_weight) * cosine + lexical_weight * lexical``; a pair whose lexical
   score is below ``min_lexical`` (no event-specific words in common) and that shares no passage is no
   edge at all: a story never rests on similarity alone, which a model sees in any two texts of a
   language it does not know.
4. :func:`average_linkage` — agglomerative clustering on that sparse graph: two stories merge while the
   mean weight over all their article pairs (pairs without an edge count 0) is at least ``resolution``.
   No chaining: one strong pair cannot join two groups.

The earlier graph method (Leiden on paragraph-match scores) stays available with ``quality`` set to
``"modularity"`` or ``"cpm"``:

1. :func:`article_vectors` — one L2-normalised vector per article, the length-weighted
   mean of its non-boilerplate paragraph vectors.
2. :func:`story_edges` — candidate pairs from a FAISS inner-product kNN search over the
   article vectors, scored by paragraph-level matching (:func:`paragraph_match`) and kept
   at or above a threshold, combined with pairs of articles that share near-duplicate
   passages (``passage_id``).
3. :func:`cluster_stories` — Leiden community detection (weighted modularity by default,
   CPM optional) on the article graph, deterministic for a fixed seed.

:func:`build_stories` chains the three with the defaults in :class:`StoryParams`;
:func:`build_stories_kept` does the same from a :class:`StoryWork` kept by an earlier call (a living index),
redoing only the work of articles whose content paragraphs changed.
No step builds an n×n matrix: neighbours come from the index with ``k``, passage pairs
from a join on ``passage_id`` (passages held by very many articles are skipped).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import faiss
import igraph as ig
import leidenalg
import numpy as np
import polars as pl
from scipy import sparse
from threadpoolctl import threadpool_limits

from cluster.schemas import STORY_SCORES

logger = logging.getLogger(__name__)

EDGE_SCHEMA: dict[str, pl.DataType] = {
    "doc_a": pl.Int64(),
    "doc_b": pl.Int64(),
    "weight": pl.Float64(),
}

_REQUIRED_COLUMNS = ("doc_id", "vec_row", "is_boilerplate", "n_chars", "passage_id")


@dataclass(frozen=True)
class StoryParams:
    """Defaults for :func:`build_stories`, chosen by story-grouped 5-fold cross-validation on FNC-1's train
    half only (see benchmarks/bench_stories.py and benchmarks/README.md).

    ``resolution`` is the one granularity knob: with ``quality="average"`` (default) the least mean
    similarity of the article pairs of a story — higher gives more, smaller stories. ``k`` is the number of
    neighbours searched per article, ``lead_chars`` how much of each article's content its vector reads,
    ``lexical_weight`` the share of the TF-IDF score in a pair's weight and ``min_lexical`` the least
    TF-IDF score for a pair to count at all (unless it shares passages). ``threshold`` and ``passage_weight``
    only apply to the Leiden qualities ``"modularity"`` and ``"cpm"`` (the paragraph-match graph).
    """

    k: int = 40
    threshold: float = 0.5
    passage_weight: float = 0.5
    min_passage_share: float = 0.0
    max_docs_per_passage: int = 50
    quality: str = "average"
    resolution: float = 0.3
    seed: int = 0
    lead_chars: int = 1000
    lexical_weight: float = 0.7
    min_lexical: float = 0.05


def _check_paragraphs(paragraphs: pl.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in paragraphs.columns]
    if missing:
        raise ValueError(f"paragraphs is missing required column(s): {', '.join(missing)}")


def _check_n_docs(n_docs: int) -> None:
    if isinstance(n_docs, bool) or not isinstance(n_docs, int | np.integer) or n_docs < 0:
        raise ValueError(f"n_docs must be a non-negative int, got {n_docs!r}")


def _check_doc_ids(paragraphs: pl.DataFrame, n_docs: int) -> None:
    if paragraphs.height == 0:
        return
    ids = paragraphs["doc_id"]
    if ids.null_count() > 0:
        raise ValueError("paragraphs.doc_id must not contain nulls")
    lo, hi = int(ids.min()), int(ids.max())  # type: ignore[arg-type]
    if lo < 0 or hi >= n_docs:
        raise ValueError(f"paragraphs.doc_id must lie in [0, {n_docs}), found values in [{lo}, {hi}]")


def article_vectors(
    vectors: np.ndarray, paragraphs: pl.DataFrame, n_docs: int, lead_chars: int | None = None
) -> np.ndarray:
    """One L2-normalised float32 vector per article.

    The vector is the mean of the article's non-boilerplate paragraph vectors weighted
    by paragraph length (``n_chars``). Paragraphs with a null ``vec_row`` are ignored.
    With ``lead_chars`` only the first ``lead_chars`` characters of content count (paragraphs in order of
    ``position`` when the frame has it; one cut at the limit counts by the part before it): the lead,
    where an article says what happened. Articles without a usable paragraph get a zero vector.
    """
    if lead_chars is not None and (isinstance(lead_chars, bool) or int(lead_chars) < 1):
        raise ValueError(f"lead_chars must be an int >= 1 or None, got {lead_chars!r}")
    _check_n_docs(n_docs)
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D numpy array, got shape {getattr(vectors, 'shape', None)}")
    _check_paragraphs(paragraphs, ("doc_id", "vec_row", "is_boilerplate", "n_chars"))
    _check_doc_ids(paragraphs, n_docs)
    d = vectors.shape[1]
    usable = paragraphs.filter(
        pl.col("vec_row").is_not_null() & ~pl.col("is_boilerplate").fill_null(False)
    ).select(
        pl.col("doc_id").cast(pl.Int64),
        pl.col("vec_row").cast(pl.Int64),
        pl.col("n_chars").cast(pl.Float64).fill_null(0.0).clip(lower_bound=1.0).alias("w"),
        (pl.col("position") if "position" in paragraphs.columns else pl.int_range(pl.len())).alias("_pos"),
    )
    if lead_chars is not None:
        usable = (
            usable.sort("doc_id", "_pos")
            .with_columns(start=pl.col("w").cum_sum().over("doc_id") - pl.col("w"))
            .with_columns(w=pl.min_horizontal(pl.col("w"), pl.lit(float(lead_chars)) - pl.col("start")))
            .filter(pl.col("w") > 0)
        )
    out = np.zeros((n_docs, d), dtype=np.float64)
    if usable.height:
        rows = usable["vec_row"].to_numpy()
        if rows.min() < 0 or rows.max() >= vectors.shape[0]:
            raise ValueError(
                f"paragraphs.vec_row must lie in [0, {vectors.shape[0]}), "
                f"found values in [{rows.min()}, {rows.max()}]"
            )
        w = usable["w"].to_numpy()
        np.add.at(out, usable["doc_id"].to_numpy(), vectors[rows].astype(np.float64) * w[:, None])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    n_empty = int((norms[:, 0] == 0).sum())
    if n_empty:
        logger.info("%d of %d articles have no usable paragraph; they get a zero vector", n_empty, n_docs)
    return out.astype(np.float32)


def knn_edges(doc_vectors: np.ndarray, *, k: int, threshold: float) -> pl.DataFrame:
    """Article pairs among each article's ``k`` nearest neighbours with cosine >= threshold."""
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
    index = faiss.IndexFlatIP(d)
    index.add(x)
    kk = min(k + 1, live.size)
    sims, nbrs = index.search(x, kk)
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


def _check_k_threshold(k: int, threshold: float) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    if not -1.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must lie in [-1, 1], got {threshold!r}")


_MATCH_BLOCK = 1 << 22  # max similarity entries computed at once in paragraph_match


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
    if rows.min() < 0 or rows.max() >= vectors.shape[0]:
        raise ValueError(
            f"paragraphs.vec_row must lie in [0, {vectors.shape[0]}), "
            f"found values in [{rows.min()}, {rows.max()}]"
        )
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


def _first_appearance(labels: np.ndarray) -> np.ndarray:
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse].astype(np.int64)


def _check_edges(n_docs: int, edges: pl.DataFrame) -> None:
    missing = [c for c in EDGE_SCHEMA if c not in edges.columns]
    if missing:
        raise ValueError(f"edges is missing required column(s): {', '.join(missing)}")
    if edges.height == 0:
        return
    a = edges["doc_a"].to_numpy()
    b = edges["doc_b"].to_numpy()
    w = edges["weight"].cast(pl.Float64).to_numpy()
    if min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n_docs:
        raise ValueError(f"edge endpoints must lie in [0, {n_docs})")
    if np.any(a >= b):
        raise ValueError("edges must have doc_a < doc_b")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("edge weights must be finite and >= 0")


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


# ------------------------------------------------------------------ one story = one event (default)

# a word of three or more letters, or any token holding a digit (numbers, dates, "iPhone6")
_TOKEN = r"(?u)\b(?:\w*\d\w*|\w{3,})\b"
# function words of the languages an English model most often meets in scraped news: shared by any two
# articles in that language, they are no evidence that two articles tell the same event
_FOREIGN_STOP_WORDS = frozenset(
    """
    del los las por con una para como más pero sus le ya muy sin sobre este esta entre cuando también hasta
    desde todo nos durante uno les contra ese eso ante ellos esto antes algunos qué unos otro otras otra
    porque son han fue ser está hay sido tiene puede todos así nada cada tras según
    não uma com dos das mas foi ao ele isso ela entre era depois sem mesmo aos seus quem nas esse eles
    está você essa num nem suas meu às minha têm numa pelos elas qual nós lhe deles essas esses pelas
    este dele tem pela pelo também são ser sobre seu sua ainda quando muito onde até já
    der die und den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er
    hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor
    zur bis mehr durch man sein wurde sei ihre seine ihr kann gegen vom schon wenn habe seiner unter
    les des est une dans par pour qui sur pas plus avec sont ont aux été cette elle mais ses leur fait
    comme tout nous vous ils été sans entre deux aussi peut après même lors dont
    che della per gli delle nel alla sono con dei anche più come dal nella stato una questo sul hanno
    """.split()  # noqa: SIM905
)


def article_texts(paragraphs: pl.DataFrame, n_docs: int) -> list[str] | None:
    """Each article's non-boilerplate paragraph texts in order, joined; ``None`` when ``paragraphs`` has
    no ``text`` column (then no lexical evidence can be drawn)."""
    _check_n_docs(n_docs)
    if "text" not in paragraphs.columns:
        return None
    _check_paragraphs(paragraphs, ("doc_id", "is_boilerplate"))
    _check_doc_ids(paragraphs, n_docs)
    order = [c for c in ("doc_id", "position") if c in paragraphs.columns]
    joined = (
        paragraphs.filter(~pl.col("is_boilerplate").fill_null(False) & pl.col("text").is_not_null())
        .sort(order, maintain_order=True)
        .group_by("doc_id", maintain_order=True)
        .agg(pl.col("text").str.join("\n"))
    )
    out = [""] * n_docs
    for doc, text in joined.iter_rows():
        out[int(doc)] = text
    return out


def lexical_vectors(texts: list[str]) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows (sublinear term frequency, IDF fitted on ``texts`` themselves): a word
    every article uses weighs little, an event's own names, numbers and rare words weigh much. Tokens are
    words of three or more letters and anything holding a digit; English stop words and the commonest
    function words of Spanish, Portuguese, German, French and Italian are dropped. An empty corpus or one
    without any word gives an all-zero matrix."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not any(t.strip() for t in texts):
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    vectoriser = TfidfVectorizer(
        lowercase=True,
        stop_words=sorted(ENGLISH_STOP_WORDS | _FOREIGN_STOP_WORDS),
        sublinear_tf=True,
        token_pattern=_TOKEN,
        dtype=np.float32,
    )
    try:
        return vectoriser.fit_transform(texts).tocsr()
    except ValueError:  # only stop words
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def lexical_scores(lexical: sparse.csr_matrix, doc_a: np.ndarray, doc_b: np.ndarray) -> np.ndarray:
    """TF-IDF cosine of each pair (rows of :func:`lexical_vectors`), one sparse row product per pair."""
    doc_a = np.asarray(doc_a, dtype=np.int64)
    doc_b = np.asarray(doc_b, dtype=np.int64)
    if doc_a.size == 0:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(lexical[doc_a].multiply(lexical[doc_b]).sum(axis=1), dtype=np.float64).ravel()


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


def event_graph(vectors: np.ndarray, paragraphs: pl.DataFrame, n_docs: int, params: StoryParams) -> pl.DataFrame:
    """The edges :func:`build_stories` clusters by default: lead vectors, corpus TF-IDF, :func:`event_edges`."""
    docs = article_vectors(vectors, paragraphs, n_docs, params.lead_chars)
    texts = article_texts(paragraphs, n_docs)
    lexical = lexical_vectors(texts) if texts is not None else None
    return event_edges(docs, paragraphs, lexical, params)


def build_stories(
    vectors: np.ndarray, paragraphs: pl.DataFrame, n_docs: int, params: StoryParams = StoryParams()
) -> np.ndarray:
    """Story label per article. Default (``quality="average"``): :func:`event_graph` →
    :func:`average_linkage` at ``params.resolution``. With ``"modularity"``/``"cpm"``: :func:`article_vectors`
    → :func:`story_edges` (scored by :func:`paragraph_match`) → :func:`cluster_stories`."""
    if params.quality == "average":
        _check_n_docs(n_docs)
        if n_docs == 0:
            return np.zeros(0, dtype=np.int64)
        return average_linkage(n_docs, event_graph(vectors, paragraphs, n_docs, params), resolution=params.resolution)
    docs = article_vectors(vectors, paragraphs, n_docs)
    edges = story_edges(
        docs,
        paragraphs,
        k=params.k,
        threshold=params.threshold,
        vectors=vectors,
        passage_weight=params.passage_weight,
        min_passage_share=params.min_passage_share,
        max_docs_per_passage=params.max_docs_per_passage,
    )
    return cluster_stories(
        n_docs, edges, resolution=params.resolution, seed=params.seed, quality=params.quality
    )


def article_fingerprints(paragraphs: pl.DataFrame, n_docs: int) -> list[str]:
    """Per article, a hash of its content paragraphs (text hash and length, in order): what its story work
    depends on ("" for an article without content)."""
    usable = (
        paragraphs.filter(pl.col("vec_row").is_not_null() & ~pl.col("is_boilerplate"))
        .sort("doc_id", "position")
        .group_by("doc_id", maintain_order=True)
        .agg(pl.concat_str(pl.col("hash"), pl.lit(":"), pl.col("n_chars").cast(pl.String)).str.join("|").alias("k"))
    )
    out = [""] * n_docs
    for doc_id, key in usable.iter_rows():
        out[doc_id] = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return out


@dataclass(slots=True)
class StoryWork:
    """Story work that only depends on each article's content paragraphs, kept between calls of
    :func:`build_stories_kept`: article fingerprints, article vectors (lead vectors for the default method),
    and, for the Leiden qualities, scored candidate pairs."""

    fingerprints: list[str] = field(default_factory=list)
    doc_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    scores: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STORY_SCORES))
    rescored: int = 0  # articles (default method) or candidate pairs (Leiden) worked on again by this call

    def update(
        self, vectors: np.ndarray, paragraphs: pl.DataFrame, n_docs: int, params: StoryParams
    ) -> StoryWork:
        """The work for these paragraphs, reusing this one's for articles whose fingerprint is unchanged."""
        prints = article_fingerprints(paragraphs, n_docs)
        old = self.fingerprints
        same_shape = self.doc_vectors.ndim == 2 and self.doc_vectors.shape[1] == vectors.shape[1]
        dirty = np.flatnonzero(
            np.array([not same_shape or i >= len(old) or old[i] != p for i, p in enumerate(prints)], dtype=bool)
        )
        lead = params.lead_chars if params.quality == "average" else None
        if len(dirty) == n_docs:
            doc_vectors = article_vectors(vectors, paragraphs, n_docs, lead)
        else:
            doc_vectors = np.zeros((n_docs, vectors.shape[1]), dtype=np.float32)
            doc_vectors[: len(old)] = self.doc_vectors[: min(len(old), n_docs)]
            if len(dirty):
                subset = paragraphs.filter(pl.col("doc_id").is_in(pl.Series(dirty).implode()))
                doc_vectors[dirty] = article_vectors(vectors, subset, n_docs, lead)[dirty]
        if params.quality == "average":  # its TF-IDF is corpus-wide: recomputed each time (cheap)
            return StoryWork(prints, doc_vectors, pl.DataFrame(schema=STORY_SCORES), len(dirty))
        known = self.scores if len(old) and self.scores.height else None
        scores, rescored = scored_candidates(doc_vectors, paragraphs, vectors, k=params.k, known=known, dirty=dirty)
        return StoryWork(prints, doc_vectors, scores, rescored)


def build_stories_kept(
    vectors: np.ndarray,
    paragraphs: pl.DataFrame,
    n_docs: int,
    params: StoryParams = StoryParams(),
    kept: StoryWork | None = None,
) -> tuple[np.ndarray, StoryWork]:
    """:func:`build_stories`, reusing the ``kept`` work of an earlier call for articles whose content did
    not change; returns the labels (those :func:`build_stories` gives) and the work to keep for the next call."""
    _check_n_docs(n_docs)
    work = (kept or StoryWork()).update(vectors, paragraphs, n_docs, params)
    if params.quality == "average":
        if n_docs == 0:
            return np.zeros(0, dtype=np.int64), work
        texts = article_texts(paragraphs, n_docs)
        lexical = lexical_vectors(texts) if texts is not None else None
        edges = event_edges(work.doc_vectors, paragraphs, lexical, params)
        return average_linkage(n_docs, edges, resolution=params.resolution), work
    edges = story_edges(
        work.doc_vectors,
        paragraphs,
        k=params.k,
        threshold=params.threshold,
        vectors=vectors,
        passage_weight=params.passage_weight,
        min_passage_share=params.min_passage_share,
        max_docs_per_passage=params.max_docs_per_passage,
        scored=work.scores,
    )
    labels = cluster_stories(n_docs, edges, resolution=params.resolution, seed=params.seed, quality=params.quality)
    return labels, work
