"""Hand audit of the contradictions table: sample flags per kind, score labelled flags, SICK detail F1.

    python benchmarks/audit_contradictions.py show RESULTS [--corpus FILE] [--per-group 12] [--seed 0]
    python benchmarks/audit_contradictions.py sample RESULTS --out audit.csv [--per-group 12 | --random 60]
    python benchmarks/audit_contradictions.py score RESULTS [--labels benchmarks/results/contradiction_audit.csv]
    python benchmarks/audit_contradictions.py sick [--data ../shared/data]

``RESULTS`` is a ``newsdedup run`` output folder (its ``contradictions`` table is read); with ``--corpus``
the pipeline is run on that file first (``newsdedup run CORPUS --out RESULTS``). ``show`` prints a seeded
sample of flags per (kind, layer) with the detail layer's explanation; ``sample`` writes the same sample as
a label sheet (story_id, sentence_a, sentence_b, kind, layer, verdict, reason) to fill by hand.
``score`` reports precision per kind and per layer of the labelled flags: the seeded sample as labelled on
the run it was drawn from (``labelled_on`` = ``before``), and every labelled flag the current table still
holds, with its current kind and layer (labelled pairs no longer flagged are counted apart, by verdict),
plus the flags of the current table that carry no label yet. Flags labelled later (``labelled_on`` =
``after``: flags of a later run outside the sample) count only in the second figure.
``sick`` prints the detail layer's contradiction F1 on the held-apart SICK test split (no model needed).
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import polars as pl  # noqa: E402

from cluster.contradictions import detail_conflicts, explain  # noqa: E402
from cluster.contradictions.confidence import confidence  # noqa: E402

LABELS = ROOT / "benchmarks" / "results" / "contradiction_audit.csv"
FIELDS = (
    "story_id", "id_a", "id_b", "sentence_a", "sentence_b", "kind", "evidence", "confidence", "layer",
    "span_a", "span_b", "verdict", "reason", "labelled_on",
)


def read_table(results: Path) -> pl.DataFrame:
    """The contradictions table of a results folder (parquet, csv or jsonl)."""
    for name, reader in (
        ("contradictions.parquet", pl.read_parquet),
        ("contradictions.csv", pl.read_csv),
        ("contradictions.jsonl", pl.read_ndjson),
    ):
        if (results / name).is_file():
            return reader(results / name)
    raise FileNotFoundError(f"no contradictions table in {results}")


def run_pipeline(corpus: Path, results: Path) -> None:
    """``newsdedup run CORPUS --out RESULTS`` with this interpreter (embeddings come from the cache)."""
    subprocess.run([sys.executable, "-m", "cli", "run", str(corpus), "--out", str(results)], check=True, cwd=ROOT)


def sample(table: pl.DataFrame, per_group: int, seed: int) -> list[dict]:
    """Up to ``per_group`` seeded-random flags per (kind, layer), groups in a fixed order."""
    rng = random.Random(seed)
    rows = table.sort("story_id", "sentence_a", "sentence_b").to_dicts()
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["kind"], row["layer"]), []).append(row)
    out: list[dict] = []
    for key in sorted(groups):
        members = groups[key]
        out.extend(rng.sample(members, min(per_group, len(members))))
    return out


def unlabelled(table: pl.DataFrame, sheets: list[Path]) -> pl.DataFrame:
    """The flags of ``table`` whose sentence pair (either order) is in none of the label ``sheets``."""
    seen: set[tuple[str, str]] = set()
    for sheet in sheets:
        with sheet.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                seen |= {(r["sentence_a"], r["sentence_b"]), (r["sentence_b"], r["sentence_a"])}
    keep = [(a, b) not in seen for a, b in zip(table["sentence_a"], table["sentence_b"], strict=True)]
    return table.filter(pl.Series(keep, dtype=pl.Boolean))


def random_sample(table: pl.DataFrame, n: int, seed: int) -> list[dict]:
    """``n`` flags drawn uniformly at random (seeded) from the whole table: the precision sample of record."""
    rows = table.sort("story_id", "sentence_a", "sentence_b").to_dicts()
    return random.Random(seed).sample(rows, min(n, len(rows)))


def describe(row: dict) -> str:
    """A flag as text: kind, layer, score, spans, the detail layer's explanation and both sentences."""
    found = detail_conflicts(row["sentence_a"], row["sentence_b"])
    why = explain(found[0]) if found else "(no detail conflict)"
    return (
        f"[{row['kind']}/{row['layer']}] story {row['story_id']} score {row['score']:.2f}  {why}\n"
        f"  A: {row['sentence_a']}\n  B: {row['sentence_b']}\n"
    )


def read_labels(path: Path) -> list[dict]:
    """Labelled flags; ``verdict`` is ``true`` (a real contradiction) or ``false``."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("verdict", "").strip()]
    bad = [r for r in rows if r["verdict"].strip().lower() not in {"true", "false"}]
    if bad:
        raise ValueError(f"verdict must be true or false, got {bad[0]['verdict']!r}")
    return rows


def precision_lines(rows: list[tuple[str, str, bool]]) -> list[str]:
    """``kind`` and ``layer`` precision lines for (kind, layer, is_true) rows."""
    lines = []
    for title, index in (("kind", 0), ("layer", 1)):
        total, good = Counter(), Counter()
        for row in rows:
            total[row[index]] += 1
            good[row[index]] += int(row[2])
        parts = [f"{k} {good[k]}/{total[k]} = {good[k] / total[k]:.2f}" for k in sorted(total)]
        lines.append(f"  per {title}: " + "; ".join(parts))
    n, t = len(rows), sum(r[2] for r in rows)
    lines.append(f"  all: {t}/{n} = {t / n:.2f}" if n else "  all: none")
    return lines


def score(table: pl.DataFrame, labels: list[dict]) -> str:
    """Precision of the labelled sample as labelled and of the labelled flags as currently flagged,
    and how many current flags carry no label."""
    current = {(r["sentence_a"], r["sentence_b"]): r for r in table.to_dicts()}
    sample_rows = [r for r in labels if r.get("labelled_on", "before") in {"", "before"}]
    as_labelled = [(r["kind"], r["layer"], r["verdict"].lower() == "true") for r in sample_rows]
    still, dropped = [], Counter()
    for r in labels:
        now = current.get((r["sentence_a"], r["sentence_b"]))
        if now is None:
            dropped[r["verdict"].lower()] += 1
        else:
            still.append((now["kind"], now["layer"], r["verdict"].lower() == "true"))
    labelled = {(r["sentence_a"], r["sentence_b"]) for r in labels}
    new = [r for key, r in current.items() if key not in labelled]
    lines = [f"flags in table: {table.height}  by kind: {dict(Counter(table['kind'].to_list()))}"]
    lines.append(f"  by layer: {dict(Counter(table['layer'].to_list()))}")
    lines.append(f"labelled sample, as labelled on its run ({len(as_labelled)}):")
    lines += precision_lines(as_labelled)
    lines.append(
        f"labelled flags in the current table ({len(still)}; labelled but no longer flagged: {dict(dropped)}):"
    )
    lines += precision_lines(still)
    lines.append(f"unlabelled flags in the current table: {len(new)}")
    return "\n".join(lines)


def sick_detail_f1(data: Path, high_only: bool = False) -> tuple[float, int]:
    """Contradiction F1 of the detail layer on the SICK test split, and the split's size; with ``high_only``
    a conflict counts only when the default table would show it (confidence ``high``, no NLI agreeing)."""
    from train_nli import read_jsonl, sick_is_test

    rows = [r for r in read_jsonl(data / "sick_nli.jsonl") if sick_is_test(r["premise"], r["hypothesis"])]
    tp = fp = fn = 0
    for r in rows:
        gold = r["label"] == "contradiction"
        found = detail_conflicts(r["premise"], r["hypothesis"])
        if high_only:
            pair = (r["premise"], r["hypothesis"])
            found = [
                c
                for c in found
                if confidence(c.kind, c.evidence, "detail", *pair, c.span_a.text, c.span_b.text) == "high"
            ]
        pred = bool(found)
        tp, fp, fn = tp + (gold and pred), fp + (pred and not gold), fn + (gold and not pred)
    return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("show", "sample", "score", "sick"))
    parser.add_argument("results", type=Path, nargs="?")
    parser.add_argument("--corpus", type=Path, help="run the pipeline on this corpus into RESULTS first")
    parser.add_argument("--per-group", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random", type=int, default=0, help="sample this many flags uniformly instead of per group")
    parser.add_argument("--out", type=Path, help="label sheet to write (sample)")
    parser.add_argument(
        "--exclude", type=Path, nargs="*", default=[], help="label sheets whose sentence pairs are not drawn again"
    )
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    if args.command == "sick":
        f1, n = sick_detail_f1(args.data)
        print(f"SICK test split ({n} pairs): detail-layer contradiction F1 {f1:.4f}")
        high, _ = sick_detail_f1(args.data, high_only=True)
        print(f"  counting only the conflicts the default table shows (confidence high): F1 {high:.4f}")
        return 0
    if args.results is None:
        parser.error(f"{args.command} needs RESULTS")
    if args.corpus is not None:
        run_pipeline(args.corpus, args.results)
    table = unlabelled(read_table(args.results), args.exclude)
    drawn = random_sample(table, args.random, args.seed) if args.random else sample(table, args.per_group, args.seed)
    if args.command == "show":
        for row in drawn:
            print(describe(row))
    elif args.command == "sample":
        if args.out is None:
            parser.error("sample needs --out")
        with args.out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
            writer.writeheader()
            for row in drawn:
                writer.writerow({**row, "verdict": "", "reason": "", "labelled_on": "before"})
    else:
        print(score(table, read_labels(args.labels)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
