"""Clustering and pair metrics for the benchmarks.

Standard scores come from scikit-learn; only B-cubed and the error listings are written here. Everything is
computed from a sparse contingency table (gold class x predicted cluster), never an n x n matrix, so a
million items is fine.

AMI is the one exception to "scikit-learn for the standard ones": scikit-learn's expected-mutual-information
term loops over every (gold class, predicted cluster) pair, which is hours at 1e6 items with many small
clusters (20k items with 10k clusters already take 13 s). The expectation depends only on cluster *sizes*, so
it is computed here once per distinct (gold size, predicted size) pair, weighted by how often each occurs;
the tests check it equals scikit-learn's value.

Conventions: a ratio whose numerator and denominator are both zero counts as 1.0 when there was nothing to
find and nothing was predicted (e.g. pair precision and recall when gold and prediction are all singletons),
and 0.0 otherwise, like scikit-learn's ``zero_division=0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import gammaln
from sklearn.metrics import (
    adjusted_rand_score,
    mutual_info_score,
    normalized_mutual_info_score,
    precision_recall_fscore_support,
    v_measure_score,
)
from sklearn.metrics.cluster import contingency_matrix, pair_confusion_matrix

__all__ = [
    "b_cubed",
    "best_threshold",
    "binary_scores",
    "cluster_scores",
    "expected_mutual_info",
    "pair_scores",
    "worst_clusters",
]


def _labels(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    return array


def _paired(a: Any, b: Any, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    left, right = _labels(a, names[0]), _labels(b, names[1])
    if left.shape != right.shape:
        raise ValueError(f"{names[0]} has {left.size} items but {names[1]} has {right.size}")
    return left, right


def _ratio(num: float, den: float, empty: float = 0.0) -> float:
    return float(num) / float(den) if den else empty


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _table(gold: np.ndarray, pred: np.ndarray) -> sparse.coo_matrix:
    """Sparse contingency table: rows are gold classes, columns predicted clusters (both sorted)."""
    return sparse.coo_matrix(contingency_matrix(gold, pred, sparse=True))


def b_cubed(gold: Any, pred: Any) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga and Baldwin 1998), averaged over items.

    For item i with gold class G and predicted cluster P: precision_i = |G∩P| / |P|, recall_i = |G∩P| / |G|.
    Summed per contingency cell (n_gp items share the same values): precision = Σ n_gp² / |P| / n.
    """
    gold_arr, pred_arr = _paired(gold, pred, ("gold", "pred"))
    table = _table(gold_arr, pred_arr)
    cells = table.data.astype(np.float64)
    gold_sizes = np.asarray(table.sum(axis=1)).ravel().astype(np.float64)
    pred_sizes = np.asarray(table.sum(axis=0)).ravel().astype(np.float64)
    n = float(gold_arr.size)
    precision = float(np.sum(cells**2 / pred_sizes[table.col]) / n)
    recall = float(np.sum(cells**2 / gold_sizes[table.row]) / n)
    return precision, recall, _f1(precision, recall)


def _entropy(sizes: np.ndarray, n: float) -> float:
    share = sizes[sizes > 0] / n
    return float(-np.sum(share * np.log(share)))


_GRID_LIMIT = 4_000_000  # cells of one (predicted sizes x n_ij) block in the expectation below


def expected_mutual_info(gold_sizes: np.ndarray, pred_sizes: np.ndarray) -> float:
    """E[MI] of two random labellings with these cluster sizes (hypergeometric model, natural log).

    Same quantity as scikit-learn's ``expected_mutual_information``, grouped by distinct sizes: the cost is
    Σ over distinct gold sizes a of (#distinct predicted sizes x min(a, largest predicted size)).
    """
    gold_sizes, pred_sizes = np.asarray(gold_sizes), np.asarray(pred_sizes)
    n = float(gold_sizes.sum())
    if n != float(pred_sizes.sum()):
        raise ValueError("gold and predicted cluster sizes must add up to the same number of items")
    if gold_sizes.size <= 1 or pred_sizes.size <= 1:
        return 0.0
    a_values, a_counts = np.unique(gold_sizes.astype(np.int64), return_counts=True)
    b_values, b_counts = np.unique(pred_sizes.astype(np.int64), return_counts=True)
    b_all = b_values.astype(np.float64)
    weight_all = b_counts.astype(np.float64)
    total = 0.0
    for a, a_count in zip(a_values.astype(np.float64), a_counts, strict=True):
        top = int(min(a, b_all[-1]))
        nij = np.arange(1, top + 1, dtype=np.float64)[None, :]
        rows = max(1, _GRID_LIMIT // top)
        for start in range(0, b_all.size, rows):
            b = b_all[start : start + rows, None]
            valid = (nij <= b) & (nij >= a + b - n)
            # Arguments are clipped only where a cell is invalid; those cells are zeroed below.
            log_p = (
                gammaln(a + 1)
                + gammaln(b + 1)
                + gammaln(n - a + 1)
                + gammaln(n - b + 1)
                - gammaln(n + 1)
                - gammaln(nij + 1)
                - gammaln(np.maximum(a - nij, 0) + 1)
                - gammaln(np.maximum(b - nij, 0) + 1)
                - gammaln(np.maximum(n - a - b + nij, 0) + 1)
            )
            log_ratio = np.log(n) + np.log(nij) - np.log(a) - np.log(b)
            term = np.where(valid, nij / n * log_ratio * np.exp(np.where(valid, log_p, -np.inf)), 0.0)
            total += float(a_count) * float(np.sum(term.sum(axis=1) * weight_all[start : start + rows]))
    return total


def _adjusted_mutual_info(table: sparse.coo_matrix, n: int) -> float:
    """scikit-learn's AMI (arithmetic normaliser, same limit cases and clamping) with the grouped E[MI]."""
    gold_sizes = np.asarray(table.sum(axis=1)).ravel()
    pred_sizes = np.asarray(table.sum(axis=0)).ravel()
    if gold_sizes.size == pred_sizes.size == 1:
        return 1.0
    if gold_sizes.size == 1 or pred_sizes.size == 1:
        return 0.0
    mi = float(mutual_info_score(None, None, contingency=table.tocsr()))
    emi = expected_mutual_info(gold_sizes, pred_sizes)
    normaliser = (_entropy(gold_sizes, float(n)) + _entropy(pred_sizes, float(n))) / 2
    eps = np.finfo(np.float64).eps
    denominator = normaliser - emi
    denominator = min(denominator, -eps) if denominator < 0 else max(denominator, eps)
    numerator = mi - emi
    numerator = min(numerator, -eps) if numerator < 0 else max(numerator, eps)
    return float(numerator / denominator)


def _pair_counting(gold: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    # pair_confusion_matrix counts ordered pairs: [1, 1] together in both, [0, 1] together only in pred
    # (false positive), [1, 0] together only in gold (false negative). The factor 2 cancels in the ratios.
    matrix = pair_confusion_matrix(gold, pred)
    tp, fp, fn = int(matrix[1, 1]), int(matrix[0, 1]), int(matrix[1, 0])
    nothing = 1.0 if tp + fp + fn == 0 else 0.0
    precision = _ratio(tp, tp + fp, nothing)
    recall = _ratio(tp, tp + fn, nothing)
    return precision, recall, _f1(precision, recall)


def cluster_scores(gold: Any, pred: Any) -> dict[str, float | int]:
    """All clustering scores of ``pred`` against ``gold`` (two label arrays of equal length).

    Labels may be any hashable numpy-compatible values; every distinct label is one cluster (so map
    "unassigned" markers to unique labels first if they mean singletons).
    """
    gold_arr, pred_arr = _paired(gold, pred, ("gold", "pred"))
    pair_p, pair_r, pair_f = _pair_counting(gold_arr, pred_arr)
    b3_p, b3_r, b3_f = b_cubed(gold_arr, pred_arr)
    return {
        "ari": float(adjusted_rand_score(gold_arr, pred_arr)),
        "ami": _adjusted_mutual_info(_table(gold_arr, pred_arr), gold_arr.size),
        "nmi": float(normalized_mutual_info_score(gold_arr, pred_arr)),
        "v_measure": float(v_measure_score(gold_arr, pred_arr)),
        "pair_precision": pair_p,
        "pair_recall": pair_r,
        "pair_f1": pair_f,
        "b3_precision": b3_p,
        "b3_recall": b3_r,
        "b3_f1": b3_f,
        "n_pred": int(np.unique(pred_arr).size),
        "n_gold": int(np.unique(gold_arr).size),
    }


def _binary(values: Any, name: str) -> np.ndarray:
    array = _labels(values, name)
    if not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0/1 (or booleans)")
    return array.astype(np.int8)


def binary_scores(y_true: Any, y_pred: Any) -> dict[str, float | int]:
    """Precision, recall and F1 of the positive class, accuracy, macro F1 over both classes, and n."""
    truth, guess = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    if truth.shape != guess.shape:
        raise ValueError(f"y_true has {truth.size} items but y_pred has {guess.size}")
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, guess, labels=[0, 1], average=None, zero_division=0
    )
    return {
        "precision": float(precision[1]),
        "recall": float(recall[1]),
        "f1": float(f1[1]),
        "accuracy": float(np.mean(truth == guess)),
        "macro_f1": float(np.mean(f1)),
        "n": int(truth.size),
    }


def _scored(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    truth = _binary(labels, "labels")
    values = _labels(scores, "scores").astype(np.float64)
    if truth.shape != values.shape:
        raise ValueError(f"labels has {truth.size} items but scores has {values.size}")
    if not np.isfinite(values).all():
        raise ValueError("scores must be finite")
    return truth, values


def best_threshold(labels: Any, scores: Any) -> float:
    """The score t maximising F1 of the rule ``score >= t``; ties go to the highest such t.

    Candidates are the distinct scores. One sort, then cumulative counts: O(n log n).
    """
    truth, values = _scored(labels, scores)
    positives = int(truth.sum())
    if positives == 0:
        raise ValueError("best_threshold needs at least one positive label")
    order = np.argsort(-values, kind="stable")
    sorted_scores, sorted_truth = values[order], truth[order]
    true_pos = np.cumsum(sorted_truth)
    predicted = np.arange(1, values.size + 1)
    # Only the last position of each run of equal scores is a reachable cut (>= t takes the whole run).
    last_of_run = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    f1 = 2 * true_pos[last_of_run] / (predicted[last_of_run] + positives)
    return float(sorted_scores[last_of_run][int(np.argmax(f1))])


def pair_scores(labels: Any, scores: Any, threshold: float | None = None) -> dict[str, float | int]:
    """Binary scores of ``score >= threshold`` against 0/1 ``labels``; None picks the best-F1 threshold."""
    truth, values = _scored(labels, scores)
    if threshold is None:
        threshold = best_threshold(truth, values)
    elif not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold}")
    result = binary_scores(truth, (values >= threshold).astype(np.int8))
    return {
        "precision": result["precision"],
        "recall": result["recall"],
        "f1": result["f1"],
        "accuracy": result["accuracy"],
        "threshold": float(threshold),
        "n": result["n"],
    }


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _composition(
    table: sparse.csr_matrix, index: int, other_labels: np.ndarray, limit: int
) -> list[dict[str, Any]]:
    """The largest ``limit`` parts of one row of a csr table, as {label, count} rows."""
    start, end = table.indptr[index], table.indptr[index + 1]
    columns, counts = table.indices[start:end], table.data[start:end]
    order = np.lexsort((columns, -counts))[:limit]
    return [{"label": _python(other_labels[columns[j]]), "count": int(counts[j])} for j in order]


def _ranked(table: sparse.csr_matrix, sizes: np.ndarray, n: int) -> list[int]:
    """Rows mixing the most columns (ties: larger rows first, then row order); only rows with 2+ columns."""
    parts = np.diff(table.indptr)
    order = np.lexsort((np.arange(parts.size), -sizes, -parts))
    return [int(i) for i in order[:n] if parts[i] > 1]


def _titles_by_part(
    members: np.ndarray,
    member_other: np.ndarray,
    parts: list[dict[str, Any]],
    titles: np.ndarray,
    per_part: int,
) -> list[str]:
    chosen: list[str] = []
    for part in parts:
        mine = members[member_other == part["label"]][:per_part]
        chosen.extend(str(titles[i]) for i in mine)
    return chosen


def worst_clusters(
    gold: Any, pred: Any, titles: Sequence[str] | np.ndarray, n: int = 3, per_cluster: int = 3
) -> dict[str, list[dict[str, Any]]]:
    """The ``n`` predicted clusters that merge the most gold clusters, and the ``n`` most-split gold ones.

    Each row names the cluster, its size, how many clusters of the other side it touches, its largest
    ``per_cluster`` parts ({label, count}) and one title from each of those parts, so a reader sees what
    was wrongly joined or torn apart. Clusters touching a single cluster of the other side are never listed.
    """
    gold_arr, pred_arr = _paired(gold, pred, ("gold", "pred"))
    title_arr = np.asarray(titles, dtype=object)
    if title_arr.shape != gold_arr.shape:
        raise ValueError(f"titles has {title_arr.size} items but gold has {gold_arr.size}")
    if n < 1 or per_cluster < 1:
        raise ValueError("n and per_cluster must be at least 1")
    gold_values, gold_codes = np.unique(gold_arr, return_inverse=True)
    pred_values, pred_codes = np.unique(pred_arr, return_inverse=True)
    by_gold = sparse.csr_matrix(contingency_matrix(gold_arr, pred_arr, sparse=True))
    by_pred = by_gold.T.tocsr()
    gold_sizes = np.bincount(gold_codes)
    pred_sizes = np.bincount(pred_codes)

    merged = []
    for code in _ranked(by_pred, pred_sizes, n):
        parts = _composition(by_pred, code, gold_values, per_cluster)
        members = np.flatnonzero(pred_codes == code)
        merged.append(
            {
                "pred_cluster": _python(pred_values[code]),
                "size": int(pred_sizes[code]),
                "n_gold": int(by_pred.indptr[code + 1] - by_pred.indptr[code]),
                "gold_clusters": parts,
                "titles": _titles_by_part(members, gold_arr[members], parts, title_arr, 1),
            }
        )
    split = []
    for code in _ranked(by_gold, gold_sizes, n):
        parts = _composition(by_gold, code, pred_values, per_cluster)
        members = np.flatnonzero(gold_codes == code)
        split.append(
            {
                "gold_cluster": _python(gold_values[code]),
                "size": int(gold_sizes[code]),
                "n_pred": int(by_gold.indptr[code + 1] - by_gold.indptr[code]),
                "pred_clusters": parts,
                "titles": _titles_by_part(members, pred_arr[members], parts, title_arr, 1),
            }
        )
    return {"merged": merged, "split": split}


def largest_clusters(gold: Any, pred: Any, n: int = 5, per_cluster: int = 3) -> list[dict[str, Any]]:
    """The ``n`` largest predicted clusters (ties: first label first) with their purity: the share of their
    members in their commonest gold cluster. Each row: ``pred_cluster``, ``size``, ``purity``, ``n_gold``
    (gold clusters it touches) and its largest ``per_cluster`` gold parts ({label, count}). A giant cluster
    of low purity is the failure a topic-level clustering shows; ARI averages it away."""
    gold_arr, pred_arr = _paired(gold, pred, ("gold", "pred"))
    if n < 1 or per_cluster < 1:
        raise ValueError("n and per_cluster must be at least 1")
    gold_values = np.unique(gold_arr)
    pred_values, pred_codes = np.unique(pred_arr, return_inverse=True)
    by_pred = sparse.csr_matrix(contingency_matrix(gold_arr, pred_arr, sparse=True)).T.tocsr()
    sizes = np.bincount(pred_codes)
    rows = []
    for code in np.lexsort((np.arange(sizes.size), -sizes))[:n]:
        parts = _composition(by_pred, int(code), gold_values, per_cluster)
        rows.append(
            {
                "pred_cluster": _python(pred_values[code]),
                "size": int(sizes[code]),
                "purity": parts[0]["count"] / int(sizes[code]),
                "n_gold": int(by_pred.indptr[code + 1] - by_pred.indptr[code]),
                "gold_clusters": parts,
            }
        )
    return rows
