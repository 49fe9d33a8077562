"""Keeping an index's vectors and pairs up to date (cluster/living/maintain.py): an IVF index grows and is
retrained, keeping the recall of one build; new rows are searched and known pairs keep their scores."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from living_corpus import WordEncoder, options, partitions, write_jsonl

from cluster import living
from cluster.index import IndexParams, build_index, neighbour_pairs
from cluster.living import update_pairs
from cluster.pipeline import Settings

# --- approximate index --------------------------------------------------------------------------------------


def test_ivf_index_grows_and_is_retrained(tmp_path: Path, articles: list[dict[str, Any]]) -> None:
    settings = Settings(index=IndexParams(exact_max=60, nlist=4, nprobe=4))
    parts = [write_jsonl(tmp_path / f"p{i}.jsonl", articles[i::4]) for i in range(4)]
    living.build(options(parts[:1], settings), tmp_path / "idx", encoder=WordEncoder())
    notes = []
    for part in parts[1:]:
        notes += living.add(tmp_path / "idx", [part], encoder=WordEncoder()).notes
    assert any("IVF" in n for n in notes)
    meta = living.current(tmp_path / "idx").manifest["index"]
    assert meta["kind"] == "ivf" and meta["n_vectors"] > 60
    living.build(options(parts, replace(settings, index=IndexParams())), tmp_path / "exact", encoder=WordEncoder())
    grown, exact = partitions(tmp_path / "idx"), partitions(tmp_path / "exact")
    assert len(grown["pairs"] & exact["pairs"]) >= 0.99 * len(exact["pairs"])


def test_update_pairs_searches_new_rows_and_keeps_the_scores_of_known_pairs() -> None:
    vectors = np.array([[1, 0, 0], [0.95, 0.31, 0], [0, 1, 0], [0.96, 0, 0.28]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    params = IndexParams()
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32))
    index, meta, first, note = update_pairs(None, {}, vectors[:2], none, 0, 0.5, params)
    assert note is None and meta == {"kind": "flat", "trained_on": 2, "n_vectors": 2}
    assert first[0].tolist() == [0] and first[1].tolist() == [1] and np.isnan(first[3]).all()
    kept = (first[0], first[1], first[2], np.array([0.93], np.float32))  # the pair's match, scored meanwhile
    index, meta, pairs, _ = update_pairs(index, meta, vectors, kept, 2, 0.5, params)
    left, right, score, match = pairs
    exact = neighbour_pairs(build_index(vectors), vectors, 0.5)
    assert left.tolist() == exact[0].tolist() and right.tolist() == exact[1].tolist()
    np.testing.assert_allclose(score, exact[2], rtol=1e-6)
    assert match[0] == np.float32(0.93) and np.isnan(match[1:]).all() and meta["n_vectors"] == 4
