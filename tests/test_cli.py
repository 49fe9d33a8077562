"""The Typer app as a user meets it: help, version, errors as one line, skipped records, formats, safe writes.

No real model: ``cluster.runner.load_encoder`` is replaced by a tiny deterministic fake.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import typer
from typer.testing import CliRunner, Result

import cluster.runner
from cli.app import app
from cluster import __version__

TABLES = ["contradictions", "copies", "documents", "pairs", "paragraphs", "passages", "stories"]
FORMATS_LISTED = (  # web archives and compressed files since issue 13
    ".csv, .htm, .html, .jsonl, .md, .ndjson, .parquet, .txt, .arc, .arc.gz, .warc, .warc.gz; "
    "all but the archives may be compressed: .gz, .bz2, .xz, .zst"
)

WIRE = "Storm Ava hit the northern coast on Monday, cutting power to 40,000 homes, officials said."
ARTICLES = [
    {"id": "a", "text": f"{WIRE}\n\nSchools in the port town stayed closed on Tuesday.", "source": "Wire"},
    {"id": "b", "text": f"{WIRE}\n\nThe local football match was postponed to next week.", "source": "Paper"},
    {"id": "c", "text": "The central bank kept interest rates unchanged.\n\nMarkets barely moved.", "source": "Biz"},
]


class FakeEncoder:
    """Same normalised text, same vector; different texts get unrelated random directions."""

    name = "fake"
    dim = 8

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            key = " ".join(text.lower().split()).encode("utf-8")
            seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).standard_normal(self.dim))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)


@pytest.fixture(autouse=True)
def fake_encoder(monkeypatch: pytest.MonkeyPatch) -> FakeEncoder:
    encoder = FakeEncoder()
    monkeypatch.setattr(cluster.runner, "load_encoder", lambda model=None, *a, **k: encoder)
    return encoder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _jsonl(path: Path, rows: list[dict[str, str]], extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) for r in rows]
    if extra:
        lines.insert(1, extra)  # becomes line 2
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under ``command`` (Typer bundles its own click, so no isinstance checks)."""
    yield path, command
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


def _no_temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".tmp"))


# --- help and version ------------------------------------------------------------------------------------------


def test_every_command_and_option_has_help(runner: CliRunner) -> None:
    root = typer.main.get_command(app)
    found = list(_commands(root))
    assert ("run",) in [path for path, _ in found]
    for path, command in found:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Traceback" not in result.output
        assert (command.help or "").strip(), f"{' '.join(path) or 'newsdedup'} has no help text"
        first_line = command.help.strip().splitlines()[0]
        assert first_line[:40] in " ".join(result.stdout.split()), path
        for param in command.params:
            if param.name == "help":
                continue
            assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)}: {param.name} has no help"


def test_cli_defaults_are_the_library_defaults() -> None:
    from cli.options import DEFAULT_MIN_SHARE, DEFAULT_STORY_RESOLUTION, DEFAULT_THRESHOLD
    from cluster.pipeline import Settings
    from cluster.runner import RunOptions

    assert (Settings().passage_threshold, Settings().min_share) == (DEFAULT_THRESHOLD, DEFAULT_MIN_SHARE)
    assert Settings().stories.resolution == DEFAULT_STORY_RESOLUTION
    tuned = RunOptions(paths=[], out=Path("x"), story_resolution=0.5).resolved_settings()
    assert tuned.stories.resolution == 0.5 and RunOptions(paths=[], out=Path("x")).resolved_settings() == Settings()
    options = RunOptions(paths=[], out=Path("x"))
    assert (options.passage_threshold, options.min_share) == (DEFAULT_THRESHOLD, DEFAULT_MIN_SHARE)
    wider = RunOptions(paths=[], out=Path("x"), max_contradiction_pairs=20000).resolved_settings()
    assert wider.contradictions.max_paragraph_pairs == 20000
    assert Settings().contradictions.max_paragraph_pairs == 2000


def test_max_contradiction_pairs_reaches_the_run(runner: CliRunner, tmp_path: Path) -> None:
    """`run --max-contradiction-pairs 0` compares no paragraph pair: no cross-article flag is left."""
    import polars as pl

    result = runner.invoke(app, ["run", "seeds", "--out", str(tmp_path), "--no-nli", "--quiet",
                                 "--max-contradiction-pairs", "0"])
    assert result.exit_code == 0, result.output
    table = pl.read_parquet(tmp_path / "contradictions.parquet")
    assert table.height > 0 and (table["id_a"] == table["id_b"]).all()  # only disputes inside one article
    bad = runner.invoke(app, ["run", "seeds", "--out", str(tmp_path), "--max-contradiction-pairs", "-1"])
    assert bad.exit_code != 0


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "Usage:" in result.output
    assert "run" in result.output


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"newsdedup {__version__}\n"


# --- errors: one line on stderr, exit 1, nothing written --------------------------------------------------------


def _assert_one_error_line(result: Result, expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr == f"Error: {expected}\n"
    assert result.stdout == ""


def test_nonexistent_path(runner: CliRunner, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    missing = tmp_path / "nope.jsonl"
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(missing), "-o", str(out)])
    _assert_one_error_line(result, f"{missing}: no such file or folder")
    assert not out.exists()
    assert fake_encoder.calls == 0


def test_unsupported_extension(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(b"%PDF-1.4")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "-o", str(out)])
    _assert_one_error_line(result, f"{path}: unsupported format '.pdf' (use {FORMATS_LISTED})")
    assert not out.exists()


def test_empty_corpus(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "notes.pdf").write_text("ignored", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(folder), "-o", str(out)])
    _assert_one_error_line(result, f"no articles found in {folder}")
    assert not out.exists()


def test_only_bad_records_is_an_empty_corpus_naming_the_first(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": ""}\n{"id": 1}\n', encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "out")])
    _assert_one_error_line(result, f"no articles found in {path}; 2 record(s) skipped, first: {path}:1: empty text")


def test_malformed_line_with_strict(runner: CliRunner, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "n.jsonl", ARTICLES, extra='{"id": "x", "text": ')
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "-o", str(out), "--strict"])
    _assert_one_error_line(result, f"{path}:2: malformed JSON: Expecting value (column 21)")
    assert not out.exists()


def test_missing_text_column_with_strict(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    pl.DataFrame({"id": ["a"], "body": ["Some text."]}).write_csv(path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "-o", str(out), "--strict"])
    _assert_one_error_line(result, f"{path}: no text column 'text' (columns: id, body); use --text-col")
    assert not out.exists()


def test_missing_text_column_without_strict_is_an_empty_corpus(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    pl.DataFrame({"id": ["a"], "body": ["Some text."]}).write_csv(path)
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "out")])
    _assert_one_error_line(
        result,
        f"no articles found in {path}; 1 record(s) skipped, first: "
        f"{path}: no text column 'text' (columns: id, body); use --text-col",
    )


def test_bad_format(runner: CliRunner, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "n.jsonl", ARTICLES)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "-o", str(out), "--format", "xml"])
    _assert_one_error_line(result, "--format must be one of parquet, csv, jsonl, got 'xml'")
    assert not out.exists()


# --- a successful run ---------------------------------------------------------------------------------------------


def test_malformed_line_is_skipped_reported_and_listed(runner: CliRunner, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "n.jsonl", ARTICLES, extra="this is not json")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stderr == (
        "Skipped 1 bad record(s) (listed in manifest.json), first:\n"
        f"  {path}:2: malformed JSON: Expecting value (column 1)\n"
    )
    assert result.stdout.startswith(
        "3 articles, 6 paragraphs (0 boilerplate), 5 distinct texts (5 embedded, 0 cached)\n"
    )
    assert result.stdout.endswith(f"Tables written to {out}/\n")

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["skipped"] == {
        "count": 1,
        "records": [{"file": str(path), "line": 2, "message": "malformed JSON: Expecting value (column 1)"}],
    }
    assert manifest["model"] == {"name": "fake", "dim": 8, "cache": "fake"}  # the cache key: the name (no graph)
    assert manifest["format"] == "parquet"
    assert manifest["inputs"] == [str(path)]
    assert manifest["counts"]["documents"] == 3
    docs = pl.read_parquet(out / "documents.parquet")
    assert docs.select("id", "line").rows() == [("a", 1), ("b", 3), ("c", 4)]
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(
        [f"{t}.parquet" for t in TABLES] + ["manifest.json"]
    )
    assert _no_temp_files(out) == []


def test_quiet_prints_nothing(runner: CliRunner, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "n.jsonl", ARTICLES)
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == ""
    assert (tmp_path / "out" / "manifest.json").exists()


def test_second_run_embeds_nothing_new(runner: CliRunner, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    path = _jsonl(tmp_path / "n.jsonl", ARTICLES)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-o", str(out)]).exit_code == 0
    calls = fake_encoder.calls
    second = runner.invoke(app, ["run", str(path), "-o", str(out)])
    assert second.exit_code == 0, second.output
    assert "5 distinct texts (0 embedded, 5 cached)" in second.stdout
    assert fake_encoder.calls == calls
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["shards-fake-8", "vectors-fake-8.npy"]


def test_a_cache_of_an_earlier_version_is_converted_not_lost(
    runner: CliRunner, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    """An output folder from before the shards (one embeddings-<model>.npz): its vectors are used, then kept as
    a shard and the .npz removed."""
    import shutil

    from cluster.cache import EmbeddingCache
    from cluster.store import write_vectors

    path = _jsonl(tmp_path / "n.jsonl", ARTICLES)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-o", str(out)]).exit_code == 0
    shards = out / "cache" / "shards-fake-8"
    cache = EmbeddingCache(shards, "fake", 8)
    keys = cache.keys()
    write_vectors(keys, cache.lookup(keys)[1], out / "cache" / "embeddings-fake-8.npz")  # as the old version left it
    shutil.rmtree(shards)
    calls = fake_encoder.calls
    second = runner.invoke(app, ["run", str(path), "-o", str(out)])
    assert second.exit_code == 0, second.output
    assert "5 distinct texts (0 embedded, 5 cached)" in second.stdout and fake_encoder.calls == calls
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["shards-fake-8", "vectors-fake-8.npy"]
    assert [n.startswith("part-npz-") for n in EmbeddingCache(shards, "fake", 8).names] == [True]


@pytest.mark.parametrize(("fmt", "read"), [("csv", pl.read_csv), ("jsonl", pl.read_ndjson)])
def test_other_formats_write_the_six_tables(runner: CliRunner, tmp_path: Path, fmt: str, read: object) -> None:
    path = _jsonl(tmp_path / "n.jsonl", ARTICLES)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "-o", str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(
        [f"{t}.{fmt}" for t in TABLES] + ["manifest.json"]
    )
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["format"] == fmt
    docs = read(out / f"documents.{fmt}")  # type: ignore[operator]
    assert docs["id"].to_list() == ["a", "b", "c"]
    assert docs["source"].to_list() == ["Wire", "Paper", "Biz"]
    paragraphs = read(out / f"paragraphs.{fmt}")  # type: ignore[operator]
    assert paragraphs.height == 6


def test_mapped_text_and_id_columns(runner: CliRunner, tmp_path: Path) -> None:
    rows = [{"url": f"https://news.example/{r['id']}", "body": r["text"], "title": r["id"].upper()} for r in ARTICLES]
    path = _jsonl(tmp_path / "mapped.jsonl", rows)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "-o", str(out), "--text-col", "body", "--id-col", "url"])
    assert result.exit_code == 0, result.output
    docs = pl.read_parquet(out / "documents.parquet")
    urls = ["https://news.example/a", "https://news.example/b", "https://news.example/c"]
    assert docs["id"].to_list() == urls
    assert docs["url"].to_list() == urls
    assert docs["title"].to_list() == ["A", "B", "C"]
    assert pl.read_parquet(out / "paragraphs.parquet")["text"].to_list()[:2] == [
        WIRE,
        "Schools in the port town stayed closed on Tuesday.",
    ]


# --- a failed write leaves the previous complete tables and no manifest ---------------------------------------


@pytest.mark.parametrize(
    ("failure", "code", "stderr"),
    [
        (OSError(28, "No space left on device"), 1, "Error: cannot write {target}: No space left on device\n"),
        (KeyboardInterrupt(), 130, "Interrupted; nothing half-written was left behind.\n"),
    ],
    ids=["disk-full", "interrupted"],
)
def test_failed_write_leaves_no_half_written_table(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException, code: int, stderr: str
) -> None:
    out = tmp_path / "out"
    first_input = _jsonl(tmp_path / "one.jsonl", ARTICLES[:2])
    first = runner.invoke(app, ["run", str(first_input), "-o", str(out)])
    assert first.exit_code == 0, first.output
    before = {t: pl.read_parquet(out / f"{t}.parquet") for t in TABLES}

    original = pl.DataFrame.write_parquet
    written: list[Path] = []

    def failing_write(self: pl.DataFrame, file: object, *args: object, **kwargs: object) -> None:
        written.append(Path(str(file)))
        if len(written) == 3:
            Path(str(file)).write_bytes(b"PAR1 half a table")  # partial bytes, then the failure
            raise failure
        original(self, file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing_write)
    second_input = _jsonl(tmp_path / "two.jsonl", ARTICLES)
    result = runner.invoke(app, ["run", str(second_input), "-o", str(out)])

    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stderr == stderr.format(target=out / "passages.parquet")
    assert len(written) == 3
    assert written[2].parent == out and written[2].name.endswith(".tmp")  # the write went to a temporary name
    assert _no_temp_files(out) == []
    assert not (out / "manifest.json").exists()
    monkeypatch.undo()
    # the two tables written before the failure are the new run's, complete; the rest are the first run's
    assert pl.read_parquet(out / "documents.parquet")["id"].to_list() == ["a", "b", "c"]
    assert pl.read_parquet(out / "paragraphs.parquet").height == 6
    for table in ["passages", "pairs", "copies", "stories"]:
        assert pl.read_parquet(out / f"{table}.parquet").equals(before[table]), table
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(f"{t}.parquet" for t in TABLES)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"text1": "a", "text2": "b", "label": 1}\n{"text1": "a", "text2": 12\n',
         "2: malformed JSON: Expecting ',' delimiter (column 27)"),
        ('{"text1": "a", "text2": "b", "label": 1}\n[1, 2]\n', "2: each line must be a JSON object"),
        ('{"text1": "a", "text2": "b", "label": 1}\n{"text1": "a", "text2": "b", "label": "yes"}\n',
         "2: each pair needs text1, text2 and a label of 0 or 1"),
    ],
)
def test_a_bad_labels_line_is_one_error_naming_it(runner: CliRunner, tmp_path: Path, content: str,
                                                  expected: str) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text(content)
    result = runner.invoke(app, ["eval", "pairs", str(path), "--task", "contradiction", "--no-nli"])
    _assert_one_error_line(result, f"{path}:{expected}")


# --- inputs scrapers write (issue 13) -----------------------------------------------------------------------------

SPANISH = [
    "El ayuntamiento aprobó ayer la construcción de un nuevo puente peatonal sobre el río.",
    "La policía detuvo a tres personas tras el robo en una joyería del centro de la ciudad.",
    "El banco central mantuvo sin cambios los tipos de interés por tercera vez consecutiva.",
]


def test_run_on_compressed_legacy_and_foreign_input(
    runner: CliRunner, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    import gzip

    fake_encoder.name = "all-MiniLM-L6-v2"  # the default, English-only model
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [{"id": f"es{i}", "text": text} for i, text in enumerate(SPANISH)]
    (corpus / "part-0001.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    cafe = "Un café con leche y una tostada cuestan ahora tres euros en el bar de la esquina."
    (corpus / "cafe.txt").write_bytes(cafe.encode("cp1252"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Re-encoded 1 record(s) that were not UTF-8" in result.stderr
    assert "Warning: 100% of the articles are not in a language the model all-MiniLM-L6-v2 was trained on (es 4)" \
        in result.stderr
    assert "--model" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["re_encoded"]["count"] == 1
    [entry] = manifest["re_encoded"]["records"]
    assert (entry["file"], entry["line"]) == (str(corpus / "cafe.txt"), None)
    assert manifest["languages"] == {"es": 4}
    docs = pl.read_parquet(out / "documents.parquet")
    assert docs.sort("doc_id")["language"].to_list() == ["es"] * 4
    assert docs.sort("doc_id")["id"].to_list() == ["cafe.txt", "es0", "es1", "es2"]
    strict = runner.invoke(app, ["run", str(corpus), "-o", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1
    assert strict.stderr == f"Error: {corpus / 'cafe.txt'}:1: invalid UTF-8 at byte 6\n"


def test_eval_stories_shows_the_purity_of_the_largest_stories(runner: CliRunner, tmp_path: Path) -> None:
    corpus = _jsonl(tmp_path / "in.jsonl", ARTICLES)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(corpus), "-o", str(out), "--no-nli", "-q"]).exit_code == 0
    # a and b carry the same wire paragraph: one story; gold says they are two
    gold = _jsonl(tmp_path / "gold.jsonl", [{"id": "a", "story_id": "x"}, {"id": "b", "story_id": "y"},
                                           {"id": "c", "story_id": "z"}])
    result = runner.invoke(app, ["eval", "stories", str(out), "--gold", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    largest = json.loads(result.output)["largest"]
    assert [(r["size"], r["purity"], r["n_gold"]) for r in largest] == [(2, 0.5, 2), (1, 1.0, 1)]
    assert largest[0]["title"].startswith("Storm Ava")
    shown = runner.invoke(app, ["eval", "stories", str(out), "--gold", str(gold)])
    assert shown.exit_code == 0 and "Largest predicted stories" in shown.output and "purity 0.50" in shown.output
