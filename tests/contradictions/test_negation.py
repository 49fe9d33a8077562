"""Known-answer tests of negation and antonym flips, opposite claims (cluster.contradictions.negation)."""

from __future__ import annotations

from cluster.contradictions import (
    detail_conflicts,
)


def kinds(a: str, b: str) -> list[str]:
    return [c.kind for c in detail_conflicts(a, b)]


def _flags(a: str, b: str) -> list[str]:
    """Kinds the contradictions table would report (score >= 0.5, its default ``min_score``)."""
    return [c.kind for c in detail_conflicts(a, b) if c.score >= 0.5]


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
