"""A living index: a corpus kept in a folder, so new articles are deduplicated against it without embedding
the old ones again, and any passage can be looked up ("where else was this published?").

```
news.idx/CURRENT                  the name of the complete generation readers use ("gen-000007")
news.idx/LOCK                     PID of the one writer, which holds an flock on it while it writes
news.idx/vectors/seg-000001.npz   embeddings (content hash, float32 vector), append-only: vector row r of the
                                  index is row r of the segments in order. One segment per embedded chunk,
                                  each written atomically, so a killed run resumes without re-embedding.
news.idx/gen-000007/manifest.json format_version, model, settings, FAISS index kind, segments, counts, history
                   input.parquet        the articles as read (text included) and a hash of each text
                   documents.parquet … stories.parquet   the six tables `run` writes
                   neighbours.parquet   pairs of vector rows with cosine >= the pair threshold
                   text_rows.npy        vector row of each text_id of the paragraphs table
                   faiss.index          the FAISS index over every vector row
                   articles.parquet, article_vectors.npy, story_scores.parquet
                                        story work kept so only articles whose content changed are rescored
```

A writer builds a complete new generation in a fresh folder, fsyncs it, then replaces CURRENT atomically
(temporary file, fsync, rename): a process killed at any point leaves the old generation or the new one.
The previous generation is kept (a reader may still be loading it); older and half-written ones are removed
by the next writer. ``add`` embeds only texts whose hash no segment holds, searches only the new vector rows
against the whole FAISS index and merges their pairs with the kept ones, then regroups passages, copies and
stories over everything (cheap next to embedding and searching). With an exact index the pairs are the ones
a single build over all articles finds, so passages, copies and stories are the same.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import polars as pl

from cluster import stories as stories_mod
from cluster.conflicts import find_contradictions
from cluster.embed import DEFAULT_MODEL, Encoder, encode_in_order, load_encoder
from cluster.errors import IndexFormatError, IndexLockedError, IndexModelError, Problem, StoreError
from cluster.exact import assign_text_ids, distinct_hashes, distinct_texts, text_hash
from cluster.index import IndexParams, build_index, neighbour_pairs
from cluster.ingest import Columns, read_corpus
from cluster.paragraphs import repeated_unrelated, split_paragraphs, split_text, template_reason
from cluster.passages import passage_scores
from cluster.pipeline import Clock, Progress, Result, Settings, group, search_floor
from cluster.report import Summary, summarise
from cluster.report import manifest as run_manifest
from cluster.runner import RunOptions, choose_nli
from cluster.schemas import DOCUMENTS
from cluster.store import FORMATS, atomic_path, write_json, write_run
from cluster.stories import StoryParams

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
TABLES = ("documents", "paragraphs", "passages", "pairs", "copies", "stories")
EMBED_CHUNK = 1024  # texts per vector segment: the most a killed run loses
RETRAIN_GROWTH = 2.0  # an IVF index is retrained once it holds this many times the vectors it was trained on
RETRAIN_IMBALANCE = 2.0  # … or once its lists are this much more unbalanced than after training
KEEP_HISTORY = 50

# Called with a stage name at each point where a killed process must leave a usable index: "embedded" (after
# each vector segment), "searched", "writing" (first file of a generation written), "written" (generation
# complete, CURRENT not switched yet), "switched". The crash tests stop the process there and kill it.
Checkpoint = Callable[[str], None]


def _no_checkpoint(stage: str) -> None:
    return None


# ---------------------------------------------------------------------------------------------------- lock


@contextmanager
def locked(folder: Path) -> Iterator[str | None]:
    """Hold the index's writer lock; yields a note when a lock left by a dead process was taken over.

    The lock is an flock on ``folder/LOCK`` holding the writer's PID: the kernel releases it when the process
    dies, so a lock file whose flock is free was left by a killed writer and is taken over.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create index folder {folder}: {exc.strerror or exc}") from None
    path = folder / "LOCK"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise IndexLockedError(
                f"index is locked by PID {holder if holder is not None else '?'}: another newsdedup process is "
                f"writing to {folder}; wait for it to finish"
            ) from None
        try:  # the previous holder may have removed the file between our open and flock: lock the new one
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    previous = _read_pid(fd)
    note = None
    if previous is not None and previous != os.getpid():
        note = f"took over the lock left by PID {previous}, which ended without releasing it"
        log.warning("%s: %s", folder, note)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    os.fsync(fd)
    try:
        yield note
    finally:
        path.unlink(missing_ok=True)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


# ------------------------------------------------------------------------------------------- vector store


class VectorStore:
    """The index's embeddings by content hash, in append-only segment files; row = position over segments."""

    def __init__(self, folder: Path, dim: int, listed: Sequence[str], *, extras: bool) -> None:
        """Load the ``listed`` segments (those of a generation; an unreadable one is an error) and, with
        ``extras``, every later segment too (vectors embedded by a run that was killed: the cache)."""
        self.folder = folder
        self.dim = dim
        self.segments: list[str] = []
        self.hashes: list[str] = []
        self._rows: dict[str, int] = {}
        self._parts: list[np.ndarray] = []
        self._joined: np.ndarray | None = None
        names = list(listed)
        if extras and folder.is_dir():
            names += sorted(p.name for p in folder.glob("seg-*.npz") if p.name not in set(listed))
        for name in names:
            try:
                hashes, vectors = self._read(folder / name)
            except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                if name in listed:
                    raise IndexFormatError(f"index vectors {folder / name} cannot be read: {exc}") from None
                log.warning("ignoring unreadable vector segment %s (%s)", folder / name, exc)
                continue
            self._extend(name, hashes, vectors)

    def _read(self, path: Path) -> tuple[list[str], np.ndarray]:
        with np.load(path, allow_pickle=False) as data:
            hashes = [h.decode("ascii") for h in data["hashes"]]
            vectors = np.asarray(data["vectors"], dtype=np.float32)
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"shape {vectors.shape}, expected ({len(hashes)}, {self.dim})")
        return hashes, vectors

    def _extend(self, name: str, hashes: list[str], vectors: np.ndarray) -> None:
        start = len(self.hashes)
        for i, h in enumerate(hashes):
            self._rows.setdefault(h, start + i)
        self.hashes.extend(hashes)
        self._parts.append(vectors)
        self._joined = None
        self.segments.append(name)

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def vectors(self) -> np.ndarray:
        if self._joined is None:
            self._joined = (
                np.concatenate(self._parts) if self._parts else np.zeros((0, self.dim), dtype=np.float32)
            )
            self._parts = [self._joined]
        return self._joined

    def rows(self, hashes: Sequence[str]) -> np.ndarray:
        """Vector row of each hash; -1 where none is stored."""
        return np.array([self._rows.get(h, -1) for h in hashes], dtype=np.int64)

    def append(self, hashes: list[str], vectors: np.ndarray) -> None:
        """Store a new segment atomically; after this a killed process never needs to embed these again."""
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"vectors shape {vectors.shape} does not match {len(hashes)} hashes × {self.dim}")
        numbers = [int(p.stem[4:]) for p in self.folder.glob("seg-*.npz") if p.stem[4:].isdigit()]
        name = f"seg-{max(numbers, default=0) + 1:06d}.npz"
        encoded = np.array([h.encode("ascii") for h in hashes])
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.folder / name) as tmp, tmp.open("wb") as handle:
                np.savez(handle, hashes=encoded, vectors=np.asarray(vectors, dtype=np.float32))
        except OSError as exc:
            raise StoreError(f"cannot write {self.folder / name}: {exc.strerror or exc}") from None
        self._extend(name, hashes, np.asarray(vectors, dtype=np.float32))


# -------------------------------------------------------------------------------------------- generations


@dataclass(frozen=True, slots=True)
class Generation:
    """One complete state of an index folder, as CURRENT names it."""

    folder: Path
    name: str
    manifest: dict[str, Any]

    @property
    def path(self) -> Path:
        return self.folder / self.name

    def table(self, name: str) -> pl.DataFrame:
        path = self.path / f"{name}.parquet"
        try:
            return pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise IndexFormatError(f"index file {path} cannot be read: {str(exc).splitlines()[0]}") from None

    def array(self, name: str) -> np.ndarray:
        path = self.path / f"{name}.npy"
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"index file {path} cannot be read: {exc}") from None

    def faiss_index(self) -> faiss.Index | None:
        path = self.path / "faiss.index"
        if not path.exists():
            return None
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexFormatError(f"index file {path} cannot be read: {str(exc).splitlines()[0]}") from None
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = min(self.settings.index.nprobe, index.nlist)
        return index

    @property
    def settings(self) -> Settings:
        return settings_from_dict(self.manifest["settings"])

    @property
    def model(self) -> tuple[str, int]:
        return str(self.manifest["model"]["name"]), int(self.manifest["model"]["dim"])


def current(folder: Path) -> Generation:
    """The generation CURRENT names; a clear error when the folder is no index or one of a newer format."""
    for _ in range(3):
        pointer = folder / "CURRENT"
        if not pointer.is_file():
            if not folder.exists():
                raise IndexFormatError(f"index not found: {folder} (create it with `newsdedup index build`)")
            raise IndexFormatError(
                f"{folder} holds no complete index (no CURRENT file): build it with `newsdedup index build`"
            )
        name = pointer.read_text(encoding="utf-8").strip()
        if not re.fullmatch(r"gen-\d{6}", name):
            raise IndexFormatError(f"{pointer} does not name a generation ({name[:40]!r})")
        try:
            data = json.loads((folder / name / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue  # a writer switched and removed it meanwhile: read CURRENT again
        except (OSError, json.JSONDecodeError) as exc:
            raise IndexFormatError(f"index manifest {folder / name / 'manifest.json'} cannot be read: {exc}") from None
        _check_format(data, folder)
        return Generation(folder, name, data)
    raise IndexFormatError(f"index {folder} keeps changing under this reader; try again")


def _check_format(data: Any, folder: Path) -> None:
    version = data.get("format_version") if isinstance(data, dict) else None
    if not isinstance(version, int) or version < 1:
        raise IndexFormatError(f"{folder} is not a newsdedup index (manifest without a format_version)")
    if version > FORMAT_VERSION:
        raise IndexFormatError(
            f"index {folder} has format version {version}, newer than this newsdedup understands "
            f"({FORMAT_VERSION}); upgrade newsdedup to open it"
        )
    for key in ("model", "settings", "segments", "index"):
        if key not in data:
            raise IndexFormatError(f"index manifest of {folder} lacks '{key}'")


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """The ``Settings`` a manifest recorded (``Settings.as_dict``); nested parameter groups rebuilt, and
    settings added to the program since the index was built take their defaults."""
    values = dict(data)
    try:
        for f in dataclasses.fields(Settings):
            default: Any = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
            if dataclasses.is_dataclass(default) and isinstance(values.get(f.name), dict):
                group_type: Any = type(default)
                values[f.name] = group_type(**values[f.name])
        return Settings(**values)
    except (TypeError, ValueError) as exc:
        raise IndexFormatError(f"index settings cannot be read: {exc}") from None


def _generation_number(name: str) -> int:
    return int(name[4:])


def _generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("gen-*") if re.fullmatch(r"gen-\d{6}", p.name) and p.is_dir())


def _remove_half_written(folder: Path, keep: str | None) -> None:
    """Generations newer than CURRENT are leftovers of a killed writer; temporary files too."""
    newest = _generation_number(keep) if keep else -1
    for name in _generations(folder):
        if _generation_number(name) > newest:
            log.info("removing half-written generation %s", folder / name)
            shutil.rmtree(folder / name, ignore_errors=True)
    for pattern in (".CURRENT.*.tmp", "vectors/.seg-*.tmp"):
        for tmp in folder.glob(pattern):
            tmp.unlink(missing_ok=True)


def _remove_old(folder: Path, now: str, previous: str | None) -> None:
    for name in _generations(folder):
        if name not in (now, previous):
            shutil.rmtree(folder / name, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(folder: Path, name: str) -> None:
    with atomic_path(folder / "CURRENT") as tmp:
        tmp.write_text(name + "\n", encoding="utf-8")
    _fsync_dir(folder)


# -------------------------------------------------------------------------------------------- the state


@dataclass(slots=True)
class _StoryMemory:
    """Story work kept between generations: article vectors and scored candidate pairs of articles whose
    content paragraphs did not change. Called as ``pipeline.group``'s ``story_labels``; the result is the
    one :func:`cluster.stories.build_stories` gives."""

    fingerprints: list[str] = field(default_factory=list)
    doc_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    scores: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"doc_a": pl.Int64, "doc_b": pl.Int64, "score": pl.Float64})
    )
    rescored: int = 0

    def __call__(self, vectors: np.ndarray, paragraphs: pl.DataFrame, n_docs: int, params: StoryParams) -> np.ndarray:
        prints = _fingerprints(paragraphs, n_docs)
        old = self.fingerprints
        same_shape = self.doc_vectors.ndim == 2 and self.doc_vectors.shape[1] == vectors.shape[1]
        dirty = np.array(
            [not same_shape or i >= len(old) or old[i] != p for i, p in enumerate(prints)], dtype=bool
        )
        dirty_ids = np.flatnonzero(dirty)
        doc_vectors = np.zeros((n_docs, vectors.shape[1]), dtype=np.float32)
        kept = np.flatnonzero(~dirty)
        if len(kept):
            doc_vectors[kept] = self.doc_vectors[kept]
        if len(dirty_ids):
            subset = paragraphs.filter(pl.col("doc_id").is_in(pl.Series(dirty_ids).implode()))
            lead = params.lead_chars if params.quality == "average" else None
            doc_vectors[dirty_ids] = stories_mod.article_vectors(vectors, subset, n_docs, lead)[dirty_ids]
        if params.quality == "average":
            # the default story method: stories.event_edges and average_linkage on the kept lead vectors
            # (its TF-IDF depends on the whole corpus, so it is recomputed; it is cheap)
            texts = stories_mod.article_texts(paragraphs, n_docs)
            lexical = stories_mod.lexical_vectors(texts) if texts is not None else None
            edges = stories_mod.event_edges(doc_vectors, paragraphs, lexical, params)
            self.rescored = len(dirty_ids)
            self.fingerprints, self.doc_vectors = prints, doc_vectors
            self.scores = self.scores.clear()  # paragraph-match scores only serve the Leiden qualities
            return stories_mod.average_linkage(n_docs, edges, resolution=params.resolution)
        cand = stories_mod.knn_edges(doc_vectors, k=params.k, threshold=-1.0)
        dirty_frame = pl.DataFrame({"doc": dirty_ids}, schema={"doc": pl.Int64})
        cand = cand.join(self.scores, on=["doc_a", "doc_b"], how="left").with_columns(
            pl.when(pl.col("doc_a").is_in(dirty_frame["doc"].implode()) | pl.col("doc_b").is_in(
                dirty_frame["doc"].implode()
            ))
            .then(None)
            .otherwise(pl.col("score"))
            .alias("score")
        )
        todo = cand["score"].is_null().to_numpy()
        score = cand["score"].fill_null(0.0).to_numpy().copy()
        if todo.any():
            a = cand["doc_a"].to_numpy()[todo]
            b = cand["doc_b"].to_numpy()[todo]
            score[todo] = stories_mod.paragraph_match(vectors, paragraphs, a, b)
        self.rescored = int(todo.sum())
        cand = cand.with_columns(pl.Series("score", score, dtype=pl.Float64))
        self.fingerprints, self.doc_vectors, self.scores = prints, doc_vectors, cand.select("doc_a", "doc_b", "score")
        # the rest is cluster.stories.story_edges and build_stories, from the scored candidates on
        knn = cand.select("doc_a", "doc_b", pl.col("score").alias("weight"))
        edges = stories_mod.with_passage_edges(
            knn.filter(pl.col("weight") >= params.threshold),
            paragraphs,
            params.passage_weight,
            params.min_passage_share,
            params.max_docs_per_passage,
        )
        return stories_mod.cluster_stories(
            n_docs, edges, resolution=params.resolution, seed=params.seed, quality=params.quality
        )


def _fingerprints(paragraphs: pl.DataFrame, n_docs: int) -> list[str]:
    """Per article, a hash of its content paragraphs (text hash and length, in order): what its story work
    depends on."""
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
class _State:
    """What a writer starts from: the current generation's paragraphs and kept work."""

    paragraphs: pl.DataFrame | None  # the output paragraphs table
    pairs: Pairs
    n_searched: int  # vector rows whose neighbours are all in ``pairs``
    index: faiss.Index | None
    index_meta: dict[str, Any]
    stories: _StoryMemory
    manifest: dict[str, Any] | None

    @classmethod
    def empty(cls) -> _State:
        rows, scores = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return cls(None, (rows, rows, scores, scores), 0, None, {}, _StoryMemory(), None)

    @classmethod
    def load(cls, gen: Generation) -> _State:
        pairs = gen.table("neighbours")
        articles = gen.table("articles")
        fingerprints = articles.sort("doc_id")["fingerprint"].to_list()
        memory = _StoryMemory(fingerprints, gen.array("article_vectors"), gen.table("story_scores"))
        return cls(
            paragraphs=gen.table("paragraphs"),
            pairs=(
                pairs["left"].to_numpy().astype(np.int64),
                pairs["right"].to_numpy().astype(np.int64),
                pairs["cosine"].to_numpy().astype(np.float32),
                pairs["match"].fill_null(np.nan).to_numpy().astype(np.float32),
            ),
            n_searched=int(gen.manifest["index"]["n_vectors"]),
            index=gen.faiss_index(),
            index_meta=dict(gen.manifest["index"]),
            stories=memory,
            manifest=gen.manifest,
        )


# ------------------------------------------------------------------------------------------------ reports


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


# ---------------------------------------------------------------------------------------- build and add


def build(
    options: RunOptions,
    folder: Path,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint = _no_checkpoint,
) -> UpdateReport:
    """Index ``options.paths`` into ``folder`` (the stages of `run`, kept); replaces the articles of an index
    already there, reusing every vector it holds."""
    start = time.perf_counter()
    settings = options.resolved_settings()
    if folder.exists() and not folder.is_dir():
        raise IndexFormatError(f"{folder} is a file, not an index folder")
    if folder.is_dir() and not (folder / "CURRENT").exists():
        foreign = [p.name for p in folder.iterdir() if not _ours(p.name)]
        if foreign:
            raise IndexFormatError(
                f"{folder} is not empty and is not an index ({', '.join(sorted(foreign)[:3])} …): "
                "choose a new --index folder"
            )
    with locked(folder) as note:
        old = current(folder) if (folder / "CURRENT").exists() else None
        _remove_half_written(folder, old.name if old else None)
        name = encoder.name if encoder is not None else (options.model or DEFAULT_MODEL)
        if old is not None:
            _check_model(old, name, None)
        corpus = read_corpus(
            options.paths, Columns(*options.columns), strict=options.strict,
            progress=(lambda d, t: progress("read", d, t)) if progress else None,
        )
        encoder = encoder or load_encoder(options.model)
        dim = _dimension(encoder)
        if old is not None:
            _check_model(old, encoder.name, dim)
        report = UpdateReport(changed=True, generation="", notes=[note] if note else [])
        if old is None:
            report.notes += _claim_vectors(folder / "vectors", encoder.name, dim)
        store = VectorStore(folder / "vectors", dim, old.manifest["segments"] if old else [], extras=True)
        documents = corpus.documents.with_columns(*_document_keys())
        report.added = documents["id"].to_list()
        report.problems = corpus.problems
        state = _State.empty()
        _commit(
            folder, old, state, documents, np.arange(documents.height), settings, encoder, dim, store,
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
    checkpoint: Checkpoint = _no_checkpoint,
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
        _remove_half_written(folder, old.name)
        index_model, _ = old.model
        if model is not None and model != index_model:
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
        dim = _dimension(encoder)
        _check_model(old, encoder.name, dim)
        state = _State.load(old)
        store = VectorStore(folder / "vectors", dim, old.manifest["segments"], extras=True)
        inputs = list(dict.fromkeys([*old.manifest.get("inputs", []), *corpus.files]))
        _commit(
            folder, old, state, documents, dirty, old.settings, encoder, dim, store, report,
            inputs=inputs, op="add", progress=progress, checkpoint=checkpoint, nli=old.manifest["nli"],
        )
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _claim_vectors(folder: Path, model: str, dim: int) -> list[str]:
    """Before a first build: mark the vectors folder as ``model``'s; vectors of another model left by an
    interrupted build are discarded."""
    stamp = folder / "model.json"
    notes = []
    try:
        previous = json.loads(stamp.read_text(encoding="utf-8")) if stamp.exists() else None
    except (OSError, json.JSONDecodeError):
        previous = {}
    if previous != {"name": model, "dim": dim}:
        stale = sorted(folder.glob("seg-*.npz"))
        if stale:
            shown = f"{previous.get('name')} (dim {previous.get('dim')})" if previous else "an unknown model"
            notes.append(f"discarded {len(stale)} vector file(s) of {shown} left by an interrupted build")
            for path in stale:
                path.unlink()
        write_json({"name": model, "dim": dim}, stamp)
    return notes


def encoder_for(gen: Generation) -> Encoder:
    """The model an index was built with, loaded offline."""
    name, _ = gen.model
    return load_encoder(None if name == DEFAULT_MODEL else name)


def _ours(name: str) -> bool:
    return name in {"CURRENT", "LOCK", "vectors"} or name.startswith((".CURRENT.", "gen-"))


def _dimension(encoder: Encoder) -> int:
    return int(getattr(encoder, "dim", 0)) or int(np.asarray(encoder.encode(["dimension probe"])).shape[1])


def _check_model(gen: Generation, name: str, dim: int | None) -> None:
    index_name, index_dim = gen.model
    if name != index_name or (dim is not None and dim != index_dim):
        shown = f"{name}" + (f" (dim {dim})" if dim is not None else "")
        raise IndexModelError(
            f"index {gen.folder} holds vectors of model {index_name} (dim {index_dim}); they cannot be mixed "
            f"with {shown}: use that model, or build a new index in another folder"
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


def _prepare(
    old: pl.DataFrame | None, documents: pl.DataFrame, dirty: np.ndarray, settings: Settings
) -> pl.DataFrame:
    """``pipeline.prepare`` over all documents, splitting only the ``dirty`` ones again.

    Paragraphs of unchanged articles keep their split, hash and template verdict; the corpus-wide verdicts
    (boilerplate repeated across unrelated articles, text ids) are recomputed over everything.
    """
    columns = ["doc_id", "id", "position", "text", "n_chars", "hash", "boilerplate_reason"]
    is_dirty = pl.col("doc_id").is_in(pl.Series(dirty, dtype=pl.Int64).implode())
    fresh = split_paragraphs(documents.filter(is_dirty), settings.max_paragraph_chars)
    limit = settings.boilerplate.max_template_chars
    fresh = fresh.with_columns(
        pl.col("text")
        .map_elements(lambda t: template_reason(t, limit), return_dtype=pl.String)
        .alias("boilerplate_reason")
    ).select(columns)
    parts = [fresh]
    if old is not None:
        kept = old.filter(~is_dirty).with_columns(
            pl.when(pl.col("boilerplate_reason") == "repeated").then(None).otherwise(pl.col("boilerplate_reason"))
            .alias("boilerplate_reason")
        )
        parts.insert(0, kept.select(columns))
    flagged = (
        pl.concat(parts)
        .sort("doc_id", "position")
        .with_row_index("para_id")
        .with_columns(pl.col("para_id").cast(pl.Int64))
    )
    # the rest is paragraphs.flag_boilerplate, from the template verdicts on
    repeated = repeated_unrelated(flagged, settings.boilerplate)
    flagged = flagged.with_columns(
        pl.when(pl.col("boilerplate_reason").is_null() & pl.col("hash").is_in(repeated.implode()))
        .then(pl.lit("repeated"))
        .otherwise(pl.col("boilerplate_reason"))
        .alias("boilerplate_reason")
    ).with_columns(pl.col("boilerplate_reason").is_not_null().alias("is_boilerplate"))
    flagged = flagged.select("para_id", "doc_id", "id", "position", "text", "n_chars", "hash",
                             "boilerplate_reason", "is_boilerplate")
    return assign_text_ids(flagged)


def _embed_missing(
    store: VectorStore,
    texts: list[str],
    hashes: list[str],
    encoder: Encoder,
    progress: Progress | None,
    checkpoint: Checkpoint,
) -> int:
    """Embed the texts no segment holds, one saved segment per chunk (longest first inside it); how many.

    Chunks follow text ids, so a fresh index's vector rows are its text ids (no reordering later)."""
    chunk = EMBED_CHUNK
    missing = np.flatnonzero(store.rows(hashes) < 0).tolist()
    for start in range(0, len(missing), chunk):
        part = missing[start : start + chunk]
        vectors = encode_in_order(encoder, [texts[i] for i in part])
        if vectors.shape[1] != store.dim:
            raise IndexModelError(
                f"model {encoder.name} gives {vectors.shape[1]}-d vectors; the index holds {store.dim}-d"
            )
        store.append([hashes[i] for i in part], vectors)
        if progress:
            progress("embed", min(start + chunk, len(missing)), len(missing))
        checkpoint("embedded")
    return len(missing)


def _grow_index(
    index: faiss.Index | None, meta: dict[str, Any], vectors: np.ndarray, params: IndexParams
) -> tuple[faiss.Index, dict[str, Any], str | None]:
    """The FAISS index over every vector row: new rows added, rebuilt when it must change kind or when an IVF
    index outgrew its training (size or balance of its lists)."""
    n = len(vectors)
    kind = "flat" if n <= params.exact_max else "ivf"
    reason = None
    if index is None:
        reason = "new"
    elif meta.get("kind") != kind:
        reason = f"grew past {params.exact_max} vectors: exact index replaced by IVF"
    elif kind == "ivf" and n >= RETRAIN_GROWTH * meta["trained_on"]:
        reason = f"IVF index retrained: {n} vectors, trained on {meta['trained_on']}"
    if reason is None:
        assert index is not None
        index.add(np.ascontiguousarray(vectors[index.ntotal :]))
        if kind == "ivf" and _imbalance(index) > RETRAIN_IMBALANCE * meta.get("imbalance", 1.0):
            reason = f"IVF index retrained: lists unbalanced ({_imbalance(index):.2f})"
    if reason is not None:
        index = build_index(vectors, params)
        meta = {"kind": kind, "trained_on": n}
        if kind == "ivf":
            ivf: Any = index
            meta.update(nlist=int(ivf.nlist), nprobe=int(ivf.nprobe), imbalance=round(_imbalance(index), 3))
    meta["n_vectors"] = n
    assert index is not None
    return index, meta, (reason if reason and reason != "new" else None)


def _imbalance(index: Any) -> float:
    """FAISS's imbalance factor of an IVF index: 1 when every list holds as many vectors."""
    sizes = np.array([index.invlists.list_size(i) for i in range(index.nlist)], dtype=np.float64)
    total = sizes.sum()
    return float((sizes**2).sum() * len(sizes) / (total * total)) if total else 1.0


Pairs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # vector rows left < right, cosine, match


def update_pairs(
    index: faiss.Index | None,
    meta: dict[str, Any],
    vectors: np.ndarray,
    kept: Pairs,
    n_searched: int,
    threshold: float,
    params: IndexParams,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[faiss.Index, dict[str, Any], Pairs, str | None]:
    """The FAISS index over every row of ``vectors`` and the pairs of every row (``kept`` holds those of
    the rows before ``n_searched``). New rows are searched; when an IVF index is retrained, the rows searched
    against the outgrown one (added since its training) are searched again, so recall stays that of one
    build. Returns (index, its description, pairs, a note when it was rebuilt)."""
    old_kind, old_trained = meta.get("kind"), int(meta.get("trained_on", 0))
    index, meta, note = _grow_index(index, meta, vectors, params)
    start = n_searched
    if note and old_kind == "ivf" and meta["kind"] == "ivf":
        start = min(n_searched, old_trained)
    found = neighbour_pairs(index, vectors, threshold, params, progress, rows=np.arange(start, len(vectors)))
    return index, meta, _merge_pairs(kept, found), note


def _merge_pairs(kept: Pairs, found: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Pairs:
    """Kept pairs (with their ``match``) and found ones (``match`` not known yet: NaN), sorted, each pair
    once (the kept one when both hold it)."""
    left, right, score, match = (
        np.concatenate([k, f]) for k, f in zip(kept, (*found, np.full(len(found[0]), np.nan, np.float32)), strict=True)
    )
    order = np.lexsort((np.isnan(match), right, left))
    left, right, score, match = left[order], right[order], score[order], match[order]
    first = np.ones(len(left), dtype=bool)
    first[1:] = (left[1:] != left[:-1]) | (right[1:] != right[:-1])
    return left[first], right[first], score[first], match[first]


def _dense(
    rows: np.ndarray, store: VectorStore, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectors and pairs renumbered from vector rows to text ids (``rows[text_id]`` is its vector row):
    (vectors, left, right, which pair each is). Pairs with a row no current text uses are left out."""
    if len(rows) == len(store) and np.array_equal(rows, np.arange(len(rows))):  # rows are text ids
        return store.vectors, left, right, np.arange(len(left))
    vectors = store.vectors[rows] if len(rows) else np.zeros((0, store.dim), dtype=np.float32)
    text_of_row = np.full(len(store), -1, dtype=np.int64)
    text_of_row[rows] = np.arange(len(rows))
    a, b = text_of_row[left], text_of_row[right]
    which = np.flatnonzero((a >= 0) & (b >= 0))
    a, b = np.minimum(a, b)[which], np.maximum(a, b)[which]
    order = np.lexsort((b, a))
    return vectors, a[order], b[order], which[order]


def _commit(
    folder: Path,
    old: Generation | None,
    state: _State,
    documents: pl.DataFrame,
    dirty: np.ndarray,
    settings: Settings,
    encoder: Encoder,
    dim: int,
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
        paragraphs = _prepare(state.paragraphs, documents, dirty, settings)
        texts = distinct_texts(paragraphs)
        hashes = distinct_hashes(paragraphs)
    with clock.stage("embed"):
        report.embedded = _embed_missing(store, texts, hashes, encoder, progress, checkpoint)
        report.from_cache = len(texts) - report.embedded
    with clock.stage("neighbours"):
        pairs = state.pairs
        index, index_meta = state.index, state.index_meta
        if len(store):
            index, index_meta, pairs, note = update_pairs(
                state.index, state.index_meta, store.vectors, state.pairs, state.n_searched,
                search_floor(settings), settings.index,
                (lambda d, t: progress("neighbours", d, t)) if progress else None,
            )
            if note:
                report.notes.append(note)
    checkpoint("searched")
    text_rows = store.rows(hashes)
    left, right, score, match = pairs
    vectors, a, b, which = _dense(text_rows, store, left, right)
    dense_match = match[which]
    todo = np.flatnonzero(np.isnan(dense_match))
    with clock.stage("passages"):  # passages.passage_scores of the pairs not scored before, kept in ``match``
        dense_match[todo] = passage_scores(
            texts, a[todo], b[todo], score[which[todo]],
            settings.passage_threshold, settings.min_containment, settings.min_coverage,
        )
        match[which[todo]] = dense_match[todo]
    memory = state.stories
    # an article's full text only serves exact-duplicate detection in group(), which compares the hashes of
    # normalised texts: give it the kept hashes, so old articles are not normalised again
    grouped_documents = documents.with_columns(pl.col("text_key").alias("text")).select(list(DOCUMENTS))
    result = group(
        grouped_documents, paragraphs, vectors, (a, b, score[which]), settings, clock,
        story_labels=memory, match=dense_match,
    )
    result.stats["embedded"] = report.embedded
    result.stats["embeddings_from_cache"] = report.from_cache
    result.stats["vector_rows"] = len(store)
    result.stats["stories_rescored_pairs"] = memory.rescored
    report.summary = summarise(result, report.problems)

    with clock.stage("write"):
        numbers = [_generation_number(n) for n in _generations(folder)]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        path = folder / name
        path.mkdir()
        _write_frame(documents, path / "input.parquet")
        checkpoint("writing")
        for table, frame in result.tables().items():
            _write_frame(frame, path / f"{table}.parquet")
        _write_frame(
            pl.DataFrame({"left": left, "right": right, "cosine": score, "match": match},
                         schema={"left": pl.Int64, "right": pl.Int64, "cosine": pl.Float32, "match": pl.Float32}),
            path / "neighbours.parquet",
        )
        _write_frame(
            pl.DataFrame({"doc_id": np.arange(len(memory.fingerprints)), "fingerprint": memory.fingerprints},
                         schema={"doc_id": pl.Int64, "fingerprint": pl.String}),
            path / "articles.parquet",
        )
        _write_frame(memory.scores, path / "story_scores.parquet")
        _write_array(memory.doc_vectors, path / "article_vectors.npy")
        _write_array(text_rows, path / "text_rows.npy")
        if index is not None:
            with atomic_path(path / "faiss.index") as tmp:
                faiss.write_index(index, str(tmp))
        now = datetime.now(UTC).isoformat(timespec="seconds")
        history = list(old.manifest.get("history", []) if old and op == "add" else [])[-(KEEP_HISTORY - 1):]
        history.append({
            "op": op, "at": now, "added": len(report.added), "updated": len(report.updated),
            "unchanged": report.unchanged, "embedded": report.embedded, "skipped": len(report.problems),
        })
        data = {
            "format_version": FORMAT_VERSION,
            "generation": name,
            "created": (old.manifest.get("created", now) if old else now),
            "updated": now,
            "model": {"name": encoder.name, "dim": dim},
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
        write_json(data, path / "manifest.json")
        _fsync_dir(path)
    checkpoint("written")
    _switch(folder, name)
    report.generation = name
    checkpoint("switched")
    _remove_old(folder, name, old.name if old else None)


def _write_frame(frame: pl.DataFrame, target: Path) -> None:
    try:
        with atomic_path(target) as tmp:
            frame.write_parquet(tmp, compression="lz4")
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None


def _write_array(array: np.ndarray, target: Path) -> None:
    try:
        with atomic_path(target) as tmp, tmp.open("wb") as handle:
            np.save(handle, array, allow_pickle=False)
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------------------------------ info, export


def info(folder: Path) -> dict[str, Any]:
    """Counts, model, thresholds, FAISS index, size on disk and last operations of an index."""
    gen = current(folder)
    m = gen.manifest
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    s = m["settings"]
    return {
        "index": str(folder),
        "format_version": m["format_version"],
        "generation": gen.name,
        "created": m.get("created"),
        "updated": m.get("updated"),
        "model": m["model"],
        "thresholds": {
            "pair": s["pair_threshold"],
            "paraphrase": s["paraphrase_threshold"],
            "passage": s["passage_threshold"],
            "min_share": s["min_share"],
        },
        "faiss": m["index"],
        "counts": m["counts"],
        "inputs": len(m.get("inputs", [])),
        "skipped": m.get("skipped", {}).get("count", 0),
        "size_bytes": size,
        "history": m.get("history", [])[-5:],
    }


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
    table = find_contradictions(
        paragraphs, documents.sort("doc_id")["story_id"].to_numpy(), vectors, scorer, gen.settings.contradictions
    )
    layers = ["detail", "nli"] if scorer is not None else ["detail"]
    try:  # a pure function of the generation: keeping it is safe even if two exports race
        _write_frame(table, kept)
        write_json({"layers": layers}, gen.path / "contradiction_layers.json")
    except (OSError, StoreError):
        log.info("contradictions of %s not kept (generation replaced meanwhile?)", gen.name)
    return table, layers


# ----------------------------------------------------------------------------------------------- find


@contextmanager
def _few_threads(n_texts: int) -> Iterator[None]:
    """Encode a short query on one torch thread: for a few paragraphs more threads only wait on each other,
    and on a busy machine they wait long (one paragraph: 27 ms on one thread, 550 ms on two, measured on a
    2-core machine running another torch job). Nothing changes when torch is not loaded (a fake encoder)."""
    torch = sys.modules.get("torch")
    if torch is None or n_texts > 8:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True, slots=True)
class FindParams:
    k: int = 10  # matches per query paragraph, at most
    max_ids: int = 10  # article ids listed per matching passage

    def __post_init__(self) -> None:
        if self.k < 1 or self.max_ids < 1:
            raise ValueError("k and max_ids must be >= 1")


class LivingIndex:
    """An index generation opened for lookups; loading is done once, so each ``find`` is a search and a few
    array lookups."""

    def __init__(self, folder: Path) -> None:
        gen = current(folder)
        self.folder = folder
        self.generation = gen.name
        self.settings = gen.settings
        self.model, self.dim = gen.model
        self.index = gen.faiss_index()
        text_rows = gen.array("text_rows")
        self.text_of_row = np.full(self.index.ntotal if self.index is not None else 0, -1, dtype=np.int64)
        self.text_of_row[text_rows] = np.arange(len(text_rows))
        paragraphs = gen.table("paragraphs").select("text_id", "passage_id", "doc_id", "hash")
        content = paragraphs.filter(pl.col("text_id").is_not_null())
        per_text = content.group_by("text_id").agg(pl.col("passage_id").first(), pl.col("hash").first()).sort("text_id")
        self.passage_of_text = np.full(len(text_rows), -1, dtype=np.int64)
        self.passage_of_text[per_text["text_id"].to_numpy()] = per_text["passage_id"].to_numpy()
        self.hash_of_text = dict(zip(per_text["text_id"].to_list(), per_text["hash"].to_list(), strict=True))
        by_passage = content.select("passage_id", "doc_id").unique().sort("passage_id", "doc_id")
        self._docs = by_passage["doc_id"].to_numpy()
        n_passages = int(paragraphs["passage_id"].cast(pl.Int64).max() or 0) + 1 if paragraphs.height else 0  # type: ignore[arg-type]
        self._starts = np.searchsorted(by_passage["passage_id"].to_numpy(), np.arange(n_passages + 1))
        passages = gen.table("passages").sort("passage_id")
        self.passage_text = passages["text"].to_list()
        self.passage_first = passages["first_id"].to_list()
        docs = gen.table("documents").sort("doc_id")
        self.doc_rows = docs.select("id", "title", "source", "published", "story_id", "copy_of").to_dicts()
        self.doc_story = docs["story_id"].to_numpy()
        self.doc_content = (docs["n_paragraphs"] - docs["n_boilerplate"]).to_numpy()
        stories = gen.table("stories").sort("story_id")
        self.story_rows = {r["story_id"]: r for r in stories.to_dicts()}

    def docs_of_passage(self, passage_id: int) -> np.ndarray:
        return self._docs[self._starts[passage_id] : self._starts[passage_id + 1]]

    def find(self, text: str, encoder: Encoder, params: FindParams = FindParams()) -> dict[str, Any]:
        """Where else the paragraphs of ``text`` were published: per paragraph its matching passages with
        cosine and articles; the articles holding at least ``min_share`` of its paragraphs (copies); the
        story most of its matches belong to."""
        from cluster.exact import text_hash

        start = time.perf_counter()
        s = self.settings
        paragraphs = [p for p in split_text(text, s.max_paragraph_chars) if template_reason(p) is None]
        if not paragraphs:
            raise ValueError("the query holds no paragraph to look up (empty, or only boilerplate lines)")
        if encoder.name != self.model:
            raise IndexModelError(
                f"the index holds vectors of model {self.model}; the query was embedded with {encoder.name}"
            )
        with _few_threads(len(paragraphs)):
            queries = encode_in_order(encoder, paragraphs)
        if queries.shape[1] != self.dim:
            raise IndexModelError(
                f"model {encoder.name} gives {queries.shape[1]}-d vectors; the index holds {self.dim}-d"
            )
        found: list[dict[str, Any]] = []
        hits_per_doc: dict[int, set[int]] = {}
        story_weight: dict[int, float] = {}
        if self.index is not None and self.index.ntotal:
            k = min(self.index.ntotal, params.k * 4)
            sims, rows = self.index.search(queries, k)
        else:
            sims = np.zeros((len(paragraphs), 0), np.float32)
            rows = np.zeros((len(paragraphs), 0), np.int64)
        for q, paragraph in enumerate(paragraphs):
            matches: list[dict[str, Any]] = []
            seen: set[int] = set()
            query_hash = text_hash(paragraph)
            for sim, row in zip(sims[q], rows[q], strict=True):
                if row < 0 or sim < s.pair_threshold or len(matches) >= params.k:
                    break
                text_id = int(self.text_of_row[row])
                if text_id < 0:
                    continue  # a vector no current paragraph uses (boilerplate now, or a replaced article)
                passage = int(self.passage_of_text[text_id])
                if passage in seen:
                    continue
                seen.add(passage)
                cosine = float(min(sim, 1.0))
                docs = self.docs_of_passage(passage)
                relation = (
                    "exact" if self.hash_of_text.get(text_id) == query_hash
                    else "near_duplicate" if cosine >= s.passage_threshold
                    else "paraphrase" if cosine >= s.paraphrase_threshold
                    else "related"
                )
                matches.append({
                    "passage_id": passage, "cosine": round(cosine, 4), "relation": relation,
                    "text": self.passage_text[passage], "first_id": self.passage_first[passage],
                    "n_docs": int(len(docs)), "ids": [self.doc_rows[d]["id"] for d in docs[: params.max_ids]],
                })
                for d in docs:
                    label = int(self.doc_story[d])
                    story_weight[label] = story_weight.get(label, 0.0) + cosine
                    if cosine >= s.passage_threshold:
                        hits_per_doc.setdefault(int(d), set()).add(q)
            found.append({"position": q, "text": paragraph, "matches": matches})
        copies = []
        for d, hit in hits_per_doc.items():
            share = len(hit) / len(paragraphs)
            if share >= s.min_share:
                row = self.doc_rows[d]
                copies.append({
                    **row, "shared": len(hit), "share_query": round(share, 4),
                    "share_article": round(len(hit) / max(1, int(self.doc_content[d])), 4),
                })
        copies.sort(key=lambda r: (-r["share_query"], -r["share_article"], r["id"]))
        story: dict[str, Any] | None = None
        if story_weight:
            best = max(story_weight.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            story = {**self.story_rows.get(best, {}), "weight": round(story_weight[best], 4)}
        return {
            "index": str(self.folder),
            "generation": self.generation,
            "paragraphs": found,
            "copies": copies,
            "story": story,
            "seconds": round(time.perf_counter() - start, 4),
        }
