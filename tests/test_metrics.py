"""Tests for cluster/metrics.py: hand-computed answers on tiny inputs, scikit-learn as the oracle for AMI."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score

from cluster.metrics import (
    b_cubed,
    best_threshold,
    binary_scores,
    cluster_scores,
    expected_mutual_info,
    pair_scores,
    worst_clusters,
)

# Six items a..f. Gold: A = {a, b, c}, B = {d, e}, C = {f}. Pred: P1 = {a, b, c, d}, P2 = {e}, P3 = {f}.
GOLD = ["A", "A", "A", "B", "B", "C"]
PRED = [0, 0, 0, 0, 1, 2]

SCORE_KEYS = {"ari", "ami", "nmi", "v_measure", "pair_precision", "pair_recall", "pair_f1"}
SCORE_KEYS |= {"b3_precision", "b3_recall", "b3_f1"}


def test_b_cubed_by_hand() -> None:
    # precision_i = |P∩G| / |P|: a, b, c -> 3/4 each, d -> 1/4, e -> 1/1, f -> 1/1; sum 4.5, / 6 = 0.75
    # recall_i = |P∩G| / |G|:    a, b, c -> 3/3 each, d -> 1/2, e -> 1/2, f -> 1/1; sum 5.0, / 6 = 5/6
    # F1 = 2 * 0.75 * 5/6 / (0.75 + 5/6) = 15/19
    precision, recall, f1 = b_cubed(GOLD, PRED)
    assert precision == pytest.approx(0.75)
    assert recall == pytest.approx(5 / 6)
    assert f1 == pytest.approx(15 / 19)


def test_pair_counting_and_ari_by_hand() -> None:
    # Gold pairs: ab ac bc de (4). Pred pairs: all 6 pairs inside {a,b,c,d}. Together in both: ab ac bc (3).
    # precision 3/6, recall 3/4, F1 = 2 * .5 * .75 / 1.25 = 0.6.
    # ARI: index 3, expected 4 * 6 / C(6,2) = 1.6, max (4 + 6) / 2 = 5 -> (3 - 1.6) / (5 - 1.6) = 7/17.
    scores = cluster_scores(GOLD, PRED)
    assert scores["pair_precision"] == pytest.approx(0.5)
    assert scores["pair_recall"] == pytest.approx(0.75)
    assert scores["pair_f1"] == pytest.approx(0.6)
    assert scores["ari"] == pytest.approx(7 / 17)
    assert (scores["n_gold"], scores["n_pred"]) == (3, 3)


def test_cluster_scores_has_exactly_the_agreed_keys_and_plain_types() -> None:
    scores = cluster_scores(GOLD, PRED)
    assert set(scores) == SCORE_KEYS | {"n_pred", "n_gold"}
    assert all(type(scores[key]) is float for key in SCORE_KEYS)
    assert type(scores["n_pred"]) is int and type(scores["n_gold"]) is int


def test_perfect_clustering_scores_one_whatever_the_label_names() -> None:
    gold = [0, 0, 0, 1, 1, 2, 3, 3]
    pred = ["x", "x", "x", "q", "q", "z", "k", "k"]
    scores = cluster_scores(gold, pred)
    for key in SCORE_KEYS:
        assert scores[key] == pytest.approx(1.0), key
    assert scores["n_pred"] == scores["n_gold"] == 4


def test_everything_in_one_cluster() -> None:
    # b3 recall 1; b3 precision = sum |g|^2 / n^2 = (9 + 4 + 1) / 36; pair precision = 4 gold pairs / 15.
    scores = cluster_scores(GOLD, [7] * 6)
    assert scores["b3_recall"] == pytest.approx(1.0)
    assert scores["b3_precision"] == pytest.approx(14 / 36)
    assert scores["pair_recall"] == pytest.approx(1.0)
    assert scores["pair_precision"] == pytest.approx(4 / 15)
    assert scores["ari"] == pytest.approx(0.0)
    assert scores["ami"] == pytest.approx(0.0)


def test_all_singletons() -> None:
    # b3 precision 1; recall = (3 * 1/3 + 2 * 1/2 + 1) / 6 = 0.5. No predicted pairs while gold has some:
    # pair precision and recall are 0 (0/0 counts as 0 when there was something to find).
    scores = cluster_scores(GOLD, list(range(6)))
    assert scores["b3_precision"] == pytest.approx(1.0)
    assert scores["b3_recall"] == pytest.approx(0.5)
    assert scores["pair_precision"] == scores["pair_recall"] == scores["pair_f1"] == 0.0


def test_singletons_on_both_sides_is_a_perfect_pair_score() -> None:
    scores = cluster_scores([1, 2, 3], [6, 5, 4])
    assert scores["pair_precision"] == scores["pair_recall"] == scores["pair_f1"] == 1.0
    assert scores["b3_f1"] == 1.0


def test_b_cubed_matches_per_item_definition_and_swaps_with_roles() -> None:
    rng = np.random.default_rng(3)
    gold, pred = rng.integers(0, 6, 200), rng.integers(0, 9, 200)
    precision_items = [
        np.sum((pred == pred[i]) & (gold == gold[i])) / np.sum(pred == pred[i]) for i in range(200)
    ]
    recall_items = [
        np.sum((pred == pred[i]) & (gold == gold[i])) / np.sum(gold == gold[i]) for i in range(200)
    ]
    precision, recall, _ = b_cubed(gold, pred)
    assert precision == pytest.approx(np.mean(precision_items))
    assert recall == pytest.approx(np.mean(recall_items))
    swapped = b_cubed(pred, gold)
    assert swapped[0] == pytest.approx(recall) and swapped[1] == pytest.approx(precision)


@pytest.mark.parametrize(
    ("n", "k_gold", "k_pred", "seed"),
    [(40, 3, 4, 0), (300, 30, 7, 1), (1500, 700, 800, 2), (500, 2, 250, 3), (60, 60, 59, 4)],
)
def test_ami_and_friends_equal_scikit_learn(n: int, k_gold: int, k_pred: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    gold, pred = rng.integers(0, k_gold, n), rng.integers(0, k_pred, n)
    scores = cluster_scores(gold, pred)
    assert scores["ami"] == pytest.approx(adjusted_mutual_info_score(gold, pred), abs=1e-9)
    assert scores["ari"] == pytest.approx(adjusted_rand_score(gold, pred))
    assert scores["nmi"] == pytest.approx(normalized_mutual_info_score(gold, pred))


def test_expected_mutual_info_rejects_sizes_of_different_totals() -> None:
    with pytest.raises(ValueError, match="same number"):
        expected_mutual_info(np.array([2, 2]), np.array([3, 2]))


def test_b_cubed_on_a_million_items_by_formula() -> None:
    # Gold clusters of 10, predicted clusters of 5 nested inside them: precision 1, recall 5/10.
    n = 1_000_000
    items = np.arange(n)
    precision, recall, f1 = b_cubed(items // 10, items // 5)
    assert precision == pytest.approx(1.0)
    assert recall == pytest.approx(0.5)
    assert f1 == pytest.approx(2 / 3)


def test_cluster_scores_on_many_small_clusters_is_not_quadratic() -> None:
    # 100k gold clusters x 200k predicted clusters: scikit-learn's AMI would loop 2e10 times here.
    n = 1_000_000
    items = np.arange(n)
    scores = cluster_scores(items // 10, items // 5)
    assert scores["pair_precision"] == pytest.approx(1.0)
    assert scores["pair_recall"] == pytest.approx((200_000 * 10) / (100_000 * 45))
    assert 0.0 < scores["ami"] < 1.0


@pytest.mark.parametrize(
    ("gold", "pred"),
    [([1, 2, 3], [1, 2]), ([], []), ([[1, 2]], [[1, 2]])],
)
def test_cluster_scores_rejects_bad_input(gold: list, pred: list) -> None:
    with pytest.raises(ValueError):
        cluster_scores(gold, pred)


def test_binary_scores_by_hand() -> None:
    # TP 2 (items 0, 1), FN 2 (items 2, 3), FP 1 (item 5), TN 1 (item 4).
    # positive: p 2/3, r 1/2, F1 4/7; negative: p 1/3, r 1/2, F1 2/5; macro (4/7 + 2/5) / 2 = 17/35.
    scores = binary_scores([1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1])
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(4 / 7)
    assert scores["accuracy"] == pytest.approx(0.5)
    assert scores["macro_f1"] == pytest.approx(17 / 35)
    assert scores["n"] == 6


def test_binary_scores_rejects_non_binary_and_mismatched() -> None:
    with pytest.raises(ValueError, match="0/1"):
        binary_scores([0, 2], [0, 1])
    with pytest.raises(ValueError, match="items"):
        binary_scores([0, 1, 1], [0, 1])


LABELS = [1, 1, 0, 1, 0, 0]
SCORES = [0.9, 0.8, 0.7, 0.4, 0.3, 0.1]


def test_pair_scores_at_a_given_threshold() -> None:
    # >= 0.5 predicts items 0, 1, 2: TP 2, FP 1, FN 1 (item 3), TN 2.
    scores = pair_scores(LABELS, SCORES, 0.5)
    assert set(scores) == {"precision", "recall", "f1", "accuracy", "threshold", "n"}
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    assert scores["accuracy"] == pytest.approx(4 / 6)
    assert scores["threshold"] == 0.5 and scores["n"] == 6


def test_best_threshold_by_hand() -> None:
    # F1 = 2 TP / (predicted + 3) at t = .9, .8, .7, .4, .3, .1: 2/4, 4/5, 4/6, 6/7, 6/8, 6/9 -> t = 0.4.
    assert best_threshold(LABELS, SCORES) == 0.4
    scores = pair_scores(LABELS, SCORES, None)
    assert scores["threshold"] == 0.4
    assert scores["f1"] == pytest.approx(6 / 7)
    assert scores["precision"] == pytest.approx(3 / 4) and scores["recall"] == 1.0
    assert scores["accuracy"] == pytest.approx(5 / 6)


def test_best_threshold_takes_whole_runs_of_equal_scores() -> None:
    # Cutting inside the run of 0.5s would look like F1 2/3 but ">= 0.5" takes all three (F1 2/5);
    # the reachable best is t = 0.1 (F1 4/6).
    assert best_threshold([1, 0, 0, 1], [0.5, 0.5, 0.5, 0.1]) == 0.1


def test_best_threshold_ties_go_to_the_highest_threshold() -> None:
    # t = .9 -> 2/3, .8 -> 1/2, .7 -> 2/5, .6 -> 4/6: tie between .9 and .6.
    assert best_threshold([1, 0, 0, 1], [0.9, 0.8, 0.7, 0.6]) == 0.9


def test_best_threshold_rejects_no_positives_and_bad_scores() -> None:
    with pytest.raises(ValueError, match="positive"):
        best_threshold([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="finite"):
        pair_scores([0, 1], [0.1, float("nan")], 0.5)
    with pytest.raises(ValueError, match="items"):
        pair_scores([0, 1], [0.1, 0.2, 0.3], 0.5)
    with pytest.raises(ValueError, match="empty"):
        pair_scores([], [], 0.5)


def test_worst_clusters_lists_merges_and_splits() -> None:
    titles = ["a1", "a2", "a3", "b1", "b2", "c1", "c2", "d1", "d2"]
    gold = ["A", "A", "A", "B", "B", "C", "C", "D", "D"]
    pred = ["p", "p", "p", "p", "q", "q", "q", "r", "s"]
    # p = {A: 3, B: 1}, q = {B: 1, C: 2}, r = {D}, s = {D}; B is torn over p and q, D over r and s.
    report = worst_clusters(gold, pred, titles, n=3)
    merged = report["merged"]
    assert [row["pred_cluster"] for row in merged] == ["p", "q"]
    assert merged[0] == {
        "pred_cluster": "p",
        "size": 4,
        "n_gold": 2,
        "gold_clusters": [{"label": "A", "count": 3}, {"label": "B", "count": 1}],
        "titles": ["a1", "b1"],
    }
    assert merged[1]["titles"] == ["c1", "b2"]
    split = report["split"]
    assert [row["gold_cluster"] for row in split] == ["B", "D"]
    assert split[0]["n_pred"] == 2 and split[0]["titles"] == ["b1", "b2"]
    assert worst_clusters(gold, pred, titles, n=1)["merged"][0]["pred_cluster"] == "p"


def test_worst_clusters_is_empty_for_a_perfect_clustering_and_checks_titles() -> None:
    assert worst_clusters([0, 0, 1], [5, 5, 6], ["x", "y", "z"]) == {"merged": [], "split": []}
    with pytest.raises(ValueError, match="titles"):
        worst_clusters([0, 0, 1], [5, 5, 6], ["x", "y"])


def test_largest_clusters_give_purity_of_the_biggest_predicted_clusters() -> None:
    from cluster.metrics import largest_clusters

    gold = ["a", "a", "a", "b", "c", "c", "d"]
    pred = [1, 1, 1, 1, 2, 2, 3]
    rows = largest_clusters(gold, pred, n=2)
    assert [r["pred_cluster"] for r in rows] == [1, 2]
    assert rows[0]["size"] == 4 and rows[0]["purity"] == 0.75 and rows[0]["n_gold"] == 2
    assert rows[0]["gold_clusters"] == [{"label": "a", "count": 3}, {"label": "b", "count": 1}]
    assert rows[1]["purity"] == 1.0 and rows[1]["n_gold"] == 1
    with pytest.raises(ValueError, match="at least 1"):
        largest_clusters(gold, pred, n=0)
