"""Attributed disputes: one source says A, another denies A or says not-A about the same thing.

Not a detail conflict (the article itself asserts neither side) but what a reader wants flagged: who says
what. :func:`attributions` finds "SOURCE VERB ..." clauses (verbs in ``words/dispute_verbs.txt`` and
``words/denial_verbs.txt``; a verb right after a negation or "declined to" — "would not confirm or deny" — is
no answer, neither a claim nor a denial); a dispute is

* inside one sentence (:func:`sentence_dispute`): two attributed clauses of different sources joined by an
  opposing link ("X insists A, though Y says B"), one of the verbs contesting ("insists", "claims") or
  denying ("denies", "rejects");
* across two sentences, of one article or of two (:func:`pair_dispute`): one sentence attributes a claim to
  X, the other has a different source Y deny or reject something about the same thing (at least
  ``min_shared`` content words in common); a negated claim only against a denial that refers back to it
  ("rejected that account"): two sources denying one thing agree.

The spans are the two attributions, each with its source ("Russian Federation insists that ...").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from cluster.contradictions.conflict import Conflict, Span, span_of
from cluster.contradictions.lexicon import word_set
from cluster.contradictions.sentences import content_words

_CLAIM = word_set("dispute_verbs")
_CONTEST = word_set("dispute_contest")
_DENY = word_set("denial_verbs")
_LINKS = word_set("dispute_links")
_SKIP = word_set("source_skip")
_VERB = re.compile(r"\b(" + "|".join(sorted(_CLAIM | _DENY, key=len, reverse=True)) + r")\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z.'’\-]*")
_CLAUSE_STOP = re.compile(r"[,;:()\"“”]")
_LINK = re.compile(r"[,;]?\s*\b(" + "|".join(sorted(_LINKS)) + r")\b\s*", re.I)
_NEGATED = re.compile(r"\b(?:not|no|never|nothing|neither|nor)\b|n[’']t\b", re.I)
_NON_ANSWER = re.compile(
    r"(?:\b(?:not|never|neither|nor|declined\s+to|refused\s+to|won[’']t|wouldn[’']t|couldn[’']t|"
    r"can[’']t|cannot|unable\s+to|did\s+not|or)|n[’']t)\s*$",
    re.I,
)
_RUN = re.compile(r"\w+")
_VERB_WORDS = frozenset(v.lower() for v in _CLAIM | _DENY)
_VERB_STEMS = tuple(sorted(v for v in _VERB_WORDS if not any(w != v and w in v for w in _VERB_WORDS)))
_CONTESTING = {v.lower() for v in _CONTEST | _DENY}
#: Words of contest or denial, none inside another ("insist" stands for "insists"): a text holds a verb of
#: contest or denial (which :func:`sentence_dispute` and :func:`pair_dispute` both need) only if it holds one
#: of these, ASCII case aside, or one of :data:`CASE_FOLD_SPECIALS`.
CONTEST_STEMS = tuple(sorted(v for v in _CONTESTING if not any(w != v and w in v for w in _CONTESTING)))
# Characters outside ASCII that ``re.IGNORECASE`` matches to an ASCII letter (İ ı ſ K): where none occurs,
# a match of an ASCII word list is an ASCII word equal to it in lower case.
CASE_FOLD_SPECIALS = ("\u0130", "\u0131", "\u017f", "\u212a")
_PLAIN_VERBS = all(v.isascii() and v.isalpha() for v in _VERB_WORDS)
MAX_SOURCE_WORDS = 6
DISPUTE_SCORE = 0.7  # a stated dispute; no model scores it


@dataclass(frozen=True, slots=True)
class Attribution:
    """ "SOURCE VERB claim": character offsets in the sentence and the normalised source."""

    start: int  # first character of the source
    verb_start: int
    verb_end: int
    verb: str
    source: str

    @property
    def denies(self) -> bool:
        return self.verb.lower() in _DENY

    @property
    def contests(self) -> bool:
        return self.verb.lower() in _CONTEST or self.denies


def _source(sentence: str, verb_start: int) -> tuple[int, str] | None:
    """(start, normalised source) of the words before a verb back to the clause start, or None (a pronoun,
    a passive "was said", nothing)."""
    lo = 0
    for m in _CLAUSE_STOP.finditer(sentence, 0, verb_start):
        lo = m.end()
    words = [(m.start(), m.group(0)) for m in _WORD.finditer(sentence, lo, verb_start)]
    cut = 0
    for i, (_, word) in enumerate(words):
        if word.lower() in _LINKS or word.lower() in {"that", "and", "who", "which", "as"}:
            cut = i + 1
    words = words[cut:][-MAX_SOURCE_WORDS:]
    if not words or words[-1][1].lower() in _SKIP:
        return None
    names = [w.lower().strip(".'’") for _, w in words if w.lower() not in {"the", "a", "an"}]
    if not names or all(n in _SKIP for n in names):
        return None
    return words[0][0], " ".join(names)


def attributions(sentence: str) -> list[Attribution]:
    """The "SOURCE VERB" clauses of a sentence in reading order (verbs of ``dispute_verbs``/``denial_verbs``)."""
    return list(_attributions(sentence))


@lru_cache(maxsize=1 << 16)
def _attributions(sentence: str) -> tuple[Attribution, ...]:
    """:func:`attributions`, kept per sentence: an article's disputes read each sentence about nine times (alone,
    and in both orders beside each neighbour), and wire copies repeat the same sentences."""
    out: list[Attribution] = []
    for start, end, verb in _verbs(sentence):
        if _NON_ANSWER.search(sentence[max(0, start - 40) : start]):
            continue  # "would not confirm or deny", "declined to deny": no answer, neither a claim nor a denial
        found = _source(sentence, start)
        if found is not None:
            out.append(Attribution(found[0], start, end, verb, found[1]))
    return tuple(out)


def _verbs(sentence: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) of each match of ``_VERB`` in ``sentence``, in order, found without the regex.

    ``_VERB`` is ``\\b(w1|w2|...)\\b`` over ASCII words, case-insensitive: a match starts a word run
    (``\\w+``) and, as the word ends in a letter and a boundary follows, ends it too; so the matches are the
    runs equal to a listed word, ASCII-case aside. One scan for runs and a set look-up instead of trying
    every alternative at every position; the regex itself where a character that ``re.IGNORECASE`` folds
    onto an ASCII letter could match (:data:`CASE_FOLD_SPECIALS`).
    """
    if not _PLAIN_VERBS or any(c in sentence for c in CASE_FOLD_SPECIALS):
        yield from ((m.start(), m.end(), m.group(0)) for m in _VERB.finditer(sentence))
        return
    lowered = sentence.lower()
    if not any(stem in lowered for stem in _VERB_STEMS):
        return  # no listed word inside, so no run equal to one
    for m in _RUN.finditer(sentence):
        word = m.group()
        if word.isascii() and word.lower() in _VERB_WORDS:
            yield m.start(), m.end(), word


def _clause_end(sentence: str, start: int) -> int:
    """End of the clause starting at ``start``: the next opposing link or the sentence end (no final stop)."""
    link = _LINK.search(sentence, start)
    end = link.start() if link else len(sentence)
    return len(sentence[:end].rstrip(" .,;:!?\"”'’"))


def _claim_words(sentence: str, att: Attribution) -> set[str]:
    return content_words(sentence[att.verb_end : _clause_end(sentence, att.verb_end)])


def sentence_dispute(sentence: str) -> Conflict | None:
    """ "X insists A, though Y says B" inside one sentence: the two attributed clauses as spans, or None."""
    found = _attributions(sentence)
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            if a.source == b.source or not (a.contests or b.contests):
                continue
            between = sentence[a.verb_end : b.start]
            link = _LINK.search(between)
            if link is None or _VERB.search(between[link.end() :]):
                continue
            end_a = a.verb_end + link.start()
            if len(content_words(sentence[a.verb_end : end_a])) < 2 or len(_claim_words(sentence, b)) < 2:
                continue
            span_a = span_of(sentence, a.start, end_a)
            span_b = span_of(sentence, b.start, _clause_end(sentence, b.verb_end))
            return Conflict("dispute", DISPUTE_SCORE, span_a, span_b, f"{a.source} vs {b.source}")
    return None


def pair_dispute(a: str, b: str, min_shared: int = 2) -> Conflict | None:
    """Sentence ``a`` attributes a claim to one source and ``b`` has another source deny it (either order):
    the two attributions as spans, or None. "About the same thing": ``min_shared`` content words of the
    denial's sentence are in the claim's sentence, the sources' own words left out."""
    for first, second, flip in ((a, b, False), (b, a, True)):
        claims = [x for x in _attributions(first) if not x.denies]
        denials = [x for x in _attributions(second) if x.denies]
        for d in denials:
            for c in claims:
                if c.source == d.source or c.source in d.source or d.source in c.source:
                    continue
                if _NEGATED.search(first[c.verb_end : _clause_end(first, c.verb_end)]) and not _refers_back(second, d):
                    continue  # "X said she was NOT the wife" and "Y denied that she is the wife" agree
                sources = set(c.source.split()) | set(d.source.split())
                shared = (content_words(first) & content_words(second[d.verb_end :])) - sources
                if len(shared) < min_shared:
                    continue
                span_c = span_of(first, c.start, _clause_end(first, c.verb_end))
                span_d = span_of(second, d.start, _clause_end(second, d.verb_end))
                pair: tuple[Span, Span] = (span_d, span_c) if flip else (span_c, span_d)
                return Conflict("dispute", DISPUTE_SCORE, *pair, f"{c.source} says; {d.source} {d.verb}")
    return None


_REFERENCE = frozenset(
    [
        "account",
        "claim",
        "claims",
        "report",
        "reports",
        "allegation",
        "allegations",
        "accusation",
        "accusations",
        "story",
        "suggestion",
        "suggestions",
        "rumour",
        "rumours",
        "rumor",
        "rumors",
        "it",
        "this",
    ]
)


def _refers_back(sentence: str, denial: Attribution) -> bool:
    """The denial's object is a reference to the other side's words ("rejected that account", "denied the
    reports"), not a restated content ("denied that she is the wife"): it refutes whatever was claimed."""
    following = [w.lower() for w in _WORD.findall(sentence[denial.verb_end :])][:3]
    return any(w in _REFERENCE for w in following)


def article_disputes(sentences: list[str], window: int = 2) -> list[tuple[int, int, Conflict]]:
    """Disputes inside one article: (index of sentence a, index of sentence b, conflict); a == b for a dispute
    stated in one sentence; two sentences at most ``window`` apart otherwise."""
    out: list[tuple[int, int, Conflict]] = []
    found = [_attributions(s) for s in sentences]
    denies = [any(x.denies for x in f) for f in found]
    for i, sentence in enumerate(sentences):
        one = sentence_dispute(sentence) if len(found[i]) >= 2 else None  # a dispute in one sentence needs two
        if one is not None:
            out.append((i, i, one))
        for j in range(i + 1, min(len(sentences), i + 1 + window)):
            if not (denies[i] or denies[j]):
                continue  # pair_dispute needs a denial on one side
            two = pair_dispute(sentence, sentences[j])
            if two is not None:
                out.append((i, j, two))
    return out
