"""Texts longer than the model reads, embedded whole: consecutive token windows and the mean over their tokens.

Both backends use these, so a long text is cut the same way whichever runs it: the int8 ONNX encoder
(``cluster.embed_onnx``) for every text, the torch one (``cluster.embed``) for the texts over its max tokens,
which sentence-transformers alone would cut short. A text of at most ``max_tokens`` tokens is one window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

Window = tuple[int, list[int]]  # (row of its text, token ids of the window, special tokens included)


def token_windows(tokenizer: Tokenizer, texts: Sequence[str], max_tokens: int) -> list[Window]:
    """The windows of each text, in text order: its first ``max_tokens`` tokens, then the rest in consecutive
    windows of ``max_tokens`` (the tokenizer's overflow, no stride; each window has its own special tokens).

    Sets the (Hugging Face ``tokenizers``) tokenizer to truncate at ``max_tokens`` without padding."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)  # stride 0: the rest goes to overflow windows
    windows: list[Window] = []
    for row, encoding in enumerate(tokenizer.encode_batch(list(texts))):
        windows += [(row, e.ids) for e in (encoding, *encoding.overflowing)]
    return windows


def token_counts(tokenizer: Tokenizer, texts: Sequence[str]) -> np.ndarray:
    """Tokens of each text before truncation (special tokens included); leaves the tokenizer not truncating."""
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return np.array([len(e.ids) for e in tokenizer.encode_batch(list(texts))], dtype=np.int64)


def window_batches(windows: list[Window], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """(token count of each window, batches of window positions), longest windows first; a batch holds at most
    ``batch_size`` windows, each more than half as long as its first, so padding at most doubles its work (the
    short last window of a long text is not padded to a full one)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    lengths = np.array([len(ids) for _, ids in windows], dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    batches: list[np.ndarray] = []
    lo = 0
    while lo < len(order):
        hi = min(lo + batch_size, len(order))
        hi = lo + int(np.sum(2 * lengths[order[lo:hi]] > lengths[order[lo]]))  # sorted: the long ones lead
        batches.append(order[lo:hi])
        lo = hi
    return lengths, batches


def padded(windows: list[Window], rows: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(input ids, attention mask) of the windows at ``rows``, right-padded with 0 to the longest; int64."""
    width = int(lengths[rows].max())
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for j, w in enumerate(rows):
        ids[j, : lengths[w]] = windows[w][1]
        mask[j, : lengths[w]] = 1
    return ids, mask


def mean_over_windows(
    n_texts: int, windows: list[Window], runs: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], dim: int = 0
) -> np.ndarray:
    """Each text's mean token vector over all its windows, L2-normalised float32 (a text with no token: zeros).

    ``runs``: (window positions, token vectors ``(windows, width, dim)``, attention mask) of each batch, summed
    in the order given (so the result does not depend on how many threads produced them)."""
    sums = np.zeros((n_texts, dim), dtype=np.float32)
    counts = np.zeros(n_texts, dtype=np.float32)
    for rows, hidden, mask in runs:
        if sums.shape[1] != hidden.shape[2]:
            sums = np.zeros((n_texts, hidden.shape[2]), dtype=np.float32)
        targets = np.array([windows[w][0] for w in rows])
        np.add.at(sums, targets, (hidden * mask[:, :, None]).sum(axis=1))
        np.add.at(counts, targets, mask.sum(axis=1))
    out = sums / np.maximum(counts, 1.0)[:, None]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
