"""The FNC-1 dev stance pairs as an `eval pairs` file, scored through the CLI path at the shipped threshold.

    python benchmarks/stance_pairs.py [--data ../shared/data] [--out /tmp/fnc1_stance_dev.jsonl] [--half]
    newsdedup eval pairs /tmp/fnc1_stance_dev.jsonl --task contradiction --no-nli --json

Rows: ``text1`` = headline, ``text2`` = article body, ``label`` 1 = the article disagrees with the headline.
The shipped stance head is fitted on the FNC-1 TRAIN files (``benchmarks/train_stance.py``), so every dev pair
is unseen: by default all 1,543 are written; ``--half`` writes only the test stories of
``train_nli.stance_split`` (the half earlier heads were scored on). `eval pairs --task contradiction` judges an
article (3+ sentences) with the shipped head (``cluster.contradictions.shipped_head``), one statement and one
article at a time, and reports P/R/F1 at the head's own threshold (``best_threshold``/``best_f1`` beside it are
the best on this file, never the figure of record). Writes ``results/stance_cli.json`` with the time per pair.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from train_nli import read_jsonl, stance_split  # noqa: E402

from benchmarks.common import data_dir, write_result  # noqa: E402
from cluster.contradictions import shipped_head  # noqa: E402
from cluster.errors import ModelNotFoundError  # noqa: E402
from cluster.evaluate import evaluate_contradictions  # noqa: E402

NEEDED = ("fnc1_stories_dev.jsonl", "fnc1_stance_dev.jsonl")


def write_pairs(data: Path, out: Path, half: bool = False) -> int:
    """Write the dev pairs (or the test half) as JSONL (text1, text2, label); returns the number of pairs."""
    stories = {r["id"]: r for r in read_jsonl(data / "fnc1_stories_dev.jsonl")}
    stances = read_jsonl(data / "fnc1_stance_dev.jsonl")
    keep = stance_split(stances, {k: v["story_id"] for k, v in stories.items()})[1] if half else None
    rows = [
        {"text1": r["headline"], "text2": stories[r["article_id"]]["text"], "label": int(r["stance"] == "disagree")}
        for r in stances
        if keep is None or stories[r["article_id"]]["story_id"] in keep
    ]
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", type=Path, default=Path("/tmp/fnc1_stance_dev.jsonl"))
    parser.add_argument("--half", action="store_true", help="only the test half of the older split")
    args = parser.parse_args()
    folder = data_dir(args.data, list(NEEDED))
    if folder is None:
        return 0
    try:
        threshold = shipped_head().threshold
    except ModelNotFoundError as exc:
        print(f"SKIP: {exc}")
        return 0
    n = write_pairs(folder, args.out, args.half)
    print(f"wrote {n} pairs to {args.out}")
    start = time.perf_counter()
    report = evaluate_contradictions(args.out, None)  # the tool's default threshold: the head's
    seconds = time.perf_counter() - start
    figures = {
        "pairs": n,
        "shipped_threshold": threshold,
        "file": str(args.out),
        "subset": "test half" if args.half else "all dev pairs",
        "at_shipped_threshold": report.to_dict(),
        "ms_per_pair": round(1000 * seconds / max(1, n), 2),
        "command": f"newsdedup eval pairs {args.out} --task contradiction --no-nli --json",
    }
    print(json.dumps(figures, indent=1))
    write_result("stance_cli_half" if args.half else "stance_cli", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
