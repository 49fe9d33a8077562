"""The pipeline on a tiny planted corpus, with the fake encoder (exact-text matching only)."""

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from cluster.cache import EmbeddingCache
from cluster.pipeline import Settings, prepare, run

WIRE = [
    "The river burst its banks overnight and flooded the lower town, forcing hundreds of families out.",
    "Emergency crews used boats to reach residents trapped on the upper floors of their homes.",
    "The mayor said the clean-up would take weeks and asked volunteers to register at the town hall.",
    "Forecasters expect more rain on Friday, and the army has been put on standby to help.",
]
OTHER = [
    "A new bakery opened on the high street this week, selling bread baked in a wood-fired oven.",
    "Its owner trained in Lyon for five years before returning home to open the shop with her brother.",
]


def corpus() -> pl.DataFrame:
    texts = {
        "wire": "\n\n".join(WIRE),
        "copy-full": "Advertisement\n\n" + "\n\n".join(WIRE) + "\n\nSign up for our newsletter today.",
        "copy-trunc": "\n\n".join(WIRE[:2]),
        "quote-only": WIRE[2] + "\n\nThe council will meet on Monday to discuss flood defences for the town.\n\n"
        "Residents have long complained that the river walls were too low for storms like this one.",
        "bakery": "\n\n".join(OTHER),
        "bakery-dup": "\n\n".join(OTHER),
    }
    published = [datetime(2016, 1, 1, 8, tzinfo=UTC), datetime(2016, 1, 1, 9, tzinfo=UTC), None, None,
                 datetime(2016, 1, 2, tzinfo=UTC), datetime(2016, 1, 3, tzinfo=UTC)]  # fmt: skip
    return pl.DataFrame(
        {
            "doc_id": range(len(texts)),
            "id": list(texts),
            "file": "mem",
            "line": None,
            "title": None,
            "source": ["wire", "globe", "post", "ledger", "gazette", "herald"],
            "url": None,
            "published": None,
            "published_at": published,
            "text": list(texts.values()),
        },
        schema_overrides={"published_at": pl.Datetime("us", "UTC"), "line": pl.Int64},
    )


def test_planted_copies_origin_and_exact_duplicates(fake_encoder) -> None:
    result = run(corpus(), fake_encoder)
    docs = {r["id"]: r for r in result.documents.to_dicts()}
    assert docs["copy-full"]["copy_of"] == "wire"
    assert docs["copy-trunc"]["copy_of"] == "wire"
    assert docs["wire"]["copy_of"] is None
    assert docs["quote-only"]["copy_of"] is None  # one shared paragraph of three is not a copy
    assert docs["bakery-dup"]["is_exact_duplicate"] and docs["bakery-dup"]["duplicate_of"] == "bakery"
    assert docs["bakery-dup"]["copy_of"] == "bakery"
    assert docs["copy-full"]["n_boilerplate"] == 2
    pairs = {(r["id_a"], r["id_b"]): r for r in result.copies.to_dicts()}
    assert set(pairs) == {("copy-full", "wire"), ("copy-trunc", "wire"), ("copy-full", "copy-trunc"),
                          ("bakery", "bakery-dup")}  # fmt: skip
    assert pairs[("copy-trunc", "wire")]["share_a"] == 1.0
    assert pairs[("copy-trunc", "wire")]["share_b"] == 0.5
    assert docs["wire"]["story_id"] == docs["copy-full"]["story_id"] == docs["copy-trunc"]["story_id"]
    assert docs["bakery"]["story_id"] != docs["wire"]["story_id"]


def test_every_paragraph_has_a_passage_and_wire_passages_span_their_copies(fake_encoder) -> None:
    result = run(corpus(), fake_encoder)
    assert result.paragraphs["passage_id"].null_count() == 0
    first_wire = result.passages.filter(pl.col("text") == WIRE[0]).row(0, named=True)
    assert first_wire["n_docs"] == 3 and first_wire["first_id"] == "wire"
    quote = result.passages.filter(pl.col("text") == WIRE[2]).row(0, named=True)
    assert quote["n_docs"] == 3


def test_each_distinct_text_is_embedded_once_and_cached_for_the_next_run(fake_encoder, tmp_path) -> None:
    result = run(corpus(), fake_encoder, cache=EmbeddingCache(tmp_path / "c", fake_encoder.name, fake_encoder.dim))
    n_distinct = result.paragraphs.filter(~pl.col("is_boilerplate"))["hash"].n_unique()
    assert sum(fake_encoder.calls) == n_distinct == result.stats["embedded"] == 8
    assert result.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)


def test_rerun_with_saved_cache_embeds_nothing(fake_encoder, tmp_path) -> None:
    cache = EmbeddingCache(tmp_path / "c", fake_encoder.name, fake_encoder.dim)
    first = run(corpus(), fake_encoder, cache=cache)
    cache.save()
    fake_encoder.calls.clear()
    second = run(corpus(), fake_encoder, cache=EmbeddingCache(tmp_path / "c", fake_encoder.name, fake_encoder.dim))
    assert fake_encoder.calls == []
    assert second.stats["embedded"] == 0
    assert np.array_equal(first.vectors, second.vectors)
    assert first.documents.equals(second.documents)


def test_settings_reject_inconsistent_thresholds() -> None:
    with pytest.raises(ValueError, match="pair <= paraphrase <= passage"):
        Settings(pair_threshold=0.95, passage_threshold=0.9)


def test_prepare_with_kept_paragraphs_splits_only_dirty_articles_and_equals_a_fresh_prepare(monkeypatch) -> None:
    from cluster import paragraphs as paragraphs_mod

    footer = "Read the whole story on the Daily Planet website every single morning."
    texts = [f"{w}\n\n{footer}" for w in (*WIRE, *OTHER)]
    docs = pl.DataFrame({"doc_id": range(6), "id": [f"d{i}" for i in range(6)], "text": texts})
    settings = Settings()
    before = prepare(docs.head(3), settings)  # the footer is in 3 articles: content
    assert "repeated" not in before["boilerplate_reason"].to_list()
    grown = docs.with_columns(
        pl.when(pl.col("doc_id") == 1).then(pl.lit("Advertisement\n\nA rewritten second article.")).otherwise("text")
        .alias("text")
    )
    split: list[int] = []
    real = paragraphs_mod.split_paragraphs
    monkeypatch.setattr(paragraphs_mod, "split_paragraphs", lambda d, m: split.extend(d["doc_id"]) or real(d, m))
    kept = prepare(grown, settings, kept=before, dirty=np.array([1, 3, 4, 5]))
    assert split == [1, 3, 4, 5]
    monkeypatch.setattr(paragraphs_mod, "split_paragraphs", real)
    fresh = prepare(grown, settings)
    assert kept.equals(fresh)
    assert kept.filter(pl.col("text") == footer)["boilerplate_reason"].to_list() == ["repeated"] * 5
