"""Fit the shipped stance head ("does this article call the statement false?") on the FNC-1 TRAIN files.

    python benchmarks/train_stance.py [--data ../shared/data] [--cache /tmp/stance_cache] [--no-write]
    python benchmarks/train_stance.py --from-results benchmarks/results/stance_train.json   # refit only
    python benchmarks/train_stance.py --data ../shared/data --cross-encoder   # then the cross-encoder + stacker

``--cross-encoder`` then runs ``benchmarks/train_stance_ce.py`` (its protocol is there): it fine-tunes a MiniLM
stance cross-encoder on 80 % of the train stories and keeps it only if it, or its stack with this head, beats this
head on the other 20 % (about 25 min per epoch on the shared 2-core machine). So far it does not: see
benchmarks/README.md, "Stance cross-encoder".

Protocol: designs, C and the threshold are chosen by story-grouped 5-fold cross-validation inside
``fnc1_train_stance.jsonl`` only; the chosen design is refitted on all train pairs and written to
``cluster/contradictions/models/nli-minilm-int8/stance_head_lexicon.json`` (the head `eval pairs` and
`contradict` use). The dev files are read only at the end, to report the finished head's figures at its
shipped threshold — nothing is chosen on them.

Classes: positive = ``disagree``; ``agree`` and ``discuss`` are negative (a discussing article does not call
the statement false). The dev pairs are agree/disagree only, so the CV figure comparable with dev is the one
on the held-out agree/disagree pairs (``cv_agree_disagree``); the threshold is chosen on that same set. The
CV figure with discuss pairs scored too is reported beside it.

Features (no model; the NLI model is left out because it was fine-tuned on FNC-1 dev pairs, see
``train_info.json``): the named lexicon and detail features of :func:`cluster.contradictions.stance_features`
computed as the CLI computes them (no story context) and, for the "terms" designs, the word features of
:func:`cluster.contradictions.stance_terms` (words and word pairs of the focus sentences, signed by the
statement's polarity; words of the statement), kept when they occur in articles of at least ``--min-stories``
train stories. Logistic regression (scikit-learn), class-weighted.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, load_jsonl, write_result  # noqa: E402
from cluster.contradictions import (  # noqa: E402
    FEATURES_DETAIL,
    FEATURES_LEXICON,
    StanceHead,
    stance_features,
    stance_terms,
)
from cluster.metrics import binary_scores  # noqa: E402

NEEDED = ("fnc1_train_stance.jsonl", "fnc1_train_stories.jsonl")
HEAD_PATH = REPO_ROOT / "cluster" / "contradictions" / "models" / "nli-minilm-int8" / "stance_head_lexicon.json"
SHIPPED_V1 = ("polarity_xor", "ontopic_xor", "hedge_xor", "head_sign")
DENSE_ALL = tuple(f for f in FEATURES_LEXICON + FEATURES_DETAIL if f != "body_refute_z")  # z = affine of body_refute
DESIGNS: dict[str, dict] = {
    "v1_features": {"dense": SHIPPED_V1, "terms": False, "discuss": True},
    "lexicon_all": {"dense": DENSE_ALL, "terms": False, "discuss": True},
    "v1_features+terms": {"dense": SHIPPED_V1, "terms": True, "discuss": True},
    "lexicon_all+terms": {"dense": DENSE_ALL, "terms": True, "discuss": True},
    # the same fitted on agree/disagree pairs only (discuss left out of the fit, still scored in CV)
    "lexicon_all (no discuss in fit)": {"dense": DENSE_ALL, "terms": False, "discuss": False},
    "v1_features+terms (no discuss in fit)": {"dense": SHIPPED_V1, "terms": True, "discuss": False},
    "lexicon_all+terms (no discuss in fit)": {"dense": DENSE_ALL, "terms": True, "discuss": False},
}
CS = (0.03, 0.1, 0.3)  # C = 1 never won in a first full run (train CV only)


def featurise(data: Path, stance_file: str, stories_file: str, cache: Path) -> list[dict]:
    """Rows (features, terms, label, story) of a stance file, cached by file name."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{stance_file}.pkl"
    if target.is_file():
        return pickle.loads(target.read_bytes())
    stories = {r["id"]: r for r in load_jsonl(data / stories_file)}
    rows = []
    start = time.perf_counter()
    for r in load_jsonl(data / stance_file):
        article = stories[r["article_id"]]
        features, evidence = stance_features(r["headline"], article["text"])
        terms = stance_terms(r["headline"], [e.sentence for e in evidence], features["head_sign"])
        rows.append(
            {
                "f": features,
                "t": terms,
                "stance": r["stance"],
                "story": article["story_id"],
                "headline": r["headline"],
                "article_id": r["article_id"],
            }
        )
    print(f"featurised {len(rows)} pairs of {stance_file} in {time.perf_counter() - start:.0f} s")
    target.write_bytes(pickle.dumps(rows))
    return rows


def vocabulary(rows: list[dict], min_stories: int) -> list[str]:
    """Terms seen in pairs of at least ``min_stories`` distinct stories (topic words of one claim drop out)."""
    seen: dict[str, set[str]] = {}
    for r in rows:
        for t in r["t"]:
            seen.setdefault(t, set()).add(r["story"])
    return sorted(t for t, s in seen.items() if len(s) >= min_stories)


def matrix(rows: list[dict], dense: tuple[str, ...], vocab: list[str] | None, mean=None, scale=None):  # type: ignore[no-untyped-def]
    from scipy import sparse

    x = np.array([[r["f"][n] for n in dense] for r in rows], dtype=np.float64)
    if mean is None:
        mean, scale = x.mean(0), x.std(0)
        scale[scale == 0] = 1.0
    x = (x - mean) / scale
    if not vocab:
        return sparse.csr_matrix(x), mean, scale
    index = {t: i for i, t in enumerate(vocab)}
    data, ind, ptr = [], [], [0]
    for r in rows:
        for t, v in r["t"].items():
            if t in index:
                ind.append(index[t])
                data.append(v)
        ptr.append(len(ind))
    terms = sparse.csr_matrix((data, ind, ptr), shape=(len(rows), len(vocab)))
    return sparse.hstack([sparse.csr_matrix(x), terms]).tocsr(), mean, scale


def fit(rows: list[dict], design: dict, c: float, min_stories: int):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    if not design["discuss"]:
        rows = [r for r in rows if r["stance"] != "discuss"]
    vocab = vocabulary(rows, min_stories) if design["terms"] else None
    x, mean, scale = matrix(rows, design["dense"], vocab)
    y = np.array([r["stance"] == "disagree" for r in rows], dtype=int)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, solver="liblinear")
    model.fit(x, y)
    return model, vocab, mean, scale


def best_threshold(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """The threshold (grid of 0.01) with the best macro F1, and that F1."""
    best = (0.5, -1.0)
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):  # rounded first: the threshold returned is the one scored
        f1 = binary_scores(labels, (scores >= t).astype(np.int8))["macro_f1"]
        if f1 > best[1] + 1e-12:
            best = (round(float(t), 2), float(f1))
    return best


def figures(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    s = binary_scores(labels, (scores >= threshold).astype(np.int8))
    return {
        "macro_f1": round(s["macro_f1"], 4),
        "disagree_f1": round(s["f1"], 4),
        "precision": round(s["precision"], 4),
        "recall": round(s["recall"], 4),
        "n": len(labels),
    }


def cross_validate(rows: list[dict], folds: int, min_stories: int) -> dict:
    from sklearn.model_selection import GroupKFold

    groups = np.array([r["story"] for r in rows])
    y = np.array([r["stance"] == "disagree" for r in rows], dtype=int)
    ad = np.array([r["stance"] != "discuss" for r in rows])
    results = {}
    for name, design in DESIGNS.items():
        for c in CS:
            oof = np.zeros(len(rows))
            for tr, te in GroupKFold(n_splits=folds).split(rows, y, groups):
                train_rows = [rows[i] for i in tr]
                model, vocab, mean, scale = fit(train_rows, design, c, min_stories)
                x, _, _ = matrix([rows[i] for i in te], design["dense"], vocab, mean, scale)
                oof[te] = model.predict_proba(x)[:, 1]
            threshold, _ = best_threshold(y[ad], oof[ad])
            key = f"{name} C={c}"
            results[key] = {
                "design": name,
                "C": c,
                "threshold": threshold,
                "cv_agree_disagree": figures(y[ad], oof[ad], threshold),
                "cv_with_discuss": figures(y, oof, threshold),
            }
            print(key, results[key]["threshold"], results[key]["cv_agree_disagree"], flush=True)
    return results


def to_head(model, vocab, mean, scale, design: dict, threshold: float) -> StanceHead:  # type: ignore[no-untyped-def]
    n = len(design["dense"])
    w = model.coef_[0]
    terms = {t: round(float(v), 5) for t, v in zip(vocab or [], w[n:], strict=True) if abs(v) >= 1e-4}
    return StanceHead(
        features=tuple(design["dense"]),
        weights=tuple(float(v) for v in w[:n]),
        bias=float(model.intercept_[0]),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        threshold=threshold,
        terms=terms,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/stance_cache"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-stories", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not overwrite the shipped head")
    parser.add_argument("--from-results", type=Path, help="a results/stance_train.json whose CV choice to refit")
    parser.add_argument("--cross-encoder", action="store_true", help="then train the cross-encoder and the stacker")
    args = parser.parse_args()
    folder = data_dir(args.data, list(NEEDED))
    if folder is None:
        return 0
    rows = featurise(folder, "fnc1_train_stance.jsonl", "fnc1_train_stories.jsonl", args.cache)
    if args.from_results is not None:  # refit the design a finished CV run chose, without running CV again
        cv = json.loads(args.from_results.read_text(encoding="utf-8"))["figures"]["designs"]
    else:
        cv = cross_validate(rows, args.folds, args.min_stories)
    chosen = max(cv, key=lambda k: (cv[k]["cv_agree_disagree"]["macro_f1"], -cv[k]["C"]))
    design = DESIGNS[cv[chosen]["design"]]
    model, vocab, mean, scale = fit(rows, design, cv[chosen]["C"], args.min_stories)
    head = to_head(model, vocab, mean, scale, design, cv[chosen]["threshold"])
    print(f"chosen by train CV: {chosen} threshold {head.threshold} ({len(head.terms)} term weights)")
    if not args.no_write:
        head.to_json(HEAD_PATH)
        print(f"wrote {HEAD_PATH}")
    write_result(
        "stance_train",
        {
            "chosen": chosen,
            "designs": cv,
            "n_train": len(rows),
            "min_stories": args.min_stories,
            "folds": args.folds,
            "n_terms": len(head.terms),
            "threshold": head.threshold,
        },
    )
    if args.cross_encoder:
        from benchmarks import train_stance_ce

        ce_args = ["--lexicon-cache", str(args.cache)] + (["--data", str(args.data)] if args.data else [])
        return train_stance_ce.main(ce_args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
