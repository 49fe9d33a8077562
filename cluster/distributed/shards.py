"""Vectors of a Ray run as ``.npy`` shards on disk, keyed by content hash: the Ray engine's embedding cache.

```
OUT/cache/shards-<model>/index.json                model, dim and the shards (name, rows) — rewritten per run
OUT/cache/shards-<model>/part-<run>-<row>.npy      float32 vectors (rows, dim), written by an embedding actor
OUT/cache/shards-<model>/part-<run>-<row>.hashes.npy   the content hash of each row (the cache key)
```

``<model>`` is :func:`cluster.store.model_key` of the encoder's name, which carries its backend: the same key
as the local embedding cache, so vectors of two models or backends never mix. Each actor writes every
batch it embedded as one shard (vectors, then hashes, each to a temporary name then renamed): a shard whose
hashes file exists is complete, so a run killed while embedding leaves shards the next run reuses. The
driver never loads the shards whole: it reads only their hashes, then copies each text's vector from the
memory-mapped shard into the run's memory-mapped vectors file (:func:`cluster.store.vector_file`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from cluster.store import model_key, write_array, write_json

log = logging.getLogger(__name__)

INDEX = "index.json"
_HASHES = ".hashes.npy"


def shards_folder(out: Path, model: str, dim: int) -> Path:
    return out / "cache" / f"shards-{model_key(model, dim)}"


def write_shard(folder: Path, name: str, hashes: list[str], vectors: np.ndarray) -> None:
    """One shard: its vectors, then its hashes (whose presence marks the shard complete)."""
    write_array(np.ascontiguousarray(vectors, dtype=np.float32), folder / f"{name}.npy")
    write_array(np.array([h.encode("ascii") for h in hashes], dtype="S"), folder / f"{name}{_HASHES}")


class ShardStore:
    """The shards of one model in one output folder; ``reuse=False`` removes the earlier ones unread."""

    def __init__(self, folder: Path, model: str, dim: int, reuse: bool = True) -> None:
        self.folder, self.model, self.dim = folder, model, dim
        self.names: list[str] = []
        self.sizes: list[int] = []
        self._where: dict[str, tuple[int, int]] = {}  # hash -> (shard, row in it)
        if reuse and folder.is_dir():
            self._load()
        elif folder.is_dir():
            self._clear()

    def _clear(self) -> None:
        """Not reused (``--no-cache``): the earlier shards go, so runs do not pile up copies of the vectors."""
        for path in [*self.folder.glob("part-*.npy"), self.folder / INDEX]:
            path.unlink(missing_ok=True)

    def _load(self) -> None:
        index = self.folder / INDEX
        if index.is_file():
            try:
                recorded = json.loads(index.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("ignoring the vector shards in %s: unreadable %s (%s)", self.folder, INDEX, exc)
                return
            if recorded.get("model") != self.model or recorded.get("dim") != self.dim:
                log.warning("ignoring the vector shards in %s: they hold %s (dim %s)", self.folder,
                            recorded.get("model"), recorded.get("dim"))  # fmt: skip
                return
        # every complete shard, listed or not: one written by a run killed before its index is reused too
        self.add(sorted(p.name[: -len(_HASHES)] for p in self.folder.glob(f"*{_HASHES}")))

    def add(self, names: list[str]) -> None:
        """Shards written since (by the actors): their hashes become known."""
        for name in names:
            try:
                hashes = np.load(self.folder / f"{name}{_HASHES}", allow_pickle=False)
                shape = np.load(self.folder / f"{name}.npy", mmap_mode="r").shape
            except (OSError, ValueError) as exc:
                log.warning("ignoring vector shard %s (%s)", self.folder / name, exc)
                continue
            if shape != (len(hashes), self.dim):
                log.warning("ignoring vector shard %s: shape %s for %d hashes", self.folder / name, shape, len(hashes))
                continue
            shard = len(self.names)
            self.names.append(name)
            self.sizes.append(len(hashes))
            for row, key in enumerate(hashes):
                self._where.setdefault(key.decode("ascii"), (shard, row))

    def __len__(self) -> int:
        return len(self._where)

    def locate(self, hashes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(shard, row in it) of each hash; shard -1 where no shard holds it."""
        found = [self._where.get(h, (-1, -1)) for h in hashes]
        where = np.array(found, dtype=np.int64).reshape(len(hashes), 2)
        return where[:, 0], where[:, 1]

    def fill(self, out: np.ndarray, shard: np.ndarray, row: np.ndarray) -> None:
        """``out[i]`` = the vector at (``shard[i]``, ``row[i]``), one memory-mapped shard at a time."""
        order = np.argsort(shard, kind="stable")
        bounds = np.flatnonzero(np.diff(shard[order])) + 1
        for part in np.split(order, bounds):
            if len(part) == 0 or shard[part[0]] < 0:
                continue
            vectors = np.load(self.folder / f"{self.names[shard[part[0]]]}.npy", mmap_mode="r")
            out[part] = vectors[row[part]]
            del vectors

    def save(self) -> Path:
        """The index: model, dim and every shard known (name and rows)."""
        shards = [{"name": n, "rows": r} for n, r in zip(self.names, self.sizes, strict=True)]
        return write_json({"model": self.model, "dim": self.dim, "shards": shards}, self.folder / INDEX)
