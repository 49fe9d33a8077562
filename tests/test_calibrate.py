"""calibrate: borderline pairs and a threshold sweep from a results folder, with no re-embedding."""

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from cli.app import app
from cluster.runner import RunOptions, run_corpus

WIRE = [
    "The river burst its banks overnight and flooded the lower town, forcing hundreds of families out.",
    "Emergency crews used boats to reach residents trapped on the upper floors of their homes.",
    "The mayor said the clean-up would take weeks and asked volunteers to register at the town hall.",
]


class AxisEncoder:
    """Vectors chosen by hand: copies of wire paragraph i at cosine 0.95 / 0.85 to it."""

    name = "axis"
    dim = 8

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        rows = []
        for t in texts:
            base = next((i for i, w in enumerate(WIRE) if w.split()[1] in t.split()[:3]), 7)
            v = np.zeros(self.dim, dtype=np.float32)
            v[base] = 1.0
            if "EDIT95" in t:
                v[6] = np.sqrt(1 / 0.95**2 - 1)
            if "EDIT85" in t:
                v[6] = -np.sqrt(1 / 0.85**2 - 1)  # the other side of the wire: far from "near"
            rows.append(v / np.linalg.norm(v))
        return np.asarray(rows)


def corpus(tmp_path: Path) -> Path:
    rows = [
        {"id": "wire", "text": "\n\n".join(WIRE)},
        {"id": "near", "text": "\n\n".join(w + " EDIT95" for w in WIRE)},
        # the same vectors' neighbourhood but other words: no character containment to lift it
        {
            "id": "far",
            "text": "\n\n".join(
                f"The {w.split()[1]} story EDIT85 as retold by another desk, in its own words." for w in WIRE
            ),
        },
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def test_calibrate_shows_both_sides_and_sweeps_without_embedding(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    encoder = AxisEncoder()
    run_corpus(RunOptions(paths=[corpus(tmp_path)], out=out), encoder=encoder)
    monkeypatch.setattr("cluster.embed.load_encoder", lambda *a, **k: (_ for _ in ()).throw(AssertionError("embedded")))
    result = CliRunner().invoke(
        app, ["calibrate", str(out), "--json", "--sweep-from", "0.8", "--sweep-to", "0.96", "--step", "0.08"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["threshold"] == 0.92
    assert {round(r["cosine"], 2) for r in report["accepted"]} == {0.95}
    assert round(report["rejected"][0]["cosine"], 2) == 0.85
    counts = {r["threshold"]: (r["repeated_passages"], r["copies"]) for r in report["sweep"]}
    assert counts[0.8] == (3, 3)  # all three versions of each paragraph join; every pair is a copy
    assert counts[0.88] == (3, 1)  # only wire and near
    assert counts[0.96] == (3, 1)  # "near" still holds every character run of the wire: containment keeps it


def test_calibrate_needs_a_finished_run(tmp_path) -> None:
    result = CliRunner().invoke(app, ["calibrate", str(tmp_path)])
    assert result.exit_code == 1
    assert "has no manifest.json" in result.output


def test_calibrate_counts_stories_across_resolutions_without_embedding(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    run_corpus(RunOptions(paths=[corpus(tmp_path)], out=out), encoder=AxisEncoder())
    monkeypatch.setattr("cluster.embed.load_encoder", lambda *a, **k: (_ for _ in ()).throw(AssertionError("embedded")))
    result = CliRunner().invoke(app, ["calibrate", str(out), "--json", "--story-resolutions", "0.05,0.34,0.99"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["story_sweep"]
    assert [r["resolution"] for r in rows] == [0.05, 0.34, 0.99]
    assert [r["is_run"] for r in rows] == [False, True, False]
    counts = [r["stories"] for r in rows]
    # "wire" and "near" share every passage: one story up to a high resolution; more stories as it rises
    assert counts == sorted(counts) and counts[0] <= 2 and counts[-1] == 3
    assert (rows[-1]["largest"], rows[-1]["single_article"]) == (1, 3)
    bad = CliRunner().invoke(app, ["calibrate", str(out), "--story-resolutions", "0.2,high"])
    assert bad.exit_code == 1 and "story resolutions must be numbers separated by commas" in bad.output


def test_calibrate_reads_the_cache_of_an_earlier_version(tmp_path, monkeypatch) -> None:
    """A results folder whose cache is the old one-file .npz: calibrate gets every vector from it (converted)."""
    import shutil

    from cluster.cache import EmbeddingCache
    from cluster.store import cache_path, npz_cache_path, write_vectors

    out = tmp_path / "out"
    run_corpus(RunOptions(paths=[corpus(tmp_path)], out=out), encoder=AxisEncoder())
    before = CliRunner().invoke(app, ["calibrate", str(out), "--json"])
    shards = cache_path(out, "axis", 8)
    cache = EmbeddingCache(shards, "axis", 8)
    keys = cache.keys()
    write_vectors(keys, cache.lookup(keys)[1], npz_cache_path(out, "axis", 8))
    shutil.rmtree(shards)
    monkeypatch.setattr("cluster.embed.load_encoder", lambda *a, **k: (_ for _ in ()).throw(AssertionError("embedded")))
    after = CliRunner().invoke(app, ["calibrate", str(out), "--json"])
    assert after.exit_code == 0, after.output
    assert json.loads(after.output) == json.loads(before.output)
    assert not npz_cache_path(out, "axis", 8).exists() and len(EmbeddingCache(shards, "axis", 8)) == len(keys)
