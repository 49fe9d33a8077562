"""Storage of a living index: the writer's lock, vector segments, generations and the CURRENT switch, and the
work a generation keeps for the next writer (layout: :mod:`cluster.store`)."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import polars as pl

from cluster.errors import IndexFormatError, IndexLockedError, StoreError
from cluster.index import ivf_probes
from cluster.pipeline import Settings
from cluster.schemas import ARTICLES, NEIGHBOURS, conform
from cluster.store import (
    atomic_path,
    check_index_manifest,
    manifest_model,
    read_vectors,
    settings_from_dict,
    write_array,
    write_json,
    write_parquet,
    write_vectors,
    writing,
)
from cluster.stories import StoryWork

log = logging.getLogger(__name__)

TABLES = ("documents", "paragraphs", "passages", "pairs", "copies", "stories")

# Called with a stage name at each point where a killed process must leave a usable index: "embedded" (after
# each vector segment), "searched", "writing" (first file of a generation written), "written" (generation
# complete, CURRENT not switched yet), "switched". The crash tests stop the process there and kill it.
Checkpoint = Callable[[str], None]

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # vector rows left < right, cosine, match


def no_checkpoint(stage: str) -> None:
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
        hashes, vectors = read_vectors(path)
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
        write_vectors(hashes, vectors, self.folder / name)  # creates the folder
        self._extend(name, hashes, np.asarray(vectors, dtype=np.float32))


def claim_vectors(folder: Path, model: str, dim: int) -> list[str]:
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
            index.nprobe = ivf_probes(index.ntotal, index.nlist, self.settings.index)
        return index

    @property
    def settings(self) -> Settings:
        try:
            return settings_from_dict(self.manifest["settings"], Settings)
        except StoreError as exc:
            raise IndexFormatError(f"index settings of {self.path} cannot be read: {exc}") from None

    @property
    def model(self) -> tuple[str, int]:
        return manifest_model(self.manifest)


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
        check_index_manifest(data, folder)
        return Generation(folder, name, data)
    raise IndexFormatError(f"index {folder} keeps changing under this reader; try again")


def ours(name: str) -> bool:
    """Whether a file name in an index folder is one an index writes."""
    return name in {"CURRENT", "LOCK", "vectors"} or name.startswith((".CURRENT.", "gen-"))


def _generation_number(name: str) -> int:
    return int(name[4:])


def _generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("gen-*") if re.fullmatch(r"gen-\d{6}", p.name) and p.is_dir())


def next_generation(folder: Path) -> str:
    return f"gen-{max((_generation_number(n) for n in _generations(folder)), default=0) + 1:06d}"


def remove_half_written(folder: Path, keep: str | None) -> None:
    """Generations newer than CURRENT are leftovers of a killed writer; temporary files too."""
    newest = _generation_number(keep) if keep else -1
    for name in _generations(folder):
        if _generation_number(name) > newest:
            log.info("removing half-written generation %s", folder / name)
            shutil.rmtree(folder / name, ignore_errors=True)
    for pattern in (".CURRENT.*.tmp", "vectors/.seg-*.tmp"):
        for tmp in folder.glob(pattern):
            tmp.unlink(missing_ok=True)


def remove_old(folder: Path, now: str, previous: str | None) -> None:
    for name in _generations(folder):
        if name not in (now, previous):
            shutil.rmtree(folder / name, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch(folder: Path, name: str) -> None:
    """Make ``name`` the generation readers use (atomic: a reader sees the old name or the new one)."""
    with atomic_path(folder / "CURRENT") as tmp:
        tmp.write_text(name + "\n", encoding="utf-8")
    _fsync_dir(folder)


# -------------------------------------------------------------------------------------------- the state


@dataclass(slots=True)
class Kept:
    """What a writer starts from: the current generation's paragraphs and the work it kept."""

    paragraphs: pl.DataFrame | None  # the output paragraphs table
    pairs: Pairs
    n_searched: int  # vector rows whose neighbours are all in ``pairs``
    index: faiss.Index | None
    index_meta: dict[str, Any]
    stories: StoryWork | None

    @classmethod
    def empty(cls) -> Kept:
        rows, scores = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return cls(None, (rows, rows, scores, scores), 0, None, {}, None)

    @classmethod
    def load(cls, gen: Generation) -> Kept:
        pairs = gen.table("neighbours")
        fingerprints = gen.table("articles").sort("doc_id")["fingerprint"].to_list()
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
            stories=StoryWork(fingerprints, gen.array("article_vectors"), gen.table("story_scores")),
        )


def write_generation(
    path: Path,
    *,
    documents: pl.DataFrame,
    tables: dict[str, pl.DataFrame],
    pairs: Pairs,
    stories: StoryWork,
    text_rows: np.ndarray,
    index: faiss.Index | None,
    manifest: dict[str, Any],
    checkpoint: Checkpoint,
) -> None:
    """Write a complete generation into the new folder ``path``, manifest last, and flush it to disk."""
    path.mkdir()
    write_parquet(documents, path / "input.parquet")
    checkpoint("writing")
    for table, frame in tables.items():
        write_parquet(frame, path / f"{table}.parquet")
    left, right, score, match = pairs
    write_parquet(
        conform(pl.DataFrame({"left": left, "right": right, "cosine": score, "match": match}), NEIGHBOURS),
        path / "neighbours.parquet",
    )
    articles = pl.DataFrame({"doc_id": np.arange(len(stories.fingerprints)), "fingerprint": stories.fingerprints})
    write_parquet(conform(articles, ARTICLES), path / "articles.parquet")
    write_parquet(stories.scores, path / "story_scores.parquet")
    write_array(stories.doc_vectors, path / "article_vectors.npy")
    write_array(text_rows, path / "text_rows.npy")
    if index is not None:
        with writing(path / "faiss.index") as tmp:
            faiss.write_index(index, str(tmp))
    write_json(manifest, path / "manifest.json")
    _fsync_dir(path)
