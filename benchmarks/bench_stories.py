"""Story clustering quality on FNC-1 (366 real articles, 40 stories): ours at default settings vs baselines.

    python benchmarks/bench_stories.py [--data ../shared/data] [--no-baselines]

Ours is the whole pipeline (`cluster.pipeline.run`) with default Settings. Baselines, run on the same
articles: datasketch MinHash LSH (a few thresholds and shingle sizes), sentence-transformers
`community_detection` and embedding kNN + connected components on whole-article embeddings (best of a few
thresholds each — an optimistic view of the baselines, since theirs are tuned on the test set).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, load_jsonl, write_result  # noqa: E402
from cluster.embed import load_encoder  # noqa: E402
from cluster.ingest import read_corpus  # noqa: E402
from cluster.metrics import cluster_scores  # noqa: E402
from cluster.pipeline import Settings, run  # noqa: E402
from cluster.store import EmbeddingCache, model_key  # noqa: E402

FILE = "fnc1_stories_dev.jsonl"
KEYS = ("ari", "ami", "pair_f1", "b3_f1", "n_pred", "n_gold")


def ours(path: Path, encoder, cache_dir: Path) -> tuple[list[str], list[int], float]:
    corpus = read_corpus([path])
    cache = EmbeddingCache(cache_dir / f"embeddings-{model_key(encoder.name, encoder.dim)}.npz", encoder.dim)
    start = time.perf_counter()
    result = run(corpus.documents, encoder, Settings(), cache)
    seconds = time.perf_counter() - start
    cache.save()
    return result.documents["id"].to_list(), result.documents["story_id"].to_list(), seconds


def baselines(texts: list[str], gold: list[str], encoder) -> list[dict]:
    from benchmarks.baselines import (
        community_detection_clusters,
        connected_components_clusters,
        minhash_lsh_clusters,
    )

    rows = []
    for unit, shingle in (("char", 5), ("word", 1), ("word", 3)):
        for threshold in (0.2, 0.3, 0.5):
            labels = minhash_lsh_clusters(texts, threshold=threshold, shingle=shingle, unit=unit)
            rows.append({"method": f"minhash_lsh({unit} {shingle}-shingles, t={threshold})",
                         **cluster_scores(gold, labels)})
    article_vectors = encoder.encode(texts)
    for threshold in (0.5, 0.6, 0.7, 0.8):
        rows.append({"method": f"community_detection(t={threshold})",
                     **cluster_scores(gold, community_detection_clusters(article_vectors, threshold))})
        rows.append({"method": f"knn_connected_components(t={threshold})",
                     **cluster_scores(gold, connected_components_clusters(article_vectors, threshold))})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--backend", default=None, help="embedding backend: onnx (int8) or torch (fp32)")
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "benchmarks" / ".cache")
    args = parser.parse_args()
    folder = data_dir(args.data, [FILE])
    if folder is None:
        return 0
    rows = load_jsonl(folder / FILE)
    gold_of = {r["id"]: r["story_id"] for r in rows}
    encoder = load_encoder(backend=args.backend)
    ids, pred, seconds = ours(folder / FILE, encoder, args.cache)
    gold = [gold_of[i] for i in ids]
    ours_scores = {"method": "newsdedup (default settings)", **cluster_scores(gold, pred), "seconds": round(seconds, 2)}
    table = [ours_scores]
    if not args.no_baselines:
        text_of = {r["id"]: r["text"] for r in rows}
        table += baselines([text_of[i] for i in ids], gold, encoder)
    for row in table:
        print(f"{row['method']:<48} " + "  ".join(f"{k} {row[k]:.3f}" if isinstance(row[k], float) else f"{k} {row[k]}"
                                                  for k in KEYS))
    write_result("stories", {"data": FILE, "articles": len(ids), "settings": Settings().as_dict(), "results": table})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
