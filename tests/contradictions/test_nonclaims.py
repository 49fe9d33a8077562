"""Known answers: embedded posts, list lines and different things numbered alike are not conflicts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cluster.contradictions import detail_conflicts, find_contradictions
from cluster.contradictions.nonclaims import is_embedded_post, is_list_line
from cluster.contradictions.same_thing import differently_numbered, numbered_things
from cluster.contradictions.stage import without_embedded_posts


@pytest.mark.parametrize(
    "text",
    [
        "— Jane Doe (@jdoe) March 3, 2015",
        "Unbelievable scenes in the square tonight pic.twitter.com/AbC123",
        "This is not what we agreed. — Senator Ray Smith (@SenRaySmith) October 12, 2014",
    ],
)
def test_embedded_post_signatures(text: str) -> None:
    assert is_embedded_post(text)


def test_ordinary_sentences_are_no_embedded_post() -> None:
    assert not is_embedded_post("The minister said on Monday that talks would resume.")
    assert not is_embedded_post("Prices rose 3-4% in March, the office said.")


def test_two_embedded_tweets_with_different_dates_do_not_conflict() -> None:
    a = "— Jane Doe (@jdoe) March 3, 2015"
    b = "— Jane Doe (@jdoe) March 5, 2015"
    assert detail_conflicts(a, b) == []


@pytest.mark.parametrize(
    "line",
    [
        "1/2 medium onion, chopped",
        "1 medium onion",
        "2 cups flour",
        "- 3 eggs, beaten",
        "3. Bake for 20 minutes",
        "• 200g sugar",
    ],
)
def test_list_lines(line: str) -> None:
    assert is_list_line(line)


def test_sentences_starting_with_a_number_are_no_list_line() -> None:
    assert not is_list_line("12 people were killed in the quake on Thursday.")
    assert not is_list_line("40 people died, officials said.")


def test_recipe_lines_do_not_conflict() -> None:
    assert detail_conflicts("1/2 medium onion, chopped", "1 medium onion, chopped") == []
    assert detail_conflicts("2 cups flour", "3 cups flour") == []


def test_different_things_numbered_alike_do_not_conflict() -> None:
    a = "Malaysia Airlines Flight 17 crashed in Ukraine, killing all 298 people on board."
    b = "Malaysia Airlines Flight 370 crashed in the Indian Ocean, killing all 239 people on board."
    assert numbered_things(a) == {"flight": {"17"}}
    assert differently_numbered(a, b)
    assert detail_conflicts(a, b) == []
    assert detail_conflicts("Apollo 11 landed on the moon in July.", "Apollo 13 landed on the moon in July.") == []


def test_the_same_numbered_thing_still_conflicts() -> None:
    a = "Flight 17 crashed in Ukraine on Thursday, killing all 298 people on board."
    b = "Flight 17 crashed in Ukraine on Thursday, killing all 280 people on board."
    assert not differently_numbered(a, b)
    assert [c.kind for c in detail_conflicts(a, b)][:1] == ["number"]
    assert [
        c.kind for c in detail_conflicts("About 40 people died in the quake.", "About 12 people died in the quake.")
    ] == ["number"]


def test_the_stage_drops_a_post_and_the_short_text_above_its_signature() -> None:
    texts = [
        "The storm hit the coast on Monday.",
        "Water everywhere, stay safe everyone",
        "— Jane Doe (@jdoe) March 3, 2015",
        "Officials said 40 homes were damaged.",
    ]
    paragraphs = pl.DataFrame(
        {"para_id": range(4), "doc_id": [0] * 4, "id": ["a"] * 4, "text_id": range(4), "text": texts}
    )
    kept = without_embedded_posts(paragraphs)
    assert kept["text"].to_list() == [texts[0], texts[3]]


def test_tweets_quoted_by_two_articles_are_not_flagged() -> None:
    texts = ["— Jane Doe (@jdoe) March 3, 2015", "— Jane Doe (@jdoe) March 5, 2015"]
    paragraphs = pl.DataFrame({"para_id": [0, 1], "doc_id": [0, 1], "id": ["a", "b"], "text_id": [0, 1], "text": texts})
    vectors = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    langs = np.array(["en", "en"], dtype=object)
    assert find_contradictions(paragraphs, np.array([0, 0]), vectors, language_of_doc=langs).is_empty()
