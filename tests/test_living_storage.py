"""The living index's storage (cluster/living/storage.py): models and formats are never mixed, a missing or
foreign folder is one clear error, one writer at a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from living_corpus import ROOT, WordEncoder, options
from typer.testing import CliRunner

from cli.app import app
from cluster import living
from cluster.errors import IndexFormatError, IndexLockedError, IndexModelError

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
