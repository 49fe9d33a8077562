"""One-article files (.txt, .md, .html, .htm) and JSON Lines, plain or compressed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cluster.errors import Problem
from cluster.ingest.compression import read_all, wrap
from cluster.ingest.encoding import declared_charset
from cluster.ingest.html import extract_html
from cluster.ingest.records import Columns, Record, Sink, record_from_row

ONE_ARTICLE = {".txt", ".md", ".html", ".htm"}
JSONL = {".jsonl", ".ndjson"}
HTML = {".html", ".htm"}


def read_one_article(file: Path, root: Path, fmt: str, compression: str | None, sink: Sink) -> Record | None:
    data = read_all(file, compression)
    is_html = fmt in HTML
    text = sink.text(data, file, None, declared_charset(data) if is_html else None)
    if text is None:
        return None
    doc_id = file.relative_to(root).as_posix()
    title = published = url = source = None
    if is_html:
        extracted = extract_html(text)
        if extracted is None:
            sink.report(Problem(str(file), None, "no article text found in the HTML"))
            return None
        text, title, published, url, source = extracted
    if not text.strip():
        sink.report(Problem(str(file), None, "empty article"))
        return None
    return Record(doc_id, str(file), None, text, title, source, url, published)


# part of an uncompressed file: (first byte, end byte, line number of the first byte's line); the bytes begin
# a line and end one (an engine reading a big file in parts: cluster.distributed.ray_read)
Span = tuple[int, int, int]


def jsonl_rows(
    file: Path, compression: str | None, sink: Sink, span: Span | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, object) for each JSON object line, streamed: one line in memory at a time; only the lines of
    ``span`` when given."""
    with file.open("rb") as raw, wrap(raw, compression) as handle:
        sink.position = raw.tell  # on-disk bytes, for the reader's MB/s line
        try:
            for line_no, data in enumerate(handle, start=1) if span is None else _span_lines(handle, span):
                if not data.strip():
                    continue
                line = sink.text(data.rstrip(b"\r\n"), file, line_no)  # JSON error columns stay on this line
                if line is None:
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    sink.report(Problem(str(file), line_no, f"malformed JSON: {exc.msg} (column {exc.colno})"))
                    continue
                if not isinstance(row, dict):
                    sink.report(Problem(str(file), line_no, f"expected a JSON object, got {type(row).__name__}"))
                    continue
                yield line_no, row
        finally:
            sink.position = None


def _span_lines(handle: Any, span: Span) -> Iterator[tuple[int, bytes]]:
    start, end, line_no = span
    handle.seek(start)
    while start < end and (data := handle.readline()):
        yield line_no, data
        start, line_no = start + len(data), line_no + 1


def read_jsonl(
    file: Path, compression: str | None, columns: Columns, sink: Sink, span: Span | None = None
) -> Iterator[Record]:
    for line_no, row in jsonl_rows(file, compression, sink, span):
        record = record_from_row(row, file, line_no, columns, sink.report)
        if record is not None:
            yield record
