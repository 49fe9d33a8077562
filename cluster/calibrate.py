"""Help choosing a threshold: the matches nearest it, and what counts do across thresholds — no re-embedding.

A results folder keeps its paragraphs (with content hashes) and the embedding cache, so the vectors come
back from the cache and only the stages after embedding run again for each threshold.
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
    settings = Settings(
        pair_threshold=manifest["settings"]["pair_threshold"],
        paraphrase_threshold=manifest["settings"]["paraphrase_threshold"],
        passage_threshold=manifest["settings"]["passage_threshold"],
        min_share=manifest["settings"]["min_share"],
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


def load_manifest_threshold(results: Path) -> float:
    """The passage threshold a finished run used."""
    path = results / "manifest.json"
    if not path.is_file():
        raise StoreError(f"{results} has no manifest.json: not a finished `newsdedup run` output")
    return float(json.loads(path.read_text(encoding="utf-8"))["settings"]["passage_threshold"])
