"""Each article's language (py3langid: a small model shipped in the package, offline), and whether the
embedding model was trained on the languages of a corpus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

SAMPLE_CHARS = 600  # a few sentences decide; speed falls linearly with the length classified
_MULTILINGUAL_HINTS = ("multilingual", "labse", "xlm", "distiluse", "-m3", "mbert", "laser", "paraphrase-multi")


@cache
def _identifier() -> Any:
    from py3langid.langid import _get_identifier

    return _get_identifier()  # the packaged model (data/model.npz.xz), loaded once


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """ISO 639-1 code of each text (from its first ``SAMPLE_CHARS`` characters); None for a text without letters."""
    identify = _identifier()
    out: list[str | None] = []
    for text in texts:
        sample = text[:SAMPLE_CHARS]
        out.append(identify.classify(sample)[0] if any(ch.isalpha() for ch in sample) else None)
    return out


def model_languages(model: str) -> frozenset[str] | None:
    """Languages an embedding model was trained on: None for a multilingual model (or one we cannot tell),
    {"en"} for the English sentence-transformers models (the default all-MiniLM-L6-v2 among them)."""
    name = model.lower()
    if any(hint in name for hint in _MULTILINGUAL_HINTS):
        return None
    if any(hint in name for hint in ("all-minilm", "all-mpnet", "all-distilroberta", "msmarco", "bge-small-en",
                                     "bge-base-en", "-en-", "-en.", "english")):
        return frozenset({"en"})
    return None


def language_note(languages: Sequence[str | None], model: str) -> str | None:
    """A warning when more than half of the articles are in languages ``model`` was not trained on."""
    known = model_languages(model)
    counted = Counter(lang for lang in languages if lang)
    total = sum(counted.values())
    if known is None or not total:
        return None
    outside = {lang: n for lang, n in counted.items() if lang not in known}
    share = sum(outside.values()) / total
    if share <= 0.5:
        return None
    top = ", ".join(f"{lang} {n}" for lang, n in Counter(outside).most_common(5))
    return (
        f"{share:.0%} of the articles are not in a language the model {model} was trained on ({top}); "
        "matching across them is unreliable: pass --model with a multilingual sentence-transformers folder"
    )
