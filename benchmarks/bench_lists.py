"""IVF list-count rules: recall against exact search and CPU cost of build + search, per corpus size.

Question (issue 12): which number of IVF lists (and probes) makes ``cluster.index``'s neighbour search
cheapest at 20k-1M vectors without finding fewer of the exact pairs from the search floor (0.6)? A query
costs about nprobe·n/nlist list entries plus nlist centroids; more, smaller lists at the same nprobe can
lose recall, and k-means on 40 vectors a list costs ∝ nlist².

Vector sets (all train-side; the dev files are not read):

- ``train``: all-MiniLM-L6-v2 (int8 ONNX) vectors of the distinct paragraphs of fnc1_train_stories.jsonl;
- ``e2e``: the same for bench_e2e_100k's corpus (fnc1_unlabelled_articles = FNC-1 train bodies, plus
  seeded syndicated copies; 100k paragraphs, 48,582 distinct texts) — the run whose neighbours prompted this;
- ``synth``: bench_index's synthetic vectors (``--synth-n``, default 100,000);
- ``scaleN``: the generated vectors of a bench_scale corpus (``--scale-corpus DIR``: DIR/N/out/vectors.npy).

Vectors come from ``--embed-cache`` (an embedding cache .npz, cluster.store format) where it has them; any
missing are embedded and added to it. Exact pairs (flat search) are computed for sets up to ``--exact-max``
vectors and cached in ``--work``; above it recall is given against the union of the pairs every rule found
(``recall_vs_union``, an upper bound). Each rule: IndexParams(exact_max=0, nlist=rule(n), ...); build and
search timed in wall and process-CPU seconds (``OMP`` threads as set by the caller).

    python benchmarks/bench_lists.py [--data DIR] [--sets train,e2e,synth] [--rules ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import data_dir, load_jsonl, write_result  # noqa: E402
from cluster.index import IndexParams, build_index, neighbour_pairs  # noqa: E402
from cluster.pipeline import Settings, search_floor  # noqa: E402

NAME = "bench_lists"
TRAIN_FILE = "fnc1_train_stories.jsonl"
DEFAULT_RULES = "n512/p8,2s/p8,3s/p8,4s/p8,4s/p12,4s/p16"


def parse_rule(rule: str) -> tuple[str, int, int, int, int]:
    """``LISTS/pNPROBE[/sSCAN][/tPER_LIST][/iITERS]``: LISTS ``n512`` (n/512, the rule of commit 40fb412) or
    ``Cs`` (max(n/512, C·√n)); nprobe at least NPROBE and enough lists to scan SCAN vectors; e.g.
    ``1.5s/p8/s1760/t20/i5``. Returns (lists, nprobe, scan, train_per_list, kmeans_iters)."""
    parts = rule.split("/")
    lists, nprobe, scan, per_list, iters = parts[0], 8, 0, 40, 10
    for part in parts[1:]:
        value = int(part[1:])
        if part[0] == "p":
            nprobe = value
        elif part[0] == "s":
            scan = value
        elif part[0] == "t":
            per_list = value
        elif part[0] == "i":
            iters = value
        else:
            raise ValueError(f"bad rule part {part!r} in {rule!r}")
    if lists != "n512" and not lists.endswith("s"):
        raise ValueError(f"bad list rule {lists!r} in {rule!r}")
    return lists, nprobe, scan, per_list, iters


def lists_for(kind: str, n: int) -> int:
    base = max(16, round(n / 512))
    if kind == "n512":
        return base
    return max(base, round(float(kind.removesuffix("s")) * math.sqrt(n)))


# ---------------------------------------------------------------- vector sets


def real_set(paragraphs: Any, cache_path: Path) -> np.ndarray:
    """Vectors of the distinct texts of ``paragraphs`` (row = text_id), from the cache or embedded."""
    from cluster.exact import distinct_hashes, distinct_texts
    from cluster.store import read_vectors, write_vectors

    hashes, texts = distinct_hashes(paragraphs), distinct_texts(paragraphs)
    known: dict[str, np.ndarray] = {}
    cached_hashes: list[str] = []
    cached = np.zeros((0, 384), dtype=np.float32)
    if cache_path.is_file():
        cached_hashes, cached = read_vectors(cache_path)
        known = {h: cached[i] for i, h in enumerate(cached_hashes)}
    missing = [i for i, h in enumerate(hashes) if h not in known]
    if missing:
        from cluster.embed import encode_in_order, load_encoder

        print(f"embedding {len(missing)} texts (cached in {cache_path}) ...", flush=True)
        new = encode_in_order(load_encoder(None), [texts[i] for i in missing])
        for i, row in zip(missing, new, strict=True):
            known[hashes[i]] = row
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        write_vectors(cached_hashes + [hashes[i] for i in missing], np.concatenate([cached, new]), cache_path)
    return np.stack([known[h] for h in hashes]).astype(np.float32)


def train_paragraphs(data: Path) -> Any:
    from cluster.ingest import read_corpus
    from cluster.pipeline import prepare

    return prepare(read_corpus([data / TRAIN_FILE]).documents, Settings())


def e2e_paragraphs(data: Path, n_paragraphs: int = 100_000) -> Any:
    from benchmarks.bench_speed import ARTICLES_FILE, real_corpus
    from cluster.ingest import read_corpus
    from cluster.pipeline import prepare

    records, _, _ = real_corpus(load_jsonl(data / ARTICLES_FILE), n_paragraphs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        documents = read_corpus([path], strict=True).documents
    return prepare(documents, Settings())


# ---------------------------------------------------------------- measuring


def _keys(left: np.ndarray, right: np.ndarray, n: int) -> np.ndarray:
    return np.sort(left.astype(np.int64) * n + right.astype(np.int64))


def exact_pairs(vectors: np.ndarray, threshold: float, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Keys and cosines of the exact pairs from ``threshold`` (flat search), cached at ``path``."""
    if path.is_file():
        with np.load(path) as z:
            return z["keys"], z["scores"]
    n = vectors.shape[0]
    params = IndexParams(exact_max=n)
    start = time.perf_counter()
    left, right, score = neighbour_pairs(build_index(vectors, params), vectors, threshold, params)
    keys = left.astype(np.int64) * n + right.astype(np.int64)
    order = np.argsort(keys)
    keys, score = keys[order], score[order]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, keys=keys, scores=score)
    print(f"  exact: {len(keys)} pairs in {time.perf_counter() - start:.0f}s", flush=True)
    return keys, score


def measure_rules(
    vectors: np.ndarray, threshold: float, rules: list[str], exact: tuple[np.ndarray, np.ndarray] | None
) -> list[dict[str, Any]]:
    n = vectors.shape[0]
    rows: list[dict[str, Any]] = []
    found_all: list[np.ndarray] = []
    built: dict[tuple[int, int, int], Any] = {}
    for name in rules:
        kind, nprobe, scan, per_list, iters = parse_rule(name)
        nlist = lists_for(kind, n)
        nprobe = min(nlist, max(nprobe, math.ceil(scan * nlist / n)))
        params = IndexParams(exact_max=0, nlist=nlist, nprobe=nprobe, train_per_list=per_list, kmeans_iters=iters)
        key = (nlist, per_list, iters)
        build_cpu = build_wall = 0.0
        if key not in built:
            built.clear()  # one index at a time in memory
            cpu, wall = time.process_time(), time.perf_counter()
            built[key] = build_index(vectors, params)
            build_cpu, build_wall = time.process_time() - cpu, time.perf_counter() - wall
        index = built[key]
        index.nprobe = min(nprobe, nlist)
        cpu, wall = time.process_time(), time.perf_counter()
        left, right, _ = neighbour_pairs(index, vectors, threshold, params)
        search_cpu, search_wall = time.process_time() - cpu, time.perf_counter() - wall
        found = _keys(left, right, n)
        found_all.append(found)
        row: dict[str, Any] = {
            "rule": name,
            "nlist": nlist,
            "nprobe": nprobe,
            "train_per_list": per_list,
            "kmeans_iters": iters,
            "pairs": int(len(found)),
            "build_cpu_s": round(build_cpu, 2) if build_cpu else "shared",
            "build_wall_s": round(build_wall, 2) if build_wall else "shared",
            "search_cpu_s": round(search_cpu, 2),
            "search_wall_s": round(search_wall, 2),
            "load": round(os.getloadavg()[0], 2),
        }
        if exact is not None:
            keys, scores = exact
            hit = np.isin(keys, found, assume_unique=True)
            high = scores >= Settings().pair_threshold
            row["recall"] = round(float(hit.mean()), 5)
            row["recall_ge_0.75"] = round(float(hit[high].mean()), 5)
            row["missed"] = int((~hit).sum())
            row["missed_ge_0.75"] = int((~hit[high]).sum())
        rows.append(row)
        print("  " + json.dumps(row), flush=True)
    union = np.unique(np.concatenate(found_all))
    for row, found in zip(rows, found_all, strict=True):
        row["recall_vs_union"] = round(len(found) / len(union), 5)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="benchmark data folder (default ../shared/data)")
    parser.add_argument("--sets", default="train,e2e,synth", help="comma-separated: train, e2e, synth, scaleN")
    parser.add_argument("--rules", default=DEFAULT_RULES, help="comma-separated rules (see parse_rule)")
    parser.add_argument("--synth-n", type=int, default=100_000)
    parser.add_argument("--scale-corpus", default="/tmp/scale-corpus", help="bench_scale --corpus folder")
    parser.add_argument("--embed-cache", default="/tmp/bench/lists_embed_cache.npz")
    parser.add_argument("--work", default="/tmp/bench/lists", help="where exact pairs are cached")
    parser.add_argument("--exact-max", type=int, default=110_000, help="exact pairs only up to this many vectors")
    parser.add_argument("--out", default=NAME)
    args = parser.parse_args(argv)

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    rules = [r.strip() for r in args.rules.split(",") if r.strip()]
    try:
        parsed = {r: parse_rule(r) for r in rules}
    except ValueError as exc:
        parser.error(str(exc))
    data = data_dir(args.data, (TRAIN_FILE,)) if {"train", "e2e"} & set(sets) else None
    if {"train", "e2e"} & set(sets) and data is None:
        return 0
    threshold = search_floor(Settings())
    figures: dict[str, Any] = {
        "question": "IVF list-count rules: recall vs exact from the search floor, CPU s of build + search",
        "threshold": threshold,
        "rules": {r: dict(zip(("lists", "nprobe", "scan", "train_per_list", "kmeans_iters"), p, strict=True))
                  for r, p in parsed.items()},
        "index_defaults": asdict(IndexParams()),
        "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "sets": {},
    }
    work = Path(args.work)
    for name in sets:
        meta: dict[str, Any] = {}
        if name == "train":
            assert data is not None
            vectors = real_set(train_paragraphs(data), Path(args.embed_cache))
        elif name == "e2e":
            assert data is not None
            vectors = real_set(e2e_paragraphs(data), Path(args.embed_cache))
        elif name == "synth":
            from benchmarks.bench_index import synthetic_vectors

            vectors, meta = synthetic_vectors(args.synth_n)
            name = f"synth{args.synth_n // 1000}k"
        elif name.startswith("scale"):
            path = Path(args.scale_corpus) / name.removeprefix("scale") / "out" / "vectors.npy"
            if not path.is_file():
                print(f"{name}: {path} not there (run bench_scale.py --corpus first); skipped")
                continue
            vectors = np.ascontiguousarray(np.load(path), dtype=np.float32)
        else:
            parser.error(f"unknown set {name!r}")
        n = vectors.shape[0]
        print(f"{name}: {n} vectors", flush=True)
        exact = exact_pairs(vectors, threshold, work / f"exact_{name}_{n}.npz") if n <= args.exact_max else None
        figures["sets"][name] = {
            "n_vectors": n,
            **meta,
            "exact_pairs": int(len(exact[0])) if exact else None,
            "rules": measure_rules(vectors, threshold, rules, exact),
        }
        figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        write_result(args.out, figures)  # after each set: a long run keeps what it measured
    print(f"wrote results/{args.out}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
