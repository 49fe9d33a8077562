"""Text that states nothing a contradiction can be about: embedded posts of others and list lines.

* An embedded post (a tweet, an Instagram or Facebook post quoted in an article) is someone else's words
  with their own date: "— Jane Doe (@jdoe) March 3, 2015", "pic.twitter.com/…". Two articles quoting two
  different posts do not disagree about the date.
* A list line (a recipe's ingredient, a bullet, a numbered step) is an item, not a statement:
  "1/2 medium onion" in one recipe and "1 medium onion" in another are two recipes, not one fact.

:func:`is_embedded_post` and :func:`is_list_line` are the two tests; the detail layer and the pipeline stage
leave such text out (the stage also drops the short paragraph just above a post signature: the post's text).
"""

from __future__ import annotations

import re

_HANDLE_SIGNATURE = re.compile(r"\(@\w{1,30}\)|(?:^|\s)[—–-]{1,2}\s*[^\n]{0,80}@\w{1,30}")
_POST_LINK = re.compile(r"\b(?:pic\.twitter\.com|t\.co|instagram\.com/p|twitter\.com/\w+/status)/", re.I)
_LIST_MARK = re.compile(r"^\s*(?:[-•*·▪►✓]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_QUANTITY_START = re.compile(r"^\s*(?:\d+(?:[.,/]\d+)?|[½¼¾⅓⅔⅛⅜⅝⅞]|\d+\s*[½¼¾⅓⅔⅛])(?:\s*[-–]\s*\d+)?\s+\S")
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|said|says|told|did|does|do|can|could|be|been)\b", re.I
)
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
