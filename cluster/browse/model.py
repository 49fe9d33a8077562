"""What the report shows, read from a results folder: plain dataclasses and dicts the template renders.

Large corpora stay usable because everything the page lists is capped by :class:`Limits`: the largest stories
are shown in full (articles, passages, side-by-side copies), the next ones as one summary row each, the rest
counted; the most-copied passages in full. Every cap the page applies is stated on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import polars as pl

from cluster.browse.diff import Para, Row, side_by_side
from cluster.errors import StoreError
from cluster.store import read_table

NO_SOURCE = "(no source)"


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a large corpus the page shows in full; the rest is summarised or counted."""

    stories: int = 60  # largest stories shown in full: articles, passages, copies side by side
    story_rows: int = 3000  # further stories listed as one summary row each
    articles: int = 40  # articles listed per full story
    diffs: int = 8  # copy pairs shown side by side per full story
    story_passages: int = 15  # repeated passages listed per full story
    passages: int = 150  # most-copied passages shown in full
    passage_articles: int = 12  # articles named per passage
    contradictions: int = 300
    sources: int = 300  # outlets offered in the source filter
    outlets: int = 15  # outlets in the who-copies-whom matrix
    timeline: int = 15  # stories on the timeline
    problems: int = 100  # skipped records listed

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"limit {f.name} must be a non-negative integer, got {value!r}")


@dataclass(slots=True)
class Tables:
    """The tables of a results folder, as `run` or `export` wrote them, and its manifest."""

    documents: pl.DataFrame
    paragraphs: pl.DataFrame
    passages: pl.DataFrame
    pairs: pl.DataFrame
    copies: pl.DataFrame
    stories: pl.DataFrame
    contradictions: pl.DataFrame
    manifest: dict[str, Any]


def load(folder: Path, manifest: dict[str, Any]) -> Tables:
    """Read the tables of ``folder``; a run without a contradictions table (older versions) gets an empty one."""
    from cluster.schemas import CONTRADICTIONS, empty

    names = ("documents", "paragraphs", "passages", "pairs", "copies", "stories")
    frames = {name: read_table(folder, name) for name in names}
    try:
        contradictions = read_table(folder, "contradictions")
    except StoreError:
        contradictions = empty(CONTRADICTIONS)
    return Tables(**frames, contradictions=contradictions, manifest=manifest)


@dataclass(slots=True)
class Article:
    id: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None  # only http(s): anything else (javascript:, data:) is shown as text, never linked
    role: str  # origin | copy | duplicate | own
    copy_of: str | None
    n_paragraphs: int


@dataclass(slots=True)
class CopyView:
    left: str  # the origin
    right: str  # the copy
    share: float  # of the copy's paragraphs found in the origin
    rows: list[Row]


@dataclass(slots=True)
class StoryView:
    story_id: int
    title: str | None
    n_docs: int
    n_sources: int
    n_copies: int
    first_id: str | None
    sources: list[str]
    articles: list[Article]
    passages: list[dict[str, Any]]
    copies: list[CopyView]
    n_copy_pairs: int  # copy pairs inside the story (shown: len(copies))
    n_contradictions: int


@dataclass(slots=True)
class View:
    stories: list[StoryView] = field(default_factory=list)
    story_rows: list[dict[str, Any]] = field(default_factory=list)
    n_stories: int = 0
    passages: list[dict[str, Any]] = field(default_factory=list)
    n_repeated: int = 0
    contradictions: list[dict[str, Any]] = field(default_factory=list)
    n_contradictions: int = 0
    sources: list[str] = field(default_factory=list)
    n_sources: int = 0


def safe_url(url: str | None) -> str | None:
    """The URL if it is plain http(s); ``None`` (shown as text, not a link) for anything else."""
    if not url:
        return None
    text = url.strip()
    return text if text.lower().startswith(("http://", "https://")) and '"' not in text else None


def roles(documents: pl.DataFrame) -> dict[str, str]:
    origins = set(documents["copy_of"].drop_nulls().to_list()) | set(documents["duplicate_of"].drop_nulls().to_list())
    out: dict[str, str] = {}
    for doc_id, copy_of, dup in documents.select("id", "copy_of", "is_exact_duplicate").iter_rows():
        out[doc_id] = "duplicate" if dup else "copy" if copy_of else "origin" if doc_id in origins else "own"
    return out


def build(t: Tables, limits: Limits) -> View:
    docs = t.documents.with_columns(pl.col("source").fill_null(NO_SOURCE).alias("outlet"))
    ranked = t.stories.sort(["n_docs", "story_id"], descending=[True, False])
    full_ids = ranked["story_id"].head(limits.stories).to_list()
    sources_of = {
        sid: names
        for sid, names in docs.group_by("story_id")
        .agg(pl.col("outlet").value_counts(sort=True).struct.field("outlet").head(5))
        .iter_rows()
    }
    role = roles(t.documents)
    view = View(n_stories=ranked.height)
    view.stories = list(_full_stories(t, docs, ranked.head(limits.stories), role, sources_of, limits))
    view.story_rows = [
        {**row, "sources": sources_of.get(row["story_id"], [])}
        for row in ranked.slice(len(full_ids), limits.story_rows).to_dicts()
    ]
    view.passages, view.n_repeated = _passages(t, docs, limits)
    outlet = dict(docs.select("id", "outlet").iter_rows())
    view.n_contradictions = t.contradictions.height
    view.contradictions = [_contradiction(row, outlet) for row in
                           t.contradictions.sort("score", descending=True).head(limits.contradictions).to_dicts()]
    counts = docs["outlet"].value_counts(sort=True)
    view.sources = counts["outlet"].head(limits.sources).to_list()
    view.n_sources = counts.height
    return view


def _full_stories(
    t: Tables, docs: pl.DataFrame, stories: pl.DataFrame, role: dict[str, str],
    sources_of: dict[int, list[str]], limits: Limits,
) -> Iterable[StoryView]:
    ids = stories["story_id"].to_list()
    members = docs.filter(pl.col("story_id").is_in(ids))
    member_ids = set(members["id"].to_list())
    paragraphs = t.paragraphs.filter(pl.col("id").is_in(member_ids)).sort("doc_id", "position")
    texts: dict[str, list[Para]] = {}
    for doc, text, passage, boiler in paragraphs.select("id", "text", "passage_id", "is_boilerplate").iter_rows():
        texts.setdefault(doc, []).append(Para(text or "", int(passage), bool(boiler)))
    story_of = dict(members.select("id", "story_id").iter_rows())
    pair_rows = t.copies.filter(pl.col("id_a").is_in(member_ids) & pl.col("id_b").is_in(member_ids)).to_dicts()
    n_contra = dict(t.contradictions.group_by("story_id").len().iter_rows())
    repeated = t.passages.filter(~pl.col("is_boilerplate") & (pl.col("n_docs") > 1))
    for story in stories.to_dicts():
        sid = story["story_id"]
        arts = members.filter(pl.col("story_id") == sid)
        articles = [
            Article(r["id"], r["title"], r["source"], r["published"], safe_url(r["url"]), role[r["id"]],
                    r["copy_of"] or r["duplicate_of"], r["n_paragraphs"])
            for r in arts.sort("doc_id").to_dicts()
        ]
        articles.sort(key=lambda a: ({"origin": 0, "own": 1, "copy": 2, "duplicate": 3}[a.role]))
        pairs = [p for p in pair_rows if story_of.get(p["id_a"]) == sid and story_of.get(p["id_b"]) == sid]
        story_pids = paragraphs.filter(pl.col("id").is_in(arts["id"].implode()))["passage_id"].unique()
        passages = (repeated.filter(pl.col("passage_id").is_in(story_pids.implode()))
                    .sort(["n_docs", "passage_id"], descending=[True, False]).head(limits.story_passages))
        yield StoryView(
            story_id=sid, title=story["title"], n_docs=story["n_docs"], n_sources=story["n_sources"],
            n_copies=story["n_copies"], first_id=story["first_id"], sources=sources_of.get(sid, []),
            articles=articles[: limits.articles], passages=passages.to_dicts(),
            copies=_copies(pairs, arts, texts, limits.diffs), n_copy_pairs=len(pairs),
            n_contradictions=int(n_contra.get(sid, 0)),
        )


def _copies(pairs: list[dict[str, Any]], arts: pl.DataFrame, texts: dict[str, list[Para]], n: int) -> list[CopyView]:
    """Each copy beside the article it copies (its ``copy_of``) first, then the other copy pairs."""
    direct = {(r["copy_of"], r["id"]) for r in arts.select("id", "copy_of").to_dicts() if r["copy_of"]}
    chosen: list[tuple[str, str, float]] = []
    for p in sorted(pairs, key=lambda p: (-max(p["share_a"], p["share_b"]), p["id_a"], p["id_b"])):
        origin = p["origin"]
        copy = p["id_b"] if origin == p["id_a"] else p["id_a"]
        share = p["share_b"] if origin == p["id_a"] else p["share_a"]
        chosen.append((origin, copy, float(share)))
    chosen.sort(key=lambda c: (c[:2] not in direct, -c[2]))
    return [CopyView(o, c, s, side_by_side(texts.get(o, []), texts.get(c, []))) for o, c, s in chosen[:n]]


def _passages(t: Tables, docs: pl.DataFrame, limits: Limits) -> tuple[list[dict[str, Any]], int]:
    repeated = t.passages.filter(~pl.col("is_boilerplate") & (pl.col("n_docs") > 1))
    top = repeated.sort(["n_docs", "passage_id"], descending=[True, False]).head(limits.passages)
    holders = (
        t.paragraphs.filter(pl.col("passage_id").is_in(top["passage_id"].implode()))
        .join(docs.select("id", "outlet", "story_id"), on="id", how="left")
        .group_by("passage_id")
        .agg(pl.col("id").unique(maintain_order=True).head(limits.passage_articles).alias("ids"),
             pl.col("outlet").unique(maintain_order=True).alias("sources"),
             pl.col("story_id").unique(maintain_order=True).alias("stories"))
    )
    rows = top.join(holders, on="passage_id", how="left").sort(["n_docs", "passage_id"], descending=[True, False])
    return rows.to_dicts(), repeated.height


def highlight(sentence: str | None, span: str | None) -> tuple[str, str, str]:
    """``sentence`` cut around the first occurrence of ``span`` (any case): (before, span, after)."""
    text = sentence or ""
    if not span:
        return text, "", ""
    at = text.lower().find(span.lower())
    if at < 0:
        return text, "", ""
    return text[:at], text[at : at + len(span)], text[at + len(span) :]


def _contradiction(row: dict[str, Any], outlet: dict[str, str]) -> dict[str, Any]:
    return {**row, "sources": sorted({outlet.get(row["id_a"], NO_SOURCE), outlet.get(row["id_b"], NO_SOURCE)}),
            "parts_a": highlight(row["sentence_a"], row["span_a"]),
            "parts_b": highlight(row["sentence_b"], row["span_b"])}
