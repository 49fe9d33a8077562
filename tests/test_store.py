"""Atomic writes, file names and manifests (cluster/store.py); the embedding cache: tests/test_cache.py."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cluster.errors import IndexFormatError, StoreError
from cluster.pipeline import Settings
from cluster.store import (
    INDEX_FORMAT_VERSION,
    atomic_path,
    cache_path,
    check_index_manifest,
    manifest_model,
    model_key,
    npz_cache_path,
    read_manifest,
    read_vectors,
    settings_from_dict,
    write_array,
    write_json,
    write_parquet,
    write_run,
    write_table,
    write_vectors,
)
from cluster.stories import StoryParams


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- atomic_path -------------------------------------------------------------------------------------------


def test_atomic_path_replaces_target_on_success(tmp_path: Path) -> None:
    target = tmp_path / "table.txt"
    target.write_text("old", encoding="utf-8")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != target
        tmp.write_text("new", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "old"  # untouched until the block ends
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.txt"]


def test_atomic_path_creates_missing_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("x", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "x"
    assert _leftovers(target.parent) == []


def test_atomic_path_leaves_no_temp_file_and_keeps_target_on_exception(tmp_path: Path) -> None:
    target = tmp_path / "table.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        tmp.write_text("half-writ", encoding="utf-8")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.txt"]


def test_atomic_path_on_exception_creates_no_target(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("partial", encoding="utf-8")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


# --- write_table / write_json / write_run --------------------------------------------------------------------


def test_write_table_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"format must be one of \('parquet', 'csv', 'jsonl'\), got 'xml'"):
        write_table(pl.DataFrame({"a": [1]}), tmp_path, "t", "xml")
    assert list(tmp_path.iterdir()) == []


def test_write_table_csv_joins_lists(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": [1, 2], "tags": [["x", "y"], []]})
    path = write_table(frame, tmp_path, "t", "csv")
    assert path == tmp_path / "t.csv"
    assert path.read_text(encoding="utf-8") == 'a,tags\n1,x|y\n2,""\n'


def test_write_table_turns_os_errors_into_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match=r"^cannot write .*/file/sub/t\.parquet: Not a directory$"):
        write_table(pl.DataFrame({"a": [1]}), blocker / "sub", "t")


def test_write_json_round_trips(tmp_path: Path) -> None:
    target = write_json({"b": 1, "a": [1, 2]}, tmp_path / "m.json")
    assert json.loads(target.read_text(encoding="utf-8")) == {"b": 1, "a": [1, 2]}
    assert _leftovers(tmp_path) == []


def test_write_run_writes_manifest_last_and_removes_the_old_one_first(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"old": true}', encoding="utf-8")
    seen: list[bool] = []

    frame = pl.DataFrame({"a": [1]})
    original = pl.DataFrame.write_parquet

    def spy(self: pl.DataFrame, file: object, *args: object, **kwargs: object) -> None:
        seen.append((tmp_path / "manifest.json").exists())
        original(self, file, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pl.DataFrame, "write_parquet", spy)
        written = write_run(tmp_path, {"one": frame, "two": frame}, {"new": True})
    assert seen == [False, False]
    assert [p.name for p in written] == ["one.parquet", "two.parquet", "manifest.json"]
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8")) == {"new": True}


# --- one place for every file name and writer ----------------------------------------------------------------


def test_cache_path_is_under_cache_and_names_the_model(tmp_path: Path) -> None:
    assert cache_path(tmp_path, "all-MiniLM-L6-v2", 384) == tmp_path / "cache" / "shards-all-MiniLM-L6-v2-384"
    assert npz_cache_path(tmp_path, "m", 8) == tmp_path / "cache" / "embeddings-m-8.npz"  # converted when found
    assert model_key("/models/my model:v2/", 8) == "models_my_model_v2-8"


def test_writers_turn_os_errors_into_one_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    frame = pl.DataFrame({"a": [1]})
    for write in (
        lambda: write_parquet(frame, blocker / "t.parquet"),
        lambda: write_array(np.zeros(3), blocker / "a.npy"),
        lambda: write_vectors(["h"], np.zeros((1, 2), np.float32), blocker / "v.npz"),
        lambda: write_json({}, blocker / "m.json"),
    ):
        with pytest.raises(StoreError, match="cannot write .*file/"):
            write()


def test_vectors_round_trip(tmp_path: Path) -> None:
    vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    write_vectors(["a", "b", "c"], vectors, tmp_path / "v.npz")
    hashes, back = read_vectors(tmp_path / "v.npz")
    assert hashes == ["a", "b", "c"]
    np.testing.assert_array_equal(back, vectors)


# --- manifests -------------------------------------------------------------------------------------------


def _recorded() -> dict[str, object]:
    """Settings as a manifest of this version records them (through JSON, as on disk)."""
    return json.loads(json.dumps(Settings().as_dict()))


def test_settings_written_by_this_version_read_back_equal() -> None:
    assert settings_from_dict(_recorded(), Settings) == Settings()
    custom = replace(Settings(), passage_threshold=0.95, stories=StoryParams(k=7))
    assert settings_from_dict(json.loads(json.dumps(custom.as_dict())), Settings) == custom


def test_a_missing_setting_is_an_error_naming_it_not_a_silent_default() -> None:
    data = _recorded()
    del data["min_share"]
    with pytest.raises(StoreError, match="lack min_share"):
        settings_from_dict(data, Settings)
    data = _recorded()
    del data["stories"]["k"]  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match=r"lack stories\.k"):
        settings_from_dict(data, Settings)


def test_an_unknown_or_invalid_setting_is_an_error() -> None:
    with pytest.raises(StoreError, match="unknown setting.*shiny_new_knob"):
        settings_from_dict({**_recorded(), "shiny_new_knob": 1}, Settings)
    with pytest.raises(StoreError, match="rejected: thresholds must satisfy"):
        settings_from_dict({**_recorded(), "pair_threshold": 0.99}, Settings)
    with pytest.raises(StoreError, match="must be an object"):
        settings_from_dict({**_recorded(), "index": 3}, Settings)


def test_read_manifest(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="has no manifest.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot read"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"counts": {}}', encoding="utf-8")
    with pytest.raises(StoreError, match="not a newsdedup manifest"):
        read_manifest(tmp_path)
    data = {"model": {"name": "m", "dim": 8}, "settings": _recorded()}
    write_json(data, tmp_path / "manifest.json")
    assert read_manifest(tmp_path) == data and manifest_model(data) == ("m", 8)


def test_check_index_manifest(tmp_path: Path) -> None:
    good = {"format_version": INDEX_FORMAT_VERSION, "model": {}, "settings": {}, "segments": [], "index": {}}
    check_index_manifest(good, tmp_path)
    with pytest.raises(IndexFormatError, match="not a newsdedup index"):
        check_index_manifest({"model": {}}, tmp_path)
    with pytest.raises(IndexFormatError, match="newer than this newsdedup understands"):
        check_index_manifest({**good, "format_version": INDEX_FORMAT_VERSION + 1}, tmp_path)
    with pytest.raises(IndexFormatError, match="lacks 'segments'"):
        check_index_manifest({k: v for k, v in good.items() if k != "segments"}, tmp_path)
