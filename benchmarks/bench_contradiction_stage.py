"""The contradiction stage alone, on the tables of a finished run: seconds, CPU seconds and its parts.

Reads ``paragraphs.parquet`` and ``documents.parquet`` (with ``story_id``) of a run folder and the run's vectors
(``.npy``, one row per ``text_id``), then times :func:`cluster.contradictions.stage.find_contradictions` as
``newsdedup run`` calls it (the detail layer; ``--nli`` adds the shipped NLI model, loaded before the clock).
``--reference`` compares the table with one saved before (``DataFrame.equals``): a speed-up must not change it.
Each repeat starts cold: the per-sentence caches of ``cluster.contradictions`` are emptied first, as in a fresh
process (a second run in one process would read its sentences from the first run's caches).

    python benchmarks/bench_contradiction_stage.py --run OUT --vectors OUT/vectors.npy [--english] [--nli]
        [--all-flags] [--repeats 3] [--save table.parquet] [--reference table.parquet] [--out NAME]

``--english``: every document counts as English, as ``bench_scale.py`` runs the stage (its synthetic documents
have no language); otherwise the documents' ``language`` column decides, as in ``newsdedup run``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import git_commit, write_result  # noqa: E402

PARTS = (
    "without_embedded_posts",
    "story_text_pairs",
    "candidate_paragraphs",
    "english_only",
    "disputes_inside_articles",
    "_across_articles",
)


def _timed_parts(module: Any, seconds: dict[str, float]) -> None:
    """Wrap the stage's parts so their CPU seconds add up in ``seconds`` (the stage calls them by module name)."""
    for name in PARTS:
        function = getattr(module, name, None)
        if function is None:
            continue

        def wrapped(*args: Any, _f: Any = function, _name: str = name, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return _f(*args, **kwargs)
            finally:
                seconds[_name] = seconds.get(_name, 0.0) + time.process_time() - start

        setattr(module, name, functools.wraps(function)(wrapped))


def _cold() -> int:
    """Empty every per-text cache of the contradiction modules (not the word lists), so each repeat starts as a
    fresh process does (the stage runs once per ``newsdedup run``); returns how many caches were emptied."""
    emptied = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("cluster.contradictions") or name.endswith(".lexicon") or module is None:
            continue
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()
                emptied += 1
    return emptied


def measure(args: argparse.Namespace) -> dict[str, Any] | None:
    import polars as pl

    import cluster.contradictions.stage as stage
    from cluster.exact import normalise

    run, vectors_path = Path(args.run), Path(args.vectors)
    missing = [p for p in (run / "paragraphs.parquet", run / "documents.parquet", vectors_path) if not p.exists()]
    if missing:
        print(f"skipped: {', '.join(map(str, missing))} not found (a run folder and its vectors are needed)")
        return None
    paragraphs = pl.read_parquet(run / "paragraphs.parquet")
    documents = pl.read_parquet(run / "documents.parquet")
    vectors = np.load(vectors_path, mmap_mode="r")
    languages = (
        np.full(documents.height, "en", dtype=object) if args.english else documents["language"].to_numpy()
    )
    nli = None
    if args.nli:
        from cluster.contradictions.nli import load_nli

        nli = load_nli(None)
    params = stage.ContradictionParams(all_flags=args.all_flags)
    normalise("warm")  # its table is built by the run's hashing before this stage: not the stage's cost
    parts: dict[str, float] = {}
    _timed_parts(stage, parts)
    rows, table = [], None
    for _ in range(args.repeats):
        parts.clear()
        caches = _cold()
        stats: dict[str, int] = {}
        start, cpu = time.perf_counter(), time.process_time()
        table = stage.find_contradictions(
            paragraphs, documents["story_id"].to_numpy(), vectors, nli, params, languages, stats
        )
        rows.append(
            {
                "seconds": round(time.perf_counter() - start, 2),
                "cpu_seconds": round(time.process_time() - cpu, 2),
                "parts_cpu_seconds": {k: round(v, 2) for k, v in parts.items()},
                "stats": stats,
                "caches_emptied_before": caches,
            }
        )
        last = rows[-1]
        print(f"stage {last['seconds']:.2f} s, CPU {last['cpu_seconds']:.2f} s, parts {last['parts_cpu_seconds']}")
    assert table is not None
    identical = None
    if args.reference:
        identical = table.equals(pl.read_parquet(args.reference))
        print(f"table identical to {args.reference}: {identical}")
    if args.save:
        table.write_parquet(args.save)
    return {
        "run": str(run),
        "paragraphs": paragraphs.height,
        "documents": documents.height,
        "distinct_texts": int(vectors.shape[0]),
        "nli": args.nli,
        "english": args.english,
        "all_flags": args.all_flags,
        "flags": table.height,
        "code_commit": git_commit(),
        "repeats": rows,
        "median_seconds": statistics.median(r["seconds"] for r in rows),
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in rows),
        "identical_to_reference": identical,
        "reference": args.reference,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="run folder with paragraphs.parquet and documents.parquet")
    parser.add_argument("--vectors", required=True, help="the run's vectors (.npy, one row per text_id)")
    parser.add_argument("--english", action="store_true", help="every document English (as bench_scale.py)")
    parser.add_argument("--nli", action="store_true", help="judge with the shipped NLI model too")
    parser.add_argument("--all-flags", action="store_true", help="keep the low-confidence flags too")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--save", help="write the table here (parquet)")
    parser.add_argument("--reference", help="a table saved before: report whether this one equals it")
    parser.add_argument("--out", help="results name (benchmarks/results/NAME.json)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    figures = measure(args)
    if figures is not None and args.out:
        print(f"written {write_result(args.out, figures)}")


if __name__ == "__main__":
    main()
