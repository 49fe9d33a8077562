"""Paragraphs over 256 tokens under the torch backend: truncated (before) vs token windows (now), on TRAIN.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/bench_long_texts.py [--data DIR] [--threads 2]

The train story file is split with the pipeline's paragraph splitter (``prepare``); its distinct paragraphs
over 256 tokens are embedded by fp32 torch on the CPU two ways: as sentence-transformers alone does (cut at
256 tokens, the backend's old behaviour) and as ``SentenceTransformerEncoder.encode`` now does (consecutive
256-token windows, mean over all their tokens). Figures: how many paragraphs are long and their windows;
seconds for each way (best of two, interleaved); the cosine of each long paragraph's torch vector to its
int8 ONNX one (which has always used windows), before and after, and of the torch vector before to after.
Texts of at most 256 tokens are not embedded: they go through ``model.encode`` as before (bit-identical,
tests/test_embed_backends.py). Results: ``results/long_texts.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import data_dir, write_result  # noqa: E402
from cluster.embed import SentenceTransformerEncoder, load_encoder  # noqa: E402
from cluster.exact import distinct_texts  # noqa: E402
from cluster.ingest import read_corpus  # noqa: E402
from cluster.pipeline import prepare  # noqa: E402
from cluster.token_windows import token_windows  # noqa: E402

TRAIN = "fnc1_train_stories.jsonl"


def spread(x: np.ndarray) -> dict:
    return {"mean": round(float(x.mean()), 4), "min": round(float(x.min()), 4), "max": round(float(x.max()), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of torch and onnxruntime")
    args = parser.parse_args()
    folder = data_dir(args.data, required=[TRAIN])
    if folder is None:
        print("bench_long_texts: the FNC-1 train story file is not there (--data DIR); nothing measured")
        return 0
    texts = distinct_texts(prepare(read_corpus([folder / TRAIN]).documents))
    torch = load_encoder(None, backend="torch", threads=args.threads)
    if not isinstance(torch, SentenceTransformerEncoder) or torch.device != "cpu" or torch.tokenizer is None:
        print("bench_long_texts: measures fp32 torch on the CPU; this machine chose another backend")
        return 0
    onnx = load_encoder(None, backend="onnx", threads=args.threads)
    tokens = torch.token_counts(texts)
    long_texts = [texts[i] for i in np.flatnonzero(tokens > torch.max_tokens)]
    long_tokens = tokens[tokens > torch.max_tokens]
    ways = {"truncated": torch._encode_whole, "windows": torch.encode}  # before: sentence-transformers alone
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    vectors = {}
    for name in ("truncated", "windows", "windows", "truncated"):
        start = time.perf_counter()
        vectors[name] = ways[name](long_texts)
        seconds[name].append(round(time.perf_counter() - start, 3))
    start = time.perf_counter()
    int8 = onnx.encode(long_texts)
    onnx_seconds = time.perf_counter() - start
    figures = {
        "file": TRAIN,
        "distinct_paragraphs": len(texts),
        "over_256_tokens": len(long_texts),
        "their_tokens": {"max": int(long_tokens.max()), "mean": round(float(long_tokens.mean()), 1),
                         "share_of_all_tokens": round(float(long_tokens.sum() / tokens.sum()), 4)},
        "their_windows": len(token_windows(torch.tokenizer, long_texts, torch.max_tokens)),
        "torch_seconds": seconds,
        "torch_seconds_best": {k: min(v) for k, v in seconds.items()},
        "onnx_seconds": round(onnx_seconds, 3),
        "cosine_torch_to_onnx": {k: spread(np.sum(v * int8, axis=1)) for k, v in vectors.items()},
        "cosine_torch_truncated_to_windows": spread(np.sum(vectors["truncated"] * vectors["windows"], axis=1)),
        "threads": args.threads,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    path = write_result("long_texts", figures)
    print("\n".join(f"{key}: {value}" for key, value in figures.items()), f"wrote {path}", sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
