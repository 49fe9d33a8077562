"""Polars schemas of every table the pipeline passes between stages and writes out.

Ids are dense integers assigned once at ingest (``doc_id``, ``para_id``); ``id`` is always the input's own
article id, kept in every output table that names an article. Pairs always have ``left < right``.
"""

from __future__ import annotations

import polars as pl

DOCUMENTS = pl.Schema(
    {  # type: ignore[arg-type]  # mypy infers dict[str, object] from a mix of dtype classes and instances
        "doc_id": pl.Int64,  # dense 0..n-1 in reading order
        "id": pl.String,  # the input's id (or relative path for .txt/.md/.html; WARC-Target-URI for archives)
        "file": pl.String,
        "line": pl.Int64,  # line (JSONL), row (CSV/Parquet) or record number (WARC); null for one-article files
        "title": pl.String,
        "source": pl.String,
        "url": pl.String,
        "published": pl.String,  # as given
        "published_at": pl.Datetime("us", "UTC"),  # parsed, null when absent or unparseable
        "language": pl.String,  # detected, ISO 639-1 ("en", "es"); null for a text without letters
        "text": pl.String,
    }
)

PARAGRAPHS = pl.Schema(
    {
        "para_id": pl.Int64,
        "doc_id": pl.Int64,
        "id": pl.String,
        "position": pl.Int64,  # 0-based order inside the article
        "text": pl.String,
        "n_chars": pl.Int64,
        "hash": pl.String,  # of the normalised text (NFKC, case, whitespace, punctuation)
        "is_boilerplate": pl.Boolean,
        "boilerplate_reason": pl.String,  # null when not boilerplate
        "text_id": pl.Int64,  # distinct normalised text; row of the vectors array; null for boilerplate
        "passage_id": pl.Int64,  # near-duplicate passage cluster
    }
)

PASSAGES = pl.Schema(
    {
        "passage_id": pl.Int64,
        "n_paragraphs": pl.Int64,
        "n_docs": pl.Int64,
        "n_texts": pl.Int64,  # distinct texts in it (1 = exact copies only)
        "min_cosine": pl.Float32,  # least similar member to the passage's centre (1.0 for exact-only)
        "is_boilerplate": pl.Boolean,
        "first_id": pl.String,  # article where it appears first (earliest published, else first read)
        "text": pl.String,  # the centre's text
    }
)

PAIRS = pl.Schema(
    {
        "para_left": pl.Int64,
        "para_right": pl.Int64,
        "id_left": pl.String,
        "id_right": pl.String,
        "cosine": pl.Float32,
        "relation": pl.String,  # exact | near_duplicate | paraphrase | related
    }
)

COPIES = pl.Schema(
    {
        "id_a": pl.String,  # id_a < id_b
        "id_b": pl.String,
        "shared_a": pl.Int64,  # paragraphs of a found in b
        "shared_b": pl.Int64,
        "share_a": pl.Float64,  # shared_a / non-boilerplate paragraphs of a
        "share_b": pl.Float64,
        "origin": pl.String,  # id of the likely origin: earliest published, else first read
    }
)

STORIES = pl.Schema(
    {
        "story_id": pl.Int64,
        "n_docs": pl.Int64,
        "n_sources": pl.Int64,
        "n_copies": pl.Int64,  # documents in it that copy another
        "first_id": pl.String,
        "title": pl.String,
    }
)

OUTPUT_DOCUMENTS = pl.Schema(
    {
        "doc_id": pl.Int64,
        "id": pl.String,
        "file": pl.String,
        "line": pl.Int64,
        "title": pl.String,
        "source": pl.String,
        "url": pl.String,
        "published": pl.String,
        "language": pl.String,
        "n_paragraphs": pl.Int64,
        "n_boilerplate": pl.Int64,
        "story_id": pl.Int64,
        "copy_of": pl.String,
        "is_exact_duplicate": pl.Boolean,
        "duplicate_of": pl.String,
    }
)

REMOVED = pl.Schema(
    {  # one row per article or paragraph left out of the deduplicated corpus (`newsdedup dedup --removed`)
        "id": pl.String,  # the article
        "file": pl.String,
        "line": pl.Int64,
        "level": pl.String,  # article | paragraph
        "position": pl.Int64,  # the paragraph's place in its article; null for an article
        "reason": pl.String,  # exact_duplicate | copy | repeated_passage | boilerplate | emptied
        "duplicate_of": pl.String,  # id of the kept article holding what was removed (null: boilerplate, emptied)
        "relation": pl.String,  # exact | copy | near_duplicate | paraphrase | related | boilerplate's reason
        "score": pl.Float64,  # share of the article found in duplicate_of, or the paragraphs' cosine
        "n_chars": pl.Int64,
        "text": pl.String,  # the removed paragraph (null for an article)
    }
)

# Statements of different articles of one story that cannot both be true (cluster.contradictions.stage).
CONTRADICTIONS = pl.Schema(
    {
        "story_id": pl.Int64,
        "id_a": pl.String,
        "id_b": pl.String,
        "para_a": pl.Int64,
        "para_b": pl.Int64,
        "sentence_a": pl.String,
        "sentence_b": pl.String,
        "kind": pl.String,  # number | date | negation | entity | claim | dispute
        "score": pl.Float64,
        "span_a": pl.String,
        "span_b": pl.String,
        "layer": pl.String,  # detail | nli | both
        "n_article_pairs": pl.Int64,  # article pairs repeating this contradiction (copies of one wire text)
        "evidence": pl.String,  # what was found: number, date, role, same place, antonym, negation flip, ...
        "confidence": pl.String,  # high | low (only high without --all-flags)
    }
)


def empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Select and cast ``frame`` to ``schema``; a missing column is a programming error."""
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing} of its schema")
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


# ---- tables a living index keeps between generations (cluster/living/): on-disk contracts, not outputs ----

INPUT = pl.Schema(
    {  # type: ignore[arg-type]
        **DOCUMENTS,  # the articles as read, text included
        "content_hash": pl.String,  # of the text as read: an id whose text changed is updated
        "text_key": pl.String,  # of the normalised text: what exact-duplicate detection compares
    }
)

NEIGHBOURS = pl.Schema(
    {
        "left": pl.Int64,  # vector rows, left < right
        "right": pl.Int64,
        "cosine": pl.Float32,
        "match": pl.Float32,  # passages.passage_scores of the pair
    }
)

ARTICLES = pl.Schema(
    {
        "doc_id": pl.Int64,
        "fingerprint": pl.String,  # stories.article_fingerprints: what an article's story work depends on
    }
)

STORY_SCORES = pl.Schema(
    {
        "doc_a": pl.Int64,  # doc_a < doc_b: a story candidate pair, scored by stories.paragraph_match
        "doc_b": pl.Int64,
        "score": pl.Float64,
    }
)
