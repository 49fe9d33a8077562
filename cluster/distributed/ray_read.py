"""Reading a corpus on Ray: each input file parsed by the local reader in a Ray Data task, judged on the driver.

The files (found by :func:`cluster.ingest.list_files`, in its order) become a Ray Data dataset of one row
per file; ``map_batches`` parses each file in a task with :func:`cluster.ingest.read_file` — the very function
a local read runs, so every format, compression, encoding detection and error message is the local one — and
detects each article's language there. What the file gave comes back as Arrow blocks of *events* in the
order they happened: a record, a problem, a re-encoded record, an archive's tally. The driver replays them
through :func:`cluster.ingest.read_corpus`: duplicate ids, ``--strict`` (the first problem is the error) and
the skipped list are judged there in file order, so documents, problems and ids equal a local read (each
block is numbered within its file and each file ends with an END event: a block that arrives early waits).

Why not ``ray.data.read_json`` / ``read_text``: they parse with Arrow's readers (no line numbers, no
encoding detection, no column mapping, other error text); ``read_binary_files`` would carry each file's bytes
whole through the object store. A task reads its file by path, as ``read_binary_files`` would: on a cluster
of several nodes the input must be on storage every node sees (the output folder too: the vector shards).
An uncompressed JSONL file over ``SPLIT_BYTES`` is read in parts (cut after a newline; the lines before
each part counted first in Ray tasks, so line numbers and default ids are the local ones); any other file
is one task. Blocks of ``EVENTS_PER_BLOCK`` events stream back.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import ray

from cluster.distributed import EngineError
from cluster.errors import InputError, Problem
from cluster.ingest import Columns, Corpus, read_corpus, read_file
from cluster.ingest.compression import split_suffix
from cluster.ingest.language import detect_languages
from cluster.ingest.records import Record, Sink
from cluster.ingest.text import JSONL, Span

log = logging.getLogger(__name__)

EVENTS_PER_BLOCK = 2048
SPLIT_BYTES = 64 << 20  # an uncompressed JSONL file larger than this is read in parts of about this size
RECORD, PROBLEM, REENCODED, TALLY, END = "record", "problem", "reencoded", "tally", "end"
_FIELDS = ("id", "file", "line", "text", "title", "source", "url", "published", "language")
_SCHEMA = pa.schema(
    [("index", pa.int64()), ("seq", pa.int64()), ("kind", pa.string())]
    + [(name, pa.int64() if name == "line" else pa.large_string()) for name in _FIELDS]
)


def _parse_files(batch: dict[str, np.ndarray], columns: Columns, strict: bool, cwd: str) -> Iterator[pa.Table]:
    """Ray Data task: each file of ``batch`` read by the local reader; its events in blocks, in order. Paths
    are the user's, relative to the driver's working folder ``cwd``, which the task works in meanwhile."""
    before = os.getcwd()
    with contextlib.suppress(OSError):  # a node without that folder: each file is then a problem naming it
        os.chdir(cwd)
    try:
        parts = zip(batch["index"], batch["file"], batch["root"], batch["start"], batch["end"], batch["first"],
                    strict=True)  # fmt: skip
        for index, file, root, start, end, first in parts:
            span = None if first < 1 else (int(start), int(end), int(first))
            yield from _parse_file(int(index), Path(str(file)), Path(str(root)), columns, strict, span)
    finally:
        os.chdir(before)


def _parse_file(
    index: int, file: Path, root: Path, columns: Columns, strict: bool, span: Span | None = None
) -> Iterator[pa.Table]:
    """One file's events (of ``span``'s lines only, when given): records (with their language), problems,
    re-encodings, tallies, in order."""
    events: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []  # records waiting for their language (detected a block at a time)

    def emit(kind: str, **values: Any) -> None:
        events.append({"kind": kind, **values})

    def report(problem: Problem) -> None:
        emit(PROBLEM, file=problem.file, line=problem.line, text=problem.message)
        if strict:
            raise InputError(problem)  # as a local strict read: the first problem ends the read

    sink = Sink(report, strict)
    seen_reencoded, seq = 0, 0
    try:
        for record in read_file(file, root, columns, sink, span):
            for problem in sink.reencoded[seen_reencoded:]:
                emit(REENCODED, file=problem.file, line=problem.line, text=problem.message)
            seen_reencoded = len(sink.reencoded)
            emit(RECORD, **{name: getattr(record, name) for name in _FIELDS})
            pending.append(events[-1])
            if len(events) >= EVENTS_PER_BLOCK:
                yield _block(index, seq, events, pending)
                events.clear()
                pending.clear()
                seq += 1
    except InputError:
        pass  # reported above: the driver raises it when it replays this file
    for problem in sink.reencoded[seen_reencoded:]:
        emit(REENCODED, file=problem.file, line=problem.line, text=problem.message)
    for key, count in sink.outcomes.items():
        emit(TALLY, text=key, line=count)
    emit(END)  # every file ends with a block, this event last
    yield _block(index, seq, events, pending)


def _block(index: int, seq: int, events: list[dict[str, Any]], pending: list[dict[str, Any]]) -> pa.Table:
    for event, language in zip(pending, detect_languages([e["text"] for e in pending]), strict=True):
        event["language"] = language
    head = {"index": [index] * len(events), "seq": [seq] * len(events)}
    data = head | {name: [e.get(name) for e in events] for name in _SCHEMA.names[2:]}
    return pa.table(data, schema=_SCHEMA)


def _replay(blocks: Iterable[pa.Table], parts: list[int], sink: Sink) -> Iterator[Iterator[Record]]:
    """For each file in order (``parts``: how many parts each file was read in; parts are numbered in file
    order), its records; its problems, re-encodings and tallies sent to ``sink`` as met. Blocks are asked for
    in order (``preserve_order``); any that come early wait here for their turn."""
    stream = iter(blocks)
    early: dict[tuple[int, int], pa.Table] = {}  # (file, block of that file) not replayed yet

    def block_of(index: int, seq: int) -> pa.Table:
        while (index, seq) not in early:
            block = next(stream, None)
            if block is None:  # pragma: no cover - every file's task ends with an END event or raises
                raise EngineError(f"the Ray read lost the end of file {index}")
            early[(block["index"][0].as_py(), block["seq"][0].as_py())] = block
        return early.pop((index, seq))

    def one_part(index: int) -> Iterator[Record]:
        for seq in itertools.count():
            for event in block_of(index, seq).to_pylist():
                kind = event.pop("kind")
                if kind == RECORD:
                    yield Record(**{name: event[name] for name in _FIELDS})
                elif kind == PROBLEM:
                    sink.report(Problem(event["file"], event["line"], event["text"]))
                elif kind == REENCODED:
                    sink.reencoded.append(Problem(event["file"], event["line"], event["text"]))
                elif kind == TALLY:
                    sink.outcomes[event["text"]] = sink.outcomes.get(event["text"], 0) + event["line"]
                else:  # END
                    return

    first = 0
    for count in parts:
        yield itertools.chain.from_iterable(one_part(index) for index in range(first, first + count))
        first += count


def _spans(file: Path) -> list[tuple[int, int, int]]:
    """(start, end, first line) of the parts ``file`` is read in: an uncompressed JSONL file over
    ``SPLIT_BYTES`` in parts of about that size, each cut just after a newline (first line 0: not known yet,
    :func:`_number_lines`); any other file whole (first line -1)."""
    fmt, compression = split_suffix(file)
    size = file.stat().st_size if fmt in JSONL and compression is None and file.is_file() else 0
    if size <= SPLIT_BYTES:
        return [(0, 0, -1)]
    cuts = [0]
    with file.open("rb") as handle:
        for at in range(SPLIT_BYTES, size, SPLIT_BYTES):
            handle.seek(at - 1)
            handle.readline()  # to the start of the next line
            if cuts[-1] < handle.tell() < size:
                cuts.append(handle.tell())
    cuts.append(size)
    return [(lo, hi, 0) for lo, hi in itertools.pairwise(cuts)]


def _count_lines(file: str, start: int, end: int, cwd: str) -> int:
    """Newlines in bytes ``start:end`` of ``file`` (a Ray task)."""
    count = 0
    with Path(cwd, file).open("rb") as handle:
        handle.seek(start)
        while start < end and (data := handle.read(min(1 << 20, end - start))):
            count, start = count + data.count(b"\n"), start + len(data)
    return count


def _number_lines(rows: list[dict[str, Any]], cwd: str) -> None:
    """The first line number of each part of a split file: its newlines before, counted in Ray tasks."""
    split = [row for row in rows if row["first"] == 0]
    counts = ray.get([ray.remote(_count_lines).options(num_cpus=1).remote(r["file"], r["start"], r["end"], cwd)
                      for r in split])  # fmt: skip
    line, file = 1, None
    for row, count in zip(split, counts, strict=True):
        line = 1 if row["file"] != file else line
        row["first"], file, line = line, row["file"], line + count


def read_corpus_ray(
    paths: list[Path], columns: Columns | None = None, *, strict: bool = False, progress: Any = None
) -> Corpus:
    """:func:`cluster.ingest.read_corpus`, each file parsed in a Ray Data task (a connected Ray is needed)."""

    def files_reader(files: list[tuple[Path, Path]], cols: Columns, sink: Sink) -> Iterator[Iterator[Record]]:
        if not files:
            return iter(())
        cwd = os.getcwd()
        spans = [_spans(file) for file, _ in files]
        rows = [{"file": str(file), "root": str(root), "start": start, "end": end, "first": first}
                for (file, root), file_spans in zip(files, spans, strict=True)
                for start, end, first in file_spans]  # fmt: skip
        for index, row in enumerate(rows):
            row["index"] = index
        _number_lines(rows, cwd)
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            functools.partial(_parse_files, columns=cols, strict=strict, cwd=cwd), batch_size=1,
            batch_format="numpy", num_cpus=1,
        )
        dataset.context.execution_options.preserve_order = True  # blocks come back in file order
        blocks = dataset.iter_batches(batch_size=None, batch_format="pyarrow")
        return _replay(blocks, [len(file_spans) for file_spans in spans], sink)

    return read_corpus(paths, columns or Columns(), strict=strict, progress=progress, files_reader=files_reader)
