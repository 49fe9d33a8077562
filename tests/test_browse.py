"""The HTML report (cluster.browse): what it holds, its caps, its diff, and that scraped markup stays text."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from browse_corpus import IMG, LINK, SCRIPT, SVG, hostile_results, seed_results
from typer.testing import CliRunner

from cli.app import app
from cluster.browse import Limits, write_report
from cluster.browse.diff import Para, side_by_side, words
from cluster.browse.model import highlight, safe_url
from cluster.errors import StoreError


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_results(tmp_path_factory.mktemp("seeds"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_results(tmp_path_factory.mktemp("hostile"))


def test_words_marks_what_was_cut_and_added() -> None:
    left, right = words("The quake killed 12 people, officials said.", "The quake killed 14 people, police said.")
    assert [(s.op, s.text) for s in left if s.op != "eq"] == [("del", "12"), ("del", "officials")]
    assert [(s.op, s.text) for s in right if s.op != "eq"] == [("ins", "14"), ("ins", "police")]
    assert "".join(s.text for s in left) == "The quake killed 12 people, officials said."


def test_side_by_side_aligns_by_passage_and_finds_moves() -> None:
    a = [Para("Intro text here.", 1), Para("Second para.", 2), Para("Third para.", 3), Para("Share", 9, True)]
    b = [Para("Second para.", 2), Para("Intro text here!", 1), Para("New closing line.", 7)]
    rows = side_by_side(a, b)
    # passage 1 stays aligned (its text changed), 2 moved before it, 3 and the boilerplate were cut, 7 added
    assert [r.kind for r in rows] == ["moved", "changed", "moved", "cut", "cut", "added"]
    assert [s.op for s in rows[1].right] == ["eq", "ins"]
    assert ("cut", "Third para.") in [(r.kind, r.left[0].text) for r in rows if r.left]
    assert ("added", "New closing line.") in [(r.kind, r.right[0].text) for r in rows if r.right]
    assert [r.boilerplate for r in rows if r.left and r.left[0].text == "Share"] == [True]


def test_highlight_and_safe_url() -> None:
    assert highlight("It lasted about Four hours.", "four") == ("It lasted about ", "Four", " hours.")
    assert highlight("No span here.", "ninety") == ("No span here.", "", "")
    assert safe_url("https://a.example/x") == "https://a.example/x"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>", "//evil.example", None, ""):
        assert safe_url(bad) is None


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="limit stories must be a non-negative integer"):
        Limits(stories=-1)


def test_report_of_the_demo_corpus(seeds: Path) -> None:
    info = write_report(seeds)
    html = info.path.read_text(encoding="utf-8")
    assert info.path == seeds / "report.html" and info.size_bytes == len(html.encode("utf-8"))
    for section in ("overview", "plots", "stories", "passages", "contradictions"):
        assert f'<section id="{section}">' in html
    assert html.count("<svg") >= 4  # cosine histogram, story sizes, timeline, who copies whom
    assert "dailyglobe-kerry</b> copies <b>mpa-kerry-1" in html
    assert re.search(r"<del>[^<]+</del>", html) and re.search(r"<ins>[^<]+</ins>", html)
    assert not re.search(r"""src=["'](https?:)?//|url\((?!#)|@import""", html)  # self-contained: nothing to fetch
    assert '<a href="https://www.meridianpress.com/' in html  # article links are links, opened only on a click
    assert "<script src" not in html and "<link rel=\"stylesheet\"" not in html


def test_caps_are_stated(seeds: Path, tmp_path: Path) -> None:
    info = write_report(seeds, tmp_path / "small.html", Limits(stories=1, story_rows=2, passages=3, diffs=1))
    html = info.path.read_text(encoding="utf-8")
    n_stories = pl.read_parquet(seeds / "stories.parquet").height
    assert html.count('class="story"') == 1 and html.count("<details class=\"diff\"") == 1
    assert f"{n_stories} stories. In full: the 1 largest (up to 40 articles" in html
    assert f"the remaining {n_stories - 3} are only in" in html
    assert re.search(r"3 of \d+ repeated passages", html)


def test_scraped_markup_is_escaped(hostile: Path) -> None:
    html = write_report(hostile).path.read_text(encoding="utf-8")
    for raw in (SCRIPT, IMG, LINK, SVG, "window.__xss=6</script>", "<b>blog</b>"):
        assert raw not in html
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
    assert "onerror=&#34;window.__xss = 2&#34;" in html
    assert 'href="javascript:' not in html.lower() and 'href="data:text' not in html.lower()
    assert html.count("<script") == 1  # the page's own, allowed by its hash in the CSP
    assert "script-src 'sha256-" in html
    assert "Wire &lt;svg onload=window.__xss=4&gt;" in html  # in the outlet matrix's SVG labels too


def test_report_command_and_run_report(seeds: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(seeds), "--out", str(tmp_path / "r.html"), "--stories", "2"])
    assert result.exit_code == 0, result.output
    assert f"Report written to {tmp_path / 'r.html'}" in result.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").count('class="story"') == 2
    result = runner.invoke(app, ["report", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "has no manifest.json: not a finished `newsdedup run` output" in result.output


def test_report_of_a_folder_without_tables(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"settings": {}, "model": {"name": "m", "dim": 3}}', encoding="utf-8")
    with pytest.raises(StoreError, match="no documents table"):
        write_report(tmp_path)


def test_cli_default_is_the_library_default() -> None:
    import inspect

    from cli.report import report

    assert inspect.signature(report).parameters["stories"].default == Limits().stories


def test_run_report_and_export_report(
    tmp_path: Path, halves: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import FakeEncoder
    from living_corpus import WordEncoder

    import cluster.living.update
    import cluster.runner

    monkeypatch.setattr(cluster.runner, "load_encoder", lambda model=None, *a, **k: FakeEncoder())
    monkeypatch.setattr(cluster.living.update, "load_encoder", lambda model=None, *a, **k: WordEncoder())
    runner, corpus = CliRunner(), str(halves[2])
    result = runner.invoke(app, ["run", corpus, "--out", str(tmp_path / "run"), "--no-nli", "--report"])
    assert result.exit_code == 0, result.output
    assert f"Report: {tmp_path / 'run' / 'report.html'}" in result.output
    assert (tmp_path / "run" / "report.html").is_file()
    index = str(tmp_path / "news.idx")
    assert runner.invoke(app, ["index", "build", corpus, "--index", index, "--no-nli", "-q"]).exit_code == 0
    result = runner.invoke(app, ["export", "--index", index, "--out", str(tmp_path / "out"), "--report"])
    assert result.exit_code == 0, result.output
    assert f"Report: {tmp_path / 'out' / 'report.html'}" in result.output
    assert "(gen-000001)" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_templates_and_static_files_are_package_data() -> None:
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "cluster.*" in config["packages"]["find"]["include"]  # cluster.browse is found with every subpackage
    patterns = config["package-data"]["cluster.browse"]
    folder = root / "cluster" / "browse"
    files = [p.relative_to(folder).as_posix() for sub in ("templates", "static") for p in (folder / sub).iterdir()]
    assert files and all(any(fnmatch.fnmatch(f, pat) for pat in patterns) for f in files), files


def test_browser_tests_say_why_they_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import chromium

    monkeypatch.setattr(chromium, "BROWSERS", ("no-such-chromium",))
    assert chromium.missing() == (
        "no chromium executable (apt-get install chromium chromium-driver, or `make browser`)"
    )


def test_report_of_csv_results(tmp_path: Path) -> None:
    from browse_corpus import SEEDS
    from conftest import FakeEncoder

    from cluster.runner import RunOptions, run_corpus

    out = tmp_path / "csv"
    run_corpus(RunOptions(paths=[SEEDS], out=out, use_nli=False, fmt="csv"), encoder=FakeEncoder())
    html = write_report(out).path.read_text(encoding="utf-8")
    assert "dailyglobe-kerry</b> copies <b>mpa-kerry-1" in html
