"""Copy detection, origin and passage clusters on generated syndication (known truth): ours vs MinHash LSH.

    python benchmarks/bench_syndication.py [--data ../shared/data] [--quick] [--no-baselines] [--no-sweep]

For each noise level (clean, light, medium, heavy; one seed, so the four corpora share one structure)
`benchmarks/syndicate.py` builds copies of ~200 real FNC-1 articles with paragraph-level truth. The corpus
goes through a temporary JSONL file, `read_corpus` and `cluster.pipeline.run` at default Settings.

Figures, per level:
- copies: precision/recall/F1 over article pairs, predicted = pairs of ``Result.copies``, truth =
  ``syndicate.copy_pairs`` (at least half of the shorter article's paragraphs found in the other);
- origin accuracy: share of the true copies whose ``documents.copy_of`` is their true origin;
- passage ARI (and the other ``cluster_scores``) over every paragraph with a truth key (added boilerplate
  left out); a truth paragraph cut into sentence windows by our splitter gets one key per window.

Baselines (the standard tool for near-duplicate text: datasketch MinHash LSH, char 5-shingles, 128 perms):
- paragraph level, t in 0.5/0.7/0.8: LSH candidates verified by estimated Jaccard >= t, union-find into
  paragraph clusters; passage ARI on the same paragraphs; copies by *our* rule (``shared_passages`` +
  ``find_copies`` at the same min_share) on our paragraphs with the MinHash cluster as passage_id — the
  baseline is given our boilerplate flags, so only the passage grouping differs;
- document level, t in 0.3/0.5/0.7: LSH candidate article pairs verified by estimated Jaccard >= t are the
  copy decisions (no transitive closure); the origin is the earlier article, as in ours.

Diagnostics (full run): the cosine of every true same-passage paragraph pair (lead vs body paragraphs)
against ``passage_threshold``, the missed and false copy pairs with their shares, and a sweep of
``passage_threshold`` over the same vectors (analyse() only, no re-embedding).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, encoder_cache, load_jsonl, write_result  # noqa: E402
from benchmarks.syndicate import ARTICLES_FILE, copy_pairs, generate  # noqa: E402
from cluster import copies as copies_mod  # noqa: E402
from cluster.cache import EmbeddingCache  # noqa: E402
from cluster.embed import load_encoder  # noqa: E402
from cluster.ingest import read_corpus  # noqa: E402
from cluster.metrics import cluster_scores  # noqa: E402
from cluster.paragraphs import split_text  # noqa: E402
from cluster.pipeline import Result, Settings, analyse, prepare, run  # noqa: E402

LEVELS = ("clean", "light", "medium", "heavy")
PARA_THRESHOLDS = (0.5, 0.7, 0.8)
DOC_THRESHOLDS = (0.3, 0.5, 0.7)
SWEEP = (0.80, 0.84, 0.86, 0.88, 0.90, 0.92)
COSINE_BINS = (0.0, 0.80, 0.84, 0.86, 0.88, 0.90, 0.95, 1.0001)
REQUIRED = {"level": "medium", "copy_f1": 0.95, "passage_ari": 0.90}
NUM_PERM = 128
SEED = 1


# ---------------------------------------------------------------- truth


def gold_keys(result: Result, corpus: list[dict[str, Any]], truth: dict[str, Any], max_chars: int) -> list[str | None]:
    """The truth key of each of our paragraphs (in ``result.paragraphs`` order), None for added boilerplate."""
    text_of = {record["id"]: record["text"] for record in corpus}
    per_doc: dict[str, list[str | None]] = {}
    for aid, info in truth["articles"].items():
        keys: list[str | None] = []
        for para, key in zip(text_of[aid].split("\n\n"), info["paragraphs"], strict=True):
            windows = split_text(para, max_chars)
            keys.extend(None if key is None else f"{key}#w{w}" for w in range(len(windows)))
        per_doc[aid] = keys
    paragraphs = result.paragraphs.sort("para_id")
    counts = paragraphs.group_by("id").agg(pl.len().alias("n"))
    for aid, n in counts.iter_rows():
        if n != len(per_doc[aid]):
            raise RuntimeError(f"{aid}: {n} paragraphs in ours but {len(per_doc[aid])} from the truth")
    return [per_doc[aid][pos] for aid, pos in paragraphs.select("id", "position").iter_rows()]


def prf(predicted: set[tuple[str, str]], true: set[tuple[str, str]]) -> dict[str, float | int]:
    tp = len(predicted & true)
    precision = tp / len(predicted) if predicted else (1.0 if not true else 0.0)
    recall = tp / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp,
            "fp": len(predicted - true), "fn": len(true - predicted)}


def origin_accuracy(copy_of: dict[str, str | None], truth: dict[str, Any]) -> dict[str, float | int]:
    copied = {aid: info["origin_id"] for aid, info in truth["articles"].items() if info["role"] == "copy"}
    right = sum(copy_of.get(aid) == origin for aid, origin in copied.items())
    wrong_origin = sum(copy_of.get(aid) is not None and copy_of.get(aid) != origin for aid, origin in copied.items())
    falsely = sum(copy_of.get(aid) is not None for aid, info in truth["articles"].items() if info["role"] != "copy")
    return {"origin_accuracy": right / len(copied) if copied else 1.0, "n_copies": len(copied),
            "copy_of_wrong_article": wrong_origin, "copy_of_missing": len(copied) - right - wrong_origin,
            "copy_of_on_non_copies": falsely}


def copy_of_map(copies: pl.DataFrame, documents: pl.DataFrame) -> dict[str, str | None]:
    frame = copies_mod.copy_of(copies, documents).join(documents.select("doc_id", "id"), on="doc_id")
    return dict(frame.select("id", "copy_of").iter_rows())


def pairs_of(copies: pl.DataFrame) -> set[tuple[str, str]]:
    return set(copies.select("id_a", "id_b").iter_rows())


def scores_of(gold: list[str | None], labels: np.ndarray) -> dict[str, Any]:
    keep = np.array([g is not None for g in gold])
    gold_kept = np.array([g for g in gold if g is not None], dtype=object)
    scores = cluster_scores(gold_kept.astype(str), np.asarray(labels)[keep])
    return {f"passage_{k}": v for k, v in scores.items() if k in ("ari", "ami", "pair_precision", "pair_recall",
                                                                      "pair_f1", "n_pred", "n_gold")}


# ---------------------------------------------------------------- ours


def evaluate_ours(result: Result, documents: pl.DataFrame, gold: list[str | None], truth_pairs: set,
                  truth: dict[str, Any]) -> dict[str, Any]:
    predicted = pairs_of(result.copies)
    copy_of = dict(result.documents.select("id", "copy_of").iter_rows())
    labels = result.paragraphs.sort("para_id")["passage_id"].to_numpy()
    return {"copies": prf(predicted, truth_pairs), **origin_accuracy(copy_of, truth), **scores_of(gold, labels)}


# ---------------------------------------------------------------- baselines


def _minhashes(texts: list[str]) -> list:
    from datasketch import MinHash

    from benchmarks.baselines import shingles

    sets = [sorted(shingles(t, 5, "char")) for t in texts]
    return MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED)


def paragraph_minhash(result: Result, documents: pl.DataFrame, gold: list[str | None], truth_pairs: set,
                      truth: dict[str, Any], threshold: float, settings: Settings) -> dict[str, Any]:
    from benchmarks.baselines import minhash_lsh_clusters

    paragraphs = result.paragraphs.sort("para_id")
    start = time.perf_counter()
    labels = minhash_lsh_clusters(paragraphs["text"].to_list(), threshold=threshold, num_perm=NUM_PERM,
                                  shingle=5, unit="char", seed=SEED)
    framed = paragraphs.with_columns(pl.Series("passage_id", labels, dtype=pl.Int64))
    shared = copies_mod.shared_passages(framed, settings.max_passage_docs)
    copies = copies_mod.find_copies(shared, documents, settings.min_share)
    seconds = time.perf_counter() - start
    return {"method": f"minhash_lsh paragraphs (char 5, t={threshold}) + our copy rule",
            "copies": prf(pairs_of(copies), truth_pairs),
            **origin_accuracy(copy_of_map(copies, documents), truth), **scores_of(gold, labels),
            "seconds": round(seconds, 2)}


def document_minhash(documents: pl.DataFrame, truth_pairs: set, truth: dict[str, Any]) -> list[dict[str, Any]]:
    from datasketch import MinHashLSH

    ids = documents["id"].to_list()
    start = time.perf_counter()
    hashes = _minhashes(documents["text"].to_list())
    hash_seconds = time.perf_counter() - start
    rank = dict(copies_mod.document_rank(documents).join(documents.select("doc_id", "id"), on="doc_id")
                .select("id", "rank").iter_rows())
    rows = []
    for threshold in DOC_THRESHOLDS:
        start = time.perf_counter()
        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        for i, mh in enumerate(hashes):
            lsh.insert(i, mh)
        found: set[tuple[str, str]] = set()
        for i, mh in enumerate(hashes):
            for j in lsh.query(mh):
                if j > i and mh.jaccard(hashes[j]) >= threshold:
                    found.add((min(ids[i], ids[j]), max(ids[i], ids[j])))
        copies = pl.DataFrame(
            [(a, b, a if rank[a] < rank[b] else b) for a, b in sorted(found)],
            schema={"id_a": pl.String, "id_b": pl.String, "origin": pl.String}, orient="row",
        )
        rows.append({"method": f"minhash_lsh documents (char 5, Jaccard>={threshold})",
                     "copies": prf(found, truth_pairs), **origin_accuracy(copy_of_map(copies, documents), truth),
                     "seconds": round(hash_seconds + time.perf_counter() - start, 2)})
    return rows


# ---------------------------------------------------------------- diagnostics


def cosine_of_true_pairs(result: Result, gold: list[str | None], threshold: float) -> dict[str, Any]:
    """Cosine of every pair of paragraphs (in different articles) that the truth puts in one passage."""
    paragraphs = result.paragraphs.sort("para_id")
    text_id = paragraphs["text_id"].to_list()
    doc = paragraphs["doc_id"].to_list()
    passage = paragraphs["passage_id"].to_list()
    groups: dict[str, list[int]] = defaultdict(list)
    for row, key in enumerate(gold):
        if key is not None:
            groups[key].append(row)
    n_chars = paragraphs["n_chars"].to_list()
    windowed = {key.rsplit("#", 1)[0] for key in groups if not key.endswith("#w0")}
    vectors = result.vectors
    out: dict[str, list[float]] = {"lead": [], "body": []}
    causes: Counter[str] = Counter()
    boiler = 0
    split_above = 0
    for key, rows in groups.items():
        kind = "lead" if key.rsplit("#", 2)[1] == "0" else "body"
        for a, b in combinations(rows, 2):
            if doc[a] == doc[b]:
                continue
            if text_id[a] is None or text_id[b] is None:
                boiler += 1
                continue
            cosine = 1.0 if text_id[a] == text_id[b] else float(vectors[text_id[a]] @ vectors[text_id[b]])
            out[kind].append(cosine)
            if cosine < threshold:  # a likely cause, first that applies
                ratio = min(n_chars[a], n_chars[b]) / max(n_chars[a], n_chars[b])
                if key.rsplit("#", 1)[0] in windowed:
                    causes["paragraph cut into sentence windows"] += 1
                elif ratio < 0.9:
                    causes["length differs >10% (truncated/shortened)"] += 1
                elif kind == "lead":
                    causes["lead (paraphrased), same length"] += 1
                else:
                    causes["body, same length (typos/OCR)"] += 1
            if cosine >= threshold and passage[a] != passage[b]:
                split_above += 1
    report: dict[str, Any] = {"threshold": threshold, "pairs_with_a_boilerplate_flagged_side": boiler,
                              "pairs_above_threshold_but_split_by_star": split_above,
                              "below_threshold_by_likely_cause": dict(causes.most_common())}
    for kind, values in (*out.items(), ("all", out["lead"] + out["body"])):
        arr = np.array(values, dtype=np.float64)
        if arr.size == 0:
            continue
        hist, _ = np.histogram(np.minimum(arr, 1.0), bins=COSINE_BINS)
        report[kind] = {
            "n": int(arr.size),
            "below_threshold": float(np.mean(arr < threshold)),
            "quantiles": {q: round(float(np.quantile(arr, q)), 4) for q in (0.01, 0.05, 0.1, 0.25, 0.5)},
            "histogram": {f"[{lo:.2f},{min(hi, 1.0):.2f})": int(c)
                          for lo, hi, c in zip(COSINE_BINS[:-1], COSINE_BINS[1:], hist, strict=True)},
        }
    return report


def error_pairs(result: Result, truth_pairs: set, truth: dict[str, Any], limit: int = 8) -> dict[str, Any]:
    """Missed and false copy pairs by the roles of their two articles, with our shares for a few."""
    predicted = pairs_of(result.copies)
    role = {aid: info["role"] for aid, info in truth["articles"].items()}
    shared = copies_mod.shared_passages(result.paragraphs, Settings().max_passage_docs)
    by_id = dict(result.documents.select("doc_id", "id").iter_rows())
    share: dict[tuple[str, str], tuple] = {}
    for row in shared.iter_rows(named=True):
        a, b = by_id[row["doc_a"]], by_id[row["doc_b"]]
        share[(min(a, b), max(a, b))] = (row["shared_a"], row["n_a"], row["shared_b"], row["n_b"]) if a < b else (
            row["shared_b"], row["n_b"], row["shared_a"], row["n_a"])
    n_content = dict(result.paragraphs.filter(~pl.col("is_boilerplate")).group_by("id").agg(pl.len()).iter_rows())

    def describe(pair: tuple[str, str]) -> dict[str, Any]:
        a, b = pair
        got = share.get(pair)
        return {"pair": list(pair), "roles": [role[a], role[b]],
                "ours_shared_of_content": (f"{got[0]}/{got[1]} vs {got[2]}/{got[3]}" if got
                                           else f"0/{n_content.get(a, 0)} vs 0/{n_content.get(b, 0)}")}

    missed = sorted(truth_pairs - predicted)
    false = sorted(predicted - truth_pairs)
    return {
        "missed_by_roles": dict(Counter("-".join(sorted((role[a], role[b]))) for a, b in missed)),
        "false_by_roles": dict(Counter("-".join(sorted((role[a], role[b]))) for a, b in false)),
        "missed_examples": [describe(p) for p in missed[:limit]],
        "false_examples": [describe(p) for p in false[:limit]],
    }


def boilerplate_check(result: Result, gold: list[str | None]) -> dict[str, int]:
    """Flags vs truth: content paragraphs we flag as boilerplate, added boilerplate we treat as content."""
    flags = result.paragraphs.sort("para_id")["is_boilerplate"].to_list()
    return {
        "content_flagged_boilerplate": sum(f and g is not None for f, g in zip(flags, gold, strict=True)),
        "added_boilerplate_not_flagged": sum((not f) and g is None for f, g in zip(flags, gold, strict=True)),
        "added_boilerplate": sum(g is None for g in gold),
    }


def sweep(documents: pl.DataFrame, result: Result, gold: list[str | None], truth_pairs: set,
          truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Ours at other passage thresholds, on the same paragraphs and vectors."""
    paragraphs = prepare(documents, Settings())
    rows = []
    for threshold in SWEEP:
        settings = Settings(passage_threshold=threshold, paraphrase_threshold=min(0.84, threshold),
                            pair_threshold=min(0.75, threshold))
        other = analyse(documents, paragraphs, result.vectors, settings)
        scores = evaluate_ours(other, documents, gold, truth_pairs, truth)
        rows.append({"passage_threshold": threshold, "copy_f1": scores["copies"]["f1"],
                     "copy_precision": scores["copies"]["precision"], "copy_recall": scores["copies"]["recall"],
                     "origin_accuracy": scores["origin_accuracy"], "passage_ari": scores["passage_ari"]})
    return rows


# ---------------------------------------------------------------- main


def run_level(level: str, articles: list[dict[str, Any]], n_origins: int, seed: int, encoder,
              cache: EmbeddingCache, baselines: bool, diagnose: bool) -> dict[str, Any]:
    corpus, truth = generate(articles, n_origins, level, seed)
    truth_pairs = {tuple(p) for p in copy_pairs(truth)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"syndication-{level}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for record in corpus:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        documents = read_corpus([path]).documents
    settings = Settings()
    start = time.perf_counter()
    result = run(documents, encoder, settings, cache)
    seconds = time.perf_counter() - start
    cache.save()
    gold = gold_keys(result, corpus, truth, settings.max_paragraph_chars)
    roles = Counter(info["role"] for info in truth["articles"].values())
    rows = [{"method": "newsdedup (default settings)",
             **evaluate_ours(result, documents, gold, truth_pairs, truth),
             "seconds": round(seconds, 2), "embedded": result.stats.get("embedded")}]
    if baselines:
        rows += [paragraph_minhash(result, documents, gold, truth_pairs, truth, t, settings) for t in PARA_THRESHOLDS]
        rows += document_minhash(documents, truth_pairs, truth)
    out: dict[str, Any] = {
        "noise": level, "articles": len(corpus), "roles": dict(roles), "copy_pairs": len(truth_pairs),
        "paragraphs": result.paragraphs.height, "truth_keyed_paragraphs": sum(g is not None for g in gold),
        "results": rows,
        "boilerplate": boilerplate_check(result, gold),
    }
    if diagnose:
        out["errors"] = error_pairs(result, truth_pairs, truth)
        out["true_pair_cosines"] = cosine_of_true_pairs(result, gold, settings.passage_threshold)
        out["passage_threshold_sweep"] = sweep(documents, result, gold, truth_pairs, truth)
    return out


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else ("  -  " if value is None else str(value))


def print_level(level: dict[str, Any]) -> None:
    print(f"\n== {level['noise']}: {level['articles']} articles {level['roles']}, {level['copy_pairs']} copy pairs, "
          f"{level['truth_keyed_paragraphs']}/{level['paragraphs']} truth-keyed paragraphs")
    print(f"{'method':<62} {'copyP':>6} {'copyR':>6} {'copyF1':>6} {'origin':>6} {'pARI':>6}")
    for row in level["results"]:
        c = row["copies"]
        print(f"{row['method']:<62} {_fmt(c['precision']):>6} {_fmt(c['recall']):>6} {_fmt(c['f1']):>6} "
              f"{_fmt(row['origin_accuracy']):>6} {_fmt(row.get('passage_ari')):>6}")
    print(f"boilerplate: {level['boilerplate']}")
    if "errors" in level:
        print(f"ours missed {level['errors']['missed_by_roles']}, false {level['errors']['false_by_roles']}")
        cos = level["true_pair_cosines"]
        for kind in ("lead", "body", "all"):
            if kind in cos:
                print(f"true-pair cosine {kind:<4}: n={cos[kind]['n']} below {cos['threshold']}: "
                      f"{cos[kind]['below_threshold']:.3f} quantiles {cos[kind]['quantiles']}")
        print(f"  pairs split though >= threshold (star): {cos['pairs_above_threshold_but_split_by_star']}, "
              f"with a boilerplate-flagged side: {cos['pairs_with_a_boilerplate_flagged_side']}")
        print(f"  below threshold by likely cause: {cos['below_threshold_by_likely_cause']}")
        for row in level["passage_threshold_sweep"]:
            print(f"  passage_threshold {row['passage_threshold']:.2f}: copy F1 {row['copy_f1']:.3f} "
                  f"(P {row['copy_precision']:.3f} R {row['copy_recall']:.3f}) origin {row['origin_accuracy']:.3f} "
                  f"ARI {row['passage_ari']:.3f}")


def summary(levels: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for level in levels:
        ours, *others = level["results"]
        best = max(others, key=lambda r: r["copies"]["f1"], default=None)
        best_ari = max((r for r in others if "passage_ari" in r), key=lambda r: r["passage_ari"], default=None)
        out[level["noise"]] = {
            "ours_copy_f1": ours["copies"]["f1"], "ours_origin_accuracy": ours["origin_accuracy"],
            "ours_passage_ari": ours["passage_ari"],
            "best_baseline_copy_f1": best and best["copies"]["f1"], "best_baseline_copy": best and best["method"],
            "best_baseline_passage_ari": best_ari and best_ari["passage_ari"],
            "best_baseline_ari_method": best_ari and best_ari["method"],
        }
    med = out.get(REQUIRED["level"])
    if med:
        out["requirement"] = {**REQUIRED, "met": med["ours_copy_f1"] >= REQUIRED["copy_f1"]
                              and med["ours_passage_ari"] >= REQUIRED["passage_ari"]}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder holding " + ARTICLES_FILE)
    parser.add_argument("--quick", action="store_true", help="50 origins, no diagnostics (for make bench)")
    parser.add_argument("--n", type=int, default=None, help="origin articles (default 200, 50 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default=None, help="embedding backend: onnx (int8) or torch (fp32)")
    parser.add_argument("--levels", default=",".join(LEVELS))
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--no-diagnostics", action="store_true")
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "benchmarks" / ".cache")
    args = parser.parse_args()
    folder = data_dir(args.data, [ARTICLES_FILE])
    if folder is None:
        return 0
    n_origins = args.n or (50 if args.quick else 200)
    levels = [x for x in args.levels.split(",") if x]
    unknown = [x for x in levels if x not in LEVELS]
    if unknown:
        parser.error(f"unknown level(s) {unknown}; choose from {LEVELS}")
    articles = load_jsonl(folder / ARTICLES_FILE)
    encoder = load_encoder(backend=args.backend)
    cache = encoder_cache(args.cache, "shards", encoder, "embeddings")
    results = []
    for level in levels:
        results.append(run_level(level, articles, n_origins, args.seed, encoder, cache,
                                 not args.no_baselines, not (args.quick or args.no_diagnostics)))
        print_level(results[-1])
    figures = {"data": ARTICLES_FILE, "n_origins": n_origins, "seed": args.seed, "quick": args.quick,
               "model": encoder.name, "settings": Settings().as_dict(), "summary": summary(results),
               "levels": results}
    name = "syndication_quick" if args.quick else "syndication"
    path = write_result(name, figures)
    print(f"\nsummary: {json.dumps(figures['summary'], indent=1)}\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
