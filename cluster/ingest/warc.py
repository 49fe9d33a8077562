"""Web archives (WARC, and ARC through warcio's conversion): each HTML response becomes one article.

warcio reads the records. What no library does, and is done here: going on after a broken record (a
corrupt gzip member or a garbled header) from the next record boundary, and sorting the other records:
requests, metadata and the like are ignored; responses that are not HTTP 200 or not HTML are skipped and
counted by reason; neither is a problem of the input.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from cluster.errors import Problem
from cluster.ingest.compression import CORRUPT
from cluster.ingest.encoding import declared_charset, header_charset
from cluster.ingest.html import extract_html
from cluster.ingest.records import Record, Sink

WARC_SUFFIXES = (".warc", ".arc")
HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Page:
    """An HTML response: its place in the archive (record number, 1-based), address, capture time and body."""

    number: int
    uri: str
    date: str | None
    content_type: str | None
    body: bytes


def is_archive(file: Path) -> bool:
    suffixes = [s.lower() for s in file.suffixes]
    return bool(suffixes) and (
        suffixes[-1] in WARC_SUFFIXES or (len(suffixes) > 1 and suffixes[-1] == ".gz" and suffixes[-2] in WARC_SUFFIXES)
    )


def pages(file: Path, outcomes: dict[str, int], report: Callable[[Problem], None]) -> Iterator[Page]:
    """The HTML responses of an archive, in order. Other records are tallied in ``outcomes``; a broken record
    is one problem (named by its record number and byte offset) and reading goes on after it."""
    from warcio.exceptions import ArchiveLoadFailed

    number = 0
    pending: tuple[int, BaseException] | None = None  # a failure after a good record, not yet placed

    def broken(offset: int, exc: BaseException) -> None:
        nonlocal number
        number += 1
        outcomes["broken records"] = outcomes.get("broken records", 0) + 1
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        report(Problem(str(file), number, f"broken WARC record at byte {offset}: {detail}; skipped"))

    with file.open("rb") as handle:
        if file.name.lower().endswith(".gz"):
            for offset, member in _gzip_members(handle):
                if isinstance(member, BaseException):
                    broken(offset, member)
                    continue
                try:
                    for record in _iterator(io.BytesIO(member)):
                        page = _classify(record, number + 1, outcomes)
                        number += 1
                        if page is not None:
                            yield page
                except (ArchiveLoadFailed, ValueError, OSError) as exc:
                    broken(offset, exc)
            if number == 0:
                report(Problem(str(file), None, "empty archive: no WARC records"))
            return
        start = 0
        while True:
            handle.seek(start)
            iterator = _iterator(handle)
            record_at, yielded, in_body = start, False, False
            try:
                for record in iterator:
                    record_at = iterator.offset  # where this record starts (absolute: warcio asks the handle)
                    in_body = True
                    page = _classify(record, number + 1, outcomes)
                    in_body = False
                    if pending is not None:  # the bytes before this record were unreadable, not a record
                        broken(*pending)
                        pending = None
                    number += 1
                    yielded = True
                    if page is not None:
                        yield page
                if pending is not None:
                    broken(*pending)
                if number == 0:
                    report(Problem(str(file), None, "empty archive: no WARC records"))
                return
            except (ArchiveLoadFailed, ValueError, OSError, *CORRUPT) as exc:
                if in_body:  # this record's own data is broken
                    broken(record_at, exc)
                    resume = _next_boundary(handle, record_at + 1, _WARC_MAGIC)
                elif yielded:  # the next record's header: look again from the next boundary
                    pending = (max(record_at, int(getattr(iterator, "offset", record_at))), exc)  # where it ended
                    resume = _next_boundary(handle, record_at + 1, _WARC_MAGIC)
                else:  # the record at ``start`` cannot be read at all
                    broken(start, pending[1] if pending else exc)
                    pending = None
                    resume = _next_boundary(handle, start + 1, _WARC_MAGIC)
                if resume is None:
                    if pending is not None:
                        broken(*pending)
                    return
                start = resume


def _gzip_members(handle: IO[bytes]) -> Iterator[tuple[int, bytes | BaseException]]:
    """(offset, decompressed bytes) of each gzip member in turn (a WARC writer compresses each record on its
    own), or (offset, the error) for a member that is cut short or fails its checksum; reading goes on from
    the next gzip header. One member is in memory at a time."""
    offset, buffer = 0, handle.read(_CHUNK)
    while buffer:
        if not buffer.startswith(_GZIP_MAGIC[:2]):
            error: BaseException = zlib.error("not the start of a gzip member")
        else:
            decompressor, parts, fed, data = zlib.decompressobj(31), [], 0, buffer
            try:
                while True:
                    parts.append(decompressor.decompress(data))
                    fed += len(data)
                    if decompressor.eof:
                        break
                    data = handle.read(_CHUNK)
                    if not data:
                        raise EOFError("compressed data ended before the end of the gzip member")
            except (zlib.error, EOFError) as exc:
                error = exc
            else:
                rest = decompressor.unused_data
                yield offset, b"".join(parts)
                offset += fed - len(rest)
                buffer = rest if len(rest) >= _CHUNK // 2 else rest + handle.read(_CHUNK)
                continue
        yield offset, error
        following = _next_boundary(handle, offset + 1, _GZIP_MAGIC)
        if following is None:
            return
        handle.seek(following)
        offset, buffer = following, handle.read(_CHUNK)


def _iterator(handle: IO[bytes]) -> Any:
    from warcio.archiveiterator import ArchiveIterator

    return ArchiveIterator(handle, arc2warc=True, check_digests=False)


def _classify(record: Any, number: int, outcomes: dict[str, int]) -> Page | None:
    def count(key: str) -> None:
        outcomes[key] = outcomes.get(key, 0) + 1

    kind = record.rec_type
    if kind not in ("response", "resource"):
        count(f"ignored {kind} records")
        return None
    headers = record.http_headers
    content_type = headers.get_header("Content-Type") if headers is not None else record.content_type
    if headers is not None and kind == "response":
        status = headers.get_statuscode()
        if status != "200":
            count(f"skipped: HTTP status {status}")
            return None
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in HTML_TYPES:
        count(f"skipped: not HTML ({mime or 'no content type'})")
        return None
    body = record.content_stream().read()
    uri = record.rec_headers.get_header("WARC-Target-URI") or f"record-{number}"
    return Page(number, uri, record.rec_headers.get_header("WARC-Date"), content_type, body)


def _next_boundary(handle: IO[bytes], offset: int, magic: bytes) -> int | None:
    """The offset of the next ``magic`` at or after ``offset`` (the start of a gzip member or WARC header)."""
    handle.seek(offset)
    carry = b""
    base = offset
    while chunk := handle.read(_CHUNK):
        data = carry + chunk
        found = data.find(magic)
        if found >= 0:
            return base - len(carry) + found
        carry = data[-(len(magic) - 1) :]
        base += len(chunk)
    return None


def read_warc(file: Path, sink: Sink) -> Iterator[Record]:
    """One article per HTML response: id and url the WARC-Target-URI, source its host, published from the
    page (else the capture's WARC-Date); ``line`` is the record's number in the archive."""
    for page in pages(file, sink.outcomes, sink.report):
        declared = declared_charset(page.body) or header_charset(page.content_type)
        html = sink.text(page.body, file, page.number, declared)
        if html is None:
            continue
        extracted = extract_html(html)
        if extracted is None:
            sink.report(Problem(str(file), page.number, "no article text found in the HTML"))
            continue
        text, title, published, _, source = extracted
        host = urlsplit(page.uri).hostname
        sink.outcomes["responses read as articles"] = sink.outcomes.get("responses read as articles", 0) + 1
        yield Record(page.uri, str(file), page.number, text, title, host or source, page.uri, published or page.date)
