"""`newsdedup eval`: score our output against labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.console import user_errors
from cli.options import AsJson, Backend, NliModel, NoNli, Results, Task
from cli.render import print_story_scores, print_verdict, scores_table

app = typer.Typer(help="Score stories or pair decisions against gold labels.", no_args_is_help=True)


@app.command("stories")
def stories(
    results: Results,
    gold: Annotated[Path, typer.Option("--gold", help="Labels file (.csv/.jsonl/.parquet) with id and a gold column.")],
    gold_col: Annotated[str, typer.Option("--gold-col", help="Column of the gold cluster.")] = "story_id",
    as_json: AsJson = False,
) -> None:
    """ARI, AMI, NMI, V-measure, pairwise and B-cubed P/R/F1, the purity of the largest predicted stories,
    and the worst merged and split clusters."""
    from cluster.evaluate import evaluate_stories

    with user_errors():
        report = evaluate_stories(results, gold, gold_col)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), default=str))
        return
    print_story_scores(report.to_dict())


@app.command("pairs")
def pairs(
    path: Annotated[
        Path, typer.Argument(help="Labelled pairs (.jsonl/.csv/.parquet): text1, text2, label (1 = match).")
    ],
    threshold: Annotated[
        float | None,
        typer.Option(
            min=-1.0, max=1.0, help="Decision threshold (default: the tool's own); the file's best is shown beside it."
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Local sentence-transformers folder.")] = None,
    backend: Backend = None,
    task: Annotated[
        Task,
        typer.Option(help="duplicate (label 1 = same passage/paraphrase) or contradiction (label 1 = contradicts)."),
    ] = Task.duplicate,
    nli_model: NliModel = None,
    no_nli: NoNli = False,
    as_json: AsJson = False,
) -> None:
    """Precision, recall, F1 and accuracy at the tool's threshold; the best threshold on this file beside it."""
    from cluster.embed import load_encoder
    from cluster.evaluate import evaluate_contradictions, evaluate_pairs
    from cluster.runner import choose_nli

    keys = ["precision", "recall", "f1", "accuracy", "threshold", "n"]
    with user_errors():
        if task is Task.duplicate:
            report = evaluate_pairs(path, load_encoder(model, backend=backend), threshold)
        else:
            report = evaluate_contradictions(path, choose_nli(nli_model, not no_nli), threshold)
            keys.append("macro_f1")
        keys += ["best_threshold", "best_f1"]
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    scores_table("Pairs", report.to_dict(), keys)


def contradict(
    statement: Annotated[str, typer.Argument(help="A statement.")],
    other: Annotated[str, typer.Argument(help="Another statement, or a whole article (its sentences are compared).")],
    nli_model: NliModel = None,
    no_nli: NoNli = False,
    as_json: AsJson = False,
) -> None:
    """Do two statements contradict? Shows the kind, a score in [0, 1] and the conflicting spans."""
    from cluster.contradictions import contradiction_verdict
    from cluster.runner import choose_nli

    with user_errors():
        verdict = contradiction_verdict(statement, other, choose_nli(nli_model, not no_nli))
    if as_json:
        typer.echo(json.dumps(verdict.to_dict()))
        return
    print_verdict(verdict)
