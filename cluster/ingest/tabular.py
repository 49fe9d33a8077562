"""CSV and Parquet (plain or compressed): read whole by polars, one record per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from cluster.errors import Problem
from cluster.ingest.compression import read_all
from cluster.ingest.records import Columns, Record, Report, Sink, record_from_row

TABLES = {".csv", ".parquet"}


def load_csv(file: Path, compression: str | None, sink: Sink) -> tuple[pl.DataFrame, Sequence[int]] | None:
    """The table and the file line each row starts on (rows may span lines inside quotes)."""
    data = read_all(file, compression)
    text = sink.text(data, file, None)
    if text is None:
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    table = pl.read_csv(text.encode("utf-8"), infer_schema=False, encoding="utf8")
    return table, csv_row_lines(text, table.height)


def load_parquet(file: Path, compression: str | None) -> pl.DataFrame:
    return pl.read_parquet(file if compression is None else io.BytesIO(read_all(file, compression)))


def csv_row_lines(text: str, n_rows: int) -> Sequence[int]:
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


def read_table(
    file: Path, table: pl.DataFrame, columns: Columns, report: Report, *, lines: Sequence[int]
) -> Iterator[Record]:
    if columns.text not in table.columns:
        shown = ", ".join(table.columns[:8]) + (", …" if table.width > 8 else "")
        report(Problem(str(file), None, f"no text column '{columns.text}' (columns: {shown}); use --text-col"))
        return
    for line, row in zip(lines, table.iter_rows(named=True), strict=True):
        record = record_from_row(row, file, line, columns, report)
        if record is not None:
            yield record
