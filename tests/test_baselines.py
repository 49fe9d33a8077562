"""Tests for benchmarks/baselines.py: planted near-duplicates and planted vectors with known groupings."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.baselines import (
    community_detection_clusters,
    connected_components_clusters,
    minhash_jaccard,
    minhash_lsh_clusters,
    shingles,
)

WIRE = (
    "A small meteorite crashed into a wooded area in Nicaragua's capital of Managua overnight, the "
    "government said Sunday. Residents reported hearing a mysterious boom that left a 16-foot deep crater "
    "near the airport."
)
WIRE_EDITED = WIRE.replace("Sunday", "on Sunday").replace("mysterious", "mysterous")
OTHER = (
    "Amazon is looking to launch an ad-supported streaming video service, which could give rivals a run for "
    "their money, the New York Post reported on Friday, citing people familiar with the plans."
)


def test_shingles_char_and_word() -> None:
    assert shingles("Hello   World", 5) == {
        gram.encode() for gram in ("hello", "ello ", "llo w", "lo wo", "o wor", " worl", "world")
    }
    assert shingles("The cat, the hat!", 2, "word") == {b"the cat", b"cat the", b"the hat"}
    assert shingles("abc", 5) == {b"abc"}
    assert shingles("   ", 5) == set()


def test_shingles_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        shingles("text", 0)
    with pytest.raises(ValueError):
        shingles("text", 3, "sentence")  # type: ignore[arg-type]


def test_minhash_lsh_joins_near_duplicates_only() -> None:
    labels = minhash_lsh_clusters([WIRE, OTHER, WIRE_EDITED, "", OTHER.upper()], threshold=0.7)
    assert labels.tolist() == [0, 1, 0, 2, 1]


def test_minhash_lsh_with_word_shingles_and_determinism() -> None:
    texts = [WIRE, WIRE_EDITED, OTHER]
    first = minhash_lsh_clusters(texts, threshold=0.5, shingle=3, unit="word", seed=7)
    assert first.tolist() == [0, 0, 1]
    assert np.array_equal(first, minhash_lsh_clusters(texts, threshold=0.5, shingle=3, unit="word", seed=7))


def test_minhash_lsh_threshold_separates_a_loose_copy() -> None:
    half = WIRE[: len(WIRE) // 2]  # shares about half of the shingles
    assert minhash_lsh_clusters([WIRE, half], threshold=0.9).tolist() == [0, 1]


def test_minhash_jaccard_estimates() -> None:
    assert minhash_jaccard(WIRE, WIRE) == 1.0
    assert minhash_jaccard(WIRE, WIRE_EDITED) > 0.7
    assert minhash_jaccard(WIRE, OTHER) < 0.2
    assert minhash_jaccard(WIRE, "") == 0.0


@pytest.mark.parametrize("threshold", [0.0, 1.5])
def test_minhash_rejects_bad_threshold(threshold: float) -> None:
    with pytest.raises(ValueError):
        minhash_lsh_clusters([WIRE], threshold=threshold)


def planted() -> np.ndarray:
    """Three vectors near axis 0, two near axis 1, one on axis 2 (cosines within a group > 0.98)."""
    vectors = np.array(
        [
            [1.0, 0.05, 0.0, 0.0],
            [1.0, 0.0, 0.05, 0.0],
            [1.0, 0.0, 0.0, 0.05],
            [0.0, 1.0, 0.05, 0.0],
            [0.05, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ],
        dtype=np.float32,
    )
    return vectors * np.array([[3.0], [1.0], [0.5], [2.0], [1.0], [7.0]], dtype=np.float32)  # not unit length


def test_community_detection_clusters_planted_groups() -> None:
    labels = community_detection_clusters(planted(), threshold=0.9)
    assert labels.tolist() == [0, 0, 0, 1, 1, 2]


def test_community_detection_small_groups_become_singletons() -> None:
    labels = community_detection_clusters(planted(), threshold=0.9, min_community_size=3)
    assert labels.tolist() == [0, 0, 0, 1, 2, 3]


def test_connected_components_clusters_planted_groups() -> None:
    labels = connected_components_clusters(planted(), threshold=0.9, k=3)
    assert labels.tolist() == [0, 0, 0, 1, 1, 2]


def chain() -> np.ndarray:
    """Four unit vectors at 0, 18, 38 and 56 degrees: neighbours have cosine >= 0.94, a-c and b-d ~0.8."""
    angles = np.radians([0.0, 18.0, 38.0, 56.0])
    return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def test_connected_components_chain_while_community_detection_does_not() -> None:
    vectors = chain()
    assert connected_components_clusters(vectors, threshold=0.9, k=2).tolist() == [0, 0, 0, 0]
    # Centre b holds {a, b, c}; d's only close neighbour c is taken, so d stays alone.
    assert community_detection_clusters(vectors, threshold=0.9).tolist() == [0, 0, 0, 1]


def test_connected_components_respects_k_and_threshold() -> None:
    # k = 1: a<->b (18 deg) and c<->d (18 deg) are mutual nearest; b-c (20 deg) is nobody's nearest.
    assert connected_components_clusters(chain(), threshold=0.9, k=1).tolist() == [0, 0, 1, 1]
    assert connected_components_clusters(chain(), threshold=0.99, k=3).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("embeddings", "kwargs"),
    [
        (np.ones(4, dtype=np.float32), {}),
        (np.ones((0, 4), dtype=np.float32), {}),
        (np.ones((2, 4), dtype=np.float32), {"threshold": 1.5}),
        (np.ones((2, 4), dtype=np.float32), {"k": 0}),
    ],
)
def test_connected_components_rejects_bad_arguments(embeddings: np.ndarray, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        connected_components_clusters(embeddings, **kwargs)


def test_community_detection_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        community_detection_clusters(planted(), threshold=0.9, min_community_size=0)
    with pytest.raises(ValueError):
        community_detection_clusters(np.ones(3, dtype=np.float32))
