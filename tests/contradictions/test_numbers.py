"""Known-answer tests of numbers of the same thing (cluster.contradictions.numbers)."""

from __future__ import annotations

import pytest

from cluster.contradictions import (
    Span,
    detail_conflicts,
    quantities,
)


def kinds(a: str, b: str) -> list[str]:
    return [c.kind for c in detail_conflicts(a, b)]


def _flags(a: str, b: str) -> list[str]:
    """Kinds the contradictions table would report (score >= 0.5, its default ``min_score``)."""
    return [c.kind for c in detail_conflicts(a, b) if c.score >= 0.5]


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


def test_several_values_of_one_unit_in_a_sentence_are_several_things() -> None:
    from cluster.contradictions import detail_conflicts

    a = "Apple said the Apple Watch will start at $349, but sources say the steel version will start at $500."
    b = "Apple said the Apple Watch would start at $350, widely assumed to be the price of the aluminium model."
    assert [c for c in detail_conflicts(a, b) if c.kind == "number"] == []
    # one value on each side, same thing: still a conflict
    assert [
        c.kind
        for c in detail_conflicts(
            "The steel Apple Watch will start at $500.", "The steel Apple Watch will start at $600."
        )
    ] == ["number"]


def test_vague_counts_name_no_figure() -> None:
    from cluster.contradictions import detail_conflicts, quantities

    assert quantities("The attacks have killed dozens.") == []
    assert quantities("The attacks have killed several dozen people.") == []
    a = "There have been six attacks over the weekend that have killed several dozen people since the ceasefire."
    b = "There have been six attacks since the ceasefire that have killed dozens."
    assert detail_conflicts(a, b) == []
    assert [q.value for q in quantities("Some 25 miles from Baghdad.")] == [25.0]  # a hedged figure stays
