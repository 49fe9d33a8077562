"""The whole pipeline, as a table of contents.

documents ─split─▶ paragraphs ─flag─▶ boilerplate ─hash─▶ distinct texts ─embed─▶ vectors
vectors ─index─▶ neighbour pairs ─star─▶ passages ─share─▶ copies ─event evidence + average linkage─▶ stories
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster import copies as copies_mod
from cluster.cache import SHARD_ROWS, EmbeddingCache
from cluster.contradictions import ContradictionParams, NLIScorer, find_contradictions
from cluster.embed import Encoder, encode_in_order, encoder_dim
from cluster.exact import assign_text_ids, distinct_hashes, distinct_texts, duplicate_documents
from cluster.index import IndexParams, list_join_pairs
from cluster.paragraphs import BoilerplateParams, flag_repeated, judged_paragraphs
from cluster.passages import assign_passages, pair_table, passage_scores, passage_table, star_clusters
from cluster.schemas import CONTRADICTIONS, OUTPUT_DOCUMENTS, PARAGRAPHS, STORIES, conform
from cluster.store import release_pages, trim_heap, vector_file
from cluster.stories import StoryParams, StoryWork, build_stories_kept

log = logging.getLogger(__name__)

# (stage, done, total): long stages call it as they go
Progress = Callable[[str, int, int], None]
Neighbours = tuple[np.ndarray, np.ndarray, np.ndarray]  # text ids left < right, cosine
# how neighbour pairs are found: find_neighbours here, or an engine's equal search (cluster.distributed)
Search = Callable[[np.ndarray, "Settings", Progress | None], Neighbours]
# how the distinct texts of paragraphs get their vectors: (vectors, how many computed); default embed() here
Embedder = Callable[[pl.DataFrame, Callable[[int, int], None] | None], tuple[np.ndarray, int]]


@dataclass(frozen=True, slots=True)
class Settings:
    """Every threshold of a run; written to the manifest."""

    pair_threshold: float = 0.75  # lowest cosine reported in `pairs` (relation "related")
    paraphrase_threshold: float = 0.84  # relation "paraphrase" from here
    passage_threshold: float = 0.92  # relation "near_duplicate" and passage clusters from here
    min_containment: float = 0.6  # pairs below passage_threshold sharing this share of character 5-grams join too
    min_coverage: float = 0.4  # ... when those shared 5-grams are also this share of the longer text's
    candidate_floor: float = 0.6  # neighbours from this cosine are checked for character containment
    min_share: float = 0.5  # copy: this share of the shorter article's paragraphs found in the other
    max_paragraph_chars: int = 1500
    max_passage_docs: int = 1000
    index: IndexParams = field(default_factory=IndexParams)
    boilerplate: BoilerplateParams = field(default_factory=BoilerplateParams)
    stories: StoryParams = field(default_factory=StoryParams)
    contradictions: ContradictionParams = field(default_factory=ContradictionParams)

    def __post_init__(self) -> None:
        for name in ("pair_threshold", "paraphrase_threshold", "passage_threshold"):
            value = getattr(self, name)
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [-1, 1], got {value}")
        if not self.pair_threshold <= self.paraphrase_threshold <= self.passage_threshold:
            raise ValueError("thresholds must satisfy pair <= paraphrase <= passage")
        if not -1.0 <= self.candidate_floor <= 1.0:
            raise ValueError(f"candidate_floor must be in [-1, 1], got {self.candidate_floor}")
        if not (0.0 <= self.min_containment <= 1.01 and 0.0 <= self.min_coverage <= 1.0):
            raise ValueError("min_containment and min_coverage must be in [0, 1] (min_containment > 1 turns it off)")
        if not 0.0 < self.min_share <= 1.0:
            raise ValueError(f"min_share must be in (0, 1], got {self.min_share}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Result:
    documents: pl.DataFrame
    paragraphs: pl.DataFrame
    passages: pl.DataFrame
    pairs: pl.DataFrame
    copies: pl.DataFrame
    stories: pl.DataFrame
    vectors: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    contradictions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CONTRADICTIONS))
    layers: list[str] = field(default_factory=list)  # contradiction layers that ran
    story_work: StoryWork | None = None  # what an index keeps so the next stories redo only changed articles

    def tables(self) -> dict[str, pl.DataFrame]:
        return {
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "passages": self.passages,
            "pairs": self.pairs,
            "copies": self.copies,
            "stories": self.stories,
            "contradictions": self.contradictions,
        }


class Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - start, 4)
        log.info("stage %s: %.2fs", name, self.timings[name])


def prepare(
    documents: pl.DataFrame,
    settings: Settings = Settings(),
    kept: pl.DataFrame | None = None,
    dirty: np.ndarray | None = None,
) -> pl.DataFrame:
    """Paragraphs with hashes, boilerplate flags and ``text_id`` (rows of the vectors to compute).

    ``kept``: the paragraphs table of an earlier prepare (an index's), ``dirty``: the doc_ids new or changed
    since; only those are split again (see :func:`cluster.paragraphs.judged_paragraphs`).
    """
    judged = judged_paragraphs(documents, settings.max_paragraph_chars, settings.boilerplate, kept, dirty)
    return assign_text_ids(flag_repeated(judged, settings.boilerplate))


def embed(
    paragraphs: pl.DataFrame,
    encoder: Encoder,
    cache: EmbeddingCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    path: Path | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors of every distinct text (row = ``text_id``) and how many were computed (not cached).

    ``cache``: vectors found there are copied from its shards; the others are embedded and added to it as a
    shard per :data:`cluster.cache.SHARD_ROWS` texts, each as soon as it is embedded (a killed run keeps them).
    ``path``: the vectors go to that .npy file (see :func:`cluster.store.vector_file`), written chunk by chunk
    and returned memory-mapped read-only, rather than held as one array in RAM.
    """
    texts = distinct_texts(paragraphs)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    if cache is None and path is None:
        return encode_in_order(encoder, texts, progress=progress), len(texts)
    hashes = distinct_hashes(paragraphs)
    shard, row = cache.locate(hashes) if cache is not None else (np.full(len(texts), -1, dtype=np.int64),) * 2
    computed = [0]

    def fill(out: np.ndarray) -> None:
        missing = np.flatnonzero(shard < 0)
        if cache is not None and len(missing) < len(texts):
            missing = np.union1d(missing, cache.fill(out, shard, row))  # a shard unreadable now: embedded again
        computed[0] = len(missing)
        order = missing[np.argsort([-len(texts[i]) for i in missing], kind="stable")]  # longest first, as ever
        for start in range(0, len(order), SHARD_ROWS):
            block = order[start : start + SHARD_ROWS]
            done = _shifted(progress, start, len(order))
            encode_in_order(encoder, [texts[i] for i in block], progress=done, out=out, rows=block)
            if cache is not None:
                cache.add([hashes[i] for i in block], out[block])
            release_pages(out)  # a memory map: its written pages stay in the page cache, not in this process

    dim = cache.dim if cache is not None else encoder_dim(encoder)
    if path is None:
        vectors = np.empty((len(texts), dim), dtype=np.float32)
        fill(vectors)
        return vectors, computed[0]
    vectors = vector_file(path, len(texts), dim, fill)
    return vectors, computed[0]


def _shifted(progress: Callable[[int, int], None] | None, offset: int, total: int
             ) -> Callable[[int, int], None] | None:  # fmt: skip
    """``progress`` of one block of ``total`` texts starting at ``offset``."""
    if progress is None:
        return None
    return lambda done, _: progress(offset + done, total)


def find_neighbours(
    vectors: np.ndarray, settings: Settings = Settings(), progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (left, right, cosine) of distinct texts with cosine >= :func:`search_floor` (every such pair:
    the set does not depend on which other texts are in the corpus, so an index adding texts finds the same).
    """
    if vectors.shape[0] < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return list_join_pairs(
        vectors, search_floor(settings), settings.index,
        (lambda d, t: progress("neighbours", d, t)) if progress else None,
    )


def search_floor(settings: Settings) -> float:
    """Lowest cosine searched: pairs from here to ``pair_threshold`` only count when
    :func:`cluster.passages.passage_scores` finds them contained (heavy OCR noise or a cut paragraph can pull
    a copy's cosine well below the pair threshold while most of its character runs survive)."""
    return min(settings.candidate_floor, settings.pair_threshold)


def matched_pairs(
    left: np.ndarray, right: np.ndarray, score: np.ndarray, match: np.ndarray, settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The searched pairs worth keeping: cosine >= ``pair_threshold``, or contained (``match`` raised)."""
    keep = (score >= settings.pair_threshold) | (match >= settings.passage_threshold)
    return left[keep], right[keep], score[keep], match[keep]


def passage_match(
    texts: list[str],
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    settings: Settings,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`cluster.passages.passage_scores` of the pairs (of text ids), computed only where ``known``
    (kept by an index) is NaN or not given."""
    if known is None:
        return passage_scores(
            texts, left, right, score, settings.passage_threshold, settings.min_containment, settings.min_coverage
        )
    match = np.array(known, dtype=np.float32)
    todo = np.flatnonzero(np.isnan(match))
    if len(todo):
        match[todo] = passage_scores(
            texts, left[todo], right[todo], score[todo],
            settings.passage_threshold, settings.min_containment, settings.min_coverage,
        )
    return match


def analyse(
    documents: pl.DataFrame,
    paragraphs: pl.DataFrame,
    vectors: np.ndarray,
    settings: Settings = Settings(),
    progress: Progress | None = None,
    clock: Clock | None = None,
    search: Search | None = None,
) -> Result:
    """Everything after embedding: neighbours (by ``search``, default :func:`find_neighbours`), passages,
    pairs, copies, stories."""
    clock = clock or Clock()
    with clock.stage("neighbours"):
        left, right, score = (search or find_neighbours)(vectors, settings, progress)
        release_pages(vectors)
        trim_heap()  # the index's freed lists
    return group(documents, paragraphs, vectors, (left, right, score), settings, clock)


def group(
    documents: pl.DataFrame,
    paragraphs: pl.DataFrame,
    vectors: np.ndarray,
    neighbours: tuple[np.ndarray, np.ndarray, np.ndarray],
    settings: Settings = Settings(),
    clock: Clock | None = None,
    match: np.ndarray | None = None,
    story_work: StoryWork | None = None,
) -> Result:
    """Passages, pairs, copies and stories from known neighbour pairs (e.g. kept by an index between adds).

    What an index kept from last time: ``match``, the :func:`passage_match` of the pairs (NaN where not
    known yet); ``story_work``, the story work (``Result.story_work`` of the last call), redone only for
    articles whose content changed.
    """
    clock = clock or Clock()
    left, right, score = neighbours
    n_texts = vectors.shape[0]
    with clock.stage("passages"):
        if match is None or np.isnan(match).any():
            match = passage_match(distinct_texts(paragraphs), left, right, score, settings, match)
        left, right, score, match = matched_pairs(left, right, score, match, settings)
        centre, to_centre = star_clusters(n_texts, left, right, match, settings.passage_threshold)
        paragraphs = assign_passages(paragraphs, centre, to_centre)
        rank = copies_mod.document_rank(documents)
        passages = passage_table(paragraphs, rank)
        pairs = pair_table(
            paragraphs, left, right, score, match,
            near_duplicate=settings.passage_threshold, paraphrase=settings.paraphrase_threshold,
        )
    with clock.stage("copies"):
        shared = copies_mod.shared_passages(paragraphs, settings.max_passage_docs)
        copies = copies_mod.find_copies(shared, documents, settings.min_share)
        copy_of = copies_mod.copy_of(copies, documents)
    with clock.stage("stories"):
        labels, story_work = build_stories_kept(
            vectors, paragraphs.with_columns(pl.col("text_id").alias("vec_row")), documents.height, settings.stories,
            story_work,
        )
        release_pages(vectors)
        trim_heap()
    with clock.stage("tables"):
        docs = _document_table(documents, paragraphs, labels, copy_of)
        stories = _story_table(docs, documents)
    result = Result(
        documents=docs,
        paragraphs=conform(paragraphs, PARAGRAPHS),
        passages=passages,
        pairs=pairs,
        copies=copies,
        stories=stories,
        vectors=vectors,
        timings=clock.timings,
        story_work=story_work,
    )
    result.stats = {
        "documents": docs.height,
        "paragraphs": paragraphs.height,
        "boilerplate_paragraphs": int(paragraphs["is_boilerplate"].sum()),
        "distinct_texts": n_texts,
        "neighbour_pairs": len(left),
        "passages": passages.height,
        "repeated_passages": int(passages.filter(~pl.col("is_boilerplate") & (pl.col("n_docs") > 1)).height),
        "copies": copies.height,
        "stories": stories.height,
        "exact_duplicate_documents": int(docs["is_exact_duplicate"].sum()),
    }
    return result


def run(
    documents: pl.DataFrame,
    encoder: Encoder,
    settings: Settings = Settings(),
    cache: EmbeddingCache | None = None,
    progress: Progress | None = None,
    nli: NLIScorer | None = None,
    vectors_path: Path | None = None,
    search: Search | None = None,
    embedder: Embedder | None = None,
) -> Result:
    """Documents in, every table out; contradictions judged by the detail layer, and by ``nli`` when given.

    ``vectors_path``: keep the vectors in that memory-mapped .npy (:func:`embed`) instead of RAM.
    ``search`` finds the neighbour pairs (default :func:`find_neighbours`; an engine passes its own), and
    ``embedder`` the vectors (default :func:`embed` by ``encoder`` with ``cache``)."""
    clock = Clock()
    with clock.stage("paragraphs"):
        paragraphs = prepare(documents, settings)
    with clock.stage("embed"):
        embedding = (lambda d, t: progress("embed", d, t)) if progress else None
        if embedder is not None:
            vectors, computed = embedder(paragraphs, embedding)
        else:
            vectors, computed = embed(paragraphs, encoder, cache, embedding, vectors_path)
    result = analyse(documents, paragraphs, vectors, settings, progress, clock, search)
    result.stats["embedded"] = computed
    result.stats["embeddings_from_cache"] = vectors.shape[0] - computed
    with clock.stage("contradictions"):
        languages = result.documents["language"].to_numpy() if "language" in result.documents else None
        result.contradictions = find_contradictions(
            result.paragraphs, result.documents["story_id"].to_numpy(), vectors, nli, settings.contradictions,
            languages, result.stats,
        )
    result.stats["contradictions"] = result.contradictions.height
    result.layers = ["detail", "nli"] if nli is not None else ["detail"]
    return result


def _document_table(
    documents: pl.DataFrame, paragraphs: pl.DataFrame, labels: np.ndarray, copy_of: pl.DataFrame
) -> pl.DataFrame:
    documents = documents if "language" in documents else documents.with_columns(language=pl.lit(None, pl.String))
    counts = paragraphs.group_by("doc_id").agg(
        pl.len().alias("n_paragraphs"), pl.col("is_boilerplate").sum().cast(pl.Int64).alias("n_boilerplate")
    )
    docs = (
        documents.join(counts, on="doc_id", how="left")
        .with_columns(
            pl.col("n_paragraphs").fill_null(0),
            pl.col("n_boilerplate").fill_null(0),
            pl.Series("story_id", labels, dtype=pl.Int64),
            pl.coalesce(pl.col("title"), _first_line(paragraphs, documents)).alias("title"),
        )
        .join(copy_of, on="doc_id", how="left")
        .join(duplicate_documents(documents), on="doc_id", how="left")
        .sort("doc_id")
    )
    return conform(docs, OUTPUT_DOCUMENTS)


def _first_line(paragraphs: pl.DataFrame, documents: pl.DataFrame) -> pl.Series:
    """A title for articles without one: their first non-boilerplate paragraph, cut at 120 characters."""
    first = (
        paragraphs.filter(~pl.col("is_boilerplate"))
        .group_by("doc_id")
        .agg(pl.col("text").sort_by("position").first())
    )
    joined = documents.select("doc_id").join(first, on="doc_id", how="left").sort("doc_id")
    return joined["text"].str.slice(0, 120).alias("title")


def _story_table(docs: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    rank = copies_mod.document_rank(documents)
    stories = (
        docs.join(rank, on="doc_id")
        .sort("rank")
        .group_by("story_id")
        .agg(
            pl.len().alias("n_docs"),
            pl.col("source").drop_nulls().n_unique().alias("n_sources"),
            pl.col("copy_of").is_not_null().sum().alias("n_copies"),
            pl.col("id").first().alias("first_id"),
            pl.col("title").first().alias("title"),
        )
        .sort("story_id")
    )
    return conform(stories, STORIES)
