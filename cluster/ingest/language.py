"""Each article's language (py3langid: a small model shipped in the package, offline), and whether the
embedding model was trained on the languages of a corpus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from py3langid.langid import RAW_FLOOR
from scipy import sparse

SAMPLE_CHARS = 600  # a few sentences decide; speed falls linearly with the length classified
_CHUNK = 2048  # texts walked through the model's automaton side by side
_MULTILINGUAL_HINTS = ("multilingual", "labse", "xlm", "distiluse", "-m3", "mbert", "laser", "paraphrase-multi")


@cache
def _identifier() -> Any:
    from py3langid.langid import _get_identifier

    return _get_identifier()  # the packaged model (data/model.npz.xz), loaded once


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """ISO 639-1 code of each text (from its first ``SAMPLE_CHARS`` characters); None for a text without letters.

    The answers of py3langid's ``classify``, computed for ``_CHUNK`` texts at once: its byte automaton is
    walked one byte position at a time for all of them (numpy), the features counted per text (a sparse
    matrix) and scored against the model's table in one product. ``classify`` walks each byte in Python —
    6.1 of the 6.5 CPU-s it took for the 9,164 articles of the 100k benchmark corpus."""
    identify = _identifier()
    samples = [text[:SAMPLE_CHARS] for text in texts]
    out: list[str | None] = []
    for lo in range(0, len(samples), _CHUNK):
        chunk = samples[lo : lo + _CHUNK]
        best = _best_classes(identify, [identify._encode(t) for t in chunk])  # the bytes classify reads
        letters = [any(ch.isalpha() for ch in t) for t in chunk]
        out.extend(identify.nb_classes[b] if has else None for has, b in zip(letters, best, strict=True))
    return out


@cache
def _tables(identify: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The identifier's automaton (next-state table, row offsets, feature of each state) as arrays."""
    return (
        np.frombuffer(identify.tk_nextmove, dtype=np.dtype(identify.tk_nextmove.typecode)).astype(np.int64),
        np.asarray(identify.tk_row, dtype=np.int64) << 8,
        np.asarray(identify.tk_output, dtype=np.int64),
    )


def _best_classes(identify: Any, encoded: list[bytes]) -> np.ndarray:
    """The index of the class ``classify`` picks for each text (its raw naive-Bayes scores, aliased labels
    folded as it folds them)."""
    nextmove, rowbase, output = _tables(identify)
    n, width = len(encoded), max((len(b) for b in encoded), default=0)
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=n)
    grid = np.zeros((n, max(width, 1)), dtype=np.uint8)
    for i, b in enumerate(encoded):
        grid[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
    state = np.zeros(n, dtype=np.int64)
    features = np.full((n, width), -1, dtype=np.int32)
    for pos in range(width):  # a position past a text's end changes only states never read again
        state = nextmove[rowbase[state] + grid[:, pos]]
        features[:, pos] = output[state]
    features[np.arange(width)[None, :] >= lengths[:, None]] = -1
    rows, cols = np.nonzero(features >= 0)
    found = features[rows, cols]
    present = np.zeros(len(identify.nb_ptc), dtype=bool)
    present[found] = True
    used = np.flatnonzero(present)  # the features met in this chunk: only their rows of the table are read
    column = np.cumsum(present) - 1
    counts = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, column[found])), shape=(n, len(used))
    )  # duplicate (text, feature) entries are summed: the feature's count
    counts.data = np.log1p(counts.data)
    scores = np.asarray(counts @ identify.nb_ptc[used].astype(np.float32)) + identify.nb_pc
    scores[counts.getnnz(axis=1) == 0] = RAW_FLOOR  # no feature: every class at the floor, as classify's
    for i, j in identify._alias_pairs:
        scores[:, i] = np.maximum(scores[:, i], scores[:, j])
        scores[:, j] = RAW_FLOOR
    return scores.argmax(axis=1)


def model_languages(model: str) -> frozenset[str] | None:
    """Languages an embedding model was trained on: None for a multilingual model (or one we cannot tell),
    {"en"} for the English sentence-transformers models (the default all-MiniLM-L6-v2 among them)."""
    name = model.lower()
    if any(hint in name for hint in _MULTILINGUAL_HINTS):
        return None
    if any(hint in name for hint in ("all-minilm", "all-mpnet", "all-distilroberta", "msmarco", "bge-small-en",
                                     "bge-base-en", "-en-", "-en.", "english")):
        return frozenset({"en"})
    return None


def language_note(languages: Sequence[str | None], model: str) -> str | None:
    """A warning when more than half of the articles are in languages ``model`` was not trained on."""
    known = model_languages(model)
    counted = Counter(lang for lang in languages if lang)
    total = sum(counted.values())
    if known is None or not total:
        return None
    outside = {lang: n for lang, n in counted.items() if lang not in known}
    share = sum(outside.values()) / total
    if share <= 0.5:
        return None
    top = ", ".join(f"{lang} {n}" for lang, n in Counter(outside).most_common(5))
    return (
        f"{share:.0%} of the articles are not in a language the model {model} was trained on ({top}); "
        "matching across them is unreliable: pass --model with a multilingual sentence-transformers folder"
    )
