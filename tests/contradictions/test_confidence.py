"""Known answers: which flags the default contradictions table trusts (``high``), and which it keeps only
with ``--all-flags`` (``low``); renderings of one statement and navigation lines are never flagged."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cluster.contradictions import ContradictionParams, detail_conflicts, find_contradictions
from cluster.contradictions.confidence import confidence, marks_update
from cluster.contradictions.nonclaims import is_navigation_line, same_statement


class ConstantNLI:
    def __init__(self, value: float) -> None:
        self.value = value

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        return np.full(len(pairs), self.value, dtype=np.float32)


def _table(a: str, b: str, nli: ConstantNLI | None = None, all_flags: bool = False) -> pl.DataFrame:
    columns = {"para_id": [0, 1], "doc_id": [0, 1], "id": ["a", "b"], "text_id": [0, 1], "text": [a, b]}
    paragraphs = pl.DataFrame(columns)
    vectors = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    return find_contradictions(paragraphs, np.array([0, 0]), vectors, nli, ContradictionParams(all_flags=all_flags))


def _evidence(a: str, b: str) -> str:
    return detail_conflicts(a, b)[0].evidence


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # concrete details said two ways: trusted
        ("At least 12 people died in the quake.", "Local officials said 40 people were killed in the quake.", "high"),
        (
            "The quake struck at 4:12 a.m. local time on Thursday, the U.S. Geological Survey said.",
            "The quake hit at 4:12 a.m. local time on Wednesday, according to the U.S. Geological Survey.",
            "high",
        ),
        ("Brightwell confirmed the recall on Monday.", "Brightwell denied any recall on Monday.", "high"),
        (
            "The recall was announced by Brightwell chief executive Laura Simmons in Chicago.",
            "The recall was announced by Daniel Okafor, Brightwell's chief executive, in Chicago.",
            "high",
        ),
        # two names of one place, a bare "not", a figure of another time: kept only with --all-flags
        (
            "A Delta flight from New York to Israel was delayed when passengers refused to sit between two women.",
            "A flight from New York to Tel Aviv was delayed after passengers refused to sit next to women.",
            "low",
        ),
        (
            "Saudi Arabia's national airline employs women from other countries as flight attendants.",
            "The airline does not employ Saudi women as flight attendants.",
            "low",
        ),
        (
            "Reports say the militants are now just one mile from Baghdad.",
            "Earlier the vicar had claimed the militants were six miles from Baghdad.",
            "low",
        ),
    ],
)
def test_confidence_of_detail_flags(a: str, b: str, expected: str) -> None:
    found = detail_conflicts(a, b)
    assert found, "the detail layer must find the conflict"
    assert confidence(found[0].kind, found[0].evidence, "detail", a, b) == expected


def test_evidence_names_the_finding() -> None:
    confirmed, denied = "Brightwell confirmed the recall on Monday.", "Brightwell denied any recall on Monday."
    assert _evidence(confirmed, denied) == "antonym"
    assert _evidence("The airline employs women as crew.", "The airline does not employ women as crew.") == (
        "negation flip"
    )
    assert _evidence("At least 12 people died in the quake.", "Officials said 40 people were killed in the quake.") == (
        "number"
    )


def test_an_nli_only_claim_is_low_and_a_negation_the_nli_agrees_with_is_high() -> None:
    assert confidence("claim", "nli", "nli", "x", "y") == "low"
    assert confidence("negation", "negation flip", "both", "x", "y") == "high"
    assert confidence("claim", "opposite claim", "detail", "x", "y") == "high"
    assert confidence("dispute", "dispute", "detail", "x", "y") == "high"


def test_a_date_keeps_its_confidence_beside_an_update_word() -> None:
    a, b = "On Aug. 20, the group released a video.", "The group had previously released a video on Aug. 19."
    assert confidence("date", "date", "detail", a, b) == "high"  # an event's date does not change over time
    assert confidence("number", "number", "detail", a, b) == "low"  # a count may


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Earlier Canon White had claimed the group was six miles from the city.", True),
        ("The toll has risen to 40, officials said.", True),
        ("At least 12 people died, officials said.", False),
        ("He knows the area well.", False),  # "now" inside a word
    ],
)
def test_marks_update(sentence: str, expected: bool) -> None:
    assert marks_update(sentence) is expected


def test_the_default_table_keeps_high_flags_and_all_flags_adds_low_ones_marked() -> None:
    a = "Saudi Arabia's national airline employs women from other countries as flight attendants."
    b = "The airline does not employ Saudi women as flight attendants."
    assert _table(a, b).is_empty()
    every = _table(a, b, all_flags=True)
    assert every.select("kind", "evidence", "confidence").row(0) == ("negation", "negation flip", "low")
    c, d = "Brightwell confirmed the recall on Monday.", "Brightwell denied any recall on Monday."
    assert _table(c, d).select("kind", "evidence", "confidence").row(0) == ("negation", "antonym", "high")


def test_an_nli_only_claim_needs_all_flags() -> None:
    a, b = "The council approved the new bridge plan.", "The council shelved the new bridge plan."
    assert _table(a, b, ConstantNLI(0.95)).is_empty()
    row = _table(a, b, ConstantNLI(0.95), all_flags=True).row(0, named=True)
    assert (row["kind"], row["layer"], row["confidence"]) == ("claim", "nli", "low")


QUOTE = (
    "The local myth of the lobizón is not in any way connected to the custom that began over 100 years ago by "
    "which every seventh son born in Argentina becomes godchild to the president"
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (f"“{QUOTE},” he said.", f'"{QUOTE}," he explained.'),
        (
            f'"{QUOTE}," historian Daniel Balmaceda told The Guardian.',
            f"“{QUOTE.replace('lobizón', '[lobison]')},” Balmaceda told the newspaper.",
        ),
        (
            "The company will cut 500 jobs at its two plants in Ohio next year, he said.",
            "The company will cut 500 jobs at its two plants in Ohio next year, she explained.",
        ),
    ],
)
def test_two_renderings_of_one_statement(a: str, b: str) -> None:
    assert same_statement(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The company will cut 500 jobs in Ohio, he said.", "The company will not cut 500 jobs in Ohio, he said."),
        ("The company will cut 500 jobs in Ohio, he said.", "The company will cut 700 jobs in Ohio, he said."),
        (f"“{QUOTE},” he said.", "“It is a myth,” he said."),
    ],
)
def test_different_statements_are_no_rendering(a: str, b: str) -> None:
    assert not same_statement(a, b)


def test_renderings_of_one_quote_are_never_flagged_even_when_the_nli_fires() -> None:
    assert _table(f"“{QUOTE},” he said.", f'"{QUOTE}," he explained.', ConstantNLI(0.99), all_flags=True).is_empty()


@pytest.mark.parametrize(
    "line",
    [
        "Related Articles Nangarhar, Farah clashes kill 20 Taliban",
        "Read more: Quake kills 40 in Peru",
        "RELATED: Police say 3 dead",
        "See also: the 2010 floods",
    ],
)
def test_navigation_lines(line: str) -> None:
    assert is_navigation_line(line)


def test_statements_are_no_navigation_lines() -> None:
    assert not is_navigation_line("Related news outlets said the toll had risen.")
    assert not is_navigation_line("Reading the report, officials said 40 died.")


def test_a_related_articles_line_is_no_conflict() -> None:
    a = "Reza Gul killed 25 Taliban fighters in a gunbattle in Farah province."
    b = "Related Articles Nangarhar, Farah clashes kill 20 Taliban fighters in Farah province"
    assert detail_conflicts(a, b) == []


def test_a_negation_flip_between_sentences_alike_but_for_it_is_high() -> None:
    a, b = "A man is playing a guitar on the stage.", "A man is not playing a guitar on the stage."
    found = detail_conflicts(a, b)
    assert found[0].evidence == "negation flip"
    assert confidence("negation", "negation flip", "detail", a, b) == "high"
    c = "Saudi Arabia's national airline employs women from other countries as flight attendants."
    d = "The airline does not employ Saudi women as flight attendants."
    assert confidence("negation", "negation flip", "detail", c, d) == "low"  # two different sets of women


def test_a_short_sentence_and_its_attributed_rendering_are_one_statement() -> None:
    a = "And nothing was reported … despite the population."
    assert same_statement(a, 'And nothing was reported ... despite the population," Cooke told Sci-Tech Today.')
    assert not same_statement("The company said it will cut jobs.", "The union said it will cut jobs.")
    assert not same_statement("Police said 12 people died.", "Officials said 40 people died.")


def test_instead_of_denies_as_not_does() -> None:
    a = "The four attorneys call themselves “judges” not “arbitrators.”"
    assert detail_conflicts(a, "The four attorneys call themselves “judges” instead of “arbitrators.”") == []
    assert detail_conflicts(a, "The four attorneys call themselves “judges” rather than “arbitrators.”") == []
    flip = detail_conflicts(a, "The four attorneys call themselves “arbitrators.”")
    assert flip and flip[0].evidence == "negation flip"


def test_a_date_hanging_off_no_event_is_low() -> None:
    a = "James Wright Foley, an American journalist kidnapped in 2012, was beheaded in a video released on "
    a += "Tuesday, August 19."
    b = "James Wright Foley disappeared in northwest Syria on November 22, 2012."
    found = detail_conflicts(a, b)
    assert [c.evidence for c in found] == ["unanchored date"]
    assert confidence("date", "unanchored date", "detail", a, b) == "low"
    c = "Four forensic vans left for the morgue late Saturday carrying nine bodies in silver bags."
    d = "Four forensic vans left for the morgue late on Thursday carrying bodies in silver bags."
    assert [x.evidence for x in detail_conflicts(c, d)] == ["date"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (
            "Insider sources predict the stainless steel Apple Watch will start at $500.",
            "The stainless steel Apple Watch will start at $349, Apple said.",
            "speculative number",
        ),
        (
            "Analysts say the gold Apple Watch Edition could cost $10,000 at launch.",
            "The gold Apple Watch Edition will cost $5,000 at launch, the company said.",
            "speculative number",
        ),
        (
            "At least 12 people died in the quake, according to the civil defence institute.",
            "Local officials said 40 people were killed in the quake.",
            "number",
        ),
    ],
)
def test_a_guessed_number_is_low(a: str, b: str, expected: str) -> None:
    found = detail_conflicts(a, b)
    assert [c.evidence for c in found][:1] == [expected]
    assert confidence("number", expected, "detail", a, b) == ("low" if expected != "number" else "high")


@pytest.mark.parametrize(
    ("a", "b", "evidence"),
    [
        # a name by one number that the other sentence never mentions: whose price is it?
        (
            "The Galaxy Tab Ultra will cost $1,200 at launch.",
            "The tablet will cost $650 at launch.",
            "different things",
        ),
        # a sum described on each side by a word the other lacks: two models, two prices
        (
            "The stainless steel model sells for $500 in stores.",
            "The aluminium model sells for $350 in stores.",
            "different things",
        ),
        # the same price of the same thing, said two ways: still a conflict
        ("The tablet will cost $1,200 at launch.", "The tablet will cost $650 at launch.", "number"),
        # a source named by a number is no other thing ("according to Peru's civil defence")
        (
            "At least 12 people died, according to Peru's civil defence institute.",
            "Local officials said 40 people were killed in the quake.",
            "number",
        ),
        # a pronoun stands for the name by the other number
        (
            "Mrs Novak was one of 138 prisoners released in March.",
            "She was one of 150 prisoners released in March.",
            "number",
        ),
    ],
)
def test_numbers_of_different_things_are_low(a: str, b: str, evidence: str) -> None:
    assert _evidence(a, b) == evidence
    assert confidence("number", evidence, "detail", a, b) == ("low" if evidence == "different things" else "high")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # two refutations of one claim agree
        (
            "The ministry denied the senator's claim on Monday.",
            "A ministry spokesman said the senator's claim was categorically false.",
            "low",
        ),
        ("The agency flatly denied the reports.", "Officials said the reports were a hoax.", "low"),
        # a claim against its denial: a dispute
        (
            "The senator said fighters had crossed the border.",
            "The ministry denied that fighters had crossed the border.",
            "high",
        ),
        # one sentence holding both sides is left alone
        (
            "The board says he retired, though the union insists that he was pushed out.",
            "The board says he retired, though the union insists that he was pushed out.",
            "high",
        ),
    ],
)
def test_a_dispute_needs_opposite_sides(a: str, b: str, expected: str) -> None:
    assert confidence("dispute", "dispute", "detail", a, b) == expected


@pytest.mark.parametrize(
    ("a", "b", "span_a", "span_b", "expected"),
    [
        # a sentence that reports a hoax agrees with the one that calls him alive
        (
            "The actor is alive and well.",
            "A fake story claiming the actor was dead spread online.",
            "alive",
            "dead",
            "low",
        ),
        (
            "The singer is alive, his agent said.",
            "Rumours that the singer is dead spread on Monday.",
            "alive",
            "dead",
            "low",
        ),
        # two statements, no report of a claim: trusted
        (
            "Brightwell confirmed the recall on Monday.",
            "Brightwell denied any recall on Monday.",
            "confirmed",
            "denied",
            "high",
        ),
        ("The hostage is alive, officials said.", "The hostage is dead, officials said.", "alive", "dead", "high"),
    ],
)
def test_an_antonym_against_a_reported_claim_is_low(a: str, b: str, span_a: str, span_b: str, expected: str) -> None:
    assert confidence("negation", "antonym", "detail", a, b, span_a, span_b) == expected
    assert confidence("negation", "antonym", "both", a, b, span_a, span_b) == "high"  # the NLI layer agrees
