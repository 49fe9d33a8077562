"""The detail layer: no model, every detector over two statements, strongest conflict first."""

from __future__ import annotations

from functools import lru_cache

from cluster.contradictions.conflict import Conflict
from cluster.contradictions.dates import date_conflicts
from cluster.contradictions.entities import entity_conflicts, role_conflicts
from cluster.contradictions.negation import claim_flips, negation_conflicts
from cluster.contradictions.nonclaims import is_embedded_post, is_list_line, is_navigation_line
from cluster.contradictions.numbers import number_conflicts
from cluster.contradictions.same_thing import differently_numbered
from cluster.contradictions.sentences import same_topic


def detail_conflicts(a: str, b: str, min_overlap: float = 0.3, min_shared: int = 2) -> list[Conflict]:
    """Detail conflicts between two statements, strongest first; ``[]`` when they are off-topic, when either
    is a list line, an embedded post or a navigation line (:mod:`cluster.contradictions.nonclaims`), or when
    they name different things numbered alike (:func:`cluster.contradictions.same_thing.differently_numbered`).

    The statements must share at least ``min_shared`` content words making up at least
    ``min_overlap`` of the smaller statement's content words (see :func:`same_topic`).
    """
    if not isinstance(a, str) or not isinstance(b, str):
        raise ValueError("a and b must be str")
    if _nonclaim(a) or _nonclaim(b) or differently_numbered(a, b):
        return []  # an item, someone else's post, or two different things ("Flight 17", "Flight 370")
    if not same_topic(a, b, min_overlap, min_shared):
        return sorted(number_conflicts(a, b, on_topic=False), key=lambda c: -c.score)
    found = number_conflicts(a, b) + date_conflicts(a, b) + negation_conflicts(a, b)
    found += role_conflicts(a, b) or entity_conflicts(a, b)
    if not any(c.kind == "negation" for c in found):
        found += claim_flips(a, b)
    return sorted(found, key=lambda c: -c.score)


@lru_cache(maxsize=1 << 16)
def _nonclaim(text: str) -> bool:
    """A list line, an embedded post or a navigation line (kept per sentence: it meets up to 144 others)."""
    return is_list_line(text) or is_embedded_post(text) or is_navigation_line(text)
