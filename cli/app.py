"""`newsdedup`: deduplicate a scraped news corpus in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.console import out, progress_bars, setup_logging, user_errors
from cli.options import (
    DEFAULT_MIN_SHARE,
    DEFAULT_STORY_RESOLUTION,
    DEFAULT_THRESHOLD,
    Address,
    AllFlags,
    Backend,
    Corpus,
    EmbedActors,
    Engine,
    Format,
    GpusPerActor,
    IdCol,
    MaxContradictionPairs,
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
from cli.render import print_summary
from cli.report import Report
from cluster import __version__

app = typer.Typer(
    name="newsdedup",
    help="Find syndicated passages, copies and their origin, story clusters and contradictions in news.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from cli import calibrate, dedup, evaluate, index, report

    app.command("dedup")(dedup.dedup)
    app.add_typer(evaluate.app, name="eval")
    app.command("calibrate")(calibrate.calibrate)
    app.command("contradict")(evaluate.contradict)
    index.register(app)
    app.command("report")(report.report)


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
    backend: Backend = None,
    engine: Engine = "local",
    address: Address = None,
    embed_actors: EmbedActors = None,
    gpus_per_actor: GpusPerActor = 0.0,
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
    all_flags: AllFlags = False,
    max_contradiction_pairs: MaxContradictionPairs = None,
    report: Report = False,
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
            story_resolution=story_resolution, backend=backend,
            engine=engine, address=address, embed_actors=embed_actors, gpus_per_actor=gpus_per_actor,
            all_flags=all_flags, max_contradiction_pairs=max_contradiction_pairs,
        )
        with progress_bars(not quiet) as progress:
            summary = run_corpus(options, progress)
    if not quiet:
        print_summary(summary, out_dir)
    if report:
        from cli.report import write

        with user_errors():
            page = write(out_dir)
        if not quiet:
            out.print(f"Report: {page}", markup=False, soft_wrap=True)


_register()


def main() -> None:
    app()
