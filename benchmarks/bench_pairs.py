"""Paraphrase pair decisions on MRPC: our cosine rule vs MinHash Jaccard, threshold tuned on a held-out half.

    python benchmarks/bench_pairs.py [--data ../shared/data] [--quick]

MRPC train (text1, text2, label 1 = paraphrase) is split 50/50 with a fixed seed. Each method's threshold
is tuned on the first half (``best_threshold``: best F1 of ``score >= t``) and scored on the second half
(precision, recall, F1, accuracy). Methods:

- ours: ``cluster.evaluate.pair_cosines`` with the default encoder (1.0 for the same normalised text,
  else the embedding cosine); also scored at the pipeline's fixed ``paraphrase_threshold`` (no tuning);
- MinHash: ``benchmarks.baselines.minhash_jaccard`` (128 perms) over char 5-shingles and word 1-shingles.

Embeddings are cached by text hash in benchmarks/.cache, so a rerun embeds nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, encoder_cache, load_jsonl, write_result  # noqa: E402
from cluster.cache import EmbeddingCache  # noqa: E402
from cluster.embed import load_encoder  # noqa: E402
from cluster.evaluate import pair_cosines  # noqa: E402
from cluster.exact import text_hash  # noqa: E402
from cluster.metrics import best_threshold, pair_scores  # noqa: E402
from cluster.pipeline import Settings  # noqa: E402

FILE = "mrpc_train.jsonl"
SEED = 0
QUICK_PAIRS = 800


class CachedEncoder:
    """An ``Encoder`` that answers from an ``EmbeddingCache`` by text hash and encodes only the rest."""

    def __init__(self, encoder: Any, cache: EmbeddingCache) -> None:
        self.encoder = encoder
        self.cache = cache
        self.name = encoder.name
        self.computed = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        hashes = [text_hash(t) for t in texts]
        found, cached = self.cache.lookup(hashes)
        out = np.empty((len(texts), self.cache.dim), dtype=np.float32)
        out[found] = cached
        missing = np.flatnonzero(~found)
        if missing.size:
            fresh = np.asarray(self.encoder.encode([texts[i] for i in missing]), dtype=np.float32)
            out[missing] = fresh
            self.cache.add([hashes[i] for i in missing], fresh)
            self.computed += int(missing.size)
        return out


def split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])


def tuned(name: str, labels: np.ndarray, scores: np.ndarray, tune: np.ndarray, test: np.ndarray,
          seconds: float) -> dict[str, Any]:
    threshold = best_threshold(labels[tune], scores[tune])
    return {"method": name, "tuned_on": "first half", **pair_scores(labels[test], scores[test], threshold),
            "tune_f1": pair_scores(labels[tune], scores[tune], threshold)["f1"], "seconds": round(seconds, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--quick", action="store_true", help=f"a seeded sample of {QUICK_PAIRS} pairs")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--backend", default=None, help="embedding backend: onnx (int8) or torch (fp32)")
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "benchmarks" / ".cache")
    args = parser.parse_args()
    folder = data_dir(args.data, [FILE])
    if folder is None:
        return 0
    rows = load_jsonl(folder / FILE)
    if args.quick:
        pick = np.sort(np.random.default_rng(args.seed + 1).permutation(len(rows))[:QUICK_PAIRS])
        rows = [rows[i] for i in pick]
    text1 = [str(r["text1"]) for r in rows]
    text2 = [str(r["text2"]) for r in rows]
    labels = np.array([int(r["label"]) for r in rows], dtype=np.int8)
    tune, test = split(len(rows), args.seed)

    encoder = load_encoder(backend=args.backend)
    cache = encoder_cache(args.cache, "pairs", encoder)
    cached = CachedEncoder(encoder, cache)
    start = time.perf_counter()
    ours = pair_cosines(cached, text1, text2)
    ours_seconds = time.perf_counter() - start
    cache.save()
    table = [tuned("newsdedup pair_cosines (tuned threshold)", labels, ours, tune, test, ours_seconds)]
    fixed = Settings().paraphrase_threshold
    table.append({"method": f"newsdedup pair_cosines (default paraphrase_threshold {fixed})",
                  "tuned_on": None, **pair_scores(labels[test], ours[test], fixed), "seconds": round(ours_seconds, 2)})
    from benchmarks.baselines import minhash_jaccard

    for unit, size in (("char", 5), ("word", 1)):
        start = time.perf_counter()
        scores = np.array([minhash_jaccard(a, b, shingle=size, unit=unit) for a, b in zip(text1, text2, strict=True)])
        table.append(tuned(f"minhash_jaccard ({unit} {size}-shingles)", labels, scores, tune, test,
                           time.perf_counter() - start))

    positives = float(labels[test].mean())
    print(f"MRPC {FILE}: {len(rows)} pairs, test half {test.size} ({positives:.1%} paraphrases; "
          f"all-positive F1 {2 * positives / (1 + positives):.3f}); embedded {cached.computed} new texts")
    print(f"{'method':<60} {'thr':>6} {'F1':>6} {'P':>6} {'R':>6} {'acc':>6}")
    for row in table:
        print(f"{row['method']:<60} {row['threshold']:>6.3f} {row['f1']:>6.3f} {row['precision']:>6.3f} "
              f"{row['recall']:>6.3f} {row['accuracy']:>6.3f}")
    figures = {"data": FILE, "pairs": len(rows), "test_pairs": int(test.size), "seed": args.seed,
               "quick": args.quick, "model": encoder.name, "test_positive_rate": positives,
               "all_positive_f1": 2 * positives / (1 + positives), "results": table}
    path = write_result("pairs_quick" if args.quick else "pairs", figures)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
