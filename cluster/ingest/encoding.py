"""Bytes to text: UTF-8 first; other bytes decoded by detection (charset-normalizer), binary refused.

A page's declared charset (``<meta charset>``, or the HTTP ``Content-Type`` of a WARC record) is tried
before detection. A record that needed anything but UTF-8 is *re-encoded*: kept, and counted by its reader.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any

_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}
_SNIFF = 8192
_CJK = frozenset({"shift_jis", "euc_jp", "gb18030", "big5", "euc_kr"})
# Legacy encodings detection chooses among: the web's single-byte code pages and the common CJK ones. (Left
# open, charset-normalizer reads a short Latin-1 "Caf\xe9" as UTF-16 or a DOS code page.)
LEGACY = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp874",
    "iso8859_2", "iso8859_15", "koi8_r", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr",
)


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str | None  # None: not text (see ``error``)
    encoding: str | None  # None: valid UTF-8; else the encoding it was decoded with
    error: str | None = None  # why the bytes are not UTF-8 ("invalid UTF-8 at byte N"), or not text at all
    bad_line: int | None = None  # line (1-based) of the first invalid byte


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """``data`` as text. ``declared`` is a charset name the document gives for itself (tried after UTF-8)."""
    try:
        return Decoded(data.decode("utf-8-sig"), None)
    except UnicodeDecodeError as exc:
        start = exc.start
    error = f"invalid UTF-8 at byte {start}"
    bad_line = data[:start].count(b"\n") + 1
    if is_binary(data):
        return Decoded(None, None, f"{error}: binary data, not text", bad_line)
    name = _codec(declared)
    if name and name != "utf-8":
        try:
            return Decoded(data.decode(name), name, error, bad_line)
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_isolation=list(LEGACY))
    best = matches.best()
    if best is not None:  # charset-normalizer's own pick often takes windows-1250 for Western text on a tie
        high = sum(1 for b in data if b >= 0x80) / max(len(data), 1)
        best = min(matches, key=lambda m: _preference(m, high))
    if best is not None and _codec(best.encoding) not in (None, "utf-8"):
        same = [n for n in [best.encoding, *getattr(best, "could_be_from_charset", [])] if n in LEGACY]
        name = min(same, key=LEGACY.index) if same else best.encoding  # identical text: name the commonest
        encoding = _codec(name) or name
        try:
            return Decoded(data.decode(encoding), encoding, error, bad_line)
        except (UnicodeDecodeError, LookupError):
            pass
    # mostly UTF-8 with stray bytes (or a declared UTF-8 that is not): keep the text, mark the bytes
    return Decoded(data.decode("utf-8-sig", errors="replace"), "utf-8 (invalid bytes replaced)", error, bad_line)


def _preference(match: Any, high_share: float) -> tuple[bool, bool, float, float, int]:
    """Order of candidate decodings: a CJK multi-byte encoding only for text with many high bytes (Western text
    with a few accents also decodes as Shift-JIS), no C1 control characters (a sign of the wrong ISO code
    page), less chaos, more language coherence (both to 2 places), then the web's commonest (``LEGACY``)."""
    text = str(match)
    unlikely_cjk = match.encoding in _CJK and high_share < 0.2
    has_c1 = any("\x80" <= ch <= "\x9f" for ch in text)
    names = [match.encoding, *getattr(match, "could_be_from_charset", [])]
    order = min((LEGACY.index(n) for n in names if n in LEGACY), default=len(LEGACY))
    return unlikely_cjk, has_c1, round(match.chaos, 2), -round(match.coherence, 2), order


def is_binary(data: bytes) -> bool:
    """NUL bytes, or more than 10 % control characters, in the first 8 KiB: an image or archive, not text."""
    head = data[:_SNIFF]
    if not head:
        return False
    if b"\x00" in head:
        return True
    return sum(1 for b in head if b in _CONTROL) > len(head) // 10


def _codec(name: str | None) -> str | None:
    """The canonical Python codec name for a charset label; None when unknown. latin-1 reads as windows-1252
    (as browsers do: the 0x80-0x9F bytes of real "iso-8859-1" pages are windows-1252 punctuation)."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first 4 KiB (``<meta charset>`` or ``http-equiv``)."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", errors="ignore") if match else None


def header_charset(content_type: str | None) -> str | None:
    """``text/html; charset=iso-8859-1`` -> ``iso-8859-1``."""
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None
