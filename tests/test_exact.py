"""Exact duplicates (cluster/exact.py): normalised hashes, one text id per distinct text, duplicate articles."""

from __future__ import annotations

import polars as pl

from cluster.exact import (
    add_hashes,
    assign_text_ids,
    distinct_hashes,
    distinct_texts,
    duplicate_documents,
    normalise,
    text_hash,
)


def test_normalise_ignores_case_punctuation_width_and_spacing() -> None:
    assert normalise("  “Hello,”  WORLD!! ") == "hello world"
    assert text_hash("Ｈｅｌｌｏ, world.") == text_hash("hello world")
    assert text_hash("hello world") != text_hash("hello word")


def test_text_hash_is_a_stable_128_bit_hex_digest() -> None:
    assert text_hash("Hello, world.") == "e9a804b2e527fd3601d2ffc0bb023cd6"  # blake2b-128 of "hello world"
    assert len(text_hash("")) == 32


def paragraphs(texts: list[str], boilerplate: list[bool]) -> pl.DataFrame:
    frame = pl.DataFrame({"para_id": range(len(texts)), "text": texts, "is_boilerplate": boilerplate})
    return add_hashes(frame.with_columns(pl.col("para_id").cast(pl.Int64)))


def test_text_ids_number_distinct_content_texts_in_order_of_first_appearance() -> None:
    texts = ["Alpha one.", "Beta two.", "alpha ONE", "Share", "Gamma three.", "Beta two!"]
    frame = assign_text_ids(paragraphs(texts, [False, False, False, True, False, False]))
    assert frame["text_id"].to_list() == [0, 1, 0, None, 2, 1]
    assert distinct_texts(frame) == ["Alpha one.", "Beta two.", "Gamma three."]  # each id's first paragraph
    assert distinct_hashes(frame) == [text_hash("alpha one"), text_hash("beta two"), text_hash("gamma three")]


def test_a_text_that_is_boilerplate_somewhere_keeps_its_id_where_it_is_content() -> None:
    frame = assign_text_ids(paragraphs(["Same words.", "Same words."], [True, False]))
    assert frame["text_id"].to_list() == [None, 0]


def test_duplicate_documents_point_to_the_first_of_equal_normalised_texts() -> None:
    docs = pl.DataFrame({
        "doc_id": [0, 1, 2, 3],
        "id": ["a", "b", "c", "d"],
        "text": ["The same story.", "Another story.", "the SAME story!", "The same story."],
    })
    out = duplicate_documents(docs)
    assert out.columns == ["doc_id", "is_exact_duplicate", "duplicate_of"]
    assert out["is_exact_duplicate"].to_list() == [False, False, True, True]
    assert out["duplicate_of"].to_list() == [None, None, "a", "a"]
