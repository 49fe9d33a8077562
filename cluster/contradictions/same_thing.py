"""Are the two sides of a flag about the same thing? The tests a ``high`` flag must pass.

A number conflict is only worth showing when both sentences state the same quantity of the same thing
(:func:`same_quantity`), a date conflict when both date the same event (:func:`same_event`), opposite words
when they are said of one subject (:func:`same_subject`), a dispute when its two sides oppose each other
(:func:`opposed`); things numbered alike ("Flight 17" / "Flight 370") are never compared
(:func:`differently_numbered`). On real news most flags fail these: two different counts ("about 50
arrested" / "more than 30 detained so far"), two things with one unit ("the record catfish was 22 stone" /
"this catfish weighed 20 stone"), two events on two days (the announcement / the landing), two denials of one
claim. Written on the labelled train flags (``benchmarks/results/contradiction_precision_train*.csv``, see
``benchmarks/README.md``); each rule has a known-answer test (``tests/contradictions/test_same_thing.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cluster.contradictions.dates import _DATE_PATTERNS
from cluster.contradictions.lexicon import mapping, word_set
from cluster.contradictions.numbers import Quantity, _measured, quantities
from cluster.contradictions.sentences import _norm, _stem, _tokens, content_words

_PART = re.compile(  # "..., and another", "then four more": the count goes on
    r"\b(?:and|then|plus|followed\s+by)\s+(?:another|(?:\w+\s+)?(?:more|other|additional|further))\b", re.I
)
FAR_BOUND = 2.0  # a bound ("at least 12") conflicts with a figure only this many times beyond it ("40 killed")


def _stems(text: str) -> set[str]:
    """Every word of ``text`` as :func:`_measured` writes it, hyphenated words also split ("al-Baghdadi")."""
    out: set[str] = set()
    for t in _tokens(text):
        word = t.text.lower()
        if word[0].isalpha():
            out |= {_stem(_norm(word))} | {_stem(_norm(w)) for w in word.split("-") if len(w) > 2}
    return out


def _split(words: set[str]) -> set[str]:
    """Hyphenated words with their parts ("al-baghdadi" -> also "al", "baghdadi")."""
    return words | {part for w in words for part in w.split("-") if len(part) > 2}


_LABEL = re.compile(r"\b([A-Z][a-z]+|[A-Z]{2,})\s+(?:No\.\s*|#)?(\d{1,5})\b(?![.,:/]\d)")
_NOT_LABEL = word_set("stopwords") | word_set("hedges") | word_set("label_skip")


def numbered_things(text: str) -> dict[str, set[str]]:
    """Labels followed by a number inside a sentence ("Apollo 11", "Flight 17", "Section 230"): the
    capitalised word (not a month, not a word of ``words/label_skip.txt`` such as "About 40") and its numbers."""
    out: dict[str, set[str]] = {}
    for m in _LABEL.finditer(text):
        word = m.group(1)
        if word.lower() in _NOT_LABEL or word.lower() in mapping("months"):
            continue
        out.setdefault(word.lower(), set()).add(m.group(2))
    return out


def differently_numbered(a: str, b: str) -> bool:
    """Both statements name a thing by the same label with different numbers ("Flight 17" / "Flight 370",
    "Apollo 11" / "Apollo 13"): they are about different things, so their details do not conflict."""
    left, right = numbered_things(a), numbered_things(b)
    return any(left[k] and right[k] and not (left[k] & right[k]) for k in left.keys() & right.keys())


_STARTERS = word_set("sentence_starters") | word_set("stopwords")


def opening_name(sentence: str) -> set[str]:
    """The name a sentence opens with, as its subject: the capitalised words before its first other word
    ("BMO has maintained ..." -> {bmo}; "Mrs Dulaimi was ..." -> {mrs, dulaimi}); empty when it opens with
    anything else ("The", "She", "In March", a number)."""
    out: set[str] = set()
    for t in _tokens(sentence.lstrip(" \"'“‘(")):
        word = t.text
        if not word[0].isalpha() or not word[0].isupper() or (not out and word.lower() in _STARTERS):
            break
        out.add(word.lower())
    return out


def _other_subjects(a: str, b: str) -> bool:
    """Both sentences open with a name and neither name is found in the other sentence ("BMO has maintained
    its price target of $135" / "UBS has maintained its price target of $125"): two subjects."""
    na, nb = opening_name(a), opening_name(b)
    return bool(na and nb) and not (na & _stems_lower(b)) and not (nb & _stems_lower(a))


def _stems_lower(text: str) -> set[str]:
    return {w for t in _tokens(text) for w in (t.text.lower(), *t.text.lower().split("-"))}


def _quantity(text: str, span: str | None) -> Quantity | None:
    return next((q for q in quantities(text) if q.span.text == span), None)


def same_quantity(a: str, b: str, span_a: str | None, span_b: str | None) -> bool:
    """Whether the numbers ``span_a`` of ``a`` and ``span_b`` of ``b`` state one quantity of one thing:

    * the two sentences do not open with two different names (:func:`_other_subjects`: "BMO ... $135" / "UBS
      ... $125");
    * each counts the noun that follows it ("150 women"), not a word read back before it ("Casey Dean,
      then 14"), and both count it in the same event ("12 people died" / "40 were killed", not "killed" /
      "run over");
    * the words around each number are found in the other sentence ("one of 150 women released" / "one of
      138 women released"); for a sum or a percentage every such word is ("BMO's price target of $135" /
      "UBS's price target of $125" fails: two analysts);
    * neither number is a part of a count the sentence goes on with ("one lump ..., and another", "six
      shots, then four more");
    * a bound ("at least", "more than", "or more") is at least ``FAR_BOUND`` times off the other figure
      ("at least 12 died" / "40 were killed"): closer, the bound admits both ("about 1,500 injured" /
      "more than 1,000 injured").

    A number that is not found in its sentence passes (nothing to judge it by).
    """
    x, y = _quantity(a, span_a), _quantity(b, span_b)
    if x is None or y is None:
        return True
    if not (x.named and y.named) or x.event != y.event or _other_subjects(a, b):
        return False
    if _PART.search(a[x.span.end :]) or _PART.search(b[y.span.end :]):
        return False  # "six shots, then four more" counts a part of the ten
    if x.bound in {"lower", "upper"} or y.bound in {"lower", "upper"}:
        low, high = sorted((abs(x.value), abs(y.value)))
        if high < FAR_BOUND * max(low, 1e-9):
            return False
    stems_a, stems_b = _stems(a), _stems(b)
    unit = {_stem(x.unit), _stem(y.unit)}
    around_x, around_y = _split(_measured(a, x)) - unit, _split(_measured(b, y)) - unit
    if x.unit in {"$", "£", "€", "%"}:
        return bool(around_x) and around_x <= stems_b and around_y <= stems_a
    if x.event and x.event == y.event:
        return True
    return bool(around_x & stems_b) and bool(around_y & stems_a)


MIN_DATE_JACCARD = 0.25  # content-word Jaccard of two sentences dating one event (the same sentence, mostly)
MIN_YEAR_JACCARD = 0.5  # two years: two events years apart are the rule ("in 2014 a nun ..." / "in 2011 a nun ...")
_STATEMENT_VERBS = word_set("dated_speech") | word_set("denial_verbs") | word_set("speech_verbs")
_TIME_POINT = re.compile(r"\b(?:as\s+of|by|until|till|since|before|after)\s+(?:\w+\s+){0,2}$", re.I)
_GUESS = re.compile(
    r"\b(?:may|might|could|would|expects?|expected|rumou?r\w*|hoax\w*|reports?\s+that|reportedly|if|"
    r"plans?|planned|scheduled|set\s+to)\b",
    re.I,
)


def _jaccard(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def _date_kind(text: str, span: str | None) -> str:
    for kind, pattern in _DATE_PATTERNS.items():
        if any(span and span in m.group(0) for m in pattern.finditer(text)):
            return kind
    return ""


def _dates_a_statement(text: str, span: str) -> bool:
    """The date is followed by a speech or denial verb ("An Iraqi official on Wednesday denied ...", "officials
    announced on Sunday"): it dates what was said, not the event."""
    at = text.find(span)
    after = [t.text.lower() for t in _tokens(text[at + len(span) :])[:2]]
    before = [t.text.lower() for t in _tokens(text[:at])[-2:]]
    return any(w in _STATEMENT_VERBS for w in after[:1] + before)


def same_event(a: str, b: str, span_a: str | None, span_b: str | None) -> bool:
    """Whether two different dates ``span_a`` of ``a`` and ``span_b`` of ``b`` are given for one event:

    * the two sentences tell one event in mostly the same words (content-word Jaccard at least
      ``MIN_DATE_JACCARD``, ``MIN_YEAR_JACCARD`` for two years: "vans left for the morgue late Saturday" /
      "vans left for the morgue late on Thursday");
    * neither date is a point in time a running figure is read at ("As of Tuesday, the video had 27 million
      views"), nor the day something was said ("an official on Wednesday denied", "announced on Sunday");
    * neither sentence relays a guess, a plan or a rumour ("rumors that the Watch will launch in February",
      "may not hit stores until April", "rumors of his death first circulated on February 21").
    """
    if not span_a or not span_b or span_a not in a or span_b not in b:
        return True
    years = _date_kind(a, span_a) == "year" or _date_kind(b, span_b) == "year"
    if _jaccard(a, b) < (MIN_YEAR_JACCARD if years else MIN_DATE_JACCARD):
        return False
    for text, span in ((a, span_a), (b, span_b)):
        at = text.find(span)
        if _TIME_POINT.search(text[:at]) or _dates_a_statement(text, span) or _GUESS.search(text):
            return False
    return True


MIN_ANTONYM_JACCARD = 0.5  # opposite words in two sentences this alike are said of one subject


def headline(sentence: str) -> bool:
    """A headline fragment, not a statement: most of its words (of four or more) capitalised ("Macaulay Culkin
    Found Dead at Age 34"), or ending in "!" with fewer than six words ("Macaulay Culkin Alive!")."""
    words = [t.text for t in _tokens(sentence) if t.text[0].isalpha()]
    if not words:
        return False
    caps = sum(w[0].isupper() for w in words)
    return (len(words) >= 4 and caps / len(words) > 0.6) or (sentence.rstrip().endswith("!") and len(words) < 6)


SIDE_WINDOW = 4  # content words this many tokens before / after an opposite word are its subject / object


def _side_words(sentence: str, span: str, before: bool) -> set[str]:
    at = sentence.find(span)
    toks = _tokens(sentence[:at])[::-1] if before else _tokens(sentence[at + len(span) :])
    out: set[str] = set()
    for t in toks[:SIDE_WINDOW]:
        if not t.text[0].isalnum():
            break  # the clause ends
        out |= content_words(t.text)
    return out


def same_subject(a: str, b: str, span_a: str | None = None, span_b: str | None = None) -> bool:
    """Whether opposite words ``span_a`` / ``span_b`` ("alive" / "dead", "confirmed" / "denied") are said of
    one subject in two statements: neither is a headline fragment ("Macaulay Culkin Alive!" / "Macaulay
    Culkin Found Dead at Age 34" relay a hoax, they state nothing), and either the sentences are mostly the
    same words (content-word Jaccard at least ``MIN_ANTONYM_JACCARD``: "A man is sitting" / "A man is
    standing") or the words just before the two opposite words share one and so do the words just after
    ("Brightwell confirmed the recall" / "Brightwell denied any recall"; not "a lot of fake Banksy accounts"
    / "the artist's real accounts")."""
    if headline(a) or headline(b):
        return False
    if _jaccard(a, b) >= MIN_ANTONYM_JACCARD:
        return True
    if not span_a or not span_b or span_a not in a or span_b not in b:
        return False
    return all(_side_words(a, span_a, before) & _side_words(b, span_b, before) for before in (True, False))


_NEGATION = re.compile(r"\b(?:not|no|never|nothing|none)\b|n[’']t\b", re.I)
_UNASSERTED = re.compile(r"\b(?:whether|unclear|uncertain|unknown|(?:difficult|hard|impossible)\s+to)\b", re.I)
_CAPTION = re.compile(r"^\W*((?:[A-Za-z’'?!]+\s+){0,3}[A-Za-z’'?!]+):\s")
_DENIAL_VERB = r"\b(?:den|reject|disput|refut|dismiss)\w*\s+"
_REFERENCE = re.compile(  # "rejected that account", "denied the reports", "disputes that,": the other side's words
    _DENIAL_VERB + r"(?:(?:that|this|these|those|the|his|her|its|their)\s+)?"
    r"(?:account|claims?|reports?|allegations?|accusations?|story|version)\b(?!\s+(?:that|of|in|on|about)\b)"
    r"|" + _DENIAL_VERB + r"(?:that|this|it)\s*(?:[,.;]|$)",
    re.I,
)


def caption(sentence: str) -> bool:
    """A photo caption or a labelled fragment, not a statement: up to four words and a colon open it
    ("Smiling: ...", "He's out: Chandler said ..."), none of them a speech verb ("He said: ..." is speech)."""
    m = _CAPTION.match(sentence)
    return m is not None and not {w.lower() for w in m.group(1).split()} & _STATEMENT_VERBS


def _claimed(sentence: str, span: str | None) -> str:
    """What a claim attribution asserts: its span ("X said A") and, for an attribution placed after what it
    reports ("A, X said"), the words before it; the whole sentence when the span is not found."""
    at = sentence.find(span) if span else -1
    return sentence if at < 0 or not span else sentence[: at + len(span)]


def opposed(
    a: str, b: str, denies: Callable[[str], bool], span_a: str | None = None, span_b: str | None = None
) -> bool:
    """Whether the two sides of an attributed dispute between ``a`` and ``b`` (spans ``span_a``/``span_b``, the
    two attributions) oppose each other (``a == b``: one sentence holds both sides); ``denies`` tells a
    refuting sentence (:func:`cluster.contradictions.confidence.denies`).

    * neither sentence is a caption (:func:`caption`);
    * the two sentences do not open with one name (:func:`opening_name`): one party on both sides;
    * one sentence refutes and the other asserts: the assertion (:func:`_claimed`) is no negated statement
      ("Rudaini said Mosul doesn't have the capability" agrees with "the ministry denied reports that Mosul had
      Ebola";
      "is not the wife, the ministry said" agrees with "an official denied she is the wife") unless the
      denial refers back to it ("rejected that account", "denied the reports"), and no open question
      ("it would be difficult to confirm whether she is his wife" asserts nothing).
    """
    if caption(a) or caption(b):
        return False
    if a == b:
        return True
    claims = [x for x in (a, b) if not denies(x)]
    if len(claims) != 1:
        return True
    claim, denial = claims[0], b if claims[0] == a else a
    if opening_name(claim) & opening_name(denial):
        return False  # one party ("Durex denies rumors ..." / "Durex has heard ..., the company said")
    said = _claimed(claim, span_a if claim == a else span_b)
    if _NEGATION.search(said) and not _REFERENCE.search(denial):
        return False
    return not _UNASSERTED.search(said)
