"""Terminal output shared by the commands: errors as one line; progress bars on a terminal, and in pipes, logs
and CI a plain line every few seconds (stage, done/total, rate, ETA) so a batch job's log shows it is alive."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from cluster.errors import NewsDedupError

out = Console(highlight=False, soft_wrap=True)  # never hard-wrap a path or record line in pipes
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the project's errors (and bad arguments) into `Error: …` on stderr and exit code 1."""
    try:
        yield
    except (NewsDedupError, ValueError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("Interrupted; nothing half-written was left behind.", err=True)
        raise typer.Exit(130) from None


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


PLAIN_EVERY_S = 5.0


@contextmanager
def progress_bars(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A callback (stage, done, total) drawing one bar per stage on a terminal; elsewhere one that writes a
    plain line at most every ``PLAIN_EVERY_S`` seconds; ``None`` when disabled (--quiet)."""
    if not enabled:
        yield None
        return
    if not err.is_terminal:
        with _plain_progress() as plain:
            yield plain
        return
    bars = Progress(
        TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield update


@contextmanager
def _plain_progress(every: float | None = None) -> Iterator[Callable[[str, int, int], None]]:
    """Plain lines on stderr: ``embed: 1200/5000 (24%), 310/s, ETA 12s``; the reader's own line (files, records,
    MB/s, from the ``cluster.ingest.progress`` logger) shows too."""
    interval = PLAIN_EVERY_S if every is None else every
    started: dict[str, tuple[float, int]] = {}
    last = [time.monotonic()]

    def update(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage not in started:
            started[stage] = (now, done)
            return
        if now - last[0] < interval and done < total:
            return
        if now - last[0] < interval and done >= total and now - started[stage][0] < interval:
            return  # a short stage: no line at all
        last[0] = now
        t0, d0 = started[stage]
        rate = (done - d0) / max(now - t0, 1e-9)
        eta = f", ETA {(total - done) / rate:.0f}s" if rate > 0 and done < total else ""
        share = f" ({done / total:.0%})" if total else ""
        typer.echo(f"{stage}: {done}/{total}{share}, {rate:.1f}/s{eta}", err=True)

    reader = logging.getLogger("cluster.ingest.progress")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    old_level, old_propagate = reader.level, reader.propagate
    reader.addHandler(handler)
    reader.setLevel(logging.INFO)
    reader.propagate = False
    try:
        yield update
    finally:
        reader.removeHandler(handler)
        reader.setLevel(old_level)
        reader.propagate = old_propagate
