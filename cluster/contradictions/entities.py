"""A named person, place or organisation swapped for another in the same slot, and one role of one
organisation given to two people. One entity named two ways (``U.S.``/``American``, spelling variants) is
no conflict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from typing import NamedTuple

from cluster.contradictions.conflict import Conflict, Span, span_of
from cluster.contradictions.lexicon import mapping, phrases, word_set, word_tuple
from cluster.contradictions.sentences import _STOPWORDS, _TOKEN, _Token, _tokens

_MONTHS: dict[str, int] = mapping("months")
_WEEKDAYS = word_tuple("weekdays")
_NEGATIONS = word_set("negations")
_SPEECH_VERBS = word_set("speech_verbs")

_ATTRIBUTION = word_set("attribution")


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
_HONORIFICS = word_set("honorifics")
# Other names of the same country (acronyms are matched by their initials, see _acronym_of).
_ALIASES: dict[str, str] = mapping("aliases")
_DEMONYM_ENDINGS = ("ian", "ean", "can", "ese", "ish", "i")
_NAME_PUNCT = frozenset("-'’&")


class _NameToken(NamedTuple):
    """A token for name alignment: its span and its key (lower case, straight apostrophes, no
    dots, no possessive ``'s``), and whether an honorific (``Mr``) stands before it."""

    token: _Token
    key: str
    titled: bool


@lru_cache(maxsize=1 << 16)
def _name_tokens_of(text: str) -> tuple[_NameToken, ...]:
    """Tokens of ``text`` keyed for name alignment; honorifics (and their dot) are dropped, so
    ``Mr Foley's`` and ``Foley's`` align, as do ``U.S.`` and ``US``. Kept per sentence."""
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
    return tuple(out)


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


def entity_conflicts(a: str, b: str) -> list[Conflict]:
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
        sa, sb = span_of(a, xa[0].token.start, xa[-1].token.end), span_of(b, xb[0].token.start, xb[-1].token.end)
        return [Conflict("entity", score, sa, sb, f"'{sa.text}' vs '{sb.text}' in the same place", "same place")]
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
    if wa and wb and re.sub(r"[^a-z]", "", a.lower()) == re.sub(r"[^a-z]", "", b.lower()):
        return True  # spacing and hyphens only ("Yo Jong" / "Yo-jong")
    if wa and wb and len(wa) != len(wb):  # a short form of the longer name ("Met's" / "Metropolitan Police's")
        short, long_ = (wa, wb) if len(wa) < len(wb) else (wb, wa)
        head = short[0].lower().rstrip("'’s")
        if len(short) == 1 and len(head) >= 3 and long_[0].lower().startswith(head):
            return True
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
_ROLES: tuple[tuple[str, ...], ...] = tuple(sorted(phrases("roles"), key=len, reverse=True))  # longest first
_ROLES_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {}  # the roles starting with a word, longest first
for _role in _ROLES:
    _ROLES_BY_FIRST[_role[0]] = (*_ROLES_BY_FIRST.get(_role[0], ()), _role)


def _name_tokens(toks: Sequence[_Token]) -> bool:
    return bool(toks) and all(
        t.text[0].isupper() and t.text[0].isalpha() and t.text.lower() not in _STOPWORDS for t in toks
    )


@lru_cache(maxsize=1 << 16)
def _roles(text: str) -> tuple[tuple[tuple[str, str], Span], ...]:
    """``((organisation, role), name span)`` for "ORG ROLE First Last" and "First Last, ORG's ROLE" (kept per
    sentence)."""
    toks = _tokens(text)
    low = [t.text.lower().replace("’", "'") for t in toks]
    out: list[tuple[tuple[str, str], Span]] = []
    i = 1
    while i < len(toks):
        role = next((r for r in _ROLES_BY_FIRST.get(low[i], ()) if tuple(low[i : i + len(r)]) == r), None)
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
            out.append((key, span_of(text, toks[j].start, toks[k - 1].end)))
        # "Daniel Okafor, Brightwell's chief executive"
        elif i >= 3 and toks[i - 2].text == ",":
            m = i - 2
            while m > 0 and i - 2 - m < 3 and _name_tokens(toks[m - 1 : m]):
                m -= 1
            if m < i - 2:
                out.append((key, span_of(text, toks[m].start, toks[i - 3].end)))
        i = j
    return tuple(out)


def role_conflicts(a: str, b: str) -> list[Conflict]:
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
            return [Conflict("entity", 0.7, sa, sb, f"{key[0]} {key[1]}: '{sa.text}' vs '{sb.text}'", "role")]
    return []
