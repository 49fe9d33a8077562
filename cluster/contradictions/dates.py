"""Dates that disagree: weekdays, months, days of the month and years of one event.

Guards: dates of statements (``said on Monday``), datelines, and dates anchored to different events.
"""

from __future__ import annotations

import re

from cluster.contradictions.conflict import Conflict, Span, span_of
from cluster.contradictions.lexicon import mapping, word_set, word_tuple
from cluster.contradictions.sentences import _STOPWORDS, _norm, _stem, _tokens

_CLAUSE_BREAK = word_set("clause_break")

_WEEKDAYS = word_tuple("weekdays")
_MONTHS: dict[str, int] = mapping("months")
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
    "year": re.compile(
        r"\b(?:in|since|during|until|by|of|from|January|February|March|April|May|June|July|August|September|"
        r"October|November|December)\.?,?\s+(1[89]\d\d|20\d\d)\b"
    ),
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
        out.append((value, span_of(text, start, end)))
    return out


_TIME_WORDS = word_set("time_words")


# A date hanging off a speech verb ("a spokesman said on Tuesday") dates the statement, not the event.
_DATED_SPEECH = word_set("dated_speech")


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


_DATE_LINKS = word_set("date_links")
_BIRTH = frozenset({"born", "birth", "birthday"})


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


def date_conflicts(a: str, b: str) -> list[Conflict]:
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
            if bool(anchor_a & _BIRTH) != bool(anchor_b & _BIRTH):
                continue  # a birth date is the date of nothing else ("born on August 26" vs "died on Nov 6")
            why = f"{kind.replace('_', ' ')} '{sa.text}' vs '{sb.text}'"
            evidence = "date" if anchor_a and anchor_b else "unanchored date"  # one date hangs off no event
            out.append(Conflict("date", 0.8, sa, sb, why, evidence))
            break
    return out
