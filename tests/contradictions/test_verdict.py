"""Known-answer tests of the rule combining the layers and the contradict command (cluster.contradictions.verdict)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cluster.contradictions import (
    PairVerdict,
    contradiction_score,
    contradiction_verdict,
    score_statement_pair,
)


class FakeNLI:
    """Says 0.9 for pairs whose premise contains 'hoax', 0.1 otherwise; records what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        self.seen.extend(pairs)
        return np.array([0.9 if "hoax" in a else 0.1 for a, _ in pairs], dtype=np.float32)


def test_score_statement_pair_detail_then_claim_then_nothing() -> None:
    verdict = score_statement_pair("At least 12 people died in the fire.", "At least 40 people died in the fire.")
    assert isinstance(verdict, PairVerdict)
    assert verdict.kind == "number" and verdict.spans is not None
    assert verdict.spans[0].text == "12"
    claim = score_statement_pair(
        "The video shows the woman after surgery.", "The video of the woman is a hoax.", nli=FakeNLI()
    )
    assert claim.kind == "claim" and claim.score == pytest.approx(0.9)
    none = score_statement_pair("The sun is hot.", "The moon is made of rock.", nli=FakeNLI())
    assert none.kind is None and none.spans is None


DEBUNK = (
    "A photo said to show a shark swimming down a flooded highway in Houston spread quickly on Sunday. "
    "Experts said the image is a hoax. The picture was doctored: the shark was pasted in from a 2005 "
    "magazine photo, a photo editor told reporters. Snopes debunked the same fake during earlier storms. "
    "There is no evidence that any shark swam in the floodwater."
)


REPORT = (
    "A shark was seen swimming down a flooded highway in Houston on Sunday, residents said. Several drivers "
    "filmed the animal as it passed stranded cars. Wildlife officials said sharks can enter flooded areas "
    "from the bay during storm surges. Police urged residents to stay out of the water."
)


def test_an_article_that_debunks_a_statement_contradicts_it_and_one_that_reports_it_does_not() -> None:

    claim = "Shark swims down flooded Houston highway"
    debunked = contradiction_verdict(claim, DEBUNK)
    assert debunked["contradiction"] and debunked["kind"] == "claim"
    assert debunked["layers"][0] == "stance" and debunked["stance"]["label"] == "disagree"
    assert "hoax" in debunked["evidence"] or "fake" in debunked["evidence"] or "doctored" in debunked["evidence"]
    reported = contradiction_verdict(claim, REPORT)
    assert not reported["contradiction"] and reported["stance"]["label"] == "agree"
    assert reported["score"] < debunked["score"]


def test_the_statement_own_polarity_flips_the_article_verdict() -> None:

    assert not contradiction_verdict("Shark photo from Houston is a hoax", DEBUNK)["contradiction"]


def test_a_short_text_is_judged_sentence_by_sentence_without_the_stance_layer() -> None:

    verdict = contradiction_verdict("The storm killed 12 people.", "The storm killed 40 people. Roads were closed.")
    assert "stance" not in verdict and verdict["kind"] == "number" and verdict["contradiction"]


def test_contradiction_score_is_the_verdict_score_for_articles_and_sentences() -> None:

    for statement, text in (
        ("Shark swims down flooded Houston highway", DEBUNK),
        ("Shark swims down flooded Houston highway", REPORT),
        ("The storm killed 12 people.", "The storm killed 40 people. Roads were closed."),
    ):
        assert contradiction_score(statement, text) == contradiction_verdict(statement, text)["score"]


def test_contradict_command_names_kind_spans_and_evidence_sentence() -> None:

    from typer.testing import CliRunner

    from cli.app import app

    article = "Rescuers worked through the night. Officials said 40 people died in the quake on Thursday."
    result = CliRunner().invoke(
        app, ["contradict", "At least 12 people died in the quake.", article, "--no-nli", "--json"]
    )
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert (verdict["kind"], verdict["span_a"], verdict["span_b"]) == ("number", "12", "40")
    assert verdict["evidence"] == "Officials said 40 people died in the quake on Thursday."
    assert verdict["layers"] == ["detail"]


def test_eval_pairs_contradiction_task_reports_macro_f1(tmp_path) -> None:

    from typer.testing import CliRunner

    from cli.app import app

    rows = [
        {
            "text1": "Brightwell confirmed the recall on Monday.",
            "text2": "Brightwell denied the recall on Monday.",
            "label": 1,
        },
        {"text1": "The quake struck on Thursday morning.", "text2": "The quake struck on Tuesday morning.", "label": 1},
        {
            "text1": "The river flooded the town.",
            "text2": "Water covered the lower town after the river rose.",
            "label": 0,
        },
        {"text1": "Kerry met Putin in Moscow.", "text2": "Kerry and Putin held talks in Moscow.", "label": 0},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    args = ["eval", "pairs", str(path), "--task", "contradiction", "--no-nli", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"precision", "recall", "f1", "accuracy", "threshold", "n", "macro_f1"}
    assert (report["f1"], report["macro_f1"], report["n"]) == (1.0, 1.0, 4)
