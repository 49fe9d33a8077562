"""Known-answer tests of the pipeline stage (cluster.contradictions.stage): candidates stay inside a story; copies
of one conflict are reported once."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cluster.contradictions import (
    ContradictionParams,
    find_contradictions,
    story_text_pairs,
)

TEXTS = [
    "Brightwell confirmed the recall in a statement on Monday.",  # text 0: wire
    "Brightwell denied any recall on Monday, saying the incidents were isolated.",  # text 1: other outlet
    "The river flooded the lower town on Monday, officials said.",  # text 2: another story
]


def paragraphs(rows: list[tuple[int, int]]) -> pl.DataFrame:
    """(doc_id, text_id) per paragraph."""
    return pl.DataFrame(
        {
            "para_id": range(len(rows)),
            "doc_id": [d for d, _ in rows],
            "id": [f"doc{d}" for d, _ in rows],
            "text_id": [t for _, t in rows],
            "text": [TEXTS[t] for _, t in rows],
        }
    )


VECTORS = np.array([[1.0, 0.0], [0.8, 0.6], [0.8, 0.6]], dtype=np.float32)


def test_negation_inside_one_story_is_found_once_for_all_copies() -> None:
    # docs 0 and 1 carry the wire text, doc 2 the denial; all three in story 0; doc 3 in story 1
    paras = paragraphs([(0, 0), (1, 0), (2, 1), (3, 2)])
    table = find_contradictions(paras, np.array([0, 0, 0, 1]), VECTORS)
    assert table.height == 1
    row = table.row(0, named=True)
    assert (row["kind"], row["span_a"], row["span_b"], row["layer"]) == ("negation", "confirmed", "denied", "detail")
    assert (row["id_a"], row["id_b"], row["story_id"], row["n_article_pairs"]) == ("doc0", "doc2", 0, 2)


def test_statements_of_different_stories_are_never_compared() -> None:
    paras = paragraphs([(0, 0), (1, 1)])
    assert find_contradictions(paras, np.array([0, 1]), VECTORS).is_empty()


def test_dissimilar_paragraphs_of_a_story_are_not_candidates() -> None:
    far = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    left, right = story_text_pairs(paragraphs([(0, 0), (1, 1)]), np.array([0, 0]), far, 0.5, 100)
    assert len(left) == 0
    left, right = story_text_pairs(paragraphs([(0, 0), (1, 1)]), np.array([0, 0]), VECTORS, 0.5, 100)
    assert (left.tolist(), right.tolist()) == ([0], [1])


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="nli_threshold"):
        ContradictionParams(nli_threshold=1.5)


def test_pairs_in_another_language_are_skipped_and_counted() -> None:
    paras = paragraphs([(0, 0), (1, 0), (2, 1), (3, 2)])
    stats: dict[str, int] = {}
    german = np.array(["de", "de", "de", "de"], dtype=object)
    table = find_contradictions(paras, np.array([0, 0, 0, 1]), VECTORS, language_of_doc=german, stats=stats)
    assert table.is_empty()
    assert stats["contradictions_skipped_language"] == 2  # both article pairs of the story
    english = np.array(["en", "en", "en", "en"], dtype=object)
    assert find_contradictions(paras, np.array([0, 0, 0, 1]), VECTORS, language_of_doc=english).height == 1


def test_without_a_language_column_each_paragraph_is_detected() -> None:
    german = [
        "Die Bundesregierung hat am Montag den Rückruf bestätigt, teilte das Ministerium in Berlin mit.",
        "Die Bundesregierung hat am Montag jeden Rückruf bestritten, teilte das Ministerium in Berlin mit.",
    ]
    paras = pl.DataFrame({"para_id": [0, 1], "doc_id": [0, 1], "id": ["a", "b"], "text_id": [0, 1], "text": german})
    stats: dict[str, int] = {}
    table = find_contradictions(paras, np.array([0, 0]), VECTORS[:2], stats=stats)
    assert table.is_empty() and stats["contradictions_skipped_language"] == 1
