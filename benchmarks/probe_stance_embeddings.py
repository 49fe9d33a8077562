"""Do MiniLM sentence vectors carry the stance across stories? A linear probe under story-grouped CV on FNC-1 train.

    python benchmarks/probe_stance_embeddings.py [--data ../shared/data] [--cache /tmp/stance_cache]

The agree/disagree pairs of ``fnc1_train_stance.jsonl`` (4,498; positive = disagree), 5 folds grouped by story.
Each pair is embedded with the default encoder (int8 ONNX all-MiniLM-L6-v2): the headline and its focus text
(:func:`train_stance_ce.focus_text`: lead + most on-topic sentences, 90 words). Class-weighted logistic
regressions over (a) the focus vector signed by the headline's polarity (``head_sign``), (b) that plus the
elementwise product of headline and focus vectors, (c) that plus the headline vector, each alone and with the
lexicon head's out-of-fold logit beside it (the shipped design refitted per fold), C in {0.1, 1}. The lexicon
head's own out-of-fold figure on the same folds is the reference. Train only; dev is not read.
Writes ``results/stance_embedding_probe.json`` (embedding the pairs: ~9 min on the shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import train_stance as ts  # noqa: E402
from benchmarks import train_stance_ce as ce  # noqa: E402
from benchmarks.common import REPO_ROOT, data_dir, write_result  # noqa: E402


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    from cluster.embed import load_encoder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/stance_cache"))
    args = parser.parse_args()
    folder = data_dir(args.data, list(ce.NEEDED))
    if folder is None:
        return 0
    rows = [r for r in ce.load_pairs(folder) if r["stance"] != "discuss"]
    feats = ts.featurise(folder, "fnc1_train_stance.jsonl", "fnc1_train_stories.jsonl", args.cache)
    by_pair = {(r["headline"], r["article_id"]): r for r in feats}
    lexicon_rows = [by_pair[(r["headline"], r["article_id"])] for r in rows]
    y = np.array([r["y"] for r in rows])
    groups = np.array([r["story"] for r in rows])
    sign = np.array([f["f"]["head_sign"] for f in lexicon_rows])
    vectors = args.cache / "stance_probe_vectors.npz"
    start = time.perf_counter()
    if vectors.is_file():
        saved = np.load(vectors)
        heads, focus = saved["heads"], saved["focus"]
    else:
        encoder = load_encoder(backend="onnx")  # one text per call: the shipped graph has no attention mask
        unique = sorted({r["headline"] for r in rows})
        index = {h: i for i, h in enumerate(unique)}
        heads = encoder.encode(unique)[[index[r["headline"]] for r in rows]]
        focus = encoder.encode([ce.focus_text(r["headline"], r["text"]) for r in rows])
        np.savez(vectors, heads=heads, focus=focus)
    embed_seconds = time.perf_counter() - start
    cv = json.loads((REPO_ROOT / "benchmarks" / "results" / "stance_train.json").read_text(encoding="utf-8"))["figures"]
    chosen = cv["designs"][cv["chosen"]]
    design = ts.DESIGNS[chosen["design"]]
    folds = list(GroupKFold(n_splits=5).split(rows, y, groups))
    lexicon = np.zeros(len(rows))
    for tr, te in folds:
        model, vocab, mean, scale = ts.fit([lexicon_rows[i] for i in tr], design, chosen["C"], cv["min_stories"])
        x, _, _ = ts.matrix([lexicon_rows[i] for i in te], design["dense"], vocab, mean, scale)
        lexicon[te] = model.predict_proba(x)[:, 1]
    clipped = np.clip(lexicon, 1e-6, 1 - 1e-6)
    lexicon_logit = np.log(clipped / (1 - clipped))[:, None]

    def scored(scores: np.ndarray) -> dict:
        threshold, _ = ce.best_threshold(y, scores)
        return {"auc": round(float(roc_auc_score(y, scores)), 4), **ce.figures(y, scores, threshold)}

    results = {"lexicon head (reference)": scored(lexicon)}
    signed = sign[:, None] * focus
    variants = {
        "signed focus": signed,
        "signed focus + product": np.hstack([signed, heads * focus]),
        "signed focus + product + headline": np.hstack([signed, heads * focus, heads]),
    }
    for name, x in variants.items():
        for c in (0.1, 1.0):
            for with_lexicon in (False, True):
                xx = np.hstack([x, lexicon_logit]) if with_lexicon else x
                oof = np.zeros(len(rows))
                for tr, te in folds:
                    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(xx[tr], y[tr])
                    oof[te] = model.predict_proba(xx[te])[:, 1]
                key = f"{name}{' + lexicon logit' if with_lexicon else ''} C={c}"
                results[key] = scored(oof)
                print(key, results[key], flush=True)
    write_result("stance_embedding_probe", {"n": len(rows), "embed_seconds": round(embed_seconds, 1), "cv": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
