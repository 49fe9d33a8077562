"""Ray on one node: the same ~20k real paragraphs through `--engine local` and `--engine ray`, in one run.

(a) End to end: ``run_corpus`` (read, paragraphs, embed with the int8 ONNX default, neighbours, passages,
    copies, stories, contradictions with the detail layer; no embedding cache) on the first articles of
    fnc1_unlabelled_articles.jsonl then fnc1_train_stories.jsonl up to ``--paragraphs`` paragraphs, written
    as 8 JSONL files, each engine in a fresh subprocess: local (onnxruntime on every core), Ray with the
    default pool (one actor per CPU, one CPU left free: 1 actor of 1 thread on 2 cores), Ray again into the
    same output folder with the cache on (its vector shards reused), and Ray with ``--embed-actors`` equal
    to the CPUs (no headroom). Each run also gives the seconds to each stage's first and last progress call
    and the driver's own peak RSS. Per run: wall time, per-stage times, paragraphs/s and texts/s, peak memory of the
    whole process tree (sum of PSS of the driver, Ray's GCS, raylet and workers, sampled every 0.25 s;
    PSS counts the shared object store once), and whether every table equals the local one.
(b) Ray Data batch size: texts/s of the Ray encoder alone on ``--batch-texts`` distinct paragraphs at
    batch sizes 64, 256 and 1024 (one actor, one thread, the model loaded once per batch size).
(c) ``--edges 1000000,4000000``: what the driver's finishing costs per million edges that arrive from the
    search — peak RSS over its inputs of ``unique_pairs`` + ``star_clusters`` (the passage grouping) on
    random edges (cosine 0.6–1.0) among half as many texts, each size in its own process.

    python benchmarks/bench_ray.py [--data DIR] [--paragraphs 20000] [--quick] | --edges 1000000,4000000
    # --quick: 2,000 paragraphs and one batch size (a check that it runs)

No GPU on the machine this was measured on: the GPU rows of the capacity plan are not measured.
Without Ray (``pip install 'newsdedup[ray]'``) or the data, it prints SKIP and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, iter_jsonl, write_result  # noqa: E402

FILES = ("fnc1_unlabelled_articles.jsonl", "fnc1_train_stories.jsonl")  # train side only: no dev text here
TABLES = ("documents", "paragraphs", "passages", "pairs", "copies", "stories", "contradictions")

WORKER = """
import json, resource, sys, time
from pathlib import Path
from cluster.distributed import EngineOptions
from cluster.runner import RunOptions, run_corpus
corpus, out, engine, actors, cache = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "cache"
options = EngineOptions(engine, embed_actors=int(actors) if actors != "default" else None)
start = time.perf_counter()
marks = {}
def progress(stage, done, total):
    now = round(time.perf_counter() - start, 2)
    marks.setdefault(stage, [now, now])[1] = now
summary = run_corpus(RunOptions([Path(corpus)], out, use_nli=False, use_cache=cache, engine=options), progress)
print(json.dumps({"wall_s": round(time.perf_counter() - start, 2), "marks_s": marks,
                  "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""

BATCHES = """
import json, sys, time
from cluster.distributed import EngineOptions, open_engine
texts = json.loads(open(sys.argv[1]).read())
sizes = [int(s) for s in sys.argv[2].split(",")]
out = {}
with open_engine(EngineOptions("ray", embed_actors=1)) as engine:
    for size in sizes:
        encoder = engine.encoder(None, None)
        encoder.batch_size = size
        start = time.perf_counter()
        encoder.encode(texts)
        out[size] = round(len(texts) / (time.perf_counter() - start), 1)
print(json.dumps(out))
"""


EDGES = """
import json, resource, sys, time
import numpy as np
from cluster.index import unique_pairs
from cluster.passages import star_clusters
n, e = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
left = rng.integers(0, n, e, dtype=np.int64)
right = (left + rng.integers(1, 200, e, dtype=np.int64)) % n  # local clumps, as neighbour pairs are
score = rng.uniform(0.6, 1.0, e).astype(np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
left, right, score = unique_pairs(left, right, score)
centre, to_centre = star_clusters(n, left, right, score, 0.92)
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"texts": n, "edges": int(len(left)), "seconds": round(took, 2),
                  "peak_over_inputs_mb": round((peak - before) / 1024, 1), "peak_rss_mb": round(peak / 1024, 1)}))
"""


def tree_pss_mb(root: int) -> float:
    """Sum of the PSS of ``root`` and all its descendants (MB), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def measured(cmd: list[str]) -> tuple[dict[str, Any], float]:
    """Run ``cmd``, sampling its process tree's PSS; (its last stdout line as JSON, peak PSS in MB)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_pss_mb(proc.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1]), round(peak[0], 1)


def corpus(folder: Path, paragraphs: int, target: Path, files: int = 8) -> tuple[int, int]:
    """Articles of FILES in order until ``paragraphs`` paragraphs (blank-line blocks), written as ``files``
    JSONL files in ``target`` (so a Ray read has files to spread); (articles, paragraphs)."""
    rows, count = [], 0
    for name in FILES:
        for record in iter_jsonl(folder / name):
            if count >= paragraphs:
                break
            text = str(record.get("text") or "")
            count += max(1, sum(1 for block in text.split("\n\n") if block.strip()))
            rows.append({"id": f"{name}:{record.get('id', len(rows))}", "text": text})
    target.mkdir(parents=True, exist_ok=True)
    per = -(-len(rows) // files)
    for part in range(files):
        chunk = rows[part * per : (part + 1) * per]
        (target / f"part-{part:02d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chunk), encoding="utf-8")
    return len(rows), count


def engine_run(corpus_path: Path, out: Path, engine: str, actors: str, cache: bool = False) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    args = [str(corpus_path), str(out), engine, actors, "cache" if cache else "fresh"]
    result, peak = measured([sys.executable, "-c", WORKER, *args])
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    timings = manifest.get("timings_s") or manifest.get("timings") or {}
    return {
        "engine": engine,
        "actors": actors,
        "reuse_cache": cache,
        "wall_s": result["wall_s"],
        # seconds from the start to each stage's first and last progress call ("read": start-up, then files)
        "progress_marks_s": result["marks_s"],
        "stages_s": timings,
        "paragraphs": counts["paragraphs"],
        "distinct_texts": counts["distinct_texts"],
        "paragraphs_per_s": round(counts["paragraphs"] / result["wall_s"], 1),
        "embed_texts_per_s": round(counts["distinct_texts"] / timings["embed"], 1) if timings.get("embed") else None,
        "peak_pss_mb": peak,
        "driver_peak_rss_mb": result["driver_peak_rss_mb"],
        "embedding": manifest.get("embedding"),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def same_tables(a: Path, b: Path) -> dict[str, bool]:
    import polars as pl

    return {name: pl.read_parquet(a / f"{name}.parquet").equals(pl.read_parquet(b / f"{name}.parquet"))
            for name in TABLES}  # fmt: skip


def batch_rates(work: Path, count: int, quick: bool) -> dict[str, Any]:
    from cluster.exact import distinct_texts
    from cluster.ingest import Columns, read_corpus
    from cluster.pipeline import prepare

    texts = distinct_texts(prepare(read_corpus([work / "corpus"], Columns()).documents))[:count]
    sample = work / "texts.json"
    sample.write_text(json.dumps(texts))
    rates, _ = measured([sys.executable, "-c", BATCHES, str(sample), "256" if quick else "64,256,1024"])
    return {"texts": len(texts), "rates": rates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--paragraphs", type=int, default=20_000)
    parser.add_argument("--batch-texts", type=int, default=600)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--name", default="ray", help="result file stem (benchmarks/results/NAME.json)")
    parser.add_argument("--no-batches", action="store_true", help="skip (b)")
    parser.add_argument("--no-all-cpus", action="store_true", help="skip the Ray run without headroom")
    parser.add_argument("--edges", default=None,
                        help="only (c): driver memory per million edges, e.g. 1000000,4000000 (random edges)")
    args = parser.parse_args()
    if args.edges:
        edges = [measured([sys.executable, "-c", EDGES, str(max(2, e // 2)), str(e)])[0]
                 for e in (int(x) for x in args.edges.split(","))]
        for row in edges:
            print(json.dumps(row), flush=True)
        write_result("ray_edges", {"edges": edges})
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        print("SKIP: Ray is not installed (pip install 'newsdedup[ray]')")
        return
    folder = data_dir(args.data, FILES)
    if folder is None:
        return
    paragraphs = 2000 if args.quick else args.paragraphs
    name = "ray_quick" if args.quick else args.name
    cpus = len(os.sched_getaffinity(0))
    figures: dict[str, Any] = {"cpus": cpus, "gpu": None, "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        work = Path(tmp)
        figures["articles"], figures["paragraph_blocks"] = corpus(folder, paragraphs, work / "corpus")
        # the two runs of record first, then the batch sizes, then Ray without headroom (the longest to spare)
        for step in ("local", "ray", "ray-rerun", "batches", "ray-all-cpus"):
            if step == "batches" and args.no_batches:
                continue
            if step == "batches":
                figures["batch_size_texts_per_s"] = batch_rates(work, args.batch_texts, args.quick)
                print(json.dumps(figures["batch_size_texts_per_s"]), flush=True)
                write_result(name, figures)
                continue
            if step == "ray-all-cpus" and (args.quick or args.no_all_cpus):
                continue
            engine = "local" if step == "local" else "ray"
            actors = str(cpus) if step == "ray-all-cpus" else "default"
            out = work / f"{engine}-{actors}"  # ray-rerun: the Ray run's folder again, its vector shards reused
            run = engine_run(work / "corpus", out, engine, actors, cache=step == "ray-rerun")
            if engine == "ray":
                run["tables_equal_local"] = same_tables(work / "local-default", out)
            figures["runs"].append(run)
            print(json.dumps(run), flush=True)
            write_result(name, figures)  # after each run: a long benchmark killed later keeps what it measured
    path = write_result(name, figures)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
