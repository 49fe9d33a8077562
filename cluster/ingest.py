"""Reading a corpus: the only module that knows file formats.

Folders are walked recursively (hidden files and folders skipped, unknown extensions ignored); a file named
on the command line must have a known extension. One-article files (.txt, .md, .html, .htm) take their path
relative to the folder given as id; tabular files (.jsonl, .ndjson, .csv, .parquet) need a text column and
may carry id, title, source, url and published columns, under names the user can map.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import polars as pl

from cluster.errors import EmptyCorpusError, InputError, Problem
from cluster.schemas import DOCUMENTS

log = logging.getLogger(__name__)

ONE_ARTICLE = {".txt", ".md", ".html", ".htm"}
TABULAR = {".jsonl", ".ndjson", ".csv", ".parquet"}
FORMATS = ONE_ARTICLE | TABULAR


@dataclass(frozen=True, slots=True)
class Columns:
    """Names of the input columns; only ``text`` is required."""

    text: str = "text"
    id: str = "id"
    title: str = "title"
    source: str = "source"
    url: str = "url"
    published: str = "published"


@dataclass(slots=True)
class Corpus:
    documents: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Record:
    id: str
    file: str
    line: int | None
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None


def list_files(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """Every readable input file with the root it was found under, in a stable order."""
    found: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(path)
                if file.is_file() and file.suffix.lower() in FORMATS and not _hidden(rel):
                    found.append((file, path))
        elif path.is_file():
            if path.suffix.lower() not in FORMATS:
                raise InputError(
                    Problem(str(path), None, f"unsupported format '{path.suffix}' (use {', '.join(sorted(FORMATS))})")
                )
            found.append((path, path.parent))
        else:
            raise InputError(Problem(str(path), None, "no such file or folder"))
    return found


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def read_corpus(
    paths: Iterable[Path | str],
    columns: Columns = Columns(),
    *,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Corpus:
    """Read every article under ``paths``.

    A bad file or record is a ``Problem``: with ``strict`` it raises ``InputError`` at once, otherwise it is
    skipped and listed in ``Corpus.problems``. Duplicate ids keep the first occurrence.
    """
    files = list_files(Path(p) for p in paths)
    problems: list[Problem] = []

    def report(problem: Problem) -> None:
        if strict:
            raise InputError(problem)
        log.warning("skipped %s", problem)
        problems.append(problem)

    records: list[_Record] = []
    first_seen: dict[str, str] = {}
    for done, (file, root) in enumerate(files, start=1):
        for record in _read_file(file, root, columns, report):
            where = record.file if record.line is None else f"{record.file}:{record.line}"
            if record.id in first_seen:
                first = first_seen[record.id]
                report(Problem(record.file, record.line, f"duplicate id '{record.id}' (first in {first})"))
                continue
            first_seen[record.id] = where
            records.append(record)
        if progress:
            progress(done, len(files))
    if not records:
        detail = f"; {len(problems)} record(s) skipped, first: {problems[0]}" if problems else ""
        raise EmptyCorpusError(f"no articles found in {', '.join(str(p) for p in paths) or 'the input'}{detail}")
    return Corpus(_to_frame(records), problems, [str(f) for f, _ in files])


def _to_frame(records: list[_Record]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "doc_id": range(len(records)),
            "id": [r.id for r in records],
            "file": [r.file for r in records],
            "line": [r.line for r in records],
            "title": [r.title for r in records],
            "source": [r.source for r in records],
            "url": [r.url for r in records],
            "published": [r.published for r in records],
            "published_at": [parse_date(r.published) for r in records],
            "text": [r.text for r in records],
        },
        schema=DOCUMENTS,
    )
    return frame


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 2822 to an aware UTC datetime; ``None`` when absent or unparseable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


Report = Callable[[Problem], None]


def _read_file(file: Path, root: Path, columns: Columns, report: Report) -> Iterator[_Record]:
    suffix = file.suffix.lower()
    name = str(file)
    try:
        if suffix in ONE_ARTICLE:
            record = _read_one_article(file, root, report)
            if record is not None:
                yield record
        elif suffix in {".jsonl", ".ndjson"}:
            yield from _read_jsonl(file, columns, report)
        elif suffix == ".csv":
            loaded = _load_csv(file, report)
            if loaded is not None:
                yield from _read_table(file, loaded[0], columns, report, lines=loaded[1])
        else:
            table = pl.read_parquet(file)
            yield from _read_table(file, table, columns, report, lines=range(1, table.height + 1))
    except OSError as exc:
        report(Problem(name, None, f"cannot read: {exc.strerror or exc}"))
    except (pl.exceptions.PolarsError, pl.exceptions.ComputeError) as exc:
        report(Problem(name, None, f"cannot parse {suffix[1:]}: {str(exc).splitlines()[0]}"))


def _decode(data: bytes, file: Path, line: int | None, report: Report) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = line if line is not None else data[: exc.start].count(b"\n") + 1
        report(Problem(str(file), where, f"invalid UTF-8 at byte {exc.start}"))
        return None


def _read_one_article(file: Path, root: Path, report: Report) -> _Record | None:
    text = _decode(file.read_bytes(), file, None, report)
    if text is None:
        return None
    doc_id = file.relative_to(root).as_posix()
    title = published = url = source = None
    if file.suffix.lower() in {".html", ".htm"}:
        extracted = _extract_html(text)
        if extracted is None:
            report(Problem(str(file), None, "no article text found in the HTML"))
            return None
        text, title, published, url, source = extracted
    if not text.strip():
        report(Problem(str(file), None, "empty article"))
        return None
    return _Record(doc_id, str(file), None, text, title, source, url, published)


_META = re.compile(r"<meta\s[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DATE_KEYS = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate", "dc.date")


def _meta_published(html: str) -> str | None:
    """The publication time from a page's meta tags, keeping the time of day (htmldate keeps only the date)."""
    for tag in _META.findall(html):
        attrs = {k.lower(): (a if a else b) for k, a, b in _ATTR.findall(tag)}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key in _DATE_KEYS and attrs.get("content"):
            return attrs["content"]
    return None


def _extract_html(html: str) -> tuple[str, str | None, str | None, str | None, str | None] | None:
    import trafilatura  # heavy import, only for HTML input

    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None:
        return None
    fields: dict[str, Any] = doc if isinstance(doc, dict) else doc.as_dict()  # older trafilatura returns a dict
    text, title, sitename = fields.get("text") or "", fields.get("title"), fields.get("sitename")
    if not text.strip():
        return None
    source = sitename if sitename and sitename != title else None
    return text, title, _meta_published(html) or fields.get("date"), fields.get("url"), source


def _read_jsonl(file: Path, columns: Columns, report: Report) -> Iterator[_Record]:
    with file.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            line = _decode(raw.rstrip(b"\r\n"), file, line_no, report)  # JSON error columns stay on this line
            if line is None:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                report(Problem(str(file), line_no, f"malformed JSON: {exc.msg} (column {exc.colno})"))
                continue
            if not isinstance(row, dict):
                report(Problem(str(file), line_no, f"expected a JSON object, got {type(row).__name__}"))
                continue
            record = _record_from_row(row, file, line_no, columns, report)
            if record is not None:
                yield record


def _load_csv(file: Path, report: Report) -> tuple[pl.DataFrame, Sequence[int]] | None:
    """The table and the file line each row starts on (rows may span lines inside quotes)."""
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report(Problem(str(file), data[: exc.start].count(b"\n") + 1, f"invalid UTF-8 at byte {exc.start}"))
        return None
    table = pl.read_csv(data, infer_schema=False, encoding="utf8")
    return table, _csv_row_lines(text, table.height)


def _csv_row_lines(text: str, n_rows: int) -> Sequence[int]:
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    try:
        for _ in reader:
            starts.append(end + 1)
            end = reader.line_num
    except csv.Error:  # e.g. a field over csv's size limit: fall back to one line per row
        starts = []
    rows = starts[1:]  # without the header
    return rows if len(rows) == n_rows else range(2, n_rows + 2)


def _read_table(
    file: Path, table: pl.DataFrame, columns: Columns, report: Report, *, lines: Sequence[int]
) -> Iterator[_Record]:
    if columns.text not in table.columns:
        shown = ", ".join(table.columns[:8]) + (", …" if table.width > 8 else "")
        report(Problem(str(file), None, f"no text column '{columns.text}' (columns: {shown}); use --text-col"))
        return
    for line, row in zip(lines, table.iter_rows(named=True), strict=True):
        record = _record_from_row(row, file, line, columns, report)
        if record is not None:
            yield record


def _record_from_row(
    row: dict[str, Any], file: Path, line: int, columns: Columns, report: Report
) -> _Record | None:
    text = row.get(columns.text)
    if text is None:
        report(Problem(str(file), line, f"no '{columns.text}' field"))
        return None
    if not isinstance(text, str):
        report(Problem(str(file), line, f"'{columns.text}' is {type(text).__name__}, not a string"))
        return None
    if not text.strip():
        report(Problem(str(file), line, "empty text"))
        return None
    raw_id = row.get(columns.id)
    doc_id = str(raw_id) if raw_id is not None and str(raw_id).strip() else f"{file.name}:{line}"
    return _Record(
        id=doc_id,
        file=str(file),
        line=line,
        text=text,
        title=_optional_str(row.get(columns.title)),
        source=_optional_str(row.get(columns.source)),
        url=_optional_str(row.get(columns.url)),
        published=_optional_str(row.get(columns.published)),
    )


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def original_records(file: Path | str) -> Iterator[tuple[int | None, dict[str, Any]]]:
    """Every record of ``file`` with all its fields as the user wrote them: (line, fields).

    Tabular files give each row (JSONL line or CSV/Parquet row number, as ``documents.line``) with every
    column; a one-article file gives (None, its text and what was extracted: title, source, url, published).
    Used to write a cleaned corpus that keeps the input's own fields. An unreadable file raises ``InputError``.
    """
    file = Path(file)
    suffix = file.suffix.lower()

    def fail(problem: Problem) -> None:
        raise InputError(problem)

    try:
        if suffix in ONE_ARTICLE:
            record = _read_one_article(file, file.parent, fail)
            if record is not None:
                fields = {"text": record.text, "title": record.title, "source": record.source,
                          "url": record.url, "published": record.published}
                yield None, {k: v for k, v in fields.items() if v is not None}
        elif suffix in {".jsonl", ".ndjson"}:
            with file.open("rb") as handle:
                for line_no, raw in enumerate(handle, start=1):
                    if raw.strip():
                        try:
                            row = json.loads(raw)
                        except (json.JSONDecodeError, UnicodeDecodeError):
                            continue  # reported when the corpus was read; never a kept record
                        if isinstance(row, dict):
                            yield line_no, row
        elif suffix == ".csv":
            loaded = _load_csv(file, fail)
            if loaded is not None:
                yield from zip(loaded[1], loaded[0].iter_rows(named=True), strict=True)
        elif suffix == ".parquet":
            lazy, offset = pl.scan_parquet(file), 0
            while (frame := lazy.slice(offset, 10_000).collect()).height:  # one slice in memory at a time
                yield from enumerate(frame.iter_rows(named=True), start=offset + 1)
                offset += frame.height
        else:
            raise InputError(Problem(str(file), None, f"unknown format {suffix or '(no extension)'}"))
    except OSError as exc:
        raise InputError(Problem(str(file), None, f"cannot read: {exc.strerror or exc}")) from None
    except pl.exceptions.PolarsError as exc:
        raise InputError(Problem(str(file), None, f"cannot parse: {str(exc).splitlines()[0]}")) from None
