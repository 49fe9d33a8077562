"""The report page: the view and plots rendered by Jinja2 (autoescape on) into one self-contained HTML file.

Nothing is fetched when the page opens: styles, script and plots (SVG) are inlined. Article text, titles,
outlet names and URLs are untrusted scraped content: the template escapes every value, links are made only
of http(s) URLs, and a Content-Security-Policy lets only the page's own script run (by its hash), so an
injected ``<script>`` or ``onerror=`` would be inert even if it slipped through.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from cluster.browse import plots
from cluster.browse.model import NO_SOURCE, Limits, Tables, View, build, load
from cluster.store import read_manifest, writing

log = logging.getLogger(__name__)
REPORT_NAME = "report.html"


@dataclass(frozen=True, slots=True)
class ReportInfo:
    path: Path
    size_bytes: int
    seconds: float
    n_documents: int
    n_stories_full: int


def write_report(results: Path, out: Path | None = None, limits: Limits | None = None) -> ReportInfo:
    """Write ``report.html`` (or ``out``) for the results folder ``results``; atomic like every table."""
    start = time.perf_counter()
    limits = limits or Limits()
    manifest = read_manifest(results)
    tables = load(results, manifest)
    html = render(tables, limits)
    target = out or results / REPORT_NAME
    with writing(target) as tmp:
        tmp.write_text(html, encoding="utf-8")
    seconds = time.perf_counter() - start
    log.info("report of %d articles written to %s in %.1fs", tables.documents.height, target, seconds)
    n_full = min(limits.stories, tables.stories.height)
    return ReportInfo(target, target.stat().st_size, seconds, tables.documents.height, n_full)


def render(tables: Tables, limits: Limits) -> str:
    view = build(tables, limits)
    env = Environment(
        loader=PackageLoader("cluster.browse", "templates"),
        autoescape=True,  # every {{ value }} is HTML-escaped; only Markup (our CSS, JS, SVG) passes as is
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: f"{100 * float(v):.0f}%"
    env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else str(v)
    static = resources.files("cluster.browse") / "static"
    script = (static / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return env.get_template("report.html.j2").render(
        view=view,
        limits=limits,
        overview=overview(tables),
        plots=figures(tables, view, limits),
        css=Markup((static / "report.css").read_text(encoding="utf-8")),
        script=Markup(script),
        script_hash=f"sha256-{digest}",
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def overview(t: Tables) -> dict[str, Any]:
    m = t.manifest
    counts = dict(m.get("counts", {}))
    labels = [
        ("documents", "articles"), ("paragraphs", "paragraphs"), ("boilerplate_paragraphs", "boilerplate"),
        ("distinct_texts", "distinct texts"), ("exact_duplicate_documents", "exact duplicate articles"),
        ("repeated_passages", "repeated passages"), ("passages", "passages"), ("copies", "copy pairs"),
        ("stories", "stories"), ("contradictions", "contradictions"),
    ]
    near = t.pairs.filter(pl.col("relation") == "near_duplicate").height
    exact = t.pairs.filter(pl.col("relation") == "exact").height
    shown = [(label, counts[key]) for key, label in labels if key in counts]
    shown.insert(5, ("exact paragraph pairs", exact))
    shown.insert(6, ("near-duplicate pairs", near))
    flat: list[tuple[str, Any]] = []
    _flatten(m.get("settings", {}), "", flat)
    skipped = m.get("skipped", {})
    return {
        "counts": shown,
        "timings": list(m.get("timings_s", {}).items()),
        "total_seconds": sum(float(v) for v in m.get("timings_s", {}).values()),
        "model": m.get("model", {}),
        "layers": m.get("contradiction_layers", []),
        "settings": flat,
        "versions": list(m.get("versions", {}).items()),
        "created": m.get("created"),
        "inputs": m.get("inputs", []),
        "format": m.get("format"),
        "skipped": skipped.get("records", []),
        "n_skipped": skipped.get("count", 0),
        "n_reencoded": m.get("re_encoded", {}).get("count", 0),
        "languages": list(m.get("languages", {}).items()),
        "index": m.get("index"),
    }


def _flatten(data: dict[str, Any], prefix: str, out: list[tuple[str, Any]]) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out.append((prefix + key, value))


def figures(t: Tables, view: View, limits: Limits) -> dict[str, Markup]:
    """The four plots as inline SVG (matplotlib escapes the text it writes: corpus labels stay text)."""
    settings = t.manifest.get("settings", {})
    thresholds = [(label, float(settings[key])) for key, label in
                  (("pair_threshold", "related"), ("paraphrase_threshold", "paraphrase"),
                   ("passage_threshold", "near duplicate")) if key in settings]
    distinct = t.pairs.filter(pl.col("relation") != "exact")
    out = {
        "cosine": plots.cosine_histogram(distinct["cosine"].to_numpy(), thresholds, t.pairs.height - distinct.height),
        "sizes": plots.story_sizes(t.stories["n_docs"].to_numpy()),
        "timeline": plots.timeline(_timeline(t, limits.timeline)),
        "outlets": plots.outlet_matrix(*_outlets(t, limits.outlets)),
    }
    return {name: Markup(svg) for name, svg in out.items()}


def _timeline(t: Tables, n: int) -> list[tuple[str, list[datetime], list[bool]]]:
    from cluster.ingest.records import parse_date

    top = t.stories.sort(["n_docs", "story_id"], descending=[True, False]).head(n)
    docs = t.documents.filter(pl.col("story_id").is_in(top["story_id"].implode()))
    rows = []
    for story in top.to_dicts():
        times: list[datetime] = []
        copies: list[bool] = []
        for published, copy_of, dup in docs.filter(pl.col("story_id") == story["story_id"]).select(
            "published", "copy_of", "is_exact_duplicate"
        ).iter_rows():
            when = parse_date(published)
            if when is not None:
                times.append(when.replace(tzinfo=None))
                copies.append(bool(copy_of) or bool(dup))
        rows.append((f"{story['story_id']}: {story['title'] or ''}", times, copies))
    return rows


def _outlets(t: Tables, n: int) -> tuple[list[str], list[str], np.ndarray]:
    docs = t.documents.select("id", pl.col("source").fill_null(NO_SOURCE))
    links = (
        t.documents.filter(pl.col("copy_of").is_not_null()).select(pl.col("source").fill_null(NO_SOURCE), "copy_of")
        .join(docs.rename({"id": "copy_of", "source": "origin_source"}), on="copy_of", how="inner")
        .group_by("source", "origin_source").len()
    )
    if not links.height:
        return [], [], np.zeros((0, 0), dtype=int)
    copiers = links.group_by("source").agg(pl.col("len").sum()).sort(["len", "source"], descending=[True, False])
    origins = links.group_by("origin_source").agg(pl.col("len").sum()).sort(
        ["len", "origin_source"], descending=[True, False])
    rows, cols = copiers["source"].head(n).to_list(), origins["origin_source"].head(n).to_list()
    matrix = np.zeros((len(rows), len(cols)), dtype=int)
    r_at, c_at = {s: i for i, s in enumerate(rows)}, {s: i for i, s in enumerate(cols)}
    for source, origin, count in links.iter_rows():
        if source in r_at and origin in c_at:
            matrix[r_at[source], c_at[origin]] = count
    return rows, cols, matrix
