"""Which article copies which: shares of paragraphs found in the other, and the likely origin.

For two articles that share passages, ``share_a`` is the fraction of a's non-boilerplate paragraphs whose
passage also occurs in b. The pair is a copy when the shorter article (fewer non-boilerplate paragraphs;
on a tie, the one with the larger share) has at least ``min_share`` of its paragraphs in the other.
The origin is the earlier article: earliest ``published``; an article without a date counts as later than
one with a date; equal or missing dates fall back to reading order.
"""

from __future__ import annotations

import polars as pl

from cluster.schemas import COPIES, conform


def document_rank(documents: pl.DataFrame) -> pl.DataFrame:
    """(doc_id, rank): 0 is the earliest article by published date, then reading order."""
    return (
        documents.select("doc_id", "published_at")
        .sort("published_at", "doc_id", nulls_last=True)
        .with_row_index("rank")
        .select("doc_id", pl.col("rank").cast(pl.Int64))
    )


def shared_passages(paragraphs: pl.DataFrame, max_passage_docs: int = 1000) -> pl.DataFrame:
    """Article pairs sharing passages: doc_a < doc_b, shared_a, shared_b, n_a, n_b (content paragraphs)."""
    content = paragraphs.filter(~pl.col("is_boilerplate"))
    sizes = content.group_by("doc_id").agg(pl.len().alias("n"))
    per_doc = content.group_by("doc_id", "passage_id").agg(pl.len().alias("c"))
    spread = per_doc.group_by("passage_id").agg(pl.len().alias("n_docs"))
    per_doc = per_doc.join(spread.filter(pl.col("n_docs").is_between(2, max_passage_docs)), on="passage_id")
    joined = per_doc.join(per_doc, on="passage_id", suffix="_b").filter(pl.col("doc_id") < pl.col("doc_id_b"))
    pairs = joined.group_by("doc_id", "doc_id_b").agg(
        pl.col("c").sum().alias("shared_a"), pl.col("c_b").sum().alias("shared_b")
    )
    return (
        pairs.rename({"doc_id": "doc_a", "doc_id_b": "doc_b"})
        .join(sizes.rename({"doc_id": "doc_a", "n": "n_a"}), on="doc_a")
        .join(sizes.rename({"doc_id": "doc_b", "n": "n_b"}), on="doc_b")
        .with_columns(
            (pl.col("shared_a") / pl.col("n_a")).alias("share_a"),
            (pl.col("shared_b") / pl.col("n_b")).alias("share_b"),
        )
        .sort("doc_a", "doc_b")
    )


def find_copies(shared: pl.DataFrame, documents: pl.DataFrame, min_share: float = 0.5) -> pl.DataFrame:
    """The copy pairs among ``shared``, with ids ordered (id_a < id_b) and the origin named."""
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    shorter_share = (
        pl.when(pl.col("n_a") < pl.col("n_b"))
        .then(pl.col("share_a"))
        .when(pl.col("n_b") < pl.col("n_a"))
        .then(pl.col("share_b"))
        .otherwise(pl.max_horizontal("share_a", "share_b"))
    )
    rank = document_rank(documents).join(documents.select("doc_id", "id"), on="doc_id")
    copies = (
        shared.filter(shorter_share >= min_share)
        .join(rank.rename({"doc_id": "doc_a", "rank": "rank_a", "id": "ida"}), on="doc_a")
        .join(rank.rename({"doc_id": "doc_b", "rank": "rank_b", "id": "idb"}), on="doc_b")
        .with_columns(
            pl.when(pl.col("rank_a") < pl.col("rank_b")).then("ida").otherwise("idb").alias("origin"),
            (pl.col("ida") < pl.col("idb")).alias("_in_order"),
        )
    )
    swap = pl.col("_in_order")
    copies = copies.select(
        pl.when(swap).then("ida").otherwise("idb").alias("id_a"),
        pl.when(swap).then("idb").otherwise("ida").alias("id_b"),
        pl.when(swap).then("shared_a").otherwise("shared_b").alias("shared_a"),
        pl.when(swap).then("shared_b").otherwise("shared_a").alias("shared_b"),
        pl.when(swap).then("share_a").otherwise("share_b").alias("share_a"),
        pl.when(swap).then("share_b").otherwise("share_a").alias("share_b"),
        "origin",
    )
    return conform(copies.sort("id_a", "id_b"), COPIES)


def copy_of(copies: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """(doc_id, copy_of): for each article that copies another, the earliest article it copies."""
    rank = document_rank(documents).join(documents.select("doc_id", "id"), on="doc_id")
    copier = pl.when(pl.col("origin") == pl.col("id_a")).then("id_b").otherwise("id_a")
    edges = copies.select(copier.alias("id"), pl.col("origin").alias("copy_of"))
    best = (
        edges.join(rank.select(pl.col("id").alias("copy_of"), pl.col("rank").alias("_r")), on="copy_of")
        .sort("_r")
        .group_by("id")
        .agg(pl.col("copy_of").first())
    )
    return documents.select("doc_id", "id").join(best, on="id", how="left").select("doc_id", "copy_of")
