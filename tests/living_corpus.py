"""What the living-index tests share (tests/test_living*.py): a word-sum encoder, a corpus of stories with
copies and boilerplate, and the partitions an index must agree on however it was grown."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster import living
from cluster.exact import normalise
from cluster.pipeline import Settings
from cluster.runner import RunOptions

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


class WordEncoder:
    """Sum of one random unit vector per normalised word, L2-normalised; logs batch sizes to ``log``."""

    name = "words"

    def __init__(self, dim: int = 64, log: Path | None = None, name: str = "words") -> None:
        self.dim = dim
        self.log = log
        self.name = name
        self.encoded = 0

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        return np.random.default_rng(seed).standard_normal(self.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        if self.log is not None:
            with self.log.open("a") as handle:
                handle.write(f"{len(texts)}\n")
        rows = [sum((self._word(w) for w in normalise(t).split()), np.zeros(self.dim)) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "pa", "di", "fe", "go", "hu", "ji"]


def corpus(seed: int = 0, n_stories: int = 8) -> list[dict[str, Any]]:
    """Articles: per story an origin and 1-4 copies (paragraphs dropped, words edited, own paragraphs added),
    adverts, one outlet footer repeated across unrelated articles, and stand-alone articles."""
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(3000)})

    def sentence(n: int = 22) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n)).capitalize() + "."

    def edit(text: str) -> str:
        words = text.rstrip(".").split()
        for _ in range(rng.choice([1, 1, 2])):
            words[rng.randrange(1, len(words))] = rng.choice(vocab)
        return " ".join(words) + "."

    footer = "Read the full coverage on the Daily Planet website every single morning before work."
    articles: list[dict[str, Any]] = []
    for s in range(n_stories):
        wire = [sentence() for _ in range(rng.randint(4, 7))]
        for c in range(rng.randint(2, 5)):
            kept = [p if rng.random() < 0.5 else edit(p) for p in wire if rng.random() < 0.85]
            paras = list(wire) if c == 0 else kept
            if c:
                paras.insert(rng.randrange(len(paras) + 1), sentence())
            if rng.random() < 0.3:
                paras.insert(1, "Advertisement")
            articles.append({
                "id": f"s{s}-c{c}", "source": f"outlet{rng.randrange(6)}", "text": "\n\n".join(paras),
                "published": f"2024-03-{1 + s:02d}T{8 + c:02d}:00:00Z",
            })
    for i in range(8):
        paras = [sentence() for _ in range(rng.randint(2, 5))] + ([footer] if i < 6 else [])
        articles.append({"id": f"solo{i}", "source": "Daily Planet", "text": "\n\n".join(paras)})
    rng.shuffle(articles)
    return articles


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def options(paths: list[Path], settings: Settings | None = None) -> RunOptions:
    return RunOptions(paths=paths, out=Path("unused"), settings=settings, use_nli=False)


def partitions(folder: Path) -> dict[str, Any]:
    """What must not depend on how the index was grown: partitions and relations, not cluster labels."""
    gen = living.current(folder)
    paragraphs = gen.table("paragraphs")
    docs = gen.table("documents")

    def groups(frame: pl.DataFrame, key: str, label: str) -> frozenset[frozenset[Any]]:
        parts = frame.group_by(label).agg(pl.col(key))
        return frozenset(frozenset(v) for v in parts[key].to_list())

    keyed = paragraphs.with_columns(pl.concat_str("id", pl.lit("#"), pl.col("position").cast(pl.String)).alias("key"))
    where = dict(zip(keyed["para_id"].to_list(), keyed["key"].to_list(), strict=True))
    pairs = gen.table("pairs")
    return {
        "paragraphs": sorted(keyed.select("key", "text", "is_boilerplate", "boilerplate_reason").rows()),
        "passages": groups(keyed, "key", "passage_id"),
        "pairs": {
            (where[a], where[b], rel)
            for a, b, rel in pairs.select("para_left", "para_right", "relation").iter_rows()
        },
        "copies": set(gen.table("copies").select("id_a", "id_b", "origin").iter_rows()),
        "copy_of": sorted(docs.select("id", "copy_of", "duplicate_of").rows(), key=str),
        "stories": groups(docs, "id", "story_id"),
    }
