"""The living index: build + add gives what one build gives, re-adding is a no-op, changed articles are
updated, and a writer killed (SIGKILL) at any point leaves the old index or the new one and embeds nothing
twice when run again (cluster/living/update.py; storage, lookup and maintenance in test_living_*.py).

No real model except in the test marked ``model``: ``WordEncoder`` (tests/living_corpus.py) sums a random
vector per word, so lightly edited paragraphs are near-duplicates (cosine ~0.9) and unrelated ones are nearly
orthogonal.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from living_corpus import ROOT, TESTS, WordEncoder, corpus, options, partitions, write_jsonl
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import cluster.living.update
from cli.app import app
from cluster import living
from cluster.errors import IndexFormatError
from cluster.runner import RunOptions, run_corpus

# --- equality with one build ------------------------------------------------------------------------------


def test_build_then_add_equals_one_build(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, _ = halves
    encoder = WordEncoder()
    living.build(options([a]), tmp_path / "grown", encoder=encoder)
    report = living.add(tmp_path / "grown", [b], encoder=encoder)
    living.build(options([a, b]), tmp_path / "once", encoder=WordEncoder())
    grown, once = partitions(tmp_path / "grown"), partitions(tmp_path / "once")
    for key in once:
        assert grown[key] == once[key], key
    assert len(once["copies"]) >= 8 and len(once["passages"]) < len(once["paragraphs"])  # the test has teeth
    assert any(r[3] == "repeated" for r in once["paragraphs"])
    n_b = sum(1 for _ in b.open())
    assert len(report.added) == n_b and report.updated == [] and report.unchanged == 0
    assert report.summary is not None and report.summary.counts["documents"] == len(once["copy_of"])


def test_three_adds_equal_one_build(tmp_path: Path, articles: list[dict[str, Any]]) -> None:
    parts = [write_jsonl(tmp_path / f"p{i}.jsonl", articles[i::3]) for i in range(3)]
    encoder = WordEncoder()
    living.build(options(parts[:1]), tmp_path / "grown", encoder=encoder)
    for part in parts[1:]:
        living.add(tmp_path / "grown", [part], encoder=encoder)
    living.build(options(parts), tmp_path / "once", encoder=WordEncoder())
    assert partitions(tmp_path / "grown") == partitions(tmp_path / "once")


def test_add_embeds_only_new_texts(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, _ = halves
    encoder = WordEncoder()
    first = living.build(options([a]), tmp_path / "idx", encoder=encoder)
    assert encoder.encoded == first.embedded > 0
    before = encoder.encoded
    report = living.add(tmp_path / "idx", [b], encoder=encoder)
    assert encoder.encoded - before == report.embedded
    once = WordEncoder()
    living.build(options([a, b]), tmp_path / "once", encoder=once)
    assert first.embedded + report.embedded <= once.encoded + 2  # texts that turn boilerplate may be kept


def test_export_writes_what_run_writes(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, both = halves
    living.build(options([a]), tmp_path / "idx", encoder=WordEncoder())
    living.add(tmp_path / "idx", [b], encoder=WordEncoder())
    living.export(tmp_path / "idx", tmp_path / "exported")
    run_corpus(RunOptions(paths=[a, b], out=tmp_path / "run", use_cache=False, use_nli=False), encoder=WordEncoder())
    for name in [*living.TABLES, "contradictions"]:
        got = pl.read_parquet(tmp_path / "exported" / f"{name}.parquet")
        want = pl.read_parquet(tmp_path / "run" / f"{name}.parquet")
        assert_frame_equal(got, want, check_exact=False, abs_tol=1e-5)
    manifest = json.loads((tmp_path / "exported" / "manifest.json").read_text())
    assert manifest["model"] == {"name": "words", "dim": 64, "cache": "words"} and manifest["counts"]["documents"] > 0
    assert manifest["contradiction_layers"] == ["detail"]
    assert (living.current(tmp_path / "idx").path / "contradictions.parquet").is_file()  # judged once, kept
    living.export(tmp_path / "idx", tmp_path / "again")
    assert_frame_equal(pl.read_parquet(tmp_path / "again" / "contradictions.parquet"),
                       pl.read_parquet(tmp_path / "run" / "contradictions.parquet"))


# --- idempotence and updates ------------------------------------------------------------------------------


def test_re_adding_changes_nothing(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, _ = halves
    living.build(options([a]), tmp_path / "idx", encoder=WordEncoder())
    living.add(tmp_path / "idx", [b], encoder=WordEncoder())
    generation = living.current(tmp_path / "idx").name
    snapshot = partitions(tmp_path / "idx")
    encoder = WordEncoder()
    report = living.add(tmp_path / "idx", [a, b], encoder=encoder)
    assert not report.changed and report.added == [] and report.updated == []
    assert report.unchanged == sum(1 for _ in a.open()) + sum(1 for _ in b.open())
    assert encoder.encoded == 0 and living.current(tmp_path / "idx").name == generation
    assert partitions(tmp_path / "idx") == snapshot


def test_changed_text_under_the_same_id_is_updated(tmp_path: Path, articles: list[dict[str, Any]]) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", articles)
    changed = dict(articles[0], text="A completely new text about the harbour.\n\nIt replaces the old one entirely.")
    newer = write_jsonl(tmp_path / "newer.jsonl", [changed, articles[1]])
    living.build(options([first]), tmp_path / "idx", encoder=WordEncoder())
    report = living.add(tmp_path / "idx", [newer], encoder=WordEncoder())
    assert report.changed and report.updated == [articles[0]["id"]] and report.added == [] and report.unchanged == 1
    final = write_jsonl(tmp_path / "final.jsonl", [changed, *articles[1:]])
    living.build(options([final]), tmp_path / "once", encoder=WordEncoder())
    assert partitions(tmp_path / "idx") == partitions(tmp_path / "once")
    docs = living.current(tmp_path / "idx").table("input")
    assert docs.filter(pl.col("id") == articles[0]["id"])["text"].item() == changed["text"]


# --- crash safety ----------------------------------------------------------------------------------------

DRIVER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from living_corpus import WordEncoder, options
from cluster import living
from cluster.living import maintain

op, index, pause_at, marker, log = sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5])
files = [Path(p) for p in sys.argv[6:]]
maintain.EMBED_CHUNK = 7  # many segments, so a kill lands between two of them
seen = {{}}

def checkpoint(stage):
    seen[stage] = seen.get(stage, 0) + 1
    name, _, count = pause_at.partition(":")
    if stage == name and seen[stage] == int(count or 1):
        marker.write_text(stage)
        time.sleep(600)

encoder = WordEncoder(log=log)
if op == "build":
    living.build(options(files), index, encoder=encoder, checkpoint=checkpoint)
else:
    living.add(index, files, encoder=encoder, checkpoint=checkpoint)
"""


def _drive(tmp_path: Path, op: str, index: Path, files: list[Path], pause_at: str, log: Path) -> None:
    """Run ``op`` in a subprocess; kill it with SIGKILL at ``pause_at`` (or let it finish when "none")."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(tests=str(TESTS)))
    marker = tmp_path / "paused"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, str(driver), op, str(index), pause_at, str(marker), str(log), *map(str, files)], cwd=ROOT
    )
    if pause_at == "none":
        assert proc.wait(timeout=120) == 0
        return
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, f"driver ended (rc {proc.returncode}) before reaching {pause_at}"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _embedded(log: Path) -> int:
    return sum(int(x) for x in log.read_text().split()) if log.exists() else 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Partitions of an index over the first half, and over both halves, built without interruption."""
    root = tmp_path_factory.mktemp("reference")
    articles = corpus()
    cut = len(articles) * 3 // 5
    a = write_jsonl(root / "a.jsonl", articles[:cut])
    b = write_jsonl(root / "b.jsonl", articles[cut:])
    encoder = WordEncoder()
    living.build(options([a]), root / "idx", encoder=encoder)
    old = partitions(root / "idx")
    texts_a = encoder.encoded
    living.add(root / "idx", [b], encoder=encoder)
    return {"a": a, "b": b, "old": old, "new": partitions(root / "idx"), "texts_a": texts_a,
            "texts_b": encoder.encoded - texts_a}


@pytest.mark.parametrize("pause_at", ["embedded:1", "embedded:3", "searched", "writing", "written", "switched"])
def test_killed_build_leaves_no_index_or_the_new_one_and_resumes(
    tmp_path: Path, reference: dict[str, Any], pause_at: str
) -> None:
    index, log = tmp_path / "idx", tmp_path / "encoded.log"
    _drive(tmp_path, "build", index, [reference["a"]], pause_at, log)
    before = _embedded(log)
    if pause_at == "switched":
        assert partitions(index) == reference["old"]
    else:
        with pytest.raises(IndexFormatError, match="no complete index"):
            living.current(index)
    _drive(tmp_path, "build", index, [reference["a"]], "none", log)
    assert partitions(index) == reference["old"]
    assert _embedded(log) == reference["texts_a"], "a text was embedded twice"
    assert before > 0
    assert not (index / "LOCK").exists()
    assert [p.name for p in index.glob("gen-*")] == [living.current(index).name] or pause_at == "switched"


@pytest.mark.parametrize("pause_at", ["embedded:1", "embedded:2", "searched", "writing", "written", "switched"])
def test_killed_add_leaves_the_old_index_or_the_new_one_and_resumes(
    tmp_path: Path, reference: dict[str, Any], pause_at: str
) -> None:
    index, log = tmp_path / "idx", tmp_path / "encoded.log"
    living.build(options([reference["a"]]), index, encoder=WordEncoder())
    _drive(tmp_path, "add", index, [reference["b"]], pause_at, log)
    assert partitions(index) == (reference["new"] if pause_at == "switched" else reference["old"])
    assert living.LivingIndex(index).find("Advertisement words that are not boilerplate at all.", WordEncoder())
    _drive(tmp_path, "add", index, [reference["b"]], "none", log)
    assert partitions(index) == reference["new"]
    assert _embedded(log) == reference["texts_b"], "a text was embedded twice"
    assert not any(index.rglob("*.tmp"))


def test_killed_at_random_moments_never_breaks_the_index(tmp_path: Path, reference: dict[str, Any]) -> None:
    index, log = tmp_path / "idx", tmp_path / "encoded.log"
    living.build(options([reference["a"]]), index, encoder=WordEncoder())
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(tests=str(TESTS)))
    rng = random.Random(1)
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, str(driver), "add", str(index), "never", str(tmp_path / "m"), str(log),
             str(reference["b"])],
            cwd=ROOT,
        )
        time.sleep(rng.uniform(0.5, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert partitions(index) in (reference["old"], reference["new"])
    _drive(tmp_path, "add", index, [reference["b"]], "none", log)
    assert partitions(index) == reference["new"]
    # a kill between encoding a chunk (logged) and appending its vectors loses at most that chunk (7 texts)
    assert _embedded(log) <= reference["texts_b"] + 4 * 7


# --- the CLI -------------------------------------------------------------------------------------------------


def test_cli_build_add_find_info_export(
    tmp_path: Path, halves: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = halves
    monkeypatch.setattr(cluster.living.update, "load_encoder", lambda model=None, *args, **kw: WordEncoder())
    runner, index = CliRunner(), str(tmp_path / "news.idx")
    result = runner.invoke(app, ["index", "build", str(a), "--index", index, "--no-nli"])
    assert result.exit_code == 0, result.output
    assert "articles added" in result.output and "gen-000001" in result.output
    result = runner.invoke(app, ["index", "add", str(b), "--index", index])
    assert result.exit_code == 0, result.output
    assert "0 already indexed" in result.output and "gen-000002" in result.output
    result = runner.invoke(app, ["index", "add", str(b), "--index", index])
    assert result.exit_code == 0 and "Nothing to add" in result.output
    result = runner.invoke(app, ["index", "info", "--index", index, "--json"])
    data = json.loads(result.output)
    assert data["model"] == {"name": "words", "dim": 64} and data["format_version"] == 1 and data["size_bytes"] > 0
    result = runner.invoke(app, ["index", "info", "--index", index])
    assert result.exit_code == 0 and "size on disk" in result.output
    article = tmp_path / "article.txt"
    article.write_text(next(r for r in corpus() if r["id"] == "s1-c0")["text"])
    result = runner.invoke(app, ["find", "--index", index, "--file", str(article), "--json"])
    assert result.exit_code == 0, result.output
    assert "s1-c0" in {c["id"] for c in json.loads(result.output)["copies"]}
    result = runner.invoke(app, ["find", "--index", index, "--file", str(article)])
    assert result.exit_code == 0 and "Copies" in result.output and "Story" in result.output
    result = runner.invoke(app, ["find", "--index", index, "text", "--file", str(article)])
    assert result.exit_code == 1 and "Error: give the passage as an argument or --file" in result.output
    result = runner.invoke(app, ["export", "--index", index, "--out", str(tmp_path / "out"), "--format", "csv"])
    assert result.exit_code == 0 and sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [f"{t}.csv" for t in living.TABLES] + ["contradictions.csv", "manifest.json"]
    )
    result = runner.invoke(app, ["index", "info", "--index", str(tmp_path / "missing")])
    assert result.exit_code == 1 and result.output.startswith("Error: index not found")


def test_cli_reports_updated_articles(
    tmp_path: Path, articles: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster.living.update, "load_encoder", lambda model=None, *args, **kw: WordEncoder())
    runner, index = CliRunner(), str(tmp_path / "idx")
    corpus_file = write_jsonl(tmp_path / "a.jsonl", articles)
    assert runner.invoke(app, ["index", "build", str(corpus_file), "-i", index, "--no-nli"]).exit_code == 0
    changed = write_jsonl(tmp_path / "b.jsonl", [dict(articles[2], text="Rewritten from scratch, with new facts.")])
    result = runner.invoke(app, ["index", "add", str(changed), "-i", index])
    assert result.exit_code == 0 and f"Updated 1 article(s) whose text changed: {articles[2]['id']}" in result.output


# --- the real model ----------------------------------------------------------------------------------------


@pytest.mark.model
def test_seeds_split_in_two_equal_one_build_with_the_real_model(tmp_path: Path) -> None:
    from cluster.embed import load_encoder
    from cluster.ingest import read_corpus

    documents = read_corpus([ROOT / "seeds"]).documents
    rows = documents.select("id", "text", "title", "source", "url", "published").to_dicts()
    half = len(rows) // 2
    a = write_jsonl(tmp_path / "a.jsonl", rows[:half])
    b = write_jsonl(tmp_path / "b.jsonl", rows[half:])
    encoder = load_encoder()
    living.build(options([a]), tmp_path / "grown", encoder=encoder)
    living.add(tmp_path / "grown", [b], encoder=encoder)
    living.build(options([a, b]), tmp_path / "once", encoder=encoder)
    grown, once = partitions(tmp_path / "grown"), partitions(tmp_path / "once")
    for key in ("passages", "copies", "copy_of", "stories"):
        assert grown[key] == once[key], key
    labels = pl.read_csv(TESTS / "data" / "seed_labels.csv")
    assert labels.height > 0 and len(once["copies"]) > 0


def test_an_index_built_before_documents_had_a_language_takes_new_articles(
    tmp_path: Path, halves: tuple[Path, Path, Path]
) -> None:
    a, b, _ = halves
    encoder = WordEncoder()
    living.build(options([a]), tmp_path / "idx", encoder=encoder)
    gen = living.current(tmp_path / "idx")
    old_input = gen.path / "input.parquet"
    pl.read_parquet(old_input).drop("language").write_parquet(old_input)  # as an older newsdedup wrote it
    living.add(tmp_path / "idx", [b], encoder=encoder)
    documents = living.current(tmp_path / "idx").table("documents")
    assert documents.height == sum(1 for _ in a.open()) + sum(1 for _ in b.open())
    assert documents["language"].null_count() < documents.height  # old and new articles both detected


def test_cli_dedup_from_an_index_keeps_what_its_exported_tables_keep(
    tmp_path: Path, halves: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = halves
    monkeypatch.setattr(cluster.living.update, "load_encoder", lambda model=None, *args, **kw: WordEncoder())
    runner, index = CliRunner(), str(tmp_path / "news.idx")
    assert runner.invoke(app, ["index", "build", str(a), "--index", index, "--no-nli"]).exit_code == 0
    assert runner.invoke(app, ["index", "add", str(b), "--index", index]).exit_code == 0
    from_index = runner.invoke(app, ["dedup", "--index", index, "--out", str(tmp_path / "i.jsonl"),
                                     "--removed", str(tmp_path / "i-removed.jsonl")])
    assert from_index.exit_code == 0, from_index.output
    assert runner.invoke(app, ["export", "--index", index, "--out", str(tmp_path / "res")]).exit_code == 0
    from_results = runner.invoke(app, ["dedup", "--results", str(tmp_path / "res"), "--out", str(tmp_path / "r.jsonl")])
    assert from_results.exit_code == 0, from_results.output
    assert (tmp_path / "i.jsonl").read_bytes() == (tmp_path / "r.jsonl").read_bytes()
    kept = [json.loads(x)["id"] for x in (tmp_path / "i.jsonl").read_text(encoding="utf-8").splitlines()]
    removed = [json.loads(x) for x in (tmp_path / "i-removed.jsonl").read_text(encoding="utf-8").splitlines()]
    copies = [r for r in removed if r["reason"] == "copy"]
    assert copies and all(r["duplicate_of"] in kept for r in copies)  # the test has teeth: copies were dropped
