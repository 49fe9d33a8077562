"""Known-answer tests for cluster.stance (headline polarity, on-topic refutation, signed features) and
for the story-grouped design selection of benchmarks/bench_contradictions.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cluster.contradictions import (
    FEATURES_ALL,
    LAYER_CANDIDATES,
    StanceHead,
    default_nli_path,
    on_topic_refutation,
    refutation_counts,
    split_sentences,
    stance_features,
    statement_polarity,
    statement_refutes,
    statement_refutes_parity,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_contradictions import best_threshold, out_of_fold, select_design  # noqa: E402

# --- headline polarity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headline", "refutes"),
    [
        ("Woman gets third breast implanted", False),
        ("Third boob likely a hoax", True),
        ("'Three-boobed' woman: They're not fake", False),  # negated cue affirms, despite the colon before
        ("\u2018Three-boobed\u2019 woman: They\u2019re not fake", False),  # curly quotes
        ("Triple-breasted woman vows footage will prove third boob is no hoax", False),
        ("Sorry, the President Didn't Actually Adopt a Werewolf", True),  # negated claim
        ("No, the moon is not made of cheese", True),
        ("IBM denies layoff rumors", True),  # a denial refutes what it denies
        ("Woman with three breasts denies surgery hoax claims", False),  # denying a hoax affirms
        ("Raven-Symone Did NOT Accuse Bill Cosby Of Rape \u2014 It's A HOAX", True),  # two signals add up
        ("Hugh Hefner is not dead: Playboy founder makes it to film night despite rumours", True),
    ],
)
def test_statement_refutes_known_headlines(headline: str, refutes: bool) -> None:
    assert statement_refutes(headline) is refutes


def test_statement_polarity_adds_signals_where_parity_cancels_them() -> None:
    headline = "Raven-Symone Did NOT Accuse Bill Cosby Of Rape \u2014 It's A HOAX"
    assert statement_polarity(headline) == 2
    assert statement_refutes_parity(headline) is False  # the old rule: two cues cancel
    assert statement_polarity("Woman with three breasts denies surgery hoax claims") == 0  # +1 denial, -1 hoax
    assert statement_polarity("It isn't a hoax") == -1
    with pytest.raises(ValueError):
        statement_polarity(None)  # type: ignore[arg-type]


def test_refutation_counts_punctuation_only_matters_between_negation_and_cue() -> None:
    assert refutation_counts("Critics: it is not fake.") == (0, 1)
    assert refutation_counts("It was not funny; the video was fake.") == (1, 0)


# --- body ------------------------------------------------------------------------------------------

ARTICLE = (
    "Jasmine Tridevil says she had a third breast implanted by a surgeon. "
    "Police in Tampa now say the third breast is a hoax and a fake. "
    "In other news, a celebrity denied rumours about a wedding. "
    "The weather in Florida was sunny."
)
HEADLINE = "Woman has third breast implanted"


def test_on_topic_refutation_counts_only_sentences_about_the_statement() -> None:
    sentences = split_sentences(ARTICLE)
    # on topic: sentences 1 and 2 share "third" and "breast"; the wedding aside's two cues do not count
    assert on_topic_refutation(HEADLINE, sentences) == (2, 2)
    assert refutation_counts(ARTICLE) == (4, 0)
    assert on_topic_refutation("Stock markets fell sharply", sentences) == (0, 0)
    assert on_topic_refutation(HEADLINE, sentences, min_overlap=1.0, min_shared=3) == (0, 0)
    with pytest.raises(ValueError):
        on_topic_refutation(HEADLINE, sentences, min_overlap=1.5)


def test_signed_features_flip_with_the_statement_polarity() -> None:
    asserting, _ = stance_features(HEADLINE, ARTICLE)
    refuting, _ = stance_features("The third breast story is a hoax", ARTICLE)
    assert set(FEATURES_ALL) <= set(asserting)
    assert asserting["head_sign"] == 1.0 and refuting["head_sign"] == -1.0
    assert asserting["ontopic_refute"] == pytest.approx(np.log1p(2))
    assert asserting["ontopic_xor"] > 0
    assert refuting["ontopic_xor"] < 0
    assert asserting["hedge_xor"] == pytest.approx(-refuting["hedge_xor"])


def test_layer_candidates_name_known_features() -> None:
    for candidates in LAYER_CANDIDATES.values():
        for features in candidates:
            assert set(features) <= set(FEATURES_ALL)


@pytest.mark.parametrize("name", ["stance_head.json", "stance_head_lexicon.json"])
def test_shipped_heads_load_and_score(name: str) -> None:
    path = default_nli_path() / name
    if not path.is_file():
        pytest.skip(f"{path} not shipped")
    head = StanceHead.from_json(path)
    features, _ = stance_features(HEADLINE, ARTICLE)
    features |= dict.fromkeys((f for f in head.features if f.startswith("nli_")), 0.0)
    assert 0.0 <= head.probability(features) <= 1.0


# --- design selection (benchmarks/bench_contradictions.py) ----------------------------------------


def _rows(n_stories: int = 6, per_story: int = 20, seed: int = 0) -> list[dict]:
    """Synthetic pairs: ``signal`` separates the labels, ``noise`` does not."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_stories):
        for k in range(per_story):
            disagree = k % 3 == 0
            rows.append(
                {
                    "story": f"s{s}",
                    "disagree": disagree,
                    "signal": float(disagree) + 0.3 * rng.standard_normal(),
                    "noise": float(rng.standard_normal()),
                }
            )
    return rows


def test_out_of_fold_never_scores_a_story_with_a_model_that_saw_it() -> None:
    rows = _rows()
    x = np.array([[r["signal"]] for r in rows])
    y = np.array([r["disagree"] for r in rows])
    groups = np.array([r["story"] for r in rows])
    oof = out_of_fold(x, y, groups, 1.0)
    assert oof.shape == (len(rows),)
    assert oof[y].mean() > 0.8 and oof[~y].mean() < 0.2
    # a story whose removal leaves one class only gets the uninformative 0.5
    single = np.array([True] * 3 + [False] * 3)
    assert np.allclose(out_of_fold(np.ones((6, 1)), single, np.array(["a"] * 3 + ["b"] * 3), 1.0), 0.5)


def test_best_threshold_separates_perfectly_ranked_scores() -> None:
    y = np.array([False, False, True, True])
    p = np.array([0.1, 0.3, 0.6, 0.9])
    t = best_threshold(y, p)
    assert 0.3 < t <= 0.6


def test_select_design_prefers_the_informative_feature() -> None:
    chosen = select_design(_rows(), (("noise",), ("signal",)))
    assert chosen["features"] == ["signal"]
    assert chosen["cv"]["macro_f1"] > 0.9


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
    from cluster.contradictions import contradiction_verdict

    claim = "Shark swims down flooded Houston highway"
    debunked = contradiction_verdict(claim, DEBUNK)
    assert debunked["contradiction"] and debunked["kind"] == "claim"
    assert debunked["layers"][0] == "stance" and debunked["stance"]["label"] == "disagree"
    assert "hoax" in debunked["evidence"] or "fake" in debunked["evidence"] or "doctored" in debunked["evidence"]
    reported = contradiction_verdict(claim, REPORT)
    assert not reported["contradiction"] and reported["stance"]["label"] == "agree"
    assert reported["score"] < debunked["score"]


def test_the_statement_own_polarity_flips_the_article_verdict() -> None:
    from cluster.contradictions import contradiction_verdict

    assert not contradiction_verdict("Shark photo from Houston is a hoax", DEBUNK)["contradiction"]


def test_a_short_text_is_judged_sentence_by_sentence_without_the_stance_layer() -> None:
    from cluster.contradictions import contradiction_verdict

    verdict = contradiction_verdict("The storm killed 12 people.", "The storm killed 40 people. Roads were closed.")
    assert "stance" not in verdict and verdict["kind"] == "number" and verdict["contradiction"]


def test_contradiction_score_is_the_verdict_score_for_articles_and_sentences() -> None:
    from cluster.contradictions import contradiction_score, contradiction_verdict

    for statement, text in (
        ("Shark swims down flooded Houston highway", DEBUNK),
        ("Shark swims down flooded Houston highway", REPORT),
        ("The storm killed 12 people.", "The storm killed 40 people. Roads were closed."),
    ):
        assert contradiction_score(statement, text) == contradiction_verdict(statement, text)["score"]
