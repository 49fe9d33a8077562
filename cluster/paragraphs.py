"""Articles into paragraphs, and which paragraphs are boilerplate.

Boilerplate is flagged, kept in the tables, and left out of matching. Two kinds:
- template lines, recognised alone: scraper debris ("Share", "Advertisement"), all-caps tag lines, bylines,
  credits, copyright lines and newsletter pitches;
- repeated lines: a text found in at least ``min_docs`` articles that share no other substantial paragraph
  with each other (a wire paragraph repeats too, but its articles share the rest of the wire text; a
  substantial text that is an article's only content is a short wire item copied whole, not boilerplate).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from cluster.exact import add_hashes, normalise

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]?\s+(?=[\"“‘(\[]?[A-Z0-9])")

_TEMPLATE = re.compile(
    r"""^(?:
        advertisement|advert|ad|sponsored(?:\ content)?|promoted|
        share(?:\ this(?:\ article|\ story|\ post)?)?(?:\ on\ \w+)?|tweet|e-?mail|print|save|
        comments?|\d+\ comments?|
        (?:related|more|recommended|most\ read|trending)(?:\ (?:articles|stories|news|coverage))?:?|
        (?:read|see)\ (?:more|also)\b.*|continue\ reading\b.*|click\ here\b.*|
        (?:sign\ up|subscribe)\b.*|.*\bnewsletter\b.*|follow\ us\b.*|
        (?:photo|image|picture|video|graphic)s?(?:\ credit)?:.*|.*\b(?:getty\ images|reuters/|ap\ photo)\b.*|
        ©.*|\(c\)\ .*|copyright\b.*|.*\ball\ rights\ reserved\b.*|
        (?:additional\ )?(?:reporting|writing|editing)\ by\b.*|
        (?:updated|published|posted|last\ modified):?\ .{0,40}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_BYLINE = re.compile(r"^By\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}(?:\s*(?:,|and|\||-|–).{0,60})?$")
_TERMINAL = re.compile(r"[.!?:;\"”’)]\s*$")


@dataclass(frozen=True, slots=True)
class BoilerplateParams:
    min_docs: int = 4  # a text repeated in this many unrelated articles is boilerplate
    related_words: int = 15  # paragraphs this long count as shared content when judging relatedness
    sole_words: int = 8  # an article whose only content is one sentence this long is a copied wire item
    max_template_chars: int = 300

    def __post_init__(self) -> None:
        if self.min_docs < 2:
            raise ValueError(f"min_docs must be >= 2, got {self.min_docs}")
        if self.related_words < 1 or self.sole_words < 1:
            raise ValueError("related_words and sole_words must be >= 1")


def split_text(text: str, max_chars: int = 1500, window_chars: int = 600) -> list[str]:
    """Paragraphs of one article: blank lines, or single newlines when that is all there is.

    A paragraph longer than ``max_chars`` is cut into windows of whole sentences of about ``window_chars``.
    """
    if max_chars < 1 or window_chars < 1:
        raise ValueError("max_chars and window_chars must be positive")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    out: list[str] = []
    for block in blocks:
        para = " ".join(line.strip() for line in block.split("\n") if line.strip())
        if not para:
            continue
        out.extend(_windows(para, window_chars) if len(para) > max_chars else [para])
    return out


def _windows(paragraph: str, window_chars: int) -> list[str]:
    windows: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if current and len(current) + 1 + len(sentence) > window_chars:
            windows.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        windows.append(current)
    return windows


def split_paragraphs(documents: pl.DataFrame, max_chars: int = 1500) -> pl.DataFrame:
    """One row per paragraph: ``para_id`` (dense), ``doc_id``, ``id``, ``position``, ``text``, ``n_chars``, ``hash``."""
    doc_ids: list[int] = []
    ids: list[str] = []
    positions: list[int] = []
    texts: list[str] = []
    for doc_id, article_id, text in documents.select("doc_id", "id", "text").iter_rows():
        for position, para in enumerate(split_text(text, max_chars)):
            doc_ids.append(doc_id)
            ids.append(article_id)
            positions.append(position)
            texts.append(para)
    frame = pl.DataFrame(
        {"doc_id": doc_ids, "id": ids, "position": positions, "text": texts},
        schema={"doc_id": pl.Int64, "id": pl.String, "position": pl.Int64, "text": pl.String},
    )
    frame = frame.with_row_index("para_id").with_columns(
        pl.col("para_id").cast(pl.Int64), pl.col("text").str.len_chars().cast(pl.Int64).alias("n_chars")
    )
    return add_hashes(frame)


def template_reason(text: str, max_chars: int = 300) -> str | None:
    """Why a paragraph is boilerplate on its own, or ``None``."""
    stripped = text.strip()
    norm = normalise(stripped)
    if not norm:
        return "empty"
    if len(stripped) > max_chars:
        return None
    if _TEMPLATE.match(stripped) or _BYLINE.match(stripped):
        return "template"
    words = norm.split()
    ended = bool(_TERMINAL.search(stripped))
    if len(words) >= 2 and len(stripped) <= 120 and not ended:  # only then count the letters
        letters = [ch for ch in stripped if ch.isalpha()]
        if sum(ch.isupper() for ch in letters) >= 0.9 * len(letters):
            return "tag_line"
    if len(words) <= 3 and not ended:
        return "fragment"
    return None


def flag_boilerplate(paragraphs: pl.DataFrame, params: BoilerplateParams = BoilerplateParams()) -> pl.DataFrame:
    """Add ``is_boilerplate`` and ``boilerplate_reason`` (template, tag_line, fragment, empty, repeated)."""
    return flag_repeated(flag_templates(paragraphs, params), params)


def flag_templates(paragraphs: pl.DataFrame, params: BoilerplateParams = BoilerplateParams()) -> pl.DataFrame:
    """Add ``boilerplate_reason``: the verdict of :func:`template_reason` on each paragraph alone."""
    return paragraphs.with_columns(
        pl.col("text")
        .map_elements(lambda t: template_reason(t, params.max_template_chars), return_dtype=pl.String)
        .alias("boilerplate_reason")
    )


def flag_repeated(paragraphs: pl.DataFrame, params: BoilerplateParams = BoilerplateParams()) -> pl.DataFrame:
    """Paragraphs with their template verdicts (:func:`flag_templates`): add the corpus-wide verdict
    "repeated" (:func:`repeated_unrelated`) and ``is_boilerplate``."""
    repeated = repeated_unrelated(paragraphs, params)
    flagged = paragraphs.with_columns(
        pl.when(pl.col("boilerplate_reason").is_null() & pl.col("hash").is_in(repeated.implode()))
        .then(pl.lit("repeated"))
        .otherwise(pl.col("boilerplate_reason"))
        .alias("boilerplate_reason")
    )
    return flagged.with_columns(pl.col("boilerplate_reason").is_not_null().alias("is_boilerplate"))


_JUDGED = ["doc_id", "id", "position", "text", "n_chars", "hash", "boilerplate_reason"]


def judged_paragraphs(
    documents: pl.DataFrame,
    max_chars: int = 1500,
    params: BoilerplateParams = BoilerplateParams(),
    kept: pl.DataFrame | None = None,
    dirty: np.ndarray | None = None,
) -> pl.DataFrame:
    """:func:`split_paragraphs` and :func:`flag_templates` of ``documents``.

    ``kept``: the paragraphs (split, hash, template verdicts) of an earlier call on the same documents but
    for the articles in ``dirty`` (doc_ids changed or new since); only those are split and judged again, the
    others keep their rows (a "repeated" verdict is dropped: it is judged again over the whole corpus).
    ``para_id`` follows (doc_id, position).
    """
    if kept is None:
        return flag_templates(split_paragraphs(documents, max_chars), params)
    is_dirty = pl.col("doc_id").is_in(pl.Series(dirty if dirty is not None else [], dtype=pl.Int64).implode())
    fresh = flag_templates(split_paragraphs(documents.filter(is_dirty), max_chars), params).select(_JUDGED)
    unchanged = kept.filter(~is_dirty).with_columns(
        pl.when(pl.col("boilerplate_reason") == "repeated").then(None).otherwise(pl.col("boilerplate_reason"))
        .alias("boilerplate_reason")
    )
    return (
        pl.concat([unchanged.select(_JUDGED), fresh])
        .sort("doc_id", "position")
        .with_row_index("para_id")
        .with_columns(pl.col("para_id").cast(pl.Int64))
    )


_WORD = re.compile(r"\w+")
SKETCH_SHINGLE = 8  # words per shingle
SKETCH_SIZE = 8  # smallest shingle hashes kept per text
SKETCH_MATCH = 5  # sketch values two texts share to count as copies (word 8-gram Jaccard about 0.6 and up)


def _sketch(text: str) -> list[int]:
    """The smallest hashes of a text's word 8-grams (lower case, punctuation dropped): two copies of one
    paragraph that differ by a few typos still share some of them."""
    words = _WORD.findall(text.lower())
    n = SKETCH_SHINGLE
    grams = {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}
    hashes = sorted(int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") for g in grams)
    return hashes[:SKETCH_SIZE]


def repeated_unrelated(paragraphs: pl.DataFrame, params: BoilerplateParams) -> pl.Series:
    """Hashes found in ``min_docs`` or more articles, most of which share no other substantial text.

    Article d holding text t is *related* (through t's group) when d also holds a substantial text h that at
    least one other article holding t holds too, letter for letter or as a near copy (``SKETCH_MATCH`` of the
    values of :func:`_sketch` shared), or when t is d's only content. Boilerplate: fewer than half of t's
    articles are related.
    """
    usable = paragraphs.filter(pl.col("boilerplate_reason").is_null()).select("doc_id", "hash", "text").unique(
        ["doc_id", "hash"]
    )
    counts = usable.group_by("hash").agg(pl.len().alias("n_docs"))
    candidates = counts.filter(pl.col("n_docs") >= params.min_docs)
    if candidates.is_empty():
        return pl.Series("hash", [], dtype=pl.String)
    members = usable.join(candidates, on="hash").select("hash", "doc_id", "n_docs")
    # substantial texts of those articles, as sketches robust to a typo (a copy's other paragraphs rarely come
    # through letter for letter): (doc_id, other = the text's hash, key = one of its shingle sketch values)
    held = (
        usable.join(members.select("doc_id").unique(), on="doc_id")
        .filter(pl.col("text").str.count_matches(r"\S+") >= params.related_words)
    )
    sketches = held.select("text").unique().with_columns(  # one sketch per text, however many articles hold it
        pl.col("text").map_elements(_sketch, return_dtype=pl.List(pl.UInt64)).alias("key")
    )
    substantial = (
        held.join(sketches, on="text").select("doc_id", pl.col("hash").alias("other"), "key").explode("key")
    )
    # (t, d, h): d holds candidate t and substantial text h != t; d is related through h when another
    # article holding t holds h or a near copy of it: at least SKETCH_MATCH of their sketch values agree
    triples = members.join(substantial, on="doc_id").filter(pl.col("hash") != pl.col("other"))
    matched = (
        triples.join(triples, on=["hash", "key"], suffix="_b")
        .filter(pl.col("doc_id") != pl.col("doc_id_b"))
        .group_by("hash", "doc_id", "other", "doc_id_b", "other_b")
        .agg(pl.len().alias("shared"))
    )
    related_docs = matched.filter(pl.col("shared") >= SKETCH_MATCH).select("hash", "doc_id").unique()
    # an article whose only content is t (a short wire item copied whole) is related through t itself, when
    # t is a sentence: a bare repeated line ("Click to subscribe") alone on a page stays boilerplate
    # (only lines that could be such an item count as content: a share bar or a tag line beside it does not)
    words = pl.col("text").str.count_matches(r"\S+")
    sentence = pl.col("text").str.contains(_TERMINAL.pattern)
    item = (words >= params.related_words) | (words >= params.sole_words) & sentence
    sole = (
        usable.filter(item)
        .group_by("doc_id")
        .agg(pl.len().alias("_n"), pl.col("hash").first())
        .filter(pl.col("_n") == 1)
        .select("hash", "doc_id")
    )
    related = (
        pl.concat([related_docs, sole.join(members.select("hash").unique(), on="hash")])
        .unique()
        .group_by("hash")
        .agg(pl.len().alias("n_related"))
    )
    judged = members.select("hash", "n_docs").unique().join(related, on="hash", how="left").with_columns(
        pl.col("n_related").fill_null(0)
    )
    return judged.filter(pl.col("n_related") * 2 < pl.col("n_docs"))["hash"]
