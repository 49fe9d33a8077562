"""Near-duplicate passages: groups of paragraphs that are copies of one text, without transitive chaining.

Grouping is star clustering over the neighbour graph of distinct texts: texts are visited by decreasing
number of neighbours; an unassigned text becomes a centre and takes every unassigned neighbour within the
threshold. Each member is within the threshold of its centre, so a chain a≈b≈c≈…≈z never joins a and z
unless both are close to one centre. Deterministic: ties break on the smaller text id.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from cluster.exact import normalise
from cluster.schemas import PAIRS, PASSAGES, conform

_MAX_SHINGLED = 20_000  # texts whose gram sets char_overlap_sets keeps at once
_MAX_GRAMS = 24_000_000  # grams (8 bytes each) char_overlap keeps at once
_PAIRS_PER_MERGE = 8_192  # pairs whose shared grams one merge counts


def char_overlap(
    texts: Sequence[str], left: np.ndarray, right: np.ndarray, size: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """(containment, coverage) per pair over character ``size``-grams of the normalised texts.

    containment: share of the smaller text's grams found in the other; coverage: share of the larger
    text's grams found in the smaller. Embeddings blur typos, OCR noise and cut endings; shared character
    runs do not. Coverage keeps a short line that merely quotes a phrase of a long paragraph from counting
    as a copy of it. Only the texts named in the pairs are shingled.

    Each gram is packed exactly into an integer (the characters' ranks in the texts' alphabet), each text is a
    sorted array of its distinct grams, and the grams two texts share are counted for thousands of pairs at
    once by one merge: the same figures as :func:`char_overlap_sets`, the set-by-set reference, which runs
    instead when the alphabet is too large to pack (more than ``2 ** 10`` distinct characters).
    """
    return _overlap(texts, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64), size, 0.0)


def _overlap(
    texts: Sequence[str], left: np.ndarray, right: np.ndarray, size: int, min_ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`char_overlap`, less the pairs whose gram counts alone put their coverage below ``min_ratio``
    (the smaller text has fewer than ``min_ratio`` of the larger's grams): those get the upper bounds
    (containment 1, coverage = smaller / larger count) without their grams being compared."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    needed = np.unique(np.concatenate([left, right]))
    normalised = [normalise(texts[i]) for i in needed.tolist()]
    alphabet = sorted(set().union(*normalised))
    bits = max(1, len(alphabet).bit_length())  # rank 0 pads a text shorter than a gram
    pair_bits = 63 - size * bits
    if pair_bits < 13:
        return char_overlap_sets(texts, left, right, size)
    grams = _GramArrays(normalised, alphabet, size, bits)
    at_a, at_b = np.searchsorted(needed, left), np.searchsorted(needed, right)
    na, nb = grams.counts[at_a], grams.counts[at_b]
    small, large = np.minimum(na, nb), np.maximum(na, nb)
    shared = small.astype(np.float64)  # the upper bound, kept for the pairs not compared
    todo = np.flatnonzero(small >= min_ratio * large) if min_ratio > 0 else np.arange(len(left))
    step = min(_PAIRS_PER_MERGE, 1 << (pair_bits - 1))
    for lo in range(0, len(todo), step):
        rows = todo[lo : lo + step]
        pair = np.arange(len(rows), dtype=np.int64) << (size * bits)
        keys_a = np.concatenate(grams.take(at_a[rows])) | np.repeat(pair, na[rows])  # by pair, then by gram
        keys_b = np.concatenate(grams.take(at_b[rows])) | np.repeat(pair, nb[rows])
        merged = np.sort(np.concatenate([keys_a, keys_b]), kind="stable")  # two sorted runs: one merge
        twice = merged[1:][merged[1:] == merged[:-1]]  # a gram of one pair in both texts
        shared[rows] = np.bincount(twice >> (size * bits), minlength=len(rows))
    contained = (shared / np.maximum(1, small)).astype(np.float32)
    covered = (shared / np.maximum(1, large)).astype(np.float32)
    return contained, covered


class _GramArrays:
    """Each text's distinct character grams as a sorted int64 array (``counts``: how many); the arrays of the
    first texts are kept up to ``_MAX_GRAMS`` grams in all, the others are built again when asked for
    (memory stays flat at any corpus size)."""

    def __init__(self, normalised: list[str], alphabet: list[str], size: int, bits: int) -> None:
        self.normalised, self.size, self.bits = normalised, size, bits
        self.table = np.zeros(max(map(ord, alphabet), default=0) + 1, dtype=np.int64)
        self.table[[ord(ch) for ch in alphabet]] = np.arange(1, len(alphabet) + 1)
        self.kept: dict[int, np.ndarray] = {}
        self.counts = np.zeros(len(normalised), dtype=np.int64)
        held = 0
        for i, t in enumerate(normalised):
            grams = self._grams(t)
            self.counts[i] = len(grams)
            if held + len(grams) <= _MAX_GRAMS:
                self.kept[i] = grams
                held += len(grams)

    def take(self, positions: np.ndarray) -> list[np.ndarray]:
        kept = self.kept
        return [kept[i] if i in kept else self._grams(self.normalised[i]) for i in positions.tolist()]

    def _grams(self, t: str) -> np.ndarray:
        codes = self.table[np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32)] if t else np.zeros(0, np.int64)
        if len(codes) < self.size:  # the whole text is its one gram, padded with rank 0
            codes = np.concatenate([codes, np.zeros(self.size - len(codes), dtype=np.int64)])
        n = len(codes) - self.size + 1
        packed = codes[:n].copy()
        for k in range(1, self.size):
            packed = (packed << self.bits) | codes[k : k + n]
        packed.sort()
        return packed[np.concatenate([[True], packed[1:] != packed[:-1]])]


def char_overlap_sets(
    texts: Sequence[str], left: np.ndarray, right: np.ndarray, size: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`char_overlap` with Python sets of gram strings, pair by pair: the reference (and the path for
    texts of a very large alphabet)."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    grams: dict[int, set[str]] = {}

    def shingles(i: int) -> set[str]:
        if i not in grams:
            if len(grams) >= _MAX_SHINGLED:  # a set of grams costs ~10 KB: memory stays flat at any corpus size
                grams.clear()
            t = normalise(texts[i])
            grams[i] = {t[j : j + size] for j in range(max(1, len(t) - size + 1))}
        return grams[i]

    contained = np.empty(len(left), dtype=np.float32)
    covered = np.empty(len(left), dtype=np.float32)
    for n, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        sa, sb = shingles(a), shingles(b)
        shared = len(sa & sb)
        small, large = sorted((len(sa), len(sb)))
        contained[n] = shared / max(1, small)
        covered[n] = shared / max(1, large)
    return contained, covered


def passage_scores(
    texts: Sequence[str],
    left: np.ndarray,
    right: np.ndarray,
    cosine: np.ndarray,
    threshold: float,
    min_containment: float,
    min_coverage: float = 0.0,
) -> np.ndarray:
    """Cosine, raised to ``threshold`` for pairs below it whose character containment is ``min_containment``+
    and coverage ``min_coverage``+ (see :func:`char_overlap`).

    A paragraph cut short, retyped with typos or scanned with OCR noise keeps most of its character runs
    while its embedding drifts; such a pair is a near-duplicate all the same.
    """
    out = cosine.astype(np.float32).copy()
    band = np.flatnonzero(cosine < threshold)
    if len(band) and min_containment <= 1.0:
        # a pair whose smaller text has under min_coverage of the larger's grams cannot be covered: its grams
        # are not compared (the margin keeps float32 rounding of the coverage from deciding it)
        ratio = max(0.0, min_coverage - 1e-6)
        contained, covered = _overlap(texts, left[band].astype(np.int64), right[band].astype(np.int64), 5, ratio)
        out[band[(contained >= min_containment) & (covered >= min_coverage)]] = threshold
    return out


def star_clusters(
    n: int, left: np.ndarray, right: np.ndarray, score: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(centre of each node, cosine of each node to its centre); a node alone is its own centre (cosine 1)."""
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [-1, 1], got {threshold}")
    if not len(left) == len(right) == len(score):
        raise ValueError("left, right and score must have the same length")
    keep = score >= threshold
    src = np.concatenate([left[keep], right[keep]]).astype(np.int64)
    dst = np.concatenate([right[keep], left[keep]]).astype(np.int64)
    sim = np.concatenate([score[keep], score[keep]]).astype(np.float32)
    if len(src) and (src.max() >= n or src.min() < 0):
        raise ValueError("pair ids out of range")
    degree = np.bincount(src, minlength=n)
    strength = np.bincount(src, weights=sim, minlength=n)
    visit = np.lexsort((np.arange(n), -strength, -degree))
    by_src = np.lexsort((-sim, src))
    src, dst, sim = src[by_src], dst[by_src], sim[by_src]
    starts = np.searchsorted(src, np.arange(n + 1))
    centre = np.full(n, -1, dtype=np.int64)
    to_centre = np.ones(n, dtype=np.float32)
    for node in visit:
        if centre[node] >= 0:
            continue
        centre[node] = node
        lo, hi = starts[node], starts[node + 1]
        nbrs, sims = dst[lo:hi], sim[lo:hi]
        free = centre[nbrs] < 0
        centre[nbrs[free]] = node
        to_centre[nbrs[free]] = sims[free]
    return centre, to_centre


def assign_passages(
    paragraphs: pl.DataFrame, centre: np.ndarray, to_centre: np.ndarray
) -> pl.DataFrame:
    """Give every paragraph a ``passage_id`` (dense, in order of first appearance).

    Content paragraphs share a passage when their texts share a centre; boilerplate paragraphs are grouped
    by exact text.
    """
    by_text = pl.DataFrame(
        {
            "text_id": np.arange(len(centre), dtype=np.int64),
            "_centre": centre,
            "_to_centre": to_centre,
        }
    )
    keyed = paragraphs.drop("passage_id", "_to_centre", strict=False).join(by_text, on="text_id", how="left")
    keyed = keyed.with_columns(
        pl.when(pl.col("_centre").is_not_null())
        .then(pl.format("t{}", pl.col("_centre")))
        .otherwise(pl.format("h{}", pl.col("hash")))
        .alias("_key")
    )
    firsts = keyed.group_by("_key").agg(pl.col("para_id").min().alias("_first")).sort("_first")
    firsts = firsts.with_row_index("passage_id").with_columns(pl.col("passage_id").cast(pl.Int64))
    return (
        keyed.join(firsts.select("_key", "passage_id"), on="_key")
        .sort("para_id")
        .drop("_key", "_centre")
        .rename({"_to_centre": "to_centre"})
    )


def passage_table(paragraphs: pl.DataFrame, doc_rank: pl.DataFrame) -> pl.DataFrame:
    """One row per passage. ``doc_rank`` (doc_id, rank) orders articles by earliest published, then reading order."""
    ranked = paragraphs.join(doc_rank, on="doc_id")
    centres = (
        ranked.sort("to_centre", "para_id", descending=[True, False], nulls_last=True)
        .group_by("passage_id")
        .agg(pl.col("text").first())
    )
    table = ranked.group_by("passage_id").agg(
        pl.len().alias("n_paragraphs"),
        pl.col("doc_id").n_unique().alias("n_docs"),
        pl.col("hash").n_unique().alias("n_texts"),
        pl.col("to_centre").min().fill_null(1.0).alias("min_cosine"),
        pl.col("is_boilerplate").all().alias("is_boilerplate"),
        pl.col("id").sort_by("rank").first().alias("first_id"),
    )
    return conform(table.join(centres, on="passage_id").sort("passage_id"), PASSAGES)


def pair_table(
    paragraphs: pl.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    match: np.ndarray | None = None,
    *,
    near_duplicate: float,
    paraphrase: float,
) -> pl.DataFrame:
    """Matched paragraph pairs with the reason they matched.

    A text-level neighbour pair is shown between the first paragraphs holding each text; every further
    paragraph with the same normalised text is paired with that first one as ``exact``. ``match`` (default:
    the cosine) decides ``near_duplicate``, so pairs joined by character containment are named so.
    """
    content = paragraphs.filter(pl.col("text_id").is_not_null())
    first = content.group_by("text_id").agg(pl.col("para_id").min().alias("rep"), pl.col("id").first())
    first = first.sort("text_id")
    n_texts = int(content["text_id"].to_numpy().max()) + 1 if content.height else 0
    rep = np.full(n_texts, -1, dtype=np.int64)
    rep[first["text_id"].to_numpy()] = first["rep"].to_numpy()
    match = score if match is None else match
    near = pl.DataFrame(
        {"para_left": rep[left], "para_right": rep[right], "cosine": score.astype(np.float32), "_m": match},
        schema={"para_left": pl.Int64, "para_right": pl.Int64, "cosine": pl.Float32, "_m": pl.Float32},
    ).with_columns(
        pl.when(pl.col("_m") >= near_duplicate)
        .then(pl.lit("near_duplicate"))
        .when(pl.col("cosine") >= paraphrase)
        .then(pl.lit("paraphrase"))
        .otherwise(pl.lit("related"))
        .alias("relation")
    ).drop("_m")
    exact = (
        content.join(first.select("text_id", "rep"), on="text_id")
        .filter(pl.col("para_id") != pl.col("rep"))
        .select(
            pl.col("rep").alias("para_left"),
            pl.col("para_id").alias("para_right"),
            pl.lit(1.0, dtype=pl.Float32).alias("cosine"),
            pl.lit("exact").alias("relation"),
        )
    )
    ids = paragraphs.select("para_id", "id")
    pairs = pl.concat([exact, near]).with_columns(
        pl.min_horizontal("para_left", "para_right").alias("para_left"),
        pl.max_horizontal("para_left", "para_right").alias("para_right"),
    )
    pairs = (
        pairs.join(ids.rename({"para_id": "para_left", "id": "id_left"}), on="para_left")
        .join(ids.rename({"para_id": "para_right", "id": "id_right"}), on="para_right")
        .sort("para_left", "para_right")
    )
    return conform(pairs, PAIRS)
