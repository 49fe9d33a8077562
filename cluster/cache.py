"""The embedding cache: vectors keyed by content hash as ``.npy`` shards in an output folder, one layout for
the local and the Ray engine (a run of either reuses what the other embedded).

```
OUT/cache/shards-<model>/index.json                     model, dim and the shards (name, rows)
OUT/cache/shards-<model>/part-<run>-<row>.npy           float32 vectors (rows, dim)
OUT/cache/shards-<model>/part-<run>-<row>.hashes.npy    the content hash of each row (the cache key)
```

``<model>`` is :func:`cluster.store.model_key` of the encoder's name, which carries its backend, so vectors
of two models or backends never mix; ``index.json`` names the model too, and shards of another model found
under the same key are ignored (and removed before this one writes). A shard is written vectors first, then
hashes, each to a temporary name then renamed: it is complete once its hashes file exists. The local engine
writes one shard per :data:`SHARD_ROWS` texts it embeds, a Ray actor one per batch, so a run killed while
embedding keeps every finished shard; nothing written is rewritten, except small shards (Ray's batches, the
few new texts of a rerun), merged into shards of :data:`SHARD_ROWS` once more than :data:`COMPACT_AFTER`
have piled up. Opening the cache reads only the hashes; a run's vectors are copied from the memory-mapped
shards into its memory-mapped vectors file (:func:`cluster.store.vector_file`), never loaded whole.

The cache before this layout, one ``OUT/cache/embeddings-<model>.npz`` read and rewritten whole by every run,
is read once when found, written as one shard and removed (the shard holds every vector it held).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np

from cluster.errors import StoreError
from cluster.store import cache_path, npz_cache_path, read_vectors, release_pages, write_array, write_json

log = logging.getLogger(__name__)

INDEX = "index.json"
SHARD_ROWS = 8_192  # texts per shard the local engine writes (benchmarks/README.md: lookup cost per shard count)
COMPACT_AFTER = 64  # shards under SHARD_ROWS rows a save leaves as they are; past that they are merged
_HASHES = ".hashes.npy"
_COPY_ROWS = 65_536  # rows copied at a time from a shard: no shard-sized copy in RAM
_NPZ_ERRORS = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile)


def open_cache(out: Path, model: str, dim: int, reuse: bool = True) -> EmbeddingCache:
    """The embedding cache of ``model`` in the output folder ``out``, with the old ``.npz`` cache there
    converted (:class:`EmbeddingCache`)."""
    return EmbeddingCache(cache_path(out, model, dim), model, dim, reuse, npz=npz_cache_path(out, model, dim))


def as_keys(hashes: list[str] | np.ndarray) -> np.ndarray:
    """Hex content hashes as the shards keep them: a bytes array (an array already of keys as it is)."""
    return hashes if isinstance(hashes, np.ndarray) else np.array([h.encode("ascii") for h in hashes], dtype="S")


def write_shard(folder: Path, name: str, hashes: list[str] | np.ndarray, vectors: np.ndarray) -> None:
    """One shard: its vectors, then its hashes (whose presence marks the shard complete)."""
    write_array(np.ascontiguousarray(vectors, dtype=np.float32), folder / f"{name}.npy")
    write_array(as_keys(hashes), folder / f"{name}{_HASHES}")


def run_name() -> str:
    """A prefix for the shards of one run: sorts by time, unique across processes."""
    return f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"


class EmbeddingCache:
    """The shards of one model in ``folder``. ``reuse=False`` (``use_cache=False`` on Ray) removes the
    earlier shards unread; ``npz``: an old one-file cache, converted into a shard when found (left in place,
    its vectors held in memory, only where the shard cannot be written)."""

    def __init__(self, folder: Path, model: str, dim: int, reuse: bool = True, npz: Path | None = None) -> None:
        self.folder, self.model, self.dim = folder, model, dim
        self.names: list[str] = []
        self.sizes: list[int] = []
        self._hashes: list[np.ndarray] = []  # per shard, its keys (bytes)
        self._held: dict[int, np.ndarray] = {}  # shard -> its vectors, for an old cache that could not be written
        self._keys: np.ndarray | None = None  # every distinct key, sorted; None: to build from _hashes
        self._shard = self._row = np.zeros(0, dtype=np.int64)  # where each key of _keys is
        self._unwanted: list[Path] = []  # files of ignored shards, removed before the first write
        self._run, self._written = run_name(), 0
        if folder.is_dir() and reuse:
            self._load()
        elif folder.is_dir():
            self._unwanted = self._files()
            self._remove_unwanted()
        if reuse and npz is not None and npz.is_file():
            self._convert(npz)

    # -- reading ----------------------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        return [*self.folder.glob("part-*.npy"), self.folder / INDEX]

    def _load(self) -> None:
        index = self.folder / INDEX
        if index.is_file():
            try:
                recorded = json.loads(index.read_text(encoding="utf-8"))
                if not isinstance(recorded, dict):
                    raise ValueError("not a JSON object")
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                log.warning("ignoring the embedding cache %s: unreadable %s (%s); its texts are embedded again",
                            self.folder, INDEX, exc)  # fmt: skip
                self._unwanted = self._files()
                return
            if recorded.get("model") != self.model or recorded.get("dim") != self.dim:
                log.warning("ignoring the embedding cache %s: it holds %s (dim %s), not %s (dim %d)", self.folder,
                            recorded.get("model"), recorded.get("dim"), self.model, self.dim)  # fmt: skip
                self._unwanted = self._files()
                return
        # every complete shard, listed or not: one written by a run killed before its index is reused too
        self.register(sorted(p.name[: -len(_HASHES)] for p in self.folder.glob(f"part-*{_HASHES}")))

    def register(self, names: list[str]) -> None:
        """Shards written into the folder (by this run's Ray actors, or earlier runs): their hashes become known.
        A shard that cannot be read is skipped with a warning (its texts are embedded again) and removed
        before the next write."""
        for name in names:
            vectors, keys = self.folder / f"{name}.npy", self.folder / f"{name}{_HASHES}"
            try:
                hashes = np.load(keys, allow_pickle=False)
                shape = np.load(vectors, mmap_mode="r").shape
            except (OSError, EOFError, ValueError) as exc:
                log.warning("ignoring embedding shard %s (%s)", self.folder / name, exc)
                self._unwanted += [vectors, keys]
                continue
            if hashes.ndim != 1 or hashes.dtype.kind != "S" or shape != (len(hashes), self.dim):
                log.warning("ignoring embedding shard %s: vectors %s for hashes %s %s, dim %d",
                            self.folder / name, shape, hashes.dtype, hashes.shape, self.dim)  # fmt: skip
                self._unwanted += [vectors, keys]
                continue
            self._append(name, hashes)

    def _append(self, name: str, hashes: np.ndarray) -> int:
        self.names.append(name)
        self.sizes.append(len(hashes))
        self._hashes.append(hashes)
        self._keys = None
        return len(self.names) - 1

    def _convert(self, npz: Path) -> None:
        """The old one-file cache, read once: its vectors no shard holds become a shard, then it is removed."""
        try:
            hashes, vectors = read_vectors(npz)
        except _NPZ_ERRORS as exc:
            log.warning("ignoring unreadable embedding cache %s (%s)", npz, exc)
            return
        if vectors.ndim != 2 or vectors.shape != (len(hashes), self.dim):
            log.warning("ignoring embedding cache %s: shape %s, expected (*, %d)", npz, vectors.shape, self.dim)
            return
        shard, _ = self.locate(hashes)
        new = np.flatnonzero(shard < 0)
        keep = [hashes[i] for i in new]
        fresh = vectors[new] if len(new) < len(hashes) else vectors
        try:
            if keep:
                self.add(keep, fresh, name=f"part-npz-{self._run}")
                self.save()
            npz.unlink()
        except (OSError, StoreError) as exc:  # a folder this process may not write
            log.warning("embedding cache %s left as it is: cannot convert it into a shard (%s)", npz, exc)
            if keep and not (self.folder / f"part-npz-{self._run}{_HASHES}").is_file():
                held = self._append(f"{npz.name} (in memory)", as_keys(keep))
                self._held[held] = fresh
            return
        log.info("embedding cache %s converted into a shard of %d vectors in %s", npz, len(keep), self.folder)

    def _index(self) -> np.ndarray:
        """Every distinct key, sorted (a key in two shards: the first shard's row)."""
        if self._keys is None:
            if not self._hashes:
                self._keys = np.zeros(0, dtype="S1")
                self._shard = self._row = np.zeros(0, dtype=np.int64)
            else:
                every = np.concatenate(self._hashes)
                self._keys, first = np.unique(every, return_index=True)
                sizes = np.array(self.sizes, dtype=np.int64)
                starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
                shard_of = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
                self._shard = shard_of[first]
                self._row = first - starts[self._shard]
        return self._keys

    def __len__(self) -> int:
        return len(self._index())

    def keys(self) -> list[str]:
        """Every hash the cache holds, sorted."""
        return [key.decode("ascii") for key in self._index()]

    def locate(self, hashes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(shard, row in it) of each hash; shard -1 where no shard holds it."""
        keys = self._index()
        shard = np.full(len(hashes), -1, dtype=np.int64)
        row = np.full(len(hashes), -1, dtype=np.int64)
        if not len(keys) or not hashes:
            return shard, row
        wanted = as_keys(hashes)
        if wanted.itemsize > keys.itemsize:
            keys = keys.astype(wanted.dtype)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        hit = keys[at] == wanted
        shard[hit], row[hit] = self._shard[at[hit]], self._row[at[hit]]
        return shard, row

    def fill(self, out: np.ndarray, shard: np.ndarray, row: np.ndarray) -> np.ndarray:
        """``out[i]`` = the vector at (``shard[i]``, ``row[i]``), one memory-mapped shard at a time, in
        slices. The positions it could not fill (a shard gone or damaged since it was opened: a warning)."""
        order = np.lexsort((row, shard))  # by shard, then by row in it: a large shard is read front to back
        bounds = np.flatnonzero(np.diff(shard[order])) + 1
        failed: list[np.ndarray] = []
        copied = 0
        for part in np.split(order, bounds):
            if len(part) == 0 or shard[part[0]] < 0:
                continue
            index = int(shard[part[0]])
            try:
                vectors = self._held.get(index)
                if vectors is None:
                    vectors = np.load(self.folder / f"{self.names[index]}.npy", mmap_mode="r")
                for start in range(0, len(part), _COPY_ROWS):
                    piece = part[start : start + _COPY_ROWS]
                    out[piece] = vectors[row[piece]]
                    copied += len(piece)
                    if copied >= _COPY_ROWS:  # both maps' pages leave the resident set as the copy goes
                        release_pages(vectors)
                        release_pages(out)
                        copied = 0
                del vectors
            except (OSError, EOFError, ValueError) as exc:
                log.warning("cannot read embedding shard %s (%s); its texts are embedded again",
                            self.folder / self.names[index], exc)  # fmt: skip
                failed.append(part)
        return np.sort(np.concatenate(failed)) if failed else np.zeros(0, dtype=np.int64)

    def lookup(self, hashes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, the vectors of the found ones in order), in RAM."""
        shard, row = self.locate(hashes)
        found = shard >= 0
        vectors = np.empty((int(found.sum()), self.dim), dtype=np.float32)
        failed = self.fill(vectors, shard[found], row[found])
        if len(failed):
            found[np.flatnonzero(found)[failed]] = False
            vectors = np.delete(vectors, failed, axis=0)
        return found, vectors

    # -- writing ----------------------------------------------------------------------------------------

    def add(self, hashes: list[str], vectors: np.ndarray, name: str | None = None) -> str:
        """Write ``vectors`` (row i: the vector of ``hashes[i]``) as one new shard; its name. A hash some shard
        already holds keeps its first vector (the caller adds what :meth:`locate` did not find)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"vectors shape {vectors.shape} does not match {len(hashes)} hashes × {self.dim}")
        self._remove_unwanted()
        name = name or f"part-{self._run}-{self._written:012d}"
        keys = as_keys(hashes)
        write_shard(self.folder, name, keys, vectors)  # creates the folder
        self._written += len(hashes)
        self._append(name, keys)
        return name

    def _remove_unwanted(self) -> None:
        for path in self._unwanted:
            path.unlink(missing_ok=True)
        self._unwanted = []

    def compact(self) -> None:
        """Merge the shards under :data:`SHARD_ROWS` rows into shards of about that many, once more than
        :data:`COMPACT_AFTER` of them have piled up (Ray's batches, the few new texts of many reruns), so that
        opening the cache stays a few files to read. Each merged shard is complete before the shards it
        replaces are removed (hashes first: a run killed in between leaves copies, never a hole)."""
        small = [i for i, size in enumerate(self.sizes) if size < SHARD_ROWS and i not in self._held]
        if len(small) <= COMPACT_AFTER:
            return
        groups: list[list[int]] = [[]]
        for i in small:
            if sum(self.sizes[j] for j in groups[-1]) >= SHARD_ROWS:
                groups.append([])
            groups[-1].append(i)
        merged: set[int] = set()
        for group in (g for g in groups if len(g) > 1):
            try:
                vectors = np.concatenate([np.load(self.folder / f"{self.names[i]}.npy", mmap_mode="r") for i in group])
            except (OSError, EOFError, ValueError) as exc:
                log.warning("embedding shards in %s not merged (%s)", self.folder, exc)
                continue
            name = f"part-{self._run}-{self._written:012d}"
            keys = np.concatenate([self._hashes[i] for i in group])
            write_shard(self.folder, name, keys, vectors)
            self._written += len(vectors)
            self._append(name, keys)
            merged.update(group)
        for i in sorted(merged):
            (self.folder / f"{self.names[i]}{_HASHES}").unlink(missing_ok=True)
            (self.folder / f"{self.names[i]}.npy").unlink(missing_ok=True)
        keep = [i for i in range(len(self.names)) if i not in merged]
        self._held = {keep.index(i): held for i, held in self._held.items()}
        self.names, self.sizes = [self.names[i] for i in keep], [self.sizes[i] for i in keep]
        self._hashes, self._keys = [self._hashes[i] for i in keep], None

    def save(self) -> Path:
        """The index: model, dim and every shard on disk (name and rows), after :meth:`compact`. Shards are
        found without it too (a killed run's); it names the model the folder holds."""
        self._remove_unwanted()
        self.compact()
        shards = [{"name": n, "rows": r} for i, (n, r) in enumerate(zip(self.names, self.sizes, strict=True))
                  if i not in self._held]  # fmt: skip
        return write_json({"model": self.model, "dim": self.dim, "shards": shards}, self.folder / INDEX)
