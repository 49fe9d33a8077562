"""The embedding cache at scale: what a rerun pays to open it, look its texts up, copy their vectors into the
run's vectors file and save what it added, with N cached vectors (synthetic, float32) — each layout in a
fresh process, so its peak RSS is its own.

Layouts (``--layouts``):
- ``npz``: the one-file cache before cluster/cache.py (``OUT/cache/embeddings-<model>.npz``, read whole and
  rewritten whole); needs ``--old-store``, the ``cluster/store.py`` of a commit that had it, e.g.
  ``git show 101b02c:cluster/store.py > /tmp/store_old.py``;
- ``shards-R``: cluster/cache.py with shards of R rows (8,192: a local run's; 256: a Ray CPU run's, which the
  measured run's save merges, as more than ``COMPACT_AFTER`` are under ``SHARD_ROWS`` rows);
- ``convert``: the one-time conversion of an old ``.npz`` of N vectors into a shard (cluster/cache.py).

Each run looks up the N cached texts plus ``--new`` unseen ones, in a shuffled order (text ids are not cache
rows), fills a memory-mapped vectors file of N + new rows (the new rows random, in place of an encoder) and
adds the new vectors to the cache. Needs no data files.

    python benchmarks/bench_cache.py --n 1000000 --old-store /tmp/store_old.py --name cache_1m
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, run_worker, write_result  # noqa: E402
from cluster.cache import open_cache, write_shard  # noqa: E402
from cluster.store import cache_path, npz_cache_path, vector_file, write_vectors  # noqa: E402

MODEL = "synthetic"
_CHUNK = 65_536  # as the old pipeline.embed copied cached rows


def hashes(start: int, stop: int) -> list[str]:
    return [hashlib.blake2b(str(i).encode(), digest_size=16).hexdigest() for i in range(start, stop)]


def vectors(start: int, stop: int, dim: int) -> np.ndarray:
    return np.random.default_rng(start).standard_normal((stop - start, dim), dtype=np.float32)


def rss() -> dict[str, float]:
    """Resident MB now (all, anonymous, file-backed) and the peak so far."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


def prepare(layout: str, out: Path, n: int, dim: int) -> None:
    """An output folder whose cache holds vectors 0..n in ``layout`` (the old .npz for npz and convert)."""
    if layout in ("npz", "convert"):
        write_vectors(hashes(0, n), vectors(0, n, dim), npz_cache_path(out, MODEL, dim))
        return
    rows = int(layout.split("-")[1])
    folder = cache_path(out, MODEL, dim)
    names = []
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        names.append(f"part-bench-{start:012d}")
        write_shard(folder, names[-1], hashes(start, stop), vectors(start, stop, dim))
    # no index and no save here: small shards left as a killed Ray run leaves them are merged by the measured
    # run's save (the save that ends a finished Ray run merges them too)


def old_store(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("old_store", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(layout: str, out: Path, n: int, new: int, dim: int, old: Path | None) -> dict[str, Any]:
    """One rerun's cache work, timed step by step (in the worker process)."""
    wanted = hashes(0, n + new)
    order = np.random.default_rng(7).permutation(len(wanted))
    wanted = [wanted[i] for i in order]
    fresh = vectors(n, n + new, dim)
    gc.collect()
    row: dict[str, Any] = {"layout": layout, "n_cached": n, "n_new": new, "dim": dim, "rss_start": rss()}
    clock = time.perf_counter()
    target = out / "cache" / "vectors.npy"

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        row[f"{name}_s"] = round(now - clock, 3)
        row[f"rss_after_{name}"] = rss()
        clock = now

    if layout == "npz":
        assert old is not None
        cache = old_store(old).EmbeddingCache(npz_cache_path(out, MODEL, dim), dim)
        step("load")
        rows = cache.rows(wanted)
        missing = np.flatnonzero(rows < 0)
        step("lookup")

        def fill_old(array: np.ndarray) -> None:  # the old pipeline.embed, with an encoder's rows given
            found = np.flatnonzero(rows >= 0)
            for start in range(0, len(found), _CHUNK):
                part = found[start : start + _CHUNK]
                array[part] = cache.take(rows[part])
            array[missing] = fresh
            cache.add([wanted[i] for i in missing], np.asarray(array[missing]))

        run_vectors = vector_file(target, len(wanted), dim, fill_old)
        step("fill")
        cache.save()
        step("save")
    else:
        cache = open_cache(out, MODEL, dim)
        step("load")
        if layout == "convert":
            row["convert_s"] = row.pop("load_s")
            row["rss_after_convert"] = row.pop("rss_after_load")
            row["npz_left"] = npz_cache_path(out, MODEL, dim).exists()
            row["peak_rss_mb"] = rss()["VmHWM"]
            return row
        shard, where = cache.locate(wanted)
        missing = np.flatnonzero(shard < 0)
        step("lookup")

        def fill_new(array: np.ndarray) -> None:  # pipeline.embed, with an encoder's rows given
            assert not len(cache.fill(array, shard, where))
            array[missing] = fresh
            cache.add([wanted[i] for i in missing], np.asarray(array[missing]))

        run_vectors = vector_file(target, len(wanted), dim, fill_new)
        step("fill")
        row["shards_before_save"] = len(cache.names)
        cache.save()
        step("save")
        row["shards_after_save"] = len(cache.names)
    assert len(missing) == new
    expected = vectors(0, 1, dim)[0]  # text 0's vector, wherever its row landed
    np.testing.assert_array_equal(run_vectors[int(np.flatnonzero(order == 0)[0])], expected)
    row["total_s"] = round(sum(row[f"{s}_s"] for s in ("load", "lookup", "fill", "save")), 3)
    row["peak_rss_mb"] = rss()["VmHWM"]
    row["cache_files"] = sum(1 for p in (out / "cache").rglob("*") if p.is_file())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="vectors already cached")
    parser.add_argument("--new", type=int, default=1_000, help="texts the rerun adds")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--layouts", default="npz,shards-8192,shards-256,convert")
    parser.add_argument("--old-store", type=Path, help="cluster/store.py of a commit with the .npz cache")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--name", default="cache", help="results/<name>.json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        out = Path(args.worker)
        row = measure(out.name, out, args.n, args.new, args.dim, args.old_store)
        args.worker_out.write_text(json.dumps(row))
        return
    layouts = args.layouts.split(",")
    if "npz" in layouts and args.old_store is None:
        print("SKIP npz: pass --old-store (see the docstring)")
        layouts.remove("npz")
    work = Path(tempfile.mkdtemp(prefix="bench_cache_", dir=args.work))
    rows = []
    try:
        for layout in layouts:
            out = work / layout
            started = time.perf_counter()
            prepare(layout, out, args.n, args.dim)
            print(f"{layout}: prepared in {time.perf_counter() - started:.1f} s", flush=True)
            extra = ["--old-store", str(args.old_store)] if args.old_store else []
            row = run_worker(Path(__file__), ["--worker", str(out), "--n", str(args.n), "--new", str(args.new),
                                              "--dim", str(args.dim), *extra], REPO_ROOT)  # fmt: skip
            print(json.dumps(row), flush=True)
            rows.append(row)
            shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {write_result(args.name, {'runs': rows})}")


if __name__ == "__main__":
    main()
