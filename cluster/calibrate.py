"""Help choosing a threshold: the matches nearest it, and what counts do across thresholds — no re-embedding.

A results folder keeps its paragraphs (with content hashes) and the embedding cache, so the vectors come
back from the cache and only the stages after embedding run again for each threshold. Stories across
``--story-resolution`` values reuse one story graph and one run of average linkage (:func:`story_sweep`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster.cache import open_cache
from cluster.errors import StoreError
from cluster.exact import distinct_hashes
from cluster.ingest import parse_date
from cluster.pipeline import Settings, find_neighbours, group
from cluster.schemas import DOCUMENTS
from cluster.store import manifest_model, read_manifest, read_table, settings_from_dict
from cluster.stories import build_stories, cut_stories, event_edges, event_evidence, linkage_merges


@dataclass(frozen=True, slots=True)
class BorderlinePair:
    """A paragraph pair near the threshold, with both texts."""

    cosine: float
    id_left: str
    id_right: str
    text_left: str
    text_right: str


@dataclass(frozen=True, slots=True)
class Borderline:
    accepted: list[BorderlinePair]  # least similar accepted first
    rejected: list[BorderlinePair]  # most similar rejected first

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {"accepted": [asdict(p) for p in self.accepted], "rejected": [asdict(p) for p in self.rejected]}


@dataclass(frozen=True, slots=True)
class SweepRow:
    """Counts at one passage threshold."""

    threshold: float
    repeated_passages: int
    copies: int
    stories: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def borderline_pairs(results: Path, threshold: float, n: int = 5) -> Borderline:
    """The ``n`` least similar accepted and ``n`` most similar rejected paragraph pairs, with both texts."""
    pairs = read_table(results, "pairs").filter(pl.col("relation") != "exact")
    texts = read_table(results, "paragraphs").select("para_id", "text")
    both = pairs.join(texts.rename({"para_id": "para_left", "text": "text_left"}), on="para_left").join(
        texts.rename({"para_id": "para_right", "text": "text_right"}), on="para_right"
    )
    cols = ["cosine", "id_left", "id_right", "text_left", "text_right"]
    # pairs joined by character containment stay accepted below the threshold
    is_accepted = (pl.col("cosine") >= threshold) | (pl.col("relation") == "near_duplicate")
    accepted = both.filter(is_accepted).sort("cosine").head(n).select(cols)
    rejected = both.filter(~is_accepted).sort("cosine", descending=True).head(n).select(cols)
    return Borderline(
        accepted=[BorderlinePair(**row) for row in accepted.to_dicts()],
        rejected=[BorderlinePair(**row) for row in rejected.to_dicts()],
    )


def load_run(results: Path) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray, Settings]:
    """Documents, paragraphs, vectors (from the cache) and settings of a finished run."""
    manifest = read_manifest(results)
    settings = settings_from_dict(manifest["settings"], Settings)
    paragraphs = read_table(results, "paragraphs")
    docs = read_table(results, "documents")
    model, dim = manifest_model(manifest)
    cache = open_cache(results, str(manifest["model"].get("cache", model)), dim)  # an old .npz one is converted
    hashes = distinct_hashes(paragraphs)
    found, vectors = cache.lookup(hashes)
    if not found.all():
        raise StoreError(f"the embedding cache in {results}/cache lacks {int((~found).sum())} texts; run again first")
    text = paragraphs.sort("position").group_by("doc_id").agg(pl.col("text").str.join("\n\n"))
    documents = (
        docs.join(text, on="doc_id", how="left")
        .with_columns(
            pl.col("published").map_elements(parse_date, return_dtype=pl.Datetime("us", "UTC")).alias("published_at"),
            pl.col("text").fill_null(""),
        )
        .select(list(DOCUMENTS))
        .sort("doc_id")
    )
    return documents, paragraphs.drop("passage_id"), vectors, settings


def sweep(results: Path, thresholds: Sequence[float]) -> list[SweepRow]:
    """Counts of repeated passages, copies and stories at each passage threshold."""
    if not thresholds:
        raise ValueError("give at least one threshold")
    if any(not -1.0 <= t <= 1.0 for t in thresholds):
        raise ValueError("thresholds must be in [-1, 1]")
    documents, paragraphs, vectors, settings = load_run(results)
    floor = min(settings.pair_threshold, *thresholds)
    neighbours = find_neighbours(vectors, replace(settings, pair_threshold=floor, paraphrase_threshold=floor))
    rows = []
    for t in sorted(thresholds):
        s = replace(
            settings,
            pair_threshold=min(floor, t),
            paraphrase_threshold=min(settings.paraphrase_threshold, t),
            passage_threshold=t,
        )
        result = group(documents, paragraphs, vectors, neighbours, s)
        rows.append(
            SweepRow(
                threshold=t,
                repeated_passages=result.stats["repeated_passages"],
                copies=result.stats["copies"],
                stories=result.stats["stories"],
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class StorySweepRow:
    """Stories at one ``--story-resolution``."""

    resolution: float
    stories: int
    largest: int  # articles in the largest story
    single_article: int  # stories of one article
    is_run: bool  # the resolution the run used

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def threshold_grid(start: float, stop: float, step: float) -> list[float]:
    """``start``, ``start + step``, … up to ``stop`` (inclusive, rounded to 4 places): a sweep's thresholds."""
    if stop < start:
        raise ValueError(f"the sweep must end ({stop}) at or above where it starts ({start})")
    if step <= 0:
        raise ValueError(f"the sweep's step must be > 0, got {step}")
    count = int(round((stop - start) / step)) + 1
    return [round(start + i * step, 4) for i in range(count)]


def parse_resolutions(text: str) -> list[float]:
    """Comma-separated story resolutions ("0.2,0.3") as numbers; a bad list is a ``ValueError`` naming it."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"story resolutions must be numbers separated by commas, got '{text}'") from None
    if not values:
        raise ValueError("give at least one story resolution")
    return values


def story_sweep(results: Path, resolutions: Sequence[float]) -> list[StorySweepRow]:
    """Stories at each ``--story-resolution``: how many, the largest, and how many articles stand alone.

    The story graph is built once and average linkage runs once down to the lowest resolution; each
    resolution is a cut of its merges, lone articles then joined as a run does (the Leiden qualities, when a
    run used one, run once per value)."""
    if not resolutions:
        raise ValueError("give at least one story resolution")
    if any(not 0.0 < r <= 1.0 for r in resolutions):
        raise ValueError("story resolutions must be in (0, 1]")
    documents, paragraphs, vectors, settings = load_run(results)
    params = settings.stories
    # the passages the stories see, as the run grouped them (the story stage itself reruns below per value)
    grouped = group(documents, paragraphs, vectors, find_neighbours(vectors, settings), settings).paragraphs
    paras = grouped.with_columns(pl.col("text_id").alias("vec_row"))
    n_docs = documents.height
    labels_at: dict[float, np.ndarray] = {}
    if params.quality == "average":
        doc_vectors, lexical = event_evidence(vectors, paras, n_docs, params)
        edges = event_edges(doc_vectors, paras, lexical, params)
        merges = linkage_merges(n_docs, edges, min(resolutions))
        for r in resolutions:
            labels_at[r] = cut_stories(merges, edges, doc_vectors, lexical, replace(params, resolution=r))
    else:
        for r in resolutions:
            labels_at[r] = build_stories(vectors, paras, n_docs, replace(params, resolution=r))
    rows = []
    for r in sorted(resolutions):
        sizes = np.bincount(labels_at[r]) if labels_at[r].size else np.zeros(0, dtype=np.int64)
        rows.append(StorySweepRow(
            resolution=r, stories=int(sizes.size), largest=int(sizes.max()) if sizes.size else 0,
            single_article=int((sizes == 1).sum()), is_run=bool(abs(r - params.resolution) < 1e-9),
        ))
    return rows


def load_manifest_threshold(results: Path) -> float:
    """The passage threshold a finished run used."""
    return settings_from_dict(read_manifest(results)["settings"], Settings).passage_threshold
