"""Two int8 ONNX graphs of all-MiniLM-L6-v2 side by side: the shipped one against an earlier one (by default
the graph shipped at commit b4ba8f1, read with ``git show``), on the same distinct FNC-1 train paragraphs.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/bench_graph.py [--texts 1500] [--rounds 5]
        [--old PATH | --old-rev REV] [--out graph_maskfree]

Both run as the encoder runs them (one text per call, one onnxruntime thread) in one process, interleaved
``rounds`` times, so a change of load hits both; the figure is each graph's CPU seconds for all the texts
(best and median round) and their ratio. Also the cosine of each int8 vector to torch fp32's (mean, 1st
percentile, min; texts within 256 tokens) and of the two graphs' vectors to each other. The texts are
bench_embed.py's: the first distinct paragraphs (>= 40 characters) of fnc1_unlabelled_articles.jsonl (the
train articles), as the pipeline splits them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_embed import ARTICLES_FILE, load_texts  # noqa: E402
from benchmarks.common import REPO_ROOT, data_dir, write_result  # noqa: E402

SHIPPED_PATH = "cluster/models/minilm-l6-int8/model.onnx"


def old_graph(rev: str, folder: Path) -> Path:
    """The shipped graph as it was at commit ``rev``."""
    target = folder / f"model-{rev}.onnx"
    target.write_bytes(subprocess.run(["git", "show", f"{rev}:{SHIPPED_PATH}"], cwd=REPO_ROOT, check=True,
                                      capture_output=True).stdout)  # fmt: skip
    return target


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    c = (a * b).sum(axis=1)
    return {name: round(float(value), 5) for name, value in (("mean", c.mean()), ("p1", np.percentile(c, 1)),
                                                             ("min", c.min()))}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--texts", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--old", type=Path, default=None, help="the earlier graph file")
    parser.add_argument("--old-rev", default="b4ba8f1", help="else the graph shipped at this commit")
    parser.add_argument("--out", default="graph_maskfree")
    args = parser.parse_args()
    folder = data_dir(args.data, required=(ARTICLES_FILE,))
    if folder is None:
        return 0

    from cluster.embed import default_model_path, load_encoder
    from cluster.embed_onnx import SHIPPED, OnnxEncoder

    texts = load_texts(folder, args.texts)
    model = default_model_path()
    with tempfile.TemporaryDirectory() as tmp:
        old_path = args.old or old_graph(args.old_rev, Path(tmp))
        graphs: dict[str, Any] = {
            "old": OnnxEncoder(old_path, model, "old", threads=1),
            "new": OnnxEncoder(SHIPPED / "model.onnx", model, "new", threads=1),
        }
        seconds: dict[str, list[float]] = {name: [] for name in graphs}
        vectors: dict[str, np.ndarray] = {}
        load = [round(x, 2) for x in os.getloadavg()]
        for _ in range(args.rounds):
            for name, encoder in graphs.items():
                start = time.process_time()
                vectors[name] = encoder.encode(texts)
                seconds[name].append(round(time.process_time() - start, 3))
        load_end = [round(x, 2) for x in os.getloadavg()]
        inputs = {name: encoder.inputs for name, encoder in graphs.items()}
    fp32: Any = load_encoder(None, backend="torch")
    reference = fp32.encode(texts)
    tokens = graphs["new"].token_counts(texts)
    short = tokens <= 256
    best = {name: min(s) for name, s in seconds.items()}
    figures: dict[str, Any] = {
        "texts": len(texts),
        "mean_tokens": round(float(tokens.mean()), 1),
        "inputs": inputs,
        "cpu_seconds": seconds,
        "best_cpu_seconds": best,
        "median_cpu_seconds": {name: float(np.median(s)) for name, s in seconds.items()},
        "new_over_old_best": round(best["new"] / best["old"], 4),
        "new_over_old_median": round(float(np.median(seconds["new"]) / np.median(seconds["old"])), 4),
        "texts_per_cpu_second_best": {name: round(len(texts) / s, 1) for name, s in best.items()},
        "cosine_to_fp32": {name: cosines(vectors[name][short], reference[short]) for name in graphs},
        "cosine_old_new": cosines(vectors["old"], vectors["new"]),
        "max_abs_difference_old_new": float(np.abs(vectors["old"] - vectors["new"]).max()),
        "load_average_start_end": [load, load_end],
        "old_graph": str(args.old or f"{args.old_rev}:{SHIPPED_PATH}"),
    }
    write_result(args.out, figures)
    print({k: figures[k] for k in ("best_cpu_seconds", "new_over_old_best", "new_over_old_median", "cosine_to_fp32",
                                    "cosine_old_new")})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
