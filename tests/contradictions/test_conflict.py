"""Known-answer tests of the Conflict record (cluster.contradictions.conflict)."""

from __future__ import annotations

import pytest

from cluster.contradictions import (
    Conflict,
    Span,
)


def test_conflict_validates_kind_and_score() -> None:
    span = Span(0, 1, "x")
    with pytest.raises(ValueError):
        Conflict("colour", 0.5, span, span, "bad kind")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Conflict("number", 1.5, span, span, "bad score")
