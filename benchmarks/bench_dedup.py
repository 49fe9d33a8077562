"""The deduplicated corpus (`newsdedup dedup`): what it keeps against known copy groups, vs MinHash LSH dedup.

    python benchmarks/bench_dedup.py [--data ../shared/data] [--quick] [--scale 100000]

Per noise level of the syndication generator (`benchmarks/syndicate.py`, known truth), the corpus goes
through `cluster.pipeline.run` at default settings (embeddings cached in benchmarks/.cache), its tables are
written as `run` writes them, and `dedup --results` is timed from there (tables read, plan, kept records
re-read from the JSONL and written) at article and paragraph level. Figures:

- kept articles; coverage = share of the true copy groups (connected components of ``copy_pairs``) that
  keep at least one article; exactly_one = share that keep exactly one; redundancy = share of kept articles
  that are a true copy of another kept article;
- characters removed at article level and at paragraph level (with --strip-boilerplate);
- the same figures for datasketch MinHash LSH document dedup (char 5-shingles, 128 permutations, Jaccard
  thresholds 0.3/0.5/0.7, union-find clusters, the earliest article of each cluster kept — what
  text-dedup's MinHash does);
- FNC-1 dev (real articles, no copy truth): kept counts of ours and of MinHash, and our own copy groups'
  coverage and redundancy;
- scale: the tables and the input of the medium corpus tiled to ``--scale`` articles (ids renamed, so the
  copy groups repeat), and the `dedup --results` time there, per 100k articles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, encoder_cache, load_jsonl, write_result  # noqa: E402
from benchmarks.syndicate import ARTICLES_FILE, copy_pairs, generate  # noqa: E402
from cluster import dedup  # noqa: E402
from cluster.cache import EmbeddingCache  # noqa: E402
from cluster.embed import load_encoder  # noqa: E402
from cluster.ingest import read_corpus  # noqa: E402
from cluster.pipeline import Settings, run  # noqa: E402
from cluster.store import write_run  # noqa: E402

LEVELS = ("clean", "light", "medium", "heavy")
JACCARD = (0.3, 0.5, 0.7)
NUM_PERM = 128
DEV_FILE = "fnc1_stories_dev.jsonl"


def components(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Article -> a representative of its copy group (union-find over ``pairs``)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def keep_figures(kept: set[str], true_pairs: Sequence[tuple[str, str]], n_articles: int) -> dict[str, Any]:
    group = components(true_pairs)
    members: dict[str, list[str]] = defaultdict(list)
    for article, root in group.items():
        members[root].append(article)
    per_group = [sum(m in kept for m in ms) for ms in members.values()]
    redundant = {x for a, b in true_pairs if a in kept and b in kept for x in (max(a, b),)}
    return {
        "articles": n_articles,
        "kept": len(kept),
        "copy_groups": len(members),
        "coverage": round(sum(c >= 1 for c in per_group) / len(per_group), 4) if per_group else 1.0,
        "exactly_one": round(sum(c == 1 for c in per_group) / len(per_group), 4) if per_group else 1.0,
        "redundancy": round(len(redundant) / len(kept), 4) if kept else 0.0,
    }


def minhash_keep(corpus: Sequence[dict[str, Any]], threshold: float) -> tuple[set[str], float]:
    """Kept ids of MinHash LSH document dedup (earliest article of each cluster) and its seconds."""
    from benchmarks.baselines import minhash_lsh_clusters

    start = time.perf_counter()
    labels = minhash_lsh_clusters([r["text"] for r in corpus], threshold=threshold, num_perm=NUM_PERM)
    order = sorted(range(len(corpus)), key=lambda i: (corpus[i].get("published") is None,
                                                       corpus[i].get("published") or "", i))
    kept: dict[int, str] = {}
    for i in order:
        kept.setdefault(int(labels[i]), corpus[i]["id"])
    return set(kept.values()), time.perf_counter() - start


def run_tables(corpus: list[dict[str, Any]], folder: Path, encoder: Any, cache: EmbeddingCache) -> Path:
    """Write ``corpus`` as JSONL in ``folder``, run the pipeline, write its tables as `run` does; the JSONL."""
    path = folder / "corpus.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus), encoding="utf-8")
    result = run(read_corpus([path]).documents, encoder, Settings(), cache)
    cache.save()
    write_run(folder / "results", result.tables(), {"columns": {"text": "text", "id": "id"}, "workdir": None})
    return path


def timed_dedup(results: Path, level: dedup.Level, out: Path) -> tuple[dedup.Plan, float]:
    """`newsdedup dedup --results RESULTS --out OUT --level LEVEL [--strip-boilerplate at paragraph level]`."""
    start = time.perf_counter()
    tables = dedup.results_tables(results)
    plan = tables.plan(dedup.Keep.origin, level, level is dedup.Level.paragraph)
    dedup.write_clean(plan, out)
    return plan, time.perf_counter() - start


def chars_removed(plan: dedup.Plan) -> dict[str, Any]:
    s = plan.summary
    return {"chars": s.chars, "chars_kept": s.chars_kept, "removed_share": round(1 - s.chars_kept / s.chars, 4),
            "removed_by_reason": s.removed}


def run_level(level: str, articles: list[dict[str, Any]], n: int, encoder: Any, cache: EmbeddingCache) -> dict:
    corpus, truth = generate(articles, n, level, 0)
    true_pairs = [tuple(p) for p in copy_pairs(truth)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_tables(corpus, folder, encoder, cache)
        art, art_s = timed_dedup(folder / "results", dedup.Level.article, folder / "clean.jsonl")
        par, par_s = timed_dedup(folder / "results", dedup.Level.paragraph, folder / "clean_p.jsonl")
    ours = {
        "method": "newsdedup dedup --keep origin",
        **keep_figures(set(art.articles.filter(pl.col("kept"))["id"].to_list()), true_pairs, len(corpus)),
        "article_level": {**chars_removed(art), "seconds": round(art_s, 3)},
        "paragraph_level": {**chars_removed(par), "seconds": round(par_s, 3)},
    }
    rows = [ours]
    for t in JACCARD:
        kept, seconds = minhash_keep(corpus, t)
        rows.append({"method": f"minhash_lsh documents (char 5, Jaccard>={t})",
                     **keep_figures(kept, true_pairs, len(corpus)), "seconds": round(seconds, 3)})
    return {"noise": level, "true_copy_pairs": len(true_pairs), "results": rows}


def fnc1_dev(folder: Path, encoder: Any, cache: EmbeddingCache) -> dict[str, Any]:
    corpus = [{"id": r["id"], "text": r["text"]} for r in load_jsonl(folder / DEV_FILE)]
    with tempfile.TemporaryDirectory() as tmp:
        run_tables(corpus, Path(tmp), encoder, cache)
        plan, seconds = timed_dedup(Path(tmp) / "results", dedup.Level.article, Path(tmp) / "clean.jsonl")
        ours_pairs = [tuple(p) for p in pl.read_parquet(Path(tmp) / "results" / "copies.parquet")
                      .select("id_a", "id_b").rows()]
    kept = set(plan.articles.filter(pl.col("kept"))["id"].to_list())
    rows = [{"method": "newsdedup dedup --keep origin (against its own copy groups)",
             **keep_figures(kept, ours_pairs, len(corpus)), "seconds": round(seconds, 3)}]
    for t in JACCARD:
        mh, mh_seconds = minhash_keep(corpus, t)
        rows.append({"method": f"minhash_lsh documents (char 5, Jaccard>={t}) (against our copy groups)",
                     **keep_figures(mh, ours_pairs, len(corpus)), "seconds": round(mh_seconds, 3)})
    return {"data": DEV_FILE, "results": rows}


def tiled(results: Path, corpus: Path, times: int, out: Path) -> Path:
    """The tables and input of one run repeated ``times`` times with renamed ids: a corpus ``times`` larger
    with the same structure, without embedding it."""
    docs = pl.read_parquet(results / "documents.parquet")
    paras = pl.read_parquet(results / "paragraphs.parquet")
    copies = pl.read_parquet(results / "copies.parquet")
    pairs = pl.read_parquet(results / "pairs.parquet")
    n_docs, n_paras = docs.height, paras.height
    n_passages = int(paras["passage_id"].max()) + 1  # type: ignore[operator]
    rows = [json.loads(x) for x in corpus.read_text(encoding="utf-8").splitlines()]
    big = out / "corpus.jsonl"
    with big.open("w", encoding="utf-8") as handle:
        for k in range(times):
            for r in rows:
                handle.write(json.dumps({**r, "id": f"{r['id']}~{k}"}, ensure_ascii=False) + "\n")

    def rename(col: str, k: int) -> pl.Expr:
        return pl.when(pl.col(col).is_null()).then(None).otherwise(pl.col(col) + f"~{k}").alias(col)

    parts: dict[str, list[pl.DataFrame]] = defaultdict(list)
    for k in range(times):
        parts["documents"].append(docs.with_columns(
            pl.col("doc_id") + k * n_docs, rename("id", k), rename("copy_of", k), rename("duplicate_of", k),
            pl.lit(str(big)).alias("file"), pl.col("line") + k * len(rows)))
        parts["paragraphs"].append(paras.with_columns(
            pl.col("para_id") + k * n_paras, pl.col("doc_id") + k * n_docs, rename("id", k),
            pl.col("passage_id") + k * n_passages))
        parts["copies"].append(copies.with_columns(rename("id_a", k), rename("id_b", k), rename("origin", k)))
        parts["pairs"].append(pairs.with_columns(pl.col("para_left") + k * n_paras, pl.col("para_right") + k * n_paras,
                                                 rename("id_left", k), rename("id_right", k)))
    tables = {name: pl.concat(frames) for name, frames in parts.items()}
    write_run(out / "results", tables, {"columns": {"text": "text", "id": "id"}})
    return out / "results"


def scale(articles: list[dict[str, Any]], n: int, target: int, encoder: Any, cache: EmbeddingCache) -> dict:
    corpus, _ = generate(articles, n, "medium", 0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = run_tables(corpus, folder, encoder, cache)
        times = max(1, round(target / len(corpus)))
        big = folder / "big"
        big.mkdir()
        results = tiled(folder / "results", path, times, big)
        out = {}
        for level in dedup.Level:
            plan, seconds = timed_dedup(results, level, big / f"clean-{level.value}.jsonl")
            out[level.value] = {"articles": plan.summary.articles, "kept": plan.summary.articles_kept,
                                "seconds": round(seconds, 2),
                                "seconds_per_100k_articles": round(seconds * 100_000 / plan.summary.articles, 2)}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder holding " + ARTICLES_FILE)
    parser.add_argument("--quick", action="store_true", help="medium noise only, 50 origins, 20k-article scale")
    parser.add_argument("--n", type=int, default=None, help="origin articles (default 200, 50 with --quick)")
    parser.add_argument("--scale", type=int, default=None, help="articles of the tiled corpus (default 100000)")
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "benchmarks" / ".cache")
    args = parser.parse_args(argv)
    folder = data_dir(args.data, [ARTICLES_FILE])
    if folder is None:
        return 0
    n = args.n or (50 if args.quick else 200)
    encoder = load_encoder()
    cache = encoder_cache(args.cache, "shards", encoder, "embeddings")
    articles = load_jsonl(folder / ARTICLES_FILE)
    levels = [run_level(level, articles, n, encoder, cache) for level in (["medium"] if args.quick else LEVELS)]
    for level in levels:
        print(f"\n== {level['noise']} ({level['true_copy_pairs']} true copy pairs)")
        for row in level["results"]:
            extra = (f"  chars removed: article {row['article_level']['removed_share']:.1%}, paragraph "
                     f"{row['paragraph_level']['removed_share']:.1%}") if "article_level" in row else ""
            print(f"  {row['method']:<48} kept {row['kept']:>5}/{row['articles']:<5} coverage {row['coverage']:.3f}"
                  f"  exactly one {row['exactly_one']:.3f}  redundancy {row['redundancy']:.3f}{extra}")
    figures: dict[str, Any] = {"n_origins": n, "quick": args.quick, "levels": levels}
    if (folder / DEV_FILE).is_file():
        figures["fnc1_dev"] = fnc1_dev(folder, encoder, cache)
        for row in figures["fnc1_dev"]["results"]:
            print(f"  FNC-1 dev {row['method']:<70} kept {row['kept']}/{row['articles']} "
                  f"coverage {row['coverage']:.3f} redundancy {row['redundancy']:.3f}")
    figures["scale"] = scale(articles, n, args.scale or (20_000 if args.quick else 100_000), encoder, cache)
    print(f"  scale: {json.dumps(figures['scale'])}")
    path = write_result("dedup_quick" if args.quick else "dedup", figures)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
