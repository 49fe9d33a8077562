"""What the commands print: tables and summaries on the terminal (the library returns values, this shows them)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from cli.console import err, out

if TYPE_CHECKING:
    from cluster.calibrate import Borderline, StorySweepRow, SweepRow
    from cluster.contradictions.verdict import Verdict
    from cluster.dedup import DedupSummary
    from cluster.living import Found, IndexInfo, UpdateReport
    from cluster.report import Summary


def print_summary(summary: Summary, out_dir: Path) -> None:
    """The run's counts, its top stories, passages and contradictions, time per stage and skipped records."""
    c = summary.counts
    out.print(
        f"[bold]{c['documents']}[/] articles, {c['paragraphs']} paragraphs "
        f"({c['boilerplate_paragraphs']} boilerplate), {c['distinct_texts']} distinct texts "
        f"({c.get('embedded', 0)} embedded, {c.get('embeddings_from_cache', 0)} cached)"
    )
    e = summary.embedding
    if e.get("texts_per_s"):
        out.print(f"Embedded {e['texts_per_s']:g} texts/s with {e['backend']} on {e['device']}", markup=False)
    out.print(
        f"{c['repeated_passages']} repeated passages, {c['copies']} copy pairs, "
        f"{c['exact_duplicate_documents']} exact duplicate articles, [bold]{c['stories']}[/] stories"
    )
    if summary.top_stories:
        table = _summary_table("Top stories", ["story", "articles", "sources", "copies"], "title")
        for row in summary.top_stories:
            table.add_row(*(str(row[k]) for k in ("story_id", "n_docs", "n_sources", "n_copies")), row["title"] or "")
        out.print(table)
    if summary.top_passages:
        table = _summary_table("Most-copied passages", ["passage", "articles", "variants", "first seen in"], "text")
        for row in summary.top_passages:
            table.add_row(*(str(row[k]) for k in ("passage_id", "n_docs", "n_texts", "first_id")), row["text"])
        out.print(table)
    if summary.layers:
        layers = " + ".join(summary.layers)
        note = "" if "nli" in summary.layers else " (no NLI model: detail layer only)"
        out.print(f"{c.get('contradictions', 0)} contradictions inside stories, layers: {layers}{note}")
    for row in summary.top_contradictions:
        out.print(f"  story {row['story_id']} · {row['kind']} {row['score']:.2f}: "
                  f"«{row['span_a']}» vs «{row['span_b']}»", markup=False)
        out.print(f"    {row['id_a']}: {row['sentence_a']}", markup=False)
        out.print(f"    {row['id_b']}: {row['sentence_b']}", markup=False)
    times = ", ".join(f"{k} {v:.2f}s" for k, v in summary.timings.items())
    out.print(f"Time per stage: {times}")
    print_skipped(summary.n_problems, summary.problems, " (listed in manifest.json)")
    print_input_notes(summary)
    out.print(f"Tables written to {out_dir}/")


def print_skipped(count: int, first: Sequence[object], where: str = "") -> None:
    """How many bad records were skipped, and the first ones (each `file:line: what is wrong`)."""
    if count:
        err.print(f"[yellow]Skipped {count} bad record(s)[/]{where}, first:")
        for problem in first:
            err.print(f"  {problem}", markup=False)


def print_dedup(summary: DedupSummary, n_written: int, out_file: Path, removed: Path | None) -> None:
    """`dedup`: what was kept and removed, and where it was written."""
    out.print(summary.line().capitalize(), markup=False)
    out.print(f"{n_written} articles written to {out_file}" + (f"; removals listed in {removed}" if removed else ""),
              markup=False)


def print_input_notes(summary: Summary) -> None:
    """Re-encoded records, what became of archive records, and a warning when the model misses the languages."""
    if summary.n_reencoded:
        err.print(f"[yellow]Re-encoded {summary.n_reencoded} record(s)[/] that were not UTF-8 "
                  "(decoded by detection; listed in manifest.json)")
    if summary.outcomes:
        err.print("Archive records: " + ", ".join(f"{k} {v}" for k, v in summary.outcomes.items()), markup=False)
    if summary.languages and len(summary.languages) > 1:
        top = ", ".join(f"{lang} {n}" for lang, n in list(summary.languages.items())[:6])
        out.print(f"Languages: {top}", markup=False)
    if summary.language_note:
        err.print(f"[yellow]Warning:[/] {summary.language_note}")


def _summary_table(title: str, numbers: list[str], text: str) -> Table:
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for name in numbers:
        wide = name == "first seen in"
        table.add_column(name, no_wrap=True, justify="left" if wide else "right",
                         min_width=22 if wide else len(name), max_width=22 if wide else None, overflow="ellipsis")
    used = sum(max(len(n), 4) + 2 for n in numbers) + (18 if "first seen in" in numbers else 0)
    table.add_column(text, no_wrap=True, overflow="ellipsis", max_width=max(20, out.width - used - 2))
    return table


def print_verdict(verdict: Verdict) -> None:
    """What `contradict` prints: the article's stance, or the statement pair's verdict with its spans."""
    layers = " + ".join(verdict.layers)
    if verdict.stance is not None and verdict.detail is not None:
        says = "calls the statement false" if verdict.contradiction else "does not call the statement false"
        colour = "bold red" if verdict.contradiction else "green"
        out.print(f"[{colour}]the article {says}[/] (P(disagree) {verdict.stance.p_disagree:.2f}, "
                  f"threshold {verdict.stance.threshold:.2f}, layers {layers})")
        out.print(f"  evidence: {verdict.evidence}", markup=False)
        detail = verdict.detail
        if detail.contradiction:
            out.print(f"  strongest conflicting sentence ({detail.kind}, score {detail.score:.2f}): "
                      f"«{detail.span_a}» vs «{detail.span_b}» in: {detail.evidence}", markup=False)
        return
    if verdict.contradiction:
        out.print(f"[bold red]contradiction[/] ({verdict.kind}, score {verdict.score:.2f}, layers {layers})")
        out.print(f"  «{verdict.span_a}» vs «{verdict.span_b}»", markup=False)
    else:
        out.print(f"no contradiction found (score {verdict.score:.2f}, layers {layers})")
    out.print(f"  evidence: {verdict.evidence}", markup=False)


def scores_table(title: str, report: dict[str, Any], keys: list[str]) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in keys:
        value = report[key]
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    out.print(table)


def print_index_info(data: IndexInfo) -> None:
    """`index info`: counts, model, thresholds, FAISS index and size on disk."""
    c, f, t = data.counts, data.faiss, data.thresholds
    table = Table(title=f"Index {data.index}", title_justify="left", box=None, pad_edge=False, show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    kind = f["kind"] + (f" (nlist {f['nlist']}, nprobe {f['nprobe']}, trained on {f['trained_on']})"
                        if f["kind"] == "ivf" else "")
    for key, value in [
        ("generation", f"{data.generation} (format {data.format_version}, updated {data.updated})"),
        ("model", f"{data.model.name} (dim {data.model.dim})"),
        ("thresholds", f"pair {t.pair}, paraphrase {t.paraphrase}, passage {t.passage}, "
                       f"min share {t.min_share}"),
        ("articles", f"{c['documents']} ({c['exact_duplicate_documents']} exact duplicates; "
                     f"{data.skipped} bad records skipped)"),
        ("paragraphs", f"{c['paragraphs']} ({c['boilerplate_paragraphs']} boilerplate), "
                       f"{c['distinct_texts']} distinct texts"),
        ("vectors", f"{c.get('vector_rows', c['distinct_texts'])} in a {kind} FAISS index"),
        ("results", f"{c['repeated_passages']} repeated passages, {c['copies']} copy pairs, {c['stories']} stories"),
        ("size on disk", _size(data.size_bytes)),
    ]:
        table.add_row(key, value)
    out.print(table)


def print_update(report: UpdateReport, index: Path) -> None:
    """What `index build` / `index add` did, and where the index now stands."""
    for note in report.notes:
        err.print(f"[yellow]Note:[/] {note}", markup=True)
    if not report.changed:
        out.print(f"Nothing to add: {report.unchanged} article(s) already indexed with the same text; "
                  f"index unchanged at {report.generation}")
    else:
        out.print(
            f"[bold]{len(report.added)}[/] articles added, {len(report.updated)} updated, "
            f"{report.unchanged} already indexed; {report.embedded} texts embedded, {report.from_cache} from cache"
        )
        if report.updated:
            shown = ", ".join(report.updated[:5]) + (" …" if len(report.updated) > 5 else "")
            out.print(f"Updated {len(report.updated)} article(s) whose text changed: {shown}", markup=False)
        assert report.summary is not None  # a changed index always has one
        c = report.summary.counts
        out.print(
            f"Index: {c['documents']} articles, {c['paragraphs']} paragraphs ({c['boilerplate_paragraphs']} "
            f"boilerplate), {c['distinct_texts']} distinct texts; {c['repeated_passages']} repeated passages, "
            f"{c['copies']} copy pairs, [bold]{c['stories']}[/] stories"
        )
    print_skipped(len(report.problems), report.problems[:5])
    if report.changed:
        out.print(f"Index {index}/ now at {report.generation} ({report.seconds:.1f}s)", markup=False)


def print_found(found: Found) -> None:
    """`find`: matching passages per paragraph, the copies of the query, its story."""
    for para in found.paragraphs:
        out.print(f"[bold]Paragraph {para.position + 1}[/]: {_cut(para.text, 100)}")
        if not para.matches:
            out.print("  no match above the pair threshold")
        for m in para.matches:
            ids = ", ".join(m.ids) + (" …" if m.n_docs > len(m.ids) else "")
            out.print(f"  {m.cosine:.3f} {m.relation:<14} passage {m.passage_id} in {m.n_docs} "
                      f"article(s): {ids}", markup=False)
            out.print(f"        {_cut(m.text, 100)}", markup=False)
    if found.copies:
        out.print("[bold]Copies[/] (articles holding at least half of these paragraphs):")
        for c in found.copies:
            out.print(f"  {c.id}  {c.source or ''}  {c.shared}/{len(found.paragraphs)} paragraphs, "
                      f"{c.share_article:.0%} of the article  {_cut(c.title or '', 60)}", markup=False)
    else:
        out.print("No article holds half of these paragraphs.")
    story = found.story
    if story:
        out.print(f"[bold]Story {story.story_id}[/] ({story.n_docs} articles, first {story.first_id}): "
                  f"{_cut(story.title or '', 80)}")
    out.print(f"Answered in {found.seconds * 1000:.0f} ms from {found.generation}")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def print_calibration(threshold: float, near: Borderline, rows: list[SweepRow], stories: list[StorySweepRow]) -> None:
    """`calibrate`: the pairs nearest the threshold, then counts across thresholds and story resolutions."""
    for side, title in ((near.accepted, f"Least similar accepted (cosine ≥ {threshold})"),
                        (near.rejected, f"Most similar rejected (cosine < {threshold})")):
        table = Table(title=title, title_justify="left", show_lines=True)
        table.add_column("cosine", justify="right", no_wrap=True)
        table.add_column("left", ratio=1)
        table.add_column("right", ratio=1)
        for pair in side:
            table.add_row(f"{pair.cosine:.3f}", escape(f"[{pair.id_left}] {pair.text_left}"),
                          escape(f"[{pair.id_right}] {pair.text_right}"))
        out.print(table)
    table = Table(title="Counts across thresholds", title_justify="left")
    for col in ("threshold", "repeated passages", "copies", "stories"):
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(f"{row.threshold:.3f}", str(row.repeated_passages), str(row.copies), str(row.stories))
    out.print(table)
    table = Table(title="Stories across --story-resolution (the run's marked *)", title_justify="left")
    for col in ("resolution", "stories", "largest story", "single-article stories"):
        table.add_column(col, justify="right")
    for s in stories:
        table.add_row(f"{s.resolution:.3f}{' *' if s.is_run else ''}", str(s.stories), str(s.largest),
                      str(s.single_article))
    out.print(table)


def print_story_scores(report: dict[str, Any]) -> None:
    """`eval stories`: the scores, the purity of the largest predicted stories, the worst merges and splits."""
    scores_table(
        "Stories",
        report,
        [
            "ari",
            "ami",
            "nmi",
            "v_measure",
            "pair_precision",
            "pair_recall",
            "pair_f1",
            "b3_precision",
            "b3_recall",
            "b3_f1",
            "n_pred",
            "n_gold",
            "n_evaluated",
        ],
    )
    if report["largest"]:
        out.print("[bold]Largest predicted stories (purity = share of their commonest gold story)[/]")
        for row in report["largest"]:
            parts = ", ".join(f"{p['label']}×{p['count']}" for p in row["gold_clusters"])
            out.print(
                f"  story {row['pred_cluster']} (size {row['size']}): purity {row['purity']:.2f}, "
                f"{row['n_gold']} gold stories: {parts} — {(row['title'] or '')[:80]}",
                markup=False,
            )
    for title, rows, key in (
        ("Worst merged (one predicted story, several gold)", report["worst_merged"], "pred_cluster"),
        ("Worst split (one gold story, several predicted)", report["worst_split"], "gold_cluster"),
    ):
        if not rows:
            continue
        out.print(f"[bold]{title}[/]")
        for row in rows:
            parts = ", ".join(
                f"{p['label']}×{p['count']}" for p in row.get("gold_clusters", row.get("pred_clusters", []))
            )
            out.print(f"  {key} {row[key]} (size {row['size']}): {parts}", markup=False)
            for t in row["titles"]:
                out.print(f"    - {t[:100]}", markup=False)
