"""Contradiction figures on held-apart data: SICK contradiction F1 and FNC-1 stance (agree/disagree).

* SICK: the 20% test part of the seeded-hash split of ``train_nli.sick_is_test`` (never trained on).
  Contradiction F1 of the NLI model (argmax of the 3 labels), and of the detail layer alone.
* FNC-1 stance: the story split of ``train_nli.stance_split``; the test half's stories are never seen
  in training, tuning or threshold choice. Per feature set (lexicon, detail layer, NLI, all) a
  logistic regression is fitted on the train half, its threshold chosen by story-grouped
  cross-validation on the train half, then scored once on the test half (macro F1, disagree F1, AUC).
  The swapped fold (train on the test half, test on the train half) is reported for the model-free
  layers only, since the NLI model has seen the train-half stories.

Writes benchmarks/results/contradictions.json, fills the scores section of the model card and saves
the fitted stance head (all features) as ``stance_head.json`` beside the model.

Run: ``python benchmarks/bench_contradictions.py [--data ../shared/data] [--model models/nli-minilm-int8]``.
Skips with a message (exit 0) when the data is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from train_nli import nli_head_split, read_jsonl, sick_is_test, stance_split  # noqa: E402

from cluster.contradictions import detail_conflicts, load_nli  # noqa: E402
from cluster.errors import ModelNotFoundError  # noqa: E402
from cluster.stance import (  # noqa: E402
    FEATURES_ALL,
    LAYERS,
    StanceHead,
    stance_features,
    story_refute_stats,
)

logger = logging.getLogger("bench_contradictions")
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_MODEL = ROOT / "models" / "nli-minilm-int8"
RESULTS = ROOT / "benchmarks" / "results" / "contradictions.json"
NEEDED = ("sick_nli.jsonl", "fnc1_stories_dev.jsonl", "fnc1_stance_dev.jsonl")


def f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float(np.sum(y & pred))
    fp = float(np.sum(~y & pred))
    fn = float(np.sum(y & ~pred))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def binary_scores(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    y = y.astype(bool)
    pred = p >= threshold
    dis, agr = f1(y, pred), f1(~y, ~pred)
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")
    return {
        "macro_f1": round((dis + agr) / 2, 4),
        "disagree_f1": round(dis, 4),
        "agree_f1": round(agr, 4),
        "auc": round(auc, 4),
        "threshold": round(threshold, 4),
        "n": int(len(y)),
        "n_disagree": int(y.sum()),
    }


# ---------------------------------------------------------------------------------------------
# SICK
# ---------------------------------------------------------------------------------------------


def bench_sick(data: Path, nli: object | None) -> dict:
    rows = [r for r in read_jsonl(data / "sick_nli.jsonl") if sick_is_test(r["premise"], r["hypothesis"])]
    y = np.array([r["label"] == "contradiction" for r in rows])
    detail = np.array([bool(detail_conflicts(r["premise"], r["hypothesis"])) for r in rows])
    out: dict = {
        "n_test": len(rows),
        "n_contradiction": int(y.sum()),
        "detail_layer": {"contradiction_f1": round(f1(y, detail), 4)},
    }
    if nli is None:
        return out
    pairs = [(r["premise"], r["hypothesis"]) for r in rows]
    start = time.perf_counter()
    probs = nli.probabilities(pairs)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - start
    labels = [nli.id2label[i].lower() for i in range(probs.shape[1])]  # type: ignore[attr-defined]
    pred = np.array([labels[i] for i in probs.argmax(axis=1)])
    gold = np.array([r["label"] for r in rows])
    per = {name: round(f1(gold == name, pred == name), 4) for name in labels}
    out["nli"] = {
        "contradiction_f1": per["contradiction"],
        "per_label_f1": per,
        "accuracy": round(float(np.mean(pred == gold)), 4),
        "pairs_per_second_one_direction": round(len(pairs) / seconds, 1),
    }
    return out


# ---------------------------------------------------------------------------------------------
# Stance
# ---------------------------------------------------------------------------------------------


def _model_key(model: Path) -> str:
    onnx = model / "model.onnx"
    if not onnx.is_file():
        return "none"
    return hashlib.sha1(onnx.read_bytes()).hexdigest()[:10]


def stance_table(data: Path, nli: object | None, cache: Path, key: str) -> list[dict]:
    """One row per stance pair: story, label and features (cached per model)."""
    path = cache / f"stance_features_v2_{key}.jsonl"
    if path.is_file():
        return read_jsonl(path)
    stories = {r["id"]: r for r in read_jsonl(data / "fnc1_stories_dev.jsonl")}
    texts_of: dict[str, list[str]] = {}
    for r in stories.values():
        texts_of.setdefault(r["story_id"], []).append(r["text"])
    stats = {story: story_refute_stats(texts) for story, texts in texts_of.items()}
    rows = []
    start = time.perf_counter()
    stances = read_jsonl(data / "fnc1_stance_dev.jsonl")
    for k, r in enumerate(stances):
        article = stories[r["article_id"]]
        features, _ = stance_features(
            r["headline"],
            article["text"],
            nli,
            story_stats=stats[article["story_id"]],  # type: ignore[arg-type]
        )
        rows.append({"story": article["story_id"], "disagree": r["stance"] == "disagree", **features})
        if k % 200 == 0:
            logger.info("stance features %d/%d (%.0fs)", k, len(stances), time.perf_counter() - start)
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    return rows


def _fit(x: np.ndarray, y: np.ndarray):  # noqa: ANN202 - sklearn pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", C=0.5, max_iter=1000)).fit(x, y)


def _tuned_threshold(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """The macro-F1-best threshold on story-grouped out-of-fold predictions of the train half."""
    from sklearn.model_selection import GroupKFold

    oof = np.zeros(len(y))
    folds = min(5, len(set(groups)))
    for tr, te in GroupKFold(n_splits=folds).split(x, y, groups):
        if len(set(y[tr])) < 2:
            oof[te] = 0.5
            continue
        oof[te] = _fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    grid = np.linspace(0.2, 0.8, 61)
    best = max(grid, key=lambda t: binary_scores(y, oof, t)["macro_f1"])
    return float(best)


def evaluate_layers(rows: list[dict], train: set[str], test: set[str], names: dict[str, tuple[str, ...]]) -> dict:
    y = np.array([r["disagree"] for r in rows])
    story = np.array([r["story"] for r in rows])
    a, b = np.isin(story, sorted(train)), np.isin(story, sorted(test))
    out = {}
    for layer, feats in names.items():
        x = np.array([[r[f] for f in feats] for r in rows], dtype=float)
        model = _fit(x[a], y[a])
        threshold = _tuned_threshold(x[a], y[a], story[a])
        out[layer] = binary_scores(y[b], model.predict_proba(x[b])[:, 1], threshold) | {"features": list(feats)}
    return out


def stance_head(rows: list[dict], train: set[str], features: tuple[str, ...]) -> StanceHead:
    y = np.array([r["disagree"] for r in rows])
    a = np.isin([r["story"] for r in rows], sorted(train))
    x = np.array([[r[f] for f in features] for r in rows], dtype=float)
    model = _fit(x[a], y[a])
    scaler, lr = model[0], model[1]
    threshold = _tuned_threshold(x[a], y[a], np.array([r["story"] for r in rows])[a])
    return StanceHead(
        features,
        tuple(float(w) for w in lr.coef_[0]),
        float(lr.intercept_[0]),
        tuple(float(m) for m in scaler.mean_),
        tuple(float(s) for s in scaler.scale_),
        threshold,
    )


def bench_stance(data: Path, nli: object | None, cache: Path, key: str) -> tuple[dict, StanceHead | None]:
    """Model-free layers are fitted on the whole train half; layers with NLI features only on the
    train-half stories the NLI model was not fine-tuned on (``nli_head_split``)."""
    stories = read_jsonl(data / "fnc1_stories_dev.jsonl")
    story_of = {r["id"]: r["story_id"] for r in stories}
    stances = read_jsonl(data / "fnc1_stance_dev.jsonl")
    train, test = stance_split(stances, story_of)
    nli_stories, head_stories, _ = nli_head_split(stances, story_of)
    rows = stance_table(data, nli, cache, key)
    y = np.array([r["disagree"] for r in rows])
    b = np.isin([r["story"] for r in rows], sorted(test))
    model_free = {"lexicon": LAYERS["lexicon"], "detail": LAYERS["detail"]}
    results = evaluate_layers(rows, train, test, model_free)
    if nli is not None:
        with_nli = {k: v for k, v in LAYERS.items() if k not in model_free} | {"all_features": FEATURES_ALL}
        results |= evaluate_layers(rows, head_stories, test, with_nli)
        raw = np.array([r["nli_c_max"] for r in rows])
        results["nli_max_contradiction_only"] = binary_scores(y[b], raw[b], 0.5)
    out: dict = {
        "split": {
            "train_stories": sorted(train),
            "nli_finetune_stories": sorted(nli_stories),
            "head_fit_stories": sorted(head_stories),
            "test_stories": sorted(test),
            "n_train_pairs": int((~b).sum()),
            "n_test_pairs": int(b.sum()),
            "rule": "stories largest first (seeded-hash ties) to the half with fewer pairs; the half with "
            "the largest story trains; the train half is split again the same way into the stories "
            "the NLI model is fine-tuned on and the stories the stance head is fitted on",
        },
        "test_half": results,
        "swapped_fold_model_free": evaluate_layers(rows, test, train, model_free),
    }
    if nli is not None:
        lexicon = stance_head(rows, train, LAYERS["lexicon"])
        lexicon.to_json(cache / "stance_head_lexicon.json")
        out["lexicon_head"] = lexicon.__dict__
    return out, stance_head(rows, head_stories, LAYERS["combined"]) if nli is not None else None


# ---------------------------------------------------------------------------------------------
# Speed, card, main
# ---------------------------------------------------------------------------------------------


def bench_speed(nli: object, data: Path) -> dict:
    stories = read_jsonl(data / "fnc1_stories_dev.jsonl")[:40]
    from cluster.contradictions import split_sentences

    sentences = [s for r in stories for s in split_sentences(r["text"])][:512]
    pairs = list(zip(sentences[:-1], sentences[1:], strict=True))
    nli.contradiction(pairs[:32])  # type: ignore[attr-defined]
    start = time.perf_counter()
    nli.contradiction(pairs)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - start
    return {"news_sentence_pairs": len(pairs), "pairs_per_second": round(len(pairs) / seconds, 1)}


def update_card(model: Path, results: dict) -> None:
    card = model / "MODEL_CARD.md"
    if not card.is_file():
        return
    text = card.read_text(encoding="utf-8")
    start, end = "<!-- scores:start -->", "<!-- scores:end -->"
    if start not in text or end not in text:
        return
    sick = results["sick"].get("nli", {})
    rows = [
        f"| {layer} | {s['macro_f1']} | {s['disagree_f1']} | {s['auc']} |"
        for layer, s in results["stance"]["test_half"].items()
    ]
    body = (
        f"\nSICK held-apart 20% ({results['sick']['n_test']} pairs): contradiction F1 "
        f"**{sick.get('contradiction_f1')}**, accuracy {sick.get('accuracy')}.\n\n"
        f"FNC-1 stance, held-apart half split by story ({results['stance']['split']['n_test_pairs']} pairs, "
        "never seen in training or tuning):\n\n| layer | macro F1 | disagree F1 | AUC |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nSpeed (int8, CPU): {results.get('speed', {}).get('pairs_per_second')} news sentence pairs/s.\n"
        "Numbers written by `benchmarks/bench_contradictions.py` (benchmarks/results/contradictions.json).\n"
    )
    card.write_text(text[: text.index(start) + len(start)] + body + text[text.index(end) :], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--cache", type=Path, default=Path("/tmp/nli"))
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    missing = [n for n in NEEDED if not (args.data / n).is_file()]
    if missing:
        print(f"skipped: data missing in {args.data}: {', '.join(missing)}")
        return 0
    try:
        nli = load_nli(args.model)
    except ModelNotFoundError as exc:
        logger.warning("no NLI model, model-free layers only: %s", exc)
        nli = None
    results: dict = {"model": str(args.model), "sick": bench_sick(args.data, nli)}
    logger.info("sick: %s", results["sick"])
    if nli is not None:
        results["speed"] = bench_speed(nli, args.data)
        logger.info("speed: %s", results["speed"])
    results["stance"], head = bench_stance(args.data, nli, args.cache, _model_key(args.model))
    if nli is not None:
        results["model_size_mb"] = round((args.model / "model.onnx").stat().st_size / 1e6, 1)
        info = args.model / "train_info.json"
        if info.is_file():
            results["training"] = json.loads(info.read_text())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if head is not None:
        head.to_json(args.model / "stance_head.json")
        lexicon = args.cache / "stance_head_lexicon.json"
        (args.model / "stance_head_lexicon.json").write_text(lexicon.read_text(encoding="utf-8"), encoding="utf-8")
        update_card(args.model, results)
    logger.info("stance test half: %s", json.dumps(results["stance"]["test_half"], indent=1))
    logger.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
