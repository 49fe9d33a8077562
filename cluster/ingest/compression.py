"""Compressed inputs: ``.gz``, ``.bz2``, ``.xz`` and ``.zst`` around any record format, read as a stream."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from pathlib import Path
from typing import IO, Any

import zstandard

COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")

# What a truncated or corrupt stream raises while it is read (gzip.BadGzipFile is an OSError: caught here first).
CORRUPT: tuple[type[BaseException], ...] = (EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError, gzip.BadGzipFile)


def split_suffix(file: Path) -> tuple[str, str | None]:
    """(format suffix, compression suffix or None): ``a.jsonl.gz`` -> (".jsonl", ".gz"), ``a.csv`` -> (".csv", None)."""
    suffixes = [s.lower() for s in file.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        return (suffixes[-2] if len(suffixes) > 1 else "", suffixes[-1])
    return (suffixes[-1] if suffixes else "", None)


def wrap(raw: IO[bytes], compression: str | None) -> IO[bytes]:
    """A binary stream of the decompressed bytes of ``raw`` (``raw`` itself when not compressed)."""
    if compression is None:
        return raw
    if compression == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == ".bz2":
        return bz2.BZ2File(raw, mode="rb")
    if compression == ".xz":
        return lzma.LZMAFile(raw, mode="rb")
    if compression == ".zst":
        return io.BufferedReader(_ZstdReader(raw))
    raise ValueError(f"unknown compression {compression}")


def read_all(file: Path, compression: str | None) -> bytes:
    """The whole decompressed content of a file (for formats that need it whole: one article, CSV, Parquet)."""
    if compression is None:
        return file.read_bytes()
    with file.open("rb") as raw, wrap(raw, compression) as stream:
        return stream.read()


def corrupt_message(compression: str | None, exc: BaseException) -> str:
    detail = str(exc).strip() or type(exc).__name__
    return f"truncated or corrupt {compression[1:] if compression else ''} data: {detail}"


class _ZstdReader(io.RawIOBase):
    """Zstandard frames, one after another, as a stream; a frame cut short raises ``EOFError``.

    (zstandard's own ``stream_reader`` returns what it has and says nothing when the data ends mid-frame.)
    """

    def __init__(self, raw: IO[bytes], chunk: int = 1 << 20) -> None:
        self._raw, self._chunk = raw, chunk
        self._obj = zstandard.ZstdDecompressor().decompressobj()
        self._pending, self._pos = b"", 0
        self._started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._pos >= len(self._pending):
            self._pending, self._pos = b"", 0
            data = self._raw.read(self._chunk)
            if not data:
                if self._started and not self._obj.eof:
                    raise EOFError("compressed data ended before the end of the zstd frame")
                return 0
            while data:
                self._started = True
                self._pending += self._obj.decompress(data)
                data = b""
                if self._obj.eof:
                    data = self._obj.unused_data
                    self._obj = zstandard.ZstdDecompressor().decompressobj()
                    self._started = bool(data)
        n = min(len(buffer), len(self._pending) - self._pos)
        buffer[:n] = self._pending[self._pos : self._pos + n]
        self._pos += n
        return n
