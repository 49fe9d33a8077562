"""Contradictions between two statements about the same thing.

Two layers, both pure functions over strings:

1. :func:`detail_conflicts` — no model. Finds details that cannot both be true when two
   statements are about the same thing: numbers with the same unit or noun
   (``12 people`` vs ``40 people``, never ``12 people`` vs ``3 days``), dates (weekdays,
   months, days of the month, years), negation and antonym flips (``confirmed`` vs
   ``denied``, ``was arrested`` vs ``was not arrested``) and a named person, place or
   organisation swapped for another in the same slot. Every :class:`Conflict` carries the
   two spans and a one-line explanation.
2. An NLI cross-encoder behind the :class:`NLIScorer` protocol. Scorers score ONE
   direction, ``P(contradiction | premise=a, hypothesis=b)``; the caller handles both
   directions with :func:`bidirectional_contradiction` (max of the two), which is what
   :func:`score_statement_pair` does. :func:`load_nli` opens either a folder holding
   ``model.onnx`` plus tokenizer files (:class:`OnnxNLI`, plain onnxruntime) or a
   sentence-transformers CrossEncoder folder (:class:`CrossEncoderNLI`).

:func:`score_statement_pair` combines the two and always says why.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

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
        if not _is_numeric_token(tok) or _parse_number(tok) is None:
            i += 1
            continue
        q, i = _read_quantity(text, toks, i)
        if q is not None:
            out.append(q)
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
    hedged = _hedged(toks, i)
    return Quantity(value, unit, hedged, _span(text, first.start, end)), j


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


def _number_conflicts(a: str, b: str) -> list[Conflict]:
    qa = [q for q in quantities(a) if q.unit]
    qb = [q for q in quantities(b) if q.unit]
    out: list[Conflict] = []
    for unit in sorted({q.unit for q in qa} & {q.unit for q in qb}):
        va = [q for q in qa if q.unit == unit]
        vb = [q for q in qb if q.unit == unit]
        if {q.value for q in va} & {q.value for q in vb}:
            continue
        x, y = min(((x, y) for x in va for y in vb), key=lambda p: abs(p[0].value - p[1].value))
        rel = abs(x.value - y.value) / max(abs(x.value), abs(y.value), 1e-9)
        hedged = x.hedged or y.hedged
        if hedged and rel < 0.2:
            continue
        score = (0.7 if hedged else 0.9) * min(1.0, 0.5 + rel)
        out.append(
            Conflict(
                "number",
                round(score, 3),
                x.span,
                y.span,
                f"'{x.span.text}' vs '{y.span.text}' ({unit})",
            )
        )
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


def _date_conflicts(a: str, b: str) -> list[Conflict]:
    out: list[Conflict] = []
    for kind in _DATE_PATTERNS:
        da, db = _date_values(kind, a), _date_values(kind, b)
        if not da or not db or {v for v, _ in da} & {v for v, _ in db}:
            continue
        (_, sa), (_, sb) = da[0], db[0]
        out.append(Conflict("date", 0.8, sa, sb, f"{kind.replace('_', ' ')} '{sa.text}' vs '{sb.text}'"))
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


def _negated(toks: list[_Token], i: int, window: int = 4) -> _Token | None:
    """The negation cue governing token ``i``: within ``window`` tokens before it, with only
    function words (``did not``, ``has never been``) between cue and word."""
    for k in range(i - 1, max(-1, i - 1 - window), -1):
        w = toks[k].text.lower().replace("’", "'")
        if w in _NEGATIONS or w.endswith("n't"):
            return toks[k]
        if w in _CLAUSE_BREAK or (w[0].isalpha() and w not in _STOPWORDS and w not in _SCOPE_WORDS):
            return None
    return None


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
    lemmas_b: dict[str, int] = {}
    for j, t in enumerate(tb):
        lemmas_b.setdefault(_lemma(t.text), j)
    for i, t in enumerate(ta):
        la = _lemma(t.text)
        for opposite in sorted(_ANTONYMS.get(la, ())):
            found = lemmas_b.get(opposite)
            if found is None:
                continue
            j = found
            # "did not deny" vs "confirmed" is agreement, not a flip
            if (_negated(ta, i) is None) != (_negated(tb, j) is None):
                continue
            sa, sb = _span(a, t.start, t.end), _span(b, tb[j].start, tb[j].end)
            return [Conflict("negation", 0.8, sa, sb, f"antonyms '{sa.text}' vs '{sb.text}'")]
    return []


def _negation_flips(a: str, b: str, ta: list[_Token], tb: list[_Token]) -> list[Conflict]:
    index_b: dict[str, int] = {}
    for j, t in enumerate(tb):
        if t.text[0].isalpha() and t.text.lower() not in _STOPWORDS and t.text.lower() not in _NEGATIONS:
            index_b.setdefault(_stem(t.text), j)
    for i, t in enumerate(ta):
        if not t.text[0].isalpha() or t.text.lower() in _STOPWORDS or t.text.lower() in _NEGATIONS:
            continue
        found = index_b.get(_stem(t.text))
        if found is None:
            continue
        j = found
        cue_a, cue_b = _negated(ta, i), _negated(tb, j)
        if (cue_a is None) == (cue_b is None):
            continue
        sa = _span(a, (cue_a or t).start, t.end)
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


def _entity_conflicts(a: str, b: str) -> list[Conflict]:
    ta, tb = _tokens(a), _tokens(b)
    la, lb = [t.text.lower() for t in ta], [t.text.lower() for t in tb]
    for op, i1, i2, j1, j2 in SequenceMatcher(a=la, b=lb, autojunk=False).get_opcodes():
        if op != "replace" or i2 - i1 > 4 or j2 - j1 > 4 or i1 == 0 or j1 == 0:
            continue
        xa, xb = ta[i1:i2], tb[j1:j2]
        if not (_is_name(xa) and _is_name(xb)):
            continue
        name_a, name_b = a[xa[0].start : xa[-1].end], b[xb[0].start : xb[-1].end]
        if name_a.lower() in b.lower() or name_b.lower() in a.lower():
            continue
        context = la[max(0, i1 - 2) : i1]
        score = 0.4 if set(context) & _ATTRIBUTION else 0.6
        sa, sb = _span(a, xa[0].start, xa[-1].end), _span(b, xb[0].start, xb[-1].end)
        return [Conflict("entity", score, sa, sb, f"'{sa.text}' vs '{sb.text}' in the same place")]
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
        return []
    found = _number_conflicts(a, b) + _date_conflicts(a, b) + _negation_conflicts(a, b)
    found += _entity_conflicts(a, b)
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


class OnnxNLI:
    """An NLI cross-encoder exported to ONNX, run with plain onnxruntime + ``tokenizers``.

    The folder holds ``model.onnx``, ``tokenizer.json`` and ``config.json`` (with ``id2label``).
    """

    def __init__(self, folder: str | Path, max_length: int = 128, batch_size: int = 32) -> None:
        if max_length < 8 or batch_size < 1:
            raise ValueError("max_length must be >= 8 and batch_size >= 1")
        folder = Path(folder)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both ship with the project
            raise ModelNotFoundError(
                "ONNX NLI needs onnxruntime and tokenizers: pip install onnxruntime tokenizers"
            ) from exc
        for name in ("model.onnx", "tokenizer.json", "config.json"):
            if not (folder / name).is_file():
                raise ModelNotFoundError(f"NLI model folder {folder} has no {name}")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.id2label = {int(k): str(v) for k, v in config.get("id2label", {}).items()}
        self.contradiction_index = _label_index(self.id2label, "contradiction")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
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
        width = max(len(e.ids) for e in encodings)
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


def default_nli_path() -> Path:
    """Where a source checkout keeps the shipped int8 ONNX model (``models/nli-minilm-int8``)."""
    return Path(__file__).resolve().parents[1] / "models" / "nli-minilm-int8"


def _looks_like_path(name: str) -> bool:
    """A filesystem path rather than a hub-style ``owner/model`` name."""
    return Path(name).is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or "\\" in name


def load_nli(path_or_name: str | Path | None = None) -> OnnxNLI | CrossEncoderNLI:
    """Open an NLI model: a folder with ``model.onnx`` (:class:`OnnxNLI`), a CrossEncoder folder or
    a locally cached CrossEncoder name (:class:`CrossEncoderNLI`). ``None`` means the shipped model.

    Raises :class:`~cluster.errors.ModelNotFoundError` with what to install or pass when it cannot.
    """
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
