"""Contradictions inside a story: which statements of different articles cannot both be true.

Candidates only where it makes sense: paragraphs of two different articles of one story that are about the
same thing (cosine ≥ 0.5 within the story: edited wire text, or two outlets telling the same fact), split
into sentences, and sentence pairs that share enough content words. Never all pairs of the corpus.
Two layers judge each candidate (cluster.contradictions): the detail-conflict detector (numbers, dates,
negations and antonyms, named people), which needs no model and names the spans, and an NLI cross-encoder
scoring both directions, when one is loaded; :func:`cluster.contradictions.verdict.judge` combines them by
the stage's rule (:meth:`ContradictionParams.rule`). One contradiction repeated by every copy of the wire is
reported once, with how many article pairs repeat it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from cluster.contradictions.confidence import confidence
from cluster.contradictions.conflict import Conflict
from cluster.contradictions.detail import detail_conflicts
from cluster.contradictions.dispute import CASE_FOLD_SPECIALS, CONTEST_STEMS, article_disputes, pair_dispute
from cluster.contradictions.nli import NLIScorer, bidirectional_contradiction
from cluster.contradictions.nonclaims import MAX_POST_CHARS, is_embedded_post, is_navigation_line, same_statement
from cluster.contradictions.sentences import same_topic, split_sentences
from cluster.contradictions.verdict import PairVerdict, VerdictRule, judge
from cluster.exact import normalise
from cluster.schemas import CONTRADICTIONS

log = logging.getLogger(__name__)
_MAX_SPLIT = 65_536  # paragraph texts whose sentences are kept at once (memory stays flat at any corpus size)


@dataclass(frozen=True, slots=True)
class ContradictionParams:
    min_score: float = 0.5  # detail conflicts from here
    nli_threshold: float = 0.9  # an NLI-only "claim" from here
    max_sentences: int = 12  # per paragraph
    max_nli_pairs: int = 300  # NLI budget per run (two directions each): the most overlapping candidates first
    max_paragraph_pairs: int = 2000  # candidate paragraph pairs per run, the most similar first
    min_cosine: float = 0.5  # paragraphs of one story this similar are compared sentence by sentence
    max_story_texts: int = 3000
    all_flags: bool = False  # keep the low-confidence flags too (cluster.contradictions.confidence)

    def __post_init__(self) -> None:
        for name in ("min_score", "nli_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if self.max_sentences < 1 or self.max_nli_pairs < 0:
            raise ValueError("max_sentences must be >= 1 and max_nli_pairs >= 0")

    def rule(self) -> VerdictRule:
        """The verdict rule of the stage: detail conflicts from ``min_score``; an NLI score changes a verdict
        (raises its score, or makes a ``claim``) only from ``nli_threshold``."""
        threshold = self.nli_threshold
        return VerdictRule(min_detail=self.min_score, nli_threshold=threshold, nli_raises_from=threshold)


def story_text_pairs(
    paragraphs: pl.DataFrame,
    story_of_doc: np.ndarray,
    vectors: np.ndarray,
    min_cosine: float,
    max_texts: int,
    max_pairs: int = 2000,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct texts of one story with cosine >= ``min_cosine`` (left < right).

    One product per story of its own texts: the cost grows with the square of a story's size, not of the
    corpus; a story of more than ``max_texts`` texts is skipped. At most ``max_pairs`` pairs, the most
    similar, are kept: the cost of the stage is bounded whatever the corpus.
    """
    content = paragraphs.filter(pl.col("text_id").is_not_null()).select("doc_id", "text_id")
    stories = pl.DataFrame({"doc_id": np.arange(len(story_of_doc)), "story_id": story_of_doc})
    per_story = content.join(stories, on="doc_id").group_by("story_id").agg(pl.col("text_id").unique().sort())
    lefts, rights = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    scores = [np.zeros(0, dtype=np.float32)]
    plain = np.asarray(vectors)  # a memory map's rows as a plain array: no subclass overhead per story
    for texts in per_story["text_id"].to_list():
        if len(texts) < 2 or len(texts) > max_texts:
            continue
        ids = np.asarray(texts, dtype=np.int64)
        sims = plain[ids] @ plain[ids].T  # two buffers: numpy would take A @ A.T of one buffer another way
        a, b = np.nonzero(sims >= min_cosine)
        upper = a < b  # the pairs above the diagonal, in the same (row-major) order
        a, b = a[upper], b[upper]
        lefts.append(ids[a])
        rights.append(ids[b])
        scores.append(sims[a, b])
    left, right, score = np.concatenate(lefts), np.concatenate(rights), np.concatenate(scores)
    keep = np.sort(np.argsort(-score, kind="stable")[:max_pairs])  # the most similar pairs first, order kept
    return left[keep], right[keep]


def candidate_paragraphs(
    paragraphs: pl.DataFrame, story_of_doc: np.ndarray, left: np.ndarray, right: np.ndarray
) -> pl.DataFrame:
    """Paragraph pairs (para_a, para_b, doc/article ids, story, texts) from text pairs inside one story.

    Each text pair stands for every pair of articles holding the two texts; all of them are listed so a
    contradiction can say how many article pairs repeat it.
    """
    content = paragraphs.filter(pl.col("text_id").is_not_null()).select("para_id", "doc_id", "id", "text_id", "text")
    pairs = pl.DataFrame({"t_a": left, "t_b": right}, schema={"t_a": pl.Int64, "t_b": pl.Int64})
    a = content.rename({c: f"{c}_a" for c in content.columns if c != "text_id"}).rename({"text_id": "t_a"})
    b = content.rename({c: f"{c}_b" for c in content.columns if c != "text_id"}).rename({"text_id": "t_b"})
    stories = pl.DataFrame({"doc_id": np.arange(len(story_of_doc)), "story_id": story_of_doc})
    joined = (
        pairs.join(a, on="t_a")
        .join(b, on="t_b")
        .filter(pl.col("doc_id_a") != pl.col("doc_id_b"))
        .join(stories.rename({"doc_id": "doc_id_a", "story_id": "story_a"}), on="doc_id_a")
        .join(stories.rename({"doc_id": "doc_id_b", "story_id": "story_b"}), on="doc_id_b")
        .filter(pl.col("story_a") == pl.col("story_b"))
    )
    return joined.rename({"story_a": "story_id"}).drop("story_b").sort("para_id_a", "para_id_b")


#: The languages our rules (word lists, English patterns) and the shipped English-only NLI model can judge.
JUDGED_LANGUAGES = frozenset({"en"})


def english_only(candidates: pl.DataFrame, language_of_doc: np.ndarray | None) -> tuple[pl.DataFrame, int]:
    """The candidate paragraph pairs whose two texts are in a judged language, and how many were skipped.

    A document's language (``documents.language`` from ingest) decides; a document without one is judged by
    the language detected on each of its paragraphs (:func:`cluster.ingest.language.detect_languages`).
    Why: English negation, number and antonym rules and an English NLI model read German text as noise
    ("fordert die Bundesregierung auf" vs "fordert die Politik auf" is no contradiction).
    """
    if candidates.is_empty():
        return candidates, 0
    from cluster.ingest.language import detect_languages

    detected: dict[str, str | None] = {}

    def language(doc_id: int, text: str) -> str | None:
        known = language_of_doc[doc_id] if language_of_doc is not None and doc_id < len(language_of_doc) else None
        if known:
            return str(known)
        if text not in detected:
            detected[text] = detect_languages([text])[0]
        return detected[text]

    keep = [
        language(da, ta) in JUDGED_LANGUAGES and language(db, tb) in JUDGED_LANGUAGES
        for da, db, ta, tb in candidates.select("doc_id_a", "doc_id_b", "text_a", "text_b").iter_rows()
    ]
    mask = pl.Series(keep, dtype=pl.Boolean)
    return candidates.filter(mask), int(len(keep) - sum(keep))


def without_embedded_posts(paragraphs: pl.DataFrame) -> pl.DataFrame:
    """The paragraphs less embedded posts of others (:func:`cluster.contradictions.nonclaims.is_embedded_post`):
    the signature paragraph ("— Name (@handle) date") and the short paragraph just above it (the post's text)."""
    if paragraphs.is_empty():
        return paragraphs
    ordered = paragraphs.sort("doc_id", "para_id")
    # a post's signature or link holds "@" or "/" (both patterns of is_embedded_post do): only those are read
    maybe = np.flatnonzero(ordered["text"].str.contains_any(["@", "/"]).fill_null(False).to_numpy())
    if not len(maybe):
        return paragraphs
    texts, docs = ordered["text"], ordered["doc_id"]
    drop = np.zeros(ordered.height, dtype=bool)
    for i in maybe.tolist():
        if texts[i] and is_embedded_post(texts[i]):
            drop[i] = True
            if i > 0 and docs[i - 1] == docs[i] and len(texts[i - 1] or "") <= MAX_POST_CHARS:
                drop[i - 1] = True
    return ordered.filter(pl.Series(~drop)) if drop.any() else paragraphs


def find_contradictions(
    paragraphs: pl.DataFrame,
    story_of_doc: np.ndarray,
    vectors: np.ndarray,
    nli: NLIScorer | None = None,
    params: ContradictionParams = ContradictionParams(),
    language_of_doc: np.ndarray | None = None,
    stats: dict[str, int] | None = None,
) -> pl.DataFrame:
    """The contradictions table (schema ``CONTRADICTIONS``), strongest first: the ``high``-confidence flags
    (:func:`cluster.contradictions.confidence.confidence`), every flag with ``params.all_flags``; the
    low-confidence flags left out are counted in ``stats`` as ``contradictions_low_confidence``.

    ``language_of_doc``: each document's language code (None where unknown: detected per paragraph);
    paragraph pairs not both in :data:`JUDGED_LANGUAGES` are skipped and counted in ``stats`` (when given)
    as ``contradictions_skipped_language``.
    """
    paragraphs = without_embedded_posts(paragraphs)
    left, right = story_text_pairs(
        paragraphs, story_of_doc, vectors, params.min_cosine, params.max_story_texts, params.max_paragraph_pairs
    )
    candidates, skipped = english_only(candidate_paragraphs(paragraphs, story_of_doc, left, right), language_of_doc)
    inside, skipped_docs = disputes_inside_articles(paragraphs, story_of_doc, language_of_doc, params)
    if stats is not None:
        stats["contradictions_skipped_language"] = skipped
        stats["dispute_articles_skipped_language"] = skipped_docs
    across = _across_articles(candidates, nli, params) if not candidates.is_empty() else None
    tables = [t for t in (across, inside) if t is not None and not t.is_empty()]
    if not tables:
        return pl.DataFrame(schema=CONTRADICTIONS)
    table = pl.concat([t.select([pl.col(n).cast(ty) for n, ty in CONTRADICTIONS.items()]) for t in tables])
    if not params.all_flags:
        high = table.filter(pl.col("confidence") == "high")
        if stats is not None:
            stats["contradictions_low_confidence"] = table.height - high.height
        table = high
    return table.sort(["score", "story_id", "para_a"], descending=[True, False, False], maintain_order=True)


def disputes_inside_articles(
    paragraphs: pl.DataFrame,
    story_of_doc: np.ndarray,
    language_of_doc: np.ndarray | None,
    params: ContradictionParams = ContradictionParams(),
) -> tuple[pl.DataFrame, int]:
    """Attributed disputes stated inside one article (:func:`cluster.contradictions.dispute.article_disputes`),
    as contradiction rows with ``id_a == id_b``, and the number of articles skipped for their language.

    One dispute repeated by copies of a wire text is one row; ``n_article_pairs`` counts the articles.
    """
    content = paragraphs.filter(pl.col("text_id").is_not_null()).sort("doc_id", "para_id")
    rows: list[dict[str, object]] = []
    skipped = 0
    doc_ids = content["doc_id"].to_numpy()
    para_ids, all_texts, article_ids = content["para_id"].to_list(), content["text"].to_list(), content["id"].to_list()
    contest = np.cumsum(_may_contest(content["text"]), dtype=np.int64)  # texts so far with a word of contest
    bounds = np.flatnonzero(np.diff(doc_ids)) + 1 if len(doc_ids) else np.zeros(0, dtype=np.int64)
    split: dict[str, list[str]] = {}  # a wire text's sentences, split once for all its copies
    judged: dict[tuple[str, ...], list[tuple[int, int, Conflict]]] = {}  # an article's disputes, once per wording
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(doc_ids)], strict=True):
        if lo == hi:
            continue
        doc_id, texts = int(doc_ids[lo]), all_texts[lo:hi]
        known = language_of_doc[doc_id] if language_of_doc is not None else None
        if known is None:
            from cluster.ingest.language import detect_languages

            known = detect_languages([" ".join(texts)[:600]])[0]
        if known not in JUDGED_LANGUAGES:
            skipped += 1
            continue
        if contest[hi - 1] == (contest[lo - 1] if lo else 0):
            continue  # no word of contest or denial: no dispute (article_disputes would find none)
        sentences: list[tuple[int, str]] = []
        for para_id, text in zip(para_ids[lo:hi], texts, strict=True):
            if text not in split:
                if len(split) >= _MAX_SPLIT:
                    split.clear()
                split[text] = split_sentences(text)[: params.max_sentences]
            sentences += [(para_id, x) for x in split[text]]
        wording = tuple(x for _, x in sentences)
        if wording not in judged:
            if len(judged) >= _MAX_SPLIT:
                judged.clear()
            judged[wording] = article_disputes(list(wording))
        for i, j, conflict in judged[wording]:
            rows.append(
                {
                    "story_id": int(story_of_doc[doc_id]),
                    "id_a": article_ids[lo],
                    "id_b": article_ids[lo],
                    "para_a": sentences[i][0],
                    "para_b": sentences[j][0],
                    "sentence_a": sentences[i][1],
                    "sentence_b": sentences[j][1],
                    "kind": "dispute",
                    "score": conflict.score,
                    "span_a": conflict.span_a.text,
                    "span_b": conflict.span_b.text,
                    "layer": "detail",
                    "evidence": conflict.evidence,
                    "confidence": confidence(
                        "dispute",
                        conflict.evidence,
                        "detail",
                        sentences[i][1],
                        sentences[j][1],
                        conflict.span_a.text,
                        conflict.span_b.text,
                    ),
                }
            )
    if not rows:
        return pl.DataFrame(schema=CONTRADICTIONS), skipped
    table = (
        pl.DataFrame(rows, schema_overrides={"score": pl.Float64})
        .with_columns(pl.len().over("story_id", "sentence_a", "sentence_b").alias("n_article_pairs"))
        .unique(["story_id", "sentence_a", "sentence_b"], keep="first", maintain_order=True)
    )
    return table, skipped


def _may_contest(texts: pl.Series) -> np.ndarray:
    """Per text: whether it may hold a word of contest or denial, which every dispute needs (False: it holds
    none; :data:`cluster.contradictions.dispute.CONTEST_STEMS`). One vectorised scan of all texts."""
    if texts.is_empty():
        return np.zeros(0, dtype=bool)
    stems = texts.str.contains_any(list(CONTEST_STEMS), ascii_case_insensitive=True)
    folded = texts.str.contains_any(list(CASE_FOLD_SPECIALS))
    return (stems | folded).fill_null(False).to_numpy()


def _across_articles(candidates: pl.DataFrame, nli: NLIScorer | None, params: ContradictionParams) -> pl.DataFrame:
    """Contradictions between sentences of the candidate paragraph pairs of two articles."""
    # judge each distinct (paragraph text, paragraph text) once; copies reuse the verdict
    distinct = candidates.unique(["text_a", "text_b"], keep="first", maintain_order=True)
    sentences: dict[str, list[str]] = {}

    def split(text: str) -> list[str]:
        if text not in sentences:
            sentences[text] = split_sentences(text)[: params.max_sentences]
        return sentences[text]

    details: dict[tuple[str, str], list[Conflict]] = {}  # sentence pairs with a detail conflict, in reading order
    nli_queue: list[tuple[str, str, float]] = []
    judged: dict[tuple[str, str], _PairCheck | None] = {}  # a sentence pair met again (wire copies) is judged once
    normal: dict[str, str] = {}
    for text_a, text_b in distinct.select("text_a", "text_b").iter_rows():
        for sa in split(text_a):
            for sb in split(text_b):
                pair = (sa, sb)
                if pair not in judged:
                    judged[pair] = _check_pair(sa, sb, nli is not None, normal)
                check = judged[pair]
                if check is None:
                    continue
                if check.conflicts:
                    details[pair] = check.conflicts
                if check.overlap is not None:  # every time met: the NLI budget counts repeats, as it always did
                    nli_queue.append((sa, sb, check.overlap))
    nli_scores: dict[tuple[str, str], float] = {}
    if nli is not None and nli_queue:
        nli_queue.sort(key=lambda x: -x[2])
        batch = [(a, b) for a, b, _ in nli_queue[: params.max_nli_pairs]]
        nli_scores = dict(zip(batch, bidirectional_contradiction(nli, batch).tolist(), strict=True))
        log.info("NLI scored %d of %d candidate sentence pairs", len(batch), len(nli_queue))
    rule = params.rule()
    found: dict[tuple[str, str], PairVerdict] = {}
    for pair in [*details, *(p for p in nli_scores if p not in details)]:
        verdict = judge(*pair, details.get(pair, []), nli_scores.get(pair), rule)
        if verdict.kind is not None:
            found[pair] = verdict
    if not found:
        return pl.DataFrame(schema=CONTRADICTIONS)
    verdicts = pl.DataFrame(
        [
            {
                "sentence_a": a,
                "sentence_b": b,
                "kind": v.kind,
                "score": v.score,
                "span_a": v.spans[0].text if v.spans else None,
                "span_b": v.spans[1].text if v.spans else None,
                "layer": v.layer,
                "evidence": v.evidence,
                "confidence": confidence(
                    str(v.kind),
                    v.evidence,
                    v.layer,
                    a,
                    b,
                    v.spans[0].text if v.spans else None,
                    v.spans[1].text if v.spans else None,
                ),
            }
            for (a, b), v in found.items()
        ],
        schema_overrides={"score": pl.Float64},
    )
    rows = []
    for cand in candidates.select("story_id", "id_a", "id_b", "para_id_a", "para_id_b", "text_a", "text_b").iter_rows(
        named=True
    ):
        for sa in split(cand["text_a"]):
            for sb in split(cand["text_b"]):
                if (sa, sb) in found:
                    rows.append(
                        {
                            "story_id": cand["story_id"],
                            "id_a": cand["id_a"],
                            "id_b": cand["id_b"],
                            "para_a": cand["para_id_a"],
                            "para_b": cand["para_id_b"],
                            "sentence_a": sa,
                            "sentence_b": sb,
                        }
                    )
    hits = pl.DataFrame(rows).join(verdicts, on=["sentence_a", "sentence_b"])
    table = (
        hits.with_columns(pl.len().over("story_id", "sentence_a", "sentence_b").alias("n_article_pairs"))
        .sort("para_a", "para_b")
        .unique(["story_id", "sentence_a", "sentence_b"], keep="first", maintain_order=True)
        .sort(["score", "story_id", "para_a"], descending=[True, False, False])
    )
    return table.select([pl.col(n).cast(t) for n, t in CONTRADICTIONS.items()])


@dataclass(frozen=True, slots=True)
class _PairCheck:
    """The detail layer's conflicts of one sentence pair, and its word overlap when the NLI layer will read it."""

    conflicts: list[Conflict]
    overlap: float | None


def _check_pair(sa: str, sb: str, with_nli: bool, normal: dict[str, str]) -> _PairCheck | None:
    """One sentence pair of two articles: None when it is not compared (one statement twice, a link line)."""
    for x in (sa, sb):
        if x not in normal:
            normal[x] = normalise(x)
    if normal[sa] == normal[sb] or same_statement(sa, sb):
        return None  # one statement twice ("...," he said. / "...," he explained.)
    if is_navigation_line(sa) or is_navigation_line(sb):
        return None  # links to other stories
    conflicts = detail_conflicts(sa, sb)
    dispute = pair_dispute(sa, sb) if not conflicts or conflicts[0].kind in {"negation", "claim"} else None
    if dispute is not None:  # two sources, one denying: who says what, not what is true
        conflicts = [dispute]
    return _PairCheck(conflicts, _overlap(sa, sb) if with_nli and same_topic(sa, sb) else None)


def _overlap(a: str, b: str) -> float:
    wa, wb = set(normalise(a).split()), set(normalise(b).split())
    return len(wa & wb) / max(1, min(len(wa), len(wb)))
