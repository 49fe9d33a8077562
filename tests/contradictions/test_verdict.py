"""Known-answer tests of the rule combining the layers and the contradict command (cluster.contradictions.verdict)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from cluster.contradictions import (
    Conflict,
    ContradictionParams,
    PairVerdict,
    Span,
    VerdictRule,
    contradiction_score,
    contradiction_verdict,
    detail_conflicts,
    find_contradictions,
    judge,
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
    assert debunked.contradiction and debunked.kind == "claim"
    assert debunked.layers[0] == "stance" and debunked.stance is not None and debunked.stance.label == "disagree"
    assert "hoax" in debunked.evidence or "fake" in debunked.evidence or "doctored" in debunked.evidence
    reported = contradiction_verdict(claim, REPORT)
    assert not reported.contradiction and reported.stance is not None and reported.stance.label == "agree"
    assert reported.score < debunked.score
    as_json = debunked.to_dict()  # what `contradict --json` prints for an article
    assert list(as_json) == ["contradiction", "kind", "score", "evidence", "span_a", "span_b", "stance", "detail",
                             "layers"]
    assert as_json["stance"]["label"] == "disagree" and as_json["detail"]["layers"] == ["detail"]


def test_the_statement_own_polarity_flips_the_article_verdict() -> None:

    assert not contradiction_verdict("Shark photo from Houston is a hoax", DEBUNK).contradiction


def test_a_short_text_is_judged_sentence_by_sentence_without_the_stance_layer() -> None:

    verdict = contradiction_verdict("The storm killed 12 people.", "The storm killed 40 people. Roads were closed.")
    assert verdict.stance is None and verdict.kind == "number" and verdict.contradiction
    assert "stance" not in verdict.to_dict()


def test_contradiction_score_is_the_verdict_score_for_articles_and_sentences() -> None:

    for statement, text in (
        ("Shark swims down flooded Houston highway", DEBUNK),
        ("Shark swims down flooded Houston highway", REPORT),
        ("The storm killed 12 people.", "The storm killed 40 people. Roads were closed."),
    ):
        assert contradiction_score(statement, text) == contradiction_verdict(statement, text).score


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
    keys = {"precision", "recall", "f1", "accuracy", "threshold", "n", "macro_f1", "best_threshold", "best_f1"}
    assert set(report) == keys
    assert report["threshold"] == 0.5  # the tool's own for sentence pairs, not the best on this file
    assert (report["f1"], report["macro_f1"], report["n"]) == (1.0, 1.0, 4)
    assert report["best_f1"] == 1.0


# --- one rule for the stage and the contradict command ----------------------------------------


class ConstantNLI:
    """Every pair, both directions, gets the same P(contradiction)."""

    def __init__(self, p: float) -> None:
        self.p = p

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        return np.full(len(pairs), self.p, dtype=np.float32)


def _conflict(score: float) -> Conflict:
    return Conflict("entity", score, Span(0, 3, "Kim"), Span(0, 3, "Lee"), "Kim vs Lee")


def test_judge_combines_the_layers_by_the_rule() -> None:
    command, stage = VerdictRule(), ContradictionParams().rule()
    assert (stage.min_detail, stage.nli_threshold, stage.nli_raises_from) == (0.5, 0.9, 0.9)
    a, b = "Kim leads.", "Lee leads."
    assert judge(a, b, [_conflict(0.7)], None, stage)[::3] == ("entity", "detail")
    assert judge(a, b, [_conflict(0.7)], 0.95, stage)[:2] == ("entity", 0.95)
    assert judge(a, b, [_conflict(0.7)], 0.95, stage).layer == "both"
    assert judge(a, b, [], 0.95, stage)[::3] == ("claim", "nli")
    assert judge(a, b, [], 0.95, stage).spans == (Span(0, 10, a), Span(0, 10, b))
    # where the two rules differ: a weak detail conflict and a middling NLI score
    assert judge(a, b, [_conflict(0.4)], None, stage).kind is None  # under the stage's min_score
    assert judge(a, b, [_conflict(0.4)], 0.45, command)[:2] == ("entity", 0.45)  # the command ranks by NLI too
    assert judge(a, b, [_conflict(0.7)], 0.8, stage).score == 0.7  # the stage moves a score from 0.9 only
    assert judge(a, b, [_conflict(0.7)], 0.8, command).score == 0.8
    assert judge(a, b, [], 0.6, command).kind == "claim" and judge(a, b, [], 0.6, stage).kind is None
    assert judge(a, b, [], None, command) == PairVerdict(None, 0.0, None, None)
    with pytest.raises(ValueError, match="nli_threshold"):
        VerdictRule(nli_threshold=1.5)


@pytest.mark.parametrize(
    ("a", "b", "nli"),
    [
        ("Brightwell confirmed the recall on Monday.", "Brightwell denied the recall on Monday.", None),
        ("Brightwell confirmed the recall on Monday.", "Brightwell denied the recall on Monday.", 0.95),
        ("Brightwell recalled 5,000 cars on Monday.", "Brightwell recalled 7,000 cars on Monday.", 0.2),
        ("The council approved the new bridge plan.", "The council shelved the new bridge plan.", 0.95),
    ],
)
def test_the_stage_and_the_contradict_command_give_the_same_verdict(a: str, b: str, nli: float | None) -> None:
    scorer = ConstantNLI(nli) if nli is not None else None
    paragraphs = pl.DataFrame(
        {"para_id": [0, 1], "doc_id": [0, 1], "id": ["a", "b"], "text_id": [0, 1], "text": [a, b]}
    )
    vectors = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    table = find_contradictions(paragraphs, np.array([0, 0]), vectors, scorer, ContradictionParams(all_flags=True))
    assert table.height == 1
    row = table.row(0, named=True)
    pair = score_statement_pair(a, b, scorer)
    assert (row["kind"], row["span_a"], row["span_b"]) == (pair.kind, pair.spans[0].text, pair.spans[1].text)
    assert row["score"] == pytest.approx(pair.score, abs=1e-4)
    assert row["layer"] == judge(a, b, detail_conflicts(a, b), nli, ContradictionParams().rule()).layer
    verdict = contradiction_verdict(a, b, scorer)  # the command: the text is one sentence here
    assert (verdict.kind, verdict.span_a, verdict.span_b) == (row["kind"], row["span_a"], row["span_b"])
