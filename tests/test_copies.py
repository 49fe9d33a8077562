from datetime import UTC, datetime

import polars as pl
import pytest

from cluster.copies import copy_of, document_rank, find_copies, shared_passages


def documents(published: list[datetime | None]) -> pl.DataFrame:
    n = len(published)
    return pl.DataFrame(
        {"doc_id": range(n), "id": ["zeta", "alpha", "mid", "solo"][:n], "published_at": published},
        schema={"doc_id": pl.Int64, "id": pl.String, "published_at": pl.Datetime("us", "UTC")},
    )


def paragraphs(rows: list[tuple[int, int, bool]]) -> pl.DataFrame:
    doc, passage, boiler = zip(*rows, strict=True)
    return pl.DataFrame({"doc_id": doc, "passage_id": passage, "is_boilerplate": boiler})


# doc 0: passages 1-4 (+ boilerplate 9); doc 1 copies 1,2,3 and adds 5; doc 2 shares one quote (4) with doc 0
PARAS = paragraphs(
    [(0, 1, False), (0, 2, False), (0, 3, False), (0, 4, False), (0, 9, True),
     (1, 1, False), (1, 2, False), (1, 3, False), (1, 5, False), (1, 9, True),
     (2, 4, False), (2, 6, False), (2, 7, False), (3, 8, False)]
)  # fmt: skip


def test_shares_count_non_boilerplate_paragraphs_only() -> None:
    shared = shared_passages(PARAS)
    rows = {(r["doc_a"], r["doc_b"]): (r["shared_a"], r["n_a"], r["shared_b"], r["n_b"]) for r in shared.to_dicts()}
    assert rows == {(0, 1): (3, 4, 3, 4), (0, 2): (1, 4, 1, 3)}


def test_copy_needs_half_of_the_shorter_article_and_names_the_earliest_origin() -> None:
    early, late = datetime(2015, 12, 1, 9, tzinfo=UTC), datetime(2015, 12, 1, 12, tzinfo=UTC)
    docs = documents([late, early, None, None])
    copies = find_copies(shared_passages(PARAS), docs, min_share=0.5)
    assert copies.to_dicts() == [
        {"id_a": "alpha", "id_b": "zeta", "shared_a": 3, "shared_b": 3, "share_a": 0.75, "share_b": 0.75,
         "origin": "alpha"}
    ]  # fmt: skip
    assert copy_of(copies, docs)["copy_of"].to_list() == ["alpha", None, None, None]


def test_without_dates_the_first_read_is_the_origin_and_threshold_is_configurable() -> None:
    docs = documents([None, None, None, None])
    copies = find_copies(shared_passages(PARAS), docs, min_share=0.8)
    assert copies.is_empty()
    copies = find_copies(shared_passages(PARAS), docs, min_share=0.3)
    assert copies.select("id_a", "id_b", "origin").rows() == [("alpha", "zeta", "zeta"), ("mid", "zeta", "zeta")]


def test_dated_articles_come_before_undated_ones() -> None:
    docs = documents([None, datetime(2016, 1, 1, tzinfo=UTC), None, None])
    assert document_rank(docs)["doc_id"].to_list() == [1, 0, 2, 3]


def test_min_share_is_checked() -> None:
    with pytest.raises(ValueError, match="min_share"):
        find_copies(shared_passages(PARAS), documents([None] * 4), min_share=0.0)
