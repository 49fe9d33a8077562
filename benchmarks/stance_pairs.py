"""The held-apart FNC-1 stance half as an `eval pairs` file, so the stance figure can be checked from the CLI.

    python benchmarks/stance_pairs.py [--data ../shared/data] [--out /tmp/fnc1_stance_test.jsonl]
    newsdedup eval pairs /tmp/fnc1_stance_test.jsonl --task contradiction --no-nli --threshold 0.52 --json

Rows: ``text1`` = headline, ``text2`` = article body, ``label`` 1 = the article disagrees with the headline,
for the test stories of ``train_nli.stance_split`` (never seen when the shipped stance head was fitted).
`newsdedup contradict` / `eval pairs --task contradiction` judge an article (3+ sentences) with the shipped
lexicon stance head (``cluster.contradictions.stance.shipped_head``), one statement and one article at a time — no story
context, unlike ``bench_contradictions.py``, which centres refutation levels on each story. The script also
scores that path itself and writes ``results/stance_cli.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from train_nli import read_jsonl, stance_split  # noqa: E402

from benchmarks.common import data_dir, write_result  # noqa: E402
from cluster.contradictions import shipped_head  # noqa: E402
from cluster.errors import ModelNotFoundError  # noqa: E402
from cluster.evaluate import evaluate_contradictions  # noqa: E402

NEEDED = ("fnc1_stories_dev.jsonl", "fnc1_stance_dev.jsonl")


def write_test_half(data: Path, out: Path) -> int:
    """Write the test half as JSONL (text1, text2, label); returns the number of pairs."""
    stories = {r["id"]: r for r in read_jsonl(data / "fnc1_stories_dev.jsonl")}
    stances = read_jsonl(data / "fnc1_stance_dev.jsonl")
    _, test = stance_split(stances, {k: v["story_id"] for k, v in stories.items()})
    rows = [
        {"text1": r["headline"], "text2": stories[r["article_id"]]["text"], "label": int(r["stance"] == "disagree")}
        for r in stances
        if stories[r["article_id"]]["story_id"] in test
    ]
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", type=Path, default=Path("/tmp/fnc1_stance_test.jsonl"))
    args = parser.parse_args()
    folder = data_dir(args.data, list(NEEDED))
    if folder is None:
        return 0
    try:
        head = shipped_head()
    except ModelNotFoundError as exc:
        print(f"SKIP: {exc}")
        return 0
    n = write_test_half(folder, args.out)
    print(f"wrote {n} pairs to {args.out}")
    at_head = evaluate_contradictions(args.out, None, head.threshold)
    tuned = evaluate_contradictions(args.out, None, None)
    figures = {"pairs": n, "file": str(args.out), "at_head_threshold": at_head, "best_threshold_on_this_file": tuned,
               "command": f"newsdedup eval pairs {args.out} --task contradiction --no-nli --threshold "
                          f"{head.threshold:.2f} --json"}
    print(json.dumps(figures, indent=1))
    write_result("stance_cli", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
