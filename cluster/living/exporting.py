"""Reading a living index whole: its description (``info``) and the tables `run` writes (``export``)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster.contradictions import find_contradictions
from cluster.errors import Problem, StoreError
from cluster.living.storage import TABLES, Generation, VectorStore, current
from cluster.pipeline import Result
from cluster.report import manifest as run_manifest
from cluster.runner import choose_nli
from cluster.store import FORMATS, write_json, write_parquet, write_run

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    dim: int


@dataclass(frozen=True, slots=True)
class Thresholds:
    pair: float
    paraphrase: float
    passage: float
    min_share: float


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What ``newsdedup index info`` shows; ``to_dict`` is its JSON form."""

    index: str
    format_version: int
    generation: str
    created: str | None
    updated: str | None
    model: ModelInfo
    thresholds: Thresholds
    faiss: dict[str, Any]  # the FAISS index's description: kind, n_vectors, and for IVF nlist, nprobe, …
    counts: dict[str, int]  # the counts of the generation's tables (Result.stats)
    inputs: int  # files read
    skipped: int  # bad records skipped
    size_bytes: int
    history: list[dict[str, Any]]  # the last five operations

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def info(folder: Path) -> IndexInfo:
    """Counts, model, thresholds, FAISS index, size on disk and last operations of an index."""
    gen = current(folder)
    m = gen.manifest
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    s = gen.settings
    name, dim = gen.model
    return IndexInfo(
        index=str(folder),
        format_version=m["format_version"],
        generation=gen.name,
        created=m.get("created"),
        updated=m.get("updated"),
        model=ModelInfo(name, dim),
        thresholds=Thresholds(s.pair_threshold, s.paraphrase_threshold, s.passage_threshold, s.min_share),
        faiss=m["index"],
        counts=m["counts"],
        inputs=len(m.get("inputs", [])),
        skipped=m.get("skipped", {}).get("count", 0),
        size_bytes=size,
        history=m.get("history", [])[-5:],
    )


def export(folder: Path, out: Path, fmt: str = "parquet") -> list[Path]:
    """Write the tables `run` writes (and its manifest) from the index's current generation."""
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    gen = current(folder)
    t = {name: gen.table(name) for name in TABLES}
    model, dim = gen.model
    result = Result(
        documents=t["documents"], paragraphs=t["paragraphs"], passages=t["passages"], pairs=t["pairs"],
        copies=t["copies"], stories=t["stories"], vectors=np.zeros((0, dim), dtype=np.float32),
        timings=dict(gen.manifest.get("timings_s", {})), stats=dict(gen.manifest["counts"]),
    )
    start = time.perf_counter()
    result.contradictions, result.layers = contradictions(gen, result.paragraphs, result.documents)
    result.timings["contradictions"] = round(time.perf_counter() - start, 4)
    result.stats["contradictions"] = result.contradictions.height
    skipped = gen.manifest.get("skipped", {}).get("records", [])
    problems = [Problem(r["file"], r["line"], r["message"]) for r in skipped]
    data = run_manifest(result, gen.settings, model=model, dim=dim, inputs=gen.manifest.get("inputs", []),
                        problems=problems, fmt=fmt)
    data["index"] = {"path": str(folder), "generation": gen.name}
    return write_run(out, result.tables(), data, fmt)


def contradictions(
    gen: Generation, paragraphs: pl.DataFrame, documents: pl.DataFrame
) -> tuple[pl.DataFrame, list[str]]:
    """The contradictions table of a generation and the layers that judged it, as `run` computes them.

    Judged on the first export and kept in the generation (it depends on nothing else), not at each add:
    its NLI budget is shared by the whole corpus, so it cannot be updated story by story."""
    choice = gen.manifest.get("nli", {"use_nli": True, "nli_model": None})
    kept = gen.path / "contradictions.parquet"
    if kept.is_file() and (gen.path / "contradiction_layers.json").is_file():
        try:
            layers = json.loads((gen.path / "contradiction_layers.json").read_text(encoding="utf-8"))["layers"]
            return pl.read_parquet(kept), list(layers)
        except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError):
            pass  # judge again below
    scorer = choose_nli(choice["nli_model"], choice["use_nli"])
    store = VectorStore(gen.folder / "vectors", gen.model[1], gen.manifest["segments"], extras=False)
    vectors = store.vectors[gen.array("text_rows")]
    ordered = documents.sort("doc_id")
    languages = ordered["language"].to_numpy() if "language" in ordered else None
    table = find_contradictions(
        paragraphs, ordered["story_id"].to_numpy(), vectors, scorer, gen.settings.contradictions, languages
    )
    layers = ["detail", "nli"] if scorer is not None else ["detail"]
    try:  # a pure function of the generation: keeping it is safe even if two exports race
        write_parquet(table, kept)
        write_json({"layers": layers}, gen.path / "contradiction_layers.json")
    except (OSError, StoreError):
        log.info("contradictions of %s not kept (generation replaced meanwhile?)", gen.name)
    return table, layers
