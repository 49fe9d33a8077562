"""Embeddings (cluster/embed.py) with a fake encoder: order, chunks, progress, normalisation, model errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from cluster.embed import Encoder, encode_in_order, load_encoder, normalise_rows
from cluster.errors import ModelNotFoundError


class LengthEncoder:
    """Row = (len(text), 1) unnormalised; records each batch it is given."""

    name = "length"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float64)


def test_a_fake_with_name_and_encode_is_an_encoder() -> None:
    assert isinstance(LengthEncoder(), Encoder)


def test_encode_in_order_returns_rows_in_input_order_normalised_in_float32() -> None:
    texts = ["ab", "abcd", "a", "abc"]
    encoder = LengthEncoder()
    out = encode_in_order(encoder, texts, chunk=2)
    assert encoder.batches == [["abcd", "abc"], ["ab", "a"]]  # longest first, in chunks
    assert out.dtype == np.float32 and out.shape == (4, 2)
    expected = np.array([[len(t), 1.0] for t in texts]) / np.sqrt([[len(t) ** 2 + 1.0] for t in texts])
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_encode_in_order_reports_progress_per_chunk() -> None:
    seen: list[tuple[int, int]] = []
    encode_in_order(LengthEncoder(), ["a", "bb", "ccc"], chunk=2, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 3), (2, 3), (3, 3)]


def test_encode_in_order_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="chunk must be >= 1"):
        encode_in_order(LengthEncoder(), ["a"], chunk=0)
    with pytest.raises(ValueError, match="no texts to encode"):
        encode_in_order(LengthEncoder(), [])


def test_normalise_rows_keeps_zero_rows_zero() -> None:
    out = normalise_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32


def test_a_missing_model_folder_is_a_model_not_found_error(tmp_path) -> None:
    with pytest.raises(ModelNotFoundError, match="model folder not found"):
        load_encoder(str(tmp_path / "no" / "model.bin"))
