"""How the confidence rules split the labelled train flags, and a story-grouped CV of their thresholds.

    python benchmarks/flag_rules_cv.py [--labels benchmarks/results/contradiction_precision_train*.csv] [--folds 5]

Every labelled flag of the FNC-1 train label sheets (one row per sentence pair, the last label kept) is judged
again by the current detail layer and :func:`cluster.contradictions.confidence.confidence` (the layer the
sheet recorded for NLI: ``nli`` stays an NLI claim, ``both`` keeps the NLI agreement); printed: how many
the default table would show (``high``), their precision against the labels, and the share of the flags
labelled true that stay ``high`` (recall among labelled flags). These flags are SEEN data: the rules of
``cluster.contradictions.same_thing`` were written on them, so the figure is an upper bound.

The CV: the thresholds of the rules (``MIN_DATE_JACCARD``, ``MIN_YEAR_JACCARD``, ``MIN_ANTONYM_JACCARD``,
``FAR_BOUND``) are chosen on the other folds (stories grouped: all flags of one story in one fold) by F0.5 of
``high`` against the labels, and scored on the held-out fold; the pooled held-out figure is printed with the
shipped thresholds' figure on the same flags. It measures the thresholds, not the rules' wording.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cluster.contradictions import same_thing  # noqa: E402
from cluster.contradictions.confidence import confidence  # noqa: E402
from cluster.contradictions.detail import detail_conflicts  # noqa: E402
from cluster.contradictions.dispute import pair_dispute, sentence_dispute  # noqa: E402
from cluster.contradictions.nonclaims import same_statement  # noqa: E402
from cluster.exact import normalise  # noqa: E402

SHEETS = sorted((ROOT / "benchmarks" / "results").glob("contradiction_precision_train*.csv"))
GRID = {
    "MIN_DATE_JACCARD": (0.0, 0.15, 0.25, 0.35, 0.5),
    "MIN_YEAR_JACCARD": (0.25, 0.5, 0.75),
    "MIN_ANTONYM_JACCARD": (0.3, 0.5, 0.7),
    "FAR_BOUND": (1.25, 2.0, 3.0),
}


def labelled(sheets: list[Path]) -> list[dict]:
    """One row per labelled sentence pair (the last sheet's label wins), with a bool ``truth``."""
    rows: dict[tuple[str, str], dict] = {}
    for sheet in sheets:
        with sheet.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("verdict", "").strip().lower() in {"true", "false"}:
                    rows[(r["sentence_a"], r["sentence_b"])] = {**r, "truth": r["verdict"].strip().lower() == "true"}
    return list(rows.values())


def judged(row: dict) -> tuple[str, str]:
    """(evidence, confidence) of a labelled pair under the current code, as the stage would judge it."""
    a, b = row["sentence_a"], row["sentence_b"]
    if row.get("layer") == "nli":
        return "nli", "low"
    if a == b:
        found = sentence_dispute(a)
        return ("dispute", confidence("dispute", found.evidence, "detail", a, b, found.span_a.text,
                                      found.span_b.text)) if found else ("none", "none")
    if normalise(a) == normalise(b) or same_statement(a, b):
        return "none", "none"
    conflicts = detail_conflicts(a, b)
    dispute = pair_dispute(a, b) if not conflicts or conflicts[0].kind in {"negation", "claim"} else None
    conflicts = [dispute] if dispute is not None else conflicts
    if not conflicts or conflicts[0].score < 0.5:
        return "none", "none"
    c = conflicts[0]
    layer = "both" if row.get("layer") == "both" else "detail"
    return c.evidence, confidence(c.kind, c.evidence, layer, a, b, c.span_a.text, c.span_b.text)


def figures(highs: list[bool], truths: list[bool]) -> tuple[int, int, int, int]:
    """(true high, high, true, rows)."""
    tp = sum(h and t for h, t in zip(highs, truths, strict=True))
    return tp, sum(highs), sum(truths), len(truths)


def f_half(tp: int, high: int, true: int) -> float:
    p, r = (tp / high if high else 0.0), (tp / true if true else 0.0)
    return 1.25 * p * r / (0.25 * p + r) if p + r else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="*", default=SHEETS)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.labels:
        print("no label sheets found; nothing to measure")
        return 0
    rows = labelled(args.labels)
    truths = [r["truth"] for r in rows]
    now = [judged(r) for r in rows]
    tp, high, true, n = figures([c == "high" for _, c in now], truths)
    print(f"{n} labelled pairs ({true} true) from {len(args.labels)} sheets")
    print(f"shipped rules: high {high}, precision {tp}/{high} = {tp / max(1, high):.3f}, "
          f"recall among labelled true {tp}/{true} = {tp / max(1, true):.3f}")
    per, good = Counter(), Counter()
    for (evidence, conf), t in zip(now, truths, strict=True):
        if conf == "high":
            per[evidence] += 1
            good[evidence] += t
    print("  high per evidence: " + "; ".join(f"{k} {good[k]}/{per[k]}" for k in sorted(per)))

    shipped = {name: getattr(same_thing, name) for name in GRID}
    combos = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    table: list[list[bool]] = []
    for combo in combos:
        for name, value in combo.items():
            setattr(same_thing, name, value)
        table.append([judged(r)[1] == "high" for r in rows])
    for name, value in shipped.items():
        setattr(same_thing, name, value)
    stories = sorted({r["story_id"] for r in rows})
    fold_of = {s: i % args.folds for i, s in enumerate(stories)}
    folds = [fold_of[r["story_id"]] for r in rows]
    held = [False] * n
    chosen = []
    for k in range(args.folds):
        train = [i for i in range(n) if folds[i] != k]
        scores = [f_half(*figures([h[i] for i in train], [truths[i] for i in train])[:3]) for h in table]
        best = max(range(len(combos)), key=lambda j: (scores[j], -j))
        chosen.append(combos[best])
        for i in range(n):
            if folds[i] == k:
                held[i] = table[best][i]
    tp, high, true, _ = figures(held, truths)
    print(f"story-grouped {args.folds}-fold CV of the thresholds (chosen by F0.5 on the other folds): "
          f"high {high}, precision {tp}/{high} = {tp / max(1, high):.3f}, recall {tp}/{true} = {tp / max(1, true):.3f}")
    print("  chosen per fold: " + " | ".join(", ".join(f"{k}={v}" for k, v in c.items()) for c in chosen))
    print("  shipped: " + ", ".join(f"{k}={v}" for k, v in shipped.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
