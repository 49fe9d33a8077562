from dataclasses import replace

import faiss
import numpy as np
import pytest

from cluster.index import (
    SEARCH_MARGIN,
    IndexParams,
    build_index,
    build_index_assigned,
    candidate_margin,
    exact_scores,
    ivf_lists,
    ivf_probes,
    list_join_pairs,
    neighbour_pairs,
    training_size,
    unique_pairs,
)


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
    params = IndexParams(exact_max=0, nprobe=16, scan_min=0)
    index = build_index(vectors, params)
    assert isinstance(index, faiss.IndexIVF)
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


def test_lists_are_finer_below_590k_vectors_and_about_512_vectors_above() -> None:
    params = IndexParams()  # list_size 512, sqrt_lists 1.5
    assert ivf_lists(48_582, params) == 331  # 1.5·√n (n/512 would be 95 lists of 511)
    assert ivf_lists(100_000, params) == 474
    assert ivf_lists(762_969, params) == 1490  # n/512 from ~590k on: the lists of the rule before
    assert ivf_lists(1_000_000, params) == 1953
    assert ivf_lists(1_000, IndexParams(sqrt_lists=0)) == 16  # never fewer than 16 lists
    assert ivf_lists(1_000_000, IndexParams(nlist=100)) == 100  # an explicit nlist wins
    # vectors scanned per query above the crossover: nprobe lists of about list_size, the same at 1M and 10M
    scanned = [ivf_probes(n, ivf_lists(n)) * n / ivf_lists(n) for n in (1_000_000, 10_000_000)]
    assert scanned[0] == pytest.approx(scanned[1], rel=0.01)


def test_small_lists_are_probed_until_a_query_scans_scan_min_vectors() -> None:
    params = IndexParams()  # nprobe 8, scan_min 1,760
    assert ivf_probes(48_582, 331, params) == 12  # lists of ~147: 12 of them scan ~1,760
    assert ivf_probes(100_000, 474, params) == 9
    assert ivf_probes(762_969, 1490, params) == 8  # lists of ~512: nprobe
    assert ivf_probes(100, 50, params) == 50  # never more than every list
    assert ivf_probes(48_582, 331, IndexParams(scan_min=0)) == 8
    assert build_index(clustered(60, 5, 0.2), IndexParams(exact_max=0, nlist=20)).nprobe == 20


def test_training_sample_is_bounded() -> None:
    params = IndexParams(train_per_list=40, train_max=131_072)
    assert training_size(50_000, 100, params) == 4_000  # 40 a list
    assert training_size(1_000_000, 1953, params) == 78_120
    assert training_size(10_000_000, 19_531, params) == 131_072  # capped
    assert training_size(10_000_000, 200_000, params) == 200_000  # but at least one a list
    assert training_size(3_000, 100, params) == 3_000  # never more than there are


def test_ivf_with_few_probes_finds_the_planted_pairs_a_flat_index_finds() -> None:
    # 400 groups of 3 planted copies (cosine ~0.9) among far-apart groups: 1,200 pairs, 80 lists of ~15
    vectors = clustered(400, 3, 0.15, seed=2)
    params = IndexParams(exact_max=0, list_size=15, sqrt_lists=0, nprobe=4, scan_min=0)
    index = build_index(vectors, params)
    assert index.nlist == 80 and index.nprobe == 4
    flat = neighbour_pairs(build_index(vectors), vectors, 0.8)
    ivf = neighbour_pairs(index, vectors, 0.8, params)
    assert len(flat[0]) == 400 * 3
    assert ivf[0].tolist() == flat[0].tolist() and ivf[1].tolist() == flat[1].tolist()
    assert ivf[2].tolist() == flat[2].tolist()  # scores are exact cosines: bitwise the same


def test_an_assigned_index_gives_each_vector_its_list_and_its_nprobe_nearest_lists() -> None:
    vectors = clustered(300, 4, 0.2, seed=6)
    params = IndexParams(exact_max=0, list_size=20, sqrt_lists=0, nprobe=5, scan_min=0)
    index, coarse = build_index_assigned(vectors, params)
    assert coarse is not None and coarse[0].shape == (1200, 5) and coarse[1].shape == (1200, 5)
    centroids = index.quantizer.reconstruct_n(0, index.nlist)
    expected = np.argsort(-(vectors @ centroids.T), axis=1, kind="stable")[:, :5]  # the reference: every centroid
    assert (coarse[0] == expected).mean() > 0.999  # (last-bit ties aside)
    invlists = index.invlists
    for list_no in range(index.nlist):  # each vector was added to the list of its nearest centroid
        ids = faiss.rev_swig_ptr(invlists.get_ids(list_no), invlists.list_size(list_no)).copy()
        assert (coarse[0][ids, 0] == list_no).all()
    assert build_index_assigned(vectors[:50], params)[1] is not None
    assert build_index_assigned(vectors, IndexParams())[1] is None  # flat: nothing to assign


def test_searching_the_assigned_lists_finds_what_assigning_each_batch_again_finds() -> None:
    vectors = clustered(250, 4, 0.25, seed=8)
    params = IndexParams(exact_max=0, list_size=20, sqrt_lists=0, nprobe=4, scan_min=0, batch=97)
    index, coarse = build_index_assigned(vectors, params)
    again = neighbour_pairs(index, vectors, 0.8, params)
    assigned = neighbour_pairs(index, vectors, 0.8, params, coarse=coarse)
    assert len(again[0]) > 600
    for a, b in zip(again, assigned, strict=True):
        assert a.tolist() == b.tolist()
    rows = np.arange(500, 1000)  # only some rows searched (a living index's new ones): the same both ways
    some = neighbour_pairs(index, vectors, 0.8, params, rows=rows, coarse=coarse)
    assert some[0].tolist() == neighbour_pairs(index, vectors, 0.8, params, rows=rows)[0].tolist()
    assert ((np.isin(some[0], rows)) | (np.isin(some[1], rows))).all()


def test_the_list_join_finds_the_pairs_and_scores_the_index_finds() -> None:
    vectors = clustered(300, 4, 0.25, seed=9)
    params = IndexParams(exact_max=0, list_size=20, sqrt_lists=0, nprobe=4, scan_min=0)
    index = build_index(vectors, params)
    found = neighbour_pairs(index, vectors, 0.8, params)
    joined = list_join_pairs(vectors, 0.8, params)
    assert len(found[0]) > 700
    for a, b in zip(found, joined, strict=True):
        assert a.tolist() == b.tolist()
    assert len(brute(vectors, 0.8) - set(zip(joined[0].tolist(), joined[1].tolist(), strict=True))) < 20
    # every list probed: exactly the pairs of a brute-force search
    every = replace(params, nprobe=15)
    joined = list_join_pairs(vectors, 0.8, every)
    assert set(zip(joined[0].tolist(), joined[1].tolist(), strict=True)) == brute(vectors, 0.8)
    # up to exact_max: the flat search, bit for bit
    flat = list_join_pairs(vectors, 0.8, IndexParams())
    assert [x.tolist() for x in flat] == [x.tolist() for x in neighbour_pairs(build_index(vectors), vectors, 0.8)]


def test_the_list_join_has_no_cap_on_neighbours_per_row() -> None:
    # 40 near-identical vectors among 200 others: every one of the 780 pairs, where the index stops at max_k
    vectors = np.vstack([clustered(1, 40, 0.01, seed=1), clustered(50, 4, 0.3, seed=2)])
    params = IndexParams(exact_max=0, k=4, max_k=8, list_size=30, sqrt_lists=0, nprobe=8, scan_min=0)
    left, right, _ = list_join_pairs(vectors, 0.95, params)
    inside = (left < 40) & (right < 40)
    assert inside.sum() == 40 * 39 // 2
    capped, _, _ = neighbour_pairs(build_index(vectors, params), vectors, 0.95, params)
    assert len(capped) < 40 * 39 // 2


def test_eight_bit_lists_find_the_same_pairs_with_the_same_exact_scores_as_float_lists() -> None:
    vectors = clustered(200, 6, 0.25, seed=4)
    float_params = IndexParams(exact_max=0, list_size=20, nprobe=6, scan_min=0, quantised=False)
    sq_params = replace(float_params, quantised=True)
    float_index, sq_index = build_index(vectors, float_params), build_index(vectors, sq_params)
    assert sq_index.__class__.__name__ == "IndexIVFScalarQuantizer"
    assert candidate_margin(float_index) == SEARCH_MARGIN
    found = neighbour_pairs(float_index, vectors, 0.8, float_params)
    assert len(found[0]) > 500
    again = neighbour_pairs(faiss.deserialize_index(faiss.serialize_index(sq_index)), vectors, 0.8, sq_params)
    for a, b in zip(found, again, strict=True):
        assert a.tolist() == b.tolist()


def test_candidate_margin_bounds_the_error_of_eight_bit_scores() -> None:
    vectors = clustered(100, 5, 0.3, seed=5)
    index = build_index(vectors, IndexParams(exact_max=0, list_size=25, nprobe=20, quantised=True))
    low, high = float(vectors.min()), float(vectors.max())
    margin = candidate_margin(index)
    assert margin == pytest.approx(SEARCH_MARGIN + np.sqrt(32) * 0.5 * (high - low) / 255, rel=1e-6)
    sims, ids = index.search(vectors, 20)  # all lists probed: approximate scores of every row's 20 nearest
    exact = np.einsum("ij,ikj->ik", vectors, vectors[ids])
    error = np.abs(sims - exact).max()
    assert 0 < error <= margin


def test_unique_pairs_keeps_each_pair_once_with_its_highest_score_sorted() -> None:
    left = np.array([5, 2, 7, 2, 0, 9, 3], dtype=np.int64)
    right = np.array([2, 5, 0, 5, 7, 3, 9], dtype=np.int64)
    score = np.array([0.7, 0.9, 0.6, 0.8, 0.65, 0.5, 0.5], dtype=np.float32)
    a, b, s = unique_pairs(left, right, score)
    assert a.tolist() == [0, 2, 3] and b.tolist() == [7, 5, 9]
    assert s.tolist() == pytest.approx([0.65, 0.9, 0.5])
    assert s.dtype == np.float32
    empty = unique_pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    assert [len(x) for x in empty] == [0, 0, 0]
    with pytest.raises(ValueError, match=">= 0"):
        unique_pairs(np.array([-1]), np.array([2]), np.array([0.5], dtype=np.float32))


def test_unique_pairs_equals_a_lexsort_of_the_pairs_on_random_input() -> None:
    rng = np.random.default_rng(3)
    left, right = rng.integers(0, 300, 5_000), rng.integers(0, 300, 5_000)
    score = rng.random(5_000).astype(np.float32)
    a, b, s = unique_pairs(left, right, score)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    best: dict[tuple[int, int], float] = {}
    for x, y, z in zip(lo.tolist(), hi.tolist(), score.tolist(), strict=True):
        best[(x, y)] = max(best.get((x, y), -1.0), z)
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == sorted(best)
    assert s.tolist() == [best[k] for k in sorted(best)]


def test_exact_scores_do_not_depend_on_the_chunk() -> None:
    vectors = clustered(50, 4, 0.3, seed=6)
    rng = np.random.default_rng(7)
    left, right = rng.integers(0, 200, 3_001), rng.integers(0, 200, 3_001)
    whole = exact_scores(vectors, left, right, chunk=10_000)
    assert np.array_equal(exact_scores(vectors, left, right, chunk=7), whole)  # bitwise
    assert whole == pytest.approx(np.sum(vectors[left] * vectors[right], axis=1), abs=1e-6)
