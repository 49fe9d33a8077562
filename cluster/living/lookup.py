"""Looking up a living index: where else the paragraphs of a text were published, its copies, its story."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cluster.embed import Encoder, encode_in_order
from cluster.errors import IndexModelError
from cluster.exact import text_hash
from cluster.living.storage import current
from cluster.paragraphs import split_text, template_reason


@contextmanager
def _few_threads(n_texts: int) -> Iterator[None]:
    """Encode a short query on one torch thread: for a few paragraphs more threads only wait on each other,
    and on a busy machine they wait long (one paragraph: 27 ms on one thread, 550 ms on two, measured on a
    2-core machine running another torch job). Nothing changes when torch is not loaded (a fake encoder)."""
    torch = sys.modules.get("torch")
    if torch is None or n_texts > 8:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True, slots=True)
class FindParams:
    k: int = 10  # matches per query paragraph, at most
    max_ids: int = 10  # article ids listed per matching passage

    def __post_init__(self) -> None:
        if self.k < 1 or self.max_ids < 1:
            raise ValueError("k and max_ids must be >= 1")


@dataclass(frozen=True, slots=True)
class PassageMatch:
    """A passage of the index matching a query paragraph."""

    passage_id: int
    cosine: float
    relation: str  # exact | near_duplicate | paraphrase | related
    text: str  # the passage's centre
    first_id: str  # article where it appears first
    n_docs: int
    ids: list[str]  # of its articles, at most ``FindParams.max_ids``


@dataclass(frozen=True, slots=True)
class FoundParagraph:
    position: int  # in the query
    text: str
    matches: list[PassageMatch]


@dataclass(frozen=True, slots=True)
class FoundCopy:
    """An indexed article holding at least ``min_share`` of the query's paragraphs."""

    id: str
    title: str | None
    source: str | None
    published: str | None
    story_id: int
    copy_of: str | None
    shared: int  # query paragraphs found in it
    share_query: float
    share_article: float


@dataclass(frozen=True, slots=True)
class FoundStory:
    """The story most of the matches belong to (a row of the stories table, and the summed cosine)."""

    story_id: int
    n_docs: int
    n_sources: int
    n_copies: int
    first_id: str
    title: str | None
    weight: float


@dataclass(frozen=True, slots=True)
class Found:
    """What :meth:`LivingIndex.find` found; ``to_dict`` is its JSON form."""

    index: str
    generation: str
    paragraphs: list[FoundParagraph]
    copies: list[FoundCopy]
    story: FoundStory | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LivingIndex:
    """An index generation opened for lookups; loading is done once, so each ``find`` is a search and a few
    array lookups."""

    def __init__(self, folder: Path) -> None:
        gen = current(folder)
        self.folder = folder
        self.generation = gen.name
        self.settings = gen.settings
        self.model, self.dim = gen.model
        self.index = gen.faiss_index()
        text_rows = gen.array("text_rows")
        self.text_of_row = np.full(self.index.ntotal if self.index is not None else 0, -1, dtype=np.int64)
        self.text_of_row[text_rows] = np.arange(len(text_rows))
        paragraphs = gen.table("paragraphs").select("text_id", "passage_id", "doc_id", "hash")
        content = paragraphs.filter(pl.col("text_id").is_not_null())
        per_text = content.group_by("text_id").agg(pl.col("passage_id").first(), pl.col("hash").first()).sort("text_id")
        self.passage_of_text = np.full(len(text_rows), -1, dtype=np.int64)
        self.passage_of_text[per_text["text_id"].to_numpy()] = per_text["passage_id"].to_numpy()
        self.hash_of_text = dict(zip(per_text["text_id"].to_list(), per_text["hash"].to_list(), strict=True))
        by_passage = content.select("passage_id", "doc_id").unique().sort("passage_id", "doc_id")
        self._docs = by_passage["doc_id"].to_numpy()
        n_passages = int(paragraphs["passage_id"].cast(pl.Int64).max() or 0) + 1 if paragraphs.height else 0  # type: ignore[arg-type]
        self._starts = np.searchsorted(by_passage["passage_id"].to_numpy(), np.arange(n_passages + 1))
        passages = gen.table("passages").sort("passage_id")
        self.passage_text = passages["text"].to_list()
        self.passage_first = passages["first_id"].to_list()
        docs = gen.table("documents").sort("doc_id")
        self.doc_rows = docs.select("id", "title", "source", "published", "story_id", "copy_of").to_dicts()
        self.doc_story = docs["story_id"].to_numpy()
        self.doc_content = (docs["n_paragraphs"] - docs["n_boilerplate"]).to_numpy()
        stories = gen.table("stories").sort("story_id")
        self.story_rows = {r["story_id"]: r for r in stories.to_dicts()}

    def docs_of_passage(self, passage_id: int) -> np.ndarray:
        return self._docs[self._starts[passage_id] : self._starts[passage_id + 1]]

    def find(self, text: str, encoder: Encoder, params: FindParams = FindParams()) -> Found:
        """Where else the paragraphs of ``text`` were published: per paragraph its matching passages with
        cosine and articles; the articles holding at least ``min_share`` of its paragraphs (copies); the
        story most of its matches belong to."""
        start = time.perf_counter()
        s = self.settings
        paragraphs = [p for p in split_text(text, s.max_paragraph_chars) if template_reason(p) is None]
        if not paragraphs:
            raise ValueError("the query holds no paragraph to look up (empty, or only boilerplate lines)")
        if encoder.name != self.model:
            raise IndexModelError(
                f"the index holds vectors of model {self.model}; the query was embedded with {encoder.name}"
            )
        with _few_threads(len(paragraphs)):
            queries = encode_in_order(encoder, paragraphs)
        if queries.shape[1] != self.dim:
            raise IndexModelError(
                f"model {encoder.name} gives {queries.shape[1]}-d vectors; the index holds {self.dim}-d"
            )
        found: list[FoundParagraph] = []
        hits_per_doc: dict[int, set[int]] = {}
        story_weight: dict[int, float] = {}
        if self.index is not None and self.index.ntotal:
            k = min(self.index.ntotal, params.k * 4)
            sims, rows = self.index.search(queries, k)
        else:
            sims = np.zeros((len(paragraphs), 0), np.float32)
            rows = np.zeros((len(paragraphs), 0), np.int64)
        for q, paragraph in enumerate(paragraphs):
            matches: list[PassageMatch] = []
            seen: set[int] = set()
            query_hash = text_hash(paragraph)
            for sim, row in zip(sims[q], rows[q], strict=True):
                if row < 0 or sim < s.pair_threshold or len(matches) >= params.k:
                    break
                text_id = int(self.text_of_row[row])
                if text_id < 0:
                    continue  # a vector no current paragraph uses (boilerplate now, or a replaced article)
                passage = int(self.passage_of_text[text_id])
                if passage in seen:
                    continue
                seen.add(passage)
                cosine = float(min(sim, 1.0))
                docs = self.docs_of_passage(passage)
                relation = (
                    "exact" if self.hash_of_text.get(text_id) == query_hash
                    else "near_duplicate" if cosine >= s.passage_threshold
                    else "paraphrase" if cosine >= s.paraphrase_threshold
                    else "related"
                )
                matches.append(PassageMatch(
                    passage_id=passage, cosine=round(cosine, 4), relation=relation,
                    text=self.passage_text[passage], first_id=self.passage_first[passage],
                    n_docs=int(len(docs)), ids=[self.doc_rows[d]["id"] for d in docs[: params.max_ids]],
                ))
                for d in docs:
                    label = int(self.doc_story[d])
                    story_weight[label] = story_weight.get(label, 0.0) + cosine
                    if cosine >= s.passage_threshold:
                        hits_per_doc.setdefault(int(d), set()).add(q)
            found.append(FoundParagraph(position=q, text=paragraph, matches=matches))
        copies = []
        for d, hit in hits_per_doc.items():
            share = len(hit) / len(paragraphs)
            if share >= s.min_share:
                copies.append(FoundCopy(
                    **self.doc_rows[d], shared=len(hit), share_query=round(share, 4),
                    share_article=round(len(hit) / max(1, int(self.doc_content[d])), 4),
                ))
        copies.sort(key=lambda c: (-c.share_query, -c.share_article, c.id))
        story: FoundStory | None = None
        if story_weight:
            best = max(story_weight.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            story = FoundStory(**self.story_rows[best], weight=round(story_weight[best], 4))
        return Found(
            index=str(self.folder),
            generation=self.generation,
            paragraphs=found,
            copies=copies,
            story=story,
            seconds=round(time.perf_counter() - start, 4),
        )
