"""`newsdedup dedup`: write the deduplicated corpus, and what was dropped and why."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cluster.dedup import RunTables

from cli.console import progress_bars, setup_logging, user_errors
from cli.options import (
    DEFAULT_MIN_SHARE,
    DEFAULT_THRESHOLD,
    Backend,
    Corpus,
    IdCol,
    KeepChoice,
    LevelChoice,
    MinShare,
    Model,
    PublishedCol,
    Quiet,
    SourceCol,
    Strict,
    TextCol,
    Threshold,
    TitleCol,
    UrlCol,
    Verbose,
    run_options,
)
from cli.render import print_dedup, print_input_notes, print_skipped


def dedup(
    corpus: Corpus = None,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="The kept articles: .jsonl, .csv or .parquet (format from the name).")
    ] = Path("clean.jsonl"),
    results: Annotated[
        Path | None, typer.Option("--results", help="Use the tables of an earlier `run` (no re-embedding).")
    ] = None,
    index: Annotated[Path | None, typer.Option("--index", "-i", help="Use a living index's tables.")] = None,
    keep: Annotated[KeepChoice, typer.Option(help="Which article of a copy group stays.")] = KeepChoice.origin,
    level: Annotated[
        LevelChoice,
        typer.Option(help="paragraph: also drop paragraphs of kept articles that an earlier kept one holds."),
    ] = LevelChoice.article,
    strip_boilerplate: Annotated[
        bool, typer.Option("--strip-boilerplate", help="Drop flagged boilerplate paragraphs from kept texts.")
    ] = False,
    removed: Annotated[
        Path | None,
        typer.Option("--removed", help="Write every dropped article and paragraph, with its reason, here."),
    ] = None,
    tables: Annotated[
        Path | None, typer.Option("--tables", help="With CORPUS: keep the run's tables (and embedding cache) here.")
    ] = None,
    model: Model = None,
    backend: Backend = None,
    text_col: TextCol = "text",
    id_col: IdCol = "id",
    title_col: TitleCol = "title",
    source_col: SourceCol = "source",
    url_col: UrlCol = "url",
    published_col: PublishedCol = "published",
    strict: Strict = False,
    threshold: Threshold = DEFAULT_THRESHOLD,
    min_share: MinShare = DEFAULT_MIN_SHARE,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Write the corpus without its copies: one article per copy group (and, at paragraph level, no passage
    twice), every input field kept, in input order; --removed lists what went and what it duplicates."""
    from cluster import dedup as dd

    setup_logging(verbose)
    with user_errors():
        given = [name for name, value in (("CORPUS", corpus), ("--results", results), ("--index", index)) if value]
        if len(given) != 1:
            raise ValueError("give exactly one of CORPUS, --results or --index" + (f" (got {', '.join(given)})"
                                                                                   if given else ""))
        dd.out_format(out_file)
        if removed is not None:
            dd.out_format(removed)
        if results is not None:
            found = dd.results_tables(results)
        elif index is not None:
            found = dd.index_tables(index)
        else:
            columns = (text_col, id_col, title_col, source_col, url_col, published_col)
            found = _run(corpus or [], tables, model, backend, columns, strict, threshold, min_share, quiet)
        plan = found.plan(dd.Keep(keep.value), dd.Level(level.value), strip_boilerplate)
        n = dd.write_clean(plan, out_file, found.columns.get("text", text_col), found.columns.get("id", id_col),
                           found.workdir)
        if removed is not None:
            dd.write_removed(plan, removed)
    if not quiet:
        print_dedup(plan.summary, n, out_file, removed)


def _run(
    corpus: list[Path],
    tables: Path | None,
    model: str | None,
    backend: str | None,
    columns: tuple[str, str, str, str, str, str],
    strict: bool,
    threshold: float,
    min_share: float,
    quiet: bool,
) -> RunTables:
    """Run the pipeline (contradictions from the detail layer only: dedup does not read them) and read back
    its tables."""
    from cluster import dedup as dd
    from cluster.runner import run_corpus

    with tempfile.TemporaryDirectory(prefix="newsdedup-") as scratch:
        folder = tables or Path(scratch)
        options = run_options(corpus, folder, model, columns, strict=strict, threshold=threshold,
                              min_share=min_share, nli_model=None, no_nli=True, backend=backend)
        with progress_bars(not quiet) as progress:
            summary = run_corpus(options, progress)
        if not quiet:
            print_skipped(summary.n_problems, summary.problems)
            print_input_notes(summary)
        return dd.results_tables(folder)
