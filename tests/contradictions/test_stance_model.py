"""Known-answer tests of the stance cross-encoder and the shipped stacked judge (cluster.contradictions.stance_model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cluster.contradictions import (
    StackedStance,
    Stacker,
    contradiction_verdict,
    default_stance_path,
    focus_text,
    judge_stance,
    score_stance,
    shipped_head,
    shipped_stance,
)
from .test_stance import DEBUNKING, REPORTING, SHARK, SHARK_HOAX


def test_focus_text_keeps_the_lead_and_the_on_topic_sentences_in_article_order() -> None:
    article = (
        "It rained all weekend. Cats stayed inside. A shark was seen on a flooded highway in Houston. "
        "Dogs barked at the thunder."
    )
    statement = "Shark swims down a flooded Houston highway"
    assert focus_text(statement, article, max_words=12) == (
        "It rained all weekend. A shark was seen on a flooded highway in Houston."
    )
    assert focus_text(statement, article, max_words=1) == "It rained all weekend."  # the lead comes first
    assert focus_text(statement, article, max_words=500) == article  # all of it when it fits


def test_focus_text_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="max_words"):
        focus_text("a", "b", max_words=0)
    with pytest.raises(ValueError, match="must be str"):
        focus_text("a", None)  # type: ignore[arg-type]


def test_stacker_is_a_logistic_over_the_two_logits(tmp_path: Path) -> None:
    stacker = Stacker(w_model=1.0, w_lexicon=0.0, bias=0.0, threshold=0.5)
    assert stacker.probability(0.8, 0.1) == pytest.approx(0.8)  # unit weight on the model: its own probability
    both = Stacker(w_model=1.0, w_lexicon=1.0, bias=0.0, threshold=0.5)
    assert both.probability(0.8, 0.2) == pytest.approx(0.5)  # logit(0.8) + logit(0.2) = 0
    assert both.probability(0.8, 0.8) == pytest.approx(16 / 17)  # odds 4 * 4
    path = tmp_path / "stacker.json"
    both.to_json(path)
    assert Stacker.from_json(path) == both
    path.write_text(json.dumps({"w_model": 1.0}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a stance stacker"):
        Stacker.from_json(path)


def test_the_shipped_stance_folder_holds_the_model_and_the_stacker() -> None:
    folder = default_stance_path()
    config = json.loads(folder.joinpath("config.json").read_text(encoding="utf-8"))
    assert set(config["id2label"].values()) == {"other", "contradiction"}
    info = json.loads(folder.joinpath("train_info.json").read_text(encoding="utf-8"))
    assert info["held_out_cv"]["stacked"]["n"] > 500  # fitted and chosen on held-out TRAIN stories
    assert 0.0 < shipped_stance().threshold < 1.0


def test_the_shipped_judge_gives_known_verdicts() -> None:
    """A debunking article disagrees with the claim, a report agrees; the model and the lexicon both see it."""
    judge = shipped_stance()
    debunked = judge.score(SHARK, DEBUNKING)
    reported = judge.score(SHARK, REPORTING)
    assert debunked.label == "disagree" and debunked.score >= judge.threshold
    assert reported.label == "agree" and reported.score < judge.threshold
    assert debunked.features["p_model"] > reported.features["p_model"] + 0.3
    assert debunked.evidence is not None and "fake" in debunked.evidence.sentence.lower()
    # a statement that itself says "hoax": the debunking article agrees with it (lower than vs the claim)
    assert judge.score(SHARK_HOAX, DEBUNKING).score < debunked.score


def test_judge_stance_dispatches_on_the_judge() -> None:
    head = shipped_head()
    assert judge_stance(SHARK, DEBUNKING, head) == score_stance(SHARK, DEBUNKING, None, head)
    judge = shipped_stance()
    assert isinstance(judge, StackedStance)
    assert judge_stance(SHARK, DEBUNKING, judge).score == judge.score(SHARK, DEBUNKING).score


def test_contradiction_verdict_on_an_article_uses_the_shipped_stacked_judge() -> None:
    verdict = contradiction_verdict(SHARK, DEBUNKING)
    assert verdict.contradiction and verdict.kind == "claim" and verdict.layers[0] == "stance"
    assert verdict.stance is not None and verdict.stance.threshold == shipped_stance().threshold
    assert verdict.score == pytest.approx(shipped_stance().score(SHARK, DEBUNKING).score)
