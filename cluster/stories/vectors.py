"""What an article is to the story steps: its vector (whole or lead), its content text and TF-IDF row, and
a fingerprint of its content (what kept story work depends on)."""

from __future__ import annotations

import hashlib
import logging
import re

import numpy as np
import polars as pl
from scipy import sparse

from cluster.store import release_pages
from cluster.stories.params import _check_doc_ids, _check_n_docs, _check_paragraphs, _check_vec_rows

logger = logging.getLogger(__name__)
_CHUNK = 8192  # paragraph rows (or pairs) at a time: memory stays flat as the corpus grows


# what scraped pages carry as text that no article states its event in: script and markup left in the text,
# and the site's notices about cookies, JavaScript or ad blockers
_CODE = re.compile(
    r"[{}]|\w\([^()]*\)\s*;|\bfunction\s*\(|\bvar\s+\w+\s*=|</?[a-z][a-z0-9]*(?:\s[^>]*)?>|\b(?:window|document)\.\w",
    re.IGNORECASE,
)
_NOTICE = re.compile(
    r"\b(?:(?:we|site|website|this site) uses? cookies|cookie (?:policy|settings|notice|preferences)"
    r"|accept (?:all )?cookies"
    r"|(?:enable|turn on|requires?) javascript|javascript (?:is )?(?:disabled|required|turned off)"
    r"|your browser (?:does not|doesn't|is out of date|is not supported)|ad ?blocker)\b",
    re.IGNORECASE,
)

_CODE_MARKS = ("{", "}", "(", "<", "var", "window.", "document.")
_NOTICE_MARKS = ("cookie", "javascript", "browser", "blocker")


def is_page_noise(text: str) -> bool:
    """Whether a paragraph is script or markup (``mboxCreate('…');``, ``{…}``, tags: a paragraph of up to 300
    characters holding any, or a longer one that starts with it) or a site notice about cookies, JavaScript or
    ad blockers (up to 400 characters): page text no article tells its event in, which the story steps leave
    out of an article's lead vector and its TF-IDF text. A long paragraph of prose with a script tail stays."""
    head = text if len(text) <= 300 else text[:400]  # of a long paragraph only its start counts
    if any(mark in head for mark in _CODE_MARKS):  # a cheap look first: most paragraphs hold none of these
        code = _CODE.search(head)
        if code is not None and (len(text) <= 300 or code.start() < 20):
            return True
    if len(text) > 400:
        return False
    lower = text.lower()
    return any(mark in lower for mark in _NOTICE_MARKS) and _NOTICE.search(text) is not None


def _content(paragraphs: pl.DataFrame) -> pl.Expr:
    """The paragraphs the story steps read: not boilerplate and, where the text is known, not page noise."""
    keep = ~pl.col("is_boilerplate").fill_null(False)
    if "text" in paragraphs.columns:
        keep &= ~pl.col("text").fill_null("").map_elements(is_page_noise, return_dtype=pl.Boolean)
    return keep


def article_vectors(
    vectors: np.ndarray, paragraphs: pl.DataFrame, n_docs: int, lead_chars: int | None = None
) -> np.ndarray:
    """One L2-normalised float32 vector per article.

    The vector is the mean of the article's non-boilerplate paragraph vectors weighted
    by paragraph length (``n_chars``). Paragraphs with a null ``vec_row`` are ignored, and so is page noise
    (:func:`is_page_noise`) when the frame has a ``text`` column.
    With ``lead_chars`` only the first ``lead_chars`` characters of content count (paragraphs in order of
    ``position`` when the frame has it; one cut at the limit counts by the part before it): the lead,
    where an article says what happened. Articles without a usable paragraph get a zero vector.
    """
    if lead_chars is not None and (isinstance(lead_chars, bool) or int(lead_chars) < 1):
        raise ValueError(f"lead_chars must be an int >= 1 or None, got {lead_chars!r}")
    _check_n_docs(n_docs)
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D numpy array, got shape {getattr(vectors, 'shape', None)}")
    _check_paragraphs(paragraphs, ("doc_id", "vec_row", "is_boilerplate", "n_chars"))
    _check_doc_ids(paragraphs, n_docs)
    d = vectors.shape[1]
    usable = paragraphs.filter(pl.col("vec_row").is_not_null() & _content(paragraphs)).select(
        pl.col("doc_id").cast(pl.Int64),
        pl.col("vec_row").cast(pl.Int64),
        pl.col("n_chars").cast(pl.Float64).fill_null(0.0).clip(lower_bound=1.0).alias("w"),
        (pl.col("position") if "position" in paragraphs.columns else pl.int_range(pl.len())).alias("_pos"),
    )
    if lead_chars is not None:
        usable = (
            usable.sort("doc_id", "_pos")
            .with_columns(start=pl.col("w").cum_sum().over("doc_id") - pl.col("w"))
            .with_columns(w=pl.min_horizontal(pl.col("w"), pl.lit(float(lead_chars)) - pl.col("start")))
            .filter(pl.col("w") > 0)
        )
    out = np.zeros((n_docs, d), dtype=np.float64)
    if usable.height:
        rows = usable["vec_row"].to_numpy()
        _check_vec_rows(rows, vectors.shape[0])
        w = usable["w"].to_numpy()
        docs = usable["doc_id"].to_numpy()
        for start in range(0, rows.size, _CHUNK):  # in order, so the sums are those of one np.add.at
            part = slice(start, start + _CHUNK)
            np.add.at(out, docs[part], vectors[rows[part]].astype(np.float64) * w[part, None])
            if start // _CHUNK % 16 == 15:
                release_pages(vectors)  # memory-mapped vectors: only the rows being read stay resident
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    n_empty = int((norms[:, 0] == 0).sum())
    if n_empty:
        logger.info("%d of %d articles have no usable paragraph; they get a zero vector", n_empty, n_docs)
    return out.astype(np.float32)


# a word of three or more letters, or any token holding a digit (numbers, dates, "iPhone6")
_TOKEN = r"(?u)\b(?:\w*\d\w*|\w{3,})\b"


# function words of the languages an English model most often meets in scraped news: shared by any two
# articles in that language, they are no evidence that two articles tell the same event
_FOREIGN_STOP_WORDS = frozenset(
    """
    del los las por con una para como más pero sus le ya muy sin sobre este esta entre cuando también hasta
    desde todo nos durante uno les contra ese eso ante ellos esto antes algunos qué unos otro otras otra
    porque son han fue ser está hay sido tiene puede todos así nada cada tras según
    não uma com dos das mas foi ao ele isso ela entre era depois sem mesmo aos seus quem nas esse eles
    está você essa num nem suas meu às minha têm numa pelos elas qual nós lhe deles essas esses pelas
    este dele tem pela pelo também são ser sobre seu sua ainda quando muito onde até já
    der die und den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er
    hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor
    zur bis mehr durch man sein wurde sei ihre seine ihr kann gegen vom schon wenn habe seiner unter
    les des est une dans par pour qui sur pas plus avec sont ont aux été cette elle mais ses leur fait
    comme tout nous vous ils été sans entre deux aussi peut après même lors dont
    che della per gli delle nel alla sono con dei anche più come dal nella stato una questo sul hanno
    """.split()  # noqa: SIM905
)


def article_texts(paragraphs: pl.DataFrame, n_docs: int) -> list[str] | None:
    """Each article's non-boilerplate paragraph texts in order (page noise left out, :func:`is_page_noise`),
    joined; ``None`` when ``paragraphs`` has no ``text`` column (then no lexical evidence can be drawn)."""
    _check_n_docs(n_docs)
    if "text" not in paragraphs.columns:
        return None
    _check_paragraphs(paragraphs, ("doc_id", "is_boilerplate"))
    _check_doc_ids(paragraphs, n_docs)
    order = [c for c in ("doc_id", "position") if c in paragraphs.columns]
    joined = (
        paragraphs.filter(_content(paragraphs) & pl.col("text").is_not_null())
        .sort(order, maintain_order=True)
        .group_by("doc_id", maintain_order=True)
        .agg(pl.col("text").str.join("\n"))
    )
    out = [""] * n_docs
    for doc, text in joined.iter_rows():
        out[int(doc)] = text
    return out


def lexical_vectors(texts: list[str]) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows (sublinear term frequency, IDF fitted on ``texts`` themselves): a word
    every article uses weighs little, an event's own names, numbers and rare words weigh much. Tokens are
    words of three or more letters and anything holding a digit; English stop words and the commonest
    function words of Spanish, Portuguese, German, French and Italian are dropped. An empty corpus or one
    without any word gives an all-zero matrix."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not any(t.strip() for t in texts):
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    vectoriser = TfidfVectorizer(
        lowercase=True,
        stop_words=sorted(ENGLISH_STOP_WORDS | _FOREIGN_STOP_WORDS),
        sublinear_tf=True,
        token_pattern=_TOKEN,
        dtype=np.float32,
    )
    try:
        return vectoriser.fit_transform(texts).tocsr()
    except ValueError:  # only stop words
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def lexical_scores(lexical: sparse.csr_matrix, doc_a: np.ndarray, doc_b: np.ndarray) -> np.ndarray:
    """TF-IDF cosine of each pair (rows of :func:`lexical_vectors`), one sparse row product per pair."""
    doc_a = np.asarray(doc_a, dtype=np.int64)
    doc_b = np.asarray(doc_b, dtype=np.int64)
    if doc_a.size == 0:
        return np.zeros(0, dtype=np.float64)
    out = np.empty(doc_a.size, dtype=np.float64)
    for start in range(0, doc_a.size, _CHUNK):  # row products are independent: chunks change no value
        a, b = doc_a[start : start + _CHUNK], doc_b[start : start + _CHUNK]
        out[start : start + a.size] = np.asarray(lexical[a].multiply(lexical[b]).sum(axis=1)).ravel()
    return out


def article_fingerprints(paragraphs: pl.DataFrame, n_docs: int) -> list[str]:
    """Per article, a hash of its content paragraphs (text hash and length, in order): what its story work
    depends on ("" for an article without content)."""
    usable = (
        paragraphs.filter(pl.col("vec_row").is_not_null() & ~pl.col("is_boilerplate"))
        .sort("doc_id", "position")
        .group_by("doc_id", maintain_order=True)
        .agg(pl.concat_str(pl.col("hash"), pl.lit(":"), pl.col("n_chars").cast(pl.String)).str.join("|").alias("k"))
    )
    out = [""] * n_docs
    for doc_id, key in usable.iter_rows():
        out[doc_id] = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return out

