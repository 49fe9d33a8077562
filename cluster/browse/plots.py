"""The report's plots as inline SVG drawn by matplotlib: no JavaScript runtime, text kept as text.

Each function returns one ``<svg>`` element (the XML prolog dropped) ready to inline. matplotlib escapes the
text it writes (``&``, ``<``, ``>``), and labels coming from the corpus are drawn with ``parse_math=False`` so
a ``$`` in an outlet's name is a dollar, not TeX.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # text as <text>, not glyph paths: smaller and searchable
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}
_BLUE, _ORANGE, _GREY = "#4c78a8", "#f58518", "#9a9a9a"
_THRESHOLD_COLOURS = ("#54a24b", "#e45756", "#b279a2", "#72b7b2")


def _svg(fig: Any, name: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name}):  # deterministic ids, distinct between plots
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _figure(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=72)
    return fig, fig.add_subplot()


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=_GREY)
    ax.set_axis_off()


def cosine_histogram(cosines: np.ndarray, thresholds: Sequence[tuple[str, float]], n_exact: int) -> str:
    """Cosine of matched paragraph pairs between distinct texts, with the thresholds as vertical lines."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(6.0, 2.8)
        low = min([0.6, *(t for _, t in thresholds)])
        if len(cosines):
            ax.hist(np.clip(cosines, low, 1.0), bins=40, range=(low, 1.0), color=_BLUE)
        else:
            ax.text(0.5, 0.5, "no pairs between distinct texts", ha="center", transform=ax.transAxes)
        for (label, value), colour in zip(thresholds, _THRESHOLD_COLOURS, strict=False):
            ax.axvline(value, color=colour, linestyle="--", linewidth=1.2, label=f"{label} {value:g}")
        ax.set_xlim(low, 1.0)
        ax.set_xlabel("cosine")
        ax.set_ylabel("pairs")
        ax.set_title(f"Matched pairs ({len(cosines):,} between distinct texts; {n_exact:,} exact not shown)")
        ax.legend(loc="upper left", frameon=False, fontsize=8)
        return _svg(fig, "cosine")


def story_sizes(sizes: np.ndarray) -> str:
    """How many stories have 1, 2, 3 … articles (log scale: a few large stories, many small ones)."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(6.0, 2.8)
        if not len(sizes):
            _note(ax, "no stories")
            return _svg(fig, "sizes")
        edges = [1, 2, 3, 4, 5, 6, 11, 21, 51, 101, 1001, 10**9]
        labels = ["1", "2", "3", "4", "5", "6–10", "11–20", "21–50", "51–100", "101–1000", ">1000"]
        counts, _ = np.histogram(sizes, bins=edges)
        last = int(np.max(np.nonzero(counts)[0])) + 1
        bars = ax.bar(range(last), counts[:last], color=_BLUE)
        ax.bar_label(bars, labels=[f"{c:,}" if c else "" for c in counts[:last]], fontsize=7)
        ax.set_xticks(range(last), labels[:last])
        if counts.max() > 30:  # a few large stories, many small ones
            from matplotlib.ticker import FuncFormatter

            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        else:
            ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("articles in the story")
        ax.set_ylabel("stories")
        ax.set_title(f"Story sizes ({len(sizes):,} stories)")
        return _svg(fig, "sizes")


def timeline(stories: Sequence[tuple[str, Sequence[datetime], Sequence[bool]]]) -> str:
    """One line per story: when its articles appeared, in hours after its first dated article (``published``);
    copies as orange diamonds, the rest as blue dots. The label carries the first article's date."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        dated = [(label, t, c) for label, t, c in stories if len(t)]
        fig, ax = _figure(8.0, 0.32 * len(dated) + 1.0 if dated else 0.5)
        if not dated:
            _note(ax, "no article of the largest stories has a publication date")
            return _svg(fig, "timeline")
        labels = []
        for row, (label, times, copies) in enumerate(dated):
            first = min(times)
            hours = np.array([(t - first).total_seconds() / 3600 for t in times])
            is_copy = np.asarray(copies, dtype=bool)
            ax.plot([0, hours.max()], [row, row], color="#dddddd", linewidth=4, zorder=1, solid_capstyle="round")
            ax.scatter(hours[~is_copy], np.full((~is_copy).sum(), row), s=24, color=_BLUE, zorder=2,
                       label="original" if row == 0 else None)
            ax.scatter(hours[is_copy], np.full(is_copy.sum(), row), s=24, color=_ORANGE, marker="D", zorder=3,
                       label="copy" if row == 0 else None)
            labels.append(f"{_cut(label, 44)} ({first:%Y-%m-%d})")
        ax.set_yticks(range(len(dated)), labels, parse_math=False)
        ax.set_ylim(len(dated) - 0.5, -0.7)
        ax.set_xscale("symlog", linthresh=1.0)
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlim(left=-0.1)
        ax.set_xlabel("hours after the story's first dated article")
        ax.set_title("When each of the largest stories was published and copied")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        return _svg(fig, "timeline")


def outlet_matrix(copiers: Sequence[str], origins: Sequence[str], counts: np.ndarray) -> str:
    """Which outlets copy from which: articles of the row's outlet that copy an article of the column's."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        n_rows, n_cols = counts.shape if counts.size else (0, 0)
        fig, ax = _figure(max(3.4, 0.42 * n_cols + 2.6), max(1.8, 0.3 * n_rows + 1.6))
        if not counts.size or not counts.any():
            _note(ax, "no copies between outlets")
            return _svg(fig, "outlets")
        mesh = ax.pcolormesh(np.ma.masked_equal(counts, 0), cmap="Oranges", edgecolors="white", linewidth=1)
        mesh.set_clim(0, counts.max())
        top = counts.max()
        for (r, c), value in np.ndenumerate(counts):
            if value:
                ax.text(c + 0.5, r + 0.5, str(value), ha="center", va="center", fontsize=7,
                        color="white" if value > top / 2 else "black")
        ax.set_xticks(np.arange(n_cols) + 0.5, [_cut(s, 24) for s in origins], rotation=40, ha="right",
                      parse_math=False)
        ax.set_yticks(np.arange(n_rows) + 0.5, [_cut(s, 28) for s in copiers], parse_math=False)
        ax.invert_yaxis()
        ax.set_xlabel("copied from (origin's outlet)")
        ax.set_ylabel("copy's outlet")
        ax.set_title("Who copies whom (articles)")
        return _svg(fig, "outlets")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
