"""The on-disk layout of an output folder, with atomic writes.

```
OUT/documents.parquet  paragraphs.parquet  passages.parquet  pairs.parquet  copies.parquet  stories.parquet
OUT/manifest.json                      versions, model, thresholds, inputs, counts, skipped records, timings
OUT/cache/embeddings-<model>.npz       embedding cache by content hash (a re-run embeds nothing it has seen)
```
Every file is written to a temporary name in the same folder, flushed, then renamed over the target: an
interrupted run leaves the previous complete file or none, never a half-written one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster.errors import StoreError

log = logging.getLogger(__name__)

FORMATS = ("parquet", "csv", "jsonl")
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


def write_table(frame: pl.DataFrame, folder: Path, name: str, fmt: str = "parquet") -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    target = folder / f"{name}.{fmt}"
    writers: dict[str, Callable[[Path], object]] = {
        "parquet": lambda p: frame.write_parquet(p),
        "csv": lambda p: _flat(frame).write_csv(p),
        "jsonl": lambda p: frame.write_ndjson(p),
    }
    try:
        with atomic_path(target) as tmp:
            writers[fmt](tmp)
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV cannot hold lists: join them with '|'."""
    return frame.with_columns(
        pl.col(name).cast(pl.List(pl.String)).list.join("|")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List)
    )


def write_json(data: Mapping[str, Any], target: Path) -> Path:
    try:
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


class EmbeddingCache:
    """Vectors of one model keyed by content hash, kept in one .npz file."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim
        self._rows: dict[str, int] = {}
        self._vectors = np.empty((0, dim), dtype=np.float32)
        if path.exists():
            self._load()

    def _load(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                hashes = [h.decode("ascii") for h in data["hashes"]]
                vectors = np.asarray(data["vectors"], dtype=np.float32)
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("ignoring unreadable embedding cache %s (%s)", self.path, exc)
            return
        if vectors.ndim != 2 or vectors.shape != (len(hashes), self.dim):
            log.warning("ignoring embedding cache %s: shape %s, expected (*, %d)", self.path, vectors.shape, self.dim)
            return
        self._rows = {h: i for i, h in enumerate(hashes)}
        self._vectors = vectors

    def __len__(self) -> int:
        return len(self._rows)

    def lookup(self, hashes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, vectors of the found ones in order)."""
        rows = [self._rows.get(h, -1) for h in hashes]
        found = np.array([r >= 0 for r in rows], dtype=bool)
        return found, self._vectors[[r for r in rows if r >= 0]]

    def add(self, hashes: list[str], vectors: np.ndarray) -> None:
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"vectors shape {vectors.shape} does not match {len(hashes)} hashes × {self.dim}")
        start = len(self._vectors)
        keep: list[int] = []
        for i, h in enumerate(hashes):
            if h not in self._rows:  # also skips a hash repeated within this batch
                self._rows[h] = start + len(keep)
                keep.append(i)
        self._vectors = np.concatenate([self._vectors, np.asarray(vectors[keep], dtype=np.float32)])

    def save(self) -> None:
        hashes = np.array([h.encode("ascii") for h in sorted(self._rows, key=self._rows.__getitem__)])
        try:
            with atomic_path(self.path) as tmp, tmp.open("wb") as handle:
                np.savez(handle, hashes=hashes, vectors=self._vectors)
        except OSError as exc:
            raise StoreError(f"cannot write {self.path}: {exc.strerror or exc}") from None


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
