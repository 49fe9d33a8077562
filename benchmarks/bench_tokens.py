"""128 vs 256 max tokens of the int8 ONNX encoder, on the TRAIN story file: speed and quality side by side.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/bench_tokens.py [--data DIR] [--cache DIR]

A text of at most 128 tokens gets the same vector either way (one text per call, no padding), so only the
longer ones are embedded twice: at 256 (one window up to 256 tokens) and at 128 (consecutive 128-token
windows, vectors averaged over all their tokens — nothing is cut either way). Figures, all on
``fnc1_train_stories.jsonl`` (the file defaults are chosen on): how many distinct paragraphs are long, the
seconds to embed them each way (best of two, interleaved) and their share of the whole file's embedding
time; the cosine of each long text's 128 vector to its 256 one and, for texts of at most 256 tokens, of both to
the fp32 torch vector (the model as trained, which reads 256); stories on the whole train file at default
Settings (ARI, B-cubed F1, stories) with each set of vectors. Results: ``results/tokens.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, encoder_cache, load_jsonl, write_result  # noqa: E402
from cluster import stories as st  # noqa: E402
from cluster.embed import load_encoder  # noqa: E402
from cluster.exact import distinct_texts  # noqa: E402
from cluster.ingest import read_corpus  # noqa: E402
from cluster.metrics import cluster_scores  # noqa: E402
from cluster.pipeline import Settings, embed, find_neighbours, group, prepare  # noqa: E402

TRAIN = "fnc1_train_stories.jsonl"


def stories_with(vectors: np.ndarray, documents: pl.DataFrame, paragraphs: pl.DataFrame, gold: np.ndarray) -> dict:
    """The whole train file's stories at default Settings from these vectors (neighbours and passages too)."""
    grouped = group(documents, paragraphs, vectors, find_neighbours(vectors), Settings()).paragraphs
    rows = grouped.with_columns(pl.col("text_id").alias("vec_row"))
    labels = st.build_stories(vectors, rows, gold.size, st.StoryParams())
    return {k: round(float(v), 4) for k, v in cluster_scores(gold, labels).items()}


def timed(encoder, texts: list[str]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    vectors = encoder.encode(texts)
    return vectors, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "benchmarks" / ".cache")
    args = parser.parse_args()
    folder = data_dir(args.data, required=[TRAIN])
    if folder is None:
        print("bench_tokens: the FNC-1 train story file is not there (--data DIR); nothing measured")
        return 0
    started = time.perf_counter()
    documents = read_corpus([folder / TRAIN]).documents
    gold_of = {r["id"]: r["story_id"] for r in load_jsonl(folder / TRAIN)}
    gold = np.array([gold_of[i] for i in documents["id"].to_list()])
    paragraphs = prepare(documents)
    texts = distinct_texts(paragraphs)
    at256, at128 = load_encoder(None, backend="onnx"), load_encoder(None, backend="onnx", max_tokens=128)
    args.cache.mkdir(parents=True, exist_ok=True)
    cache = encoder_cache(args.cache, "tokens", at256)
    start = time.perf_counter()
    vectors256, computed = embed(paragraphs, at256, cache)
    whole_seconds = time.perf_counter() - start
    if computed:
        cache.save()
    tokens = at256.token_counts(texts)
    long = np.flatnonzero(tokens > 128)
    long_texts = [texts[i] for i in long]
    runs: dict[str, list[float]] = {"256": [], "128": []}
    out = {}
    for name, encoder in (("256", at256), ("128", at128), ("128", at128), ("256", at256)):
        out[name], seconds = timed(encoder, long_texts)
        runs[name].append(round(seconds, 2))
    vectors128 = vectors256.copy()
    vectors128[long] = out["128"]
    cos_128_256 = np.sum(out["128"] * out["256"], axis=1)
    fits = tokens[long] <= 256  # torch reads 256 tokens: a fair reference only for texts it reads whole
    torch = load_encoder(None, backend="torch")
    fp32 = torch.encode([t for t, f in zip(long_texts, fits, strict=True) if f])
    to_fp32 = {name: np.sum(out[name][fits] * fp32, axis=1) for name in ("256", "128")}

    def summary(x: np.ndarray) -> dict:
        return {"mean": round(float(x.mean()), 4), "p1": round(float(np.percentile(x, 1)), 4),
                "min": round(float(x.min()), 4)}

    figures = {
        "file": TRAIN,
        "distinct_texts": len(texts),
        "texts_over": {str(n): int((tokens > n).sum()) for n in (128, 256, 512)},
        "token_share_of_texts_over_128": round(float(tokens[long].sum() / tokens.sum()), 4),
        "max_tokens_seen": int(tokens.max()),
        "whole_file_embed_seconds_256": round(whole_seconds, 1) if computed == len(texts) else None,
        "long_texts_seconds": runs,
        "long_texts_per_s": {k: round(len(long) / min(v), 1) for k, v in runs.items()},
        "cosine_128_to_256": summary(cos_128_256),
        "cosine_to_fp32_torch_texts_up_to_256_tokens": {k: summary(v) for k, v in to_fp32.items()},
        "texts_compared_to_fp32": int(fits.sum()),
        "stories_whole_train": {"256": stories_with(vectors256, documents, paragraphs, gold),
                                "128": stories_with(vectors128, documents, paragraphs, gold)},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "benchmark_seconds": round(time.perf_counter() - started, 1),
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(f"wrote {write_result('tokens', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
