"""Reading a corpus (cluster/ingest.py): formats, columns, dates and every kind of bad input."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from cluster.errors import EmptyCorpusError, InputError, Problem
from cluster.ingest import Columns, parse_date, read_article, read_corpus
from cluster.schemas import DOCUMENTS


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _jsonl(path: Path, rows: list[object]) -> Path:
    return _write(path, "".join(json.dumps(row) + "\n" for row in rows))


# --- folders and one-article files ----------------------------------------------------------------------------


def test_folder_is_walked_recursively_skipping_hidden_and_unknown_files(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write(root / "a.txt", "Alpha text\n")
    _write(root / "UPPER.TXT", "Upper text")
    _write(root / "sub" / "b.md", "# Bravo\n\nBravo text")
    _write(root / "sub" / "deeper" / "c.txt", "Charlie text")
    _write(root / ".hidden.txt", "hidden file")
    _write(root / ".git" / "d.txt", "inside a hidden folder")
    _write(root / "sub" / ".cache" / "e.txt", "inside a nested hidden folder")
    _write(root / "notes.pdf", "not a known format")
    _write(root / "data.xml", "<x/>")
    _write(root / "README", "no extension")

    corpus = read_corpus([root])

    docs = corpus.documents
    assert docs.schema == DOCUMENTS
    assert docs["id"].to_list() == ["UPPER.TXT", "a.txt", "sub/b.md", "sub/deeper/c.txt"]
    assert docs["doc_id"].to_list() == [0, 1, 2, 3]
    assert docs["text"].to_list() == ["Upper text", "Alpha text\n", "# Bravo\n\nBravo text", "Charlie text"]
    assert docs["file"].to_list() == [
        str(root / "UPPER.TXT"),
        str(root / "a.txt"),
        str(root / "sub" / "b.md"),
        str(root / "sub/deeper/c.txt"),
    ]
    assert docs["line"].to_list() == [None] * 4
    assert docs["title"].to_list() == [None] * 4
    assert docs["published_at"].to_list() == [None] * 4
    assert corpus.problems == []
    assert corpus.files == docs["file"].to_list()


def test_file_named_directly_takes_its_name_as_id(tmp_path: Path) -> None:
    path = _write(tmp_path / "deep" / "story.txt", "\ufeffText after a byte order mark")
    corpus = read_corpus([str(path)])
    assert corpus.documents.select("id", "file", "text").rows() == [
        ("story.txt", str(path), "Text after a byte order mark")
    ]


def test_two_roots_are_read_in_the_given_order(tmp_path: Path) -> None:
    _write(tmp_path / "z" / "one.txt", "from z")
    _write(tmp_path / "a" / "two.txt", "from a")
    corpus = read_corpus([tmp_path / "z", tmp_path / "a"])
    assert corpus.documents.select("id", "text").rows() == [("one.txt", "from z"), ("two.txt", "from a")]


def test_progress_is_called_once_per_file(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        _write(tmp_path / f"{name}.txt", f"text {name}")
    calls: list[tuple[int, int]] = []
    read_corpus([tmp_path], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


HTML = """<!DOCTYPE html>
<html><head><title>Council approves new bridge | Daily Bugle</title>
<meta property="og:title" content="Council approves new bridge">
<meta property="article:published_time" content="2024-03-05T14:30:00+01:00">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/x">Sport menu link</a></li></ul></nav>
<article><h1>Council approves new bridge</h1>
<p>The city council voted on Tuesday to approve construction of a new pedestrian bridge across the river, ending a
debate that lasted nearly three years.</p>
<p>The bridge will cost an estimated 12 million euros and should open in the spring of 2026, according to the mayor's
office, which presented the final plans.</p>
<p>Opponents had argued that the money would be better spent on repairing existing roads, but the motion passed by
twenty-one votes to nine.</p>
</article>
<footer><p>Copyright 2024 Daily Bugle. All rights reserved. Subscribe to our newsletter.</p></footer>
</body></html>
"""


def test_html_is_extracted_with_title_and_published_time(tmp_path: Path) -> None:
    _write(tmp_path / "site" / "bridge.html", HTML)
    corpus = read_corpus([tmp_path])
    row = corpus.documents.row(0, named=True)
    assert row["id"] == "site/bridge.html"
    assert row["title"] == "Council approves new bridge"
    assert row["published"] == "2024-03-05T14:30:00+01:00"
    assert row["published_at"] == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)  # time of day kept, in UTC
    text = row["text"]
    assert "The city council voted on Tuesday to approve construction of a new pedestrian bridge" in text
    assert "should open in the spring of 2026" in text
    assert "passed by twenty-one votes to nine." in text
    for chrome in ("Home", "Sport menu link", "Copyright", "Subscribe to our newsletter"):
        assert chrome not in text
    assert corpus.problems == []


def test_html_without_article_text_is_a_problem(tmp_path: Path) -> None:
    html = "<html><head><title>T</title></head><body><script>var x = 1;</script></body></html>"
    page = _write(tmp_path / "empty.htm", html)
    _write(tmp_path / "ok.txt", "fine")
    corpus = read_corpus([tmp_path])
    assert corpus.documents["id"].to_list() == ["ok.txt"]
    assert corpus.problems == [Problem(str(page), None, "no article text found in the HTML")]


# --- tabular files ---------------------------------------------------------------------------------------------

ROWS = [
    {
        "id": "n1",
        "text": "First story.",
        "title": "One",
        "source": "Wire",
        "url": "https://x/1",
        "published": "2024-03-05T14:30:00Z",
    },
    {
        "id": "n2",
        "text": "Second story.",
        "title": "Two",
        "source": "Paper",
        "url": "https://x/2",
        "published": "Tue, 05 Mar 2024 14:30:00 +0200",
    },
    {"id": "n3", "text": "Third story.", "published": "sometime last week"},
    {"id": "n4", "text": "Fourth story."},
]
EXPECTED_AT = [datetime(2024, 3, 5, 14, 30, tzinfo=UTC), datetime(2024, 3, 5, 12, 30, tzinfo=UTC), None, None]


def _expect_rows(docs: pl.DataFrame, file: Path, lines: list[int]) -> None:
    assert docs.schema == DOCUMENTS
    assert docs["id"].to_list() == ["n1", "n2", "n3", "n4"]
    assert docs["text"].to_list() == ["First story.", "Second story.", "Third story.", "Fourth story."]
    assert docs["title"].to_list() == ["One", "Two", None, None]
    assert docs["source"].to_list() == ["Wire", "Paper", None, None]
    assert docs["url"].to_list() == ["https://x/1", "https://x/2", None, None]
    assert docs["published"].to_list() == [
        "2024-03-05T14:30:00Z",
        "Tue, 05 Mar 2024 14:30:00 +0200",
        "sometime last week",
        None,
    ]
    assert docs["published_at"].to_list() == EXPECTED_AT
    assert docs["file"].to_list() == [str(file)] * 4
    assert docs["line"].to_list() == lines


def _table(rows: list[dict[str, str]]) -> pl.DataFrame:
    keys = ["id", "text", "title", "source", "url", "published"]
    return pl.DataFrame({k: [r.get(k) for r in rows] for k in keys}, schema={k: pl.String for k in keys})


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_jsonl_with_default_columns(tmp_path: Path, suffix: str) -> None:
    path = _jsonl(tmp_path / f"news{suffix}", ROWS)
    corpus = read_corpus([path])
    _expect_rows(corpus.documents, path, [1, 2, 3, 4])
    assert corpus.problems == []


def test_jsonl_blank_lines_are_skipped_and_line_numbers_stay_true(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.jsonl", "\n" + "\n\n".join(json.dumps(r) for r in ROWS) + "\n")
    corpus = read_corpus([path])
    _expect_rows(corpus.documents, path, [2, 4, 6, 8])
    assert corpus.problems == []


def test_csv_with_default_columns(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    _table(ROWS).write_csv(path)
    corpus = read_corpus([path])
    _expect_rows(corpus.documents, path, [2, 3, 4, 5])  # line 1 is the header
    assert corpus.problems == []


def test_csv_line_numbers_count_lines_inside_quoted_fields(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.csv", 'id,text\na,"First paragraph.\n\nSecond paragraph."\nb,Short\nc,\n')
    corpus = read_corpus([path])
    assert corpus.documents.select("id", "line", "text").rows() == [
        ("a", 2, "First paragraph.\n\nSecond paragraph."),
        ("b", 5, "Short"),
    ]
    assert corpus.problems == [Problem(str(path), 6, "no 'text' field")]


def test_parquet_with_default_columns(tmp_path: Path) -> None:
    path = tmp_path / "news.parquet"
    _table(ROWS).write_parquet(path)
    corpus = read_corpus([path])
    _expect_rows(corpus.documents, path, [1, 2, 3, 4])  # rows, 1-based
    assert corpus.problems == []


def test_jsonl_with_mapped_columns(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "m.jsonl",
        [{"url": "https://a/1", "body": "Mapped one.", "text": "ignored"}, {"url": "https://a/2", "body": "Two."}],
    )
    corpus = read_corpus([path], Columns(text="body", id="url"))
    assert corpus.documents.select("id", "url", "text").rows() == [
        ("https://a/1", "https://a/1", "Mapped one."),
        ("https://a/2", "https://a/2", "Two."),
    ]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables_with_mapped_columns(tmp_path: Path, fmt: str) -> None:
    frame = pl.DataFrame(
        {
            "link": ["u1", "u2"],
            "content": ["Body one.", "Body two."],
            "headline": ["H1", "H2"],
            "outlet": ["AP", "AFP"],
            "when": ["2024-01-02T03:04:05Z", "garbage"],
        }
    )
    path = tmp_path / f"t.{fmt}"
    frame.write_csv(path) if fmt == "csv" else frame.write_parquet(path)
    cols = Columns(text="content", id="link", title="headline", source="outlet", published="when")
    docs = read_corpus([path], cols).documents
    assert docs.select("id", "text", "title", "source", "url", "published").rows() == [
        ("u1", "Body one.", "H1", "AP", None, "2024-01-02T03:04:05Z"),
        ("u2", "Body two.", "H2", "AFP", None, "garbage"),
    ]
    assert docs["published_at"].to_list() == [datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), None]


def test_rows_without_id_get_file_and_line(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "x.jsonl", [{"text": "no id"}, {"text": "blank id", "id": "  "}, {"text": "int", "id": 7}])
    assert read_corpus([path]).documents["id"].to_list() == ["x.jsonl:1", "x.jsonl:2", "7"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05T14:30:00Z", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05T14:30:00.250+01:00", datetime(2024, 3, 5, 13, 30, 0, 250000, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 14:30:00 GMT", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 14:30:00 -0500", datetime(2024, 3, 5, 19, 30, tzinfo=UTC)),
        ("  2024-03-05T14:30:00Z  ", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("yesterday", None),
        ("2024-13-45", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


# --- bad input: one Problem each, skipped by default, raised with strict --------------------------------------

Case = Callable[[Path], tuple[list[Path], Problem, list[str]]]


def _txt_invalid_utf8(d: Path) -> tuple[list[Path], Problem, list[str]]:
    bad = _write(d / "bad.txt", b"Fine first line\n\xff broken")
    _write(d / "good.txt", "good")
    return [d], Problem(str(bad), 2, "invalid UTF-8 at byte 16"), ["good.txt"]


def _jsonl_invalid_utf8(d: Path) -> tuple[list[Path], Problem, list[str]]:
    data = b'{"id": "a", "text": "one"}\n{"id": "b", "text": "t\xe9"}\n{"id": "c", "text": "three"}\n'
    path = _write(d / "a.jsonl", data)
    return [path], Problem(str(path), 2, "invalid UTF-8 at byte 22"), ["a", "c"]


def _jsonl_malformed(d: Path) -> tuple[list[Path], Problem, list[str]]:
    path = _write(d / "a.jsonl", '{"id": "a", "text": "one"}\n\n{"id": "b", "text": \n{"id": "c", "text": "three"}\n')
    return [path], Problem(str(path), 3, "malformed JSON: Expecting value (column 21)"), ["a", "c"]


def _jsonl_not_object(d: Path) -> tuple[list[Path], Problem, list[str]]:
    path = _write(d / "a.ndjson", '{"id": "a", "text": "one"}\n["b", "two"]\n')
    return [path], Problem(str(path), 2, "expected a JSON object, got list"), ["a"]


def _jsonl_missing_field(d: Path) -> tuple[list[Path], Problem, list[str]]:
    path = _jsonl(d / "a.jsonl", [{"id": "a", "text": "one"}, {"id": "b", "body": "two"}])
    return [path], Problem(str(path), 2, "no 'text' field"), ["a"]


def _jsonl_text_not_string(d: Path) -> tuple[list[Path], Problem, list[str]]:
    path = _jsonl(d / "a.jsonl", [{"id": "a", "text": ["x"]}, {"id": "b", "text": "two"}])
    return [path], Problem(str(path), 1, "'text' is list, not a string"), ["b"]


def _jsonl_empty_text(d: Path) -> tuple[list[Path], Problem, list[str]]:
    path = _jsonl(d / "a.jsonl", [{"id": "a", "text": "one"}, {"id": "b", "text": " \n\t"}])
    return [path], Problem(str(path), 2, "empty text"), ["a"]


def _txt_empty(d: Path) -> tuple[list[Path], Problem, list[str]]:
    empty = _write(d / "empty.txt", "  \n\n")
    _write(d / "full.txt", "full")
    return [d], Problem(str(empty), None, "empty article"), ["full.txt"]


def _csv_missing_column(d: Path) -> tuple[list[Path], Problem, list[str]]:
    bad = _write(d / "a.csv", "body,id\nhello,1\n")
    _write(d / "b.txt", "other")
    return [d], Problem(str(bad), None, "no text column 'text' (columns: body, id); use --text-col"), ["b.txt"]


def _parquet_missing_column(d: Path) -> tuple[list[Path], Problem, list[str]]:
    bad = d / "a.parquet"
    pl.DataFrame({f"c{i}": ["v"] for i in range(10)}).write_parquet(bad)
    _write(d / "b.txt", "other")
    message = "no text column 'text' (columns: c0, c1, c2, c3, c4, c5, c6, c7, …); use --text-col"
    return [d], Problem(str(bad), None, message), ["b.txt"]


def _csv_empty_text(d: Path) -> tuple[list[Path], Problem, list[str]]:
    path = _write(d / "a.csv", 'id,text\na,one\nb,"   "\n')
    return [path], Problem(str(path), 3, "empty text"), ["a"]


def _duplicate_ids(d: Path) -> tuple[list[Path], Problem, list[str]]:
    first = _jsonl(d / "a.jsonl", [{"id": "x", "text": "first"}, {"id": "y", "text": "why"}])
    second = _write(d / "b.csv", "id,text\nz,zed\nx,second\n")
    return [d], Problem(str(second), 3, f"duplicate id 'x' (first in {first}:1)"), ["x", "y", "z"]


def _duplicate_paths_across_roots(d: Path) -> tuple[list[Path], Problem, list[str]]:
    first = _write(d / "one" / "same.txt", "first copy")
    second = _write(d / "two" / "same.txt", "second copy")
    _write(d / "two" / "other.txt", "other")
    return (
        [d / "one", d / "two"],
        Problem(str(second), None, f"duplicate id 'same.txt' (first in {first})"),
        [
            "same.txt",
            "other.txt",
        ],
    )


def _unreadable_simulated(d: Path) -> tuple[list[Path], Problem, list[str]]:
    locked = _write(d / "locked.txt", "secret")
    _write(d / "open.txt", "open")
    return [d], Problem(str(locked), None, "cannot read: Permission denied"), ["open.txt"]


def _csv_unparseable(d: Path) -> tuple[list[Path], Problem, list[str]]:
    bad = _write(d / "a.csv", 'id,text\n1,"unterminated\n2,ok,extra,fields\n')
    _write(d / "b.txt", "other")
    return [d], Problem(str(bad), None, "<polars message>"), ["b.txt"]


CASES: dict[str, Case] = {
    "txt-invalid-utf8": _txt_invalid_utf8,
    "jsonl-invalid-utf8": _jsonl_invalid_utf8,
    "jsonl-malformed": _jsonl_malformed,
    "jsonl-not-object": _jsonl_not_object,
    "jsonl-missing-field": _jsonl_missing_field,
    "jsonl-text-not-string": _jsonl_text_not_string,
    "jsonl-empty-text": _jsonl_empty_text,
    "txt-empty": _txt_empty,
    "csv-missing-column": _csv_missing_column,
    "parquet-missing-column": _parquet_missing_column,
    "csv-empty-text": _csv_empty_text,
    "duplicate-ids": _duplicate_ids,
    "duplicate-paths-across-roots": _duplicate_paths_across_roots,
    "unreadable-simulated": _unreadable_simulated,
}


@pytest.fixture
def deny_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any file named locked.txt unreadable, as chmod 000 would for a non-root user."""
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


# Legacy-encoded bytes stop a --strict run with the old problem line; without --strict they are decoded by
# detection and the record is kept (test_ingest_formats.py), so these two are not skipped any more.
REENCODED_CASES = {"txt-invalid-utf8", "jsonl-invalid-utf8"}


@pytest.mark.usefixtures("deny_locked")
@pytest.mark.parametrize("name", [name for name in CASES if name not in REENCODED_CASES])
def test_bad_input_is_skipped_and_reported(tmp_path: Path, name: str) -> None:
    paths, problem, kept = CASES[name](tmp_path)
    corpus = read_corpus(paths)
    assert corpus.documents["id"].to_list() == kept
    assert corpus.problems == [problem]


@pytest.mark.usefixtures("deny_locked")
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_raises_with_strict(tmp_path: Path, name: str) -> None:
    paths, problem, _ = CASES[name](tmp_path)
    with pytest.raises(InputError) as caught:
        read_corpus(paths, strict=True)
    assert caught.value.problem == problem
    assert str(caught.value) == str(problem)


def test_unparseable_csv_is_a_file_level_problem(tmp_path: Path) -> None:
    paths, problem, kept = _csv_unparseable(tmp_path)
    corpus = read_corpus(paths)
    assert corpus.documents["id"].to_list() == kept
    [got] = corpus.problems
    assert (got.file, got.line) == (problem.file, None)
    assert got.message.startswith("cannot parse csv: ")
    assert "\n" not in got.message


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files despite chmod 000")
def test_unreadable_file_by_permissions(tmp_path: Path) -> None:
    locked = _write(tmp_path / "locked.jsonl", '{"text": "x"}\n')
    _write(tmp_path / "open.txt", "open")
    locked.chmod(0)
    try:
        corpus = read_corpus([tmp_path])
        assert corpus.documents["id"].to_list() == ["open.txt"]
        assert corpus.problems == [Problem(str(locked), None, "cannot read: Permission denied")]
        with pytest.raises(InputError, match=r"locked\.jsonl: cannot read: Permission denied$"):
            read_corpus([tmp_path], strict=True)
    finally:
        locked.chmod(0o644)


def test_problems_keep_reading_order(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", '{"id": "a", "text": "one"}\nnot json\n[]\n{"id": "a", "text": "again"}\n')
    problems = read_corpus([path]).problems
    assert [(p.line, p.message) for p in problems] == [
        (2, "malformed JSON: Expecting value (column 1)"),
        (3, "expected a JSON object, got list"),
        (4, f"duplicate id 'a' (first in {path}:1)"),
    ]
    assert str(problems[0]) == f"{path}:2: malformed JSON: Expecting value (column 1)"


# --- whole-input errors ----------------------------------------------------------------------------------------


def test_empty_folder_is_an_empty_corpus(tmp_path: Path) -> None:
    _write(tmp_path / "ignored.pdf", "x")
    _write(tmp_path / ".hidden.txt", "x")
    with pytest.raises(EmptyCorpusError) as caught:
        read_corpus([tmp_path])
    assert str(caught.value) == f"no articles found in {tmp_path}"


def test_corpus_of_only_bad_records_names_the_first_problem(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", '{oops\n{"text": ""}\n')
    with pytest.raises(EmptyCorpusError) as caught:
        read_corpus([path])
    assert str(caught.value) == (
        f"no articles found in {path}; 2 record(s) skipped, first: "
        f"{path}:1: malformed JSON: Expecting property name enclosed in double quotes (column 2)"
    )


def test_nonexistent_path_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(InputError) as caught:
        read_corpus([missing])
    assert caught.value.problem == Problem(str(missing), None, "no such file or folder")
    assert str(caught.value) == f"{missing}: no such file or folder"


@pytest.mark.parametrize("name", ["paper.pdf", "README"])
def test_unsupported_extension_named_directly_is_an_input_error(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, "x")
    suffix = path.suffix
    with pytest.raises(InputError) as caught:
        read_corpus([path])
    assert str(caught.value) == (
        f"{path}: unsupported format '{suffix}' (use .csv, .htm, .html, .jsonl, .md, .ndjson, .parquet, .txt, "
        ".arc, .arc.gz, .warc, .warc.gz; all but the archives may be compressed: .gz, .bz2, .xz, .zst)"
    )


def test_read_article_reads_one_article_file_as_a_corpus_would(tmp_path: Path) -> None:
    latin = tmp_path / "cafe.txt"
    latin.write_bytes("Le caf\xe9 du port rouvre ses portes apr\xe8s les travaux.".encode("latin-1"))
    assert read_article(latin) == "Le café du port rouvre ses portes après les travaux."
    page = Path("seeds/html/dailyglobe-quake.html")
    assert "earthquake" in read_article(page).lower()
    table = tmp_path / "a.jsonl"
    table.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="a.jsonl: one article is read from"):
        read_article(table)
    with pytest.raises(InputError, match="missing.txt: cannot read"):
        read_article(tmp_path / "missing.txt")
