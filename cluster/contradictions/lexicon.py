"""The word lists of the detectors, read once from the data files in ``cluster/contradictions/words/``.

An audit fix is a diff of a word list: ``words/*.txt`` hold one entry per line (``#`` starts a comment
line), ``words/*.json`` hold the maps. Regular expressions stay in code; only their word alternatives
(the stance cues) are data.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

_PACKAGE = "cluster.contradictions"


@cache
def _lines(name: str) -> tuple[str, ...]:
    text = files(_PACKAGE).joinpath("words", f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def word_set(name: str) -> frozenset[str]:
    """The words of ``words/<name>.txt`` (any whitespace separates them)."""
    return frozenset(word for line in _lines(name) for word in line.split())


def word_tuple(name: str) -> tuple[str, ...]:
    """The entries of ``words/<name>.txt`` in file order, one per line."""
    return _lines(name)


def phrases(name: str) -> tuple[tuple[str, ...], ...]:
    """The phrases of ``words/<name>.txt``, one per line, each split into its words."""
    return tuple(tuple(line.split()) for line in _lines(name))


def pairs(name: str) -> tuple[tuple[str, str], ...]:
    """The ``left | right`` pairs of ``words/<name>.txt``, one per line."""
    out: list[tuple[str, str]] = []
    for line in _lines(name):
        left, sep, right = line.partition("|")
        if not sep:
            raise ValueError(f"words/{name}.txt: '{line}' is not 'left | right'")
        out.append((left.strip(), right.strip()))
    return tuple(out)


def alternation(name: str) -> str:
    """The regular-expression alternatives of ``words/<name>.txt`` joined with ``|`` (for a group in code)."""
    return "|".join(_lines(name))


@cache
def mapping(name: str) -> dict[str, Any]:
    """The JSON object of ``words/<name>.json``; callers copy it before changing it."""
    data = json.loads(files(_PACKAGE).joinpath("words", f"{name}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"words/{name}.json must hold a JSON object")
    return data
