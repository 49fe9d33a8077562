"""Writing a living index: ``build`` and ``add``. Each is the pipeline's stages, called with what the current
generation kept — prepare (split only new and changed articles) → embed missing texts → search new vector
rows → ``pipeline.group`` (stories redone only for changed articles) → write a new generation, switch."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster.distributed import open_engine
from cluster.embed import Encoder, encoder_dim, encoder_name, load_encoder, split_name
from cluster.errors import IndexFormatError, IndexModelError, Problem
from cluster.exact import distinct_hashes, distinct_texts, text_hash
from cluster.ingest import Columns, detect_languages, read_corpus
from cluster.living.maintain import by_text, embed_missing, update_pairs
from cluster.living.storage import (
    Checkpoint,
    Generation,
    Kept,
    VectorStore,
    claim_vectors,
    current,
    locked,
    next_generation,
    no_checkpoint,
    ours,
    remove_half_written,
    remove_old,
    switch,
    write_generation,
)
from cluster.pipeline import Clock, Progress, Result, Settings, group, passage_match, prepare, search_floor
from cluster.report import Summary, summarise
from cluster.runner import RunOptions
from cluster.schemas import DOCUMENTS
from cluster.store import INDEX_FORMAT_VERSION

KEEP_HISTORY = 50


@dataclass(slots=True)
class UpdateReport:
    """What a build or add did."""

    changed: bool  # False: nothing new, no generation written
    generation: str
    added: list[str] = field(default_factory=list)  # ids of new articles
    updated: list[str] = field(default_factory=list)  # ids whose text changed
    unchanged: int = 0  # articles already indexed with the same text
    embedded: int = 0
    from_cache: int = 0
    summary: Summary | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build(
    options: RunOptions,
    folder: Path,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> UpdateReport:
    """Index ``options.paths`` into ``folder`` (the stages of `run`, kept); replaces the articles of an index
    already there, reusing every vector it holds."""
    start = time.perf_counter()
    settings = options.resolved_settings()
    if folder.exists() and not folder.is_dir():
        raise IndexFormatError(f"{folder} is a file, not an index folder")
    if folder.is_dir() and not (folder / "CURRENT").exists():
        foreign = [p.name for p in folder.iterdir() if not ours(p.name)]
        if foreign:
            raise IndexFormatError(
                f"{folder} is not empty and is not an index ({', '.join(sorted(foreign)[:3])} …): "
                "choose a new --index folder"
            )
    with locked(folder) as note, open_engine(options.engine, load_encoder) as engine:
        old = current(folder) if (folder / "CURRENT").exists() else None
        remove_half_written(folder, old.name if old else None)
        name = encoder.name if encoder is not None else encoder_name(options.model, options.backend)
        if old is not None:
            _check_model(old, name, None)
        corpus = engine.read(  # --engine ray: the files parsed in Ray Data tasks
            options.paths, Columns(*options.columns), options.strict,
            (lambda d, t: progress("read", d, t)) if progress else None,
        )  # fmt: skip
        encoder = encoder or engine.encoder(
            options.model, options.backend, (lambda d, t: progress("embed", d, t)) if progress else None
        )
        dim = encoder_dim(encoder)
        if old is not None:
            _check_model(old, encoder.name, dim)
        report = UpdateReport(changed=True, generation="", notes=[note] if note else [])
        if old is None:
            report.notes += claim_vectors(folder / "vectors", encoder.name, dim)
        store = VectorStore(folder / "vectors", dim, old.manifest["segments"] if old else [], extras=True)
        documents = corpus.documents.with_columns(*_document_keys())
        report.added = documents["id"].to_list()
        report.problems = corpus.problems
        _commit(
            folder, old, Kept.empty(), documents, np.arange(documents.height), settings, encoder, store,
            report, inputs=corpus.files, op="build", progress=progress, checkpoint=checkpoint,
            nli={"use_nli": options.use_nli, "nli_model": options.nli_model},
        )
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def add(
    folder: Path,
    paths: Sequence[Path | str],
    *,
    columns: Columns | None = None,
    strict: bool = False,
    model: str | None = None,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> UpdateReport:
    """Add the articles under ``paths`` to the index in ``folder``.

    A new id is appended; an id already indexed with the same text is skipped; an id whose text changed
    replaces the old article (its ids are listed in ``UpdateReport.updated``). Only texts no segment holds
    are embedded; only new vector rows are searched.
    """
    start = time.perf_counter()
    current(folder)  # no lock file left in a folder that is no index
    with locked(folder) as note:
        old = current(folder)
        remove_half_written(folder, old.name)
        index_model, _ = old.model
        if model is not None and encoder_name(model, split_name(index_model)[1]) != index_model:
            _check_model(old, model, None)
        if encoder is not None:
            _check_model(old, encoder.name, None)
        corpus = read_corpus(
            paths, columns or Columns(), strict=strict,
            progress=(lambda d, t: progress("read", d, t)) if progress else None,
        )
        documents, dirty, added, updated, unchanged = _merge_documents(old.table("input"), corpus.documents)
        report = UpdateReport(
            changed=bool(len(dirty)), generation=old.name, added=added, updated=updated, unchanged=unchanged,
            problems=corpus.problems, notes=[note] if note else [],
        )
        if not len(dirty):
            report.seconds = round(time.perf_counter() - start, 3)
            return report
        encoder = encoder or encoder_for(old)
        dim = encoder_dim(encoder)
        _check_model(old, encoder.name, dim)
        kept = Kept.load(old)
        store = VectorStore(folder / "vectors", dim, old.manifest["segments"], extras=True)
        inputs = list(dict.fromkeys([*old.manifest.get("inputs", []), *corpus.files]))
        _commit(
            folder, old, kept, documents, dirty, old.settings, encoder, store, report,
            inputs=inputs, op="add", progress=progress, checkpoint=checkpoint, nli=old.manifest["nli"],
        )
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def encoder_for(gen: Generation) -> Encoder:
    """The model an index was built with, on the backend it was built with, loaded offline."""
    name, _ = gen.model
    model, backend = split_name(name)
    return load_encoder(model, backend=backend)


def _check_model(gen: Generation, name: str, dim: int | None) -> None:
    index_name, index_dim = gen.model
    if name != index_name or (dim is not None and dim != index_dim):
        shown = f"{name}" + (f" (dim {dim})" if dim is not None else "")
        raise IndexModelError(
            f"index {gen.folder} holds vectors of model {index_name} (dim {index_dim}); they cannot be mixed "
            f"with {shown}: use that model and --backend, or build a new index in another folder"
        )


def _document_keys() -> tuple[pl.Expr, pl.Expr]:
    """``content_hash``: of the text as read (an id whose text changed is updated); ``text_key``: of the
    normalised text, what exact-duplicate detection compares (kept, so no add normalises old articles)."""
    return (
        pl.col("text")
        .map_elements(lambda t: hashlib.blake2b(t.encode("utf-8"), digest_size=16).hexdigest(), return_dtype=pl.String)
        .alias("content_hash"),
        pl.col("text").map_elements(text_hash, return_dtype=pl.String).alias("text_key"),
    )


def _merge_documents(
    old: pl.DataFrame, new: pl.DataFrame
) -> tuple[pl.DataFrame, np.ndarray, list[str], list[str], int]:
    """(all documents, doc_ids to (re)split, added ids, updated ids, number unchanged)."""
    if "language" not in old.columns:  # an index built before documents had a language: detect it once now
        old = old.with_columns(pl.Series("language", detect_languages(old["text"].to_list()), dtype=pl.String))
    new = new.with_columns(*_document_keys())
    known = old.select("id", pl.col("doc_id").alias("_old_doc"), pl.col("content_hash").alias("_old_hash"))
    joined = new.join(known, on="id", how="left", maintain_order="left")
    is_new = pl.col("_old_doc").is_null()
    is_updated = ~is_new & (pl.col("content_hash") != pl.col("_old_hash"))
    fresh = joined.filter(is_new).drop("doc_id").with_row_index("doc_id", offset=old.height)
    fresh = fresh.with_columns(pl.col("doc_id").cast(pl.Int64))
    changed = joined.filter(is_updated).with_columns(pl.col("_old_doc").alias("doc_id"))
    columns = old.columns
    documents = pl.concat(
        [
            old.filter(~pl.col("doc_id").is_in(changed["doc_id"].implode())),
            changed.select(columns),
            fresh.select(columns),
        ]
    ).sort("doc_id")
    dirty = np.concatenate([changed["doc_id"].to_numpy(), fresh["doc_id"].to_numpy()]).astype(np.int64)
    unchanged = joined.filter(~is_new & ~is_updated).height
    return documents, np.sort(dirty), fresh["id"].to_list(), changed["id"].to_list(), unchanged


def _commit(
    folder: Path,
    old: Generation | None,
    kept: Kept,
    documents: pl.DataFrame,
    dirty: np.ndarray,
    settings: Settings,
    encoder: Encoder,
    store: VectorStore,
    report: UpdateReport,
    *,
    inputs: list[str],
    op: str,
    progress: Progress | None,
    checkpoint: Checkpoint,
    nli: dict[str, Any],
) -> None:
    clock = Clock()
    with clock.stage("paragraphs"):
        paragraphs = prepare(documents, settings, kept.paragraphs, dirty)
        texts, hashes = distinct_texts(paragraphs), distinct_hashes(paragraphs)
    with clock.stage("embed"):
        report.embedded = embed_missing(store, texts, hashes, encoder, progress, checkpoint)
        report.from_cache = len(texts) - report.embedded
    with clock.stage("neighbours"):
        pairs, index, index_meta = kept.pairs, kept.index, kept.index_meta
        if len(store):
            index, index_meta, pairs, note = update_pairs(
                kept.index, kept.index_meta, store.vectors, kept.pairs, kept.n_searched,
                search_floor(settings), settings.index,
                (lambda d, t: progress("neighbours", d, t)) if progress else None,
            )
            if note:
                report.notes.append(note)
    checkpoint("searched")
    text_rows = store.rows(hashes)
    left, right, score, match = pairs
    vectors, a, b, which = by_text(text_rows, store, left, right)
    with clock.stage("passages"):  # scored once, then kept with the pair
        match[which] = passage_match(texts, a, b, score[which], settings, match[which])
    # an article's full text only serves exact-duplicate detection in group(), which compares the hashes of
    # normalised texts: give it the kept hashes, so old articles are not normalised again
    grouped = documents.with_columns(pl.col("text_key").alias("text")).select(list(DOCUMENTS))
    result = group(
        grouped, paragraphs, vectors, (a, b, score[which]), settings, clock, match=match[which], story_work=kept.stories
    )
    assert result.story_work is not None
    result.stats["embedded"] = report.embedded
    result.stats["embeddings_from_cache"] = report.from_cache
    result.stats["vector_rows"] = len(store)
    result.stats["stories_rescored_pairs"] = result.story_work.rescored
    report.summary = summarise(result, report.problems)

    with clock.stage("write"):
        name = next_generation(folder)
        write_generation(
            folder / name, documents=documents, tables=result.tables(), pairs=pairs, stories=result.story_work,
            text_rows=text_rows, index=index, checkpoint=checkpoint,
            manifest=_manifest(
                name, old, op, report, result, settings, encoder.name, store, index_meta, inputs, nli, clock
            ),
        )
    checkpoint("written")
    switch(folder, name)
    report.generation = name
    checkpoint("switched")
    remove_old(folder, name, old.name if old else None)


def _manifest(
    name: str,
    old: Generation | None,
    op: str,
    report: UpdateReport,
    result: Result,
    settings: Settings,
    model: str,
    store: VectorStore,
    index_meta: dict[str, Any],
    inputs: list[str],
    nli: dict[str, Any],
    clock: Clock,
) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    history = list(old.manifest.get("history", []) if old and op == "add" else [])[-(KEEP_HISTORY - 1):]
    history.append({
        "op": op, "at": now, "added": len(report.added), "updated": len(report.updated),
        "unchanged": report.unchanged, "embedded": report.embedded, "skipped": len(report.problems),
    })
    return {
        "format_version": INDEX_FORMAT_VERSION,
        "generation": name,
        "created": (old.manifest.get("created", now) if old else now),
        "updated": now,
        "model": {"name": model, "dim": store.dim},
        "settings": settings.as_dict(),
        "nli": nli,
        "index": index_meta or {"kind": "none", "n_vectors": 0},
        "segments": store.segments,
        "counts": dict(result.stats),
        "inputs": inputs,
        "skipped": {
            "count": len(report.problems),
            "records": [{"file": p.file, "line": p.line, "message": p.message} for p in report.problems[:1000]],
        },
        "timings_s": dict(clock.timings),
        "history": history,
    }
