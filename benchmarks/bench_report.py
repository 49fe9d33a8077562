"""The HTML report at scale: file size, time to write it, time to open it in headless Chromium, time of a search.

Results tables of 10k and 100k articles are synthesised by tiling a real results folder (default: a run of
the FNC-1 dev stories, made first if missing; ``--results DIR`` takes any `newsdedup run` output): each tile
is a copy of every table with its ids suffixed and its integer ids (doc, paragraph, text, passage, story)
offset, so stories, copies, passages and contradictions keep their real shapes and texts. Then:

- ``write_s``: :func:`cluster.browse.write_report` with the default limits (read tables, build, plot, render);
- ``size_mb``: the report's size;
- ``open_s``: headless Chromium's load time of the file (navigation timing's ``loadEventEnd``; median of 3);
- ``search_ms``: one search over every filterable item, run by the page's own script (first search: it also
  reads the items' text once).

    python benchmarks/bench_report.py [--sizes 10000 100000] [--results DIR] [--out FILE.json]

Results: benchmarks/results/report.json. Needs Chromium (`make browser`) for the opening times; without it
those are left out with the reason.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.chromium import browser, missing, open_page  # noqa: E402
from benchmarks.common import DEFAULT_DATA, write_result  # noqa: E402

NAME = "report"
TABLES = ("documents", "paragraphs", "passages", "pairs", "copies", "stories", "contradictions")
ID_COLUMNS = {  # string ids of articles, suffixed per tile
    "documents": ("id", "copy_of", "duplicate_of"), "paragraphs": ("id",), "passages": ("first_id",),
    "pairs": ("id_left", "id_right"), "copies": ("id_a", "id_b", "origin"), "stories": ("first_id",),
    "contradictions": ("id_a", "id_b"),
}
INT_COLUMNS = {  # dense integer ids, offset per tile by the table's maximum + 1
    "doc": (("documents", "doc_id"), ("paragraphs", "doc_id")),
    "para": (("paragraphs", "para_id"), ("pairs", "para_left"), ("pairs", "para_right"),
             ("contradictions", "para_a"), ("contradictions", "para_b")),
    "text": (("paragraphs", "text_id"),),
    "passage": (("paragraphs", "passage_id"), ("passages", "passage_id")),
    "story": (("documents", "story_id"), ("stories", "story_id"), ("contradictions", "story_id")),
}


def tile(source: Path, out: Path, n_articles: int) -> Path:
    """A results folder of whole copies of ``source``'s tables, as many as make at least ``n_articles``."""
    base = {name: pl.read_parquet(source / f"{name}.parquet") for name in TABLES}
    spans = {kind: 1 + max(int(base[t][c].max() or 0) for t, c in cols) for kind, cols in INT_COLUMNS.items()}
    n_tiles = -(-n_articles // base["documents"].height)
    frames: dict[str, list[pl.DataFrame]] = {name: [] for name in TABLES}
    for k in range(n_tiles):
        for name in TABLES:
            frame = base[name]
            exprs = [pl.col(c) + k * spans[kind] for kind, cols in INT_COLUMNS.items() for t, c in cols if t == name]
            exprs += [(pl.col(c) + f"~{k}") for c in ID_COLUMNS[name]]
            frames[name].append(frame.with_columns(exprs) if k else frame)
    out.mkdir(parents=True, exist_ok=True)
    tables = {name: pl.concat(parts) for name, parts in frames.items()}
    for name, frame in tables.items():
        frame.write_parquet(out / f"{name}.parquet")
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest["counts"] = {key: int(value) * n_tiles for key, value in manifest.get("counts", {}).items()}
    manifest["synthetic"] = f"{n_tiles} tiles of {source}"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def source_results(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    folder = Path(tempfile.gettempdir()) / "newsdedup-bench-report-fnc1"
    if not (folder / "manifest.json").is_file():
        corpus = DEFAULT_DATA / "fnc1_stories_dev.jsonl"
        print(f"running the pipeline on {corpus} into {folder} (real model, no NLI) …", flush=True)
        subprocess.run([sys.executable, "-m", "cli", "run", str(corpus), "--out", str(folder), "--no-nli", "-q"],
                       cwd=ROOT, check=True)
    return folder


def measure(results: Path, driver: Any | None) -> dict[str, Any]:
    from cluster.browse import write_report

    info = write_report(results)
    row: dict[str, Any] = {"articles": info.n_documents, "write_s": round(info.seconds, 2),
                           "size_mb": round(info.size_bytes / 2**20, 2)}
    if driver is not None:
        opens = [open_page(driver, info.path) for _ in range(3)]
        row["open_s"] = round(statistics.median(opens), 2)
        row["open_s_all"] = [round(s, 2) for s in opens]
        row["items"] = driver.execute_script("return document.querySelectorAll('[data-filter]').length")
        row["search_ms"] = round(driver.execute_script(
            "const q = document.getElementById('q'); q.value = 'police';"
            "const t = performance.now(); document.getElementById('filters').requestSubmit();"
            "return performance.now() - t;"), 1)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        row["console_errors"] = len(errors)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--results", help="a results folder to tile (default: FNC-1 dev stories, run if missing)")
    parser.add_argument("--out", help="result file (default: benchmarks/results/report.json)")
    parser.add_argument("--keep", help="keep the synthetic results folders (and their report.html) here")
    args = parser.parse_args()
    source = source_results(args.results)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-report-"))
    reason = missing()
    rows = []
    try:
        if reason:
            print(f"Chromium unavailable ({reason}): sizes and write times only")
        with browser() if reason is None else nullcontext() as driver:
            rows.append({"name": "source", **measure(source, driver)})
            for n in args.sizes:
                start = time.perf_counter()
                folder = tile(source, work / f"tiled-{n}", n)
                rows.append({"name": f"{n}", "tile_s": round(time.perf_counter() - start, 1),
                             **measure(folder, driver)})
                print(json.dumps(rows[-1]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    figures = {"source": str(source), "rows": rows, "chromium": reason or "headless, Debian package"}
    path = _write(Path(args.out), figures) if args.out else write_result(NAME, figures)
    print(f"results in {path}")


def _write(path: Path, figures: dict[str, Any]) -> Path:
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    main()
