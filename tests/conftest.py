"""Shared test fixtures: a tiny deterministic encoder, so stage tests need no model; a living-index corpus."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from living_corpus import corpus, write_jsonl

from cluster.exact import normalise


class FakeEncoder:
    """Same normalised text → same vector; different texts → nearly orthogonal vectors (dim 64)."""

    name = "fake"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.blake2b(normalise(text).encode(), digest_size=8).digest(), "little")
            rows.append(np.random.default_rng(seed).standard_normal(self.dim))
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def articles() -> list[dict[str, Any]]:
    return corpus()


@pytest.fixture
def halves(tmp_path: Path, articles: list[dict[str, Any]]) -> tuple[Path, Path, Path]:
    cut = len(articles) * 3 // 5
    return (
        write_jsonl(tmp_path / "in" / "a.jsonl", articles[:cut]),
        write_jsonl(tmp_path / "in" / "b.jsonl", articles[cut:]),
        write_jsonl(tmp_path / "in" / "all.jsonl", articles),
    )
