"""Help choosing a threshold: the matches nearest it, and what counts do across thresholds — no re-embedding.

A results folder keeps its paragraphs (with content hashes) and the embedding cache, so the vectors come
back from the cache and only the stages after embedding run again for each threshold. Stories across
``--story-resolution`` values reuse one story graph and one run of average linkage (:func:`story_sweep`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster.errors import StoreError
from cluster.exact import distinct_hashes
from cluster.ingest import parse_date
from cluster.pipeline import Settings, find_neighbours, group
from cluster.schemas import DOCUMENTS
from cluster.store import EmbeddingCache, read_table
from cluster.stories import StoryParams, build_stories, cut_merges, event_graph, linkage_merges


def borderline_pairs(results: Path, threshold: float, n: int = 5) -> dict[str, list[dict[str, Any]]]:
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
    return {"accepted": accepted.to_dicts(), "rejected": rejected.to_dicts()}


def load_run(results: Path) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray, Settings]:
    """Documents, paragraphs, vectors (from the cache) and settings of a finished run."""
    manifest_path = results / "manifest.json"
    if not manifest_path.is_file():
        raise StoreError(f"{results} has no manifest.json: not a finished `newsdedup run` output")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    paragraphs = read_table(results, "paragraphs")
    docs = read_table(results, "documents")
    model, dim = manifest["model"]["name"], int(manifest["model"]["dim"])
    from cluster.embed import model_key

    cache = EmbeddingCache(results / "cache" / f"embeddings-{model_key(model, dim)}.npz", dim)
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
    stories = manifest["settings"].get("stories")
    settings = Settings(
        pair_threshold=manifest["settings"]["pair_threshold"],
        paraphrase_threshold=manifest["settings"]["paraphrase_threshold"],
        passage_threshold=manifest["settings"]["passage_threshold"],
        min_share=manifest["settings"]["min_share"],
        stories=StoryParams(**stories) if isinstance(stories, dict) else StoryParams(),
    )
    return documents, paragraphs.drop("passage_id"), vectors, settings


def sweep(results: Path, thresholds: Sequence[float]) -> list[dict[str, Any]]:
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
            {
                "threshold": t,
                "repeated_passages": result.stats["repeated_passages"],
                "copies": result.stats["copies"],
                "stories": result.stats["stories"],
            }
        )
    return rows


def story_sweep(results: Path, resolutions: Sequence[float]) -> list[dict[str, Any]]:
    """Stories at each ``--story-resolution``: how many, the largest, and how many articles stand alone.

    The story graph is built once and average linkage runs once down to the lowest resolution; each
    resolution is a cut of its merges (the Leiden qualities, when a run used one, run once per value)."""
    if not resolutions:
        raise ValueError("give at least one story resolution")
    if any(not 0.0 < r <= 1.0 for r in resolutions):
        raise ValueError("story resolutions must be in (0, 1]")
    documents, paragraphs, vectors, settings = load_run(results)
    params = settings.stories
    labels_at: dict[float, np.ndarray] = {}

    def each_resolution(vecs: np.ndarray, paras: pl.DataFrame, n_docs: int, p: StoryParams) -> np.ndarray:
        if p.quality == "average":
            merges = linkage_merges(n_docs, event_graph(vecs, paras, n_docs, p), min(resolutions))
            for r in resolutions:
                labels_at[r] = cut_merges(n_docs, merges, r)
        else:
            for r in resolutions:
                labels_at[r] = build_stories(vecs, paras, n_docs, replace(p, resolution=r))
        return labels_at[resolutions[0]]

    neighbours = find_neighbours(vectors, settings)
    group(documents, paragraphs, vectors, neighbours, settings, story_labels=each_resolution)
    rows = []
    for r in sorted(resolutions):
        sizes = np.bincount(labels_at[r]) if labels_at[r].size else np.zeros(0, dtype=np.int64)
        rows.append(
            {
                "resolution": r,
                "stories": int(sizes.size),
                "largest": int(sizes.max()) if sizes.size else 0,
                "single_article": int((sizes == 1).sum()),
                "is_run": bool(abs(r - params.resolution) < 1e-9),
            }
        )
    return rows


def load_manifest_threshold(results: Path) -> float:
    """The passage threshold a finished run used."""
    path = results / "manifest.json"
    if not path.is_file():
        raise StoreError(f"{results} has no manifest.json: not a finished `newsdedup run` output")
    return float(json.loads(path.read_text(encoding="utf-8"))["settings"]["passage_threshold"])
