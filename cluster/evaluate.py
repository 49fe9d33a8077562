"""Scoring our output against gold labels: story partitions and labelled text pairs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster.contradictions import ARTICLE_SENTENCES, NLIScorer, contradiction_scores, shipped_head, split_sentences
from cluster.embed import Encoder, encode_in_order
from cluster.errors import InputError, Problem
from cluster.exact import text_hash
from cluster.metrics import binary_scores, cluster_scores, largest_clusters, pair_scores, worst_clusters
from cluster.pipeline import Settings
from cluster.store import read_table


def read_labels(path: Path, columns: Sequence[str]) -> pl.DataFrame:
    """A labels file (.csv, .jsonl/.ndjson, .parquet) with the given columns, all required, plus ``_line``:
    where each record is in the file (the line for CSV and JSONL, the row number for Parquet)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pl.read_csv(path, infer_schema=False).with_row_index("_line", offset=2)
        elif suffix in {".jsonl", ".ndjson"}:
            frame = _read_jsonl_labels(path)
        elif suffix == ".parquet":
            frame = pl.read_parquet(path).with_row_index("_line", offset=1)
        else:
            raise InputError(Problem(str(path), None, f"unsupported labels format '{suffix}' (csv, jsonl, parquet)"))
    except FileNotFoundError:
        raise InputError(Problem(str(path), None, "no such file")) from None
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(Problem(str(path), None, f"cannot read: {str(exc).splitlines()[0]}")) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has = ", ".join(c for c in frame.columns if c != "_line")
        raise InputError(Problem(str(path), None, f"missing column(s) {', '.join(missing)} (has {has})"))
    return frame


def read_pairs(path: Path) -> pl.DataFrame:
    """A labelled pairs file (text1, text2, label 0/1); the first bad record is an error naming its line."""
    pairs = read_labels(path, ["text1", "text2", "label"])
    bad = pairs.filter(
        pl.col("text1").is_null() | pl.col("text2").is_null() | ~pl.col("label").cast(pl.String).is_in(["0", "1"])
    )
    if bad.height:
        raise InputError(Problem(str(path), int(bad["_line"][0]), "each pair needs text1, text2 and a label of 0 or 1"))
    return pairs


def _read_jsonl_labels(path: Path) -> pl.DataFrame:
    """A JSON-lines labels file as a frame of strings; a bad line is an error naming it (``file:line``)."""
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                problem = f"malformed JSON: {exc.msg} (column {exc.colno})"
                raise InputError(Problem(str(path), line_no, problem)) from None
            if not isinstance(row, dict):
                raise InputError(Problem(str(path), line_no, "each line must be a JSON object"))
            rows.append(row)
            lines.append(line_no)
    names = list(dict.fromkeys(key for row in rows for key in row))
    frame = pl.DataFrame(
        {name: [None if row.get(name) is None else str(row[name]) for row in rows] for name in names},
        schema=dict.fromkeys(names, pl.String),
    )
    return frame.with_columns(pl.Series("_line", lines, dtype=pl.UInt32))


@dataclass(frozen=True, slots=True)
class StoryReport:
    """A story partition scored against gold: ``scores`` (ARI, AMI, pairwise and B-cubed P/R/F1, counts), the
    largest predicted stories with their purity, and the worst merged and split stories."""

    scores: dict[str, float | int]
    largest: list[dict[str, Any]]
    n_evaluated: int
    n_unlabelled: int
    worst_merged: list[dict[str, Any]]
    worst_split: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `eval stories --json`: the scores flat, then the lists."""
        return {**self.scores, "largest": self.largest, "n_evaluated": self.n_evaluated,
                "n_unlabelled": self.n_unlabelled, "worst_merged": self.worst_merged, "worst_split": self.worst_split}


def evaluate_stories(
    results: Path, gold_path: Path, gold_col: str = "story_id", n_worst: int = 3, n_largest: int = 5
) -> StoryReport:
    """Scores of the ``story_id`` of a results folder against a gold partition, joined on ``id``; the worst
    merged and split stories, and the purity of the ``n_largest`` largest predicted stories (with a title)."""
    documents = read_table(results, "documents")
    gold = read_labels(gold_path, ["id", gold_col]).select(
        pl.col("id").cast(pl.String), pl.col(gold_col).cast(pl.String).alias("_gold")
    )
    joined = documents.select(pl.col("id").cast(pl.String), "story_id", "title").join(gold, on="id", how="inner")
    if joined.is_empty():
        raise InputError(Problem(str(gold_path), None, f"no id in common with {results}/documents"))
    scores = cluster_scores(joined["_gold"].to_numpy(), joined["story_id"].to_numpy())
    worst = worst_clusters(
        joined["_gold"].to_numpy(), joined["story_id"].to_numpy(), joined["title"].fill_null("").to_numpy(), n_worst
    )
    largest = largest_clusters(joined["_gold"].to_numpy(), joined["story_id"].to_numpy(), n_largest)
    title_of = dict(joined.group_by("story_id", maintain_order=True).agg(pl.col("title").first()).iter_rows())
    for row in largest:
        row["title"] = title_of.get(row["pred_cluster"])
    return StoryReport(scores=dict(scores), largest=largest, n_evaluated=joined.height,
                       n_unlabelled=documents.height - joined.height, worst_merged=worst["merged"],
                       worst_split=worst["split"])


def pair_cosines(encoder: Encoder, text1: Sequence[str], text2: Sequence[str]) -> np.ndarray:
    """Our pair score: 1.0 for the same normalised text, else the cosine of the embeddings (each text once)."""
    distinct: dict[str, int] = {}
    keys1 = [distinct.setdefault(text_hash(t), len(distinct)) for t in text1]
    keys2 = [distinct.setdefault(text_hash(t), len(distinct)) for t in text2]
    texts: list[str] = [""] * len(distinct)
    for t, k in zip([*text1, *text2], keys1 + keys2, strict=True):
        texts[k] = t
    vectors = encode_in_order(encoder, texts)
    return np.einsum("ij,ij->i", vectors[keys1], vectors[keys2]).clip(-1.0, 1.0)


#: The cosine from which the pipeline calls two passages paraphrases.
DEFAULT_PAIR_THRESHOLD = Settings().paraphrase_threshold


@dataclass(frozen=True, slots=True)
class PairReport:
    """Scores of a pair decision at ``threshold`` (the figure of record), with the best threshold on the file
    and its F1 beside it (``None`` without positives): never read a file-tuned figure as the tool's."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    threshold: float
    n: int
    macro_f1: float
    best_threshold: float | None
    best_f1: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scored_at(labels: np.ndarray, scores: np.ndarray, threshold: float) -> PairReport:
    """P/R/F1/accuracy/macro F1 at ``threshold``, with the best threshold on this file and its F1."""
    at = pair_scores(labels, scores, threshold)
    best = pair_scores(labels, scores, None) if labels.any() else None
    return PairReport(
        precision=float(at["precision"]), recall=float(at["recall"]), f1=float(at["f1"]),
        accuracy=float(at["accuracy"]), threshold=float(at["threshold"]), n=int(at["n"]),
        macro_f1=float(binary_scores(labels, (scores >= threshold).astype(np.int8))["macro_f1"]),
        best_threshold=float(best["threshold"]) if best else None,
        best_f1=float(best["f1"]) if best else None,
    )


def evaluate_pairs(path: Path, encoder: Encoder, threshold: float | None = None) -> PairReport:
    """Precision/recall/F1/accuracy of ``cosine >= threshold`` on labelled pairs (text1, text2, label 0/1);
    ``None`` means the tool's default (:data:`DEFAULT_PAIR_THRESHOLD`, where the pipeline says paraphrase)."""
    pairs = read_pairs(path)
    scores = pair_cosines(encoder, pairs["text1"].to_list(), pairs["text2"].to_list())
    labels = pairs["label"].cast(pl.Int64).to_numpy()
    return _scored_at(labels, scores, DEFAULT_PAIR_THRESHOLD if threshold is None else threshold)


def evaluate_contradictions(path: Path, nli: NLIScorer | None, threshold: float | None = None) -> PairReport:
    """Scores of our contradiction verdict on labelled pairs (text1, text2, label 1 = contradiction).

    ``threshold`` ``None`` means the tool's own: the shipped stance head's threshold when most texts are
    articles (judged by the stance head), else 0.5 (the ``contradict`` command's NLI threshold).
    """
    pairs = read_pairs(path)
    scores = contradiction_scores(pairs.select("text1", "text2").iter_rows(), nli)
    labels = pairs["label"].cast(pl.Int64).to_numpy()
    if threshold is None:
        articles = sum(len(split_sentences(t)) >= ARTICLE_SENTENCES for t in pairs["text2"].to_list())
        threshold = shipped_head().threshold if 2 * articles >= pairs.height else 0.5
    return _scored_at(labels, scores, threshold)
