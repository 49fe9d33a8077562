"""Side-by-side diff of two articles: paragraphs aligned by passage, words compared with difflib.

Paragraphs of the two articles are aligned on their ``passage_id`` (two paragraphs in one passage are the same
text or a near copy of it), so a reordered paragraph is found where a plain text diff would see a cut and an
addition. Inside an aligned pair that differs, words are compared with :class:`difflib.SequenceMatcher`: what the
right article cut is marked ``del`` on the left, what it added ``ins`` on the right. Everything stays plain text:
the template escapes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
MIN_RATIO = 0.5  # two unaligned paragraphs facing each other are word-diffed when this much of them agrees


@dataclass(frozen=True, slots=True)
class Para:
    text: str
    passage_id: int
    is_boilerplate: bool = False


@dataclass(frozen=True, slots=True)
class Segment:
    op: str  # eq | del | ins
    text: str


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the side-by-side view.

    ``kind``: ``same`` (one text, shown across both columns), ``changed`` (both sides, words marked),
    ``cut`` (only on the left), ``added`` (only on the right), ``moved`` (a paragraph the other article has
    elsewhere: shown where this side has it).
    """

    kind: str
    left: tuple[Segment, ...]
    right: tuple[Segment, ...]
    boilerplate: bool = False


def words(left: str, right: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Word-level diff: (left segments with what was cut, right segments with what was added)."""
    a, b = _TOKENS.findall(left), _TOKENS.findall(right)
    out_a: list[Segment] = []
    out_b: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            _push(out_a, "eq", a[i1:i2])
            _push(out_b, "eq", b[j1:j2])
        else:
            _push(out_a, "del", a[i1:i2])
            _push(out_b, "ins", b[j1:j2])
    return tuple(out_a), tuple(out_b)


def _push(out: list[Segment], op: str, tokens: list[str]) -> None:
    text = "".join(tokens)
    if not text:
        return
    if op != "eq" and not text.strip():
        op = "eq"  # changed whitespace alone is not worth a mark
    if out and out[-1].op == op:
        out[-1] = Segment(op, out[-1].text + text)
    else:
        out.append(Segment(op, text))


def side_by_side(left: list[Para], right: list[Para]) -> list[Row]:
    """Rows of the side-by-side view of ``left`` (the origin) and ``right`` (its copy), in reading order."""
    keys_a = [p.passage_id for p in left]
    keys_b = [p.passage_id for p in right]
    in_a, in_b = set(keys_a), set(keys_b)
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend(_pair(a, b) for a, b in zip(left[i1:i2], right[j1:j2], strict=True))
            continue
        rest_a, rest_b = list(left[i1:i2]), list(right[j1:j2])
        while rest_a and rest_b and _close(rest_a[0], rest_b[0]):
            rows.append(_pair(rest_a.pop(0), rest_b.pop(0)))
        rows.extend(_alone(p, "left", p.passage_id in in_b) for p in rest_a)
        rows.extend(_alone(p, "right", p.passage_id in in_a) for p in rest_b)
    return rows


def _close(a: Para, b: Para) -> bool:
    return SequenceMatcher(None, a.text, b.text, autojunk=False).quick_ratio() >= MIN_RATIO and (
        SequenceMatcher(None, a.text, b.text, autojunk=False).ratio() >= MIN_RATIO
    )


def _pair(a: Para, b: Para) -> Row:
    boilerplate = a.is_boilerplate and b.is_boilerplate
    if a.text == b.text:
        return Row("same", (Segment("eq", a.text),), (), boilerplate)
    left, right = words(a.text, b.text)
    return Row("changed", left, right, boilerplate)


def _alone(p: Para, side: str, moved: bool) -> Row:
    segment = (Segment("eq" if moved or p.is_boilerplate else ("del" if side == "left" else "ins"), p.text),)
    kind = "moved" if moved else ("cut" if side == "left" else "added")
    return Row(kind, segment if side == "left" else (), segment if side == "right" else (), p.is_boilerplate)
