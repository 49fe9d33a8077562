"""Reading a corpus: the only package that knows file formats.

Folders are walked recursively (hidden files and folders skipped, unknown extensions ignored); a file named
on the command line must have a known extension. One-article files (.txt, .md, .html, .htm) take their path
relative to the folder given as id; tabular files (.jsonl, .ndjson, .csv, .parquet) need a text column and
may carry id, title, source, url and published columns, under names the user can map. Web archives (.warc,
.arc, and their .gz) give one article per HTML response. Any of these but the archives may be compressed
(.gz, .bz2, .xz, .zst). Bytes that are not UTF-8 are decoded by detection and counted as re-encoded. Each
article's language is detected.

Modules: ``compression`` (streams), ``encoding`` (bytes to text), ``text`` (one-article files, JSONL),
``tabular`` (CSV, Parquet), ``html`` (trafilatura), ``warc`` (web archives), ``language``, ``records``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cluster.errors import EmptyCorpusError, InputError, Problem
from cluster.ingest.compression import COMPRESSIONS, CORRUPT, corrupt_message, split_suffix
from cluster.ingest.language import detect_languages
from cluster.ingest.records import UNDETECTED, Columns, Record, Sink, parse_date
from cluster.ingest.tabular import TABLES, load_csv, load_parquet, read_table
from cluster.ingest.text import JSONL, ONE_ARTICLE, Span, jsonl_rows, read_jsonl, read_one_article
from cluster.ingest.warc import is_archive, read_warc
from cluster.schemas import DOCUMENTS

__all__ = [
    "ARCHIVES", "COMPRESSIONS", "FORMATS", "ONE_ARTICLE", "TABULAR", "Columns", "Corpus", "list_files",
    "original_records", "parse_date", "read_article", "read_corpus", "read_file",
]

log = logging.getLogger(__name__)
progress_log = logging.getLogger(__name__ + ".progress")  # the CLI shows it in pipes and logs

TABULAR = JSONL | TABLES
ARCHIVES = {".warc", ".arc", ".warc.gz", ".arc.gz"}
FORMATS = ONE_ARTICLE | TABULAR
STATUS_EVERY_S = 5.0
DEFAULT_COLUMNS = Columns()
_KNOWN = (
    f"use {', '.join(sorted(FORMATS))}, {', '.join(sorted(ARCHIVES))}; "
    f"all but the archives may be compressed: {', '.join(COMPRESSIONS)}"
)


# (files in order, columns, sink) -> for each file, its records (see read_corpus)
FilesReader = Callable[[list[tuple[Path, Path]], Columns, Sink], Iterator[Iterator[Record]]]


@dataclass(slots=True)
class Corpus:
    documents: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    reencoded: list[Problem] = field(default_factory=list)  # records read by detection: message = encoding
    outcomes: dict[str, int] = field(default_factory=dict)  # what became of the records: archives' tallies


def _kind(file: Path) -> tuple[str, str | None] | None:
    """(format, compression) of a file we can read, or None."""
    if is_archive(file):
        return ".warc", None
    fmt, compression = split_suffix(file)
    return (fmt, compression) if fmt in FORMATS else None


def list_files(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """Every readable input file with the root it was found under, in a stable order."""
    found: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(path)
                if file.is_file() and _kind(file) is not None and not _hidden(rel):
                    found.append((file, path))
        elif path.is_file():
            if _kind(path) is None:
                raise InputError(Problem(str(path), None, f"unsupported format '{path.suffix}' ({_KNOWN})"))
            found.append((path, path.parent))
        else:
            raise InputError(Problem(str(path), None, "no such file or folder"))
    return found


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def read_corpus(
    paths: Iterable[Path | str],
    columns: Columns = DEFAULT_COLUMNS,
    *,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
    files_reader: FilesReader | None = None,
) -> Corpus:
    """Read every article under ``paths``.

    A bad file or record is a ``Problem``: with ``strict`` it raises ``InputError`` at once, otherwise it is
    skipped and listed in ``Corpus.problems``. Bytes that are not UTF-8 are decoded by detection and listed
    in ``Corpus.reencoded`` (a problem with ``strict``). Duplicate ids keep the first occurrence. Records
    are streamed (a JSONL file is never held whole); every few seconds a line with files, records and MB/s
    goes to the ``cluster.ingest.progress`` logger.

    ``files_reader`` parses the files elsewhere (an engine's workers: :mod:`cluster.distributed.ray_read`):
    given (file, root) of each file in order, it yields for each file the records that
    :func:`read_file` yields, having sent that file's problems, re-encodings and tallies to the sink in the
    same order; ids, duplicates and problems are then judged here exactly as for a local read.
    """
    paths = list(paths)
    files = list_files(Path(p) for p in paths)
    problems: list[Problem] = []

    def report(problem: Problem) -> None:
        if strict:
            raise InputError(problem)
        log.warning("skipped %s", problem)
        problems.append(problem)

    sink = Sink(report, strict)
    records: list[Record] = []
    first_seen: dict[str, str] = {}
    status = _Status(len(files))
    per_file = (files_reader(files, columns, sink) if files_reader is not None
                else (read_file(file, root, columns, sink) for file, root in files))  # fmt: skip
    for done, ((file, _), file_records) in enumerate(zip(files, per_file, strict=True), start=1):
        for record in file_records:
            where = record.file if record.line is None else f"{record.file}:{record.line}"
            if record.id in first_seen:
                first = first_seen[record.id]
                report(Problem(record.file, record.line, f"duplicate id '{record.id}' (first in {first})"))
                continue
            first_seen[record.id] = where
            records.append(record)
            status.tick(done - 1, len(records), sink.position)
        status.file_done(file, done, len(records))
        if progress:
            progress(done, len(files))
    if not records:
        detail = f"; {len(problems)} record(s) skipped, first: {problems[0]}" if problems else ""
        raise EmptyCorpusError(f"no articles found in {', '.join(str(p) for p in paths) or 'the input'}{detail}")
    return Corpus(_to_frame(records), problems, [str(f) for f, _ in files], sink.reencoded, dict(sink.outcomes))


class _Status:
    """A log line every ``STATUS_EVERY_S`` seconds: files done/total, records, MB read, MB/s."""

    def __init__(self, n_files: int) -> None:
        self.n_files, self.started, self.last, self.bytes = n_files, time.monotonic(), time.monotonic(), 0

    def tick(self, files_done: int, n_records: int, position: Callable[[], int] | None) -> None:
        if n_records % 1000 == 0 and time.monotonic() - self.last >= STATUS_EVERY_S:
            self._log(files_done, n_records, position() if position else 0)

    def file_done(self, file: Path, files_done: int, n_records: int) -> None:
        with contextlib.suppress(OSError):
            self.bytes += file.stat().st_size
        if time.monotonic() - self.last >= STATUS_EVERY_S:
            self._log(files_done, n_records)

    def _log(self, files_done: int, n_records: int, in_file: int = 0) -> None:
        self.last = now = time.monotonic()
        read = self.bytes + in_file
        rate = read / 1e6 / max(now - self.started, 1e-9)
        progress_log.info("read %d/%d files, %d records, %.1f MB, %.1f MB/s",
                          files_done, self.n_files, n_records, read / 1e6, rate)


def _to_frame(records: list[Record]) -> pl.DataFrame:
    texts = [r.text for r in records]
    known = [r.language for r in records]  # detected where the record was parsed (an engine's worker), or not yet
    languages = known if all(lang != UNDETECTED for lang in known) else detect_languages(texts)
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
            "language": languages,
            "text": texts,
        },
        schema=DOCUMENTS,
    )
    return frame


def read_file(file: Path, root: Path, columns: Columns, sink: Sink, span: Span | None = None) -> Iterator[Record]:
    """The records of one input file (of the lines of ``span`` only: part of an uncompressed JSONL file); its
    problems go to ``sink`` as they are met."""
    fmt, compression = _kind(file) or ("", None)
    name = str(file)
    try:
        if fmt == ".warc":
            yield from read_warc(file, sink)
        elif fmt in ONE_ARTICLE:
            record = read_one_article(file, root, fmt, compression, sink)
            if record is not None:
                yield record
        elif fmt in JSONL:
            yield from read_jsonl(file, compression, columns, sink, span)
        elif fmt == ".csv":
            loaded = load_csv(file, compression, sink)
            if loaded is not None:
                yield from read_table(file, loaded[0], columns, sink.report, lines=loaded[1])
        else:
            table = load_parquet(file, compression)
            yield from read_table(file, table, columns, sink.report, lines=range(1, table.height + 1))
    except CORRUPT as exc:
        kept = "; the records before it are kept" if fmt in JSONL else ""
        sink.report(Problem(name, None, corrupt_message(compression, exc) + kept))
    except OSError as exc:
        sink.report(Problem(name, None, f"cannot read: {exc.strerror or exc}"))
    except (pl.exceptions.PolarsError, pl.exceptions.ComputeError) as exc:
        sink.report(Problem(name, None, f"cannot parse {fmt[1:]}: {str(exc).splitlines()[0]}"))


def read_article(file: Path | str) -> str:
    """The text of one article file (.txt, .md, .html, .htm, compressed or not), read as a corpus reads it:
    decoded by detection when not UTF-8, the main text of a page. Any other file, or one with no text, is an
    ``InputError`` naming it."""
    file = Path(file)
    kind = _kind(file)
    if kind is None or kind[0] not in ONE_ARTICLE:
        raise InputError(Problem(str(file), None, f"one article is read from {', '.join(sorted(ONE_ARTICLE))} "
                                                  "(compressed or not)"))

    def fail(problem: Problem) -> None:
        raise InputError(problem)

    try:
        record = read_one_article(file, file.parent, kind[0], kind[1], Sink(fail))
    except OSError as exc:
        raise InputError(Problem(str(file), None, f"cannot read: {exc.strerror or exc}")) from None
    if record is None:
        raise InputError(Problem(str(file), None, "no article text found"))
    return record.text


def original_records(file: Path | str) -> Iterator[tuple[int | None, dict[str, Any]]]:
    """Every record of ``file`` with all its fields as the user wrote them: (line, fields).

    Tabular files give each row (JSONL line or CSV/Parquet row number, as ``documents.line``) with every
    column; a one-article file gives (None, its text and what was extracted: title, source, url, published);
    an archive gives (record number, the same fields plus id) for each HTML response read as an article.
    Compressed files are read through their compression; non-UTF-8 bytes are decoded as when the corpus was
    read. Used to write a cleaned corpus that keeps the input's own fields. An unreadable file raises
    ``InputError``.
    """
    file = Path(file)
    kind = _kind(file)

    def skip(problem: Problem) -> None:  # a bad record was reported when the corpus was read; never kept
        pass

    try:
        if kind is None:
            raise InputError(Problem(str(file), None, f"unknown format {file.suffix or '(no extension)'}"))
        fmt, compression = kind
        if fmt == ".warc":
            for record in read_warc(file, Sink(skip)):
                yield record.line, _fields(record) | {"id": record.id}
        elif fmt in ONE_ARTICLE:
            article = read_one_article(file, file.parent, fmt, compression, Sink(skip))
            if article is not None:
                yield None, _fields(article)
        elif fmt in JSONL:
            try:
                yield from jsonl_rows(file, compression, Sink(skip))
            except CORRUPT:
                return  # a truncated file: the records before the break were read (and reported) as well
        elif fmt == ".csv":
            loaded = load_csv(file, compression, Sink(skip))
            if loaded is not None:
                yield from zip(loaded[1], loaded[0].iter_rows(named=True), strict=True)
        elif compression is None:
            lazy, offset = pl.scan_parquet(file), 0
            while (frame := lazy.slice(offset, 10_000).collect()).height:  # one slice in memory at a time
                yield from enumerate(frame.iter_rows(named=True), start=offset + 1)
                offset += frame.height
        else:
            yield from enumerate(load_parquet(file, compression).iter_rows(named=True), start=1)
    except CORRUPT as exc:
        raise InputError(Problem(str(file), None, corrupt_message(kind[1] if kind else None, exc))) from None
    except OSError as exc:
        raise InputError(Problem(str(file), None, f"cannot read: {exc.strerror or exc}")) from None
    except pl.exceptions.PolarsError as exc:
        raise InputError(Problem(str(file), None, f"cannot parse: {str(exc).splitlines()[0]}")) from None


def _fields(record: Record) -> dict[str, Any]:
    fields = {"text": record.text, "title": record.title, "source": record.source, "url": record.url,
              "published": record.published}
    return {k: v for k, v in fields.items() if v is not None}

