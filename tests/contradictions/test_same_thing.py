"""Known answers of the "same thing" tests a high-confidence flag must pass (cluster.contradictions.same_thing),
and of the number-reading fixes they rely on (clock times, fractions, "or so", converted figures)."""

from __future__ import annotations

import pytest

from cluster.contradictions import detail_conflicts
from cluster.contradictions.confidence import confidence, denies, marks_update
from cluster.contradictions.numbers import quantities
from cluster.contradictions.same_thing import (
    caption,
    headline,
    opening_name,
    opposed,
    same_event,
    same_quantity,
    same_subject,
)


def _flag(a: str, b: str) -> str:
    """The default table's verdict on the strongest detail conflict of ``a`` and ``b``."""
    found = detail_conflicts(a, b)
    assert found, (a, b)
    c = found[0]
    return confidence(c.kind, c.evidence, "detail", a, b, c.span_a.text, c.span_b.text)


# ---- numbers: the same quantity of the same thing --------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "span_a", "b", "span_b", "same"),
    [
        # the same count of the same people in one event
        (
            "Dulaimi was one of 150 women released from a Syrian jail in March.",
            "150",
            "Dulaimi was one of 138 women released from a Syrian jail in March.",
            "138",
            True,
        ),
        # a bound far off the other figure still conflicts; a close one admits both
        (
            "At least 12 people died in the quake.",
            "12",
            "Officials said 40 people were killed in the quake.",
            "40",
            True,
        ),
        (
            "The blast injured about 1,500 people.",
            "1,500",
            "The meteorite exploded over the city, injuring more than 1,000 people.",
            "1,000",
            False,
        ),
        # a count the sentence goes on with is a part ("six, then four more" is ten)
        (
            "Witnesses heard ten shots on the recording.",
            "ten",
            "Witnesses heard six shots on the recording, then four more.",
            "six",
            False,
        ),
        # two subjects opening the sentences: two analysts' targets
        (
            "BMO kept its price target of $135 for the shares.",
            "$135",
            "UBS kept its price target of $125 for the shares.",
            "$125",
            False,
        ),
        # the unit read back from a name is no counted noun ("Casey Dean, then 14")
        (
            "Casey Dean, then 14, went to the restaurant.",
            "14",
            "Casey Dean, then 13, went to the restaurant.",
            "13",
            False,
        ),
        # two events: run over / killed
        (
            "Two Canadian soldiers were run over in Quebec two days ago.",
            "Two",
            "A man killed one Canadian soldier in Quebec two days ago.",
            "one",
            False,
        ),
        # the words around the numbers are nowhere on the other side: two things in one unit
        (
            "The biggest catfish ever caught in Italy weighed 22 stone.",
            "22",
            "Dino's fish was put in a sling and came to 20 stone.",
            "20",
            False,
        ),
    ],
)
def test_same_quantity(a: str, span_a: str, b: str, span_b: str, same: bool) -> None:
    assert same_quantity(a, b, span_a, span_b) is same


def test_a_number_of_another_subject_or_a_close_bound_is_low_but_the_same_count_is_high() -> None:
    a = "Dulaimi was one of 150 women released from a Syrian jail in March."
    assert _flag(a, "Dulaimi was one of 138 women released from a Syrian jail in March.") == "high"
    # "about 50" / "more than 30": the bound admits both (flagged, but low)
    assert (
        _flag("About 50 people have been arrested in the case.", "More than 30 people have been arrested in the case.")
        == "low"
    )
    assert (
        _flag("About 50 people have been arrested in the case.", "12 people have been arrested in the case.") == "high"
    )


def test_so_far_and_as_of_mark_a_running_figure() -> None:
    assert marks_update("So far more than 30 people have been detained.")
    assert marks_update("As of Tuesday morning, the video had 27 million views.")
    assert not marks_update("Thirty people were detained on Tuesday.")


def test_clock_times_and_fractions_are_no_counts() -> None:
    assert quantities("A press conference is set for 1:00 p.m. Tuesday.") == []
    (q,) = quantities("Any catfish over 6 1/2 feet is considered extremely rare.")
    assert q.value == 6.5 and q.unit == "feet"


def test_or_so_and_bracketed_conversions_are_hedged() -> None:
    (q,) = quantities("It happened 13 hours or so before the flyby.")
    assert q.hedged and q.bound == "approx"
    q1, q2 = quantities("The asteroid passed within 22,000 miles (36,000 kilometers) of Earth.")
    assert (q1.bound, q2.bound) == ("upper", "upper") and q2.hedged
    (q,) = quantities("More than two dozen people were injured.")
    assert q.value == 24


# ---- dates: one event --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "span_a", "b", "span_b", "same"),
    [
        (
            "Four forensic vans left for the morgue late Saturday carrying nine bodies.",
            "Saturday",
            "Four forensic vans left for the morgue late on Thursday carrying bodies.",
            "Thursday",
            True,
        ),
        # a running figure read at two times
        (
            "As of Tuesday morning, the video had racked up 27 million views on YouTube.",
            "Tuesday",
            "By Saturday morning, the video had racked up 24 million views on YouTube.",
            "Saturday",
            False,
        ),
        # the day it was said, not the day it happened
        (
            "An Iraqi official on Wednesday denied that the woman detained in Lebanon is his wife.",
            "Wednesday",
            "An Iraqi official on Tuesday said that the woman detained in Lebanon is his wife.",
            "Tuesday",
            False,
        ),
        # a rumour's dates
        (
            "Rumors of his death first circulated early on February 21 on social media.",
            "February 21",
            "Rumors of his death first circulated early on February 24 on social media.",
            "February 24",
            False,
        ),
        # two years of two sentences that share little: two events
        (
            "In fact, in 2014, a 33-year-old nun living in Italy gave birth to a baby boy.",
            "2014",
            "Back in 2011 a Congolese nun in an Italian order also gave birth to a baby girl.",
            "2011",
            False,
        ),
        # two sentences that share too little to date one event
        (
            "One of his victims was an 82-year-old woman who sneezed on Tuesday.",
            "Tuesday",
            "The man first assaulted a woman on Monday after she sneezed, police said.",
            "Monday",
            False,
        ),
    ],
)
def test_same_event(a: str, span_a: str, b: str, span_b: str, same: bool) -> None:
    assert same_event(a, b, span_a, span_b) is same


def test_a_date_of_an_announcement_is_no_date_of_the_event() -> None:
    a = "Nicaraguan officials announced on Sunday that a small meteorite had come down near the airport."
    b = "A small meteorite came down near the airport in Managua on Saturday night, officials say."
    assert detail_conflicts(a, b) == []  # "announced on Sunday" dates the announcement (words/dated_speech.txt)
    vans = (
        "Four vans left for the morgue late Saturday carrying bodies.",
        "Four vans left for the morgue late on Thursday carrying bodies.",
    )
    assert _flag(*vans) == "high"


def test_a_month_with_a_year_is_a_year() -> None:
    a = "Verma joined the department in 1980 and went on leave in December, 1990."
    b = "Verma went on leave in 1990 after joining the department a decade earlier."
    assert not [c for c in detail_conflicts(a, b) if c.kind == "date"]


# ---- antonyms: one subject ---------------------------------------------------------------------------------


def test_opposite_words_need_one_subject_and_a_statement() -> None:
    assert same_subject(
        "Brightwell confirmed the recall in a statement on Monday.",
        "Brightwell denied any recall on Monday, saying the incidents were isolated.",
        "confirmed",
        "denied",
    )
    assert not same_subject(
        "There are a lot of fake Banksy accounts on social media.",
        "It could be Banksy, but the artist's real accounts are unclear.",
        "fake",
        "real",
    )
    assert headline("Breaking News: Macaulay Culkin Found Dead at Age 34")
    assert headline("Macaulay Culkin Alive!")
    assert not headline("Macaulay Culkin is still very much alive.")
    assert not same_subject("Macaulay Culkin Alive!", "Macaulay Culkin is dead, his agent said.", "Alive", "dead")


# ---- disputes: two sides that oppose -----------------------------------------------------------------------


def test_a_negated_claim_agrees_with_a_denial_unless_the_denial_refers_back() -> None:
    denial = "An Iraqi official denied that a woman detained in Lebanon is a wife of Baghdadi."
    negated = "A woman held by Lebanese authorities is not the wife of Baghdadi, Iraq's Interior Ministry said."
    assert not opposed(negated, denial, denies, None, "Iraq's Interior Ministry said")
    claim = "Lebanese authorities said they are holding a woman believed to be Baghdadi's wife."
    assert opposed(claim, denial, denies, claim, "An Iraqi official denied that a woman detained")
    # the seeds: a negated claim and a denial of "that account" oppose
    ashford = "Ashford said last week that he had not been consulted about the choice of his successor."
    board = "The board rejected that account, saying Ashford had been consulted about his successor."
    assert opposed(ashford, board, denies, ashford, "The board rejected that account")


def test_an_open_question_a_caption_or_one_party_is_no_dispute() -> None:
    denial = "An Iraqi official denied that a woman detained in Lebanon is a wife of Baghdadi."
    question = "Experts said it would be difficult to confirm whether the woman is indeed Baghdadi's wife."
    assert not opposed(question, denial, denies, question, None)
    assert caption("Smiling: photographs show him grinning at the camera")
    assert not caption('He said: "Three hundred soldiers were killed."')
    assert opening_name("Durex denies rumors of a pumpkin spice condom.") == {"durex"}
    same_party = '"Durex has heard that people are saying we launched a condom," the company said.'
    assert not opposed(same_party, "Durex denies rumors of a pumpkin spice condom.", denies)
