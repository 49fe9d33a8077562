"""Sentences, tokens, content words and topic overlap: what every detector reads a statement with."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from cluster.contradictions.lexicon import mapping, word_set

_ABBREVIATIONS = word_set("abbreviations")
# Words that, after a dotted acronym such as "U.S.", show that a new sentence starts.
_SENTENCE_STARTERS = word_set("sentence_starters")
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

_STOPWORDS = word_set("stopwords")
# Words that count as the same content word for topic overlap and for number units.
_CANONICAL: dict[str, str] = mapping("canonical")


class _Token(NamedTuple):
    text: str
    start: int
    end: int


@lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> tuple[_Token, ...]:
    """The tokens of ``text`` (kept per text: every detector of a sentence pair reads them again)."""
    return tuple(_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text))


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
    return set(_content_words(text))


@lru_cache(maxsize=1 << 16)
def _content_words(text: str) -> frozenset[str]:
    return frozenset(
        _norm(t.text)
        for t in _tokens(text)
        if t.text[0].isalpha() and t.text.lower() not in _STOPWORDS and len(t.text) > 1
    )


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


# Lemmas of the words negation flips and antonyms are compared by ("confirmed" -> "confirm").
_LEMMAS: dict[str, str] = mapping("lemmas")


def _lemma(word: str) -> str:
    w = word.lower().replace("’", "'")
    return _LEMMAS.get(w, w)


def _stem(word: str) -> str:
    w = _lemma(word)
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w
