"""Attributed disputes: who says what, inside one sentence, across sentences and across articles."""

from __future__ import annotations

import numpy as np
import polars as pl

from cluster.contradictions.dispute import article_disputes, attributions, pair_dispute, sentence_dispute
from cluster.contradictions.stage import disputes_inside_articles

SEED = (
    "Russian Federation insists that its bombs have been aimed at Islamic State strongholds, though the "
    "United States says it is targeting the moderate opposition to Assad."
)


def test_attributions_name_the_source_of_each_verb() -> None:
    found = attributions(SEED)
    assert [(a.source, a.verb) for a in found] == [("russian federation", "insists"), ("united states", "says")]


def test_the_seed_sentence_is_a_dispute_with_both_attributions_as_spans() -> None:
    conflict = sentence_dispute(SEED)
    assert conflict is not None and conflict.kind == "dispute"
    assert conflict.span_a.text == SEED[: SEED.index(", though")]
    assert conflict.span_b.text == "the United States says it is targeting the moderate opposition to Assad"


def test_two_sources_adding_facts_are_no_dispute() -> None:
    assert sentence_dispute("Police said three people died, while hospital officials said ten were injured.") is None
    assert sentence_dispute("The minister said the talks went well and that more would follow.") is None
    assert sentence_dispute("He insists the plan works, though he says it needs more money.") is None  # one source


def test_a_denial_by_another_source_across_sentences_is_a_dispute() -> None:
    claim = "Consumer groups said the heaters had caused at least three house fires in Ohio."
    denial = "Brightwell rejected claims that its heaters had caused house fires."
    conflict = pair_dispute(claim, denial)
    assert conflict is not None
    assert conflict.span_a.text == "Consumer groups said the heaters had caused at least three house fires in Ohio"
    assert conflict.span_b.text == "Brightwell rejected claims that its heaters had caused house fires"
    flipped = pair_dispute(denial, claim)
    assert flipped is not None and flipped.span_a.text.startswith("Brightwell rejected")


def test_a_source_denying_its_own_words_or_another_topic_is_no_dispute() -> None:
    assert pair_dispute("Brightwell said sales rose.", "Brightwell denied that sales rose.") is None
    assert pair_dispute("Police said the road was closed.", "The mayor denied any plan to raise taxes.") is None


def test_article_disputes_find_one_sentence_and_adjacent_sentences() -> None:
    sentences = [
        "The talks ended on Friday.",
        SEED,
        "Rebels said the strikes hit a market in Idlib province.",
        "The defence ministry denied that its strikes hit a market in Idlib.",
    ]
    found = [(i, j) for i, j, _ in article_disputes(sentences)]
    assert found == [(1, 1), (2, 3)]


def test_disputes_inside_articles_skip_other_languages_and_count_copies() -> None:
    german = "Die Regierung behauptet, die Steuern seien gesunken, doch die Opposition sagt, sie seien gestiegen."
    paragraphs = pl.DataFrame(
        {
            "para_id": [0, 1, 2],
            "doc_id": [0, 1, 2],
            "id": ["a", "b", "c"],
            "text_id": [0, 0, 1],
            "text": [SEED, SEED, german],
        }
    )
    table, skipped = disputes_inside_articles(paragraphs, np.array([0, 0, 1]), np.array(["en", None, "de"]))
    assert skipped == 1
    assert table.height == 1
    row = table.row(0, named=True)
    assert (row["kind"], row["id_a"], row["id_b"], row["n_article_pairs"]) == ("dispute", "a", "a", 2)


def test_two_sources_denying_the_same_thing_agree() -> None:
    said_not = "Iraq's Interior Ministry said on Wednesday that the woman was not the wife of the group's leader."
    denied = "An Iraqi official denied that the woman detained in Lebanon is the wife of the group's leader."
    assert pair_dispute(said_not, denied) is None


def test_an_infinitive_or_a_claim_noun_is_no_denying_source() -> None:
    quote = (
        "\u201cAny attempt by you, Obama, to deny Muslims liberty will result in bloodshed,\u201d the militant added."
    )
    assert all(a.source not in {"to", "you obama to"} for a in attributions(quote))
    assert attributions("All these claims contradict those made in earlier talks.") == []


def test_a_denial_referring_back_to_a_negative_claim_is_a_dispute() -> None:
    claim = "Ashford said last week that he had not been consulted about the choice of his successor."
    denial = "The board rejected that account, saying Ashford had been consulted about his successor at every stage."
    assert pair_dispute(claim, denial) is not None


def test_a_non_answer_is_neither_claim_nor_denial() -> None:
    s = (
        "U.S. officials would not confirm or deny whether Baghdadi had been targeted, though one said that the "
        "airstrikes had not been targeting any particular meeting."
    )
    assert attributions(s) == []  # "would not confirm or deny" is no answer, "one" is one of the officials
    assert sentence_dispute(s) is None
    assert [a.verb for a in attributions("The ministry denied the report.")] == ["denied"]
    assert attributions("The ministry declined to deny the report.") == []


def test_disputes_inside_articles_read_each_article_apart_in_doc_order() -> None:
    # rows out of order, several paragraphs per article, one text copied by two articles; the grouping by
    # article (one pass over the sorted rows, sentences split once per distinct text) must keep them apart
    claim = "The ministry said the bridge was safe for traffic after the inspection on Monday."
    denial = "The engineers' union denied that the bridge was safe for traffic after the inspection."
    filler = "Traffic was diverted through the old town for most of the afternoon."
    paragraphs = pl.DataFrame(
        {
            "para_id": [4, 0, 1, 5, 2, 3, 6],
            "doc_id": [2, 0, 0, 2, 1, 1, 3],
            "id": ["c", "a", "a", "c", "b", "b", "d"],
            "text_id": [0, 0, 1, 1, 2, 0, 1],
            "text": [claim, claim, denial, denial, filler, claim, denial],
        }
    )
    table, skipped = disputes_inside_articles(paragraphs, np.array([0, 0, 0, 1]), np.array(["en"] * 4))
    assert skipped == 0
    rows = sorted((r["id_a"], r["para_a"], r["para_b"], r["n_article_pairs"]) for r in table.iter_rows(named=True))
    # a and c both hold claim then denial (one row, two articles); b has no denial; d has no claim
    assert rows == [("a", 0, 1, 2)]


def test_attributions_hand_out_a_fresh_list_each_call() -> None:
    first = attributions(SEED)
    first.clear()  # a caller changing its list must not change what the next caller gets
    assert [a.verb for a in attributions(SEED)] == ["insists", "says"]
