"""Bounded memory changes nothing: vectors in a memory-mapped file give the tables vectors in RAM give, and
the chunked story and passage steps give the values of one pass."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks.bench_speed import synthetic_corpus
from cluster import passages as passages_mod
from cluster.cache import EmbeddingCache
from cluster.exact import distinct_texts
from cluster.index import IndexParams
from cluster.pipeline import Settings, embed, prepare, run
from cluster.store import release_pages, vector_file, vectors_path
from cluster.stories import vectors as story_vectors


class KeyedEncoder:
    """The synthetic corpus' vector of each text (its generator's truth)."""

    name = "keyed"
    dim = 384

    def __init__(self, vec: dict[str, np.ndarray]) -> None:
        self.vec = vec

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vec[t] for t in texts]).astype(np.float32)


@pytest.fixture(scope="module")
def synthetic() -> tuple[pl.DataFrame, KeyedEncoder]:
    documents, vec, _ = synthetic_corpus(3000, seed=3)
    return documents, KeyedEncoder(vec)


# an IVF index from 1000 vectors, so the memory map goes through the approximate search too
SMALL_INDEX = Settings(index=IndexParams(exact_max=1000, batch=256))


def test_memory_mapped_vectors_give_the_tables_of_vectors_in_ram(synthetic, tmp_path: Path) -> None:
    documents, encoder = synthetic
    in_ram = run(documents, encoder, SMALL_INDEX)
    path = vectors_path(tmp_path, encoder.name, encoder.dim)
    mapped = run(documents, encoder, SMALL_INDEX, vectors_path=path)
    assert isinstance(mapped.vectors, np.memmap) and mapped.vectors.mode == "r"
    assert path.is_file() and not list(path.parent.glob(".*.tmp"))
    np.testing.assert_array_equal(np.asarray(mapped.vectors), in_ram.vectors)
    assert in_ram.stats["neighbour_pairs"] > 100 and in_ram.stats["copies"] > 10  # the corpus has copies to find
    for name, table in in_ram.tables().items():
        assert_frame_equal(mapped.tables()[name], table, check_exact=True)
    assert mapped.stats == in_ram.stats


def test_an_ivf_index_filled_in_chunks_finds_the_pairs_of_one_add(synthetic, monkeypatch) -> None:
    from cluster import index as index_mod

    documents, encoder = synthetic
    vectors, _ = embed(prepare(documents), encoder)
    params = IndexParams(exact_max=1000)

    def pairs() -> tuple[np.ndarray, ...]:
        return index_mod.neighbour_pairs(index_mod.build_index(vectors, params), vectors, 0.6, params)

    whole = pairs()
    monkeypatch.setattr(index_mod, "_ADD_CHUNK", 97)
    chunked = pairs()
    assert len(whole[0]) > 100
    for a, b in zip(whole, chunked, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_cached_rerun_into_a_memory_map_gives_the_same_vectors(synthetic, tmp_path: Path) -> None:
    documents, encoder = synthetic
    paragraphs = prepare(documents)
    fresh, _ = embed(paragraphs, encoder)
    cache = EmbeddingCache(tmp_path / "cache", "synthetic", encoder.dim)
    first, computed = embed(paragraphs, encoder, cache, path=tmp_path / "a.npy")
    assert computed == len(distinct_texts(paragraphs)) and len(cache) == computed
    cache.save()
    again, computed = embed(paragraphs, encoder, EmbeddingCache(tmp_path / "cache", "synthetic", encoder.dim),
                            path=tmp_path / "b.npy")
    assert computed == 0
    np.testing.assert_array_equal(np.asarray(first), fresh)
    np.testing.assert_array_equal(np.asarray(again), fresh)


def test_a_failed_fill_leaves_no_vector_file(tmp_path: Path) -> None:
    def fail(out: np.ndarray) -> None:
        out[0] = 1.0
        raise RuntimeError("encoder died")

    with pytest.raises(RuntimeError, match="encoder died"):
        vector_file(tmp_path / "v.npy", 4, 3, fail)
    assert list(tmp_path.iterdir()) == []


def test_released_pages_read_back_the_same_values(tmp_path: Path) -> None:
    def fill(out: np.ndarray) -> None:
        out[:] = np.arange(10).reshape(5, 2)

    mapped = vector_file(tmp_path / "v.npy", 5, 2, fill)
    view = np.ascontiguousarray(mapped)
    release_pages(view)  # through the view to its map
    release_pages(np.ones((2, 2)))  # an array in RAM: nothing to do
    assert view[4, 1] == 9.0 and mapped.sum() == 45.0


def test_released_pages_of_a_map_being_written_keep_what_was_written(tmp_path: Path) -> None:
    def fill(out: np.ndarray) -> None:
        out[:2] = 1.0
        release_pages(out)  # before any flush: the written pages are the file's, in the page cache
        out[2:] = 2.0
        release_pages(out)

    mapped = vector_file(tmp_path / "v.npy", 4, 3, fill)
    assert np.asarray(mapped).tolist() == [[1.0] * 3] * 2 + [[2.0] * 3] * 2
    private = np.load(tmp_path / "v.npy", mmap_mode="c")
    private[0] = 7.0
    release_pages(private)  # copy-on-write: its written page exists nowhere else, so it is kept
    assert private[0, 0] == 7.0 and np.load(tmp_path / "v.npy")[0, 0] == 1.0


def test_chunked_article_vectors_and_lexical_scores_equal_one_pass(synthetic, monkeypatch) -> None:
    documents, encoder = synthetic
    paragraphs = prepare(documents).with_columns(pl.col("text_id").alias("vec_row"))
    vectors, _ = embed(paragraphs, encoder)
    n_docs = documents.height
    texts = story_vectors.article_texts(paragraphs, n_docs)
    assert texts is not None
    lexical = story_vectors.lexical_vectors(texts)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, n_docs, 5000), rng.integers(0, n_docs, 5000)

    def both() -> tuple[np.ndarray, np.ndarray]:
        return (story_vectors.article_vectors(vectors, paragraphs, n_docs, 1000),
                story_vectors.lexical_scores(lexical, a, b))

    whole = both()
    monkeypatch.setattr(story_vectors, "_CHUNK", 7)
    chunked = both()
    np.testing.assert_array_equal(chunked[0], whole[0])
    np.testing.assert_array_equal(chunked[1], whole[1])
    assert (whole[1] > 0.2).sum() > 10


def test_a_small_shingle_cache_gives_the_same_overlaps(monkeypatch) -> None:
    texts = ["the river burst its banks overnight", "the river burst its banks", "a new bakery opened", "bakery"]
    left, right = np.array([0, 0, 2, 1, 3]), np.array([1, 2, 3, 0, 2])
    whole = passages_mod.char_overlap(texts, left, right)
    monkeypatch.setattr(passages_mod, "_MAX_SHINGLED", 1)
    small = passages_mod.char_overlap(texts, left, right)
    np.testing.assert_array_equal(small[0], whole[0])
    np.testing.assert_array_equal(small[1], whole[1])
    assert whole[0][0] == 1.0  # the shorter text is all in the longer
