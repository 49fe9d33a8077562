"""`newsdedup calibrate`: see the matches nearest a threshold and what other thresholds would give."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.console import user_errors
from cli.options import AsJson, Results
from cli.render import print_calibration


def calibrate(
    results: Results,
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
    ] = "0.2,0.25,0.3,0.34,0.4,0.45,0.5",
    as_json: AsJson = False,
) -> None:
    """Least similar accepted vs most similar rejected pairs, and counts across thresholds and story
    resolutions (no re-embedding)."""
    from cluster.calibrate import (
        borderline_pairs,
        load_manifest_threshold,
        parse_resolutions,
        story_sweep,
        sweep,
        threshold_grid,
    )

    with user_errors():
        resolutions = parse_resolutions(story_resolutions)
        grid = threshold_grid(sweep_from, sweep_to, step)
        t = threshold if threshold is not None else load_manifest_threshold(results)
        near = borderline_pairs(results, t, n)
        rows = sweep(results, grid)
        stories = story_sweep(results, resolutions)
    if as_json:
        typer.echo(json.dumps({"threshold": t, **near.to_dict(), "sweep": [row.to_dict() for row in rows],
                               "story_sweep": [row.to_dict() for row in stories]}))
        return
    print_calibration(t, near, rows, stories)
