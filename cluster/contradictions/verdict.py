"""One rule that turns the two layers into a verdict, and the ``contradict`` command built on it.

:func:`judge` is the only place where the detail layer (:func:`~cluster.contradictions.detail.detail_conflicts`)
and an NLI score meet; the pipeline stage (:mod:`cluster.contradictions.stage`) and the ``contradict`` command
(:func:`score_statement_pair`, :func:`contradiction_verdict`) both call it, each with its :class:`VerdictRule`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from cluster.contradictions.conflict import Conflict, Span, span_of
from cluster.contradictions.detail import detail_conflicts
from cluster.contradictions.nli import NLIScorer, bidirectional_contradiction
from cluster.contradictions.sentences import split_sentences
from cluster.contradictions.stance import StanceHead, score_stance, shipped_head


@dataclass(frozen=True, slots=True)
class VerdictRule:
    """When two statements contradict, given the detail layer's conflicts and an NLI score.

    * a detail conflict counts from ``min_detail``; the strongest one that counts names the kind and spans;
    * an NLI score of at least ``nli_raises_from`` raises a counted detail conflict's score to the NLI score
      when higher;
    * an NLI score of at least ``nli_threshold`` is a contradiction by itself: with a counted detail conflict
      the layer is ``both``, without one it is a ``claim`` over the whole statements (layer ``nli``).

    The defaults are the ``contradict`` command's (:func:`score_statement_pair`): every detail conflict
    counts and every NLI score feeds the score, which ``eval pairs`` ranks by. The pipeline stage uses
    ``min_detail = min_score`` and ``nli_raises_from = nli_threshold`` (see ``ContradictionParams.rule``):
    only a confident NLI verdict changes a stored score.
    """

    min_detail: float = 0.0
    nli_threshold: float = 0.5
    nli_raises_from: float = 0.0

    def __post_init__(self) -> None:
        for name in ("min_detail", "nli_threshold", "nli_raises_from"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")


class PairVerdict(NamedTuple):
    """What :func:`judge` found: the kind (``None`` when nothing), a score in [0, 1], the two spans that
    conflict (``None`` when nothing), the layer that found it (``detail``, ``nli``, ``both`` or ``None``) and
    the evidence (the detail conflict's :attr:`Conflict.evidence`, ``nli`` for an NLI-only claim)."""

    kind: str | None
    score: float
    spans: tuple[Span, Span] | None
    layer: str | None = None
    evidence: str | None = None


def judge(
    a: str, b: str, details: Sequence[Conflict], nli_score: float | None, rule: VerdictRule = VerdictRule()
) -> PairVerdict:
    """The verdict on statements ``a`` and ``b`` from their detail conflicts (strongest first) and the NLI
    score of the pair (both directions, max; ``None`` when NLI did not score it), by ``rule``. Unrounded."""
    best = details[0] if details and details[0].score >= rule.min_detail else None
    if best is not None:
        spans = (best.span_a, best.span_b)
        if nli_score is None:
            return PairVerdict(best.kind, float(best.score), spans, "detail", best.evidence)
        score = max(best.score, nli_score) if nli_score >= rule.nli_raises_from else best.score
        layer = "both" if nli_score >= rule.nli_threshold else "detail"
        return PairVerdict(best.kind, float(score), spans, layer, best.evidence)
    if nli_score is not None and nli_score >= rule.nli_threshold:
        return PairVerdict("claim", float(nli_score), (span_of(a, 0, len(a)), span_of(b, 0, len(b))), "nli", "nli")
    return PairVerdict(None, float(nli_score or 0.0), None, None)


def score_statement_pair(a: str, b: str, nli: NLIScorer | None = None, nli_threshold: float = 0.5) -> PairVerdict:
    """Whether statements ``a`` and ``b`` contradict, and why (:func:`judge` with the command's rule).

    The detail layer decides the kind and spans when it finds something; the NLI score (both
    directions, max) can raise the score. With no detail conflict, an NLI contradiction of at
    least ``nli_threshold`` is reported as kind ``'claim'`` with the whole statements as spans.
    """
    rule = VerdictRule(nli_threshold=nli_threshold)
    nli_score = float(bidirectional_contradiction(nli, [(a, b)])[0]) if nli is not None else None
    verdict = judge(a, b, detail_conflicts(a, b), nli_score, rule)
    return verdict._replace(score=round(verdict.score, 4))


ARTICLE_SENTENCES = 3  # a text of this many sentences is an article: its stance on the statement is judged too


@dataclass(frozen=True, slots=True)
class SentenceVerdict:
    """The strongest sentence-level verdict of a text against a statement (detail layer, NLI when given)."""

    contradiction: bool
    kind: str | None
    score: float
    evidence: str  # the sentence judged strongest
    span_a: str | None
    span_b: str | None
    layers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in ("contradiction", "kind", "score", "evidence", "span_a",
                                                   "span_b")}, "layers": list(self.layers)}


@dataclass(frozen=True, slots=True)
class StanceVerdict:
    """An article's stance towards the statement: its label, P(disagree) and the head's threshold."""

    label: str
    p_disagree: float
    threshold: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `newsdedup contradict` says: for a short text its :class:`SentenceVerdict`; for an article the
    stance's verdict, with the sentence-level one kept in ``detail``."""

    contradiction: bool
    kind: str | None
    score: float
    evidence: str
    span_a: str | None
    span_b: str | None
    layers: tuple[str, ...]
    stance: StanceVerdict | None = None
    detail: SentenceVerdict | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `contradict --json` (``stance`` and ``detail`` only for an article)."""
        out: dict[str, Any] = {k: getattr(self, k) for k in ("contradiction", "kind", "score", "evidence",
                                                              "span_a", "span_b")}
        if self.stance is not None and self.detail is not None:
            out["stance"] = asdict(self.stance)
            out["detail"] = self.detail.to_dict()
        out["layers"] = list(self.layers)
        return out


def contradiction_verdict(
    statement: str, text: str, nli: NLIScorer | None = None, head: StanceHead | None = None
) -> Verdict:
    """Whether ``statement`` contradicts ``text`` (a sentence or a whole article), with the strongest evidence.

    Each sentence of ``text`` is judged against the statement (detail layer, and NLI when given); the
    sentence with the highest score is the evidence. An article (:data:`ARTICLE_SENTENCES`+ sentences) is
    also judged as a whole by the stance layer (``head``, default :func:`cluster.contradictions.shipped_head`):
    does it call the statement false? Then the verdict is the stance's (kind ``claim``, score
    P(disagree)) and the sentence-level verdict is kept under ``detail``.
    """
    if not statement.strip() or not text.strip():
        raise ValueError("both statements must be non-empty")
    sentences = split_sentences(text) or [text]
    best = replace(_sentence_verdict(statement, sentences, nli), layers=("detail", "nli") if nli else ("detail",))
    if len(sentences) < ARTICLE_SENTENCES:
        return Verdict(best.contradiction, best.kind, best.score, best.evidence, best.span_a, best.span_b,
                       best.layers)
    head = head or shipped_head()
    stance = score_stance(statement, text, None, head)
    disagree = stance.label == "disagree"
    return Verdict(
        contradiction=disagree,
        kind="claim" if disagree else None,
        score=stance.score,
        evidence=stance.evidence.sentence if stance.evidence else best.evidence,
        span_a=None,
        span_b=None,
        layers=("stance", *best.layers),
        stance=StanceVerdict(stance.label, stance.score, head.threshold),
        detail=best,
    )


def contradiction_score(
    statement: str, text: str, nli: NLIScorer | None = None, head: StanceHead | None = None
) -> float:
    """The score of :func:`contradiction_verdict` alone: an article's stance is not followed by a sentence
    search whose result would only be displayed."""
    if not statement.strip() or not text.strip():
        raise ValueError("both statements must be non-empty")
    sentences = split_sentences(text) or [text]
    if len(sentences) >= ARTICLE_SENTENCES:
        return score_stance(statement, text, None, head or shipped_head()).score
    return float(_sentence_verdict(statement, sentences, nli).score)


def contradiction_scores(pairs: Iterable[tuple[str, str]], nli: NLIScorer | None = None) -> np.ndarray:
    """:func:`contradiction_score` of each (statement, text) pair, the shipped stance head loaded once."""
    head = shipped_head()
    return np.array([contradiction_score(a, b, nli, head) for a, b in pairs])


def _sentence_verdict(statement: str, sentences: list[str], nli: NLIScorer | None) -> SentenceVerdict:
    """The strongest sentence-level verdict (detail layer, NLI when given) of ``sentences`` vs ``statement``."""
    best: SentenceVerdict | None = None
    for sentence in sentences:
        verdict = score_statement_pair(statement, sentence, nli)
        if best is None or verdict.score > best.score:
            spans = verdict.spans
            best = SentenceVerdict(
                contradiction=verdict.kind is not None,
                kind=verdict.kind,
                score=float(verdict.score),
                evidence=sentence,
                span_a=spans[0].text if spans else None,
                span_b=spans[1].text if spans else None,
            )
    assert best is not None
    return best
