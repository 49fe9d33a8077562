"""The figures of benchmarks/bench_dedup.py on hand-made copy groups."""

from __future__ import annotations

from benchmarks.bench_dedup import components, keep_figures

PAIRS = [("a", "b"), ("b", "c"), ("d", "e")]  # two copy groups: {a, b, c} and {d, e}; f stands alone


def test_components_join_chains_into_one_group() -> None:
    group = components(PAIRS)
    assert group["a"] == group["b"] == group["c"] != group["d"] == group["e"]


def test_one_kept_per_group_is_full_coverage_without_redundancy() -> None:
    assert keep_figures({"a", "d", "f"}, PAIRS, 6) == {
        "articles": 6, "kept": 3, "copy_groups": 2, "coverage": 1.0, "exactly_one": 1.0, "redundancy": 0.0,
    }


def test_a_lost_group_and_a_kept_copy_pair_are_counted() -> None:
    figures = keep_figures({"a", "b", "f"}, PAIRS, 6)  # {d, e} lost; a and b both kept, and b copies a
    assert (figures["coverage"], figures["exactly_one"], figures["redundancy"]) == (0.5, 0.0, round(1 / 3, 4))
