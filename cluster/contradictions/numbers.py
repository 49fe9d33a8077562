"""Numbers of the same thing that disagree (``12 people`` vs ``40 people``, never ``12 people`` vs ``3 days``).

Guards: ranges, further sets (``three other hostages``), hedged and bounded numbers, counts of different
events, money sums of different things, numbers inside names, days of the month and years of other events.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cluster.contradictions.conflict import Conflict, Span, span_of
from cluster.contradictions.lexicon import mapping, phrases, word_set, word_tuple
from cluster.contradictions.sentences import _CANONICAL, _STOPWORDS, _norm, _stem, _Token, _tokens

_CLAUSE_BREAK = word_set("clause_break")
_TIME_WORDS = word_set("time_words")
_MONTHS: dict[str, int] = mapping("months")

_NUMBER_WORDS: dict[str, int] = mapping("number_words")
_SCALES: dict[str, float] = mapping("scales")
_HEDGES = word_set("hedges")
_UNIT_SKIP = word_set("unit_skip")
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
    named: bool = True  # the unit is the word after the number ("12 people"), not a word read back before it


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
    return list(_quantities(text))


@lru_cache(maxsize=1 << 16)
def _quantities(text: str) -> tuple[Quantity, ...]:
    """:func:`quantities`, kept per sentence (it meets up to 144 others)."""
    toks = _tokens(text)
    out: list[Quantity] = []
    i = 0
    while i < len(toks):
        tok = toks[i].text
        if (
            not _is_numeric_token(tok)
            or _parse_number(tok) is None
            or _inside_name(toks, i)
            or _day_of_month(toks, i)
            or _clock_or_fraction(toks, i)
        ):
            i += 1
            continue
        q, i = _read_quantity(text, toks, i)
        if q is not None:
            out.append(q)
    return tuple(_share_conversions(text, _share_range_units(text, out)))


_CONVERSION = re.compile(r"^\s*[A-Za-z.\-]*\s*\($")


def _share_conversions(text: str, qs: list[Quantity]) -> list[Quantity]:
    """A conversion in brackets (``about 25,000 miles (40,000 kilometers)``, ``within 22,000 miles (36,000
    km)``) is hedged and bounded as the figure it converts."""
    out = list(qs)
    for k in range(1, len(out)):
        x, y = out[k - 1], out[k]
        if x.hedged and not y.hedged and _CONVERSION.match(text[x.span.end : y.span.start]):
            out[k] = Quantity(y.value, y.unit, True, y.span, x.bound, y.event or x.event, y.named)
    return out


def _inside_name(toks: Sequence[_Token], i: int) -> bool:
    """Digits glued to a word (``news360``, ``Emirates247``) belong to a name, not a count."""
    return i > 0 and toks[i - 1].end == toks[i].start and toks[i - 1].text[0].isalpha()


def _glued(toks: Sequence[_Token], i: int, j: int) -> bool:
    return 0 <= i < j < len(toks) and toks[i].end == toks[j].start


def _clock_or_fraction(toks: Sequence[_Token], i: int) -> bool:
    """A part of a clock time or a fraction (``1:00 p.m.``, ``11:05``, ``1/2``), not a count of its own."""
    for k, sep in ((i + 1, ":"), (i - 1, ":"), (i + 1, "/"), (i - 1, "/")):
        if 0 <= k < len(toks) and toks[k].text == sep and (_glued(toks, i, k) or _glued(toks, k, i)):
            return True
    return False


def _fraction_after(toks: Sequence[_Token], j: int) -> float:
    """The fraction that follows a whole number (``6 1/2`` -> 0.5), 0 when none."""
    if j + 2 < len(toks) and toks[j + 1].text == "/" and toks[j].text.isdigit() and toks[j + 2].text.isdigit():
        den = int(toks[j + 2].text)
        return int(toks[j].text) / den if den else 0.0
    return 0.0


def _day_of_month(toks: Sequence[_Token], i: int) -> bool:
    """A day of a date (``Dec. 29``, ``29 December``): left to the date layer, not a count."""
    words = [t.text.lower() for t in toks[max(0, i - 2) : i] if t.text != "."][-1:]
    words += [toks[i + 1].text.lower()] if i + 1 < len(toks) else []
    return toks[i].text.isdigit() and int(toks[i].text) <= 31 and any(w in _MONTHS for w in words)


_RANGE_LINKS = word_tuple("range_links")


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


def _read_quantity(text: str, toks: Sequence[_Token], i: int) -> tuple[Quantity | None, int]:
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
    fraction = _fraction_after(toks, j)
    if fraction:  # "6 1/2 feet" is 6.5 feet
        value, j = value + fraction, j + 3
    end = toks[j - 1].end
    if _vague(toks, i):
        return None, j  # "dozens", "several dozen": no figure to disagree with
    if _YEAR.match(first.text) and j == i + 1 and _unit(toks, i, j, first.text, backwards=False) == "":
        return None, j
    unit = _unit(toks, i, j, first.text)
    if first.text.lower() == "one" and unit in {"", "of"}:
        return None, j
    named = unit != "" and unit == _unit(toks, i, j, first.text, backwards=False)
    if unit and _other_set(toks, i, j):
        unit = "other " + unit  # "three other hostages" is not all the hostages
    hedged = _hedged(toks, i)
    bound = _bound(toks, i) if hedged else ""
    after = _hedge_after(toks, j)
    if after and not hedged:  # "13 hours or so", "50 or more"
        hedged, bound = True, after
    event = _event_class(toks, i, j)
    if unit in _DURATION_MINUTES:  # "four hours" and "90 minutes" are both durations
        value, unit = value * _DURATION_MINUTES[unit], "duration"
    return Quantity(value, unit, hedged, span_of(text, first.start, end), bound, event, named), j


_HEDGES_AFTER = {
    "so": "approx", "thereabouts": "approx", "more": "lower", "over": "lower", "less": "upper", "fewer": "upper"
}


def _hedge_after(toks: Sequence[_Token], j: int) -> str:
    """The bound an "or ..." after a number (and its unit) gives it: "13 hours or so" (approx), "50 people or
    more" (lower), "or less" (upper); "" when none."""
    for k in range(j, min(len(toks) - 1, j + 3)):
        if toks[k].text.lower() == "or":
            return _HEDGES_AFTER.get(toks[k + 1].text.lower(), "")
    return ""


_OTHER_SET = word_set("other_set")


def _other_set(toks: Sequence[_Token], i: int, j: int) -> bool:
    """Whether the count at ``i:j`` counts a further set (``three other hostages``, ``12 more
    people``, ``another 40``), which is not comparable with a total."""
    after = toks[j].text.lower() if j < len(toks) else ""
    before = toks[i - 1].text.lower() if i > 0 else ""
    return after in _OTHER_SET or before == "another"


def _unit(toks: Sequence[_Token], i: int, j: int, first: str, backwards: bool = True) -> str:
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


_VAGUE_PLURALS = frozenset({"dozens", "hundreds", "thousands", "millions", "scores"})
_VAGUE_BEFORE = frozenset({"several", "few", "many", "some"})


def _vague(toks: Sequence[_Token], i: int) -> bool:
    """A count that names no figure: a plural number word ("dozens") or one after "several", "a few", "many",
    "some" ("several dozen"); "two dozen" is a figure."""
    word = toks[i].text.lower()
    return word in _VAGUE_PLURALS or (word.isalpha() and i > 0 and toks[i - 1].text.lower() in _VAGUE_BEFORE)


def _hedged(toks: Sequence[_Token], i: int) -> bool:
    before = {t.text.lower() for t in toks[max(0, i - 3) : i]}
    return bool(before & _HEDGES)


_LOWER_BOUNDS = phrases("lower_bounds")
_UPPER_BOUNDS = phrases("upper_bounds")


def _bound(toks: Sequence[_Token], i: int) -> str:
    """``lower``, ``upper`` or ``approx``: how the hedge before number ``i`` qualifies it."""
    before = tuple(t.text.lower() for t in toks[max(0, i - 3) : i])
    for kind, bounds in (("lower", _LOWER_BOUNDS), ("upper", _UPPER_BOUNDS)):
        if any(before[-len(ph) :] == ph for ph in bounds):
            return kind
    return "approx"


# Durations, in minutes, so that "about four hours" and "about 90 minutes" can be compared.
_DURATION_MINUTES: dict[str, float] = mapping("duration_minutes")
# Event words of a count: "12 people died", "40 people were killed", "the death toll rose to 40".
_EVENT_CLASSES: dict[str, str] = {word: kind for kind, words in mapping("event_classes").items() for word in words}
_EVENT_BREAK = word_set("event_break")


def _event_class(toks: Sequence[_Token], i: int, j: int) -> str:
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


@lru_cache(maxsize=1 << 16)
def _years(text: str) -> frozenset[str]:
    """Years a statement dates its events to (``in 2007``, ``the 2007 quake``)."""
    return frozenset(m.group(1) or m.group(2) for m in _YEAR_OF_EVENT.finditer(text))


_BARE_UNITS = frozenset({"$", "£", "€", "%"})
_PERIOD_WORDS = word_set("period_words")


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


def number_conflicts(a: str, b: str, on_topic: bool = True) -> list[Conflict]:
    """Numbers of the same thing that disagree.

    On-topic statements compare numbers with the same unit (durations converted to minutes),
    except counts of different events (``12 died`` vs ``40 injured``) and a unit given several values in one
    statement (a list of prices of several models is not one price). Counts of the same noun
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
        if not event_keyed and (len({q.value for q in va}) > 1 or len({q.value for q in vb}) > 1):
            continue  # several values of one unit in a sentence are several things ("$349 ... $500 for steel")
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
        why = f"'{x.span.text}' vs '{y.span.text}' ({label})"
        guess = speculative(a, x.span.start) or speculative(b, y.span.start)
        evidence = "speculative number" if guess else "number"
        if not guess and different_things(a, x, b, y, group in _BARE_UNITS):
            evidence = "different things"
        out.append(Conflict("number", score, x.span, y.span, why, evidence))
    return out


NAME_WINDOW = 4  # tokens on each side of a number, inside its clause, in which a name says whose figure it is
_NOT_NAME = _STOPWORDS | _HEDGES | _TIME_WORDS | _PERIOD_WORDS | word_set("sentence_starters")
_SOURCE_WORDS = word_set("attribution") | word_set("speech_verbs")


def names_near(text: str, q: Quantity, window: int = NAME_WINDOW) -> set[str]:
    """Names of the thing a number is about: capitalised words (not the sentence's first word, not a month)
    within ``window`` tokens of it, inside its clause and short of a source ("according to", "said"):
    "the Apple Watch Edition will cost $10,000" -> {apple, watch, edition}; "12 died, according to Peru's
    civil defence" -> {} (Peru is the source, not the thing counted)."""
    toks = _tokens(text)
    at = next((k for k, t in enumerate(toks) if t.start >= q.span.start), len(toks))
    end = next((k for k, t in enumerate(toks) if t.start >= q.span.end), len(toks))
    out: set[str] = set()
    for side in (range(at - 1, max(0, at - 1 - window), -1), range(end, min(len(toks), end + window))):
        for k in side:
            w = toks[k].text
            low = w.lower()
            if low in _CLAUSE_BREAK or low in _SOURCE_WORDS:
                break
            if (
                len(w) > 1
                and w[:1].isupper()
                and w[:1].isalpha()
                and low not in _NOT_NAME
                and low not in mapping("months")
            ):
                out.add(low)
    return out


_PRONOUNS = frozenset({"he", "she", "it", "they", "his", "her", "its", "their"})


def _unnamed(names: set[str], other: str, other_q: Quantity) -> bool:
    """A name by one number that the other sentence never mentions, unless a pronoun stands by the other
    number in its place ("Mrs Dulaimi was one of 138 women" / "She is one of 150 women")."""
    missing = {n for n in names if n not in other.lower()}
    if not missing:
        return False
    before = {t.text.lower() for t in _tokens(other[: other_q.span.start])[-NAME_WINDOW:]}
    return not before & _PRONOUNS


def different_things(a: str, x: Quantity, b: str, y: Quantity, bare_unit: bool) -> bool:
    """Two numbers in one unit that measure different things, so their difference is no conflict:

    * a name stands by one number that the other sentence never mentions ("the Edition costs $10,000" /
      "the Apple Watch starts at $349": whose price is named on one side only; :func:`names_near`);
    * for a sum or a percentage, each number is described by a word the other sentence lacks ("the
      stainless steel model at $500" / "the Sport model at $349"): two models, two prices.
    """
    if _unnamed(names_near(a, x), b, y) or _unnamed(names_near(b, y), a, x):
        return True
    if bare_unit:
        stems_a = {_stem(_norm(t.text.lower())) for t in _tokens(a)}
        stems_b = {_stem(_norm(t.text.lower())) for t in _tokens(b)}
        return bool(_measured(a, x) - stems_b) and bool(_measured(b, y) - stems_a)
    return False


_SPECULATIVE = re.compile(
    r"\b(?:may|might|could|would|expects?|expected\s+to|predicts?|predicted|estimates?|estimated|wagers?|bets?|assume|"
    r"guess(?:es|ed)?|speculat\w*|rumou?r\w*|forecasts?|projects?|projected|aims?|aiming|hopes?|if)\b",
    re.I,
)
SPECULATIVE_WINDOW = 60  # characters before a number in which a cue makes it a guess


def speculative(sentence: str, start: int) -> bool:
    """The number at ``start`` is a guess, a plan or a condition, not a reported figure: a cue ("may",
    "could", "predicts", "expects", "estimates", "wagers", "rumoured", "if") in the ``SPECULATIVE_WINDOW``
    characters before it ("insiders predict the steel model will start at $500")."""
    return bool(_SPECULATIVE.search(sentence[max(0, start - SPECULATIVE_WINDOW) : start]))
