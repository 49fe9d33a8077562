"""The living index: build + add gives what one build gives, re-adding is a no-op, changed articles are
updated, models and formats are never mixed, one writer at a time, and a writer killed (SIGKILL) at any
point leaves the old index or the new one and embeds nothing twice when run again.

No real model except in the test marked ``model``: ``WordEncoder`` sums a random vector per word, so lightly
edited paragraphs are near-duplicates (cosine ~0.9) and unrelated ones are nearly orthogonal.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import cluster.living.update
from cli.app import app
from cluster import living
from cluster.errors import IndexFormatError, IndexLockedError, IndexModelError
from cluster.exact import normalise
from cluster.index import IndexParams
from cluster.pipeline import Settings
from cluster.runner import RunOptions, run_corpus

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


class WordEncoder:
    """Sum of one random unit vector per normalised word, L2-normalised; logs batch sizes to ``log``."""

    name = "words"

    def __init__(self, dim: int = 64, log: Path | None = None, name: str = "words") -> None:
        self.dim = dim
        self.log = log
        self.name = name
        self.encoded = 0

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        return np.random.default_rng(seed).standard_normal(self.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        if self.log is not None:
            with self.log.open("a") as handle:
                handle.write(f"{len(texts)}\n")
        rows = [sum((self._word(w) for w in normalise(t).split()), np.zeros(self.dim)) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "pa", "di", "fe", "go", "hu", "ji"]


def corpus(seed: int = 0, n_stories: int = 8) -> list[dict[str, Any]]:
    """Articles: per story an origin and 1-4 copies (paragraphs dropped, words edited, own paragraphs added),
    adverts, one outlet footer repeated across unrelated articles, and stand-alone articles."""
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(3000)})

    def sentence(n: int = 22) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n)).capitalize() + "."

    def edit(text: str) -> str:
        words = text.rstrip(".").split()
        for _ in range(rng.choice([1, 1, 2])):
            words[rng.randrange(1, len(words))] = rng.choice(vocab)
        return " ".join(words) + "."

    footer = "Read the full coverage on the Daily Planet website every single morning before work."
    articles: list[dict[str, Any]] = []
    for s in range(n_stories):
        wire = [sentence() for _ in range(rng.randint(4, 7))]
        for c in range(rng.randint(2, 5)):
            kept = [p if rng.random() < 0.5 else edit(p) for p in wire if rng.random() < 0.85]
            paras = list(wire) if c == 0 else kept
            if c:
                paras.insert(rng.randrange(len(paras) + 1), sentence())
            if rng.random() < 0.3:
                paras.insert(1, "Advertisement")
            articles.append({
                "id": f"s{s}-c{c}", "source": f"outlet{rng.randrange(6)}", "text": "\n\n".join(paras),
                "published": f"2024-03-{1 + s:02d}T{8 + c:02d}:00:00Z",
            })
    for i in range(8):
        paras = [sentence() for _ in range(rng.randint(2, 5))] + ([footer] if i < 6 else [])
        articles.append({"id": f"solo{i}", "source": "Daily Planet", "text": "\n\n".join(paras)})
    rng.shuffle(articles)
    return articles


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def options(paths: list[Path], settings: Settings | None = None) -> RunOptions:
    return RunOptions(paths=paths, out=Path("unused"), settings=settings, use_nli=False)


def partitions(folder: Path) -> dict[str, Any]:
    """What must not depend on how the index was grown: partitions and relations, not cluster labels."""
    gen = living.current(folder)
    paragraphs = gen.table("paragraphs")
    docs = gen.table("documents")

    def groups(frame: pl.DataFrame, key: str, label: str) -> frozenset[frozenset[Any]]:
        parts = frame.group_by(label).agg(pl.col(key))
        return frozenset(frozenset(v) for v in parts[key].to_list())

    keyed = paragraphs.with_columns(pl.concat_str("id", pl.lit("#"), pl.col("position").cast(pl.String)).alias("key"))
    where = dict(zip(keyed["para_id"].to_list(), keyed["key"].to_list(), strict=True))
    pairs = gen.table("pairs")
    return {
        "paragraphs": sorted(keyed.select("key", "text", "is_boilerplate", "boilerplate_reason").rows()),
        "passages": groups(keyed, "key", "passage_id"),
        "pairs": {
            (where[a], where[b], rel)
            for a, b, rel in pairs.select("para_left", "para_right", "relation").iter_rows()
        },
        "copies": set(gen.table("copies").select("id_a", "id_b", "origin").iter_rows()),
        "copy_of": sorted(docs.select("id", "copy_of", "duplicate_of").rows(), key=str),
        "stories": groups(docs, "id", "story_id"),
    }


@pytest.fixture
def articles() -> list[dict[str, Any]]:
    return corpus()


@pytest.fixture
def halves(tmp_path: Path, articles: list[dict[str, Any]]) -> tuple[Path, Path, Path]:
    cut = len(articles) * 3 // 5
    return (
        write_jsonl(tmp_path / "in" / "a.jsonl", articles[:cut]),
        write_jsonl(tmp_path / "in" / "b.jsonl", articles[cut:]),
        write_jsonl(tmp_path / "in" / "all.jsonl", articles),
    )


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
    assert manifest["model"] == {"name": "words", "dim": 64} and manifest["counts"]["documents"] > 0
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


# --- models, formats, locks -------------------------------------------------------------------------------


def test_other_model_or_dimension_is_refused(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, _ = halves
    living.build(options([a]), tmp_path / "idx", encoder=WordEncoder())
    with pytest.raises(IndexModelError, match="holds vectors of model words \\(dim 64\\).*other"):
        living.add(tmp_path / "idx", [b], encoder=WordEncoder(name="other"))
    with pytest.raises(IndexModelError, match="dim 32"):
        living.add(tmp_path / "idx", [b], encoder=WordEncoder(dim=32))
    with pytest.raises(IndexModelError):
        living.build(options([a]), tmp_path / "idx", encoder=WordEncoder(dim=32))
    with pytest.raises(IndexModelError):
        living.LivingIndex(tmp_path / "idx").find("Some text to look up here.", WordEncoder(dim=32))


def test_newer_format_is_refused(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, _ = halves
    living.build(options([a]), tmp_path / "idx", encoder=WordEncoder())
    gen = living.current(tmp_path / "idx")
    manifest = json.loads((gen.path / "manifest.json").read_text())
    (gen.path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 2}))
    for call in (
        lambda: living.add(tmp_path / "idx", [b], encoder=WordEncoder()),
        lambda: living.info(tmp_path / "idx"),
        lambda: living.LivingIndex(tmp_path / "idx"),
        lambda: living.export(tmp_path / "idx", tmp_path / "out"),
    ):
        with pytest.raises(IndexFormatError, match="format version 2, newer than this newsdedup understands"):
            call()


def test_missing_index_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="index not found"):
        living.add(tmp_path / "nothing", [tmp_path], encoder=WordEncoder())
    assert not (tmp_path / "nothing").exists()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(IndexFormatError, match="not empty and is not an index"):
        living.build(options([tmp_path]), tmp_path / "other", encoder=WordEncoder())


def test_vectors_of_an_interrupted_build_are_not_reused_by_another_model(
    tmp_path: Path, halves: tuple[Path, Path, Path]
) -> None:
    a, _, _ = halves

    def crash(stage: str) -> None:
        if stage == "searched":
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        living.build(options([a]), tmp_path / "idx", encoder=WordEncoder(), checkpoint=crash)
    other = WordEncoder(name="other")
    report = living.build(options([a]), tmp_path / "idx", encoder=other)
    assert any("discarded" in note and "words (dim 64)" in note for note in report.notes)
    assert report.embedded == other.encoded > 0 and report.from_cache == 0


def test_second_writer_gets_the_pid_of_the_first(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, _ = halves
    living.build(options([a]), tmp_path / "idx", encoder=WordEncoder())
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from cluster.living import locked\n"
         "with locked(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
         str(tmp_path / "idx")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexLockedError, match=f"index is locked by PID {holder.pid}"):
            living.add(tmp_path / "idx", [b], encoder=WordEncoder())
        result = CliRunner().invoke(app, ["index", "add", str(b), "--index", str(tmp_path / "idx")])
        assert result.exit_code == 1 and f"Error: index is locked by PID {holder.pid}" in result.output
    finally:
        holder.kill()
        holder.wait()
    report = living.add(tmp_path / "idx", [b], encoder=WordEncoder())  # a dead holder's lock is taken over
    assert report.changed and any(f"PID {holder.pid}" in note for note in report.notes)


# --- crash safety ----------------------------------------------------------------------------------------

DRIVER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_living import WordEncoder, options
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


# --- find ----------------------------------------------------------------------------------------------------


def test_find_names_copies_passages_and_story(tmp_path: Path, articles: list[dict[str, Any]]) -> None:
    living.build(options([write_jsonl(tmp_path / "all.jsonl", articles)]), tmp_path / "idx", encoder=WordEncoder())
    origin = next(a for a in articles if a["id"] == "s0-c0")
    opened = living.LivingIndex(tmp_path / "idx")
    found = opened.find(origin["text"], WordEncoder())
    ids = {c.id for c in found.copies}
    assert "s0-c0" in ids and ids <= {a["id"] for a in articles if a["id"].startswith("s0-")}
    first = found.paragraphs[0].matches[0]
    assert first.relation == "exact" and first.cosine == pytest.approx(1.0, abs=1e-4) and "s0-c0" in first.ids
    docs = living.current(tmp_path / "idx").table("documents")
    assert found.story is not None and found.story.story_id == docs.filter(pl.col("id") == "s0-c0")["story_id"].item()
    unrelated = opened.find("Nothing here resembles any article in this small corpus at all.", WordEncoder())
    assert unrelated.copies == [] and unrelated.paragraphs[0].matches == []
    with pytest.raises(ValueError, match="no paragraph to look up"):
        opened.find("Advertisement", WordEncoder())


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
