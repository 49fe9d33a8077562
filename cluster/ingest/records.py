"""What every reader shares: column names, the record it yields, where problems and re-encodings go, dates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from cluster.errors import Problem
from cluster.ingest.encoding import decode

Report = Callable[[Problem], None]
UNDETECTED = "?"  # Record.language before detection (None is a text without letters)


@dataclass(frozen=True, slots=True)
class Columns:
    """Names of the input columns; only ``text`` is required."""

    text: str = "text"
    id: str = "id"
    title: str = "title"
    source: str = "source"
    url: str = "url"
    published: str = "published"


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    file: str
    line: int | None
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    language: str | None = UNDETECTED  # detected where the record was parsed, or UNDETECTED


@dataclass(slots=True)
class Sink:
    """Where readers send what is not a clean record: problems (``report``), re-encoded records, tallies."""

    report: Report
    strict: bool = False
    reencoded: list[Problem] = field(default_factory=list)  # message: the encoding the bytes were read as
    outcomes: dict[str, int] = field(default_factory=dict)
    position: Callable[[], int] | None = None  # bytes of the current file read so far, while a reader streams it

    def text(self, data: bytes, file: Path, line: int | None, declared: str | None = None) -> str | None:
        """``data`` as text: UTF-8, else decoded by detection and counted as re-encoded (a problem with
        ``strict``); binary data is a problem. ``line``: the record's line; None for a whole-file record."""
        decoded = decode(data, declared)
        if decoded.error is None:
            return decoded.text
        if decoded.text is None or self.strict:
            self.report(Problem(str(file), line if line is not None else decoded.bad_line, str(decoded.error)))
            return None
        self.reencoded.append(Problem(str(file), line, decoded.encoding or ""))
        return decoded.text


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


def record_from_row(row: dict[str, Any], file: Path, line: int, columns: Columns, report: Report) -> Record | None:
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
    return Record(
        id=doc_id,
        file=str(file),
        line=line,
        text=text,
        title=optional_str(row.get(columns.title)),
        source=optional_str(row.get(columns.source)),
        url=optional_str(row.get(columns.url)),
        published=optional_str(row.get(columns.published)),
    )


def optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
