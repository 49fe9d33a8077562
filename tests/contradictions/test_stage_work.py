"""The stage's short cuts give the answers of the long way: each distinct sentence pair and each article wording is
judged once, articles without a word of contest or denial are not read for disputes, and the faster forms of the
rules (verb scan, polarity, phrase index, post filter) equal the forms they replace, on known cases."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest

import cluster.contradictions.stage as stage
from cluster.contradictions import dispute, negation
from cluster.contradictions.nonclaims import MAX_POST_CHARS, is_embedded_post
from cluster.contradictions.sentences import _tokens
from cluster.contradictions.stage import find_contradictions, without_embedded_posts


def frame(rows: list[tuple[int, int, str]]) -> pl.DataFrame:
    """(doc_id, text_id, text) per paragraph."""
    return pl.DataFrame(
        {
            "para_id": range(len(rows)),
            "doc_id": [d for d, _, _ in rows],
            "id": [f"doc{d}" for d, _, _ in rows],
            "text_id": [t for _, t, _ in rows],
            "text": [x for _, _, x in rows],
        }
    )


WIRE_1 = "Officials said 12 people died in the flood on Monday. The river rose overnight."
WIRE_2 = "Officials said 12 people died in the flood on Monday. Roads were closed in the town."
OTHER = "Officials said 40 people died in the flood on Monday."


def test_a_sentence_pair_met_in_two_paragraph_pairs_is_judged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # two edits of one wire paragraph share their first sentence; both meet the other outlet's paragraph
    calls: Counter[tuple[str, str]] = Counter()
    judge = stage.detail_conflicts

    def counted(a: str, b: str) -> list[stage.Conflict]:
        calls[(a, b)] += 1
        return judge(a, b)

    monkeypatch.setattr(stage, "detail_conflicts", counted)
    paras = frame([(0, 0, WIRE_1), (1, 1, WIRE_2), (2, 2, OTHER), (3, 0, WIRE_1)])  # doc 3 copies doc 0
    vectors = np.ones((3, 2), dtype=np.float32) / np.sqrt(2)
    table = find_contradictions(paras, np.zeros(4, dtype=np.int64), vectors)
    shared = ("Officials said 12 people died in the flood on Monday.", OTHER)
    assert calls[shared] == 1  # met in (text 0, text 2) and (text 1, text 2): judged once
    assert max(calls.values()) == 1
    assert table.height == 1
    row = table.row(0, named=True)
    assert (row["kind"], row["span_a"], row["span_b"]) == ("number", "12", "40")
    assert row["n_article_pairs"] == 3  # docs 0, 1 and 3 against doc 2


DENIAL = "The ministry denied that the dam had failed. Engineers said the dam had failed on Sunday."
PLAIN = "The water reached the square by noon. Shops stayed shut."


def test_disputes_inside_articles_read_each_wording_once_and_skip_articles_without_contest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[tuple[str, ...]] = []
    article_disputes = stage.article_disputes

    def counted(sentences: list[str]) -> list[tuple[int, int, stage.Conflict]]:
        read.append(tuple(sentences))
        return article_disputes(sentences)

    monkeypatch.setattr(stage, "article_disputes", counted)
    paras = frame([(0, 0, DENIAL), (1, 0, DENIAL), (2, 1, PLAIN), (3, 0, DENIAL)])
    english = np.array(["en"] * 4, dtype=object)
    table, skipped = stage.disputes_inside_articles(paras, np.zeros(4, dtype=np.int64), english)
    assert skipped == 0
    assert len(read) == 1  # three copies of one wording: read once; the article without contest: not at all
    assert table.height == 1
    row = table.row(0, named=True)
    assert (row["kind"], row["id_a"], row["id_b"], row["n_article_pairs"]) == ("dispute", "doc0", "doc0", 3)
    assert row["span_a"].startswith("The ministry denied")


def test_the_contest_filter_keeps_every_text_a_dispute_needs() -> None:
    texts = pl.Series(["He DENIED it.", "They insisted.", "She said so.", "Rain fell.", "He \u017fays", None])
    assert stage._may_contest(texts).tolist() == [True, True, False, False, True, False]
    # every word of contest or denial holds one of the stems
    for verb in dispute._CONTEST | dispute._DENY:
        assert any(stem in verb.lower() for stem in dispute.CONTEST_STEMS)


@pytest.mark.parametrize(
    "sentence",
    [
        "Officials said the dam held, but engineers DENIED it and Insisted otherwise.",
        "unsaid said_ said2 saying says Said.",
        "He \u017faid so, and the Kelvin \u212aing told nobody.",  # characters IGNORECASE folds onto ASCII
        "Der Minister saíd nichts; İnsisted ınsisted.",
        "No verb at all here.",
        "",
    ],
)
def test_the_verb_scan_finds_what_the_verb_regex_finds(sentence: str) -> None:
    expected = [(m.start(), m.end(), m.group(0)) for m in dispute._VERB.finditer(sentence)]
    assert list(dispute._verbs(sentence)) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "The company did not confirm the recall, but it later confirmed the layoffs.",
        "He will not give it without the money, and he never refused to pay.",
        "They chose judges instead of arbitrators, rather than courts.",
        "Officials would not comment, and the mayor wants to close the bridge if it rains.",
        "It was no longer open; the shop declined to say whether it had closed.",
        "I really don't care, she said, though nobody asked.",
    ],
)
def test_polarity_read_once_per_sentence_equals_polarity_per_word(sentence: str) -> None:
    toks = _tokens(sentence)
    polarity = negation._Polarities(toks)
    assert [polarity(i) for i in range(len(toks))] == [negation._polarity(toks, i) for i in range(len(toks))]
    assert {"negated", "affirmed"} <= {polarity(i) for i in range(len(toks))}


def test_phrases_found_by_their_first_word_are_the_phrases_found_by_scanning() -> None:
    text = "The court upheld the ban and the judges struck down the ban; it did not uphold the fine."
    lemmas, where = negation._claim_lemmas(text)
    for px, py in negation._CLAIM_PHRASES:
        for phrase in (px, py):
            assert negation._phrase_at(lemmas, where, phrase) == negation._find_phrase(list(lemmas), phrase)
    assert negation._phrase_at(lemmas, where, ("strike", "down")) or negation._phrase_at(
        lemmas, where, ("struck", "down")
    )


def _posts_dropped_the_long_way(paragraphs: pl.DataFrame) -> pl.DataFrame:
    ordered = paragraphs.sort("doc_id", "para_id")
    texts, docs = ordered["text"].to_list(), ordered["doc_id"].to_list()
    drop = [False] * len(texts)
    for i, text in enumerate(texts):
        if text and is_embedded_post(text):
            drop[i] = True
            if i > 0 and docs[i - 1] == docs[i] and len(texts[i - 1] or "") <= MAX_POST_CHARS:
                drop[i - 1] = True
    return ordered.filter(~pl.Series(drop, dtype=pl.Boolean)) if any(drop) else paragraphs


def test_posts_are_dropped_as_the_long_way_drops_them() -> None:
    paras = frame(
        [
            (0, 0, "The mayor thanked the crews."),
            (0, 1, "Great work by everyone tonight"),
            (0, 2, "— Jane Doe (@janedoe) March 3, 2015"),
            (1, 3, "See the photo at example.com/photo and pic.twitter.com/abc123"),
            (1, 4, "Prices rose 3/4 of a point, officials said."),
            (2, 5, "Nothing to drop here."),
        ]
    )
    kept = without_embedded_posts(paras)
    assert kept.equals(_posts_dropped_the_long_way(paras))
    assert kept["text_id"].to_list() == [0, 4, 5]
    calm = frame([(0, 0, "No post."), (1, 1, "Still none / at all")])
    assert without_embedded_posts(calm).equals(_posts_dropped_the_long_way(calm))
