"""HTML pages: main text, title, site and publication time, through trafilatura."""

from __future__ import annotations

import re
from typing import Any

Extracted = tuple[str, str | None, str | None, str | None, str | None]  # text, title, published, url, source

_META = re.compile(r"<meta\s[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DATE_KEYS = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate", "dc.date")


def meta_published(html: str) -> str | None:
    """The publication time from a page's meta tags, keeping the time of day (htmldate keeps only the date)."""
    for tag in _META.findall(html):
        attrs = {k.lower(): (a if a else b) for k, a, b in _ATTR.findall(tag)}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key in _DATE_KEYS and attrs.get("content"):
            return attrs["content"]
    return None


def extract_html(html: str) -> Extracted | None:
    """(text, title, published, url, source) of a page's main article; None when it has no article text."""
    import trafilatura  # heavy import, only for HTML input

    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None:
        return None
    fields: dict[str, Any] = doc if isinstance(doc, dict) else doc.as_dict()  # older trafilatura returns a dict
    text, title, sitename = fields.get("text") or "", fields.get("title"), fields.get("sitename")
    if not text.strip():
        return None
    source = sitename if sitename and sitename != title else None
    return text, title, meta_published(html) or fields.get("date"), fields.get("url"), source
