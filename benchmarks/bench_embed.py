"""Embedding backends side by side in one process: bare torch ``SentenceTransformer.encode`` (fp32) against
the int8 ONNX backend, on the same distinct FNC-1 paragraphs.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/bench_embed.py [--texts 5000] [--out results/bench_embed.json]

Reports texts/s of each (best of two, interleaved so load changes hit both), their ratio, the cosine of each
int8 vector to its fp32 one (mean, 1st percentile, min), the load average, and for 128 vs 256 max tokens the
speed and the cosine of the 128-token vector to the 256-token fp32 one; plus how many paragraphs (as the
pipeline splits them) are longer than 128 and 256 tokens, i.e. were truncated before token windows.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

ARTICLES_FILE = "fnc1_unlabelled_articles.jsonl"


def load_texts(data: Path, n_texts: int) -> list[str]:
    """The first ``n_texts`` distinct paragraphs (as the pipeline splits articles) of at least 40 characters."""
    from cluster.paragraphs import split_text

    seen: dict[str, None] = {}
    with open(data / ARTICLES_FILE, encoding="utf-8") as handle:
        for line in handle:
            for para in split_text(json.loads(line)["text"]):
                if len(para) >= 40:
                    seen.setdefault(para, None)
            if len(seen) >= n_texts:
                break
    return list(seen)[:n_texts]


def timed(fn: Any, texts: list[str]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = np.asarray(fn(texts), dtype=np.float32)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("NEWSDEDUP_DATA", "/work/shared/data")))
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=Path("results/bench_embed.json"))
    args = parser.parse_args()

    from cluster.embed import load_encoder

    texts = load_texts(args.data, args.texts)
    torch_enc: Any = load_encoder(None, backend="torch")
    onnx_enc: Any = load_encoder(None, backend="onnx")
    onnx_128: Any = load_encoder(None, backend="onnx", max_tokens=128)
    st = torch_enc.model

    def bare(t: list[str]) -> np.ndarray:
        return st.encode(t, batch_size=64, normalize_embeddings=True, show_progress_bar=False)

    tokens = onnx_enc.token_counts(texts)
    bare(texts[:64]), onnx_enc.encode(texts[:64])  # warm-up
    load_before = os.getloadavg()
    runs: dict[str, list[float]] = {"torch_fp32_bare": [], "onnx_int8_256": [], "onnx_int8_128": []}
    vectors: dict[str, np.ndarray] = {}
    fns = {"torch_fp32_bare": bare, "onnx_int8_256": onnx_enc.encode, "onnx_int8_128": onnx_128.encode}
    for name in ("torch_fp32_bare", "onnx_int8_256", "onnx_int8_128", "onnx_int8_128", "onnx_int8_256",
                 "torch_fp32_bare"):
        seconds, out = timed(fns[name], texts)
        runs[name].append(round(seconds, 2))
        vectors[name] = out
        print(f"  {name:16s} {len(texts)} texts in {seconds:6.1f} s = {len(texts) / seconds:6.1f} texts/s "
              f"(load {os.getloadavg()[0]:.2f})", flush=True)
    load_after = os.getloadavg()
    rate = {k: round(len(texts) / min(v), 1) for k, v in runs.items()}

    def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
        c = np.sum(a * b, axis=1)
        return {"mean": round(float(c.mean()), 5), "p1": round(float(np.percentile(c, 1)), 5),
                "min": round(float(c.min()), 5)}

    ref = vectors["torch_fp32_bare"]
    result = {
        "texts": len(texts),
        "threads": onnx_enc.threads,
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in load_after],
        "seconds": runs,
        "texts_per_s": rate,
        "speedup_onnx_int8_256_vs_bare_torch": round(rate["onnx_int8_256"] / rate["torch_fp32_bare"], 2),
        "speedup_onnx_int8_128_vs_bare_torch": round(rate["onnx_int8_128"] / rate["torch_fp32_bare"], 2),
        "cosine_onnx_int8_256_to_fp32": cosines(vectors["onnx_int8_256"], ref),
        "cosine_onnx_int8_128_to_fp32_256": cosines(vectors["onnx_int8_128"], ref),
        "tokens": {"median": int(np.median(tokens)), "p99": int(np.percentile(tokens, 99)), "max": int(tokens.max()),
                   "over_128": int((tokens > 128).sum()), "over_256": int((tokens > 256).sum())},
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
