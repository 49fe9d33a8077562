"""The deduplicated corpus: which articles and paragraphs to keep, why the others go, and the kept records.

Two steps, each a plain function over the tables `run` writes:

1. :func:`plan` — articles are visited in the keep order of a policy (:class:`Keep`); an article is kept
   unless it is a copy (or exact duplicate) of an article already kept, so every copy group keeps at least
   its first article in that order, and no kept article is a copy of another kept one. At paragraph level,
   a kept article also loses the paragraphs whose passage an article earlier in the keep order holds (wire
   text repeated inside unrelated articles); ``strip_boilerplate`` drops flagged boilerplate. Every removal
   names what it duplicates (id, relation, score).
2. :func:`write_clean` — the kept records, read again from the input files with every field the user
   gave them, in input order, streamed to JSONL/CSV/Parquet through a temporary file renamed at the end.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl

from cluster.errors import InputError, Problem, StoreError
from cluster.ingest import original_records, parse_date
from cluster.schemas import REMOVED, conform
from cluster.store import atomic_path

OUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_BATCH = 10_000


class Keep(StrEnum):
    """Which article of a copy group stays."""

    origin = "origin"  # the article the others copy (no copy_of of its own), earliest first
    earliest = "earliest"  # earliest published; undated after dated; then reading order
    longest = "longest"  # most characters of content (non-boilerplate) text; then earliest
    first = "first"  # reading order


class Level(StrEnum):
    """What is removed: whole articles, or also repeated paragraphs inside kept ones."""

    article = "article"
    paragraph = "paragraph"


@dataclass(frozen=True, slots=True)
class Plan:
    """What to keep. ``articles``: doc_id, id, file, line, kept, text (the new text when paragraphs were
    removed from a kept article, else null); ``removed``: one row per removal (schema ``REMOVED``)."""

    articles: pl.DataFrame
    removed: pl.DataFrame
    summary: DedupSummary


@dataclass(frozen=True, slots=True)
class DedupSummary:
    articles: int
    articles_kept: int
    paragraphs: int
    paragraphs_kept: int
    chars: int
    chars_kept: int
    removed: dict[str, int] = field(default_factory=dict)  # reason -> rows

    def line(self) -> str:
        why = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(self.removed.items()))
        return (
            f"kept {self.articles_kept:,} of {self.articles:,} articles, {self.paragraphs_kept:,} of "
            f"{self.paragraphs:,} paragraphs, {self.chars_kept:,} of {self.chars:,} characters"
            + (f"; removed: {why}" if why else "; nothing removed")
        )


def keep_order(documents: pl.DataFrame, paragraphs: pl.DataFrame, keep: Keep) -> pl.DataFrame:
    """(doc_id, priority): 0 is visited first. Every article gets a defined place, dated or not."""
    keep = Keep(keep)
    content = (
        paragraphs.filter(~pl.col("is_boilerplate"))
        .group_by("doc_id")
        .agg(pl.col("n_chars").sum().alias("_chars"))
    )
    docs = documents.select(
        "doc_id",
        pl.col("published").map_elements(parse_date, return_dtype=pl.Datetime("us", "UTC")).alias("_at"),
        (pl.col("copy_of").is_not_null() | pl.col("is_exact_duplicate")).alias("_copy"),
    ).join(content, on="doc_id", how="left").with_columns(pl.col("_chars").fill_null(0))
    by = {
        Keep.origin: (["_copy", "_at", "doc_id"], [False, False, False]),
        Keep.earliest: (["_at", "doc_id"], [False, False]),
        Keep.longest: (["_chars", "_at", "doc_id"], [True, False, False]),
        Keep.first: (["doc_id"], [False]),
    }[keep]
    ordered = docs.sort(by[0], descending=by[1], nulls_last=True)
    return ordered.with_row_index("priority").select("doc_id", pl.col("priority").cast(pl.Int64))


def plan(
    documents: pl.DataFrame,
    paragraphs: pl.DataFrame,
    copies: pl.DataFrame,
    pairs: pl.DataFrame | None = None,
    *,
    keep: Keep = Keep.origin,
    level: Level = Level.article,
    strip_boilerplate: bool = False,
) -> Plan:
    """What to keep, from the ``documents``, ``paragraphs``, ``copies`` (and ``pairs``, for the cosine of a
    removed paragraph to what it repeats) tables of a run."""
    keep, level = Keep(keep), Level(level)
    order = keep_order(documents, paragraphs, keep)
    priority = dict(zip(order["doc_id"].to_list(), order["priority"].to_list(), strict=True))
    doc_of = dict(zip(documents["id"].to_list(), documents["doc_id"].to_list(), strict=True))
    chars = paragraphs.group_by("doc_id").agg(pl.col("n_chars").sum().alias("n_chars"))
    neighbours = _copy_neighbours(documents, copies, doc_of)

    kept: set[int] = set()
    removed_articles: list[dict[str, Any]] = []
    for doc in order["doc_id"].to_list():
        found = [(priority[other], relation != "exact", other, relation, score)
                 for other, relation, score in neighbours.get(doc, ()) if other in kept]
        if not found:
            kept.add(doc)
            continue
        _, _, other, relation, score = min(found)
        removed_articles.append({"doc_id": doc, "reason": "exact_duplicate" if relation == "exact" else "copy",
                                 "_other": other, "relation": relation, "score": score})

    docs = documents.select("doc_id", "id", "file", "line").with_columns(
        pl.col("doc_id").is_in(pl.Series(sorted(kept), dtype=pl.Int64).implode()).alias("kept")
    )
    ids = documents.select(pl.col("doc_id").alias("_other"), pl.col("id").alias("duplicate_of"))
    article_rows = (
        pl.DataFrame(removed_articles, schema={"doc_id": pl.Int64, "reason": pl.String, "_other": pl.Int64,
                                               "relation": pl.String, "score": pl.Float64})
        .join(ids, on="_other", how="left")
        .join(docs.select("doc_id", "id", "file", "line"), on="doc_id")
        .join(chars, on="doc_id", how="left")
        .with_columns(pl.lit("article").alias("level"), pl.lit(None, pl.Int64).alias("position"),
                      pl.lit(None, pl.String).alias("text"))
    )

    dropped = _dropped_paragraphs(paragraphs, order, kept, pairs, level, strip_boilerplate)
    texts, emptied = _new_texts(paragraphs, dropped, kept)
    if emptied:
        kept -= emptied
        docs = docs.with_columns(pl.col("kept") & ~pl.col("doc_id").is_in(pl.Series(sorted(emptied)).implode()))
    emptied_rows = (
        docs.filter(pl.col("doc_id").is_in(pl.Series(sorted(emptied), dtype=pl.Int64).implode()))
        .join(chars, on="doc_id", how="left")
        .with_columns(pl.lit("article").alias("level"), pl.lit(None, pl.Int64).alias("position"),
                      pl.lit("emptied").alias("reason"), pl.lit(None, pl.String).alias("duplicate_of"),
                      pl.lit(None, pl.String).alias("relation"), pl.lit(None, pl.Float64).alias("score"),
                      pl.lit(None, pl.String).alias("text"))
    )
    paragraph_rows = dropped.join(docs.select("doc_id", "file", "line"), on="doc_id").with_columns(
        pl.lit("paragraph").alias("level")
    )
    removed = pl.concat(
        [conform(f, REMOVED) for f in (article_rows, emptied_rows, paragraph_rows)]
    ).join(documents.select("id", "doc_id"), on="id").sort("doc_id", pl.col("position").fill_null(-1)).drop("doc_id")
    articles = docs.join(texts, on="doc_id", how="left").sort("doc_id")

    kept_paragraphs = paragraphs.filter(pl.col("doc_id").is_in(pl.Series(sorted(kept), dtype=pl.Int64).implode()))
    kept_paragraphs = kept_paragraphs.join(dropped.select("para_id"), on="para_id", how="anti")
    summary = DedupSummary(
        articles=documents.height,
        articles_kept=len(kept),
        paragraphs=paragraphs.height,
        paragraphs_kept=kept_paragraphs.height,
        chars=int(paragraphs["n_chars"].sum()),
        chars_kept=int(kept_paragraphs["n_chars"].sum()),
        removed=dict(Counter(removed["reason"].to_list())),
    )
    return Plan(articles=articles, removed=removed, summary=summary)


def _copy_neighbours(
    documents: pl.DataFrame, copies: pl.DataFrame, doc_of: Mapping[str, int]
) -> dict[int, list[tuple[int, str, float]]]:
    """Per article: the articles it copies or duplicates exactly, with the relation and the share of the
    article found in the other (1.0 for an exact duplicate)."""
    out: dict[int, list[tuple[int, str, float]]] = {}
    for id_a, id_b, share_a, share_b in copies.select("id_a", "id_b", "share_a", "share_b").iter_rows():
        a, b = doc_of[id_a], doc_of[id_b]
        out.setdefault(a, []).append((b, "copy", float(share_a)))
        out.setdefault(b, []).append((a, "copy", float(share_b)))
    exact = documents.filter(pl.col("is_exact_duplicate")).select("doc_id", "duplicate_of")
    for doc, first in exact.iter_rows():
        other = doc_of[first]
        out.setdefault(doc, []).append((other, "exact", 1.0))
        out.setdefault(other, []).append((doc, "exact", 1.0))
    return out


def _dropped_paragraphs(
    paragraphs: pl.DataFrame,
    order: pl.DataFrame,
    kept: set[int],
    pairs: pl.DataFrame | None,
    level: Level,
    strip_boilerplate: bool,
) -> pl.DataFrame:
    """Paragraphs of kept articles to remove: para_id, doc_id, id, position, text, n_chars, reason,
    duplicate_of, relation, score."""
    of_kept = paragraphs.filter(pl.col("doc_id").is_in(pl.Series(sorted(kept), dtype=pl.Int64).implode())).join(
        order, on="doc_id"
    )
    parts: list[pl.DataFrame] = []
    if level is Level.paragraph:
        content = of_kept.filter(~pl.col("is_boilerplate")).sort("priority", "position")
        holder = content.group_by("passage_id", maintain_order=True).agg(
            pl.col("doc_id").first().alias("_holder_doc"),
            pl.col("id").first().alias("duplicate_of"),
            pl.col("para_id").first().alias("_holder_para"),
            pl.col("hash").first().alias("_holder_hash"),
        )
        repeated = content.join(holder, on="passage_id").filter(pl.col("doc_id") != pl.col("_holder_doc"))
        parts.append(_with_cosine(repeated, paragraphs, pairs).with_columns(pl.lit("repeated_passage").alias("reason")))
    if strip_boilerplate:
        parts.append(
            of_kept.filter(pl.col("is_boilerplate")).with_columns(
                pl.lit("boilerplate").alias("reason"),
                pl.lit(None, pl.String).alias("duplicate_of"),
                pl.col("boilerplate_reason").alias("relation"),
                pl.lit(None, pl.Float64).alias("score"),
            )
        )
    columns = {"para_id": pl.Int64, "doc_id": pl.Int64, "id": pl.String, "position": pl.Int64, "text": pl.String,
               "n_chars": pl.Int64, "reason": pl.String, "duplicate_of": pl.String, "relation": pl.String,
               "score": pl.Float64}
    if not parts:
        return pl.DataFrame(schema=columns)
    return pl.concat([conform(p, pl.Schema(columns)) for p in parts]).sort("para_id")


def _with_cosine(repeated: pl.DataFrame, paragraphs: pl.DataFrame, pairs: pl.DataFrame | None) -> pl.DataFrame:
    """``relation`` and ``score`` of each repeated paragraph against the paragraph holding its passage:
    exact (1.0) for the same normalised text, else the pair's relation and cosine from ``pairs`` (which links
    the first paragraphs holding each text); a member joined through its passage's centre alone is a
    near_duplicate without a direct score."""
    first = paragraphs.group_by("hash").agg(pl.col("para_id").min().alias("_rep"))
    out = (
        repeated.join(first, on="hash")
        .join(first.rename({"hash": "_holder_hash", "_rep": "_holder_rep"}), on="_holder_hash")
        .with_columns(pl.min_horizontal("_rep", "_holder_rep").alias("para_left"),
                      pl.max_horizontal("_rep", "_holder_rep").alias("para_right"))
    )
    if pairs is not None and pairs.height:
        out = out.join(pairs.select("para_left", "para_right", "cosine", pl.col("relation").alias("_rel")),
                       on=["para_left", "para_right"], how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Float32).alias("cosine"), pl.lit(None, pl.String).alias("_rel"))
    same = pl.col("hash") == pl.col("_holder_hash")
    return out.with_columns(
        pl.when(same).then(pl.lit("exact")).otherwise(pl.col("_rel").fill_null("near_duplicate")).alias("relation"),
        pl.when(same).then(pl.lit(1.0)).otherwise(pl.col("cosine").cast(pl.Float64)).alias("score"),
    )


def _new_texts(paragraphs: pl.DataFrame, dropped: pl.DataFrame, kept: set[int]) -> tuple[pl.DataFrame, set[int]]:
    """(doc_id, text) of kept articles that lost paragraphs: what is left, paragraphs joined by a blank line;
    and the kept articles left with nothing."""
    touched = dropped["doc_id"].unique()
    left = (
        paragraphs.filter(pl.col("doc_id").is_in(touched.implode()))
        .join(dropped.select("para_id"), on="para_id", how="anti")
        .sort("doc_id", "position")
        .group_by("doc_id", maintain_order=True)
        .agg(pl.col("text").str.join("\n\n"))
    )
    emptied = set(touched.to_list()) - set(left["doc_id"].to_list())
    return left, emptied & kept


# ------------------------------------------------------------------------------------------------ writing


def out_format(path: Path) -> str:
    """jsonl, csv or parquet, from the file's extension."""
    fmt = OUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: the output must end in .jsonl, .ndjson, .csv or .parquet")
    return fmt


def kept_records(
    plan_: Plan, text_col: str = "text", id_col: str = "id", workdir: Path | None = None
) -> Iterator[dict[str, Any]]:
    """The kept articles as their input records (every field as given), in input order, text replaced where
    paragraphs were removed. The input files are read again (relative paths from ``workdir``), one record at
    a time."""
    kept = plan_.articles.filter(pl.col("kept")).sort("doc_id")
    for (file,), rows in kept.group_by("file", maintain_order=True):
        wanted = {line: (doc_id, id_, text) for doc_id, id_, line, text in
                  rows.select("doc_id", "id", "line", "text").iter_rows()}
        seen = 0
        for line, record in original_records(Path(workdir or ".", str(file))):
            if line not in wanted:
                continue
            _, id_, text = wanted[line]
            if line is None:
                record = {"id": id_, **record}
            elif id_col in record and record[id_col] is not None and str(record[id_col]) != id_:
                raise InputError(Problem(str(file), line, f"holds id '{record[id_col]}', not '{id_}' as when the "
                                                          "corpus was read: it changed since; run again"))
            if text is not None:
                record = {**record, text_col if line is not None else "text": text}
            seen += 1
            yield record
        if seen != len(wanted):
            raise InputError(Problem(str(file), None, f"{len(wanted) - seen} kept record(s) no longer found: the "
                                                      "file changed since the corpus was read; run again"))


def write_clean(
    plan_: Plan, out: Path, text_col: str = "text", id_col: str = "id", workdir: Path | None = None
) -> int:
    """Write the kept records to ``out`` (format from its extension) atomically; how many were written."""
    fmt = out_format(out)
    records = kept_records(plan_, text_col, id_col, workdir)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            if fmt == "jsonl":
                return _write_jsonl(records, tmp)
            if fmt == "csv":
                return _write_csv(records, kept_records(plan_, text_col, id_col, workdir), tmp)
            return _write_parquet(records, tmp)
    except OSError as exc:
        raise StoreError(f"cannot write {out}: {exc.strerror or exc}") from None


def write_removed(plan_: Plan, out: Path) -> None:
    """The removed articles and paragraphs, with reason and what each duplicates, atomically."""
    fmt = out_format(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            if fmt == "jsonl":
                plan_.removed.write_ndjson(tmp)
            elif fmt == "csv":
                plan_.removed.write_csv(tmp)
            else:
                plan_.removed.write_parquet(tmp)
    except OSError as exc:
        raise StoreError(f"cannot write {out}: {exc.strerror or exc}") from None


def _write_jsonl(records: Iterator[dict[str, Any]], tmp: Path) -> int:
    n = 0
    with tmp.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            n += 1
    return n


def _write_csv(records: Iterator[dict[str, Any]], again: Iterator[dict[str, Any]], tmp: Path) -> int:
    names: dict[str, None] = {}
    for record in records:  # first pass: the columns, in order of first appearance
        names.update(dict.fromkeys(record))
    n = 0
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(names))
        writer.writeheader()
        for record in again:
            writer.writerow({k: (json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, list | dict) else v)
                             for k, v in record.items()})
            n += 1
    return n


def _write_parquet(records: Iterator[dict[str, Any]], tmp: Path) -> int:
    """Batches written as parts, then streamed into one file (columns unified across batches)."""
    n = 0
    with tempfile.TemporaryDirectory(dir=tmp.parent, prefix=".parts-") as parts_dir:
        parts: list[Path] = []
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if batch:
                part = Path(parts_dir) / f"{len(parts):06d}.parquet"
                pl.DataFrame(batch, infer_schema_length=None).write_parquet(part)
                parts.append(part)
                batch.clear()

        for record in records:
            batch.append(record)
            n += 1
            if len(batch) >= _BATCH:
                flush()
        flush()
        if not parts:
            pl.DataFrame().write_parquet(tmp)
            return 0
        pl.concat([pl.scan_parquet(p) for p in parts], how="diagonal_relaxed").sink_parquet(tmp)
    return n


# ------------------------------------------------------------------------------------------------ sources


@dataclass(frozen=True, slots=True)
class RunTables:
    """The tables a plan needs, and the input column names the run mapped (empty when not recorded)."""

    documents: pl.DataFrame
    paragraphs: pl.DataFrame
    copies: pl.DataFrame
    pairs: pl.DataFrame
    columns: dict[str, str] = field(default_factory=dict)
    workdir: Path | None = None  # where relative input paths were read from (None: here)

    def plan(self, keep: Keep, level: Level, strip_boilerplate: bool) -> Plan:
        return plan(self.documents, self.paragraphs, self.copies, self.pairs,
                    keep=keep, level=level, strip_boilerplate=strip_boilerplate)


def results_tables(results: Path) -> RunTables:
    """The tables of a results folder `run` wrote (no re-embedding)."""
    from cluster.store import read_table

    manifest = results / "manifest.json"
    if not manifest.is_file():
        raise StoreError(f"{results} holds no complete run (no manifest.json): run `newsdedup run` first")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"cannot read {manifest}: {exc}") from None
    columns, workdir = data.get("columns") or {}, data.get("workdir")
    names = ("documents", "paragraphs", "copies", "pairs")
    documents, paragraphs, copies, pairs = (read_table(results, n) for n in names)
    return RunTables(documents, paragraphs, copies, pairs, columns=dict(columns),
                     workdir=Path(workdir) if workdir else None)


def index_tables(folder: Path) -> RunTables:
    """The tables of a living index's current generation."""
    from cluster import living

    gen = living.current(folder)
    documents, paragraphs, copies, pairs = (gen.table(n) for n in ("documents", "paragraphs", "copies", "pairs"))
    return RunTables(documents, paragraphs, copies, pairs)
