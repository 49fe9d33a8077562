import numpy as np
import pytest

from cluster.index import IndexParams, build_index, neighbour_pairs


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def brute(vectors: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    sims = vectors @ vectors.T  # fine in a test of 300 rows: the reference answer
    a, b = np.nonzero(np.triu(sims >= threshold, k=1))
    return set(zip(a.tolist(), b.tolist(), strict=True))


def clustered(n_groups: int, size: int, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_groups, 32))
    return unit(np.repeat(centres, size, axis=0) + noise * rng.standard_normal((n_groups * size, 32)))


def test_hand_built_pairs_with_left_below_right_and_cosines() -> None:
    vectors = unit(np.array([[1, 0, 0], [0.95, 0.31, 0], [0, 1, 0], [0, 0, 1]]))
    left, right, score = neighbour_pairs(build_index(vectors), vectors, 0.9)
    assert left.tolist() == [0]
    assert right.tolist() == [1]
    assert score[0] == pytest.approx(0.95 / np.hypot(0.95, 0.31), abs=1e-5)


def test_flat_search_finds_exactly_the_pairs_above_threshold() -> None:
    vectors = clustered(30, 10, 0.3)
    left, right, _ = neighbour_pairs(build_index(vectors), vectors, 0.8, IndexParams(k=4))
    found = set(zip(left.tolist(), right.tolist(), strict=True))
    assert found == brute(vectors, 0.8)
    assert all(a < b for a, b in found)


def test_rows_whose_k_nearest_all_pass_are_searched_again() -> None:
    # one group of 40 near-identical vectors: k=4 alone would see only 3 neighbours per row
    vectors = clustered(1, 40, 0.01)
    params = IndexParams(k=4, max_k=64)
    left, _, _ = neighbour_pairs(build_index(vectors, params), vectors, 0.9, params)
    assert len(left) == 40 * 39 // 2


def test_ivf_index_keeps_nearly_all_exact_pairs() -> None:
    vectors = clustered(200, 6, 0.25, seed=1)
    params = IndexParams(exact_max=0, nprobe=16)
    index = build_index(vectors, params)
    assert index.__class__.__name__ == "IndexIVFFlat"
    left, right, _ = neighbour_pairs(index, vectors, 0.8, params)
    exact = brute(vectors, 0.8)
    assert len(exact) > 500
    assert len(set(zip(left.tolist(), right.tolist(), strict=True)) & exact) / len(exact) >= 0.99


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="k must be"):
        IndexParams(k=0)
    with pytest.raises(ValueError, match="threshold"):
        neighbour_pairs(build_index(unit(np.eye(3))), unit(np.eye(3)), 1.5)
    with pytest.raises(ValueError, match="non-empty 2-d"):
        build_index(np.zeros((0, 4), dtype=np.float32))
