"""Issue 12's end-to-end figure in one run: 100k real paragraphs, measured two ways, beside datasketch MinHash
LSH over the distinct texts of the same paragraphs.

* ``cli``: what a user runs — ``newsdedup run corpus.jsonl --out DIR`` in a fresh process with every default
  (int8 embedding, the shipped NLI model judging contradictions, tables written), no cache; wall time from
  start to exit, the child's CPU time and peak RSS, stage times from its ``manifest.json``;
* ``pipeline``: ``cluster.pipeline.run`` in-process (no NLI, nothing written), per stage with CPU seconds —
  bench_speed.py's (c), the figure recorded before the CLI timing existed;
* ``minhash_distinct_texts``: bench_speed.py's (d).

The corpus is bench_speed.py's (c) (FNC-1 articles + syndicated copies, seeded), the same in all three.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/bench_e2e_100k.py [--data DIR] [--size 100000] [--no-pipeline]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_speed import ARTICLES_FILE, bench_minhash, bench_real, real_corpus
from benchmarks.common import REPO_ROOT, data_dir, load_jsonl, write_result


def bench_cli(data: Path, size: int) -> dict[str, Any]:
    """``newsdedup run`` on the (c) corpus in a child process, every default, a fresh output folder."""
    records, _, meta = real_corpus(load_jsonl(data / ARTICLES_FILE), size)
    with tempfile.TemporaryDirectory() as tmp:
        corpus, out = Path(tmp) / "corpus.jsonl", Path(tmp) / "out"
        with open(corpus, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        del records
        command = [sys.executable, "-c", "from cli.app import main; main()", "run", str(corpus), "--out", str(out)]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
        load_start = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"newsdedup run failed ({done.returncode}):\n{done.stderr[-2000:]}")
        manifest = json.loads((out / "manifest.json").read_text())
    stages = manifest["timings_s"]
    embedded = manifest["counts"]["embedded"]
    row = {
        "command": "newsdedup run corpus.jsonl --out OUT (every default, fresh folder)",
        "corpus": meta,
        "end_to_end_seconds": round(wall, 2),
        "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),  # the largest child so far: this one
        "stage_seconds": stages,
        "outside_stages_seconds": round(wall - sum(stages.values()), 2),  # start-up, read, model loads, writing
        "embed_texts_per_s": round(embedded / stages["embed"], 1) if stages.get("embed") else None,
        "counts": manifest["counts"],
        "embedding": manifest.get("embedding"),
        "load_average_start_end": [load_start, os.getloadavg()],
    }
    print(
        f"  newsdedup run, {row['counts']['paragraphs']} paragraphs ({row['counts']['distinct_texts']} texts): "
        f"{wall:.1f}s wall, {row['cpu_seconds']:.0f} CPU-s, peak RSS {row['peak_rss_mb']:.0f} MB "
        f"[{', '.join(f'{k} {v:.1f}s' for k, v in stages.items())}; "
        f"outside stages {row['outside_stages_seconds']:.1f}s]",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="benchmark data folder (default ../shared/data)")
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs (default 100000)")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the in-process pipeline timing")
    args = parser.parse_args()
    data = data_dir(args.data)
    if data is None:
        print("bench_e2e_100k: the FNC-1 data is not there (--data DIR); nothing measured")
        return 0
    started = time.perf_counter()
    figures: dict[str, Any] = {"cli": bench_cli(data, args.size)}
    if not args.no_pipeline:
        figures["ours"] = bench_real(data, (args.size,), (), None)
    figures["minhash_distinct_texts"] = bench_minhash(("real_dedup",), (args.size,), data)
    figures["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    print(f"wrote {write_result(f'e2e_{args.size // 1000}k', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
