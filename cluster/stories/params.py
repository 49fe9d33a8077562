"""Story parameters, the edge schema, and the checks every story step makes at the door."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

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
    TF-IDF score for a pair to count at all (unless it shares passages), ``orphan_join`` the least score
    for an article that average linkage left alone to join the story it is most like (:func:`join_orphans`;
    above 1 turns it off). ``threshold`` and ``passage_weight``
    only apply to the Leiden qualities ``"modularity"`` and ``"cpm"`` (the paragraph-match graph).
    """

    k: int = 40
    threshold: float = 0.5
    passage_weight: float = 0.5
    min_passage_share: float = 0.0
    max_docs_per_passage: int = 50
    quality: str = "average"
    resolution: float = 0.34
    seed: int = 0
    lead_chars: int = 1000
    lexical_weight: float = 0.6
    min_lexical: float = 0.05
    orphan_join: float = 0.3


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


def _check_k_threshold(k: int, threshold: float) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    if not -1.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must lie in [-1, 1], got {threshold!r}")


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


def _check_vec_rows(rows: np.ndarray, n_vectors: int) -> None:
    if rows.size and (rows.min() < 0 or rows.max() >= n_vectors):
        raise ValueError(
            f"paragraphs.vec_row must lie in [0, {n_vectors}), found values in [{rows.min()}, {rows.max()}]"
        )
