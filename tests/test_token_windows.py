"""Token windows (cluster/token_windows.py), shared by the ONNX and torch backends: how a long text is cut, how
windows are batched, and the mean over all their tokens — on a tiny word-level tokenizer and hand-made vectors."""

from __future__ import annotations

import numpy as np
import pytest

from cluster.token_windows import mean_over_windows, padded, token_counts, token_windows, window_batches

tokenizers = pytest.importorskip("tokenizers")


def word_tokenizer() -> tokenizers.Tokenizer:
    """One token a word, ``[CLS] … [SEP]`` around each window, as a BERT tokenizer does."""
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from tokenizers.processors import TemplateProcessing

    vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2} | {w: 3 + i for i, w in enumerate("abcdefg")}
    tokenizer = tokenizers.Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.post_processor = TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    tokenizer.enable_padding(length=12)  # a tokenizer left padding (as transformers leaves its own) is reset
    return tokenizer


def test_a_long_text_is_cut_into_consecutive_windows_each_with_its_special_tokens() -> None:
    tokenizer = word_tokenizer()
    windows = token_windows(tokenizer, ["a b", "a b c d e f g", ""], max_tokens=5)
    assert windows == [
        (0, [1, 3, 4, 2]),
        (1, [1, 3, 4, 5, 2]),  # three words a window: 5 tokens with [CLS] and [SEP]
        (1, [1, 6, 7, 8, 2]),
        (1, [1, 9, 2]),
        (2, [1, 2]),
    ]
    assert token_counts(tokenizer, ["a b", "a b c d e f g"]).tolist() == [4, 9]  # before truncation, no padding
    with pytest.raises(ValueError, match="max_tokens must be >= 1, got 0"):
        token_windows(tokenizer, ["a"], max_tokens=0)


def test_windows_are_batched_longest_first_without_padding_a_short_one_to_a_long_one() -> None:
    windows = [(0, [0] * n) for n in (256, 40, 256, 130, 128, 3)]
    lengths, batches = window_batches(windows, batch_size=64)
    assert lengths.tolist() == [256, 40, 256, 130, 128, 3]
    assert [b.tolist() for b in batches] == [[0, 2, 3], [4], [1], [5]]  # 128 is not more than half of 256
    assert [b.tolist() for b in window_batches(windows, batch_size=2)[1]] == [[0, 2], [3, 4], [1], [5]]
    assert [b.tolist() for b in window_batches(windows, batch_size=1)[1]] == [[0], [2], [3], [4], [1], [5]]
    ids, mask = padded([(0, [7, 8, 9]), (0, [5])], np.array([1, 0]), np.array([3, 1]))
    assert ids.tolist() == [[5, 0, 0], [7, 8, 9]] and mask.tolist() == [[1, 0, 0], [1, 1, 1]]
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        window_batches(windows, batch_size=0)


def test_a_text_gets_the_mean_over_every_token_of_all_its_windows_normalised() -> None:
    windows = [(0, [1, 1, 1]), (0, [1]), (1, [1, 1])]
    # window 0: tokens (1,0) (1,0) (1,0); window 1: (0,4); text 1: (3,0) and (0,3), padded
    hidden = np.array([[[1, 0], [1, 0], [1, 0]], [[0, 4], [9, 9], [9, 9]], [[3, 0], [0, 3], [9, 9]]], np.float32)
    mask = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    runs = [(np.array([0, 1]), hidden[:2], mask[:2]), (np.array([2]), hidden[2:], mask[2:])]
    out = mean_over_windows(3, windows, runs)
    # text 0: (3, 4) / 4 tokens -> (0.6, 0.8), not the mean of its two window vectors; text 2 has no window
    np.testing.assert_allclose(out, [[0.6, 0.8], [2**-0.5, 2**-0.5], [0, 0]], atol=1e-7)
    assert out.dtype == np.float32
