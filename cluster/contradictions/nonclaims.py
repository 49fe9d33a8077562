"""Text that states nothing a contradiction can be about: embedded posts of others and list lines.

* An embedded post (a tweet, an Instagram or Facebook post quoted in an article) is someone else's words
  with their own date: "— Jane Doe (@jdoe) March 3, 2015", "pic.twitter.com/…". Two articles quoting two
  different posts do not disagree about the date.
* A list line (a recipe's ingredient, a bullet, a numbered step) is an item, not a statement:
  "1/2 medium onion" in one recipe and "1 medium onion" in another are two recipes, not one fact.
* A navigation line ("Related Articles ...", "Read more: ...", "See also") lists the headlines of other
  stories: "Farah clashes kill 20 Taliban" there is another clash, not this story's toll.
* Two renderings of one statement (:func:`same_statement`): the same quote with another attribution ("...,"
  he said. / "...," he explained.), spelling, brackets or accents aside, says one thing twice.

:func:`is_embedded_post`, :func:`is_list_line` and :func:`is_navigation_line` test one text; the detail layer
and the pipeline stage leave such text out (the stage also drops the short paragraph just above a post
signature: the post's text), and never compare two renderings of one statement.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

_HANDLE_SIGNATURE = re.compile(r"\(@\w{1,30}\)|(?:^|\s)[—–-]{1,2}\s*[^\n]{0,80}@\w{1,30}")
_POST_LINK = re.compile(r"\b(?:pic\.twitter\.com|t\.co|instagram\.com/p|twitter\.com/\w+/status)/", re.I)
_LIST_MARK = re.compile(r"^\s*(?:[-•*·▪►✓]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_QUANTITY_START = re.compile(r"^\s*(?:\d+(?:[.,/]\d+)?|[½¼¾⅓⅔⅛⅜⅝⅞]|\d+\s*[½¼¾⅓⅔⅛])(?:\s*[-–]\s*\d+)?\s+\S")
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|said|says|told|did|does|do|can|could|be|been)\b", re.I
)
_NAVIGATION = re.compile(
    r"^\W*(?:related\s+(?:articles?|stories|posts?|coverage|content|links?|reading)|related\s*(?=[:|–—])|"
    r"read\s+more|"
    r"(?:read|see)\s+also|also\s+read|more\s+(?:from|on|stories)|recommended(?:\s+for\s+you)?|"
    r"you\s+may\s+also\s+like|click\s+here|watch(?:\s+the)?\s+video)\b\s*[:\-–—|]?",
    re.I,
)
_QUOTE = re.compile(r"[\"“”„«»]([^\"“”„«»]{20,})[\"“”„«»]")
_RENDERING_WORDS = frozenset(
    ["he", "she", "they", "it", "i", "we", "said", "says", "told", "explained", "added", "stated", "noted"]
    + ["wrote", "insisted", "continued", "according", "to", "the", "a", "an", "in", "interview", "newspaper"]
)
_NEGATION_WORDS = frozenset(["not", "no", "never", "nothing", "none", "nor", "neither", "without", "cannot"])
_TRAILING_ATTRIBUTION = re.compile(
    r"(?:,\s*[\"”’']?|[\"”’']\s*,?)\s*(?:[A-Za-z.'’-]+\s+){0,5}?"
    r"(?:said|says|told|explained|added|stated|noted|wrote|insisted)\b[^.!?\"”]{0,80}[.!?]?\s*$",
    re.I,
)
MIN_RENDERING_WORDS = 4
MIN_QUOTE_WORDS = 8
MIN_QUOTE_LIKENESS = 0.9  # word-sequence likeness of two renderings of one quote (a spelling, an insertion)
MAX_LIST_WORDS = 14
MAX_POST_CHARS = 320


def is_embedded_post(text: str) -> bool:
    """A signature or link of an embedded social-media post ("— Name (@handle) date", "pic.twitter.com/…")."""
    return bool(_HANDLE_SIGNATURE.search(text) or _POST_LINK.search(text))


def is_list_line(text: str) -> bool:
    """A bullet or numbered item, or a short line starting with a quantity and saying nothing with a verb
    ("1/2 medium onion, chopped", "2 cups flour", "- 3 eggs")."""
    words = text.split()
    if not words or len(words) > MAX_LIST_WORDS:
        return False
    if _LIST_MARK.match(text):
        return True
    return bool(_QUANTITY_START.match(text)) and not _VERBISH.search(text)


def is_navigation_line(text: str) -> bool:
    """A line of links to other stories ("Related Articles ...", "Read more: ...", "See also ...")."""
    return bool(_NAVIGATION.match(text))


def _plain(text: str) -> list[str]:
    """Lower-case words without accents, brackets or punctuation ("[lobizón]" -> "lobizon")."""
    return list(_plain_words(text))


@lru_cache(maxsize=1 << 16)
def _plain_words(text: str) -> tuple[str, ...]:
    """:func:`_plain`, kept per text (a sentence meets up to 144 others)."""
    folded = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore").decode()
    return tuple(re.findall(r"[a-z0-9]+(?:'[a-z]+)?", folded.lower()))


def _longest_quote(text: str) -> list[str]:
    quotes = [_plain(m.group(1)) for m in _QUOTE.finditer(text)]
    return max(quotes, key=len, default=[])


def same_statement(a: str, b: str) -> bool:
    """Two renderings of one statement: the same quote of at least ``MIN_QUOTE_WORDS`` words making up most
    of each sentence (a word's spelling, accents and brackets aside), or the same words (at least
    ``MIN_RENDERING_WORDS``) but for attribution (", he said." / ", Cooke told Sci-Tech Today.") and
    articles. A negation word on one side only is never a rendering."""
    wa, wb = _plain(a), _plain(b)
    if not wa or not wb:
        return False
    if {w for w in wa if w in _NEGATION_WORDS or w.endswith("n't")} != {
        w for w in wb if w in _NEGATION_WORDS or w.endswith("n't")
    }:
        return False
    qa, qb = _longest_quote(a), _longest_quote(b)
    quoted = min(len(qa), len(qb)) >= MIN_QUOTE_WORDS and 2 * min(len(qa), len(qb)) >= max(len(wa), len(wb))
    if quoted and SequenceMatcher(None, qa, qb, autojunk=False).ratio() >= MIN_QUOTE_LIKENESS:
        return True
    rest_a = [w for w in _plain(_TRAILING_ATTRIBUTION.sub("", a)) if w not in _RENDERING_WORDS]
    rest_b = [w for w in _plain(_TRAILING_ATTRIBUTION.sub("", b)) if w not in _RENDERING_WORDS]
    return len(rest_a) >= MIN_RENDERING_WORDS and rest_a == rest_b
