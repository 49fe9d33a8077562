"""Known-answer tests of the detail layer (cluster.contradictions.detail)."""

from __future__ import annotations

import pytest

from cluster.contradictions import (
    detail_conflicts,
)


def test_detail_conflicts_rejects_bad_args() -> None:
    with pytest.raises(ValueError):
        detail_conflicts("a", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        detail_conflicts("a b", "a b", min_overlap=2.0)
