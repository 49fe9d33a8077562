"""The on-disk layout of an output folder and of a living index, with atomic writes: every file name, format
check and manifest reader in one place.

```
OUT/documents.parquet  paragraphs.parquet  passages.parquet  pairs.parquet  copies.parquet  stories.parquet
OUT/manifest.json                      versions, model, thresholds, inputs, counts, skipped records, timings
OUT/cache/shards-<model>/              the embedding cache of both engines: .npy shards of vectors by content
                                       hash and index.json (cluster/cache.py): a re-run embeds nothing it has seen
OUT/cache/vectors-<model>.npy          the run's vectors, row = text_id of the paragraphs table; memory-mapped
                                       while the run works, so a million paragraphs never hold them in RAM
```

A living index (cluster/living/):
```
news.idx/CURRENT                  the name of the complete generation readers use ("gen-000007")
news.idx/LOCK                     PID of the one writer, which holds an flock on it while it writes
news.idx/vectors/seg-000001.npz   embeddings (content hash, float32 vector), append-only: vector row r of the
                                  index is row r of the segments in order. One segment per embedded chunk,
                                  each written atomically, so a killed run resumes without re-embedding.
news.idx/vectors/model.json       the model whose vectors the segments hold
news.idx/gen-000007/manifest.json format_version, model, settings, FAISS index kind, segments, counts, history
                   input.parquet        the articles as read (text included) and a hash of each text (INPUT)
                   documents.parquet … stories.parquet   the six tables `run` writes
                   neighbours.parquet   pairs of vector rows with cosine >= the search floor (NEIGHBOURS)
                   text_rows.npy        vector row of each text_id of the paragraphs table
                   faiss.index          the FAISS index over every vector row
                   articles.parquet, article_vectors.npy, story_scores.parquet   (ARTICLES, STORY_SCORES)
                                        story work kept so only articles whose content changed are rescored
```
Every file is written to a temporary name in the same folder, flushed, then renamed over the target: an
interrupted run leaves the previous complete file or none, never a half-written one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import json
import logging
import mmap
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl

from cluster.errors import IndexFormatError, StoreError

log = logging.getLogger(__name__)

FORMATS = ("parquet", "csv", "jsonl")
INDEX_FORMAT_VERSION = 1  # of a living index folder; a newer one is refused with a clear error
_INDEX_KEYS = ("model", "settings", "segments", "index")  # what an index manifest must hold
S = TypeVar("S")
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``, on failure it vanishes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a result file gets the usual mode
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def writing(target: Path) -> Iterator[Path]:
    """:func:`atomic_path`, with a failed write (``OSError``) turned into one ``StoreError`` naming ``target``."""
    try:
        with atomic_path(target) as tmp:
            yield tmp
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None


def write_parquet(frame: pl.DataFrame, target: Path) -> Path:
    """A table an index keeps (lz4: read back at every add)."""
    with writing(target) as tmp:
        frame.write_parquet(tmp, compression="lz4")
    return target


def write_array(array: np.ndarray, target: Path) -> Path:
    with writing(target) as tmp, tmp.open("wb") as handle:
        np.save(handle, array, allow_pickle=False)
    return target


def write_vectors(hashes: list[str], vectors: np.ndarray, target: Path) -> Path:
    """An .npz of content hashes and their float32 vectors (embedding cache, index vector segment)."""
    encoded = np.array([h.encode("ascii") for h in hashes])
    with writing(target) as tmp, tmp.open("wb") as handle:
        np.savez(handle, hashes=encoded, vectors=np.asarray(vectors, dtype=np.float32))
    return target


def read_vectors(path: Path) -> tuple[list[str], np.ndarray]:
    """What :func:`write_vectors` wrote; raises what numpy raises for a missing or damaged file."""
    with np.load(path, allow_pickle=False) as data:
        hashes = [h.decode("ascii") for h in data["hashes"]]
        vectors = np.asarray(data["vectors"], dtype=np.float32)
    return hashes, vectors


def vectors_path(out: Path, model: str, dim: int) -> Path:
    """The memory-mapped vectors of a run (row = ``text_id``) in an output folder."""
    return out / "cache" / f"vectors-{model_key(model, dim)}.npy"


def vector_file(
    target: Path, n: int, dim: int, fill: Callable[[np.ndarray], None]
) -> np.ndarray:
    """An (n, dim) float32 .npy at ``target``, written through a memory map by ``fill`` (atomically: a failed
    fill leaves no file), then opened read-only as a memory map: its pages live in the page cache, not in
    the process's heap."""
    with writing(target) as tmp:
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, dim))
        fill(array)
        array.flush()
        del array
    return np.load(target, mmap_mode="r")


def release_pages(array: np.ndarray) -> None:
    """Drop the resident pages of a memory-mapped ``array`` (or of the map it views) from this process: they
    stay in the page cache (written ones included: the map is shared with the file) and come back on the
    next read, so the resident set holds only the rows a stage is reading or writing. Nothing happens for an
    array in RAM or a copy-on-write map (mode ``c``), whose written pages exist nowhere else."""
    current: np.ndarray | None = array
    while current is not None:
        handle = getattr(current, "_mmap", None)
        if isinstance(handle, mmap.mmap):
            shared = getattr(current, "mode", "r") in ("r", "r+", "w+")
            if not handle.closed and hasattr(mmap, "MADV_DONTNEED") and shared:
                handle.madvise(mmap.MADV_DONTNEED)
            return
        current = current.base if isinstance(current.base, np.ndarray) else None


def trim_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``; nothing elsewhere). After a
    stage whose native libraries (FAISS, BLAS) freed many small blocks, the resident set otherwise keeps them
    and the next stage's peak stacks on top."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def cache_path(out: Path, model: str, dim: int) -> Path:
    """The embedding cache of ``model`` in an output folder: a folder of shards (:mod:`cluster.cache`)."""
    return out / "cache" / f"shards-{model_key(model, dim)}"


def npz_cache_path(out: Path, model: str, dim: int) -> Path:
    """The one-file embedding cache of earlier versions, converted into a shard when found."""
    return out / "cache" / f"embeddings-{model_key(model, dim)}.npz"


def model_key(name: str, dim: int) -> str:
    """A file-name-safe key of a model, for its embedding cache."""
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('_')[-80:]}-{dim}"


def write_table(frame: pl.DataFrame, folder: Path, name: str, fmt: str = "parquet") -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    target = folder / f"{name}.{fmt}"
    writers: dict[str, Callable[[Path], object]] = {
        "parquet": lambda p: frame.write_parquet(p),
        "csv": lambda p: _flat(frame).write_csv(p),
        "jsonl": lambda p: frame.write_ndjson(p),
    }
    with writing(target) as tmp:
        writers[fmt](tmp)
    return target


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV cannot hold lists: join them with '|'."""
    return frame.with_columns(
        pl.col(name).cast(pl.List(pl.String)).list.join("|")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List)
    )


def write_json(data: Mapping[str, Any], target: Path) -> Path:
    with writing(target) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return target


def write_run(
    folder: Path, tables: Mapping[str, pl.DataFrame], manifest: Mapping[str, Any], fmt: str = "parquet"
) -> list[Path]:
    """Write every table, then the manifest last: a folder whose manifest is missing is incomplete.

    The previous manifest is removed first, so an interrupted run never leaves tables of two runs that look
    like one complete run.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    written = [write_table(frame, folder, name, fmt) for name, frame in tables.items()]
    written.append(write_json(manifest, folder / "manifest.json"))
    return written


def read_table(folder: Path, name: str) -> pl.DataFrame:
    """Read back a table `run` wrote, whatever its format."""
    for fmt in FORMATS:
        path = folder / f"{name}.{fmt}"
        if path.is_file():
            readers: dict[str, Callable[[Path], pl.DataFrame]] = {
                "parquet": pl.read_parquet,
                "csv": lambda p: pl.read_csv(p, infer_schema_length=10_000),
                "jsonl": pl.read_ndjson,
            }
            try:
                return readers[fmt](path)
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise StoreError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    if not folder.is_dir():
        raise StoreError(f"results folder not found: {folder}")
    raise StoreError(f"no {name} table in {folder} (expected {name}.parquet, .csv or .jsonl from `newsdedup run`)")


# ---------------------------------------------------------------------------------------------- manifests


def read_manifest(results: Path) -> dict[str, Any]:
    """The manifest.json of a finished `newsdedup run` output (written last: without it a folder is incomplete)."""
    path = results / "manifest.json"
    if not path.is_file():
        raise StoreError(f"{results} has no manifest.json: not a finished `newsdedup run` output")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("settings"), dict) or "model" not in data:
        raise StoreError(f"{path} is not a newsdedup manifest (no settings or model)")
    return data


def manifest_model(data: Mapping[str, Any]) -> tuple[str, int]:
    """(model name, vector dimension) a manifest recorded."""
    return str(data["model"]["name"]), int(data["model"]["dim"])


def settings_from_dict(data: Mapping[str, Any], settings_type: type[S]) -> S:
    """The settings a manifest recorded (``dataclasses.asdict`` of ``settings_type``: values and nested
    parameter groups), rebuilt — the one reader of recorded settings (`calibrate`, the living index).

    Nothing is defaulted silently: a setting missing from the manifest (written by another version) or one
    this version does not know is a ``StoreError`` naming it, and so is a value the settings reject.
    """
    if not isinstance(data, Mapping):
        raise StoreError(f"recorded settings must be an object, got {type(data).__name__}")
    return _dataclass_from(settings_type, data, "")


def _dataclass_from(cls: Any, data: Mapping[str, Any], prefix: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    missing = [name for name in fields if name not in data]
    if unknown:
        raise StoreError(f"recorded settings hold unknown setting(s) {', '.join(prefix + n for n in unknown)}")
    if missing:
        raise StoreError(f"recorded settings lack {', '.join(prefix + n for n in missing)}")
    values = dict(data)
    for name, f in fields.items():
        default: Any = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
        if dataclasses.is_dataclass(default):
            if not isinstance(values[name], Mapping):
                raise StoreError(f"recorded setting {prefix}{name} must be an object")
            values[name] = _dataclass_from(type(default), values[name], f"{prefix}{name}.")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"recorded settings rejected: {exc}") from None


def check_index_manifest(data: Any, folder: Path) -> None:
    """An index manifest this version can read: a format version not newer than ours and the keys it needs."""
    version = data.get("format_version") if isinstance(data, dict) else None
    if not isinstance(version, int) or version < 1:
        raise IndexFormatError(f"{folder} is not a newsdedup index (manifest without a format_version)")
    if version > INDEX_FORMAT_VERSION:
        raise IndexFormatError(
            f"index {folder} has format version {version}, newer than this newsdedup understands "
            f"({INDEX_FORMAT_VERSION}); upgrade newsdedup to open it"
        )
    for key in _INDEX_KEYS:
        if key not in data:
            raise IndexFormatError(f"index manifest of {folder} lacks '{key}'")
