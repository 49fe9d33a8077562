"""What a run tells its user: the terminal summary's rows and the manifest's contents."""

from __future__ import annotations

import os
import platform
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import polars as pl

from cluster import __version__
from cluster.errors import Problem
from cluster.ingest.language import language_note
from cluster.pipeline import Result, Settings

MANIFEST_VERSION = 1
MAX_PROBLEMS_LISTED = 1000


@dataclass(frozen=True, slots=True)
class Summary:
    counts: dict[str, int]
    top_stories: list[dict[str, Any]]
    top_passages: list[dict[str, Any]]
    timings: dict[str, float]
    problems: list[str]
    n_problems: int
    top_contradictions: list[dict[str, Any]]
    layers: list[str]
    languages: dict[str, int] = field(default_factory=dict)  # detected language -> articles, most first
    language_note: str | None = None  # most articles are in languages the model was not trained on
    n_reencoded: int = 0  # records decoded from a legacy encoding
    outcomes: dict[str, int] = field(default_factory=dict)  # what became of archive records
    embedding: dict[str, Any] = field(default_factory=dict)  # backend, device, texts_per_s (see embedding_info)


def summarise(
    result: Result,
    problems: list[Problem],
    n: int = 5,
    *,
    model: str | None = None,
    reencoded: list[Problem] | None = None,
    outcomes: dict[str, int] | None = None,
    embedding: dict[str, Any] | None = None,
) -> Summary:
    stories = result.stories.sort("n_docs", "story_id", descending=[True, False]).head(n)
    passages = (
        result.passages.filter(~pl.col("is_boilerplate") & (pl.col("n_docs") > 1))
        .sort("n_docs", "passage_id", descending=[True, False])
        .head(n)
    )
    language = result.documents["language"] if "language" in result.documents.columns else None
    languages = (
        {} if language is None else dict(Counter(v for v in language.to_list() if v).most_common())
    )
    return Summary(
        counts=dict(result.stats),
        top_stories=stories.select("story_id", "n_docs", "n_sources", "n_copies", "title").to_dicts(),
        top_passages=passages.select("passage_id", "n_docs", "n_texts", "first_id", "text").to_dicts(),
        timings=dict(result.timings),
        problems=[str(p) for p in problems[:n]],
        n_problems=len(problems),
        top_contradictions=result.contradictions.head(n)
        .select("story_id", "id_a", "id_b", "kind", "score", "sentence_a", "sentence_b", "span_a", "span_b")
        .to_dicts(),
        layers=list(result.layers),
        languages=languages,
        language_note=language_note(list(language), model) if model and language is not None else None,
        n_reencoded=len(reencoded or []),
        outcomes=dict(outcomes or {}),
        embedding=dict(embedding or {}),
    )


def _versions() -> dict[str, str]:
    out = {"newsdedup": __version__, "python": platform.python_version()}
    for package in ("sentence-transformers", "transformers", "torch", "faiss-cpu", "polars", "leidenalg"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return out


def embedding_info(result: Result, encoder: object) -> dict[str, Any]:
    """Which backend and device embedded, and at what rate (texts embedded / seconds of the embed stage)."""
    embedded = int(result.stats.get("embedded", 0))
    seconds = float(result.timings.get("embed", 0.0))
    info = {
        "backend": getattr(encoder, "backend", "custom"),
        "device": getattr(encoder, "device", "cpu"),
        "texts_per_s": round(embedded / seconds, 1) if embedded and seconds > 0 else None,
    }
    engine = getattr(encoder, "engine", None)  # a distributed encoder says where it ran (cluster.distributed)
    if engine:
        info["engine"] = engine
    return info


def manifest(
    result: Result,
    settings: Settings,
    *,
    model: str,
    dim: int,
    inputs: list[str],
    problems: list[Problem],
    fmt: str,
    columns: dict[str, str] | None = None,
    reencoded: list[Problem] | None = None,
    outcomes: dict[str, int] | None = None,
    languages: dict[str, int] | None = None,
    cache: str | None = None,
) -> dict[str, Any]:
    """The run's manifest. ``cache``: what its embedding cache is keyed by (:func:`cluster.embed.cache_name`;
    default the model name)."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "model": {"name": model, "dim": dim, "cache": cache or model},
        "settings": settings.as_dict(),
        "format": fmt,
        "inputs": inputs,
        "workdir": os.getcwd(),  # relative input paths are relative to it (`dedup` reads the inputs again)
        "columns": dict(columns or {}),  # input column names as mapped (--text-col ...): `dedup` writes them back
        "counts": dict(result.stats),
        "contradiction_layers": list(result.layers),
        "skipped": {
            "count": len(problems),
            "records": [{"file": p.file, "line": p.line, "message": p.message} for p in problems[:MAX_PROBLEMS_LISTED]],
        },
        "re_encoded": {  # records kept after decoding bytes that were not UTF-8; "encoding": what they were read as
            "count": len(reencoded or []),
            "records": [{"file": p.file, "line": p.line, "encoding": p.message}
                        for p in (reencoded or [])[:MAX_PROBLEMS_LISTED]],
        },
        "outcomes": dict(outcomes or {}),  # archive records: read as articles, ignored, skipped by reason, broken
        "languages": dict(languages or {}),
        "timings_s": dict(result.timings),
    }
