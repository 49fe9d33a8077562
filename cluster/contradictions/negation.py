"""Negation and antonym flips (``was arrested`` vs ``was not arrested``, ``confirmed`` vs ``denied``) and
opposite claims (``upheld`` vs ``struck down``).

Guards learnt from a hand audit: negative verbs (``declined to comment`` = ``did not comment``), double
negatives, conditions, purposes and questions, first-person quotes of two voices, flips said of different
things.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from cluster.contradictions.conflict import Conflict, span_of
from cluster.contradictions.lexicon import mapping, pairs, word_set
from cluster.contradictions.sentences import _STOPWORDS, _lemma, _norm, _stem, _Token, _tokens

_TIME_WORDS = word_set("time_words")

_NEGATIONS = word_set("negations")
_ANTONYM_PAIRS: tuple[tuple[str, str], ...] = pairs("antonym_pairs")
_ANTONYMS: dict[str, set[str]] = {}
for _x, _y in _ANTONYM_PAIRS:
    _ANTONYMS.setdefault(_x, set()).add(_y)
    _ANTONYMS.setdefault(_y, set()).add(_x)
_CLAUSE_BREAK = word_set("clause_break")
_SCOPE_WORDS = word_set("scope_words")


# Verbs that negate the verb after them ("declined to comment" = "did not comment"): a cue like
# "not" when "to" follows them.
_NEGATIVE_VERBS = word_set("negative_verbs")
# Verbs that stop what follows ("stop recruiting", "prevent him (from) turning"): a cue when a gerund,
# an object pronoun or "from" follows them.
_PREVENTIVE = word_set("preventive")
_OBJECT_PRONOUNS = word_set("object_pronouns")
# Clauses that state no fact: a condition or an open question ("unless the U.S. ended the strikes").
_HYPOTHETICAL = word_set("hypothetical")
# Words that make the following verb an intention or a possibility, not a fact ("would work to
# confirm", "might close").
_MODALS = word_set("modals")
_INTENT = word_set("intent")


def _is_adverb(word: str) -> bool:
    """``-ly`` adverbs and scope words (``immediately``, ``officially``, ``still``) that may sit
    between a negation and its verb without ending its scope."""
    return word in _SCOPE_WORDS or (len(word) > 4 and word.endswith("ly"))


def _cue_at(toks: Sequence[_Token], k: int) -> _Token | None:
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


def _clause_start(toks: Sequence[_Token], i: int) -> int:
    """Index of the first token of the clause holding token ``i``."""
    for k in range(i - 1, -1, -1):
        if toks[k].text.lower() in _CLAUSE_BREAK:
            return k + 1
    return 0


def _negated(toks: Sequence[_Token], i: int, window: int = 4) -> _Token | None:
    """The negation cue governing token ``i``: within ``window`` tokens before it, with only
    function words and adverbs (``did not``, ``has never been``, ``could not immediately``)
    between cue and word. A ``without`` under an earlier negation of its clause is a double
    negative (``will not give it without the money`` asks for the money) and governs nothing."""
    return _governing_cue(toks, i, window, lambda k: _cue_at(toks, k), lambda k: _clause_negated(toks, k))


def _governing_cue(
    toks: Sequence[_Token], i: int, window: int, cue_at: Callable[[int], _Token | None],
    clause_negated: Callable[[int], bool],
) -> _Token | None:  # fmt: skip
    """:func:`_negated`'s walk back from token ``i``, with the cue at a token and the clause test given (found
    token by token, or read from what :class:`_Polarities` found once)."""
    for k in range(i - 1, max(-1, i - 1 - window), -1):
        cue = cue_at(k)
        if cue is not None:
            if cue.text.lower() == "without" and clause_negated(k):
                return None
            return cue
        w = toks[k].text.lower().replace("’", "'")
        if w in _CLAUSE_BREAK or (w[0].isalpha() and w not in _STOPWORDS and not _is_adverb(w)):
            return None
    return None


def _clause_negated(toks: Sequence[_Token], i: int) -> bool:
    """Whether any negation cue precedes token ``i`` in its clause: its scope may reach the word
    (``won't let my sister talk``, ``not in a position to confirm``), so the word is not plainly
    affirmed."""
    return any(_cue_at(toks, k) is not None for k in range(_clause_start(toks, i), i))


def _hypothetical(toks: Sequence[_Token], i: int) -> bool:
    """Whether token ``i`` states no fact: the sentence is a question, or before the word its
    clause holds a condition (``if``, ``unless``, ``whether``) or a purpose (``so that``, ``in
    order to``, ``to prevent``: ``adopted him so that he would not turn into a werewolf``)."""
    if toks and toks[-1].text == "?":
        return True
    low = [t.text.lower() for t in toks[_clause_start(toks, i) : i]]
    pairs = set(zip(low, low[1:], strict=False))
    purpose = {("so", "that"), ("in", "order")} & pairs or any(x == "to" and y in _PREVENTIVE for x, y in pairs)
    return bool(purpose) or any(w in _HYPOTHETICAL for w in low)


def _intended(toks: Sequence[_Token], i: int) -> bool:
    """Whether a modal or an intention (``would``, ``might``, ``work to``, ``want to``) precedes
    token ``i`` in its clause: the word is then no plain statement of fact."""
    low = [t.text.lower() for t in toks[_clause_start(toks, i) : i]]
    return any(w in _MODALS for w in low) or any(x in _INTENT and y == "to" for x, y in zip(low, low[1:], strict=False))


def _context(toks: Sequence[_Token], i: int, window: int = 4) -> set[str]:
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


_FIRST_PERSON = word_set("first_person")
_SPEECH_VERBS = word_set("speech_verbs")


def _first_person(toks: Sequence[_Token], i: int) -> bool:
    """Whether token ``i`` sits in a first-person clause (``I really don't care``): speech whose
    truth depends on who speaks."""
    end = next((k for k in range(i, len(toks)) if toks[k].text.lower() in _CLAUSE_BREAK), len(toks))
    words = (toks[k].text.replace("’", "'") for k in range(_clause_start(toks, i), end))
    return any(w.lower() in _FIRST_PERSON and w != "US" for w in words)


def _speakers(toks: Sequence[_Token]) -> set[str]:
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


def _different_voices(ta: Sequence[_Token], i: int, tb: Sequence[_Token], j: int) -> bool:
    """Both words are first-person speech and nothing shows one speaker: ``I'm not ready`` said by
    one person does not contradict ``I am ready`` said by another."""
    if not (_first_person(ta, i) and _first_person(tb, j)):
        return False
    return not (_speakers(ta) & _speakers(tb))


def _comparable(ta: Sequence[_Token], i: int, tb: Sequence[_Token], j: int) -> bool:
    """Whether words ``ta[i]`` and ``tb[j]`` can carry a flip: both state a fact (no condition,
    no question), are said of the same thing when both say of what (shared context), and are not
    first-person speech of two different voices."""
    if _hypothetical(ta, i) or _hypothetical(tb, j):
        return False
    ca, cb = _context(ta, i), _context(tb, j)
    if ca and cb and not ca & cb:
        return False
    return not _different_voices(ta, i, tb, j)


def negation_conflicts(a: str, b: str) -> list[Conflict]:
    ta, tb = _tokens(a), _tokens(b)
    return _antonym_flips(a, b, ta, tb) or _negation_flips(a, b, ta, tb)


def _antonym_flips(a: str, b: str, ta: Sequence[_Token], tb: Sequence[_Token]) -> list[Conflict]:
    """Opposite words (``confirmed`` vs ``denied``) with the same polarity on both sides.

    Not a flip: a pair found whole on either side (``male and female passengers``), a word whose
    clause holds a negation that may reach it, and words that are not :func:`_comparable`."""
    all_a, lemmas_a, _ = _lemma_index(a)  # ta, tb are the tokens of a and b
    lemmas_b = _lemma_index(b)[2]
    for i, t in enumerate(ta):
        la = all_a[i]
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
            sa, sb = span_of(a, t.start, t.end), span_of(b, tb[j].start, tb[j].end)
            return [Conflict("negation", 0.8, sa, sb, f"antonyms '{sa.text}' vs '{sb.text}'", "antonym")]
    return []


@lru_cache(maxsize=1 << 16)
def _lemma_index(text: str) -> tuple[tuple[str, ...], frozenset[str], dict[str, int]]:
    """The lemma of each token of ``text``, the set of them, and each lemma's first token; kept per sentence
    (it meets up to 144 others). Read only."""
    lemmas = tuple(_lemma(t.text) for t in _tokens(text))
    first: dict[str, int] = {}
    for j, lemma in enumerate(lemmas):
        first.setdefault(lemma, j)
    return lemmas, frozenset(lemmas), first


# Opposite claim predicates, as (lemmatised) word sequences, on top of the antonyms above
# (confirmed/denied, approved/rejected, rose/fell, won/lost, guilty/innocent, legal/illegal ...).
# A flip counts only when the two predicates share a content word nearby ("exceeded its
# authority" vs "within its authority").
_CLAIM_PAIRS: tuple[tuple[str, str], ...] = pairs("claim_pairs")
_CLAIM_LEMMAS: dict[str, str] = mapping("claim_lemmas")
_CLAIM_PHRASES = tuple((tuple(x.split()), tuple(y.split())) for x, y in _CLAIM_PAIRS)


def _claim_lemma(word: str) -> str:
    w = word.lower().replace("’", "'")
    return _CLAIM_LEMMAS.get(w, _lemma(w))


def _find_phrase(lemmas: Sequence[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(lemmas) - n + 1) if tuple(lemmas[i : i + n]) == phrase]


@lru_cache(maxsize=1 << 16)
def _claim_lemmas(text: str) -> tuple[tuple[str, ...], dict[str, tuple[int, ...]]]:
    """The claim lemma of each token of ``text`` and where each lemma occurs, kept per sentence. Read only."""
    lemmas = tuple(_claim_lemma(t.text) for t in _tokens(text))
    where: dict[str, list[int]] = {}
    for i, lemma in enumerate(lemmas):
        where.setdefault(lemma, []).append(i)
    return lemmas, {k: tuple(v) for k, v in where.items()}


def _phrase_at(lemmas: tuple[str, ...], where: dict[str, tuple[int, ...]], phrase: tuple[str, ...]) -> list[int]:
    """:func:`_find_phrase` by the index of first words: the same positions, in the same order."""
    n = len(phrase)
    return [i for i in where.get(phrase[0], ()) if i + n <= len(lemmas) and lemmas[i : i + n] == phrase]


def _claim_context(toks: Sequence[_Token], i: int, n: int, window: int = 4) -> set[str]:
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


def claim_flips(a: str, b: str) -> list[Conflict]:
    """Opposite predicates about the same thing: ``exceeded its authority`` vs ``acted within
    its authority``, ``upheld the ban`` vs ``struck down the ban``."""
    ta, tb = _tokens(a), _tokens(b)
    (la, wa), (lb, wb) = _claim_lemmas(a), _claim_lemmas(b)
    for px, py in _CLAIM_PHRASES:
        for (p, q), (toks_1, toks_2, lem_1, lem_2, w1, w2, s1, s2) in (
            ((px, py), (ta, tb, la, lb, wa, wb, a, b)),
            ((py, px), (tb, ta, lb, la, wb, wa, b, a)),
        ):
            for i in _phrase_at(lem_1, w1, p):
                if _phrase_at(lem_2, w2, p) and (q[0] != "not"):
                    continue  # both sides say the same thing somewhere
                for j in _phrase_at(lem_2, w2, q):
                    if (_negated(toks_1, i) is None) != (_negated(toks_2, j) is None) and q[0] != "not":
                        continue
                    shared = _claim_context(toks_1, i, len(p)) & _claim_context(toks_2, j, len(q))
                    if not shared:
                        continue
                    span_1 = span_of(s1, toks_1[i].start, toks_1[i + len(p) - 1].end)
                    span_2 = span_of(s2, toks_2[j].start, toks_2[j + len(q) - 1].end)
                    sa, sb = (span_1, span_2) if s1 is a else (span_2, span_1)
                    about = ", ".join(sorted(shared))
                    why = f"opposite claims '{sa.text}' vs '{sb.text}' ({about})"
                    return [Conflict("claim", 0.7, sa, sb, why, "opposite claim")]
    return []


def _polarity(toks: Sequence[_Token], i: int) -> str:
    """``negated`` (a cue governs the word), ``unclear`` (a negation earlier in its clause may
    reach it, or a modal or intention makes it no plain fact) or ``affirmed``."""
    if _negated(toks, i) is not None or _set_aside(toks, i):
        return "negated"
    return "unclear" if _clause_negated(toks, i) or _intended(toks, i) else "affirmed"


_SET_ASIDE = (("instead", "of"), ("rather", "than"))


def _set_aside(toks: Sequence[_Token], i: int) -> bool:
    """The word follows "instead of" or "rather than" (quotes aside): it is denied as a plain "not" would
    ("judges instead of arbitrators" says what "judges, not arbitrators" says)."""
    words = tuple(t.text.lower() for t in toks[max(0, i - 4) : i] if any(c.isalnum() for c in t.text))[-2:]
    return words in _SET_ASIDE


@lru_cache(maxsize=1 << 16)
def _flip_sites(text: str) -> tuple[dict[str, list[int]], _Polarities | None]:
    """Stem of each flippable word of ``text`` (:func:`_flippable`) and the token positions where it occurs, with
    the sentence's :class:`_Polarities` (None when no word is flippable); kept per sentence, which meets many
    others. Read only: a polarity is read only for a stem the other sentence shares."""
    toks = _tokens(text)
    where: dict[str, list[int]] = {}
    for k, t in enumerate(toks):
        if _flippable(t):
            where.setdefault(_stem(t.text), []).append(k)
    return where, (_Polarities(toks) if where else None)


class _Polarities:
    """:func:`_polarity` of any token of one sentence, with what it reads computed once for the sentence: the
    cue at each token (:func:`_cue_at`), each token's clause start (:func:`_clause_start`), and running counts
    of cues, modals and intentions, so a clause is not scanned again for each of its words."""

    def __init__(self, toks: Sequence[_Token]) -> None:
        self.toks = toks
        low = [t.text.lower() for t in toks]
        self.low = low
        self.alnum = [any(c.isalnum() for c in t.text) for t in toks]
        self.cues = [_cue_at(toks, k) for k in range(len(toks))]
        self.starts = [0] * len(toks)
        for i in range(1, len(toks)):  # the token after the last clause break before i
            self.starts[i] = i if low[i - 1] in _CLAUSE_BREAK else self.starts[i - 1]
        self.seen: dict[tuple[int, ...], frozenset[str]] = {}
        self.n_cues, self.n_modals, self.n_intents = [0], [0], [0]  # counts over toks[:k]
        for k, w in enumerate(low):
            self.n_cues.append(self.n_cues[-1] + (self.cues[k] is not None))
            self.n_modals.append(self.n_modals[-1] + (w in _MODALS))
            intent = w in _INTENT and k + 1 < len(low) and low[k + 1] == "to"  # the pair (k, k + 1)
            self.n_intents.append(self.n_intents[-1] + intent)

    def clause_negated(self, i: int) -> bool:
        """:func:`_clause_negated`: a cue in ``toks[start:i]``."""
        return self.n_cues[i] > self.n_cues[self.starts[i]]

    def negated(self, i: int, window: int = 4) -> _Token | None:
        """:func:`_negated`, reading the cues found once."""
        return _governing_cue(self.toks, i, window, self.cues.__getitem__, self.clause_negated)

    def intended(self, i: int) -> bool:
        """:func:`_intended`: a modal in ``toks[start:i]``, or an intention and "to" both in it."""
        start = self.starts[i]
        if self.n_modals[i] > self.n_modals[start]:
            return True
        return i - 1 > start and self.n_intents[i - 1] > self.n_intents[start]

    def set_aside(self, i: int) -> bool:
        """:func:`_set_aside`, reading the lower-case tokens once."""
        words = tuple(self.low[k] for k in range(max(0, i - 4), i) if self.alnum[k])[-2:]
        return words in _SET_ASIDE

    def __call__(self, i: int) -> str:
        if self.negated(i) is not None or self.set_aside(i):
            return "negated"
        return "unclear" if self.clause_negated(i) or self.intended(i) else "affirmed"

    def of(self, idx: list[int]) -> frozenset[str]:
        """The polarities of the tokens at ``idx`` (kept: a stem meets the same stem of many sentences)."""
        key = tuple(idx)
        if key not in self.seen:
            self.seen[key] = frozenset(self(i) for i in idx)
        return self.seen[key]


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


def _negation_flips(a: str, b: str, ta: Sequence[_Token], tb: Sequence[_Token]) -> list[Conflict]:
    """The same word negated on one side and plainly affirmed on the other.

    Every occurrence counts: a word found both negated and affirmed on one side (``not a war
    against Nusra, but a war against Islam``), or whose polarity is unclear, is no flip. The two
    occurrences must be :func:`_comparable`.
    """
    (where_a, polarity_a), (where_b, polarity_b) = _flip_sites(a), _flip_sites(b)
    for stem, idx_a in where_a.items():
        idx_b = where_b.get(stem)
        if idx_b is None or polarity_a is None or polarity_b is None:
            continue
        pol_a, pol_b = polarity_a.of(idx_a), polarity_b.of(idx_b)
        if len(pol_a) != 1 or len(pol_b) != 1 or pol_a == pol_b or "unclear" in pol_a | pol_b:
            continue
        pair = next(((i, j) for i in idx_a for j in idx_b if _comparable(ta, i, tb, j)), None)
        if pair is None:
            continue
        i, j = pair
        cue_a, cue_b = _negated(ta, i), _negated(tb, j)
        sa = span_of(a, (cue_a or ta[i]).start, ta[i].end)
        sb = span_of(b, (cue_b or tb[j]).start, tb[j].end)
        return [Conflict("negation", 0.7, sa, sb, f"negation flip: '{sa.text}' vs '{sb.text}'", "negation flip")]
    return []
