"""The record every detector returns: two spans, one in each statement, that cannot both be true."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

ConflictKind = Literal["number", "date", "negation", "entity", "claim", "dispute"]
KINDS: tuple[str, ...] = ("number", "date", "negation", "entity", "claim", "dispute")


class Span(NamedTuple):
    """A character span of one statement and its text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Conflict:
    """Two spans, one in each statement, that cannot both be true.

    ``evidence`` names the detector's finding more finely than ``kind`` (``role`` or ``same place`` for an
    entity, ``antonym`` or ``negation flip`` for a negation, ``opposite claim``); the kind when not given.
    :func:`cluster.contradictions.confidence.confidence` reads it.
    """

    kind: ConflictKind
    score: float
    span_a: Span
    span_b: Span
    explanation: str
    evidence: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError("score must be in [0, 1]")
        if not self.evidence:
            object.__setattr__(self, "evidence", self.kind)


def span_of(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])


def explain(conflict: Conflict) -> str:
    """A one-line, human-readable account of ``conflict``."""
    pct = math.floor(conflict.score * 100)
    return f"{conflict.kind} conflict ({pct}%): {conflict.explanation}"
