"""Tests for cluster/stories.py: hand-built vectors with known answers, no model."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cluster.stories import (
    StoryParams,
    article_fingerprints,
    article_texts,
    article_vectors,
    average_linkage,
    build_stories,
    build_stories_kept,
    cluster_stories,
    cut_merges,
    cut_stories,
    event_edges,
    event_evidence,
    is_page_noise,
    join_orphans,
    lexical_scores,
    lexical_vectors,
    linkage_merges,
    paragraph_match,
    passage_edges,
    story_edges,
)

SCHEMA = {
    "doc_id": pl.Int64,
    "vec_row": pl.Int64,
    "is_boilerplate": pl.Boolean,
    "n_chars": pl.Int64,
    "passage_id": pl.Int64,
}


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def one_para_per_doc(n: int, passage_ids: list[int] | None = None) -> pl.DataFrame:
    """Doc i has one paragraph, vector row i, its own passage unless given."""
    return pl.DataFrame(
        {
            "doc_id": list(range(n)),
            "vec_row": list(range(n)),
            "is_boilerplate": [False] * n,
            "n_chars": [100] * n,
            "passage_id": passage_ids if passage_ids is not None else list(range(n)),
        },
        schema=SCHEMA,
    )


def groups(n_groups: int, per: int, d: int = 16, noise: float = 0.05, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.eye(d, dtype=np.float32)[:n_groups]
    return unit(np.repeat(centres, per, axis=0) + noise * rng.standard_normal((n_groups * per, d)))


# ------------------------------------------------------------ article_vectors
def test_article_vectors_length_weighted_and_skips_boilerplate_and_null() -> None:
    vectors = unit(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32))
    paras = pl.DataFrame(
        {
            "doc_id": [0, 0, 0, 1, 2],
            "vec_row": [0, 1, 2, None, 2],
            "is_boilerplate": [False, False, True, False, True],
            "n_chars": [300, 100, 5000, 50, 40],
            "passage_id": [0, 1, 2, 3, 2],
        },
        schema=SCHEMA,
    )
    out = article_vectors(vectors, paras, 4)
    assert out.shape == (4, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], unit(np.array([3.0, 1.0, 0.0])), atol=1e-6)
    # doc 1 only has a null vec_row, doc 2 only boilerplate, doc 3 no paragraphs at all
    np.testing.assert_array_equal(out[1:], np.zeros((3, 3), dtype=np.float32))


def test_article_vectors_rejects_bad_rows_and_doc_ids() -> None:
    vectors = unit(np.eye(3))
    with pytest.raises(ValueError, match="vec_row must lie in"):
        article_vectors(vectors, one_para_per_doc(4), 4)
    with pytest.raises(ValueError, match="doc_id must lie in"):
        article_vectors(vectors, one_para_per_doc(3), 2)
    with pytest.raises(ValueError, match="missing required column"):
        article_vectors(vectors, one_para_per_doc(3).drop("n_chars"), 3)
    with pytest.raises(ValueError, match="2-D"):
        article_vectors(vectors[0], one_para_per_doc(3), 3)


# ------------------------------------------------------------ story_edges
def test_story_edges_schema_order_and_threshold() -> None:
    docs = groups(2, 3)
    edges = story_edges(docs, one_para_per_doc(6), k=5, threshold=0.8, passage_weight=0.0)
    assert edges.schema == pl.Schema({"doc_a": pl.Int64, "doc_b": pl.Int64, "weight": pl.Float64})
    assert (edges["doc_a"] < edges["doc_b"]).all()
    pairs = set(zip(edges["doc_a"].to_list(), edges["doc_b"].to_list(), strict=True))
    assert pairs == {(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)}
    assert edges.select(pl.len()).item() == edges.unique(["doc_a", "doc_b"]).height


def test_story_edges_k_limits_neighbours() -> None:
    docs = groups(1, 6, noise=0.01)
    edges = story_edges(docs, one_para_per_doc(6), k=1, threshold=-1.0, passage_weight=0.0)
    # each doc contributes at most one neighbour: at most 6 undirected pairs, not 15
    assert 3 <= edges.height <= 6


def test_passage_edges_weight_is_share_of_shorter_article() -> None:
    paras = pl.DataFrame(
        {
            "doc_id": [0, 0, 1, 1, 1],
            "vec_row": [0, 1, 2, 3, 4],
            "is_boilerplate": [False] * 5,
            "n_chars": [100, 100, 100, 200, 300],
            "passage_id": [7, 8, 7, 9, 10],
        },
        schema=SCHEMA,
    )
    e = passage_edges(paras)
    assert e.rows() == [(0, 1, pytest.approx(0.5))]


def test_passage_edges_skip_boilerplate_and_very_common_passages() -> None:
    n = 6
    paras = one_para_per_doc(n, passage_ids=[1] * n)
    assert passage_edges(paras, max_docs_per_passage=n).height == n * (n - 1) // 2
    assert passage_edges(paras, max_docs_per_passage=n - 1).height == 0
    assert passage_edges(paras.with_columns(is_boilerplate=pl.lit(True))).height == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0, "threshold": 0.5}, "k must be an int >= 1"),
        ({"k": 3, "threshold": 1.5}, r"threshold must lie in \[-1, 1\]"),
        ({"k": 3, "threshold": -1.01}, r"threshold must lie in \[-1, 1\]"),
        ({"k": 3, "threshold": 0.5, "passage_weight": -1.0}, "passage_weight must be >= 0"),
    ],
)
def test_story_edges_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        story_edges(groups(2, 3), one_para_per_doc(6), **kwargs)


def test_story_edges_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="doc_id must lie in"):
        story_edges(groups(2, 3)[:4], one_para_per_doc(6), k=3, threshold=0.5)


# ------------------------------------------------------------ cluster_stories
def test_three_tight_groups_give_three_stories() -> None:
    docs = groups(3, 5)
    paras = one_para_per_doc(15)
    labels = build_stories(docs, paras, 15)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, np.repeat([0, 1, 2], 5))


def test_one_tight_group_stays_one_story() -> None:
    # a corpus holding a single story must not be split (modularity with resolution > 1 would)
    docs = groups(1, 3)
    np.testing.assert_array_equal(build_stories(docs, one_para_per_doc(3), 3), [0, 0, 0])


def test_paragraph_match_sees_shared_paragraphs_despite_far_means() -> None:
    # doc 0 = [x, y], doc 1 = [x, z]: one identical paragraph, the other orthogonal
    vectors = unit(np.eye(3))
    paras = pl.DataFrame(
        {
            "doc_id": [0, 0, 1, 1, 2],
            "vec_row": [0, 1, 0, 2, 2],
            "is_boilerplate": [False, False, False, False, True],
            "n_chars": [100, 300, 100, 100, 100],
            "passage_id": [0, 1, 0, 2, 2],
        },
        schema=SCHEMA,
    )
    got = paragraph_match(vectors, paras, np.array([0, 0]), np.array([1, 2]))
    # a->b: x matches 1 (w 100), y matches 0 (w 300) -> 0.25; b->a: x 1, z 0 -> 0.5
    np.testing.assert_allclose(got, [0.375, 0.0])


def test_shared_passages_join_articles_whose_means_are_apart() -> None:
    # docs 0-2 are a tight group; doc 3 is at cosine ~0.42 to them, below the kNN threshold,
    # but half of doc 3's text is a passage that docs 0-2 also carry
    angles = np.deg2rad([0, 3, 6, 68])
    docs = unit(np.column_stack([np.cos(angles), np.sin(angles), np.zeros(4)]))
    params = StoryParams(k=3, threshold=0.5, passage_weight=1.0, resolution=0.5)
    assert float(docs[2] @ docs[3]) < params.threshold
    shared = pl.DataFrame(
        {
            "doc_id": [0, 1, 2, 3, 3],
            "vec_row": [0, 1, 2, 3, 3],
            "is_boilerplate": [False] * 5,
            "n_chars": [100] * 5,
            "passage_id": [0, 0, 0, 0, 5],
        },
        schema=SCHEMA,
    )
    alone = shared.with_columns(passage_id=pl.Series([0, 1, 2, 3, 5]))

    def labels(paras: pl.DataFrame) -> np.ndarray:
        edges = story_edges(docs, paras, k=params.k, threshold=params.threshold)
        return cluster_stories(4, edges, resolution=params.resolution, seed=0)

    np.testing.assert_array_equal(labels(alone), [0, 0, 0, 1])
    np.testing.assert_array_equal(labels(shared), [0, 0, 0, 0])


def test_chain_is_not_forced_into_one_story() -> None:
    # two dense groups {0..3} and {4..7} joined by a single weaker bridge 3~4
    rows = [(a, b, 0.9) for a in range(4) for b in range(a + 1, 4)]
    rows += [(a, b, 0.9) for a in range(4, 8) for b in range(a + 1, 8)]
    rows += [(3, 4, 0.6)]
    edges = pl.DataFrame(rows, schema=["doc_a", "doc_b", "weight"], orient="row").cast(
        {"doc_a": pl.Int64, "doc_b": pl.Int64}
    )
    labels = cluster_stories(8, edges, resolution=StoryParams().resolution, seed=0)
    np.testing.assert_array_equal(labels, [0, 0, 0, 0, 1, 1, 1, 1])


def test_chain_of_vectors_splits_into_two() -> None:
    # a~b~c~d on a quarter circle: a and d are orthogonal; two tight pairs with a weak link
    angles = np.deg2rad([0, 10, 80, 90])
    docs = unit(np.column_stack([np.cos(angles), np.sin(angles), np.zeros(4)]))
    labels = build_stories(docs, one_para_per_doc(4), 4, StoryParams(k=3, threshold=0.0))
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[3]


def test_isolated_docs_get_own_story_and_first_appearance_order() -> None:
    edges = pl.DataFrame(
        {"doc_a": [1, 2], "doc_b": [3, 4], "weight": [1.0, 1.0]},
        schema={"doc_a": pl.Int64, "doc_b": pl.Int64, "weight": pl.Float64},
    )
    labels = cluster_stories(6, edges, resolution=0.5, seed=0)
    np.testing.assert_array_equal(labels, [0, 1, 2, 1, 2, 3])


def test_determinism() -> None:
    docs = groups(4, 6, noise=0.4, seed=3)
    paras = one_para_per_doc(24)
    first = build_stories(docs, paras, 24)
    for _ in range(3):
        np.testing.assert_array_equal(build_stories(docs, paras, 24), first)


def test_zero_vector_docs_are_singletons() -> None:
    docs = groups(1, 3)
    docs = np.vstack([docs, np.zeros((1, docs.shape[1]), dtype=np.float32)])
    labels = build_stories(docs, one_para_per_doc(4), 4)
    np.testing.assert_array_equal(labels, [0, 0, 0, 1])


def test_cluster_stories_bad_arguments() -> None:
    good = pl.DataFrame(
        {"doc_a": [0], "doc_b": [1], "weight": [1.0]},
        schema={"doc_a": pl.Int64, "doc_b": pl.Int64, "weight": pl.Float64},
    )
    with pytest.raises(ValueError, match=r"endpoints must lie in \[0, 1\)"):
        cluster_stories(1, good, resolution=0.5)
    with pytest.raises(ValueError, match="doc_a < doc_b"):
        cluster_stories(2, good.select(doc_a="doc_b", doc_b="doc_a", weight="weight"), resolution=0.5)
    with pytest.raises(ValueError, match="resolution must be >= 0"):
        cluster_stories(2, good, resolution=-0.1)
    with pytest.raises(ValueError, match="n_docs must be a non-negative int"):
        cluster_stories(-1, good, resolution=0.5)
    with pytest.raises(ValueError, match="missing required column"):
        cluster_stories(2, good.drop("weight"), resolution=0.5)


def test_story_params_is_frozen() -> None:
    p = StoryParams()
    with pytest.raises(AttributeError):
        p.k = 3  # type: ignore[misc]


# ------------------------------------------------------------ kept work (a living index)
def with_keys(paras: pl.DataFrame, vectors: np.ndarray) -> pl.DataFrame:
    """Add what fingerprints read: a content hash (here of the vector) and a position."""
    keys = [vectors[r].tobytes().hex()[:32] for r in paras["vec_row"].to_list()]
    return paras.with_columns(pl.Series("hash", keys), pl.lit(0, dtype=pl.Int64).alias("position"))


LEIDEN = StoryParams(k=15, threshold=0.5, passage_weight=0.5, quality="modularity", resolution=1.0)


def test_build_stories_kept_with_nothing_kept_is_build_stories() -> None:  # the Leiden method: scores kept
    vectors = groups(4, 6, noise=0.4, seed=3)
    paras = with_keys(one_para_per_doc(24), vectors)
    labels, work = build_stories_kept(vectors, paras, 24, LEIDEN)
    np.testing.assert_array_equal(labels, build_stories(vectors, paras, 24, LEIDEN))
    assert len(work.fingerprints) == 24 and work.doc_vectors.shape == (24, 16)
    assert work.rescored == work.scores.height > 0


def test_kept_work_rescored_only_for_changed_articles_gives_the_same_stories() -> None:
    vectors = groups(4, 6, noise=0.3, seed=5)
    paras = with_keys(one_para_per_doc(24), vectors)
    _, kept = build_stories_kept(vectors[:20], paras.filter(pl.col("doc_id") < 20), 20, LEIDEN)
    changed = vectors.copy()
    changed[3] = groups(4, 6, noise=0.3, seed=9)[20]  # article 3 rewritten: now in another story
    paras = with_keys(one_para_per_doc(24), changed)
    labels, work = build_stories_kept(changed, paras, 24, LEIDEN, kept=kept)
    fresh, fresh_work = build_stories_kept(changed, paras, 24, LEIDEN)
    np.testing.assert_array_equal(labels, fresh)
    np.testing.assert_array_equal(work.doc_vectors, fresh_work.doc_vectors)
    assert work.scores.select("doc_a", "doc_b").equals(fresh_work.scores.select("doc_a", "doc_b"))
    # the same up to float32 rounding: paragraph_match multiplies in other blocks when fewer pairs are scored
    np.testing.assert_allclose(work.scores["score"].to_numpy(), fresh_work.scores["score"].to_numpy(), atol=1e-6)
    assert 0 < work.rescored < fresh_work.rescored  # only pairs with article 3 or a new one are scored again
    assert article_fingerprints(paras, 24)[:3] == kept.fingerprints[:3] and work.fingerprints[3] != kept.fingerprints[3]


def test_kept_lead_vectors_give_the_default_method_s_stories() -> None:
    vectors = groups(4, 6, noise=0.3, seed=5)
    texts = [f"story{i // 6} event{i // 6} place{i // 6} number {i // 6 * 7} shared words here" for i in range(24)]
    paras = with_keys(one_para_per_doc(24), vectors).with_columns(text=pl.Series(texts))
    _, kept = build_stories_kept(vectors[:20], paras.filter(pl.col("doc_id") < 20), 20)
    labels, work = build_stories_kept(vectors, paras, 24, kept=kept)
    np.testing.assert_array_equal(labels, build_stories(vectors, paras, 24))
    assert work.rescored == 4  # only the new articles' lead vectors were computed
    assert len(set(labels.tolist())) == 4


# ------------------------------------------------------------ one story = one event (lexical evidence)
def with_texts(texts: list[str]) -> pl.DataFrame:
    """One paragraph per doc, vector row i, its own passage, with the given text."""
    return one_para_per_doc(len(texts)).with_columns(
        text=pl.Series(texts), n_chars=pl.Series([len(t) for t in texts], dtype=pl.Int64)
    )


def topical(n_a: int, n_b: int, between: float = 0.9, seed: int = 4) -> np.ndarray:
    """Two groups of vectors whose centres have cosine ``between``: one topic, as the model sees it."""
    rng = np.random.default_rng(seed)
    d = 16
    c_a = np.eye(d)[0]
    c_b = between * c_a + np.sqrt(1 - between**2) * np.eye(d)[1]
    rows = [c_a] * n_a + [c_b] * n_b
    return unit(np.asarray(rows) + 0.02 * rng.standard_normal((n_a + n_b, d)))


WATCH = [
    "Apple unveiled the Apple Watch at the Flint Center in Cupertino on September 9; Tim Cook said it costs $349.",
    "At the Flint Center, Tim Cook showed the Apple Watch, priced from $349, on September 9 in Cupertino.",
    "Cupertino, September 9: the Apple Watch starts at $349, Tim Cook told the Flint Center crowd.",
    "Tim Cook's Apple Watch, unveiled in Cupertino's Flint Center on September 9, will sell for $349.",
]
BEND = [
    "Apple says only nine customers complained that the iPhone 6 Plus bends; Bendgate videos drew 53 million views.",
    "Bendgate: nine customers reported a bent iPhone 6 Plus, Apple said, after YouTube videos with 53 million views.",
    "Apple insists the iPhone 6 Plus rarely bends: nine complaints, despite 53 million Bendgate views on YouTube.",
    "After 53 million YouTube views of Bendgate, Apple said nine iPhone 6 Plus owners had complained of bending.",
]


def test_two_events_of_one_topic_stay_two_stories() -> None:
    # the model finds all eight alike (cosine ~0.9 across events): their names and numbers differ
    vectors = topical(4, 4)
    assert float((vectors[:4] @ vectors[4:].T).min()) > 0.85
    labels = build_stories(vectors, with_texts(WATCH + BEND), 8)
    np.testing.assert_array_equal(labels, [0, 0, 0, 0, 1, 1, 1, 1])
    # on the embedding alone (no texts to weigh) they would be one story
    np.testing.assert_array_equal(build_stories(vectors, one_para_per_doc(8), 8), [0] * 8)


def test_one_wire_story_in_five_outlets_stays_one_story() -> None:
    wire = (
        "The Nicaraguan government said a meteorite left a 12-metre crater near Managua airport on Saturday night, "
        "and scientists from the Geophysical Institute are studying rock samples."
    )
    outlets = ["Reuters", "BBC News", "The Guardian", "Daily Mail", "CNN"]
    texts = [f"{wire} Reported by {o}." for o in outlets]
    vectors = unit(np.ones((5, 8)) + 0.05 * np.random.default_rng(2).standard_normal((5, 8)))
    np.testing.assert_array_equal(build_stories(vectors, with_texts(texts), 5), [0] * 5)


def test_texts_the_model_cannot_read_are_not_joined_on_cosine_alone() -> None:
    # six unrelated articles in a language the model does not know: it embeds them alike (cosine > 0.95), and
    # they share only function words
    topics = [
        "alcalde Ourense presupuesto carreteras",
        "Benfica campeonato Lisboa estádio",
        "Bundestag Haushalt Rentenreform Koalition",
        "sequía Andalucía embalses agricultores",
        "eleições Brasília candidato debate",
        "Hochwasser Dresden Elbe Feuerwehr",
    ]
    texts = [f"{t} para los que con una sobre der die und das para como pero está {t.split()[0]}" for t in topics]
    vectors = unit(np.ones((6, 8)) + 0.03 * np.random.default_rng(5).standard_normal((6, 8)))
    assert float((vectors @ vectors.T).min()) > 0.95
    np.testing.assert_array_equal(build_stories(vectors, with_texts(texts), 6), np.arange(6))


def test_average_linkage_does_not_chain() -> None:
    # 0-1 and 2-3 are tight pairs; one strong bridge 1~2 is not enough for the pairs to be one story
    edges = pl.DataFrame(
        {"doc_a": [0, 1, 2], "doc_b": [1, 2, 3], "weight": [0.9, 0.8, 0.9]},
        schema={"doc_a": pl.Int64, "doc_b": pl.Int64, "weight": pl.Float64},
    )
    np.testing.assert_array_equal(average_linkage(4, edges, resolution=0.5), [0, 0, 1, 1])
    # mean over the 4 cross pairs is 0.8 / 4 = 0.2: joined only at a resolution at or below it
    np.testing.assert_array_equal(average_linkage(4, edges, resolution=0.2), [0, 0, 0, 0])
    merges = linkage_merges(4, edges, 0.1)
    assert [round(m[2], 3) for m in merges] == [0.9, 0.9, 0.2]
    np.testing.assert_array_equal(cut_merges(4, merges, 0.5), [0, 0, 1, 1])


def test_average_linkage_bad_arguments() -> None:
    edges = pl.DataFrame(
        {"doc_a": [0], "doc_b": [1], "weight": [1.0]},
        schema={"doc_a": pl.Int64, "doc_b": pl.Int64, "weight": pl.Float64},
    )
    with pytest.raises(ValueError, match="resolution must be > 0"):
        average_linkage(2, edges, resolution=0.0)
    with pytest.raises(ValueError, match=r"endpoints must lie in \[0, 1\)"):
        average_linkage(1, edges, resolution=0.5)


def test_lexical_scores_ignore_function_words_and_weigh_rare_words() -> None:
    texts = ["der die und das Hochwasser Dresden", "der die und das Bundestag Haushalt", "Hochwasser in Dresden"]
    lexical = lexical_vectors(texts)
    got = lexical_scores(lexical, np.array([0, 0]), np.array([1, 2]))
    assert got[0] == 0.0 and got[1] > 0.9
    assert article_texts(one_para_per_doc(2), 2) is None


def test_lead_vectors_read_only_the_first_characters() -> None:
    vectors = unit(np.eye(3))
    paras = pl.DataFrame(
        {
            "doc_id": [0, 0, 0],
            "vec_row": [0, 1, 2],
            "is_boilerplate": [False] * 3,
            "n_chars": [300, 300, 1000],
            "passage_id": [0, 1, 2],
            "position": [0, 1, 2],
        },
        schema={**SCHEMA, "position": pl.Int64},
    )
    # the first 400 characters: 300 of paragraph 0, 100 of paragraph 1, none of paragraph 2
    lead = article_vectors(vectors, paras, 1, lead_chars=400)[0]
    np.testing.assert_allclose(lead, unit(np.array([3.0, 1.0, 0.0])), atol=1e-6)
    with pytest.raises(ValueError, match="lead_chars"):
        article_vectors(vectors, paras, 1, lead_chars=0)


@pytest.mark.parametrize(
    ("text", "noise"),
    [
        ("mboxCreate('FoxNews-Politics-Autoplay-Videos-In-Articles');", True),
        ("(function(d, s, id) { var js, fjs = d.getElementsByTagName(s)[0]; })(document);", True),
        ("We use cookies to give you the best experience. By continuing you accept cookies.", True),
        ("Please enable JavaScript to watch this video.", True),
        ("The chocolate chip cookies were recalled on Monday after 12 children fell ill.", False),
        ("Apple will ship the Watch in April (Tim Cook said so on Monday); analysts agree.", False),
        ("A long report of prose. " * 20 + "BF_STATIC.push(function () { document.x(); });", False),
    ],
)
def test_page_noise(text: str, noise: bool) -> None:
    assert is_page_noise(text) is noise


def test_lead_vectors_and_texts_skip_script_and_cookie_notices() -> None:
    vectors = unit(np.eye(3))
    texts = [
        "mboxCreate('FoxNews-Politics-Autoplay-Videos-In-Articles');",
        "This site uses cookies. Accept cookies to continue reading.",
        "U.S. officials say Islamic State fighters seized a cache of airdropped weapons near Kobani.",
    ]
    paras = pl.DataFrame(
        {
            "doc_id": [0, 0, 0],
            "vec_row": [0, 1, 2],
            "is_boilerplate": [False] * 3,
            "n_chars": [len(t) for t in texts],
            "passage_id": [0, 1, 2],
            "position": [0, 1, 2],
            "text": texts,
        },
        schema={**SCHEMA, "position": pl.Int64, "text": pl.String},
    )
    # the lead is the news sentence alone, and so is the text TF-IDF reads
    np.testing.assert_allclose(article_vectors(vectors, paras, 1, lead_chars=1000)[0], [0.0, 0.0, 1.0], atol=1e-6)
    assert article_texts(paras, 1) == [texts[2]]


def _orphan_case() -> tuple[np.ndarray, pl.DataFrame, np.ndarray]:
    """Story 0 = articles 0-2 (alike), article 3 alone but like story 0, article 4 alone and unlike anything."""
    vectors = unit(np.array([[1, 0.1, 0], [1, 0, 0.1], [1, 0.1, 0.1], [1, 0.3, 0.2], [0, 0, 1]], dtype=float))
    edges = pl.DataFrame(
        {"doc_a": [0, 0, 1, 2, 3], "doc_b": [1, 2, 2, 3, 4], "weight": [0.8, 0.8, 0.8, 0.3, 0.1]},
        schema={"doc_a": pl.Int64, "doc_b": pl.Int64, "weight": pl.Float64},
    )
    return vectors, edges, np.array([0, 0, 0, 1, 2])


def test_a_lone_article_joins_the_story_it_is_most_like() -> None:
    vectors, edges, labels = _orphan_case()
    joined = join_orphans(labels, edges, vectors, None, lexical_weight=0.7, min_score=0.9)
    # 3 joins story 0 (cosine to its mean ~0.97); 4 has an edge only to a lone article, so it stays alone
    np.testing.assert_array_equal(joined, [0, 0, 0, 0, 1])
    # too strict a score, or the join turned off: nothing moves
    np.testing.assert_array_equal(join_orphans(labels, edges, vectors, None, lexical_weight=0.7, min_score=0.99),
                                  labels)
    np.testing.assert_array_equal(join_orphans(labels, edges, vectors, None, lexical_weight=0.7, min_score=1.1),
                                  labels)


def test_a_lone_article_needs_an_edge_and_shared_words_to_join() -> None:
    vectors, edges, labels = _orphan_case()
    # without the 2-3 edge (e.g. it failed the lexical check) article 3 has no story to join
    np.testing.assert_array_equal(
        join_orphans(labels, edges.filter(pl.col("doc_b") != 3), vectors, None, lexical_weight=0.7, min_score=0.5),
        labels,
    )
    # with texts: article 3 shares no word with story 0, so its score is 0.3 * cosine and it stays alone
    texts = ["meteorite crater Managua"] * 3 + ["Bundestag Haushalt Rentenreform", "Hochwasser Dresden Elbe"]
    lexical = lexical_vectors(texts)
    np.testing.assert_array_equal(join_orphans(labels, edges, vectors, lexical, lexical_weight=0.7, min_score=0.5),
                                  labels)


def test_cut_stories_equals_build_stories() -> None:
    vectors = topical(4, 4)
    texts = WATCH + BEND[:3] + ["Apple says nine iPhone 6 Plus owners complained; Bendgate had 53 million views."]
    paras = with_texts(texts)
    params = StoryParams()
    doc_vectors, lexical = event_evidence(vectors, paras, 8, params)
    edges = event_edges(doc_vectors, paras, lexical, params)
    merges = linkage_merges(8, edges, 0.1)
    for r in (0.2, 0.3, 0.5):
        p = StoryParams(resolution=r)
        want = build_stories(vectors, paras, 8, p)
        np.testing.assert_array_equal(cut_stories(merges, edges, doc_vectors, lexical, p), want)


def test_knn_on_an_approximate_index_equals_the_exact_knn_on_planted_groups() -> None:
    from cluster.index import IndexParams
    from cluster.stories import knn_edges

    # 40 stories of 8 articles, each story's articles close together and far from other stories
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 48))
    docs = np.repeat(centres, 8, axis=0) + 0.1 * rng.standard_normal((320, 48))
    docs = (docs / np.linalg.norm(docs, axis=1, keepdims=True)).astype(np.float32)
    exact = knn_edges(docs, k=5, threshold=0.5)
    ivf = IndexParams(exact_max=100, list_size=16, sqrt_lists=0, nprobe=3, scan_min=0, quantised=False)
    approximate = knn_edges(docs, k=5, threshold=0.5, index=ivf)
    assert exact.height > 320 * 5 // 2  # each article's 5 nearest are in its own story
    assert (exact["doc_a"] // 8 == exact["doc_b"] // 8).all()
    assert approximate.select("doc_a", "doc_b").equals(exact.select("doc_a", "doc_b"))
    assert np.allclose(approximate["weight"].to_numpy(), exact["weight"].to_numpy(), atol=1e-6)
    # at or below exact_max the flat search runs: the same frame, bit for bit
    assert knn_edges(docs, k=5, threshold=0.5, index=IndexParams(exact_max=320)).equals(exact)


def test_knn_on_eight_bit_lists_re_ranked_equals_the_exact_knn() -> None:
    from cluster.index import IndexParams
    from cluster.stories import knn_edges
    from cluster.stories.graph import KNN_INDEX

    # 60 stories of 10 articles: each article's 9 nearest are its story, the 10th..12th the nearest outsiders
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((60, 48))
    docs = np.repeat(centres, 10, axis=0) + 0.3 * rng.standard_normal((600, 48))
    docs = (docs / np.linalg.norm(docs, axis=1, keepdims=True)).astype(np.float32)
    exact = knn_edges(docs, k=12, threshold=-1.0)
    sq8 = IndexParams(exact_max=100, list_size=20, sqrt_lists=0, nprobe=30, scan_min=0, quantised=True)
    assert KNN_INDEX.quantised
    approximate = knn_edges(docs, k=12, threshold=-1.0, index=sq8)
    assert approximate.select("doc_a", "doc_b").equals(exact.select("doc_a", "doc_b"))
    assert np.allclose(approximate["weight"].to_numpy(), exact["weight"].to_numpy(), atol=1e-6)


def test_approximate_knn_ranks_by_exact_cosine_and_breaks_ties_by_the_lower_id() -> None:
    from cluster.index import IndexParams
    from cluster.stories.graph import approximate_knn

    # row 0 has two exact twins (rows 3 and 1, equal cosine 1) and then rows at falling cosines
    angles = np.array([0.0, 0.0, 0.3, 0.0, 0.1, 0.2, 1.4, 1.5])
    x = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    params = IndexParams(nlist=1, nprobe=1, quantised=True)
    sims, ids = approximate_knn(x, 4, params)
    assert ids[0].tolist() == [0, 1, 3, 4]  # three at cosine 1 (by id), then angle 0.1
    assert sims[0].tolist() == pytest.approx([1.0, 1.0, 1.0, np.cos(0.1)], abs=1e-6)
    assert ids[7].tolist() == [7, 6, 2, 5]


def test_join_orphans_scores_candidates_the_same_a_chunk_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import cluster.stories.communities as communities

    # 60 lone articles, each with edges to three 4-article stories: 180 candidates, scored 7 at a time
    rng = np.random.default_rng(7)
    centres = unit(rng.standard_normal((3, 16)))
    story_docs = np.repeat(centres, 4, axis=0) + 0.05 * rng.standard_normal((12, 16))
    lone = centres[rng.integers(0, 3, 60)] + 0.3 * rng.standard_normal((60, 16))
    vectors = unit(np.vstack([story_docs, lone]))
    labels = np.concatenate([np.repeat([0, 1, 2], 4), np.arange(3, 63)])
    edges = pl.DataFrame(
        {"doc_a": np.repeat([0, 4, 8], 60), "doc_b": np.tile(np.arange(12, 72), 3),
         "weight": np.full(180, 0.5)},
        schema={"doc_a": pl.Int64, "doc_b": pl.Int64, "weight": pl.Float64},
    )
    words = ["alpha beta gamma", "delta epsilon zeta", "eta theta iota"]
    lexical = lexical_vectors([words[i // 4] for i in range(12)] + [words[int(np.argmax(v @ centres.T))] for v in lone])
    whole = join_orphans(labels, edges, vectors, lexical, lexical_weight=0.5, min_score=0.6)
    monkeypatch.setattr(communities, "_JOIN_CHUNK", 7)
    chunked = join_orphans(labels, edges, vectors, lexical, lexical_weight=0.5, min_score=0.6)
    np.testing.assert_array_equal(chunked, whole)
    assert len(np.unique(whole)) < len(np.unique(labels))  # some lone articles did join a story
