"""Looking up a living index (cluster/living/lookup.py): matching passages, copies and story of a text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from living_corpus import WordEncoder, options, write_jsonl

from cluster import living

# --- find ----------------------------------------------------------------------------------------------------


def test_find_names_copies_passages_and_story(tmp_path: Path, articles: list[dict[str, Any]]) -> None:
    living.build(options([write_jsonl(tmp_path / "all.jsonl", articles)]), tmp_path / "idx", encoder=WordEncoder())
    origin = next(a for a in articles if a["id"] == "s0-c0")
    opened = living.LivingIndex(tmp_path / "idx")
    found = opened.find(origin["text"], WordEncoder())
    ids = {c.id for c in found.copies}
    assert "s0-c0" in ids and ids <= {a["id"] for a in articles if a["id"].startswith("s0-")}
    first = found.paragraphs[0].matches[0]
    assert first.relation == "exact" and first.cosine == pytest.approx(1.0, abs=1e-4) and "s0-c0" in first.ids
    docs = living.current(tmp_path / "idx").table("documents")
    assert found.story is not None and found.story.story_id == docs.filter(pl.col("id") == "s0-c0")["story_id"].item()
    unrelated = opened.find("Nothing here resembles any article in this small corpus at all.", WordEncoder())
    assert unrelated.copies == [] and unrelated.paragraphs[0].matches == []
    with pytest.raises(ValueError, match="no paragraph to look up"):
        opened.find("Advertisement", WordEncoder())
