"""Story clusters: group articles that tell the same story — one story is one event or claim, not one topic.

The default method (``StoryParams.quality = "average"``) weighs what two articles *say* against how alike
the model finds them:

1. :func:`article_vectors` with ``lead_chars`` — one vector per article from its lead (the first
   ``lead_chars`` characters of content), where news states its event.
   Script, markup and cookie/JavaScript notices (:func:`is_page_noise`) are not read, here or in step 2.
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
5. :func:`join_orphans` — an article left alone joins the story whose mean lead vector and mean TF-IDF row
   it is most like, among the stories it has an edge to, when that score is at least ``orphan_join``.

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

Modules: ``params`` (StoryParams, checks), ``vectors`` (article vectors, texts, TF-IDF, page noise,
fingerprints), ``graph`` (candidate pairs and edge weights), ``communities`` (average linkage, orphan joins,
Leiden).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import sparse

from cluster.schemas import STORY_SCORES
from cluster.stories.communities import (
    average_linkage,
    cluster_stories,
    cut_merges,
    join_orphans,
    linkage_merges,
)
from cluster.stories.graph import (
    event_edges,
    event_evidence,
    event_graph,
    knn_edges,
    paragraph_match,
    passage_edges,
    scored_candidates,
    story_edges,
    with_passage_edges,
)
from cluster.stories.params import EDGE_SCHEMA, StoryParams, _check_n_docs
from cluster.stories.vectors import (
    article_fingerprints,
    article_texts,
    article_vectors,
    is_page_noise,
    lexical_scores,
    lexical_vectors,
)

__all__ = [
    "EDGE_SCHEMA",
    "StoryParams",
    "StoryWork",
    "article_fingerprints",
    "article_texts",
    "article_vectors",
    "average_linkage",
    "build_stories",
    "build_stories_kept",
    "cluster_stories",
    "cut_merges",
    "cut_stories",
    "event_edges",
    "event_evidence",
    "event_graph",
    "is_page_noise",
    "join_orphans",
    "knn_edges",
    "lexical_scores",
    "lexical_vectors",
    "linkage_merges",
    "paragraph_match",
    "passage_edges",
    "scored_candidates",
    "story_edges",
    "with_passage_edges",
]

logger = logging.getLogger(__name__)
DEFAULT_PARAMS = StoryParams()


def build_stories(
    vectors: np.ndarray, paragraphs: pl.DataFrame, n_docs: int, params: StoryParams = DEFAULT_PARAMS
) -> np.ndarray:
    """Story label per article. Default (``quality="average"``): :func:`event_evidence` →
    :func:`event_edges` → :func:`average_linkage` at ``params.resolution`` → :func:`join_orphans`. With
    ``"modularity"``/``"cpm"``: :func:`article_vectors` → :func:`story_edges` (scored by :func:`paragraph_match`)
    → :func:`cluster_stories`."""
    _check_n_docs(n_docs)
    lead = params.lead_chars if params.quality == "average" else None
    return _labels(article_vectors(vectors, paragraphs, n_docs, lead), vectors, paragraphs, n_docs, params)


def cut_stories(
    merges: list[tuple[int, int, float]],
    edges: pl.DataFrame,
    doc_vectors: np.ndarray,
    lexical: sparse.csr_matrix | None,
    params: StoryParams,
) -> np.ndarray:
    """The default method's labels at ``params.resolution`` from the merges of :func:`linkage_merges` (run
    once down to the lowest resolution of a sweep) and the evidence they came from (:func:`event_evidence`,
    :func:`event_edges`): :func:`cut_merges`, then :func:`join_orphans`. Equal to :func:`build_stories`."""
    labels = cut_merges(doc_vectors.shape[0], merges, params.resolution)
    return join_orphans(
        labels, edges, doc_vectors, lexical, lexical_weight=params.lexical_weight, min_score=params.orphan_join
    )


def _labels(
    doc_vectors: np.ndarray,
    vectors: np.ndarray,
    paragraphs: pl.DataFrame,
    n_docs: int,
    params: StoryParams,
    scored: pl.DataFrame | None = None,
) -> np.ndarray:
    """From article vectors on (the part :func:`build_stories` and :func:`build_stories_kept` share): the
    article graph and its communities. ``scored``: paragraph-match scores already known (Leiden method)."""
    if params.quality == "average":
        if n_docs == 0:
            return np.zeros(0, dtype=np.int64)
        docs, lexical = event_evidence(vectors, paragraphs, n_docs, params, doc_vectors)
        edges = event_edges(docs, paragraphs, lexical, params)
        labels = average_linkage(n_docs, edges, resolution=params.resolution)
        return join_orphans(
            labels, edges, docs, lexical, lexical_weight=params.lexical_weight, min_score=params.orphan_join
        )
    edges = story_edges(
        doc_vectors,
        paragraphs,
        k=params.k,
        threshold=params.threshold,
        vectors=vectors,
        passage_weight=params.passage_weight,
        min_passage_share=params.min_passage_share,
        max_docs_per_passage=params.max_docs_per_passage,
        scored=scored,
    )
    return cluster_stories(n_docs, edges, resolution=params.resolution, seed=params.seed, quality=params.quality)


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
    params: StoryParams = DEFAULT_PARAMS,
    kept: StoryWork | None = None,
) -> tuple[np.ndarray, StoryWork]:
    """:func:`build_stories`, reusing the ``kept`` work of an earlier call for articles whose content did
    not change; returns the labels (those :func:`build_stories` gives) and the work to keep for the next call."""
    _check_n_docs(n_docs)
    work = (kept or StoryWork()).update(vectors, paragraphs, n_docs, params)
    scored = None if params.quality == "average" else work.scores
    return _labels(work.doc_vectors, vectors, paragraphs, n_docs, params, scored), work
