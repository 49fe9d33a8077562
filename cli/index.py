"""`newsdedup index build|add|info`, `newsdedup find` and `newsdedup export`: a living index of a corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.console import out, progress_bars, setup_logging, user_errors
from cli.options import (
    DEFAULT_MIN_SHARE,
    DEFAULT_STORY_RESOLUTION,
    DEFAULT_THRESHOLD,
    Address,
    AsJson,
    Backend,
    Corpus,
    EmbedActors,
    Engine,
    Format,
    GpusPerActor,
    IdCol,
    IndexDir,
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
from cli.render import print_found, print_index_info, print_update
from cli.report import Report

app = typer.Typer(
    help="Keep a corpus as a reusable index: build it once, add new articles as they come.", no_args_is_help=True
)



@app.command("build")
def build(
    corpus: Corpus = None,
    index: IndexDir = Path("news.idx"),
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
            story_resolution=story_resolution, backend=backend,
            engine=engine, address=address, embed_actors=embed_actors, gpus_per_actor=gpus_per_actor,
        )
        with progress_bars(not quiet) as progress:
            report = living.build(options, index, progress=progress)
    if not quiet:
        print_update(report, index)


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
        print_update(report, index)


@app.command("info")
def info(index: IndexDir = Path("news.idx"), as_json: AsJson = False) -> None:
    """Counts, model, thresholds, FAISS index kind and size on disk of an index."""
    from cluster import living

    with user_errors():
        data = living.info(index)
    if as_json:
        typer.echo(json.dumps(data.to_dict(), default=str))
        return
    print_index_info(data)


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
    from cluster.ingest import read_article

    setup_logging(verbose)
    with user_errors():
        if (text is None) == (file is None):
            raise ValueError("give the passage as an argument or --file ARTICLE, not both")
        if file is not None:
            text = read_article(file)
        assert text is not None
        opened = living.LivingIndex(index)
        encoder = living.encoder_for(living.current(index))
        encoder.encode(["warm-up"])  # the first call of a model is slow; `find` is timed after it
        found = opened.find(text, encoder, living.FindParams(k=k))
    if as_json:
        typer.echo(json.dumps(found.to_dict(), default=str))
        return
    print_found(found)


def export(
    index: IndexDir = Path("news.idx"),
    out_dir: OutDir = Path("results"),
    fmt: Format = "parquet",
    report: Report = False,
) -> None:
    """Write the tables `run` writes (documents, paragraphs, passages, pairs, copies, stories) from an index."""
    from cluster import living

    with user_errors():
        written = living.export(index, out_dir, fmt)
    out.print(f"{len(written) - 1} tables and manifest.json written to {out_dir}/")
    if report:
        from cli.report import write

        with user_errors():
            page = write(out_dir)
        out.print(f"Report: {page}", markup=False, soft_wrap=True)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="index")
    parent.command("find")(find)
    parent.command("export")(export)
