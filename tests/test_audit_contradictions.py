"""Known answers for the hand-audit tool: a flag already labelled in an earlier sheet is not drawn again."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from benchmarks.audit_contradictions import random_sample, unlabelled


def test_labelled_pairs_are_left_out_in_either_order(tmp_path: Path) -> None:
    table = pl.DataFrame(
        {
            "story_id": [1, 1, 2],
            "sentence_a": ["A one.", "B two.", "C three."],
            "sentence_b": ["A uno.", "B dos.", "C tres."],
            "kind": ["number"] * 3,
        }
    )
    sheet = tmp_path / "labels.csv"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["sentence_a", "sentence_b", "verdict"])
        writer.writeheader()
        writer.writerow({"sentence_a": "A one.", "sentence_b": "A uno.", "verdict": "true"})
        writer.writerow({"sentence_a": "B dos.", "sentence_b": "B two.", "verdict": "false"})  # the other order
    left = unlabelled(table, [sheet])
    assert left["sentence_a"].to_list() == ["C three."]
    assert unlabelled(table, []).height == 3
    assert [r["sentence_a"] for r in random_sample(left, 60, seed=2030)] == ["C three."]
