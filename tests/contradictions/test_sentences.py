"""Known-answer tests of split_sentences, tokens and the topic gate (cluster.contradictions.sentences)."""

from __future__ import annotations

import pytest

from cluster.contradictions import (
    detail_conflicts,
    split_sentences,
)


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


def test_unrelated_sentences_have_no_conflict() -> None:
    a = "At least 12 people died when the ferry sank on Tuesday."
    b = "The central bank denied that 40 branches would close on Thursday."
    assert detail_conflicts(a, b) == []
