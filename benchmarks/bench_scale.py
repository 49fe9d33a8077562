"""Scale and memory: everything after embedding on 100k, 300k and 1M paragraphs, with the peak RSS of each stage.

Each size runs in two fresh processes:

1. a generator: ``bench_speed.synthetic_corpus`` (synthetic syndicated stories, vectors keyed by truth) is
   written as ``documents.parquet`` plus the vector of every paragraph text, keyed by its content hash
   (``gen_hashes.parquet``, ``gen_vectors.npy``) — so the generator's own memory never counts;
2. the measured run: read the documents, ``prepare`` (split, flag, hash), then an embedding stand-in that
   gathers the vector of each distinct text from the generator's file, chunk by chunk, into the memory-mapped
   ``vectors.npy`` of the output folder (as ``cluster.pipeline.embed`` does from its cache), then
   ``cluster.pipeline.analyse`` on that memory map (neighbours, passages, copies, stories, tables) and
   ``cluster.store.write_run`` (the six tables and a manifest).

A thread samples the process's resident set (``/proc/self/statm``, every 5 ms) and each stage records its
peak; ``ru_maxrss`` gives the process's peak over the whole run (it includes the file pages of the vectors
that are mapped at the time). Reported: seconds and peak RSS per stage, the total after embedding (analyse +
write), and the growth exponents of time and peak RSS between the sizes.

    python benchmarks/bench_scale.py [--sizes 100000,300000,1000000] [--keep DIR]

Targets (issue 12): after embedding, 1M paragraphs in < 5 min and < 4 GB peak RSS on this 2-core machine;
growth exponent 100k -> 1M <= 1.1. No data is needed: the corpus is synthetic.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import git_commit, machine_info, run_worker, write_result  # noqa: E402

NAME = "scale"
SIZES = (100_000, 300_000, 1_000_000)
TARGET_SECONDS_1M = 300.0
TARGET_RSS_MB_1M = 4096.0
TARGET_EXPONENT = 1.1
GATHER_CHUNK = 65_536
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * _PAGE


def _mb(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


class RssSampler(threading.Thread):
    """The peak resident set since the last :meth:`mark`, sampled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = _rss()
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, _rss())

    def mark(self) -> int:
        """Start a new window; returns the RSS now."""
        now = _rss()
        self.peak = now
        return now

    def stop(self) -> None:
        self._stop.set()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------- the generator process


def worker_generate(n: int, folder: Path) -> dict[str, Any]:
    from benchmarks.bench_speed import synthetic_corpus
    from cluster.exact import text_hash

    start = time.perf_counter()
    documents, vec, meta = synthetic_corpus(n)
    documents.write_parquet(folder / "documents.parquet")
    texts = list(vec)
    import polars as pl

    pl.DataFrame({"hash": [text_hash(t) for t in texts]}).write_parquet(folder / "gen_hashes.parquet")
    out = np.lib.format.open_memmap(folder / "gen_vectors.npy", mode="w+", dtype=np.float32, shape=(len(texts), 384))
    for row, text in enumerate(texts):
        out[row] = vec[text]
    out.flush()
    del out
    return {**meta, "generator_texts": len(texts), "generate_seconds": round(time.perf_counter() - start, 1)}


# ---------------------------------------------------------------- the measured process


# steps inside the stages whose peak RSS --detail records: (module, function)
DETAIL = tuple(
    ("cluster.pipeline", name)
    for name in ("build_index", "neighbour_pairs", "passage_match", "star_clusters", "assign_passages",
                 "passage_table", "pair_table", "_document_table")
) + tuple(("cluster.stories", name) for name in ("article_vectors", "average_linkage")) + tuple(
    ("cluster.stories.graph", name)
    for name in ("article_texts", "lexical_vectors", "knn_edges", "passage_edges", "lexical_scores")
)


def _trace(sampler: RssSampler, steps: list[dict[str, Any]]) -> None:
    """Wrap the functions of :data:`DETAIL` so each call records its seconds and peak RSS in ``steps``."""
    import functools
    import importlib

    for module_name, name in DETAIL:
        module = importlib.import_module(module_name)
        function = getattr(module, name)

        def wrapped(*args: Any, _f: Any = function, _name: str = name, **kwargs: Any) -> Any:
            outer = sampler.peak
            before = sampler.mark()
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                steps.append({"step": _name, "seconds": round(time.perf_counter() - start, 2),
                              "rss_before_mb": _mb(before), "peak_rss_mb": _mb(sampler.peak)})
                sampler.peak = max(outer, sampler.peak)

        setattr(module, name, functools.wraps(function)(wrapped))


def worker_measure(folder: Path, detail: bool = False, contradictions: bool = True) -> dict[str, Any]:
    import polars as pl

    from cluster.exact import distinct_hashes
    from cluster.pipeline import Clock, Settings, analyse, prepare
    from cluster.store import write_run

    sampler = RssSampler()
    sampler.start()
    stages: dict[str, dict[str, float]] = {}

    class MeasuredClock(Clock):
        @contextmanager
        def stage(self, name: str) -> Iterator[None]:
            before = sampler.mark()
            start, cpu = time.perf_counter(), time.process_time()
            with super().stage(name):
                yield
            stages[name] = {
                "seconds": round(time.perf_counter() - start, 2),
                "cpu_seconds": round(time.process_time() - cpu, 2),
                "rss_before_mb": _mb(before),
                "peak_rss_mb": _mb(sampler.peak),
                "rss_after_mb": _mb(_rss()),
            }

    clock = MeasuredClock()
    steps: list[dict[str, Any]] = []
    if detail:
        _trace(sampler, steps)
    load_start = _load()
    settings = Settings()
    with clock.stage("read"):
        documents = pl.read_parquet(folder / "documents.parquet")
    with clock.stage("paragraphs"):
        paragraphs = prepare(documents, settings)
    with clock.stage("embed_stand_in"):
        hashes = pl.DataFrame({"hash": distinct_hashes(paragraphs)})
        rows = hashes.join(
            pl.read_parquet(folder / "gen_hashes.parquet").with_row_index("row"), on="hash", how="left",
            maintain_order="left",
        )["row"].to_numpy()
        del hashes
        source = np.load(folder / "gen_vectors.npy", mmap_mode="r")
        target = np.lib.format.open_memmap(folder / "out" / "vectors.npy", mode="w+", dtype=np.float32,
                                           shape=(len(rows), source.shape[1]))
        for start in range(0, len(rows), GATHER_CHUNK):
            target[start : start + GATHER_CHUNK] = source[rows[start : start + GATHER_CHUNK]]
        target.flush()
        del target, source, rows
        vectors = np.load(folder / "out" / "vectors.npy", mmap_mode="r")
    gc.collect()
    analyse_start = time.perf_counter()
    result = analyse(documents, paragraphs, vectors, settings, clock=clock)
    analyse_seconds = time.perf_counter() - analyse_start
    with clock.stage("write"):
        write_run(folder / "out", result.tables(), {"counts": result.stats, "timings_s": clock.timings})
    after = ("neighbours", "passages", "copies", "stories", "tables", "write")
    n_flags = None
    if contradictions:
        with clock.stage("contradictions"):  # as `newsdedup run` (detail layer; no NLI model): after the tables
            from cluster.contradictions.stage import find_contradictions

            english = np.full(result.documents.height, "en", dtype=object)  # ingest detects it: not measured
            flags = find_contradictions(result.paragraphs, result.documents["story_id"].to_numpy(), vectors, None,
                                        settings.contradictions, english, result.stats)
            n_flags = flags.height
    with_flags = (*after, "contradictions") if contradictions else after
    sampler.mark()  # the benchmark's own scoring against the truth: not a stage of the run
    truth = quality(result)
    scoring_peak = sampler.peak
    sampler.stop()
    return {
        "paragraphs": result.stats["paragraphs"],
        "documents": result.stats["documents"],
        "distinct_texts": int(vectors.shape[0]),
        "vectors_mb": _mb(vectors.nbytes),
        "stats": result.stats,
        "quality": truth,
        "stages": stages,
        "steps": steps,
        "analyse_seconds": round(analyse_seconds, 2),
        "after_embedding_seconds": round(sum(stages[s]["seconds"] for s in after), 2),
        "after_embedding_cpu_seconds": round(sum(stages[s]["cpu_seconds"] for s in after), 2),
        "after_embedding_peak_rss_mb": max(stages[s]["peak_rss_mb"] for s in after),
        "contradictions": {"measured": contradictions, "flags": n_flags, **{k: v for k, v in result.stats.items()
                                                          if "contradiction" in k or "dispute" in k}},
        "with_contradictions_seconds": round(sum(stages[s]["seconds"] for s in with_flags), 2),
        "with_contradictions_cpu_seconds": round(sum(stages[s]["cpu_seconds"] for s in with_flags), 2),
        "with_contradictions_peak_rss_mb": max(stages[s]["peak_rss_mb"] for s in with_flags),
        "peak_rss_process_mb": _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
        "scoring_peak_rss_mb": _mb(scoring_peak),  # quality() against the truth, after the run: not the run's
        "load_average_start_end": [load_start, _load()],
    }


def quality(result: Any) -> dict[str, Any]:
    """The run's tables against the generator's truth, which its ids and texts spell out.

    - passages: ARI of ``passage_id`` against the original paragraph each non-boilerplate paragraph copies
      ("Story s paragraph p ..."; an article's own paragraph is a truth group of its own);
    - stories: ARI of the documents' ``story_id`` against the generated story ("s<story>-c<copy>");
    - copies: pairs found, the share of them inside one generated story (precision), and the share of the
      generated (original, copy) pairs found (recall).
    """
    import polars as pl
    from sklearn.metrics import adjusted_rand_score

    paras = result.paragraphs.filter(~pl.col("is_boilerplate") & pl.col("passage_id").is_not_null()).select(
        "passage_id",
        pl.coalesce(pl.col("text").str.extract(r"^(Story \d+ paragraph \d+) ", 1), pl.col("text")).alias("truth"),
    )
    docs = result.documents.select("id", "story_id", pl.col("id").str.extract(r"^s(\d+)-", 1).alias("truth"))
    story = dict(zip(docs["id"].to_list(), docs["truth"].to_list(), strict=True))
    copies = result.copies.select("id_a", "id_b")
    same = [story[a] == story[b] for a, b in copies.iter_rows()]
    originals = docs.filter(pl.col("id").str.ends_with("-c0")).height
    found = {(a, b) for a, b in copies.iter_rows() if a.endswith("-c0") or b.endswith("-c0")}
    planted = docs.height - originals  # each copy of a story copies its original
    return {
        "passage_ari": round(float(adjusted_rand_score(paras["truth"], paras["passage_id"])), 5),
        "story_ari": round(float(adjusted_rand_score(docs["truth"], docs["story_id"])), 5),
        "copy_pairs": copies.height,
        "copy_precision_same_story": round(sum(same) / max(1, len(same)), 5),
        "copy_recall_original_copy": round(sum(story[a] == story[b] for a, b in found) / max(1, planted), 5),
    }


# ---------------------------------------------------------------- driver


def _spawn(args: list[str]) -> dict[str, Any]:
    return run_worker(__file__, args, ROOT)


def _corpus(n: int, folder: Path) -> dict[str, Any]:
    """The generator's description of the corpus in ``folder``, generated there unless it already is."""
    described = folder / "corpus.json"
    if described.is_file():
        return dict(json.loads(described.read_text()))
    folder.mkdir(parents=True, exist_ok=True)
    gen = _spawn(["--worker", "generate", "--n", str(n), "--folder", str(folder)])
    described.write_text(json.dumps(gen))  # written last: a half-generated corpus is generated again
    return gen


def _exponent(rows: dict[str, Any], a: str, b: str, key: str) -> float | None:
    if a in rows and b in rows and rows[a][key] and rows[b][key]:
        return round(math.log(rows[b][key] / rows[a][key]) / math.log(int(b) / int(a)), 3)
    return None


def _uncommitted() -> list[str]:
    done = subprocess.run(["git", "status", "--porcelain", "--", "cluster", "cli"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    return [line[3:] for line in done.stdout.splitlines()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="comma-separated paragraph counts")
    parser.add_argument("--keep", default=None, help="keep each size's corpus and output under this folder")
    parser.add_argument("--corpus", default=None,
                        help="keep each size's generated corpus in DIR/<size> and reuse it when already there")
    parser.add_argument("--generate-only", action="store_true", help="with --corpus: only generate the corpora")
    parser.add_argument("--no-contradictions", action="store_true", help="leave out the contradiction stage")
    parser.add_argument("--detail", action="store_true", help="also the peak RSS of the steps inside each stage")
    parser.add_argument("--out", default=NAME, help="result name under benchmarks/results (default scale)")
    parser.add_argument("--worker", choices=("generate", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        folder = Path(args.folder)
        row = (worker_generate(args.n, folder) if args.worker == "generate"
               else worker_measure(folder, args.detail, not args.no_contradictions))
        Path(args.worker_out).write_text(json.dumps(row))
        return 0

    sizes = [int(x) for x in args.sizes.split(",") if x]
    figures: dict[str, Any] = {
        "targets": {"after_embedding_1m_seconds": f"< {TARGET_SECONDS_1M}",
                    "after_embedding_1m_peak_rss_mb": f"< {TARGET_RSS_MB_1M}",
                    "growth_exponent_100k_1m": f"<= {TARGET_EXPONENT}"},
        "machine": machine_info(),
        "commit": git_commit(),
        "uncommitted_library_files": _uncommitted(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "sizes": {},
    }
    started = time.perf_counter()
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"scale-{n}-", dir=args.keep) as tmp:
            folder = Path(args.corpus) / str(n) if args.corpus else Path(tmp)
            gen = _corpus(n, folder)
            if args.generate_only:
                continue
            out = folder / "out"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            row = _spawn(["--worker", "measure", "--folder", str(folder), *(["--detail"] if args.detail else []),
                          *(["--no-contradictions"] if args.no_contradictions else [])])
            row["corpus"] = gen
            figures["sizes"][str(n)] = row
            write_result(args.out, figures)  # after each size: a long run interrupted keeps what it measured
            stage_text = ", ".join(
                f"{k} {v['seconds']:.1f}s/{v['peak_rss_mb']:.0f}MB" for k, v in row["stages"].items()
            )
            print(f"{row['paragraphs']:>8d} paragraphs ({row['distinct_texts']} texts): after embedding "
                  f"{row['after_embedding_seconds']:.1f}s (CPU {row['after_embedding_cpu_seconds']:.0f}s), "
                  f"peak RSS {row['after_embedding_peak_rss_mb']:.0f} MB "
                  f"(process {row['peak_rss_process_mb']:.0f} MB) [{stage_text}] load {row['load_average_start_end']}"
                  f"\n    quality {row['quality']}"
                  f"\n    with contradictions {row['with_contradictions_seconds']:.1f}s "
                  f"(CPU {row['with_contradictions_cpu_seconds']:.0f}s), "
                  f"peak {row['with_contradictions_peak_rss_mb']:.0f} MB "
                  f"{row['contradictions']}",
                  flush=True)
            for step in row["steps"]:
                print(f"    {step['step']:<18s} {step['seconds']:>7.2f}s  RSS before {step['rss_before_mb']:>7.0f} MB, "
                      f"peak {step['peak_rss_mb']:>7.0f} MB")
    if args.generate_only:
        return 0
    rows = figures["sizes"]
    keys = sorted(rows, key=int)
    figures["growth_exponents"] = {
        f"{a}->{b}": {"seconds": _exponent(rows, a, b, "after_embedding_seconds"),
                      "cpu_seconds": _exponent(rows, a, b, "after_embedding_cpu_seconds"),
                      "peak_rss": _exponent(rows, a, b, "after_embedding_peak_rss_mb")}
        for i, a in enumerate(keys) for b in keys[i + 1 :]
    }
    figures["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures["growth_exponents"]))
    path = write_result(args.out, figures)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
