"""Exact duplicates: a stable hash of the normalised text, and one id per distinct text."""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from functools import cache

import polars as pl

_SPACE = re.compile(r"\s+")


@cache
def _punctuation_to_space() -> dict[int, str]:
    """str.translate table mapping every Unicode punctuation and symbol character to a space (built once)."""
    return {cp: " " for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp))[0] in "PS"}


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols dropped, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", folded.translate(_punctuation_to_space())).strip()


def text_hash(text: str) -> str:
    """Hex digest (128 bits) of the normalised text: equal for texts that differ only in form."""
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).hexdigest()


def add_hashes(paragraphs: pl.DataFrame) -> pl.DataFrame:
    return paragraphs.with_columns(
        pl.col("text").map_elements(text_hash, return_dtype=pl.String).alias("hash")
    )


def assign_text_ids(paragraphs: pl.DataFrame) -> pl.DataFrame:
    """``text_id``: dense id per distinct hash among non-boilerplate paragraphs, in order of first appearance.

    Row ``text_id`` of the vectors array holds that text's embedding, so each distinct text is embedded once.
    """
    first = (
        paragraphs.filter(~pl.col("is_boilerplate"))
        .group_by("hash", maintain_order=True)
        .agg(pl.col("para_id").min())
        .sort("para_id")
        .with_row_index("text_id")
        .select(pl.col("hash"), pl.col("text_id").cast(pl.Int64))
    )
    return paragraphs.drop("text_id", strict=False).join(first, on="hash", how="left").with_columns(
        pl.when(pl.col("is_boilerplate")).then(None).otherwise(pl.col("text_id")).alias("text_id")
    ).sort("para_id")


def distinct_texts(paragraphs: pl.DataFrame) -> list[str]:
    """The text of each ``text_id`` (its first paragraph), indexed by ``text_id``."""
    return (
        paragraphs.filter(pl.col("text_id").is_not_null())
        .group_by("text_id")
        .agg(pl.col("text").first(), pl.col("para_id").min())
        .sort("text_id")["text"]
        .to_list()
    )


def distinct_hashes(paragraphs: pl.DataFrame) -> list[str]:
    """The content hash of each ``text_id``, indexed by ``text_id`` (the embedding cache's keys)."""
    return (
        paragraphs.filter(pl.col("text_id").is_not_null())
        .group_by("text_id")
        .agg(pl.col("hash").first())
        .sort("text_id")["hash"]
        .to_list()
    )


def duplicate_documents(documents: pl.DataFrame) -> pl.DataFrame:
    """Per document: whether its whole normalised text equals an earlier document's, and that one's id."""
    hashed = documents.select(
        "doc_id", "id", pl.col("text").map_elements(text_hash, return_dtype=pl.String).alias("_h")
    )
    first = hashed.group_by("_h").agg(pl.col("doc_id").min().alias("_first"))
    ids = hashed.select(pl.col("doc_id").alias("_first"), pl.col("id").alias("duplicate_of"))
    return (
        hashed.join(first, on="_h")
        .join(ids, on="_first")
        .select(
            "doc_id",
            (pl.col("doc_id") != pl.col("_first")).alias("is_exact_duplicate"),
            pl.when(pl.col("doc_id") != pl.col("_first")).then(pl.col("duplicate_of")).alias("duplicate_of"),
        )
        .sort("doc_id")
    )
