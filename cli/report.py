"""`newsdedup report`: the HTML story browser of a results folder (one self-contained report.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.console import out, setup_logging, user_errors
from cli.options import Results, Verbose

ReportOut = Annotated[
    Path | None, typer.Option("--out", "-o", help="Where to write the page (default: RESULTS/report.html).")
]
FullStories = Annotated[
    int, typer.Option("--stories", min=0, help="Largest stories shown in full (articles, passages, copies).")
]
Report = Annotated[
    bool, typer.Option("--report", help="Also write report.html, an HTML story browser, into the output folder.")
]


def report(
    results: Results,
    out_file: ReportOut = None,
    stories: FullStories = 60,
    verbose: Verbose = False,
) -> None:
    """Write report.html: overview, plots, stories with their copies side by side, passages, contradictions."""
    setup_logging(verbose)
    with user_errors():
        path = write(results, out_file, stories)
    out.print(f"Report written to {path}", markup=False, soft_wrap=True)


def write(results: Path, out_file: Path | None = None, stories: int | None = None) -> Path:
    """The library call behind `report`, `run --report` and `export --report`; returns the page's path."""
    from cluster.browse import Limits, write_report

    limits = Limits() if stories is None else Limits(stories=stories)
    return write_report(results, out_file, limits).path
