"""Known answers of benchmarks/flag_rules_cv.py: labelled pairs judged again by the current rules."""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.flag_rules_cv import judged, labelled, main

FIELDS = ("story_id", "sentence_a", "sentence_b", "layer", "verdict")
ROWS = [
    ("1", "At least 12 people died in the quake.", "Officials said 40 people were killed in the quake.", "detail",
     "true"),
    ("2", "About 50 people have been arrested in the case.", "More than 30 people have been arrested in the case.",
     "detail", "false"),
    ("3", "Officials met on Monday.", "The model fires on this pair.", "nli", "false"),
]


def _sheet(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    return path


def test_pairs_are_judged_as_the_stage_would(tmp_path: Path) -> None:
    rows = labelled([_sheet(tmp_path / "a.csv", ROWS)])
    assert [judged(r) for r in rows] == [("number", "high"), ("number", "low"), ("nli", "low")]


def test_the_last_sheet_labels_a_pair(tmp_path: Path) -> None:
    first = _sheet(tmp_path / "a.csv", ROWS[:1])
    relabel = _sheet(tmp_path / "b.csv", [(*ROWS[0][:4], "false")])
    (row,) = labelled([first, relabel])
    assert row["truth"] is False


def test_main_prints_precision_and_the_cv(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--labels", str(_sheet(tmp_path / "a.csv", ROWS)), "--folds", "2"]) == 0
    out = capsys.readouterr().out
    assert "3 labelled pairs (1 true)" in out
    assert "precision 1/1 = 1.000" in out
