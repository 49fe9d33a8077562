"""`newsdedup index build|add|info`, `newsdedup find` and `newsdedup export`: a living index of a corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.app import (
    DEFAULT_MIN_SHARE,
    DEFAULT_STORY_RESOLUTION,
    DEFAULT_THRESHOLD,
    Corpus,
    Format,
    IdCol,
    MinShare,
    Model,
    NliModel,
    NoNli,
    OutDir,
    PublishedCol,
    Quiet,
    SourceCol,
    StoryResolution,
    Strict,
    TextCol,
    Threshold,
    TitleCol,
    UrlCol,
    Verbose,
    run_options,
)
from cli.console import err, out, progress_bars, setup_logging, user_errors

app = typer.Typer(
    help="Keep a corpus as a reusable index: build it once, add new articles as they come.", no_args_is_help=True
)

IndexDir = Annotated[Path, typer.Option("--index", "-i", help="Index folder.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of tables.")]


@app.command("build")
def build(
    corpus: Corpus = None,
    index: IndexDir = Path("news.idx"),
    model: Model = None,
    text_col: TextCol = "text",
    id_col: IdCol = "id",
    title_col: TitleCol = "title",
    source_col: SourceCol = "source",
    url_col: UrlCol = "url",
    published_col: PublishedCol = "published",
    strict: Strict = False,
    threshold: Threshold = DEFAULT_THRESHOLD,
    min_share: MinShare = DEFAULT_MIN_SHARE,
    story_resolution: StoryResolution = DEFAULT_STORY_RESOLUTION,
    nli_model: NliModel = None,
    no_nli: NoNli = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Index CORPUS (the stages of `run`, kept for `add` and `find`); rebuilding reuses the vectors held."""
    from cluster import living

    setup_logging(verbose)
    with user_errors():
        options = run_options(
            corpus, index, model, (text_col, id_col, title_col, source_col, url_col, published_col),
            strict=strict, threshold=threshold, min_share=min_share, nli_model=nli_model, no_nli=no_nli,
            story_resolution=story_resolution,
        )
        with progress_bars(not quiet) as progress:
            report = living.build(options, index, progress=progress)
    if not quiet:
        _print_update(report, index)


@app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="New files or folders to add to the index.")],
    index: IndexDir = Path("news.idx"),
    text_col: TextCol = "text",
    id_col: IdCol = "id",
    title_col: TitleCol = "title",
    source_col: SourceCol = "source",
    url_col: UrlCol = "url",
    published_col: PublishedCol = "published",
    strict: Strict = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Add articles, embedding only new texts; a known id is skipped, or updated when its text changed."""
    from cluster import living
    from cluster.ingest import Columns

    setup_logging(verbose)
    with user_errors():
        columns = Columns(text_col, id_col, title_col, source_col, url_col, published_col)
        with progress_bars(not quiet) as progress:
            report = living.add(index, files, columns=columns, strict=strict, progress=progress)
    if not quiet:
        _print_update(report, index)


@app.command("info")
def info(index: IndexDir = Path("news.idx"), as_json: AsJson = False) -> None:
    """Counts, model, thresholds, FAISS index kind and size on disk of an index."""
    from cluster import living

    with user_errors():
        data = living.info(index)
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    c, f, t = data["counts"], data["faiss"], data["thresholds"]
    table = Table(title=f"Index {data['index']}", title_justify="left", box=None, pad_edge=False, show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    kind = f["kind"] + (f" (nlist {f['nlist']}, nprobe {f['nprobe']}, trained on {f['trained_on']})"
                        if f["kind"] == "ivf" else "")
    for key, value in [
        ("generation", f"{data['generation']} (format {data['format_version']}, updated {data['updated']})"),
        ("model", f"{data['model']['name']} (dim {data['model']['dim']})"),
        ("thresholds", f"pair {t['pair']}, paraphrase {t['paraphrase']}, passage {t['passage']}, "
                       f"min share {t['min_share']}"),
        ("articles", f"{c['documents']} ({c['exact_duplicate_documents']} exact duplicates; "
                     f"{data['skipped']} bad records skipped)"),
        ("paragraphs", f"{c['paragraphs']} ({c['boilerplate_paragraphs']} boilerplate), "
                       f"{c['distinct_texts']} distinct texts"),
        ("vectors", f"{c.get('vector_rows', c['distinct_texts'])} in a {kind} FAISS index"),
        ("results", f"{c['repeated_passages']} repeated passages, {c['copies']} copy pairs, {c['stories']} stories"),
        ("size on disk", _size(data["size_bytes"])),
    ]:
        table.add_row(key, value)
    out.print(table)


def find(
    text: Annotated[str | None, typer.Argument(help="The passage to look up (or use --file).")] = None,
    index: IndexDir = Path("news.idx"),
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Look up every paragraph of this article.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=1000, help="Matching passages shown per paragraph.")] = 10,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Where else a passage was published: matching passages and their articles, its copies, its story."""
    from cluster import living

    setup_logging(verbose)
    with user_errors():
        if (text is None) == (file is None):
            raise ValueError("give the passage as an argument or --file ARTICLE, not both")
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
        assert text is not None
        opened = living.LivingIndex(index)
        encoder = living.encoder_for(living.current(index))
        encoder.encode(["warm-up"])  # the first call of a model is slow; `find` is timed after it
        found = opened.find(text, encoder, living.FindParams(k=k))
    if as_json:
        typer.echo(json.dumps(found, default=str))
        return
    _print_found(found)


def export(
    index: IndexDir = Path("news.idx"),
    out_dir: OutDir = Path("results"),
    fmt: Format = "parquet",
) -> None:
    """Write the tables `run` writes (documents, paragraphs, passages, pairs, copies, stories) from an index."""
    from cluster import living

    with user_errors():
        written = living.export(index, out_dir, fmt)
    out.print(f"{len(written) - 1} tables and manifest.json written to {out_dir}/")


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="index")
    parent.command("find")(find)
    parent.command("export")(export)


def _print_update(report: Any, index: Path) -> None:
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
        c = report.summary.counts
        out.print(
            f"Index: {c['documents']} articles, {c['paragraphs']} paragraphs ({c['boilerplate_paragraphs']} "
            f"boilerplate), {c['distinct_texts']} distinct texts; {c['repeated_passages']} repeated passages, "
            f"{c['copies']} copy pairs, [bold]{c['stories']}[/] stories"
        )
    if report.problems:
        err.print(f"[yellow]Skipped {len(report.problems)} bad record(s)[/], first:")
        for problem in report.problems[:5]:
            err.print(f"  {problem}", markup=False)
    if report.changed:
        out.print(f"Index {index}/ now at {report.generation} ({report.seconds:.1f}s)", markup=False)


def _print_found(found: dict[str, Any]) -> None:
    for para in found["paragraphs"]:
        out.print(f"[bold]Paragraph {para['position'] + 1}[/]: {_cut(para['text'], 100)}")
        if not para["matches"]:
            out.print("  no match above the pair threshold")
        for m in para["matches"]:
            ids = ", ".join(m["ids"]) + (" …" if m["n_docs"] > len(m["ids"]) else "")
            out.print(f"  {m['cosine']:.3f} {m['relation']:<14} passage {m['passage_id']} in {m['n_docs']} "
                      f"article(s): {ids}", markup=False)
            out.print(f"        {_cut(m['text'], 100)}", markup=False)
    if found["copies"]:
        out.print("[bold]Copies[/] (articles holding at least half of these paragraphs):")
        for c in found["copies"]:
            out.print(f"  {c['id']}  {c['source'] or ''}  {c['shared']}/{len(found['paragraphs'])} paragraphs, "
                      f"{c['share_article']:.0%} of the article  {_cut(c['title'] or '', 60)}", markup=False)
    else:
        out.print("No article holds half of these paragraphs.")
    story = found["story"]
    if story:
        out.print(f"[bold]Story {story['story_id']}[/] ({story['n_docs']} articles, first {story['first_id']}): "
                  f"{_cut(story['title'] or '', 80)}")
    out.print(f"Answered in {found['seconds'] * 1000:.0f} ms from {found['generation']}")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
