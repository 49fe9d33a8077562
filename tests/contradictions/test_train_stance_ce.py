"""Known-answer tests of the stance cross-encoder experiment's pure parts (benchmarks/train_stance_ce.py): the focus
text the model reads, the story split and the train-only choice between the lexicon head, the model and their stack."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.train_stance_ce import best_threshold, delexicalise, focus_text, held_out_story, stack

ARTICLE = (
    "It rained all weekend. Cats stayed inside. A shark was seen on a flooded highway in Houston. "
    "Dogs barked at the thunder."
)
STATEMENT = "Shark swims down a flooded Houston highway"


def test_focus_text_keeps_the_lead_and_the_on_topic_sentences_in_article_order() -> None:
    assert focus_text(STATEMENT, ARTICLE, max_words=12) == (
        "It rained all weekend. A shark was seen on a flooded highway in Houston."
    )
    assert focus_text(STATEMENT, ARTICLE, max_words=1) == "It rained all weekend."  # the lead comes first
    assert focus_text(STATEMENT, ARTICLE, max_words=500) == ARTICLE  # all of it when it fits
    with pytest.raises(ValueError, match="max_words"):
        focus_text(STATEMENT, ARTICLE, max_words=0)


def test_the_held_out_part_is_whole_stories_and_about_a_fifth() -> None:
    stories = [f"t{i:03d}" for i in range(189)]
    held = [s for s in stories if held_out_story(s, seed=0)]
    assert 25 <= len(held) <= 50
    assert held == [s for s in stories if held_out_story(s, seed=0)]  # seeded: the same every run
    assert held != [s for s in stories if held_out_story(s, seed=1)]


def test_stack_scores_each_candidate_out_of_fold_and_learns_which_input_carries_the_label() -> None:
    rng = np.random.default_rng(0)
    y = np.array([1, 0, 0, 0] * 50)
    groups = np.repeat([f"s{i}" for i in range(10)], 20)
    informative = np.clip(0.5 + 0.35 * (2 * y - 1) + rng.normal(0, 0.1, y.size), 0.01, 0.99)
    noise = rng.uniform(0.05, 0.95, y.size)
    out = stack(y, p_model=noise, p_lex=informative, groups=groups)
    assert out["lexicon"]["macro_f1"] > 0.95 and out["cross_encoder"]["macro_f1"] < 0.7
    assert abs(out["stacker"]["w_lexicon"]) > 5 * abs(out["stacker"]["w_model"])
    assert out["stacked"]["n"] == y.size


def test_best_threshold_finds_the_cut_between_the_classes() -> None:
    y = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8])
    threshold, macro = best_threshold(y, scores)
    assert macro == pytest.approx(1.0) and threshold == 0.31  # the lowest cut that separates them
    assert ((scores >= threshold) == y.astype(bool)).all()  # the returned (rounded) cut is the one scored


def test_delexicalise_masks_the_claim_but_keeps_the_refutation_cues() -> None:
    statement, focus = delexicalise(
        "Shark photo from Houston is a hoax",
        "A photo of a shark in Houston spread on Sunday. Experts said the image is a hoax, as in 2005.",
    )
    assert statement == "[MASK] [MASK] from [MASK] is a hoax"  # shared words and names go, "hoax" stays
    assert focus == "A [MASK] of a [MASK] in [MASK] spread on [MASK]. Experts said the image is a hoax, as in [MASK]."
