"""The embedding cache (cluster/cache.py): shards by content hash, the old .npz converted, damage survived,
and the local embedding through it (cluster.pipeline.embed) with encoders that count what they embed."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cluster import cache as cache_mod
from cluster import pipeline
from cluster.cache import EmbeddingCache, open_cache
from cluster.errors import StoreError
from cluster.exact import distinct_hashes, distinct_texts, text_hash
from cluster.pipeline import embed, prepare
from cluster.store import cache_path, npz_cache_path, vector_file, write_vectors


def _vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# --- the store ------------------------------------------------------------------------------------------------


def test_cache_round_trips_through_shards_and_reload(tmp_path: Path) -> None:
    folder = tmp_path / "shards-fake-4"
    cache = EmbeddingCache(folder, "fake", 4)
    assert len(cache) == 0 and not folder.exists()  # nothing written until something is added
    vectors = _vectors(3, 4)
    name = cache.add(["h0", "h1", "h2"], vectors)
    cache.save()
    assert _files(folder) == sorted([f"{name}.npy", f"{name}.hashes.npy", "index.json"])  # no .tmp left
    assert json.loads((folder / "index.json").read_text()) == {
        "model": "fake", "dim": 4, "shards": [{"name": name, "rows": 3}]
    }  # fmt: skip

    again = EmbeddingCache(folder, "fake", 4)
    assert len(again) == 3
    found, got = again.lookup(["h2", "missing", "h0"])
    assert found.tolist() == [True, False, True]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, vectors[[2, 0]])


def test_each_add_is_a_new_shard_and_nothing_is_rewritten(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c", "fake", 2)
    first = cache.add(["a"], _vectors(1, 2))
    stamp = (tmp_path / "c" / f"{first}.npy").stat().st_mtime_ns
    second = cache.add(["b", "c"], _vectors(2, 2, seed=1))
    assert first != second and cache.sizes == [1, 2]
    assert (tmp_path / "c" / f"{first}.npy").stat().st_mtime_ns == stamp
    shard, row = cache.locate(["c", "a", "z"])
    assert shard.tolist() == [1, 0, -1] and row.tolist() == [1, 0, -1]


def test_cache_keeps_the_first_vector_of_a_known_hash(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c", "fake", 2)
    cache.add(["a"], np.array([[1, 0]], dtype=np.float32))
    cache.add(["a", "b"], np.array([[9, 9], [0, 1]], dtype=np.float32))
    for opened in (cache, EmbeddingCache(tmp_path / "c", "fake", 2)):  # in this run and the next
        assert len(opened) == 2
        found, got = opened.lookup(["a", "b"])
        assert found.tolist() == [True, True]
        np.testing.assert_array_equal(got, np.array([[1, 0], [0, 1]], dtype=np.float32))


def test_a_repeated_hash_in_one_add_still_loads(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c", "fake", 2)
    cache.add(["a", "a", "b"], np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32))
    cache.save()
    again = EmbeddingCache(tmp_path / "c", "fake", 2)
    assert len(again) == 2
    found, got = again.lookup(["b", "a"])
    assert found.tolist() == [True, True]
    np.testing.assert_array_equal(got, np.array([[0, 1], [1, 0]], dtype=np.float32))


def test_cache_add_rejects_a_wrong_shape(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c", "fake", 4)
    with pytest.raises(ValueError, match=r"vectors shape \(2, 3\) does not match 2 hashes × 4"):
        cache.add(["a", "b"], _vectors(2, 3))
    assert len(cache) == 0 and not (tmp_path / "c").exists()


def test_cache_lookup_on_an_empty_cache(tmp_path: Path) -> None:
    found, got = EmbeddingCache(tmp_path / "none", "fake", 4).lookup(["a", "b"])
    assert found.tolist() == [False, False]
    assert got.shape == (0, 4)


@pytest.mark.parametrize(("model", "dim"), [("fake", 8), ("other", 4)], ids=["other-dim", "other-model"])
def test_shards_of_another_model_are_ignored_with_a_warning_then_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, model: str, dim: int
) -> None:
    folder = tmp_path / "c"
    first = EmbeddingCache(folder, "fake", 4)
    first.add(["a", "b"], _vectors(2, 4))
    first.save()
    with caplog.at_level(logging.WARNING, logger="cluster.cache"):
        other = EmbeddingCache(folder, model, dim)
    assert len(other) == 0 and other.lookup(["a"])[0].tolist() == [False]
    assert _warnings(caplog) == [
        f"ignoring the embedding cache {folder}: it holds fake (dim 4), not {model} (dim {dim})"
    ]
    # vectors of two models never mix: the first write removes the other model's shards
    name = other.add(["a"], _vectors(1, dim))
    other.save()
    assert _files(folder) == sorted([f"{name}.npy", f"{name}.hashes.npy", "index.json"])
    assert len(EmbeddingCache(folder, model, dim)) == 1


@pytest.mark.parametrize(
    "damage",
    ["empty-hashes", "garbage-vectors", "truncated-vectors", "wrong-rows", "vectors-gone"],
)
def test_a_damaged_shard_is_ignored_with_a_warning_and_removed_at_the_next_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    folder = tmp_path / "c"
    cache = EmbeddingCache(folder, "fake", 4)
    good = cache.add(["a"], _vectors(1, 4))
    bad = cache.add(["b", "c", "d"], _vectors(3, 4, seed=1))
    vectors, hashes = folder / f"{bad}.npy", folder / f"{bad}.hashes.npy"
    if damage == "empty-hashes":
        hashes.write_bytes(b"")
    elif damage == "garbage-vectors":
        vectors.write_bytes(b"not an npy file at all")
    elif damage == "truncated-vectors":
        vectors.write_bytes(vectors.read_bytes()[:-20])
    elif damage == "wrong-rows":
        np.save(hashes, np.array([b"b", b"c"]))
    else:
        vectors.unlink()
    with caplog.at_level(logging.WARNING, logger="cluster.cache"):
        again = EmbeddingCache(folder, "fake", 4)
    assert len(again) == 1 and again.lookup(["a", "b"])[0].tolist() == [True, False]
    (message,) = _warnings(caplog)
    assert message.startswith(f"ignoring embedding shard {folder / bad}")
    again.add(["b"], _vectors(1, 4))
    assert not vectors.exists() and not hashes.exists() and (folder / f"{good}.npy").exists()


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]"], ids=["empty", "garbage", "not-an-object"])
def test_an_unreadable_index_means_a_warning_and_embedding_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    folder = tmp_path / "c"
    cache = EmbeddingCache(folder, "fake", 4)
    cache.add(["a"], _vectors(1, 4))
    (folder / "index.json").write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="cluster.cache"):
        again = EmbeddingCache(folder, "fake", 4)
    assert len(again) == 0
    (message,) = _warnings(caplog)
    assert message.startswith(f"ignoring the embedding cache {folder}: unreadable index.json (")
    again.add(["a"], _vectors(1, 4))
    again.save()
    assert len(EmbeddingCache(folder, "fake", 4)) == 1  # rebuilt: one shard, a valid index


def test_without_reuse_the_earlier_shards_are_removed_unread(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    EmbeddingCache(folder, "fake", 4).add(["a"], _vectors(1, 4))
    assert len(EmbeddingCache(folder, "fake", 4, reuse=False)) == 0
    assert _files(folder) == []


def test_a_shard_gone_after_opening_is_reported_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "c"
    cache = EmbeddingCache(folder, "fake", 4)
    cache.add(["a"], _vectors(1, 4))
    gone = cache.add(["b"], _vectors(1, 4, seed=1))
    (folder / f"{gone}.npy").unlink()
    with caplog.at_level(logging.WARNING, logger="cluster.cache"):
        found, got = cache.lookup(["b", "a"])
    assert found.tolist() == [False, True] and got.shape == (1, 4)
    assert _warnings(caplog)[0].startswith(f"cannot read embedding shard {folder / gone} (")


def test_fill_copies_every_row_while_releasing_both_maps_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_mod, "_COPY_ROWS", 3)  # pages released every 3 rows copied, mid-shard too
    cache = EmbeddingCache(tmp_path / "c", "fake", 4)
    vectors = _vectors(11, 4)
    cache.add([f"h{i}" for i in range(7)], vectors[:7])
    cache.add([f"h{i}" for i in range(7, 11)], vectors[7:])
    wanted = [f"h{i}" for i in (10, 3, 0, 8, 6, 1, 9, 2, 5, 4, 7)]
    shard, row = cache.locate(wanted)
    copied = vector_file(tmp_path / "v.npy", len(wanted), 4, lambda out: cache.fill(out, shard, row))
    np.testing.assert_array_equal(np.asarray(copied), vectors[[int(h[1:]) for h in wanted]])


def test_small_shards_are_merged_once_they_pile_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_mod, "SHARD_ROWS", 4)
    monkeypatch.setattr(cache_mod, "COMPACT_AFTER", 3)
    folder = tmp_path / "c"
    cache = EmbeddingCache(folder, "fake", 2)
    vectors = _vectors(12, 2)
    big = cache.add([f"h{i}" for i in range(4)], vectors[:4])  # a full shard: never merged
    for lo, hi in ((4, 5), (5, 7), (7, 8)):
        cache.add([f"h{i}" for i in range(lo, hi)], vectors[lo:hi])
    cache.save()
    assert cache.sizes == [4, 1, 2, 1]  # three small shards: not more than COMPACT_AFTER, left as they are
    for lo, hi in ((8, 10), (10, 11), (11, 12)):
        cache.add([f"h{i}" for i in range(lo, hi)], vectors[lo:hi])
    cache.save()
    assert cache.sizes == [4, 4, 4]  # six small shards (1, 2, 1 | 2, 1, 1 rows) merged into groups of >= 4
    assert cache.names[0] == big
    assert sorted(p.name for p in folder.glob("*.hashes.npy")) == sorted(f"{n}.hashes.npy" for n in cache.names)
    assert len(list(folder.glob("part-*.npy"))) == 2 * len(cache.names)  # the merged ones are gone
    again = EmbeddingCache(folder, "fake", 2)
    assert again.names == cache.names and again.sizes == [4, 4, 4]
    found, got = again.lookup([f"h{i}" for i in range(12)])
    assert found.all()
    np.testing.assert_array_equal(got, vectors)
    assert json.loads((folder / "index.json").read_text())["shards"] == [
        {"name": n, "rows": r} for n, r in zip(cache.names, cache.sizes, strict=True)
    ]


# --- the old one-file cache -----------------------------------------------------------------------------------


def test_an_old_npz_cache_is_converted_once_into_a_shard_and_removed(tmp_path: Path) -> None:
    npz = npz_cache_path(tmp_path, "fake", 4)
    vectors = _vectors(3, 4)
    write_vectors(["h0", "h1", "h2"], vectors, npz)
    cache = open_cache(tmp_path, "fake", 4)
    assert not npz.exists()
    (name,) = cache.names
    assert name.startswith("part-npz-")
    found, got = open_cache(tmp_path, "fake", 4).lookup(["h2", "h0", "new"])
    assert found.tolist() == [True, True, False]
    np.testing.assert_array_equal(got, vectors[[2, 0]])
    assert json.loads((cache_path(tmp_path, "fake", 4) / "index.json").read_text())["shards"] == [
        {"name": name, "rows": 3}
    ]


def test_an_old_npz_beside_shards_adds_only_what_they_lack(tmp_path: Path) -> None:
    open_cache(tmp_path, "fake", 4).add(["h0"], np.ones((1, 4), dtype=np.float32))
    write_vectors(["h0", "h1"], _vectors(2, 4), npz_cache_path(tmp_path, "fake", 4))
    cache = open_cache(tmp_path, "fake", 4)
    assert cache.sizes == [1, 1] and len(cache) == 2
    np.testing.assert_array_equal(cache.lookup(["h0"])[1], np.ones((1, 4), dtype=np.float32))


@pytest.mark.parametrize("content", [b"", b"this is not an npz file at all", "truncated", "no-arrays"])
def test_an_unreadable_old_npz_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: object
) -> None:
    npz = npz_cache_path(tmp_path, "fake", 4)
    npz.parent.mkdir(parents=True)
    if content == "truncated":
        write_vectors(["a", "b", "c"], _vectors(3, 4), npz)
        npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    elif content == "no-arrays":
        with npz.open("wb") as handle:
            np.savez(handle, something_else=np.zeros(3))
    else:
        assert isinstance(content, bytes)
        npz.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="cluster.cache"):
        cache = open_cache(tmp_path, "fake", 4)
    assert len(cache) == 0
    (message,) = _warnings(caplog)
    assert message.startswith(f"ignoring unreadable embedding cache {npz} (")


def test_an_old_npz_of_another_dim_is_ignored_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    npz = npz_cache_path(tmp_path, "fake", 8)  # a key naming dim 8, holding vectors of 4
    write_vectors(["a", "b"], _vectors(2, 4), npz)
    with caplog.at_level(logging.WARNING, logger="cluster.cache"):
        assert len(open_cache(tmp_path, "fake", 8)) == 0
    assert _warnings(caplog) == [f"ignoring embedding cache {npz}: shape (2, 4), expected (*, 8)"]


def test_an_old_npz_that_cannot_be_converted_is_kept_and_still_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    npz = npz_cache_path(tmp_path, "fake", 4)
    vectors = _vectors(2, 4)
    write_vectors(["a", "b"], vectors, npz)

    def read_only(*_: object) -> None:
        raise StoreError("cannot write shards: Read-only file system")

    monkeypatch.setattr(cache_mod, "write_shard", read_only)
    with caplog.at_level(logging.WARNING, logger="cluster.cache"):
        cache = open_cache(tmp_path, "fake", 4)
    assert npz.exists()
    assert _warnings(caplog)[0].startswith(f"embedding cache {npz} left as it is: cannot convert it into a shard (")
    found, got = cache.lookup(["b", "a"])
    assert found.all()
    np.testing.assert_array_equal(got, vectors[[1, 0]])


# --- the local embedding through the cache ----------------------------------------------------------------------


class CountingEncoder:
    """A vector per text from its hash; counts the texts it embedded; raises once it has embedded ``fail_after``."""

    name = "counting"
    dim = 16

    def __init__(self, fail_after: int | None = None) -> None:
        self.embedded = 0
        self.fail_after = fail_after

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.fail_after is not None and self.embedded + len(texts) > self.fail_after:
            raise RuntimeError("encoder killed")
        self.embedded += len(texts)
        return np.stack([
            np.random.default_rng(int(text_hash(t)[:12], 16)).standard_normal(self.dim) for t in texts
        ]).astype(np.float32)  # fmt: skip


def _paragraphs(n: int) -> pl.DataFrame:
    """``n`` one-paragraph articles, each text its own (text ``i`` is the same in every call)."""
    texts = [f"Paragraph number {i} of the council story, with words of its own: {'x' * (i % 7)}." for i in range(n)]
    documents = pl.DataFrame(
        {"doc_id": range(n), "id": [f"d{i}" for i in range(n)], "file": "mem", "line": None, "title": None,
         "source": "s", "url": None, "published": None, "published_at": None, "text": texts},
        schema_overrides={"published_at": pl.Datetime("us", "UTC"), "line": pl.Int64},
    )  # fmt: skip
    return prepare(documents)


def test_a_rerun_embeds_nothing_and_new_texts_exactly_once(tmp_path: Path) -> None:
    paragraphs = _paragraphs(20)
    fresh, _ = embed(paragraphs, CountingEncoder())
    encoder = CountingEncoder()
    first, computed = embed(paragraphs, encoder, open_cache(tmp_path, encoder.name, 16), path=tmp_path / "a.npy")
    assert computed == encoder.embedded == 20
    again, computed = embed(paragraphs, encoder, open_cache(tmp_path, encoder.name, 16), path=tmp_path / "b.npy")
    assert computed == 0 and encoder.embedded == 20
    np.testing.assert_array_equal(np.asarray(first), fresh)
    np.testing.assert_array_equal(np.asarray(again), fresh)
    grown = _paragraphs(23)  # three texts more
    vectors, computed = embed(grown, encoder, open_cache(tmp_path, encoder.name, 16), path=tmp_path / "c.npy")
    assert computed == 3 and encoder.embedded == 23
    np.testing.assert_array_equal(np.asarray(vectors), embed(grown, CountingEncoder())[0])


def test_a_run_killed_while_embedding_keeps_the_blocks_it_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "SHARD_ROWS", 4)  # a shard per 4 texts
    paragraphs = _paragraphs(18)
    killed = CountingEncoder(fail_after=10)
    with pytest.raises(RuntimeError, match="encoder killed"):
        embed(paragraphs, killed, open_cache(tmp_path, killed.name, 16), path=tmp_path / "v.npy")
    assert killed.embedded == 8 and not (tmp_path / "v.npy").exists()  # two blocks of 4 done, the third died
    cache = open_cache(tmp_path, killed.name, 16)
    assert cache.sizes == [4, 4] and not list(cache.folder.glob("*.tmp"))  # no index yet: found by their hashes
    encoder = CountingEncoder()
    vectors, computed = embed(paragraphs, encoder, cache, path=tmp_path / "v.npy")
    assert computed == encoder.embedded == 10
    np.testing.assert_array_equal(np.asarray(vectors), embed(paragraphs, CountingEncoder())[0])


def test_texts_of_a_shard_that_went_bad_are_embedded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "SHARD_ROWS", 5)
    paragraphs = _paragraphs(15)
    embed(paragraphs, CountingEncoder(), open_cache(tmp_path, "counting", 16), path=tmp_path / "a.npy")
    cache = open_cache(tmp_path, "counting", 16)
    (cache.folder / f"{cache.names[1]}.npy").write_bytes(b"damaged after the lookup")  # read when filling
    encoder = CountingEncoder()
    vectors, computed = embed(paragraphs, encoder, cache, path=tmp_path / "b.npy")
    assert computed == encoder.embedded == 5
    np.testing.assert_array_equal(np.asarray(vectors), embed(paragraphs, CountingEncoder())[0])


def test_the_vectors_are_the_same_whatever_the_shard_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = _paragraphs(30)
    whole, _ = embed(paragraphs, CountingEncoder(), open_cache(tmp_path / "a", "counting", 16))
    monkeypatch.setattr(pipeline, "SHARD_ROWS", 7)
    sharded, _ = embed(paragraphs, CountingEncoder(), open_cache(tmp_path / "b", "counting", 16))
    np.testing.assert_array_equal(whole, sharded)
    assert open_cache(tmp_path / "b", "counting", 16).sizes == [7, 7, 7, 7, 2]
    assert len(distinct_texts(paragraphs)) == len(distinct_hashes(paragraphs)) == 30
