"""Known-answer tests of names and roles in the same slot (cluster.contradictions.entities)."""

from __future__ import annotations

import pytest

from cluster.contradictions import (
    detail_conflicts,
    same_name,
)


def kinds(a: str, b: str) -> list[str]:
    return [c.kind for c in detail_conflicts(a, b)]


def _flags(a: str, b: str) -> list[str]:
    """Kinds the contradictions table would report (score >= 0.5, its default ``min_score``)."""
    return [c.kind for c in detail_conflicts(a, b) if c.score >= 0.5]


def test_entity_conflict_same_slot() -> None:
    found = detail_conflicts(
        "The attack happened in Paris on Monday night.", "The attack happened in Lyon on Monday night."
    )
    assert [c.kind for c in found] == ["entity"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("Paris", "Lyon")


def test_same_role_given_to_two_people() -> None:
    a = "The recall was announced by Brightwell chief executive Laura Simmons at a news conference in Chicago."
    b = "The recall was announced by Daniel Okafor, Brightwell's chief executive, at a news conference in Chicago."
    found = detail_conflicts(a, b)
    assert [c.kind for c in found] == ["entity"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("Laura Simmons", "Daniel Okafor")
    same = "The recall was announced by Laura Simmons, Brightwell's chief executive, at a news conference in Chicago."
    assert kinds(a, same) == []


def test_spelling_variants_of_a_name_are_the_same_entity() -> None:
    a = "Kerry met Foreign Minister Sergey Lavrov in Moscow on Tuesday."
    b = "Kerry met Foreign Minister Sergei Lavrov in Moscow on Tuesday."
    assert kinds(a, b) == []
    assert same_name("Mohammed", "Muhammad") and same_name("Sergey Lavrov", "Sergei Lavrov")
    assert not same_name("Paris", "Lyon") and not same_name("Laura Simmons", "Daniel Okafor")


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


def test_spacing_hyphen_and_short_forms_are_one_name() -> None:
    from cluster.contradictions import same_name

    assert same_name("Yo Jong", "Yo-jong")
    assert same_name("Met's", "Metropolitan Police's")
    assert not same_name("Laura Simmons", "Daniel Okafor")
