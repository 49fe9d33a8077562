"""`newsdedup calibrate`: see the matches nearest a threshold and what other thresholds would give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.console import out, user_errors


def calibrate(
    results: Annotated[Path, typer.Argument(help="A results folder written by `newsdedup run`.")],
    threshold: Annotated[
        float | None, typer.Option(min=-1.0, max=1.0, help="Threshold to look around (default: the run's).")
    ] = None,
    n: Annotated[int, typer.Option("-n", min=1, help="Pairs to show on each side of the threshold.")] = 5,
    sweep_from: Annotated[float, typer.Option(min=-1.0, max=1.0, help="Lowest threshold of the sweep.")] = 0.80,
    sweep_to: Annotated[float, typer.Option(min=-1.0, max=1.0, help="Highest threshold of the sweep.")] = 0.96,
    step: Annotated[float, typer.Option(min=0.005, max=0.5, help="Step of the sweep.")] = 0.02,
    story_resolutions: Annotated[
        str,
        typer.Option(help="Comma-separated --story-resolution values to count stories at (no re-embedding)."),
    ] = "0.2,0.25,0.3,0.35,0.4,0.45,0.5",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Least similar accepted vs most similar rejected pairs, and counts across thresholds (no re-embedding)."""
    from cluster.calibrate import borderline_pairs, load_manifest_threshold, story_sweep, sweep

    with user_errors():
        try:
            resolutions = [float(v) for v in story_resolutions.split(",") if v.strip()]
        except ValueError:
            msg = f"--story-resolutions must be numbers separated by commas, got '{story_resolutions}'"
            raise ValueError(msg) from None
        if sweep_to < sweep_from:
            raise ValueError(f"--sweep-to ({sweep_to}) must be >= --sweep-from ({sweep_from})")
        t = threshold if threshold is not None else load_manifest_threshold(results)
        near = borderline_pairs(results, t, n)
        count = int(round((sweep_to - sweep_from) / step)) + 1
        rows = sweep(results, [round(sweep_from + i * step, 4) for i in range(count)])
        stories = story_sweep(results, resolutions)
    if as_json:
        typer.echo(json.dumps({"threshold": t, **near, "sweep": rows, "story_sweep": stories}))
        return
    for side, title in (("accepted", f"Least similar accepted (cosine ≥ {t})"),
                        ("rejected", f"Most similar rejected (cosine < {t})")):
        table = Table(title=title, title_justify="left", show_lines=True)
        table.add_column("cosine", justify="right", no_wrap=True)
        table.add_column("left", ratio=1)
        table.add_column("right", ratio=1)
        for row in near[side]:
            table.add_row(f"{row['cosine']:.3f}", escape(f"[{row['id_left']}] {row['text_left']}"),
                          escape(f"[{row['id_right']}] {row['text_right']}"))
        out.print(table)
    table = Table(title="Counts across thresholds", title_justify="left")
    for col in ("threshold", "repeated passages", "copies", "stories"):
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(f"{row['threshold']:.3f}", str(row["repeated_passages"]), str(row["copies"]), str(row["stories"]))
    out.print(table)
    table = Table(title="Stories across --story-resolution (the run's marked *)", title_justify="left")
    for col in ("resolution", "stories", "largest story", "single-article stories"):
        table.add_column(col, justify="right")
    for row in stories:
        mark = " *" if row["is_run"] else ""
        table.add_row(f"{row['resolution']:.3f}{mark}", str(row["stories"]), str(row["largest"]),
                      str(row["single_article"]))
    out.print(table)
