"""Known-answer tests of the word lists (cluster.contradictions.lexicon and words/*)."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest

from cluster.contradictions import lexicon, negation, numbers, stance

WORDS = files("cluster.contradictions").joinpath("words")


def test_every_word_list_is_read_and_well_formed() -> None:
    names = sorted(p.name for p in WORDS.iterdir())
    assert len(names) >= 40
    for name in names:
        text = WORDS.joinpath(name).read_text(encoding="utf-8")
        if name.endswith(".json"):
            assert isinstance(json.loads(text), dict), name
        else:
            assert name.endswith(".txt"), name
            entries = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
            assert entries and all(line == line.strip() for line in entries), name


def test_loaders_read_sets_tuples_phrases_pairs_and_maps() -> None:
    assert {"not", "never", "n't"} <= lexicon.word_set("negations")
    assert lexicon.word_tuple("weekdays")[:2] == ("monday", "tuesday")
    assert ("at", "least") in lexicon.phrases("lower_bounds")
    assert ("guilty", "not guilty") in lexicon.pairs("claim_pairs")
    assert lexicon.mapping("months")["sept"] == 9
    assert numbers._DURATION_MINUTES["second"] == 1 / 60
    assert numbers._EVENT_CLASSES["perished"] == "die"
    assert negation._ANTONYMS["deny"] == {"confirm", "admit"}


def test_roles_are_matched_longest_first() -> None:
    from cluster.contradictions import entities

    lengths = [len(r) for r in entities._ROLES]
    assert lengths == sorted(lengths, reverse=True) and ("chief", "executive", "officer") in entities._ROLES


def test_stance_cues_are_word_lists_compiled_in_code() -> None:
    assert isinstance(stance._REFUTE, re.Pattern) and stance._REFUTE.flags & re.I
    assert stance._REFUTE.search("The photo is a HOAX") and not stance._REFUTE.search("The photo is real")
    assert stance._HEDGE.search("the allegedly stolen car")


def test_a_pair_without_a_bar_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexicon, "_lines", lambda name: ("confirm deny",))
    with pytest.raises(ValueError, match="left \\| right"):
        lexicon.pairs("antonym_pairs")
