"""Issue 12's end-to-end figure in one run: 100k real paragraphs through `cluster.pipeline.run` with the real
int8 model and no cache (read, model load, every stage), beside datasketch MinHash LSH over the distinct texts
of the same paragraphs — the corpus and both measurements are bench_speed.py's (c) and (d), each in its own
subprocess.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/bench_e2e_100k.py [--data DIR] [--size 100000]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.bench_speed import bench_minhash, bench_real
from benchmarks.common import data_dir, write_result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="benchmark data folder (default ../shared/data)")
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs (default 100000)")
    args = parser.parse_args()
    data = data_dir(args.data)
    if data is None:
        print("bench_e2e_100k: the FNC-1 data is not there (--data DIR); nothing measured")
        return 0
    started = time.perf_counter()
    figures = {
        "ours": bench_real(data, (args.size,), (), None),
        "minhash_distinct_texts": bench_minhash(("real_dedup",), (args.size,), data),
    }
    figures["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    print(f"wrote {write_result(f'e2e_{args.size // 1000}k', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
